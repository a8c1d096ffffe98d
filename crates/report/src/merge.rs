//! `cordon merge`: the reports of a sharded run's N jobs, made into the one
//! report a single run would have written.
//!
//! A merge never says more than the parts did: every part 1..N must be
//! there exactly once, from the same Cordon, the same plugins and the same
//! revision; a stage errored or skipped in any part is errored or skipped
//! in the whole; and a stage that read nothing in every part is an error,
//! as in a single run.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::{
    ErrorKind, Finding, ResourceUse, RunReport, ShardInfo, StageReport, StageStatus,
};

/// The note a stage carries in a part whose slot held nothing for it to
/// read. Alone that is no error (another part may hold its files); in
/// every part it is.
pub const NOTHING_IN_SHARD: &str =
    "this shard held nothing for the stage to read (cordon merge checks that another shard did)";

/// What a stage that read nothing in any part is told, as in a single run.
pub const READ_NOTHING: &str = "the stage read nothing: no file, artifact, data set or commit reached it, so it cannot vouch for anything (check its `read` grant and the workspace)";

/// Merges the parts of one sharded run. `parts` may come in any order.
pub fn merge(mut parts: Vec<RunReport>) -> Result<RunReport, String> {
    check_parts(&parts)?;
    parts.sort_by_key(|part| part.shard.map(|s| s.index));
    let first = &parts[0];
    let mut merged = RunReport {
        schema_version: first.schema_version,
        tool_version: first.tool_version.clone(),
        started_at: parts
            .iter()
            .map(|p| p.started_at.clone())
            .min()
            .unwrap_or_default(),
        duration_ms: parts
            .iter()
            .map(|p| p.duration_ms)
            .max()
            .unwrap_or_default(),
        // The strictest gate any job was run with.
        fail_on: parts
            .iter()
            .map(|p| p.fail_on)
            .min()
            .unwrap_or(first.fail_on),
        version_control: first.version_control.clone(),
        stages: Vec::new(),
        artifacts: parts.iter().flat_map(|p| p.artifacts.clone()).collect(),
        shard: None,
    };
    for name in first.stages.iter().map(|s| s.name.clone()) {
        let pieces: Vec<(ShardInfo, &StageReport)> = parts
            .iter()
            .map(|part| {
                let shard = part.shard.unwrap_or(ShardInfo { index: 1, count: 1 });
                part.stages
                    .iter()
                    .find(|s| s.name == name)
                    .map(|stage| (shard, stage))
                    .ok_or_else(|| {
                        format!(
                            "shard {}/{} has no stage `{name}`",
                            shard.index, shard.count
                        )
                    })
            })
            .collect::<Result<_, _>>()?;
        merged.stages.push(merge_stage(&pieces)?);
    }
    Ok(merged)
}

fn check_parts(parts: &[RunReport]) -> Result<(), String> {
    let Some(first) = parts.first() else {
        return Err("no reports to merge".into());
    };
    let Some(ShardInfo { count, .. }) = first.shard else {
        return Err("the first report is not from a sharded run (`cordon run --shard K/N`)".into());
    };
    let mut seen = BTreeSet::new();
    for part in parts {
        let Some(shard) = part.shard else {
            return Err("a report is not from a sharded run (`cordon run --shard K/N`)".into());
        };
        if shard.count != count {
            return Err(format!(
                "shard {}/{} does not belong with shards of {count}",
                shard.index, shard.count
            ));
        }
        if !seen.insert(shard.index) {
            return Err(format!("shard {}/{count} is given twice", shard.index));
        }
        if part.tool_version != first.tool_version || part.schema_version != first.schema_version {
            return Err(format!(
                "shard {}/{count} was written by Cordon {} and another by {}: run every shard with one version",
                shard.index, part.tool_version, first.tool_version
            ));
        }
        let revision = |r: &RunReport| r.version_control.as_ref().map(|v| v.revision.clone());
        if revision(part) != revision(first) {
            return Err(format!(
                "shard {}/{count} scanned another revision than the others",
                shard.index
            ));
        }
        let names = |r: &RunReport| r.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
        if names(part) != names(first) {
            return Err(format!(
                "shard {}/{count} ran other stages than the others ({:?} and {:?})",
                shard.index,
                names(part),
                names(first)
            ));
        }
    }
    let missing: Vec<String> = (1..=count)
        .filter(|index| !seen.contains(index))
        .map(|index| format!("{index}/{count}"))
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "shard(s) {} missing: a merge without every part could report a clean scan of files nobody scanned",
            missing.join(", ")
        ));
    }
    Ok(())
}

