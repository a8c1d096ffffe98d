//! Every rule in `rules/*.toml` proves itself with its own examples: each
//! true positive is reported by that rule at the marked span, each false
//! positive is not reported by it. A rule whose examples do not pass cannot
//! land, and bad data fails here with the rule id named.

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use common::fake_tokens::Rng;
use common::templates::{Expanded, expand};
use cordon_secrets::{BUILTIN_RULES, Finding, Scanner, ScannerConfig};

#[path = "../build/rule_file.rs"]
#[allow(dead_code)]
mod rule_file;

use rule_file::{MatcherName, RuleEntry, read_rule_files};

/// Seeds each example is expanded with, so that a rule passing by the luck
/// of one random draw is unlikely.
const SEEDS: u64 = 3;

fn rules_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn rule_entries() -> Vec<(PathBuf, RuleEntry)> {
    read_rule_files(&rules_dir())
        .unwrap_or_else(|error| panic!("rule files do not parse: {error}"))
        .into_iter()
        .flat_map(|(path, file)| file.rules.into_iter().map(move |rule| (path.clone(), rule)))
        .collect()
}

fn scanner() -> Scanner {
    Scanner::new(ScannerConfig::default()).expect("default configuration compiles")
}

/// 1-based line and column (in characters) of byte `offset`.
fn position(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |n| n + 1);
    let column = before[line_start..].chars().count() + 1;
    (line as u32, column as u32)
}

