//! Native runs of the stage through the SDK's test harness, against temp
//! directories with real content.

use cordon_sdk::testing::{Harness, Outcome};
use cordon_sdk::{AddedLines, Stage};
use serde_json::json;

use super::Secrets;

// The engine's fake-credential builders: no token is written literally in
// the repository, they are assembled at run time.
#[path = "../../engine/tests/common/fake_tokens.rs"]
mod fake_tokens;

use fake_tokens::{Rng, cat, checksummed};

fn github_token(seed: u64) -> String {
    checksummed(&mut Rng::new(seed), &cat(&["gh", "p_"]))
}

/// Nothing a stage hands to the host may contain `secret`.
fn assert_not_leaked(outcome: &Outcome, secret: &str) {
    let everything = format!(
        "{:?} {:?} {:?} {:?}",
        outcome.findings, outcome.logs, outcome.result, outcome.artifacts
    );
    assert!(
        !everything.contains(secret),
        "raw secret leaked: {everything}"
    );
}

fn property<'a>(finding: &'a cordon_sdk::Finding, key: &str) -> Option<&'a str> {
    finding
        .properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Findings reported without a suppression: what the gate counts.
fn live(outcome: &Outcome) -> Vec<&cordon_sdk::Finding> {
    outcome
        .findings
        .iter()
        .filter(|f| property(f, "suppression-kind").is_none())
        .collect()
}

/// Findings reported as suppressed.
fn suppressed(outcome: &Outcome) -> Vec<&cordon_sdk::Finding> {
    outcome
        .findings
        .iter()
        .filter(|f| property(f, "suppression-kind").is_some())
        .collect()
}

fn path_of(finding: &cordon_sdk::Finding) -> &str {
    &finding.location.as_ref().unwrap().path
}

fn write(dir: &std::path::Path, path: &str, content: impl AsRef<[u8]>) {
    let full = dir.join(path);
    if let Some(parent) = full.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(full, content).unwrap();
}

#[test]
fn describe_lists_every_engine_rule() {
    let info = Secrets::describe();
    assert_eq!(info.name, "secrets");
    assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.rules.len(), cordon_secrets::BUILTIN_RULES.len());
    let pat = info
        .rules
        .iter()
        .find(|r| r.id == "secrets/github-pat")
        .unwrap();
    assert!(!pat.help.is_empty() && pat.full_description != pat.short_description);
    assert!(info.requests.workspace);
    assert!(info.requests.data.is_empty() && info.requests.artifacts_write.is_empty());
}

#[test]
fn finds_a_token_in_a_dotfile_without_leaking_it() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(7);
    write(
        dir.path(),
        ".env",
        format!("# local\nGITHUB_TOKEN={token}\n"),
    );
    write(dir.path(), "src/main.rs", "fn main() {}\n");

    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 2);
    assert_eq!(summary.bytes_scanned, (token.len() + 22 + 13) as u64);
    assert!(summary.skipped.is_empty());
    assert_eq!(outcome.findings.len(), 1, "{:?}", outcome.findings);

    let finding = &outcome.findings[0];
    assert_eq!(finding.rule_id, "secrets/github-pat");
    let location = finding.location.as_ref().unwrap();
    assert_eq!(location.path, ".env");
    assert_eq!(location.commit, None);
    let region = location.region.unwrap();
    assert_eq!((region.start_line, region.start_column), (2, 14));
    assert_eq!(region.end_column, 14 + token.len() as u32);
    assert_eq!(location.byte_offset, Some(8 + 13));
    assert_eq!(finding.fingerprint.len(), 64);
    let snippet = finding.snippet.as_deref().unwrap();
    assert!(snippet.starts_with("GITHUB_TOKEN=ghp_"), "{snippet}");
    assert!(
        finding
            .properties
            .iter()
            .any(|(k, v)| k == "redacted" && v == &format!("ghp_…({} chars)", token.len()))
    );
    assert_not_leaked(&outcome, &token);
    assert_not_leaked(&outcome, &token[4..]);

    // Same content, same fingerprint: stable across runs.
    let again = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    assert_eq!(again.findings[0].fingerprint, finding.fingerprint);
}

