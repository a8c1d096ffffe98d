//! Pickle framing: the input follows a protocol-4 header and a FRAME whose
//! declared length is the input's first 8 bytes, so frame ends land
//! anywhere in the opcodes that follow.
#![no_main]

use cordon_models::{Detected, Limits, scan_detected};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if data.len() < 8 {
        return;
    }
    let mut pickle = vec![0x80, 4, 0x95];
    pickle.extend_from_slice(&data[..8]);
    pickle.extend_from_slice(&data[8..]);
    let limits = Limits::default();
    let _ = scan_detected("fuzz.pkl", &pickle, Detected::Pickle, &limits);
});
