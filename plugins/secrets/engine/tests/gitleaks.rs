//! gitleaks users keep their setup: `.gitleaksignore` fingerprints and
//! `.gitleaks.toml` rules and allow-lists.

mod common;

use common::fake_tokens::{self, Rng, cat};
use cordon_secrets::{
    ConfigError, GitleaksConfig, GitleaksIgnore, Scanner, ScannerConfig, SuppressionReason,
};
use sha2::{Digest, Sha256};

fn github_token(seed: u64) -> String {
    fake_tokens::checksummed(&mut Rng::new(seed), &cat(&["gh", "p_"]))
}

#[test]
fn gitleaksignore_fingerprints_suppress_their_finding_only() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let text = format!(
        "# settings\nGH={}\nOTHER={}\n",
        github_token(1),
        github_token(2)
    );
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let ignore = GitleaksIgnore::parse(&format!(
        "# reviewed exceptions\nconfig/app.env:github-pat:2\n{}:config/app.env:github-pat:3\n",
        &commit[..7]
    ));
    assert_eq!(ignore.len(), 2);

    // A working-tree scan: only the entry without a commit applies.
    let mut scan = scanner.scan_file("config/app.env", text.as_bytes());
    assert_eq!(scan.findings.len(), 2);
    scan.apply_gitleaks_ignore(&ignore, None);
    assert_eq!(scan.findings.len(), 1);
    assert_eq!(scan.findings[0].region.start_line, 3);
    assert_eq!(
        scan.suppressed[0].reason,
        SuppressionReason::GitleaksIgnore {
            entry: "config/app.env:github-pat:2".into()
        }
    );

    // The commit's own scan: the abbreviated commit covers line 3 as well.
    let mut scan = scanner.scan_file("config/app.env", text.as_bytes());
    scan.apply_gitleaks_ignore(&ignore, Some(commit));
    assert!(scan.findings.is_empty(), "{:#?}", scan.findings);
    assert_eq!(scan.suppressed.len(), 2);

    // Another commit, another path or another rule: not covered.
    let mut scan = scanner.scan_file("config/app.env", text.as_bytes());
    scan.apply_gitleaks_ignore(&ignore, Some("fedcba9876543210"));
    assert_eq!(scan.findings.len(), 1);
    let mut scan = scanner.scan_file("config/other.env", text.as_bytes());
    scan.apply_gitleaks_ignore(&ignore, Some(commit));
    assert_eq!(scan.findings.len(), 2);
    let by_other_rule = GitleaksIgnore::parse("config/app.env:jwt:2\n");
    let mut scan = scanner.scan_file("config/app.env", text.as_bytes());
    scan.apply_gitleaks_ignore(&by_other_rule, None);
    assert_eq!(scan.findings.len(), 2);

    // gitleaks' generic rule id covers Cordon's generic rules.
    let value = Rng::new(3).string(fake_tokens::PASSWORDISH, 20);
    let generic = format!("db_password = \"{value}\"\n");
    let mut scan = scanner.scan_file("app.py", generic.as_bytes());
    assert_eq!(scan.findings.len(), 1);
    scan.apply_gitleaks_ignore(&GitleaksIgnore::parse("app.py:generic-api-key:1"), None);
    assert!(scan.findings.is_empty());
}

const GITLEAKS_TOML: &str = r#"
title = "team rules"

[extend]
useDefault = true
disabledRules = ["jwt", "no-such-rule"]

[[rules]]
id = "acme-api-key"
description = "ACME API key"
regex = '''\bacme_(live|test)_([a-z0-9]{24})\b'''
secretGroup = 2
entropy = 3.0
keywords = ["acme_"]
tags = ["key", "acme"]

[[rules]]
id = "no-keywords"
regex = '''zz[0-9]{8}'''

[[rules]]
id = "scoped"
regex = '''scoped_[a-z0-9]{16}'''
keywords = ["scoped_"]
path = '''\.cfg$'''

[allowlist]
description = "fixtures"
paths = ['''(^|/)fixtures/''']
regexes = ['''^0000''']
stopwords = ["notreal"]
"#;

fn fingerprint(rule: &str, path: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(Sha256::digest(secret.as_bytes()));
    hex::encode(hasher.finalize())
}

