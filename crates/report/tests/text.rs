mod common;

use common::*;
use cordon_report::text::{TextOptions, render};

const PLAIN: TextOptions = TextOptions {
    color: false,
    verbose: false,
};

#[test]
fn plain_summary() {
    let text = render(&sample_report(), &PLAIN);
    let expected = format!(
        "\
secrets     completed  3 findings (1 critical, 1 high, 1 medium)  42 files, 1.2 MiB  1.20s
  CRITICAL secrets/aws-access-key   src/main.rs:10:1  AWS access key id
  HIGH     secrets/github-pat       config/prod env/.env:3:5 (commit 0123456789ab)  {TRICKY_MESSAGE}
  MEDIUM   secrets/generic-api-key  README.md  API key in the README
  could not scan: assets/huge model.bin — larger than max_file_bytes (10 MiB)
  denied: 3 host calls (workspace.read ×2, data.open ×1)
  note: 3 rules disabled by configuration
models      completed  2 findings (1 critical, 1 info)  3 files, 512 B  80ms
  CRITICAL models/pickle-code-execution  models/bundle.zip (byte 1234) (member inner/model.pkl)  pickle opcode GLOBAL imports os.system
  INFO     models/no-inventory           (no location)  no model files found
audit       ERRORED (timeout)  the stage ran longer than 30s  2 findings (1 high, 1 medium)  30.00s
  HIGH     RUSTSEC-2024-0003  artifact:sbom  smallvec 1.6.0: buffer overflow in insert_many
  MEDIUM   PYSEC-2024-0001    (no location)  idna 3.6: denial of service
sbom-check  SKIPPED  stage `audit` it depends on did not complete
custom      ERRORED (plugin)  cannot load plugins/custom.wasm: not a component  no findings  0ms

5 stages, 7 findings (2 critical, 2 high, 2 medium, 1 info), 1 file not scanned, 31.40s
FAIL: stage audit did not complete; stage sbom-check was not run; stage custom did not complete; 4 findings at or above high
"
    );
    assert_eq!(text, expected, "\n{text}");
    assert!(!text.contains('\u{1b}'), "no colour unless asked");
    // Snippets only when verbose.
    assert!(!text.contains("GITHUB_TOKEN"));
}

#[test]
fn verbose_adds_snippets_denied_calls_and_plugins() {
    let text = render(
        &sample_report(),
        &TextOptions {
            color: false,
            verbose: true,
        },
    );
    assert!(text.contains(&format!(
        "  plugin secrets 0.1.0 from builtin:secrets (sha256 {})\n",
        "ab".repeat(8)
    )));
    assert!(text.contains(&format!(
        "  HIGH     secrets/github-pat       config/prod env/.env:3:5 (commit 0123456789ab)  {TRICKY_MESSAGE}\n           | GITHUB_TOKEN=ghp_****************\n"
    )));
    assert!(text.contains("  denied: workspace.read /etc/passwd — outside the workspace\n"));
    assert!(text.contains("  denied: data.open osv — data set not granted\n"));
    assert!(!text.contains("×2"));
}

#[test]
fn verdicts() {
    let mut report = completed_only();
    let text = render(&report, &PLAIN);
    assert!(
        text.ends_with("\nFAIL: 3 findings at or above high\n"),
        "{text}"
    );

    report.fail_on = cordon_report::Severity::Critical;
    for stage in &mut report.stages {
        stage
            .findings
            .retain(|f| f.severity < cordon_report::Severity::Critical);
    }
    let text = render(&report, &PLAIN);
    assert!(
        text.ends_with("\nok: nothing at or above critical\n"),
        "{text}"
    );

    report.fail_on = cordon_report::Severity::Info;
    let text = render(&report, &PLAIN);
    assert!(
        text.ends_with("\nFAIL: 3 findings at or above info\n"),
        "{text}"
    );

    let text = render(&empty_report(), &PLAIN);
    assert_eq!(
        text,
        "0 stages, no findings, 0ms\nok: nothing at or above high\n"
    );
}

#[test]
fn colour_only_when_asked() {
    let report = sample_report();
    let coloured = render(
        &report,
        &TextOptions {
            color: true,
            verbose: false,
        },
    );
    assert!(coloured.contains("\u{1b}["));
    let stripped = strip_ansi(&coloured);
    assert_eq!(stripped, render(&report, &PLAIN));
}

