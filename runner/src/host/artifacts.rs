//! `cordon:stage/artifacts`: named artifacts passed between stages, only
//! through the host, only under the names a stage is granted.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use super::StageState;
use super::bindings::cordon::stage::artifacts::{Artifact, Host};
use super::bindings::cordon::stage::types::AccessError;

#[derive(Debug, Clone)]
pub struct StoredArtifact {
    pub media_type: String,
    pub bytes: Arc<Vec<u8>>,
    pub producer: String,
}

/// Every artifact of a run, shared by its stages.
#[derive(Clone, Default)]
pub struct ArtifactStore {
    inner: Arc<Mutex<BTreeMap<String, StoredArtifact>>>,
}

impl ArtifactStore {
    pub fn get(&self, name: &str) -> Option<StoredArtifact> {
        self.inner.lock().ok()?.get(name).cloned()
    }

    pub fn all(&self) -> BTreeMap<String, StoredArtifact> {
        self.inner.lock().map(|m| m.clone()).unwrap_or_default()
    }

    fn put(&self, name: &str, artifact: StoredArtifact) {
        if let Ok(mut map) = self.inner.lock() {
            map.insert(name.to_string(), artifact);
        }
    }
}

pub struct ArtifactAccess {
    pub store: ArtifactStore,
    pub readable: BTreeSet<String>,
    pub writable: BTreeSet<String>,
    pub max_bytes: u64,
    pub stage: String,
}

/// Longest media type a stage may give an artifact (RFC 6838 allows 127
/// characters for each of type and subtype; parameters add a little).
const MAX_MEDIA_TYPE: usize = 255;

impl ArtifactAccess {
    /// What a stage may read: only granted names, only what a stage of this
    /// run produced.
    pub fn get(&self, name: &str) -> Result<Artifact, AccessError> {
        if !self.readable.contains(name) {
            return Err(AccessError::Denied(format!(
                "artifact `{name}` is not granted for reading to this stage"
            )));
        }
        match self.store.get(name) {
            Some(stored) => Ok(Artifact {
                media_type: stored.media_type,
                bytes: stored.bytes.as_ref().clone(),
            }),
            None => Err(AccessError::NotFound(format!(
                "no stage of this run produced artifact `{name}`"
            ))),
        }
    }

    /// The boundary for what a stage hands over: a granted name, a
    /// well-formed media type (it reaches the reports), and a size within
    /// the stage's cap. Only then is the artifact stored.
    pub fn put(&self, name: &str, media_type: &str, bytes: Vec<u8>) -> Result<(), AccessError> {
        let size = bytes.len() as u64;
        if !self.writable.contains(name) {
            return Err(AccessError::Denied(format!(
                "artifact `{name}` is not granted for writing to this stage"
            )));
        }
        if size > self.max_bytes {
            return Err(AccessError::Limit(format!(
                "artifact `{name}` is {size} bytes, over this stage's max-artifact-bytes of {}",
                self.max_bytes
            )));
        }
        if !is_media_type(media_type) {
            return Err(AccessError::Denied(format!(
                "artifact `{name}`: the media type is not of the form type/subtype[; parameter=value] \
                 in at most {MAX_MEDIA_TYPE} printable ASCII characters"
            )));
        }
        self.store.put(
            name,
            StoredArtifact {
                media_type: media_type.to_string(),
                bytes: Arc::new(bytes),
                producer: self.stage.clone(),
            },
        );
        Ok(())
    }
}

/// `type/subtype`, optionally followed by `; name=value` parameters, in
/// printable ASCII (RFC 6838 names; quoted parameter values are refused for
/// simplicity — no built-in or documented artifact uses them).
pub fn is_media_type(text: &str) -> bool {
    fn is_name(part: &str) -> bool {
        !part.is_empty()
            && part.len() <= 127
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b))
    }
    if text.len() > MAX_MEDIA_TYPE {
        return false;
    }
    let mut pieces = text.split(';');
    let essence = pieces.next().unwrap_or_default();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    is_name(kind)
        && is_name(subtype)
        && pieces.all(|parameter| {
            parameter
                .trim_start_matches(' ')
                .split_once('=')
                .is_some_and(|(key, value)| is_name(key) && is_name(value))
        })
}

impl Host for StageState {
    fn get(&mut self, name: String) -> Result<Artifact, AccessError> {
        let result = self.artifacts.get(&name);
        let bytes = result.as_ref().map_or(0, |a| a.bytes.len() as u64);
        self.calls.record("artifacts.get", &name, bytes, result)
    }

    fn put(&mut self, name: String, media_type: String, bytes: Vec<u8>) -> Result<(), AccessError> {
        let size = bytes.len() as u64;
        let result = self.artifacts.put(&name, &media_type, bytes);
        self.calls.record("artifacts.put", &name, size, result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_types_are_checked() {
        for good in [
            "application/json",
            "application/vnd.cyclonedx+json",
            "application/vnd.cyclonedx+json; version=1.6",
            "text/plain;charset=utf-8",
        ] {
            assert!(is_media_type(good), "{good}");
        }
        for bad in [
            "",
            "json",
            "application/",
            "/json",
            "application/json\n\u{1b}[2J",
            "application/json; version",
            "a/b c",
            &format!("application/{}", "x".repeat(300)),
        ] {
            assert!(!is_media_type(bad), "{bad:?}");
        }
    }
}
