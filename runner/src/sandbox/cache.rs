//! On-disk cache of compiled components, keyed by the component's sha256,
//! the wasmtime version and the engine's settings, so a warm run skips
//! Cranelift entirely.
//!
//! Loading compiled code is `unsafe` in wasmtime because a tampered file
//! could run arbitrary native code. The cache therefore lives in the user's
//! own cache directory (as trusted as the binary itself), each entry's name
//! binds it to a verified component digest, and a file that fails to load is
//! recompiled and replaced.

use std::hash::{Hash, Hasher};
use std::path::PathBuf;

use wasmtime::Engine;
use wasmtime::component::Component;

pub struct ComponentCache {
    dir: Option<PathBuf>,
    /// Engine version and settings, hashed.
    engine_key: String,
}

impl ComponentCache {
    pub fn new(dir: Option<PathBuf>, engine: &Engine) -> Self {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut hasher);
        let engine_key = format!("wasmtime-{}-{:016x}", wasmtime_version(), hasher.finish());
        Self { dir, engine_key }
    }

    fn entry(&self, sha256: &str) -> Option<PathBuf> {
        self.dir
            .as_ref()
            .map(|dir| dir.join(&self.engine_key).join(format!("{sha256}.cwasm")))
    }

    /// The compiled component and whether it came from the cache.
    pub fn get_or_compile(
        &self,
        engine: &Engine,
        wasm: &[u8],
        sha256: &str,
    ) -> Result<(Component, bool), String> {
        let entry = self.entry(sha256);
        if let Some(path) = &entry
            && path.is_file()
        {
            // SAFETY: entries are written only by `store` below, from bytes
            // wasmtime itself produced for a component whose digest is in
            // the file name; see the module comment for the trust model.
            match unsafe { Component::deserialize_file(engine, path) } {
                Ok(component) => return Ok((component, true)),
                Err(error) => tracing::warn!(
                    "ignoring unusable compiled-component cache entry {}: {error}",
                    path.display()
                ),
            }
        }
        let compiled = engine
            .precompile_component(wasm)
            .map_err(|e| format!("{e:#}"))?;
        if let Some(path) = &entry
            && let Err(error) = store(path, &compiled)
        {
            tracing::warn!(
                "cannot write compiled-component cache entry {}: {error}",
                path.display()
            );
        }
        // SAFETY: `compiled` was produced by this engine a moment ago.
        let component =
            unsafe { Component::deserialize(engine, &compiled) }.map_err(|e| format!("{e:#}"))?;
        Ok((component, false))
    }
}

fn store(path: &std::path::Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| std::io::Error::other("cache entry has no parent"))?;
    std::fs::create_dir_all(dir)?;
    // Write then rename, so a concurrent run never loads half a file.
    let temp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&temp, bytes)?;
    std::fs::rename(&temp, path)
}

fn wasmtime_version() -> &'static str {
    // Pinned in Cargo.toml with `=`; the engine hash covers the rest.
    "48.0.8"
}
