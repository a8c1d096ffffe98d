//! `cordon:stage/findings`: findings go to the host, capped per stage.

use super::StageState;
use super::bindings::cordon::stage::findings::Host;
use super::bindings::cordon::stage::types::{AccessError, Finding};

pub struct FindingSink {
    pub findings: Vec<Finding>,
    pub max: usize,
    /// Set once an emit was refused for the cap.
    pub truncated: bool,
}

impl Host for StageState {
    fn emit(&mut self, finding: Finding) -> Result<(), AccessError> {
        let target = finding.rule_id.clone();
        let sink = &mut self.findings;
        if sink.findings.len() >= sink.max {
            let first_refusal = !sink.truncated;
            sink.truncated = true;
            let error = AccessError::Limit(format!(
                "this stage reached its max-findings limit of {}",
                sink.max
            ));
            // Only the first refusal is logged: a findings flood must not
            // turn into an audit-log flood.
            return if first_refusal {
                self.calls.record("findings.emit", &target, 0, Err(error))
            } else {
                Err(error)
            };
        }
        sink.findings.push(finding);
        self.calls.record("findings.emit", &target, 0, Ok(()))
    }
}
