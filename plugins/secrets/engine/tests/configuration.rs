//! Configuration, suppressions, added-lines scanning and baselines.

mod common;

use common::fake_tokens::{self, Rng, cat};
use cordon_secrets::{
    Baseline, BaselineError, ConfigError, Scanner, ScannerConfig, Severity, SuppressionReason,
};

fn github_token(seed: u64) -> String {
    fake_tokens::checksummed(&mut Rng::new(seed), &cat(&["gh", "p_"]))
}

fn scanner_from(json: &str) -> Result<Scanner, ConfigError> {
    Scanner::new(ScannerConfig::from_json(json)?)
}

#[test]
fn options_parse_from_json_with_defaults() {
    let config = ScannerConfig::from_json("").unwrap();
    assert_eq!(config, ScannerConfig::default());
    assert_eq!(
        ScannerConfig::from_json("null").unwrap(),
        ScannerConfig::default()
    );
    let config =
        ScannerConfig::from_json(r#"{"disabled-rules": ["secrets/jwt"], "max-decode-depth": 1}"#)
            .unwrap();
    assert_eq!(config.disabled_rules, vec!["secrets/jwt".to_string()]);
    assert_eq!(config.max_decode_depth, 1);
    assert!(config.inline_allow);
}

#[test]
fn unknown_and_malformed_options_are_rejected_clearly() {
    let error = ScannerConfig::from_json(r#"{"disable-rules": []}"#).unwrap_err();
    assert!(
        error.to_string().contains("unknown field `disable-rules`"),
        "{error}"
    );
    let error = ScannerConfig::from_json(
        r#"{"rules": [{"id": "x", "regex": "a", "keywords": ["abc"], "entropy": 3}]}"#,
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `entropy`"),
        "{error}"
    );
    let error = ScannerConfig::from_json(
        r#"{"rules": [{"id": "x", "regex": "a", "keywords": ["abc"], "severity": "urgent"}]}"#,
    )
    .unwrap_err();
    assert!(error.to_string().contains("urgent"), "{error}");
    assert!(matches!(
        ScannerConfig::from_json("{"),
        Err(ConfigError::Parse(_))
    ));

    let rule = |extra: &str| {
        format!(r#"{{"rules": [{{"id": "acme", "regex": "acme_[a-z]{{8}}"{extra}}}]}}"#)
    };
    assert_eq!(
        scanner_from(&rule(r#", "keywords": []"#)).err(),
        Some(ConfigError::MissingKeywords("secrets/acme".into()))
    );
    assert_eq!(
        scanner_from(&rule(r#", "keywords": ["ac"]"#)).err(),
        Some(ConfigError::MissingKeywords("secrets/acme".into()))
    );
    assert_eq!(
        scanner_from(&rule(r#", "keywords": ["acme_"], "min-entropy": 9"#)).err(),
        Some(ConfigError::InvalidEntropy("secrets/acme".into()))
    );
    let error = scanner_from(
        r#"{"rules": [{"id": "bad", "regex": "(unclosed", "keywords": ["unclosed"]}]}"#,
    )
    .err()
    .unwrap();
    assert!(
        matches!(&error, ConfigError::InvalidRegex { rule, .. } if rule == "secrets/bad"),
        "{error}"
    );
    assert!(error.to_string().contains("secrets/bad"));
    assert_eq!(
        scanner_from(r#"{"rules": [{"id": "github-pat", "regex": "x", "keywords": ["xyz"]}]}"#)
            .err(),
        Some(ConfigError::DuplicateRule("secrets/github-pat".into()))
    );
    assert_eq!(
        scanner_from(r#"{"disabled-rules": ["secrets/no-such-rule"]}"#).err(),
        Some(ConfigError::UnknownRule("secrets/no-such-rule".into()))
    );
    assert!(matches!(
        scanner_from(r#"{"allow-paths": ["a/[b"]}"#),
        Err(ConfigError::InvalidGlob { .. })
    ));
    assert!(matches!(
        scanner_from(r#"{"allow-values": ["(x"]}"#),
        Err(ConfigError::InvalidAllowValue { .. })
    ));
    assert_eq!(
        scanner_from(r#"{"generic-min-entropy": -1}"#).err(),
        Some(ConfigError::InvalidGenericEntropy)
    );
    for bad_id in ["", "secrets/", "Acme Key"] {
        let json = format!(
            r#"{{"rules": [{{"id": "{bad_id}", "regex": "acme", "keywords": ["acme"]}}]}}"#
        );
        assert_eq!(
            scanner_from(&json).err(),
            Some(ConfigError::InvalidRuleId(bad_id.into()))
        );
    }
    // A regex that compiles to a huge program hits the size limit.
    let error = scanner_from(
        r#"{"rules": [{"id": "huge", "regex": "(?:[a-z]{1000}){100}", "keywords": ["huge"]}]}"#,
    )
    .err();
    assert!(
        matches!(error, Some(ConfigError::InvalidRegex { .. })),
        "{error:?}"
    );
}

#[test]
fn custom_rules_run_with_keywords_entropy_and_severity() {
    let scanner = scanner_from(
        r#"{"rules": [{"id": "acme-key", "regex": "acme_(?P<secret>[a-z0-9]{24})\\b",
             "keywords": ["ACME_"], "min-entropy": 3.0, "severity": "critical",
             "description": "ACME deploy key"}]}"#,
    )
    .unwrap();
    let mut rng = Rng::new(3);
    let secret = rng.string(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
    let found = scanner.scan_file("deploy.sh", format!("KEY=acme_{secret}\n").as_bytes());
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    let finding = &found.findings[0];
    assert_eq!(finding.rule_id, "secrets/acme-key");
    assert_eq!(finding.severity, Severity::Critical);
    assert!(finding.message.starts_with("ACME deploy key"));
    assert!(!format!("{found:?}").contains(&secret));
    let low_entropy = scanner.scan_file("deploy.sh", b"KEY=acme_aaaaaaaaaaaabbbbbbbbbbbb\n");
    assert!(low_entropy.findings.is_empty());
    let descriptor = scanner
        .rules()
        .into_iter()
        .find(|r| r.id == "secrets/acme-key")
        .unwrap();
    assert_eq!(descriptor.default_severity, Severity::Critical);
}

#[test]
fn a_prefilter_image_is_used_only_for_the_keywords_it_was_built_for() {
    let image: &'static [u8] = Scanner::default_prefilter_image().leak();
    let token = github_token(11);
    let text = format!("token: {token}\nKEY=acme_k3j5h2g7f9d8s6a4q1w0e2r5\n");

    let plain = Scanner::new(ScannerConfig::default()).unwrap();
    let imaged = Scanner::with_prefilter_image(ScannerConfig::default(), Some(image)).unwrap();
    assert!(imaged.uses_prefilter_image() && !plain.uses_prefilter_image());
    assert!(imaged.prefilter_transitions_in_range());
    let expected = plain.scan_file("a.env", text.as_bytes());
    assert_eq!(expected.findings.len(), 1);
    assert_eq!(imaged.scan_file("a.env", text.as_bytes()), expected);

    // A custom rule adds a keyword: the image no longer fits and the
    // automaton is built, so the custom rule still fires.
    let custom = ScannerConfig::from_json(
        r#"{"rules": [{"id": "acme-key", "regex": "acme_(?P<secret>[a-z0-9]{24})\\b",
             "keywords": ["acme_"], "min-entropy": 3.0}]}"#,
    )
    .unwrap();
    let custom = Scanner::with_prefilter_image(custom, Some(image)).unwrap();
    assert!(!custom.uses_prefilter_image());
    assert_eq!(custom.scan_file("a.env", text.as_bytes()).findings.len(), 2);

    // A damaged image is ignored, not trusted.
    let damaged = &image[..image.len() / 2];
    let scanner = Scanner::with_prefilter_image(ScannerConfig::default(), Some(damaged)).unwrap();
    assert!(!scanner.uses_prefilter_image());
    assert_eq!(scanner.scan_file("a.env", text.as_bytes()), expected);
}

#[test]
fn rule_list_reflects_disabled_rules() {
    let all = Scanner::new(ScannerConfig::default()).unwrap().rules();
    assert!(all.len() >= 40);
    for rule in &all {
        assert!(
            !rule.short_description.is_empty()
                && !rule.full_description.is_empty()
                && !rule.help.is_empty()
        );
    }
    let scanner = scanner_from(r#"{"disabled-rules": ["secrets/github-pat", "jwt"]}"#).unwrap();
    let ids: Vec<String> = scanner.rules().into_iter().map(|r| r.id).collect();
    assert_eq!(ids.len(), all.len() - 2);
    assert!(
        !ids.iter()
            .any(|id| id == "secrets/github-pat" || id == "secrets/jwt")
    );
    let text = format!("t = {}\n", github_token(1));
    assert!(scanner.scan_file("a", text.as_bytes()).findings.is_empty());
}

#[test]
fn suppressions_are_listed_with_reasons() {
    let token = github_token(2);
    let scanner =
        scanner_from(r#"{"allow-paths": ["tests/fixtures/**"], "allow-values": ["^ghp_.{30}"]}"#)
            .unwrap();

    let found = scanner.scan_file("tests/fixtures/a.txt", format!("t = {token}\n").as_bytes());
    assert!(found.findings.is_empty());
    assert_eq!(found.suppressed.len(), 1);
    assert_eq!(
        found.suppressed[0].reason,
        SuppressionReason::PathAllowlist {
            glob: "tests/fixtures/**".into()
        }
    );
    assert!(!format!("{found:?}").contains(&token));

    let found = scanner.scan_file("src/a.txt", format!("t = {token}\n").as_bytes());
    assert_eq!(
        found.suppressed[0].reason,
        SuppressionReason::ValueAllowlist {
            pattern: "^ghp_.{30}".into()
        }
    );
    assert!(
        found.suppressed[0]
            .reason
            .to_string()
            .contains("allow-values")
    );

    let plain = Scanner::new(ScannerConfig::default()).unwrap();
    let same_line = format!("let a = 1;\nt = \"{token}\" // cordon:allow test fixture\n");
    let found = plain.scan_file("src/a.rs", same_line.as_bytes());
    assert!(found.findings.is_empty());
    assert_eq!(
        found.suppressed[0].reason,
        SuppressionReason::InlineAllow {
            line: 2,
            marker: "cordon:allow".into()
        }
    );
    // gitleaks' marker counts the same.
    let gitleaks = format!("t = \"{token}\" # gitleaks:allow\n");
    let found = plain.scan_file("src/a.py", gitleaks.as_bytes());
    assert!(found.findings.is_empty());
    assert_eq!(
        found.suppressed[0].reason.to_string(),
        "inline `gitleaks:allow` on line 1"
    );
    let line_above = format!("# cordon:allow\nt = {token}\nu = {}\n", github_token(3));
    let found = plain.scan_file("src/a.py", line_above.as_bytes());
    assert_eq!(found.suppressed.len(), 1, "only the next line is covered");
    assert_eq!(found.findings.len(), 1);
    assert_eq!(found.findings[0].region.start_line, 3);

    let strict = scanner_from(r#"{"inline-allow": false}"#).unwrap();
    assert_eq!(
        strict
            .scan_file("src/a.rs", same_line.as_bytes())
            .findings
            .len(),
        1
    );
}

#[test]
fn added_lines_keep_caller_line_numbers() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let token = github_token(4);
    let assignment = format!("token = \"{token}\"");
    let mut rng = Rng::new(5);
    let block = fake_tokens::armour("EC PRIVATE KEY", &fake_tokens::der_body(&mut rng, 100), 64);
    let mut lines: Vec<(u32, &str)> = vec![(10, "fn main() {}"), (42, &assignment)];
    lines.extend(
        block
            .lines()
            .enumerate()
            .map(|(i, line)| (100 + i as u32, line)),
    );
    let found = scanner.scan_lines("src/main.rs", &lines);
    assert_eq!(found.findings.len(), 2, "{:#?}", found.findings);
    let pat = &found.findings[0];
    assert_eq!((pat.region.start_line, pat.region.start_column), (42, 10));
    assert_eq!(pat.byte_offset, None);
    let key = &found.findings[1];
    assert_eq!(key.rule_id, "secrets/private-key");
    assert_eq!(key.region.start_line, 100);
    assert_eq!(key.region.end_line, 100 + block.lines().count() as u32 - 1);

    // The same token in a file scan has the same fingerprint (line-free).
    let file = scanner.scan_file("src/main.rs", format!("\n\n{assignment}\n").as_bytes());
    assert_eq!(file.findings[0].fingerprint, pat.fingerprint);

    // `cordon:allow` on the line above only counts when it really is the
    // line above in the new file.
    let gap = [(7, "// cordon:allow"), (9, assignment.as_str())];
    assert_eq!(scanner.scan_lines("a", &gap).findings.len(), 1);
    let adjacent = [(8, "// cordon:allow"), (9, assignment.as_str())];
    assert_eq!(scanner.scan_lines("a", &adjacent).suppressed.len(), 1);
    assert!(scanner.scan_lines("a", &[]).findings.is_empty());
}

#[test]
fn baselines_accept_known_findings_only() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let old = github_token(6);
    let new = github_token(7);
    let before = scanner.scan_file("ci.yml", format!("a: {old}\n").as_bytes());
    let baseline = Baseline::from_findings(&before.findings);
    let json = baseline.to_json();
    assert!(!json.contains(&old), "baseline must not contain the secret");
    let reloaded = Baseline::from_json(&json).unwrap();
    assert_eq!(reloaded, baseline);
    assert_eq!(reloaded.len(), 1);
    let entry = reloaded.entries().next().unwrap();
    assert_eq!(
        (entry.rule_id.as_str(), entry.path.as_str()),
        ("secrets/github-pat", "ci.yml")
    );

    // The old secret moved down a line and a new one was added.
    let mut after = scanner.scan_file("ci.yml", format!("b: {new}\n\na: {old}\n").as_bytes());
    after.apply_baseline(&reloaded);
    assert_eq!(after.findings.len(), 1);
    assert_eq!(after.findings[0].region.start_line, 1);
    assert_eq!(after.suppressed.len(), 1);
    assert_eq!(after.suppressed[0].reason, SuppressionReason::Baseline);

    assert!(matches!(
        Baseline::from_json("{\"version\": 2, \"findings\": []}"),
        Err(BaselineError::UnsupportedVersion(2))
    ));
    assert!(matches!(
        Baseline::from_json("[]"),
        Err(BaselineError::Malformed(_))
    ));
    assert!(matches!(
        Baseline::from_json(r#"{"version": 1, "findings": [{"fingerprint": "x"}]}"#),
        Err(BaselineError::Malformed(_))
    ));
}
