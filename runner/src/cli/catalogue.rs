//! `cordon rules`, `cordon explain RULE` and `cordon db status`: what the
//! built-in stages check for, and what advisory data a run would use.

use std::process::ExitCode;

use cordon_report::{Rule, Severity};

use super::{DataArgs, Fatal};
use crate::config::PluginSource;
use crate::datasets::{self, DataSetPaths};
use crate::plugins;

/// Every rule of every built-in stage, as `describe()` lists it, plus the
/// runner's own (unscanned files, anomalies). Each stage's rules are
/// learnt from the stage itself, so this list is never out of date.
fn catalogue() -> Result<Vec<(String, Rule)>, Fatal> {
    let mut rules = Vec::new();
    for name in plugins::builtin_names() {
        let plugin = plugins::load(&PluginSource::Builtin(name.to_string()), &[])?;
        let inspection = crate::run::inspect(&plugin).map_err(Fatal)?;
        for rule in inspection.info.rules {
            rules.push((name.to_string(), crate::run::rule_from_wit(rule)));
        }
    }
    rules.push((
        "(runner)".into(),
        Rule {
            id: crate::run::UNSCANNED_RULE.into(),
            short_description: "File could not be scanned".into(),
            full_description: "A stage could not scan this file, so nothing can be said about what it holds.".into(),
            help: "Make the file scannable, leave it out of the stage's `read` grant, or set `unscanned-severity` in the policy.".into(),
            default_severity: Severity::High,
            properties: Vec::new(),
        },
    ));
    rules.extend(
        crate::trust::anomaly::rules()
            .into_iter()
            .map(|rule| ("(runner)".to_string(), rule)),
    );
    Ok(rules)
}

pub fn list(stage: Option<&str>) -> Result<ExitCode, Fatal> {
    let rules = catalogue()?;
    if let Some(stage) = stage
        && !plugins::builtin_names().any(|s| s == stage)
    {
        let known: Vec<&str> = plugins::builtin_names().collect();
        return Err(Fatal(format!(
            "no built-in stage `{stage}` (stages: {})",
            known.join(", ")
        )));
    }
    if stage.is_some_and(|s| !rules.iter().any(|(owner, _)| owner == s)) {
        println!(
            "stage `{}` has no fixed rules: its findings take their rule from what they report (for the audit stage, the advisory id)",
            stage.unwrap_or_default()
        );
    }
    for (owner, rule) in rules
        .iter()
        .filter(|(owner, _)| stage.is_none_or(|s| s == owner))
    {
        println!(
            "{:<10} {:<8} {:<44} {}",
            owner,
            rule.default_severity.as_str(),
            rule.id,
            rule.short_description
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub fn explain(id: &str) -> Result<ExitCode, Fatal> {
    let rules = catalogue()?;
    let Some((owner, rule)) = rules.iter().find(|(_, r)| r.id == id) else {
        let close: Vec<&str> = rules
            .iter()
            .map(|(_, r)| r.id.as_str())
            .filter(|r| r.contains(id) || id.contains(*r))
            .take(5)
            .collect();
        let hint = if close.is_empty() {
            "`cordon rules` lists them all".to_string()
        } else {
            format!("did you mean {}?", close.join(", "))
        };
        return Err(Fatal(format!("no rule `{id}`; {hint}")));
    };
    println!(
        "{} ({}, stage {owner})",
        rule.id,
        rule.default_severity.as_str()
    );
    println!("{}", rule.short_description);
    println!();
    println!("{}", rule.full_description);
    if !rule.help.is_empty() {
        println!();
        println!("What to do: {}", rule.help);
    }
    Ok(ExitCode::SUCCESS)
}

pub fn db_status(common: &DataArgs) -> Result<ExitCode, Fatal> {
    let paths = DataSetPaths {
        advisory_db: common.advisory_db.clone(),
        osv_db: common.osv_db.clone(),
        cache_dir: super::cache_dir(common),
        cargo_home: None,
    };
    use cordon_advisory_sources::{SourceStatus, jiff::Timestamp, osv_status, render_status};
    let now = Timestamp::now();
    let wanted = [datasets::RUSTSEC.to_string(), datasets::OSV.to_string()];
    let mut sources = Vec::new();
    let mut missing = Vec::new();
    for (name, resolved) in paths.resolve(&wanted) {
        match resolved {
            Ok(set) => {
                // A directory of fetched archives lists one line per
                // ecosystem; a git checkout is one line, with its revision.
                let archives = osv_status(&set.root, now).map_err(Fatal)?;
                if archives.is_empty() {
                    let mut source = SourceStatus::git(&name, &set.root, set.updated_at(), now);
                    if let Some(revision) = set.revision() {
                        source.name = format!("{name}@{}", &revision[..revision.len().min(12)]);
                    }
                    sources.push(source);
                } else {
                    sources.extend(archives);
                }
            }
            Err(reason) => missing.push(format!("{name:<8} missing: {reason}")),
        }
    }
    print!("{}", render_status(&sources));
    for line in &missing {
        println!("{line}");
    }
    Ok(if missing.len() == wanted.len() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
