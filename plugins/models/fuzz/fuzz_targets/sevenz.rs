//! The 7z reader (sevenz-rust2 plus the nested scan of each entry) must
//! never panic or loop, whatever the bytes.
#![no_main]

use cordon_models::{Detected, Limits, scan_detected};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    let _ = scan_detected("fuzz.7z", &data, Detected::SevenZip, &limits);
});
