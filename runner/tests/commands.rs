//! The smaller commands, run as a user would: rules, explain, completions,
//! db status, plugin pin, and reports on standard output.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn cordon_plain(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_cordon"))
        .current_dir(dir)
        .args(args)
        .env("XDG_CONFIG_HOME", config_home())
        .env("CORDON_CACHE_DIR", cache_dir())
        .env("CORDON_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn rules_and_explain_come_from_the_stages_themselves() {
    let dir = tempfile::tempdir().unwrap();
    let rules = cordon_plain(dir.path(), &["rules", "--stage", "secrets"]);
    assert!(rules.status.success());
    let listed = stdout(&rules);
    assert!(listed.lines().count() > 50, "{listed}");
    assert!(listed.lines().all(|l| l.starts_with("secrets")), "{listed}");
    assert!(listed.contains("secrets/github-pat"), "{listed}");

    let explained = cordon_plain(dir.path(), &["explain", "secrets/github-pat"]);
    assert!(explained.status.success());
    assert!(
        stdout(&explained).contains("What to do: Revoke"),
        "{}",
        stdout(&explained)
    );

    let unknown = cordon_plain(dir.path(), &["explain", "github-pat"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("did you mean secrets/github-pat"));
    let runner_rules = cordon_plain(dir.path(), &["explain", "cordon/unscanned"]);
    assert!(runner_rules.status.success());
}

#[test]
fn completions_and_db_status() {
    let dir = tempfile::tempdir().unwrap();
    let bash = cordon_plain(dir.path(), &["completions", "bash"]);
    assert!(bash.status.success());
    assert!(stdout(&bash).contains("_cordon()"));
    let db = shared("advisory-db");
    let status = cordon_plain(
        dir.path(),
        &["db", "status", "--advisory-db", db.to_str().unwrap()],
    );
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(stdout(&status).contains("rustsec"), "{}", stdout(&status));
    assert!(
        stdout(&status).contains("osv      missing"),
        "{}",
        stdout(&status)
    );
    let empty = tempfile::tempdir().unwrap();
    let none = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "db",
            "status",
            "--cache-dir",
            empty.path().to_str().unwrap(),
        ])
        .env_remove("CORDON_ADVISORY_DB")
        .env_remove("CORDON_OSV_DB")
        .output()
        .unwrap();
    assert_eq!(
        none.status.code(),
        Some(2),
        "no data at all is not a healthy status"
    );
}

#[test]
fn plugin_pin_writes_the_digest_and_keeps_the_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let wasm = dir.path().join("hello.wasm");
    std::fs::copy(guest("hello-stage"), &wasm).unwrap();
    let pipeline = "# my pipeline\n[stages.hello]\nplugin = \"hello.wasm\" # built by hand\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n";
    std::fs::write(dir.path().join("cordon.toml"), pipeline).unwrap();
    let pinned = cordon_plain(dir.path(), &["plugin", "pin", "hello.wasm"]);
    assert!(
        pinned.status.success(),
        "{}",
        String::from_utf8_lossy(&pinned.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("cordon.toml")).unwrap();
    assert!(text.contains(&sha256_file(&wasm)), "{text}");
    assert!(
        text.contains("# my pipeline") && text.contains("# built by hand"),
        "{text}"
    );
    let other = cordon_plain(dir.path(), &["plugin", "pin", "cordon.toml"]);
    assert_eq!(other.status.code(), Some(2));
}

#[test]
fn a_report_on_standard_output_is_the_whole_output() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("src/lib.rs", "pub fn f() {}\n")]);
    let run = cordon_plain(
        dir.path(),
        &["run", ".", "--only", "secrets", "--report", "json=-"],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&run.stdout).expect("stdout is the JSON report");
    assert_eq!(report["stages"][0]["name"], "secrets");
    assert!(!dir.path().join("-").exists());
    let quiet = cordon_plain(dir.path(), &["run", ".", "--only", "secrets", "-q"]);
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "{quiet:?}"
    );
}

#[test]
fn init_writes_a_pipeline_that_loads_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("Cargo.lock", CARGO_LOCK),
            ("src/lib.rs", "pub fn f() {}\n"),
        ],
    );
    let init = cordon_plain(dir.path(), &["init"]);
    assert!(
        init.status.success(),
        "{}",
        String::from_utf8_lossy(&init.stderr)
    );
    let text = std::fs::read_to_string(dir.path().join("cordon.toml")).unwrap();
    assert!(text.contains("# Found: Rust (Cargo.lock)."), "{text}");
    assert!(text.contains("[stages.secrets]"), "{text}");
    let again = cordon_plain(dir.path(), &["init"]);
    assert_eq!(
        again.status.code(),
        Some(2),
        "init does not overwrite without --force"
    );
    let db = shared("advisory-db");
    let run = cordon_plain(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "cordon.toml",
            "--advisory-db",
            db.to_str().unwrap(),
        ],
    );
    // smallvec 0.6.9 has advisories: the written pipeline really audits.
    assert_eq!(
        run.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
}