#[test]
fn gitleaks_toml_rules_and_allowlists_become_configuration() {
    let imported = GitleaksConfig::from_toml(GITLEAKS_TOML).unwrap();
    let notes = imported.notes.join("\n");
    assert!(notes.contains("`no-such-rule`"), "{notes}");
    assert!(notes.contains("rule `no-keywords`"), "{notes}");
    assert!(notes.contains("rule `scoped`: `path`"), "{notes}");
    assert_eq!(imported.disabled_rules, ["secrets/jwt"]);
    assert_eq!(imported.rules.len(), 2);

    let mut config = ScannerConfig::default();
    imported.apply_to(&mut config);
    let scanner = Scanner::new(config).unwrap();
    let ids: Vec<String> = scanner.rules().into_iter().map(|r| r.id).collect();
    assert!(ids.contains(&"secrets/gitleaks/acme-api-key".to_string()));
    assert!(ids.contains(&"secrets/github-pat".to_string()));
    assert!(!ids.contains(&"secrets/jwt".to_string()));

    // secretGroup 2: the 24 characters, not the whole match.
    let key = Rng::new(5).string(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
    let text = format!("ACME = acme_live_{key}\n");
    let found = scanner.scan_file("src/acme.rb", text.as_bytes());
    let acme: Vec<_> = found
        .findings
        .iter()
        .filter(|f| f.rule_id == "secrets/gitleaks/acme-api-key")
        .collect();
    assert_eq!(acme.len(), 1, "{:#?}", found.findings);
    assert_eq!(
        acme[0].fingerprint,
        fingerprint("secrets/gitleaks/acme-api-key", "src/acme.rb", &key)
    );

    // Allow-list paths are regexes; stopwords and regexes match the secret.
    let found = scanner.scan_file("tests/fixtures/acme.rb", text.as_bytes());
    assert!(found.findings.is_empty());
    assert!(matches!(
        found.suppressed[0].reason,
        SuppressionReason::PathPattern { .. }
    ));
    let stopword = format!("db_password = \"{}notreal\"\n", &key[..12]);
    let found = scanner.scan_file("src/db.py", stopword.as_bytes());
    assert!(found.findings.is_empty(), "{:#?}", found.findings);
    assert!(matches!(
        found.suppressed[0].reason,
        SuppressionReason::ValueAllowlist { .. }
    ));
}

#[test]
fn without_use_default_only_the_files_rules_run() {
    let imported = GitleaksConfig::from_toml(
        "[[rules]]\nid = \"only\"\nregex = '''only_[a-z]{10}'''\nkeywords = [\"only_\"]\n",
    )
    .unwrap();
    let mut config = ScannerConfig::default();
    imported.apply_to(&mut config);
    let scanner = Scanner::new(config).unwrap();
    let ids: Vec<String> = scanner.rules().into_iter().map(|r| r.id).collect();
    assert_eq!(ids, ["secrets/gitleaks/only"]);
}

#[test]
fn malformed_gitleaks_files_are_clear_errors() {
    assert!(matches!(
        GitleaksConfig::from_toml("[[rules]\nid ="),
        Err(ConfigError::Gitleaks(_))
    ));
    assert!(matches!(
        GitleaksConfig::from_toml("[[rules]]\nregex = 'x'\n"),
        Err(ConfigError::Gitleaks(_))
    ));
    // A secretGroup the regex does not have.
    let imported = GitleaksConfig::from_toml(
        "[extend]\nuseDefault = true\n[[rules]]\nid = \"g\"\nregex = '''gg_([a-z]{9})'''\nsecretGroup = 3\nkeywords = [\"gg_\"]\n",
    )
    .unwrap();
    let mut config = ScannerConfig::default();
    imported.apply_to(&mut config);
    assert!(matches!(
        Scanner::new(config),
        Err(ConfigError::InvalidSecretGroup { group: 3, .. })
    ));
    // An ignore file of junk suppresses nothing and says so.
    let ignore = GitleaksIgnore::parse("just words\n:::\nfile:rule:notanumber\n");
    assert!(ignore.is_empty());
    assert_eq!(ignore.invalid_lines().len(), 3);
}

/// Path regexes come only from `.gitleaks.toml` through the API: a
/// pipeline's options cannot set them (the runner strips the allow-list
/// keys it knows when repository suppressions do not count).
#[test]
fn path_patterns_are_not_an_option_key() {
    assert!(ScannerConfig::from_json(r#"{"allow-path-patterns": [".*"]}"#).is_err());
}
