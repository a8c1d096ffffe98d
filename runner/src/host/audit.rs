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
    /// The sha256 of the plugin making the calls.
    plugin: String,
    log: AuditLog,
    pub denied: Vec<DeniedCall>,
    pub usage: Usage,
    /// What the stage reached, for `--audit-baseline`.
    pub profile: crate::trust::anomaly::AccessProfile,
    /// Refused calls written to the audit log so far.
    refusals_logged: u64,
    /// The stage's line on the terminal, if one is drawn.
    pub progress: crate::run::progress::StageProgress,
}

/// What a stage consumed, for the report and the "read nothing" check.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    pub host_calls: u64,
    /// Successful reads of workspace files, artifacts, data sets and commits.
    pub inputs_read: u64,
    pub bytes_read: u64,
    /// Files the stage's workspace listings returned, when it listed any.
    pub files_listed: Option<u64>,
}

impl Usage {
    /// Adds another instance's use of the same stage.
    pub fn absorb(&mut self, other: Usage) {
        self.host_calls += other.host_calls;
        self.inputs_read += other.inputs_read;
        self.bytes_read += other.bytes_read;
        if let Some(listed) = other.files_listed {
            *self.files_listed.get_or_insert(0) += listed;
        }
    }
}

/// Refusals kept per stage for the report; past this they are only counted
/// in the audit log, so a plugin cannot grow the report without bound.
const MAX_DENIED_KEPT: usize = 100;
/// Refused calls written to the audit log per stage. Past this only a count
/// is kept: a plugin looping on denied calls must not grow the log without
/// bound. Allowed calls are always logged (their number is bounded by what
/// the grants let the stage read).
const MAX_REFUSALS_LOGGED: u64 = 10_000;
/// The longest target or detail written for one call; a plugin chooses the
/// arguments of a denied call, so they are cut (and escaped) before logging.
const MAX_ARGUMENT_CHARS: usize = 512;

/// Calls that hand the stage something to scan.
const INPUT_CALLS: &[&str] = &[
    "workspace.read",
    "workspace.read-at",
    "workspace.sha256",
    "artifacts.get",
    "data.read",
    "git.added",
];

/// A plugin-chosen string, safe to log: control characters escaped and cut
/// to [`MAX_ARGUMENT_CHARS`].
pub fn inert(text: &str) -> String {
    let mut out = String::new();
    for (count, c) in text.chars().enumerate() {
        if count == MAX_ARGUMENT_CHARS {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

impl CallRecorder {
    pub fn new(stage: &str, plugin_sha256: &str, log: AuditLog) -> Self {
        Self {
            stage: stage.to_string(),
            plugin: plugin_sha256.to_string(),
            log,
            denied: Vec::new(),
            usage: Usage::default(),
            profile: crate::trust::anomaly::AccessProfile {
                plugin: plugin_sha256.to_string(),
                ..Default::default()
            },
            refusals_logged: 0,
            progress: Default::default(),
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
        self.usage.host_calls += 1;
        let (outcome, detail) = match &result {
            Ok(_) => {
                self.profile.observe(call, target, bytes);
                if call == "workspace.list-files" {
                    *self.usage.files_listed.get_or_insert(0) += bytes;
                }
                if INPUT_CALLS.contains(&call) {
                    self.usage.inputs_read += 1;
                    self.usage.bytes_read += bytes;
                    self.progress.read(target, bytes);
                }
                ("allowed", None)
            }
            Err(AccessError::Denied(reason)) => {
                if self.denied.len() < MAX_DENIED_KEPT {
                    self.denied.push(DeniedCall {
                        call: call.to_string(),
                        target: inert(target),
                        reason: inert(reason),
                    });
                }
                ("denied", Some(reason.as_str()))
            }
            Err(AccessError::NotFound(m)) => ("not-found", Some(m.as_str())),
            Err(AccessError::Limit(m)) => ("limit", Some(m.as_str())),
            Err(AccessError::Io(m)) => ("error", Some(m.as_str())),
        };
        if !self.log.is_enabled() {
            return result;
        }
        if result.is_err() {
            self.refusals_logged += 1;
            if self.refusals_logged > MAX_REFUSALS_LOGGED {
                return result;
            }
        }
        let (target, detail) = if self.refusals_logged == MAX_REFUSALS_LOGGED && result.is_err() {
            (
                String::new(),
                Some(format!(
                    "{MAX_REFUSALS_LOGGED} refused calls logged for this stage; further refusals are not logged"
                )),
            )
        } else {
            (inert(target), detail.map(inert))
        };
        self.log.write(&serde_json::json!({
            "time": humantime::format_rfc3339_millis(SystemTime::now()).to_string(),
            "stage": self.stage,
            "plugin": self.plugin,
            "call": call,
            "target": target,
            "bytes": bytes,
            "outcome": outcome,
            "detail": detail,
        }));
        result
    }
}