#[test]
fn gitignored_files_only_with_include_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(11);
    write(dir.path(), ".gitignore", "secret.txt\n");
    write(dir.path(), "secret.txt", format!("token: {token}\n"));

    let honoured = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    assert_eq!(honoured.summary().files_scanned, 1);
    assert!(honoured.findings.is_empty());

    let included = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"include-ignored": true}));
    assert_eq!(included.summary().files_scanned, 2);
    assert_eq!(included.findings.len(), 1);
    assert_eq!(
        included.findings[0].location.as_ref().unwrap().path,
        "secret.txt"
    );
}

#[test]
fn history_scope_scans_added_lines_per_commit() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(3);
    // The working tree is clean: only history holds the token.
    write(dir.path(), "config.py", "TOKEN = os.environ['TOKEN']\n");
    let added = |commit: &str, lines: Vec<(u32, String)>| AddedLines {
        commit: commit.to_string(),
        author_time: 1_700_000_000,
        path: "config.py".to_string(),
        lines,
    };
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .commit("c1", vec![added("c1", vec![(1, "import os".into())])])
        .commit(
            "c2",
            vec![added("c2", vec![(5, format!("TOKEN = \"{token}\""))])],
        )
        // Re-adding the same secret later is reported once, at c2.
        .commit(
            "c3",
            vec![added("c3", vec![(9, format!("TOKEN = \"{token}\""))])],
        )
        .run::<Secrets>(json!({}));
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 3);
    assert_eq!(outcome.findings.len(), 1, "{:?}", outcome.findings);
    let location = outcome.findings[0].location.as_ref().unwrap();
    assert_eq!(location.commit.as_deref(), Some("c2"));
    assert_eq!(location.path, "config.py");
    assert_eq!(location.region.unwrap().start_line, 5);
    assert_eq!(location.byte_offset, None);
    let finding = &outcome.findings[0];
    assert!(
        finding
            .properties
            .contains(&("author-date".to_string(), "2023-11-14".to_string()))
    );
    assert!(
        finding
            .message
            .ends_with("(added in commit c2 on 2023-11-14)"),
        "{}",
        finding.message
    );
    assert!(summary.notes.iter().any(|n| n.contains("3 commit(s)")));
    assert!(summary.notes.iter().any(|n| n.contains("1 repeated")));
    assert_not_leaked(&outcome, &token);
}

#[test]
fn baseline_suppresses_accepted_findings() {
    let dir = tempfile::tempdir().unwrap();
    let old = github_token(21);
    let new = github_token(22);
    write(dir.path(), "a.env", format!("A={old}\n"));
    let first = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    assert_eq!(first.findings.len(), 1);
    let baseline = json!({"version": 1, "findings": [{
        "fingerprint": first.findings[0].fingerprint,
        "rule-id": "secrets/github-pat",
        "path": "a.env",
    }]});
    write(
        dir.path(),
        ".cordon/secrets-baseline.json",
        baseline.to_string(),
    );
    write(dir.path(), "b.env", format!("B={new}\n"));

    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"baseline": ".cordon/secrets-baseline.json"}));
    let summary = outcome.summary();
    let fresh = live(&outcome);
    assert_eq!(fresh.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(path_of(fresh[0]), "b.env");
    // The accepted one is still reported, marked, at its own severity and
    // after the live one.
    let accepted = suppressed(&outcome);
    assert_eq!(accepted.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(path_of(accepted[0]), "a.env");
    assert_eq!(property(accepted[0], "suppression-kind"), Some("external"));
    assert_eq!(
        property(accepted[0], "suppression-justification"),
        Some("accepted in baseline .cordon/secrets-baseline.json")
    );
    assert_eq!(property(accepted[0], "baseline-state"), Some("unchanged"));
    assert_eq!(accepted[0].severity, fresh[0].severity);
    assert_eq!(path_of(outcome.findings.last().unwrap()), "a.env");
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("1 by the baseline")),
        "{:?}",
        summary.notes
    );
    assert_not_leaked(&outcome, &old);

    // The default baseline file applies without the option; `false` turns it off.
    let by_default = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    assert_eq!(live(&by_default).len(), 1);
    assert_eq!(suppressed(&by_default).len(), 1);
    let off = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"baseline": false}));
    assert_eq!(live(&off).len(), 2);
    assert!(suppressed(&off).is_empty());

    let missing = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"baseline": "nope.json"}));
    assert!(matches!(missing.result, Err(StageError::Failed(m)) if m.contains("nope.json")));
}

