//! Scans files with the models engine through ranged reads on disk and
//! prints one JSON line per file (format, rule ids, max severity, time).
//!
//! Usage: `cargo run --release --example models_scan -- FILE...`

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::time::Instant;

use cordon_models::{ByteSource, Limits, SourceError};

/// A file read with positioned reads: only the bytes analysers ask for.
struct DiskFile {
    file: File,
    len: u64,
}

impl ByteSource for DiskFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, len: usize) -> Result<Vec<u8>, SourceError> {
        let want = (len as u64).min(self.len.saturating_sub(offset)) as usize;
        let mut buf = vec![0; want];
        self.file
            .read_exact_at(&mut buf, offset)
            .map_err(|err| SourceError {
                offset,
                len,
                reason: err.to_string(),
            })?;
        Ok(buf)
    }
}

fn main() {
    let limits = Limits::default();
    for path in std::env::args().skip(1) {
        let file = File::open(&path).expect("open");
        let len = file.metadata().expect("stat").len();
        let source = DiskFile { file, len };
        let start = Instant::now();
        let scan = cordon_models::scan(&path, &source, &limits);
        let micros = start.elapsed().as_micros();
        let line = match scan {
            Some(scan) => serde_json::json!({
                "path": path,
                "format": scan.format,
                "max_severity": scan.max_severity(),
                "rules": scan.findings.iter().map(|f| format!("{}:{}", f.rule_id, f.subject)).collect::<Vec<_>>(),
                "micros": micros,
            }),
            None => {
                serde_json::json!({ "path": path, "format": null, "rules": [], "micros": micros })
            }
        };
        println!("{line}");
    }
}
