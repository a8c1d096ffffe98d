//! Audit baselines from arbitrary logs, and comparing runs against them.
#![no_main]

use cordon::trust::anomaly::{AccessProfile, AuditBaseline};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(baseline) = AuditBaseline::from_audit_log(&text) {
        let mut now = AccessProfile::default();
        for line in text.lines().take(64) {
            now.observe("workspace.read", line, line.len() as u64);
        }
        for (stage, profile) in &baseline.stages {
            let _ = now.deviations(profile, stage);
            // A profile never deviates from itself.
            assert!(profile.deviations(profile, stage).is_empty());
        }
    }
});
