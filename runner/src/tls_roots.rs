//! Where OpenSSL finds the system's CA certificates.
//!
//! libgit2 initialises OpenSSL the first time any git function is called,
//! and git2 first points `SSL_CERT_FILE` at the system's CA bundle. OpenSSL
//! then parses every certificate in it: about 27 ms of CPU on every run, a
//! quarter of a warm default pipeline, though only `db update` (a TLS
//! fetch) ever uses them; a run only reads local repositories.
//!
//! The same roots are in the system's hashed certificate directory
//! (`/etc/ssl/certs/<subject-hash>.0`), which OpenSSL consults lazily, one
//! certificate per handshake. So when the user has set neither variable and
//! such a directory exists, OpenSSL is pointed at it, with an empty file
//! in place of the bundle. A user who sets `SSL_CERT_FILE` or
//! `SSL_CERT_DIR` keeps exactly what they set; a system without a hashed
//! directory keeps the bundle.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The empty stand-in for the bundle: it exists (so git2 does not replace
/// it), and OpenSSL ignores a default file that holds no certificate.
const EMPTY_BUNDLE: &str = "/dev/null";

/// What to set: `(SSL_CERT_FILE, SSL_CERT_DIR)`, or `None` to leave the
/// environment alone.
pub fn lazy_lookup(
    cert_file_set: Option<&OsString>,
    cert_dir_set: Option<&OsString>,
    probed_dir: Option<&Path>,
    is_hashed_dir: impl Fn(&Path) -> bool,
) -> Option<(PathBuf, PathBuf)> {
    if cert_file_set.is_some() || cert_dir_set.is_some() {
        return None;
    }
    let dir = probed_dir.filter(|dir| is_hashed_dir(dir))?;
    Some((PathBuf::from(EMPTY_BUNDLE), dir.to_path_buf()))
}

/// Whether `dir` holds certificates under OpenSSL's hashed names
/// (`1a2b3c4d.0`), the only names its directory lookup finds.
pub fn is_hashed_dir(dir: &Path) -> bool {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|entry| {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        name.split_once('.').is_some_and(|(hash, suffix)| {
            hash.len() == 8
                && hash.bytes().all(|b| b.is_ascii_hexdigit())
                && !suffix.is_empty()
                && suffix.bytes().all(|b| b.is_ascii_digit())
        })
    })
}

/// Points OpenSSL at the hashed directory (see the module docs). Call it
/// first thing in `main`, while the process has one thread: changing the
/// environment is only sound then.
pub fn prefer_lazy_lookup() {
    #[cfg(all(unix, not(target_os = "macos"), not(target_os = "ios")))]
    {
        let probed = openssl_probe::probe();
        if let Some((file, dir)) = lazy_lookup(
            std::env::var_os("SSL_CERT_FILE").as_ref(),
            std::env::var_os("SSL_CERT_DIR").as_ref(),
            probed.cert_dir.as_deref(),
            is_hashed_dir,
        ) {
            // SAFETY: called at the top of `main`, before any thread exists.
            unsafe {
                std::env::set_var("SSL_CERT_FILE", file);
                std::env::set_var("SSL_CERT_DIR", dir);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_setting_is_kept_and_a_hashed_directory_is_preferred() {
        let dir = Path::new("/certs");
        let hashed = |_: &Path| true;
        let set = OsString::from("/my/bundle.pem");
        assert_eq!(lazy_lookup(Some(&set), None, Some(dir), hashed), None);
        assert_eq!(lazy_lookup(None, Some(&set), Some(dir), hashed), None);
        assert_eq!(lazy_lookup(None, None, None, hashed), None);
        assert_eq!(lazy_lookup(None, None, Some(dir), |_| false), None);
        assert_eq!(
            lazy_lookup(None, None, Some(dir), hashed),
            Some((PathBuf::from("/dev/null"), dir.to_path_buf()))
        );
    }

    #[test]
    fn only_subject_hash_names_make_a_hashed_directory() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!is_hashed_dir(dir.path()));
        std::fs::write(dir.path().join("ca-certificates.crt"), "").unwrap();
        std::fs::write(dir.path().join("deadbeef.pem"), "").unwrap();
        std::fs::write(dir.path().join("1234567.0"), "").unwrap();
        assert!(!is_hashed_dir(dir.path()));
        std::fs::write(dir.path().join("1a2b3c4d.0"), "").unwrap();
        assert!(is_hashed_dir(dir.path()));
        assert!(!is_hashed_dir(&dir.path().join("missing")));
    }
}
