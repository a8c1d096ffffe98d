//! The policy parser: any text gives a policy or a located error.
#![no_main]

use cordon::trust::policy::Policy;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let _ = Policy::parse(&text, "policy.toml");
});