/// Progress lines are drawn on a terminal (here a pseudo-terminal from
/// `script`), and never when standard error is a pipe or in CI.
#[test]
fn progress_is_drawn_on_a_terminal_only() {
    let dir = tempfile::tempdir().unwrap();
    for index in 0..40 {
        write_files(
            dir.path(),
            &[(&format!("src/f{index}.txt"), "plain text\n")],
        );
    }
    let command = format!("{} run . --only secrets", env!("CARGO_BIN_EXE_cordon"));
    let on_terminal = |ci: bool| {
        let mut script = Command::new("script");
        script
            .current_dir(dir.path())
            .args(["-qec", &command, "/dev/null"])
            .env("XDG_CONFIG_HOME", config_home())
            .env("CORDON_CACHE_DIR", cache_dir())
            .env("CORDON_OFFLINE", "1")
            .env_remove("CI");
        if ci {
            script.env("CI", "true");
        }
        let output = script.output().unwrap();
        assert!(output.status.success(), "{output:?}");
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let drawn = on_terminal(false);
    assert!(
        drawn.contains("secrets") && drawn.contains(" read, "),
        "{drawn}"
    );
    assert!(drawn.contains(" files ("), "{drawn}");
    let in_ci = on_terminal(true);
    assert!(!in_ci.contains(" read, "), "{in_ci}");
    let piped = cordon_plain(dir.path(), &["run", ".", "--only", "secrets"]);
    assert!(!String::from_utf8_lossy(&piped.stderr).contains(" read, "));
}

fn audit_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("Cargo.lock", CARGO_LOCK)]);
    dir
}

#[test]
fn vex_statements_accept_advisories_the_operator_names() {
    let dir = audit_repo();
    let out = tempfile::tempdir().unwrap();
    let db = shared("advisory-db").display().to_string();
    let args = [
        "run",
        ".",
        "--only",
        "sbom,audit",
        "--advisory-db",
        db.as_str(),
    ];
    let plain = cordon(dir.path(), &args);
    assert!(
        !plain.findings("audit", "RUSTSEC-2019-0009").is_empty(),
        "{}",
        plain.stderr
    );
    assert!(!plain.findings("audit", "RUSTSEC-2018-0018").is_empty());

    let vex = out.path().join("accepted.openvex.json");
    std::fs::write(
        &vex,
        r#"{"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1",
            "author": "Security team", "timestamp": "2026-12-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": "RUSTSEC-2019-0009"},
                            "products": [{"@id": "pkg:cargo/smallvec@0.6.9"}],
                            "status": "not_affected",
                            "justification": "vulnerable_code_not_in_execute_path"}]}"#,
    )
    .unwrap();
    let vex = vex.display().to_string();
    let mut with_vex = args.to_vec();
    with_vex.extend(["--vex", vex.as_str()]);
    let accepted = cordon(dir.path(), &with_vex);
    assert!(
        accepted.findings("audit", "RUSTSEC-2019-0009").is_empty(),
        "{}",
        accepted.stage("audit")
    );
    // Only what the statement names.
    assert!(!accepted.findings("audit", "RUSTSEC-2018-0018").is_empty());

    // A VEX file that is not VEX is an error, not an empty list of statements.
    std::fs::write(out.path().join("bad.json"), "{\"statements\": 3}").unwrap();
    let bad = out.path().join("bad.json").display().to_string();
    let mut with_bad = args.to_vec();
    with_bad.extend(["--vex", bad.as_str()]);
    let refused = cordon(dir.path(), &with_bad);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
}

#[test]
fn spdx_reports_and_sbom_diffs() {
    let dir = audit_repo();
    let out = tempfile::tempdir().unwrap();
    let db = shared("advisory-db").display().to_string();
    let first = out.path().join("first.cdx.json").display().to_string();
    let spdx = out.path().join("bom.spdx.json").display().to_string();
    cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "sbom",
            "--advisory-db",
            db.as_str(),
            "--report",
            &format!("cyclonedx={first}"),
            "--report",
            &format!("spdx={spdx}"),
        ],
    );
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&spdx).expect("the SPDX report")).unwrap();
    assert_eq!(document["spdxVersion"], "SPDX-2.3");
    assert!(
        document["packages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["name"] == "smallvec" && p["versionInfo"] == "0.6.9"),
        "{document:#}"
    );

    // A second lockfile state: smallvec upgraded.
    write_files(
        dir.path(),
        &[("Cargo.lock", &CARGO_LOCK.replace("0.6.9", "0.6.14"))],
    );
    let second = out.path().join("second.cdx.json").display().to_string();
    cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "sbom",
            "--report",
            &format!("cyclonedx={second}"),
        ],
    );
    let diff = cordon_plain(dir.path(), &["sbom", "diff", &first, &second]);
    assert_eq!(diff.status.code(), Some(1), "{diff:?}");
    assert!(
        stdout(&diff).contains("~ smallvec 0.6.9 -> 0.6.14"),
        "{}",
        stdout(&diff)
    );
    let same = cordon_plain(dir.path(), &["sbom", "diff", &first, &first]);
    assert_eq!(same.status.code(), Some(0), "{same:?}");
}
