//! The zip reader must never panic or loop, whatever the bytes.
#![no_main]

use cordon_models::{Detected, Limits, scan_detected};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits::default();
    if let Some(scan) = scan_detected("fuzz.bin", &data, Detected::Zip, &limits) {
        // Whatever the input, the inventory describes the whole file.
        assert_eq!(scan.inventory.map(|i| i.size), Some(data.len() as u64));
    }
});