fn merge_stage(pieces: &[(ShardInfo, &StageReport)]) -> Result<StageReport, String> {
    let (_, first) = pieces[0];
    let digest = |stage: &StageReport| stage.plugin.as_ref().map(|p| p.sha256.clone());
    if let Some((shard, _)) = pieces.iter().find(|(_, s)| digest(s) != digest(first)) {
        return Err(format!(
            "stage `{}` ran another plugin in shard {}/{} than in the others",
            first.name, shard.index, shard.count
        ));
    }
    let mut rules = BTreeMap::new();
    let mut findings: BTreeMap<(String, String), Finding> = BTreeMap::new();
    let mut merged = StageReport {
        plugin: first.plugin.clone(),
        ..StageReport::new(&first.name)
    };
    let mut read_something = false;
    for (shard, stage) in pieces {
        for rule in &stage.rules {
            rules.entry(rule.id.clone()).or_insert_with(|| rule.clone());
        }
        for finding in &stage.findings {
            // The same fingerprint from two parts is one finding (a file
            // read by one stage for another's sake, say).
            findings
                .entry((finding.rule_id.clone(), finding.fingerprint.clone()))
                .or_insert_with(|| finding.clone());
        }
        merged.findings_truncated |= stage.findings_truncated;
        merged.files_scanned += stage.files_scanned;
        merged.bytes_scanned += stage.bytes_scanned;
        merged.skipped.extend(stage.skipped.iter().cloned());
        merged.denied.extend(stage.denied.iter().cloned());
        for note in &stage.notes {
            if note != NOTHING_IN_SHARD && !merged.notes.contains(note) {
                merged.notes.push(note.clone());
            }
        }
        read_something |= !stage.notes.iter().any(|n| n == NOTHING_IN_SHARD);
        merged.duration_ms = merged.duration_ms.max(stage.duration_ms);
        merged.resources = add_resources(merged.resources, stage.resources);
        merged.status = worse(merged.status, &stage.status, *shard);
    }
    if !read_something && merged.status.is_completed() {
        merged.status = StageStatus::Errored {
            kind: ErrorKind::Failed,
            message: READ_NOTHING.into(),
        };
    }
    merged.rules = rules.into_values().collect();
    let mut findings: Vec<Finding> = findings.into_values().collect();
    findings.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| position(a).cmp(&position(b)))
            .then_with(|| a.rule_id.cmp(&b.rule_id))
    });
    merged.findings = findings;
    merged.skipped.sort_by(|a, b| a.path.cmp(&b.path));
    merged.skipped.dedup_by(|a, b| a.path == b.path);
    Ok(merged)
}

fn position(finding: &Finding) -> (String, u32, u32) {
    finding
        .location
        .as_ref()
        .map_or_else(Default::default, |l| {
            let (line, column) = l.region.map_or((0, 0), |r| (r.start_line, r.start_column));
            (l.path.clone(), line, column)
        })
}

/// Errored beats skipped beats completed; the first error met is kept,
/// naming its shard.
fn worse(current: StageStatus, next: &StageStatus, shard: ShardInfo) -> StageStatus {
    let rank = |status: &StageStatus| match status {
        StageStatus::Completed => 0,
        StageStatus::Skipped { .. } => 1,
        StageStatus::Errored { .. } => 2,
    };
    if rank(next) <= rank(&current) {
        return current;
    }
    let part = format!("shard {}/{}: ", shard.index, shard.count);
    match next {
        StageStatus::Errored { kind, message } => StageStatus::Errored {
            kind: *kind,
            message: format!("{part}{message}"),
        },
        StageStatus::Skipped { reason } => StageStatus::Skipped {
            reason: format!("{part}{reason}"),
        },
        StageStatus::Completed => StageStatus::Completed,
    }
}

fn add_resources(a: Option<ResourceUse>, b: Option<ResourceUse>) -> Option<ResourceUse> {
    match (a, b) {
        (Some(a), Some(b)) => Some(ResourceUse {
            wall_ms: a.wall_ms.max(b.wall_ms),
            cpu_ms: a.cpu_ms + b.cpu_ms,
            peak_memory_bytes: a.peak_memory_bytes.max(b.peak_memory_bytes),
            bytes_read: a.bytes_read + b.bytes_read,
            host_calls: a.host_calls + b.host_calls,
        }),
        (a, b) => a.or(b),
    }
}