#[test]
fn plugin_text_cannot_drive_the_terminal() {
    let text = render(
        &hostile_report(),
        &TextOptions {
            color: false,
            verbose: true,
        },
    );
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.contains('\u{202E}'));
    assert!(!text.contains('\r'));
    assert!(text.contains("\\u{1b}[2J\\u{1b}[0;0Hok: nothing at or above high\\r\\n"));
    // Every finding is one line, and the real verdict is the last line.
    assert!(
        text.ends_with(
            "FAIL: stage  did not complete; stage weird reached its findings cap; 5 findings at or above info\n"
        ),
        "{text}"
    );
    assert!(text.contains("the finding cap was reached: only the first 5 findings are shown"));
    assert!(text.contains("could not scan:  — \n"));
}

fn strip_ansi(text: &str) -> String {
    let mut out = String::new();
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn next_steps_name_the_fix_the_fingerprint_and_the_commands() {
    let report = sample_report();
    let steps = cordon_report::text::next_steps(&report);
    assert!(steps.starts_with("What to do next:\n"), "{steps}");
    // The worst failing finding first, with its fingerprint and commands.
    let first = steps.lines().nth(1).unwrap();
    assert!(first.contains("CRITICAL"), "{steps}");
    assert!(steps.contains("fingerprint "), "{steps}");
    assert!(
        steps.contains("more: cordon explain secrets/github-pat"),
        "{steps}"
    );
    assert!(steps.contains("cordon secrets baseline"), "{steps}");
    assert!(steps.contains("… and 1 more at or above high"), "{steps}");
    let mut audit_only = sample_report();
    audit_only.stages.retain(|s| s.name == "audit");
    let audit_steps = cordon_report::text::next_steps(&audit_only);
    assert!(
        audit_steps.contains("ignore = [{ id = \"RUSTSEC-2024-0003\""),
        "{audit_steps}"
    );
    assert!(!steps.contains("GITHUB_TOKEN"), "no snippet, no secret");
    let mut clean = completed_only();
    clean.fail_on = cordon_report::Severity::Critical;
    for stage in &mut clean.stages {
        stage
            .findings
            .retain(|f| f.severity < cordon_report::Severity::Critical);
    }
    assert_eq!(cordon_report::text::next_steps(&clean), "");
}

#[test]
fn verbose_shows_what_each_stage_used() {
    let mut report = sample_report();
    report.stages[0].resources = Some(cordon_report::ResourceUse {
        wall_ms: 1200,
        cpu_ms: 900,
        peak_memory_bytes: 64 << 20,
        bytes_read: 3 << 20,
        host_calls: 57,
    });
    let verbose = render(
        &report,
        &TextOptions {
            color: false,
            verbose: true,
        },
    );
    assert!(
        verbose.contains("  resources: 1.20s wall, 900ms cpu, 64.0 MiB peak memory, 3.0 MiB read, 57 host calls\n"),
        "{verbose}"
    );
    assert!(!render(&report, &PLAIN).contains("resources:"));
}

#[test]
fn a_large_run_stays_readable() {
    let mut report = completed_only();
    let secrets = &mut report.stages[0];
    secrets.findings = (0..25)
        .map(|i| {
            let severity = if i < 2 {
                cordon_report::Severity::Critical
            } else {
                cordon_report::Severity::Low
            };
            finding(
                "secrets/generic",
                severity,
                &format!("finding {i}"),
                Some(location(&format!("src/f{i}.rs"))),
            )
        })
        .collect();
    secrets.skipped = (0..259)
        .map(|i| cordon_report::Skipped {
            path: format!("vendor/blob{i}.bin"),
            reason: "binary file".into(),
        })
        .collect();
    secrets.notes = vec!["database is 3 days old".into(); 4];

    let text = render(&report, &PLAIN);
    assert_eq!(text.matches("secrets/generic").count(), 20, "{text}");
    assert!(
        text.contains("  … and 5 more (5 low); --verbose or a --report lists every one\n"),
        "{text}"
    );
    // The worst come first.
    let first = text.find("CRITICAL").unwrap();
    assert!(first < text.find("LOW").unwrap(), "{text}");
    assert!(
        text.contains(
            "  could not scan: 259 files — binary file (e.g. vendor/blob0.bin, vendor/blob1.bin, vendor/blob2.bin, …)\n"
        ),
        "{text}"
    );
    assert_eq!(text.matches("could not scan:").count(), 1, "{text}");
    assert!(
        text.contains("  note: database is 3 days old (×4)\n"),
        "{text}"
    );

    let verbose = render(
        &report,
        &TextOptions {
            color: false,
            verbose: true,
        },
    );
    assert_eq!(verbose.matches("secrets/generic").count(), 25);
    assert_eq!(verbose.matches("could not scan:").count(), 259);
}
