//! Plugin bytes: the built-in stages embedded at build time, or a component
//! file pinned by sha256. Nothing runs before its digest is checked.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::config::PluginSource;
use crate::trust::{files, signing};

/// A stage compiled into the binary by `build.rs`.
pub struct Builtin {
    pub name: &'static str,
    /// Computed at build time; checked again at load so a corrupted binary
    /// cannot run an unexpected component.
    pub sha256: &'static str,
    pub wasm: &'static [u8],
    /// `wasm` compiled to native code for the build host by `build.rs`
    /// (with `cordon_engine_config::config()`), so a cold run skips
    /// Cranelift. Another host falls back to compiling `wasm`; `None` when
    /// built without the `precompiled-builtins` feature.
    pub precompiled: Option<&'static [u8]>,
}

/// Native code embedded page-aligned: its `.text` section then starts on a
/// page boundary and can be made executable in place.
#[repr(C, align(4096))]
pub struct PageAligned<T: ?Sized>(pub T);

include!(concat!(env!("OUT_DIR"), "/builtins.rs"));

/// Built-in stages whose job is to scan the workspace's files: a pipeline
/// that grants one of them no files is refused.
pub const WORKSPACE_STAGES: &[&str] = &["secrets", "models", "sbom", "iac"];

pub fn builtin_names() -> impl Iterator<Item = &'static str> {
    BUILTINS.iter().map(|b| b.name)
}

/// Component bytes whose digest matched.
pub struct VerifiedPlugin {
    pub bytes: std::borrow::Cow<'static, [u8]>,
    pub sha256: String,
    pub source: String,
    /// Native code embedded in the binary for a built-in stage.
    pub precompiled: Option<&'static [u8]>,
    /// A built-in with native code whose component bytes were not hashed
    /// yet: they run only if that code cannot, and are checked then
    /// ([`VerifiedPlugin::check_deferred_digest`]).
    digest_deferred: bool,
}

impl VerifiedPlugin {
    /// Hashes a built-in's component bytes against the digest the build
    /// computed, before they are compiled. A no-op for everything else
    /// (checked on load).
    pub fn check_deferred_digest(&self) -> Result<(), PluginError> {
        if !self.digest_deferred {
            return Ok(());
        }
        verify(self.bytes.clone(), &self.sha256, &self.source).map(|_| ())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum PluginError {
    #[error("there is no built-in plugin `{0}`")]
    UnknownBuiltin(String),
    #[error("cannot read plugin: {0}")]
    Unreadable(#[from] crate::trust::files::FileError),
    #[error(
        "plugin {path} is not signed by a trusted key: {reason}; the policy requires signed plugins"
    )]
    Unsigned { path: String, reason: String },
    #[error(
        "plugin {path} does not match its pinned digest: the pipeline pins sha256 {expected}, the file has sha256 {actual}; refusing to run it"
    )]
    DigestMismatch {
        path: String,
        expected: String,
        actual: String,
    },
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The plugin's bytes, checked against its pinned digest and, when
/// `trusted_keys` is not empty, against a detached signature by one of them
/// (`PLUGIN.sig`). Nothing is compiled before both checks pass.
pub fn load(source: &PluginSource, trusted_keys: &[String]) -> Result<VerifiedPlugin, PluginError> {
    match source {
        PluginSource::Builtin(name) => {
            let builtin = BUILTINS
                .iter()
                .find(|b| b.name == name)
                .ok_or_else(|| PluginError::UnknownBuiltin(name.clone()))?;
            let source = format!("builtin:{name}");
            match builtin.precompiled {
                // The component bytes, like the native code compiled from
                // them, are part of this binary; with the native code they
                // do not run at all, so hashing them is left until they do.
                Some(code) => Ok(VerifiedPlugin {
                    bytes: builtin.wasm.into(),
                    sha256: builtin.sha256.to_string(),
                    source,
                    precompiled: Some(code),
                    digest_deferred: true,
                }),
                None => verify(builtin.wasm.into(), builtin.sha256, &source),
            }
        }
        PluginSource::Path {
            path,
            sha256,
            beneath,
        } => {
            let read = |path: &Path, what, max| match beneath {
                Some(root) => files::read_beneath(root, path, what, max),
                None => files::read_regular(path, what, max),
            };
            let bytes = read(path, "plugin", files::MAX_PLUGIN_BYTES)?;
            let plugin = verify(bytes.into(), sha256, &path.display().to_string())?;
            if !trusted_keys.is_empty() {
                let unsigned = |reason: String| PluginError::Unsigned {
                    path: plugin.source.clone(),
                    reason,
                };
                let signature_path = signing::default_signature_path(path);
                let signature = read(&signature_path, "signature", 4096)
                    .map_err(|e| unsigned(format!("no usable signature ({e})")))?;
                signing::verify(
                    &String::from_utf8_lossy(&signature),
                    &plugin.sha256,
                    trusted_keys,
                )
                .map_err(unsigned)?;
            }
            Ok(plugin)
        }
    }
}

fn verify(
    bytes: std::borrow::Cow<'static, [u8]>,
    expected: &str,
    source: &str,
) -> Result<VerifiedPlugin, PluginError> {
    let actual = sha256_hex(&bytes);
    if !actual.eq_ignore_ascii_case(expected) {
        return Err(PluginError::DigestMismatch {
            path: source.to_string(),
            expected: expected.to_string(),
            actual,
        });
    }
    Ok(VerifiedPlugin {
        bytes,
        sha256: actual,
        source: source.to_string(),
        precompiled: None,
        digest_deferred: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_verify() {
        for builtin in BUILTINS {
            let plugin = load(&PluginSource::Builtin(builtin.name.to_string()), &[]).unwrap();
            assert_eq!(plugin.sha256, builtin.sha256);
            plugin.check_deferred_digest().unwrap();
        }
    }

    #[test]
    fn a_built_in_that_must_be_compiled_is_hashed_first() {
        let builtin = &BUILTINS[0];
        let mut plugin = load(&PluginSource::Builtin(builtin.name.to_string()), &[]).unwrap();
        let mut tampered = builtin.wasm.to_vec();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        plugin.bytes = tampered.into();
        let error = plugin.check_deferred_digest().unwrap_err().to_string();
        assert!(
            error.contains("does not match its pinned digest"),
            "{error}"
        );
    }

    #[test]
    fn a_tampered_file_is_refused_naming_both_digests() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.wasm");
        std::fs::write(&path, b"\0asm original").unwrap();
        let pinned = sha256_hex(b"\0asm original");
        std::fs::write(&path, b"\0asm tampered").unwrap();
        let error = load(
            &PluginSource::Path {
                path: path.clone(),
                sha256: pinned.clone(),
                beneath: None,
            },
            &[],
        )
        .err()
        .unwrap();
        let message = error.to_string();
        assert!(message.contains(&pinned), "{message}");
        assert!(
            message.contains(&sha256_hex(b"\0asm tampered")),
            "{message}"
        );
        assert!(message.contains("refusing to run"), "{message}");
    }
}