#[test]
fn binary_files_are_scanned_and_oversized_and_utf16_files_are_skipped_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "image.bin", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    write(dir.path(), "dump.sql", "x".repeat(2000));
    write(dir.path(), "notes.txt", b"\xff\xfeh\0i\0");
    write(dir.path(), "ok.txt", "hello\n");
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"max-file-bytes": 1000}));
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 2);
    let skipped: Vec<_> = summary
        .skipped
        .iter()
        .map(|s| (s.path.as_str(), s.reason.as_str()))
        .collect();
    assert_eq!(skipped.len(), 2, "{skipped:?}");
    assert_eq!(skipped[0].0, "dump.sql");
    assert!(skipped[0].1.contains("2000 bytes"));
    assert_eq!(skipped[1].0, "notes.txt");
    assert!(skipped[1].1.contains("UTF-16"));
}

#[test]
fn options_are_validated_and_passed_to_the_engine() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(5);
    write(dir.path(), "fixtures/t.txt", format!("t={token}\n"));

    let unknown = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"baseline-path": "x"}));
    assert!(
        matches!(&unknown.result, Err(StageError::InvalidOptions(m)) if m.contains("baseline-path") && m.contains("include-ignored")),
        "{:?}",
        unknown.result
    );
    let wrong_type = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"include-ignored": "yes"}));
    assert!(matches!(
        wrong_type.result,
        Err(StageError::InvalidOptions(_))
    ));
    let bad_rule = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"disabled-rules": ["secrets/nope"]}));
    assert!(
        matches!(&bad_rule.result, Err(StageError::InvalidOptions(m)) if m.contains("secrets/nope"))
    );

    let allowed = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"allow-paths": ["fixtures/**"]}));
    assert!(live(&allowed).is_empty(), "{:#?}", allowed.findings);
    let listed = suppressed(&allowed);
    assert_eq!(listed.len(), 1);
    assert_eq!(property(listed[0], "suppression-kind"), Some("external"));
    assert_eq!(
        property(listed[0], "suppression-justification"),
        Some("path matches allow-paths glob `fixtures/**`")
    );
    assert_eq!(property(listed[0], "baseline-state"), None);
    assert!(
        allowed
            .summary()
            .notes
            .iter()
            .any(|n| n.contains("1 by allow-paths"))
    );

    let null = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(serde_json::Value::Null);
    assert_eq!(null.findings.len(), 1);
}

#[test]
fn finding_cap_stops_emitting_but_not_scanning() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..3 {
        write(
            dir.path(),
            &format!("f{seed}.env"),
            format!("T={}\n", github_token(100 + seed)),
        );
    }
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .max_findings(1)
        .run::<Secrets>(json!({}));
    assert_eq!(outcome.findings.len(), 1);
    let summary = outcome.summary();
    assert_eq!(summary.files_scanned, 3);
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("2 further finding(s)"))
    );
}

use cordon_sdk::StageError;

#[test]
fn author_dates_are_civil_utc_dates() {
    assert_eq!(super::civil_date(0), "1970-01-01");
    assert_eq!(super::civil_date(1_700_000_000), "2023-11-14");
    assert_eq!(super::civil_date(951_782_400), "2000-02-29");
    assert_eq!(super::civil_date(-86_400), "1969-12-31");
}

#[test]
fn default_options_use_the_automaton_built_at_compile_time() {
    // What the host passes for a stage without an options table.
    let options = super::parse_options("{}").unwrap();
    let scanner = cordon_secrets::Scanner::with_prefilter_image(
        options.scanner,
        Some(super::PREFILTER_IMAGE),
    )
    .unwrap();
    assert!(scanner.uses_prefilter_image());
    // Used in place, unchecked at run time: checked here, whole.
    assert!(scanner.prefilter_transitions_in_range());
}

