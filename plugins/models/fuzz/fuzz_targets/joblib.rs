//! joblib dumps: detection picks the compressed variant (zlib, gzip, bz2,
//! xz, lzma, lz4) or the bare pickle with raw array regions after
//! `NumpyArrayWrapper`; none of the readers may panic or loop.
#![no_main]

use cordon_models::{Limits, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        // Keep decompression bombs cheap for the fuzzer.
        max_total_decompressed_bytes: 16 << 20,
        ..Limits::default()
    };
    if let Some(result) = scan("fuzz.joblib", &data, &limits) {
        assert!(result.inventory.is_some() || !result.findings.is_empty());
    }
});
