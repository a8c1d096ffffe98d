//! `cordon:stage/log` and the stage's stdout/stderr: captured, capped, and
//! forwarded to the runner's tracing output.

use super::StageState;
use super::bindings::cordon::stage::log::{Host, Level};

pub struct LogSink {
    pub stage: String,
    pub lines: Vec<(Level, String)>,
    pub bytes: u64,
    pub max_bytes: u64,
    /// Bytes dropped after the cap.
    pub dropped: u64,
}

impl LogSink {
    pub fn push(&mut self, level: Level, message: String) {
        let size = message.len() as u64;
        // A raw `\r` or `\n` from a plugin could fake a line of Cordon's own
        // output on the terminal or in CI logs: escape every control character.
        let message = crate::run::escape_controls(message);
        if self.bytes + size > self.max_bytes {
            self.dropped += size;
            return;
        }
        self.bytes += size;
        let stage = &self.stage;
        match level {
            Level::Trace => tracing::trace!(stage, "{message}"),
            Level::Debug => tracing::debug!(stage, "{message}"),
            Level::Info => tracing::info!(stage, "{message}"),
            Level::Warn => tracing::warn!(stage, "{message}"),
            Level::Error => tracing::error!(stage, "{message}"),
        }
        self.lines.push((level, message));
    }
}

impl Host for StageState {
    fn log(&mut self, level: Level, message: String) {
        self.log.push(level, message);
    }
}
