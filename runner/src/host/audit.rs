//! The audit log: one JSON line per host call a stage makes, allowed or not.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use cordon_report::DeniedCall;

use super::bindings::cordon::stage::types::AccessError;

/// Shared by every stage of a run; writes only when `--audit-log` is given.
#[derive(Clone, Default)]
pub struct AuditLog {
    file: Option<Arc<Mutex<std::io::BufWriter<std::fs::File>>>>,
}

impl AuditLog {
    pub fn create(path: &Path) -> std::io::Result<AuditLog> {
        let file = std::fs::File::create(path)?;
        Ok(AuditLog {
            file: Some(Arc::new(Mutex::new(std::io::BufWriter::new(file)))),
        })
    }

    fn is_enabled(&self) -> bool {
        self.file.is_some()
    }

    pub fn flush(&self) -> std::io::Result<()> {
        match &self.file {
            Some(file) => file
                .lock()
                .map_err(|_| std::io::Error::other("audit log lock poisoned"))?
                .flush(),
            None => Ok(()),
        }
    }

    fn write(&self, line: &serde_json::Value) {
        let Some(file) = &self.file else { return };
        if let Ok(mut file) = file.lock() {
            // An audit log that cannot be written must not stop the scan; the
            // final flush reports the I/O error.
            let _ = serde_json::to_writer(&mut *file, line);
            let _ = file.write_all(b"\n");
        }
    }
}

/// Records one stage's calls.
pub struct CallRecorder {
    stage: String,
    log: AuditLog,
    pub denied: Vec<DeniedCall>,
}

/// Refusals kept per stage for the report; past this they are only counted
/// in the audit log, so a plugin cannot grow the report without bound.
const MAX_DENIED_KEPT: usize = 100;

impl CallRecorder {
    pub fn new(stage: &str, log: AuditLog) -> Self {
        Self {
            stage: stage.to_string(),
            log,
            denied: Vec::new(),
        }
    }

    /// Records a call and passes its result through.
    pub fn record<T>(
        &mut self,
        call: &str,
        target: &str,
        bytes: u64,
        result: Result<T, AccessError>,
    ) -> Result<T, AccessError> {
        let (outcome, detail) = match &result {
            Ok(_) => ("allowed", None),
            Err(AccessError::Denied(reason)) => {
                if self.denied.len() < MAX_DENIED_KEPT {
                    self.denied.push(DeniedCall {
                        call: call.to_string(),
                        target: target.to_string(),
                        reason: reason.clone(),
                    });
                }
                ("denied", Some(reason.clone()))
            }
            Err(AccessError::NotFound(m)) => ("not-found", Some(m.clone())),
            Err(AccessError::Limit(m)) => ("limit", Some(m.clone())),
            Err(AccessError::Io(m)) => ("error", Some(m.clone())),
        };
        if !self.log.is_enabled() {
            return result;
        }
        self.log.write(&serde_json::json!({
            "time": humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            "stage": self.stage,
            "call": call,
            "target": target,
            "bytes": bytes,
            "outcome": outcome,
            "detail": detail,
        }));
        result
    }
}
