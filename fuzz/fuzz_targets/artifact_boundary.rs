//! The host boundary for artifacts: whatever name, media type and bytes a
//! plugin hands over, only a granted name within the size cap and with a
//! well-formed media type is stored, and what is read back is exactly that.
#![no_main]

use std::collections::BTreeSet;

use cordon::host::artifacts::{ArtifactAccess, ArtifactStore, is_media_type};
use libfuzzer_sys::fuzz_target;

const MAX_BYTES: u64 = 4096;

fuzz_target!(|data: &[u8]| {
    let writable: BTreeSet<String> = ["sbom", "model-inventory"].map(String::from).into();
    let access = ArtifactAccess {
        store: ArtifactStore::default(),
        readable: writable.clone(),
        writable: writable.clone(),
        max_bytes: MAX_BYTES,
        stage: "fuzz".into(),
    };
    let mut parts = data.splitn(3, |b| *b == 0);
    let name = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let media_type = String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned();
    let bytes = parts.next().unwrap_or_default().to_vec();
    // Half the inputs aim at a granted name, so the later checks are reached.
    let name = if data.first().is_some_and(|b| b % 2 == 0) {
        "sbom".to_string()
    } else {
        name
    };
    if access.put(&name, &media_type, bytes.clone()).is_ok() {
        assert!(writable.contains(&name), "{name:?} stored without a grant");
        assert!(bytes.len() as u64 <= MAX_BYTES);
        assert!(is_media_type(&media_type));
        assert!(!media_type.chars().any(char::is_control), "{media_type:?}");
        let back = access.get(&name).expect("a stored artifact reads back");
        assert_eq!(back.bytes, bytes);
        assert_eq!(back.media_type, media_type);
    } else {
        assert!(access.store.get(&name).is_none());
    }
});