#[test]
fn gitleaksignore_fingerprints_are_honoured_unless_baselines_are_off() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "config/a.env",
        format!("# x\nA={}\n", github_token(31)),
    );
    write(dir.path(), "b.env", format!("B={}\n", github_token(32)));
    write(
        dir.path(),
        ".gitleaksignore",
        "# reviewed\nconfig/a.env:github-pat:2\nnot a fingerprint\n",
    );
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    let summary = outcome.summary();
    let fresh = live(&outcome);
    assert_eq!(fresh.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(path_of(fresh[0]), "b.env");
    let ignored = suppressed(&outcome);
    assert_eq!(ignored.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(path_of(ignored[0]), "config/a.env");
    assert_eq!(property(ignored[0], "suppression-kind"), Some("external"));
    assert!(
        property(ignored[0], "suppression-justification")
            .is_some_and(|j| j.contains(".gitleaksignore")),
        "{:?}",
        ignored[0].properties
    );
    let notes = summary.notes.join("\n");
    assert!(
        notes.contains(".gitleaksignore holds 1 fingerprint(s)"),
        "{notes}"
    );
    assert!(notes.contains("1 line(s) are not fingerprints"), "{notes}");
    assert!(
        notes.contains("1 by the baseline or .gitleaksignore"),
        "{notes}"
    );

    // A policy that forbids repository suppressions sets `baseline = false`.
    let off = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"baseline": false}));
    assert_eq!(live(&off).len(), 2);
    assert!(suppressed(&off).is_empty());
}

#[test]
fn gitleaks_config_adds_rules_and_allowlists_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let key = Rng::new(41).string(b"abcdefghijklmnopqrstuvwxyz0123456789", 24);
    write(dir.path(), "src/a.rb", format!("ACME = acme_live_{key}\n"));
    write(
        dir.path(),
        "fixtures/b.rb",
        format!("ACME = acme_live_{key}\n"),
    );
    write(
        dir.path(),
        ".gitleaks.toml",
        r#"
[extend]
useDefault = true

[[rules]]
id = "acme"
regex = '''acme_live_([a-z0-9]{24})'''
keywords = ["acme_"]

[allowlist]
paths = ['''^fixtures/''']
"#,
    );
    // Not read unless asked.
    let plain = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    assert!(plain.findings.is_empty(), "{:#?}", plain.findings);

    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"gitleaks-config": true}));
    let summary = outcome.summary();
    let fresh = live(&outcome);
    assert_eq!(fresh.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(fresh[0].rule_id, "secrets/gitleaks/acme");
    assert_eq!(path_of(fresh[0]), "src/a.rb");
    // The allow-listed copy is reported as suppressed.
    let allowed = suppressed(&outcome);
    assert_eq!(allowed.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(path_of(allowed[0]), "fixtures/b.rb");
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("1 rule(s) imported"))
    );
    assert_not_leaked(&outcome, &key);

    // With repository suppressions off, the file is not read at all.
    let off = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"gitleaks-config": true, "baseline": false}));
    assert!(off.findings.is_empty());
    assert!(off.summary().notes.iter().any(|n| n.contains("not read")));

    let bad = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"gitleaks-config": 3}));
    assert!(matches!(bad.result, Err(StageError::InvalidOptions(_))));
}

