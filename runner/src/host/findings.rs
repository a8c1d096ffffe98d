//! `cordon:stage/findings`: findings go to the host, capped per stage in
//! count and in bytes.
//!
//! At the cap, the list keeps the most severe findings: a stage (or the
//! repository it scans) cannot push a real critical finding out with
//! thousands of low ones planted before it. Reaching the cap is reported
//! and fails the run (see `RunReport::is_incomplete`).

use super::StageState;
use super::bindings::cordon::stage::findings::Host;
use super::bindings::cordon::stage::types::{AccessError, Finding, Rule, Severity};

/// The longest message, snippet or property value one finding may carry;
/// longer ones are cut (a plugin chooses them, and the host keeps them).
const MAX_FIELD_CHARS: usize = 4096;
const MAX_PROPERTIES: usize = 64;

pub struct FindingSink {
    pub findings: Vec<Finding>,
    pub max: usize,
    /// Bytes of findings kept, against `max_bytes`.
    pub bytes: u64,
    pub max_bytes: u64,
    /// Set once a finding was dropped or displaced for the cap.
    pub truncated: bool,
}

impl FindingSink {
    pub fn new(max: usize, max_bytes: u64) -> Self {
        Self {
            findings: Vec::new(),
            max,
            bytes: 0,
            max_bytes,
            truncated: false,
        }
    }

    /// Keeps `finding` if there is room, or if it is more severe than the
    /// least severe one kept (which it displaces). `Err` when it was dropped.
    pub fn offer(&mut self, finding: Finding) -> Result<(), AccessError> {
        let size = finding_bytes(&finding);
        if self.findings.len() < self.max && self.bytes + size <= self.max_bytes {
            self.bytes += size;
            self.findings.push(finding);
            return Ok(());
        }
        // At the cap the weakest finding gives way: a suppressed one before
        // any live one, then the lowest severity. Only a live finding lost
        // makes the list "cut" (and the run incomplete).
        let weakest = self
            .findings
            .iter()
            .enumerate()
            .rev()
            .min_by_key(|(_, f)| rank(f))
            .map(|(i, f)| (i, rank(f)));
        match weakest {
            Some((index, weakest)) if weakest < rank(&finding) => {
                let displaced = std::mem::replace(&mut self.findings[index], finding);
                self.truncated |= !is_suppressed(&displaced);
                self.bytes = self.bytes - finding_bytes(&displaced) + size;
                Ok(())
            }
            _ => {
                self.truncated |= !is_suppressed(&finding);
                Err(AccessError::Limit(format!(
                    "this stage reached its max-findings limit of {} findings or {} bytes",
                    self.max, self.max_bytes
                )))
            }
        }
    }
}

/// A finding its stage marks as suppressed (a baseline, an allow comment):
/// reported, but not counted by the gate. The reports' own test
/// (`cordon_report::Finding::is_suppressed`), on the plugin's finding.
fn is_suppressed(finding: &Finding) -> bool {
    finding.properties.iter().any(|(key, value)| {
        key == cordon_report::SUPPRESSION_KIND_PROPERTY
            && cordon_report::SuppressionKind::parse(value).is_some()
    })
}

/// Suppressed findings rank below every live one, then by severity.
fn rank(finding: &Finding) -> u8 {
    if is_suppressed(finding) {
        return 0;
    }
    1 + match finding.severity {
        Severity::Info => 0,
        Severity::Low => 1,
        Severity::Medium => 2,
        Severity::High => 3,
        Severity::Critical => 4,
    }
}

fn finding_bytes(finding: &Finding) -> u64 {
    let location = finding.location.as_ref().map_or(0, |l| {
        l.path.len()
            + l.member.as_ref().map_or(0, String::len)
            + l.commit.as_ref().map_or(0, String::len)
    });
    let properties: usize = finding
        .properties
        .iter()
        .map(|(k, v)| k.len() + v.len())
        .sum();
    (finding.rule_id.len()
        + finding.message.len()
        + finding.fingerprint.len()
        + finding.snippet.as_ref().map_or(0, String::len)
        + location
        + properties
        + 64) as u64
}

fn cut(text: &mut String) {
    if let Some((index, _)) = text.char_indices().nth(MAX_FIELD_CHARS) {
        text.truncate(index);
        text.push('…');
    }
}

/// Cuts every plugin-chosen field to its size.
fn bounded(mut finding: Finding) -> Finding {
    cut(&mut finding.rule_id);
    cut(&mut finding.message);
    cut(&mut finding.fingerprint);
    if let Some(snippet) = &mut finding.snippet {
        cut(snippet);
    }
    if let Some(location) = &mut finding.location {
        cut(&mut location.path);
        for field in [&mut location.member, &mut location.commit]
            .into_iter()
            .flatten()
        {
            cut(field);
        }
    }
    finding.properties.truncate(MAX_PROPERTIES);
    for (key, value) in &mut finding.properties {
        cut(key);
        cut(value);
    }
    finding
}

/// A rule from a plugin's `describe()`, every field cut to the same sizes
/// as a finding's: its texts and properties reach every report.
pub fn bounded_rule(mut rule: Rule) -> Rule {
    for field in [
        &mut rule.id,
        &mut rule.short_description,
        &mut rule.full_description,
        &mut rule.help,
    ] {
        cut(field);
    }
    rule.properties.truncate(MAX_PROPERTIES);
    for (key, value) in &mut rule.properties {
        cut(key);
        cut(value);
    }
    rule
}