fn seed_for(rule: &str, example: usize, round: u64) -> u64 {
    let name = rule.bytes().fold(0xcbf2_9ce4_8422_2325u64, |hash, b| {
        (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    name ^ ((example as u64) << 32) ^ round
}

fn describe(findings: &[Finding]) -> String {
    let described: Vec<String> = findings
        .iter()
        .map(|f| format!("{} at {:?} ({})", f.rule_id, f.region, f.redacted))
        .collect();
    format!("[{}]", described.join(", "))
}

#[test]
fn rule_files_are_well_formed() {
    let entries = rule_entries();
    let mut problems = Vec::new();
    let mut ids = HashSet::new();
    for (path, rule) in &entries {
        let file = path.file_name().unwrap_or_default().to_string_lossy();
        let mut problem = |what: &str| problems.push(format!("{file}: {}: {what}", rule.id));
        if !ids.insert(rule.id.clone()) {
            problem("duplicate id");
        }
        let name = rule.id.strip_prefix("secrets/").unwrap_or("");
        if name.is_empty()
            || !name
                .bytes()
                .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-'))
        {
            problem("id must be `secrets/` then lower-case letters, digits and `-`");
        }
        for (field, value) in [
            ("title", &rule.title),
            ("issuer", &rule.issuer),
            ("structure", &rule.structure),
        ] {
            if value.trim().is_empty() {
                problem(&format!("empty {field}"));
            }
        }
        if rule.keywords.is_empty() || rule.keywords.iter().any(|k| k.len() < 2) {
            problem("needs keywords of two or more bytes");
        }
        if !(0.0..=8.0).contains(&rule.min_entropy) {
            problem("min-entropy must be between 0 and 8");
        }
        if rule.true_positives.len() < 2 || rule.false_positives.len() < 2 {
            problem("needs at least two true-positive and two false-positive examples");
        }
        match (rule.matcher, &rule.regex) {
            (MatcherName::Regex, Some(pattern)) => {
                if let Err(error) = regex::bytes::RegexBuilder::new(pattern)
                    .unicode(false)
                    .build()
                {
                    problem(&format!("regex does not compile: {error}"));
                }
            }
            (MatcherName::Regex, None) => problem("regex rule without a regex"),
            (MatcherName::PrivateKeyBlock, Some(_)) => {
                problem("private-key-block rules take no regex")
            }
            (MatcherName::PrivateKeyBlock, None) => {}
        }
        for example in &rule.true_positives {
            match expand(example, &mut Rng::new(1)) {
                Ok(Expanded { secret: None, .. }) if !example.is_empty() => {
                    problem(&format!("true positive {example:?} has no «secret» marker"))
                }
                Ok(_) => {}
                Err(error) => problem(&error),
            }
        }
        for example in &rule.false_positives {
            match expand(example, &mut Rng::new(1)) {
                Ok(Expanded {
                    secret: Some(_), ..
                }) => problem(&format!("false positive {example:?} marks a secret")),
                Ok(_) => {}
                Err(error) => problem(&error),
            }
        }
    }
    for (path, rule) in &entries {
        for target in &rule.overrides {
            if !ids.contains(target) || target == &rule.id {
                problems.push(format!(
                    "{}: {}: overrides unknown rule {target}",
                    path.display(),
                    rule.id
                ));
            }
        }
    }
    // The compiled catalogue is the files, in order.
    let from_files: Vec<&str> = entries.iter().map(|(_, r)| r.id.as_str()).collect();
    let compiled: Vec<&str> = BUILTIN_RULES.iter().map(|r| r.id).collect();
    assert_eq!(
        from_files, compiled,
        "BUILTIN_RULES differs from rules/*.toml"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_rule_reports_its_true_positives_at_the_marked_span() {
    let scanner = scanner();
    let mut problems = Vec::new();
    for (_, rule) in rule_entries() {
        for (index, example) in rule.true_positives.iter().enumerate() {
            for round in 0..SEEDS {
                let mut rng = Rng::new(seed_for(&rule.id, index, round));
                let Ok(Expanded {
                    text,
                    secret: Some(secret),
                }) = expand(example, &mut rng)
                else {
                    problems.push(format!("{}: cannot expand {example:?}", rule.id));
                    continue;
                };
                let scan = scanner.scan_file("src/settings.conf", format!("{text}\n").as_bytes());
                let (end_line, end_column) = position(&text, secret.end);
                let found = scan.findings.iter().any(|f| {
                    f.rule_id == rule.id
                        && f.byte_offset == Some(secret.start as u64)
                        && (f.region.end_line, f.region.end_column) == (end_line, end_column)
                });
                if !found {
                    problems.push(format!(
                        "{}: true positive #{} (seed round {round}) not reported at bytes {secret:?}; found {}",
                        rule.id,
                        index + 1,
                        describe(&scan.findings)
                    ));
                    break;
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn no_rule_reports_its_false_positives() {
    let scanner = scanner();
    let mut problems = Vec::new();
    for (_, rule) in rule_entries() {
        for (index, example) in rule.false_positives.iter().enumerate() {
            for round in 0..SEEDS {
                let mut rng = Rng::new(seed_for(&rule.id, 100 + index, round));
                let Ok(Expanded { text, .. }) = expand(example, &mut rng) else {
                    problems.push(format!("{}: cannot expand {example:?}", rule.id));
                    continue;
                };
                let scan = scanner.scan_file("src/settings.conf", format!("{text}\n").as_bytes());
                if scan.findings.iter().any(|f| f.rule_id == rule.id) {
                    problems.push(format!(
                        "{}: false positive #{} (seed round {round}) reported: {}",
                        rule.id,
                        index + 1,
                        describe(&scan.findings)
                    ));
                    break;
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Cordon scans its own repository: the rule files must give it nothing.
#[test]
fn rule_files_hold_nothing_credential_shaped() {
    let scanner = scanner();
    for (path, _) in read_rule_files(&rules_dir()).expect("rule files parse") {
        let bytes = std::fs::read(&path).expect("rule file is readable");
        let scan = scanner.scan_file("plugins/secrets/engine/rules/x.toml", &bytes);
        assert!(
            scan.findings.is_empty() && scan.suppressed.is_empty(),
            "{}: {}",
            path.display(),
            describe(&scan.findings)
        );
    }
}

#[test]
fn templates_expand_and_mark_the_secret() {
    let mut rng = Rng::new(3);
    let expanded = expand("key = \"«ab{{hex:4}}»\"", &mut rng).unwrap();
    assert_eq!(expanded.text.len(), "key = \"ab0000\"".len());
    assert_eq!(expanded.secret, Some(7..13));
    assert!(expanded.text[9..13].bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(expand("«a", &mut rng).is_err());
    assert!(expand("{{nope:3}}", &mut rng).is_err());
    assert!(expand("{{hex}}", &mut rng).is_err());
    assert_eq!(position("ab\ncd", 4), (2, 2));
}
