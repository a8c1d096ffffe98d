//! The host boundary for findings: whatever a plugin hands over, what is
//! admitted names a workspace-relative path and is cut to size, and the
//! sink never holds more than its caps.
#![no_main]

use cordon::host::bindings::cordon::stage::types::{Finding, Location, Severity};
use cordon::host::findings::{FindingSink, admit};
use libfuzzer_sys::fuzz_target;

fn severity(byte: u8) -> Severity {
    match byte % 5 {
        0 => Severity::Info,
        1 => Severity::Low,
        2 => Severity::Medium,
        3 => Severity::High,
        _ => Severity::Critical,
    }
}

fuzz_target!(|data: &[u8]| {
    let mut sink = FindingSink::new(8, 64 * 1024);
    for (index, chunk) in data.split(|b| *b == 0xff).enumerate().take(64) {
        let text = String::from_utf8_lossy(chunk).into_owned();
        let (path, message) = text.split_at(
            text.char_indices()
                .nth(text.chars().count() / 2)
                .map_or(0, |(i, _)| i),
        );
        let finding = Finding {
            rule_id: format!("fuzz/{index}"),
            severity: severity(chunk.first().copied().unwrap_or(0)),
            message: message.repeat(1 + index % 3),
            location: Some(Location {
                path: path.to_string(),
                region: None,
                byte_offset: None,
                member: Some(message.to_string()),
                commit: None,
            }),
            fingerprint: text.clone(),
            snippet: Some(text.clone()),
            properties: vec![(text.clone(), text.clone())],
        };
        if let Ok(admitted) = admit(finding) {
            let path = &admitted.location.as_ref().unwrap().path;
            assert!(!path.starts_with('/'), "{path:?}");
            assert!(!path.split('/').any(|part| part == ".."), "{path:?}");
            assert!(admitted.message.chars().count() <= 4097);
            let _ = sink.offer(admitted);
        }
        assert!(sink.findings.len() <= 8);
        assert!(sink.bytes <= 64 * 1024);
    }
});