#[test]
fn inline_comments_are_in_source_suppressions_and_report_suppressed_chooses_how() {
    let dir = tempfile::tempdir().unwrap();
    let allowed = github_token(51);
    let other = github_token(52);
    write(
        dir.path(),
        "src/config.rs",
        format!("const A: &str = \"{allowed}\"; // gitleaks:allow\n"),
    );
    write(dir.path(), "b.env", format!("B={other}\n"));

    // Default: marked, at its own severity.
    let marked = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    let listed = suppressed(&marked);
    assert_eq!(listed.len(), 1, "{:#?}", marked.findings);
    assert_eq!(property(listed[0], "suppression-kind"), Some("inSource"));
    assert_eq!(
        property(listed[0], "suppression-justification"),
        Some("inline `gitleaks:allow` on line 1")
    );
    assert_eq!(property(listed[0], "baseline-state"), None);
    assert_eq!(listed[0].severity, live(&marked)[0].severity);
    assert!(!listed[0].message.starts_with("suppressed"));
    assert_not_leaked(&marked, &allowed);

    // `true` (what a policy's report-suppressions sets): marked and at info.
    for option in [json!(true), json!("info")] {
        let info = Harness::new(dir.path())
            .read(&["**"])
            .run::<Secrets>(json!({ "report-suppressed": option }));
        let listed = suppressed(&info);
        assert_eq!(listed.len(), 1, "{:#?}", info.findings);
        assert_eq!(listed[0].severity, cordon_sdk::Severity::Info);
        assert!(listed[0].message.starts_with("suppressed (inline"));
        assert_eq!(property(listed[0], "suppression-kind"), Some("inSource"));
        assert!(property(listed[0], "suppressed-by").is_some());
    }

    // `false`: only logged and counted, as before suppressed findings were kept.
    for option in [json!(false), json!("none")] {
        let hidden = Harness::new(dir.path())
            .read(&["**"])
            .run::<Secrets>(json!({ "report-suppressed": option }));
        assert_eq!(hidden.findings.len(), 1, "{:#?}", hidden.findings);
        assert!(suppressed(&hidden).is_empty());
        assert!(
            hidden
                .summary()
                .notes
                .iter()
                .any(|n| n.contains("1 by `cordon:allow`/`gitleaks:allow` comments"))
        );
    }

    let bad = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"report-suppressed": "loud"}));
    assert!(matches!(bad.result, Err(StageError::InvalidOptions(_))));
}

#[test]
fn refused_suppressions_are_live_findings_not_marked() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(61);
    write(
        dir.path(),
        "src/config.rs",
        format!("const A: &str = \"{token}\"; // cordon:allow\n"),
    );
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"unsuppressible-rules": ["secrets/github-*"]}));
    assert!(suppressed(&outcome).is_empty(), "{:#?}", outcome.findings);
    let refused = live(&outcome);
    assert_eq!(refused.len(), 1);
    assert!(property(refused[0], "suppression-refused").is_some());
}

#[test]
fn suppressed_findings_are_bounded_and_never_displace_live_ones() {
    let dir = tempfile::tempdir().unwrap();
    for seed in 0..3 {
        write(
            dir.path(),
            &format!("a{seed}.env"),
            format!("T={} # cordon:allow\n", github_token(70 + seed)),
        );
    }
    write(dir.path(), "z.env", format!("T={}\n", github_token(80)));
    let bounded = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"max-suppressed-findings": 2}));
    assert_eq!(live(&bounded).len(), 1);
    assert_eq!(suppressed(&bounded).len(), 2);
    assert!(
        bounded
            .summary()
            .notes
            .iter()
            .any(|n| n.contains("1 suppressed finding(s) over max-suppressed-findings (2)")),
        "{:?}",
        bounded.summary().notes
    );

    // The live finding is emitted first, so the host's cap keeps it.
    let capped = Harness::new(dir.path())
        .read(&["**"])
        .max_findings(1)
        .run::<Secrets>(json!({}));
    assert_eq!(capped.findings.len(), 1);
    assert_eq!(path_of(&capped.findings[0]), "z.env");
    assert!(suppressed(&capped).is_empty());
}

fn zip_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in members {
        writer.start_file(*name, options).unwrap();
        writer.write_all(content).unwrap();
    }
    writer.finish().unwrap().into_inner()
}

fn tar_gz_of(members: &[(&str, &[u8])]) -> Vec<u8> {
    use std::io::Write;
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        header.set_cksum();
        builder.append_data(&mut header, name, *content).unwrap();
    }
    let tar = builder.into_inner().unwrap();
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(&tar).unwrap();
    encoder.finish().unwrap()
}

