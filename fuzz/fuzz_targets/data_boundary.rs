//! The host boundary for data sets: whatever set name, prefix and path a
//! plugin asks for, nothing outside the granted set's directory is listed
//! or read, even through links inside it.
#![no_main]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::OnceLock;

use cordon::host::data::{DataAccess, DataSet};
use libfuzzer_sys::fuzz_target;

const OUTSIDE: &[u8] = b"outside the data set";

/// A data set `osv` with a file, a sub-directory, and links that point out
/// of it, beside a file it must never reveal. Made once per process.
fn data_root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let base = std::env::temp_dir().join(format!("cordon-fuzz-data-{}", std::process::id()));
        let root = base.join("osv");
        std::fs::create_dir_all(root.join("PyPI")).unwrap();
        std::fs::write(root.join("PyPI/GHSA-1.json"), b"{}").unwrap();
        std::fs::write(base.join("secret.txt"), OUTSIDE).unwrap();
        let _ = std::os::unix::fs::symlink("../secret.txt", root.join("up.json"));
        let _ = std::os::unix::fs::symlink(base.join("secret.txt"), root.join("abs.json"));
        let _ = std::os::unix::fs::symlink("..", root.join("parent"));
        root.canonicalize().unwrap()
    })
}

fuzz_target!(|data: &[u8]| {
    let root = data_root().clone();
    let sets = BTreeMap::from([("osv".to_string(), Ok(DataSet::at(root)))]);
    let mut access = DataAccess::new(sets, 1 << 20);
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(2, '\u{0}');
    let first = parts.next().unwrap_or_default();
    let path = parts.next().unwrap_or(first);
    let name = if data.first().is_some_and(|b| b % 4 != 0) {
        "osv"
    } else {
        first
    };
    if let Ok(bytes) = access.read(name, path) {
        assert_eq!(name, "osv");
        assert_ne!(bytes, OUTSIDE, "{path:?} read outside the data set");
    }
    if let Ok(files) = access.list_files(name, path) {
        for file in files {
            assert!(!file.path.starts_with('/') && !file.path.contains(".."));
            assert_ne!(file.path, "secret.txt");
        }
    }
});