/// The host boundary for one finding a plugin hands over: its location
/// must be a workspace-relative path (normalised here), and every field is
/// cut to size. `Err` says why it is refused. Public so the fuzz targets
/// can drive it with arbitrary findings.
pub fn admit(mut finding: Finding) -> Result<Finding, AccessError> {
    // Reports name files relative to the workspace; a finding that points
    // at `../../etc/passwd` or `/etc/passwd` is refused, not carried into a
    // SARIF URI.
    if let Some(location) = &mut finding.location
        && !location.path.is_empty()
    {
        location.path = cordon_workspace::normalize(&location.path).map_err(|error| {
            AccessError::Denied(format!(
                "finding location must be a workspace-relative path: {error}"
            ))
        })?;
    }
    Ok(bounded(finding))
}

/// One stage's sink, shared by its instances when it runs as several: the
/// cap is the stage's, whatever the instance count.
pub type SharedSink = std::sync::Arc<std::sync::Mutex<FindingSink>>;

/// The sink, even if an instance's thread panicked while holding it.
pub fn lock(sink: &SharedSink) -> std::sync::MutexGuard<'_, FindingSink> {
    sink.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Host for StageState {
    fn emit(&mut self, finding: Finding) -> Result<(), AccessError> {
        let target = crate::host::audit::inert(&finding.rule_id);
        let finding = match admit(finding) {
            Ok(finding) => finding,
            Err(error) => return self.calls.record("findings.emit", &target, 0, Err(error)),
        };
        let mut sink = lock(&self.findings);
        let first_refusal = !sink.truncated;
        let offered = sink.offer(finding);
        drop(sink);
        match offered {
            Ok(()) => self.calls.record("findings.emit", &target, 0, Ok(())),
            // Only the first refusal is logged: a findings flood must not
            // turn into an audit-log flood.
            Err(error) if first_refusal => {
                self.calls.record("findings.emit", &target, 0, Err(error))
            }
            Err(error) => Err(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(severity: Severity, message: &str) -> Finding {
        Finding {
            rule_id: "r".into(),
            severity,
            message: message.into(),
            location: None,
            fingerprint: String::new(),
            snippet: None,
            properties: Vec::new(),
        }
    }

    #[test]
    fn at_the_cap_the_most_severe_findings_are_kept() {
        let mut sink = FindingSink::new(3, u64::MAX);
        for _ in 0..3 {
            sink.offer(finding(Severity::Low, "planted")).unwrap();
        }
        assert!(sink.offer(finding(Severity::Low, "more")).is_err());
        sink.offer(finding(Severity::Critical, "real")).unwrap();
        assert!(sink.truncated);
        assert_eq!(sink.findings.len(), 3);
        assert!(sink.findings.iter().any(|f| f.message == "real"));
    }

    #[test]
    fn suppressed_findings_give_way_to_live_ones_without_cutting_the_list() {
        let suppressed = |severity| Finding {
            properties: vec![("suppression-kind".into(), "external".into())],
            ..finding(severity, "baselined")
        };
        let mut sink = FindingSink::new(2, u64::MAX);
        sink.offer(suppressed(Severity::Critical)).unwrap();
        sink.offer(finding(Severity::Low, "live")).unwrap();
        // A live low pushes out a suppressed critical, and nothing live was lost.
        sink.offer(finding(Severity::Low, "live too")).unwrap();
        assert!(!sink.truncated);
        assert!(sink.findings.iter().all(|f| f.message.starts_with("live")));
        // A suppressed finding with no room is dropped quietly; a live one is not.
        assert!(sink.offer(suppressed(Severity::High)).is_err());
        assert!(!sink.truncated);
        assert!(sink.offer(finding(Severity::Info, "live info")).is_err());
        assert!(sink.truncated);
    }

    #[test]
    fn huge_fields_are_cut_and_bytes_are_capped() {
        let big = "x".repeat(50 << 20);
        let kept = bounded(finding(Severity::High, &big));
        assert!(kept.message.len() < 5000);
        let mut sink = FindingSink::new(1000, 10_000);
        let mut refused = 0;
        for _ in 0..100 {
            if sink.offer(bounded(finding(Severity::High, &big))).is_err() {
                refused += 1;
            }
        }
        assert!(sink.bytes <= 10_000);
        assert!(refused > 90 && sink.truncated);
    }

    #[test]
    fn a_rules_texts_and_properties_are_cut_to_size() {
        let long = "r".repeat(MAX_FIELD_CHARS * 3);
        let rule = bounded_rule(Rule {
            id: long.clone(),
            short_description: long.clone(),
            full_description: long.clone(),
            help: long.clone(),
            default_severity: Severity::Low,
            properties: (0..1000).map(|i| (format!("k{i}"), long.clone())).collect(),
        });
        for field in [
            &rule.id,
            &rule.short_description,
            &rule.full_description,
            &rule.help,
        ] {
            assert!(
                field.chars().count() <= MAX_FIELD_CHARS + 1,
                "cut, with an ellipsis"
            );
        }
        assert_eq!(rule.properties.len(), MAX_PROPERTIES);
        assert!(
            rule.properties
                .iter()
                .all(|(_, v)| v.chars().count() <= MAX_FIELD_CHARS + 1)
        );
    }
}
