//! Detection plus whichever analyser it picks must never panic or loop.
#![no_main]

use cordon_models::{Limits, scan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = scan("fuzz.pt", &data, &Limits::default());
});
