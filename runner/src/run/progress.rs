//! Progress on a terminal: one line per running stage with what it has
//! read so far, so a long run is not silent until its summary. Nothing is
//! drawn when standard error is not a terminal, in CI, or with `-q`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};

/// The run's progress display, or nothing.
#[derive(Clone, Default)]
pub struct Progress {
    bars: Option<MultiProgress>,
}

impl Progress {
    /// Draws on standard error when it is a terminal and this is not a CI
    /// job (`CI` set, as every hosted CI sets it) or a quiet run.
    pub fn for_terminal(quiet: bool) -> Progress {
        use std::io::IsTerminal;
        let wanted = !quiet && std::io::stderr().is_terminal() && std::env::var_os("CI").is_none();
        Progress {
            bars: wanted.then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr())),
        }
    }

    /// The line of a stage that is starting.
    pub fn stage(&self, name: &str) -> StageProgress {
        let Some(bars) = &self.bars else {
            return StageProgress::default();
        };
        let bar = ProgressBar::new_spinner()
            .with_style(
                ProgressStyle::with_template(
                    "{prefix:>10.bold} {spinner} {binary_bytes} read, {msg} ({elapsed})",
                )
                .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            )
            .with_prefix(crate::host::audit::inert(name))
            .with_message("0 files");
        let bar = bars.add(bar);
        bar.enable_steady_tick(Duration::from_millis(120));
        StageProgress(Some(Arc::new(StageBar {
            bar,
            files: AtomicU64::new(0),
            last: std::sync::Mutex::new(String::new()),
        })))
    }
}

/// One stage's line; does nothing when progress is not drawn.
#[derive(Clone, Default)]
pub struct StageProgress(Option<Arc<StageBar>>);

pub struct StageBar {
    bar: ProgressBar,
    files: AtomicU64,
    /// The file read last: ranged reads of one file count it once.
    last: std::sync::Mutex<String>,
}

impl StageProgress {
    /// `bytes` of `target` (a file, artifact, data-set file or commit) read.
    pub fn read(&self, target: &str, bytes: u64) {
        let Some(stage) = &self.0 else {
            return;
        };
        stage.bar.inc(bytes);
        let new_file = stage.last.lock().map(|mut last| {
            let new = *last != target;
            if new {
                target.clone_into(&mut last);
            }
            new
        });
        if new_file.unwrap_or(false) {
            let files = stage.files.fetch_add(1, Ordering::Relaxed) + 1;
            stage.bar.set_message(format!("{files} files"));
        }
    }

    /// The stage ended: its line goes (the summary says how it ended).
    pub fn finish(&self) {
        if let Some(stage) = &self.0 {
            stage.bar.finish_and_clear();
        }
    }
}
