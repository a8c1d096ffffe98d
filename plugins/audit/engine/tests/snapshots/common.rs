//! Loading the shared advisory snapshots (read-only, outside the repo) and
//! the lockfile fixtures, as the stage would hand them to the engine.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use cordon_audit::{Index, Inventory};

pub fn rustsec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/advisory-db")
}

pub fn osv_pypi_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/osv/pypi")
}

/// Every file under `root` as (`/`-separated relative path, bytes), sorted.
pub fn read_tree(root: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap();
                let relative: Vec<String> = relative
                    .components()
                    .map(|c| c.as_os_str().to_string_lossy().into_owned())
                    .collect();
                files.push((relative.join("/"), std::fs::read(&path).unwrap()));
            }
        }
    }
    files.sort();
    files
}

pub fn rustsec() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let (index, warnings) =
            Index::build(read_tree(&rustsec_dir())).expect("RustSec snapshot loads");
        assert!(warnings.is_empty(), "{warnings:?}");
        index
    })
}

pub fn osv_pypi() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let (index, warnings) =
            Index::build(read_tree(&osv_pypi_dir())).expect("OSV PyPI snapshot loads");
        assert!(warnings.len() < 20, "{warnings:?}");
        index
    })
}

/// Parses `tests/fixtures/<relative>` with the shared lockfile parsers.
pub fn fixture(relative: &str) -> Inventory {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    let bytes = std::fs::read(&path).unwrap();
    let lockfile =
        cordon_lockfiles::parse(relative, &bytes).unwrap_or_else(|e| panic!("{relative}: {e:?}"));
    assert!(
        lockfile.warnings.is_empty(),
        "{relative}: {:?}",
        lockfile.warnings
    );
    Inventory::from(lockfile)
}