#[test]
fn archive_members_are_scanned_and_located_by_member() {
    let dir = tempfile::tempdir().unwrap();
    let in_jar = github_token(91);
    let in_tar = github_token(92);
    let jar = zip_of(&[
        ("META-INF/MANIFEST.MF", b"Manifest-Version: 1.0\n"),
        (
            "config/app.properties",
            format!("# app\ngithub.token={in_jar}\n").as_bytes(),
        ),
    ]);
    write(dir.path(), "dist/app.jar", &jar);
    // A jar inside a tar.gz: two levels.
    let bundle = tar_gz_of(&[
        ("lib/app.jar", &jar),
        ("etc/.env", format!("TOKEN={in_tar}\n").as_bytes()),
    ]);
    write(dir.path(), "release.tar.gz", &bundle);

    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({}));
    let summary = outcome.summary();
    assert!(summary.skipped.is_empty(), "{:?}", summary.skipped);
    let mut places: Vec<(String, String, u32)> = outcome
        .findings
        .iter()
        .map(|f| {
            let location = f.location.as_ref().unwrap();
            (
                location.path.clone(),
                location.member.clone().unwrap_or_default(),
                location.region.as_ref().map_or(0, |r| r.start_line),
            )
        })
        .collect();
    places.sort();
    assert_eq!(
        places,
        [
            ("dist/app.jar".into(), "config/app.properties".into(), 2),
            ("release.tar.gz".into(), "etc/.env".into(), 1),
            (
                "release.tar.gz".into(),
                "lib/app.jar!/config/app.properties".into(),
                2
            ),
        ]
    );
    // The same secret in two archives is two findings (two fingerprints).
    assert_ne!(
        outcome.findings[0].fingerprint,
        outcome.findings[1].fingerprint
    );
    assert!(
        summary
            .notes
            .iter()
            .any(|n| n.contains("5 member(s) of 2 archive(s) scanned")),
        "{:?}",
        summary.notes
    );
    assert_eq!(summary.files_scanned, 2);
    assert_not_leaked(&outcome, &in_jar);
    assert_not_leaked(&outcome, &in_tar);

    // `archives = false`: the files are scanned as plain (binary) files,
    // so nothing is located in a member.
    let plain = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"archives": false}));
    assert_eq!(plain.summary().files_scanned, 2);
    assert!(
        plain
            .findings
            .iter()
            .all(|f| f.location.as_ref().unwrap().member.is_none()),
        "{:#?}",
        plain.findings
    );
    assert!(
        !plain
            .summary()
            .notes
            .iter()
            .any(|n| n.contains("archive(s)"))
    );
}

#[test]
fn archive_bounds_are_listed_as_skipped_never_silent() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(93);
    let inner = zip_of(&[("deep.env", format!("T={token}\n").as_bytes())]);
    let outer = zip_of(&[("inner.zip", &inner), ("big.txt", &vec![b'a'; 4096])]);
    write(dir.path(), "outer.zip", &outer);

    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"max-archive-depth": 1, "max-file-bytes": 1024}));
    assert!(outcome.findings.is_empty(), "{:#?}", outcome.findings);
    let skipped = &outcome.summary().skipped;
    let paths: Vec<&str> = skipped.iter().map(|s| s.path.as_str()).collect();
    assert_eq!(paths, ["outer.zip!/inner.zip", "outer.zip!/big.txt"]);
    assert!(skipped[0].reason.contains("deeper than 1"));
    assert!(skipped[1].reason.contains("more than 1024 bytes"));

    let bad = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"max-archive-bytes": 0}));
    assert!(matches!(bad.result, Err(StageError::InvalidOptions(_))));
}

#[test]
fn archive_members_honour_allow_paths_and_broken_archives_are_scanned_plain() {
    let dir = tempfile::tempdir().unwrap();
    let token = github_token(94);
    let archive = zip_of(&[("fixtures/t.env", format!("T={token}\n").as_bytes())]);
    write(dir.path(), "test.zip", &archive);
    // Starts like a zip but is not one; its text is still scanned.
    write(
        dir.path(),
        "fake.zip",
        format!("PK\u{3}\u{4} not really\nT={token}\n"),
    );
    let outcome = Harness::new(dir.path())
        .read(&["**"])
        .run::<Secrets>(json!({"allow-paths": ["**/fixtures/**"]}));
    let listed = suppressed(&outcome);
    assert_eq!(listed.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(
        listed[0].location.as_ref().unwrap().member.as_deref(),
        Some("fixtures/t.env")
    );
    let fresh = live(&outcome);
    assert_eq!(fresh.len(), 1, "{:#?}", outcome.findings);
    assert_eq!(path_of(fresh[0]), "fake.zip");
    assert!(
        outcome
            .summary()
            .notes
            .iter()
            .any(|n| n.starts_with("fake.zip: not expanded")),
        "{:?}",
        outcome.summary().notes
    );
    assert_not_leaked(&outcome, &token);
}
