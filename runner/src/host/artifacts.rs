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

impl Host for StageState {
    fn get(&mut self, name: String) -> Result<Artifact, AccessError> {
        let access = &self.artifacts;
        let result = if !access.readable.contains(&name) {
            Err(AccessError::Denied(format!(
                "artifact `{name}` is not granted for reading to this stage"
            )))
        } else {
            match access.store.get(&name) {
                Some(stored) => Ok(Artifact {
                    media_type: stored.media_type,
                    bytes: stored.bytes.as_ref().clone(),
                }),
                None => Err(AccessError::NotFound(format!(
                    "no stage of this run produced artifact `{name}`"
                ))),
            }
        };
        let bytes = result.as_ref().map_or(0, |a| a.bytes.len() as u64);
        self.calls.record("artifacts.get", &name, bytes, result)
    }

    fn put(&mut self, name: String, media_type: String, bytes: Vec<u8>) -> Result<(), AccessError> {
        let access = &self.artifacts;
        let size = bytes.len() as u64;
        let result = if !access.writable.contains(&name) {
            Err(AccessError::Denied(format!(
                "artifact `{name}` is not granted for writing to this stage"
            )))
        } else if size > access.max_bytes {
            Err(AccessError::Limit(format!(
                "artifact `{name}` is {size} bytes, over this stage's max-artifact-bytes of {}",
                access.max_bytes
            )))
        } else {
            access.store.put(
                &name,
                StoredArtifact {
                    media_type,
                    bytes: Arc::new(bytes),
                    producer: access.stage.clone(),
                },
            );
            Ok(())
        };
        self.calls.record("artifacts.put", &name, size, result)
    }
}
