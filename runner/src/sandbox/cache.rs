//! On-disk cache of compiled components, keyed by the component's sha256,
//! the wasmtime version and the engine's settings, so a warm run skips
//! Cranelift entirely.
//!
//! Loading compiled code is `unsafe` in wasmtime because a tampered file
//! could run arbitrary native code. Each entry is therefore a MAC followed
//! by the compiled bytes, and the MAC is checked before wasmtime sees them
//! (see [`crate::trust::cache_auth`]); an entry that fails the check, or
//! fails to load, is recompiled and replaced.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use wasmtime::Engine;
use wasmtime::component::Component;

use super::CodeOrigin;
use crate::trust::cache_auth::{CacheKey, TAG_LEN};

pub struct ComponentCache {
    /// The directory and the key its entries are authenticated with.
    dir: Option<(PathBuf, CacheKey)>,
    /// Engine version and settings, hashed.
    engine_key: String,
}

impl ComponentCache {
    pub fn new(dir: Option<(PathBuf, CacheKey)>, engine: &Engine) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("wasmtime-{}-{:016x}", wasmtime_version(), hasher.finish());
        Self { dir, engine_key }
    }

    fn entry(&self, sha256: &str) -> Option<(PathBuf, &CacheKey)> {
        self.entry_with(sha256, "cwasm")
    }

    fn entry_with(&self, sha256: &str, extension: &str) -> Option<(PathBuf, &CacheKey)> {
        self.dir.as_ref().map(|(dir, key)| {
            (
                dir.join(&self.engine_key)
                    .join(format!("{sha256}.{extension}")),
                key,
            )
        })
    }

    /// The bytes of an entry whose MAC, over `domain` (what kind of entry
    /// it is), the component digest and the bytes, checks out.
    fn authenticated(
        path: &std::path::Path,
        key: &CacheKey,
        domain: &str,
        sha256: &str,
    ) -> Option<Vec<u8>> {
        let mut bytes = std::fs::read(path).ok()?;
        if bytes.len() < TAG_LEN
            || !key.verify(domain, sha256, &bytes[TAG_LEN..], &bytes[..TAG_LEN])
        {
            tracing::warn!(
                "cache entry {} fails authentication; ignoring it",
                path.display()
            );
            return None;
        }
        bytes.drain(..TAG_LEN);
        Some(bytes)
    }

    /// The MAC domain of a component's `describe()` result: the engine
    /// (which wrote the compiled code it came from) and the host's format.
    fn description_domain(&self) -> String {
        format!("{}/description-v{DESCRIPTION_FORMAT}", self.engine_key)
    }

    /// What the component with digest `sha256` said in `describe()` on an
    /// earlier run, if a cache entry this host wrote holds it.
    pub fn description(&self, sha256: &str) -> Option<Vec<u8>> {
        let (path, key) = self.entry_with(sha256, DESCRIPTION_EXTENSION)?;
        Self::authenticated(&path, key, &self.description_domain(), sha256)
    }

    /// Keeps the component's `describe()` result for later runs.
    pub fn remember_description(&self, sha256: &str, bytes: &[u8]) {
        let Some((path, key)) = self.entry_with(sha256, DESCRIPTION_EXTENSION) else {
            return;
        };
        let tag = key.tag(&self.description_domain(), sha256, bytes);
        if let Err(error) = store(&path, &tag, bytes) {
            tracing::warn!("cannot write cache entry {}: {error}", path.display());
        }
    }

    /// The compiled component, from the cache or compiled now.
    pub fn get_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<(Component, CodeOrigin), String> {
        let entry = self.entry(sha256);
        if let Some((path, key)) = &entry
            && path.is_file()
            && let Some(compiled) = Self::authenticated(path, key, &self.engine_key, sha256)
        {
            // SAFETY: the bytes carry a MAC, under a key the cache directory
            // does not hold, over this engine, this verified component
            // digest and these exact bytes: only this host wrote them, from
            // what wasmtime itself produced. See `crate::trust::cache_auth`.
            match unsafe { Component::deserialize(engine, &compiled) } {
                Ok(component) => return Ok((component, CodeOrigin::Cache)),
                Err(error) => tracing::warn!(
                    "ignoring unusable compiled-component cache entry {}: {error}",
                    path.display()
                ),
            }
        }
        let compiled = engine
            .precompile_component(wasm)
            .map_err(|e| format!("{e:#}"))?;
        if let Some((path, key)) = &entry
            && let Err(error) = store(
                path,
                &key.tag(&self.engine_key, sha256, &compiled),
                &compiled,
            )
        {
            tracing::warn!(
                "cannot write compiled-component cache entry {}: {error}",
                path.display()
            );
        }
        // SAFETY: `compiled` was produced by this engine a moment ago.
        let component =
            unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| format!("{e:#}"))?;
        Ok((component, CodeOrigin::Compiled))
    }
}

/// Bumped whenever the stored form of a description changes.
const DESCRIPTION_FORMAT: u32 = 1;
const DESCRIPTION_EXTENSION: &str = "description.json";

fn store(path: &std::path::Path, tag: &[u8], bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("cache entry has no parent"))?;
    std::fs::create_dir_all(dir)?;
    // Write then rename, so a concurrent run never loads half a file.
    let temp = path.with_extension(format!("tmp-{}", crate::trust::cache_auth::nonce()));
    std::fs::write(&temp, [tag, bytes].concat())?;
    std::fs::rename(&temp, path)
}

fn wasmtime_version() -> &'static str {
    // Pinned in Cargo.toml with `=`; the engine hash covers the rest.
    "48.0.8"
}
