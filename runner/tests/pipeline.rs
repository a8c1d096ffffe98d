//! End to end: real pipelines of real components over real directories
//! and git repositories, checked through the reports and exit codes.

mod common;

use common::*;

#[test]
fn two_example_stages_pass_an_artifact() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            ("Cargo.lock", CARGO_LOCK),
            ("src/lib.rs", "pub fn f() {}\n    // TODO: handle errors\n"),
        ],
    );
    let hello = path_stage(
        "hello",
        "hello-stage",
        "[stages.hello.grants]\nread = [\"src/**\"]\nartifacts = { read = [\"sbom\"], write = [\"hello-report\"] }\n",
    );
    let sbom = "[stages.sbom]\nplugin = \"builtin:sbom\"\n[stages.sbom.grants]\nread = [\"**\"]\nartifacts = { write = [\"sbom\"] }\n[stages.sbom.options]\nreproducible = true\n";
    std::fs::write(dir.path().join("cordon.toml"), format!("{sbom}\n{hello}")).unwrap();
    let sbom_path = dir.path().join("bom.json");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "cordon.toml",
            "--report",
            &format!("cyclonedx={}", sbom_path.display()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.state("sbom"), "completed");
    assert_eq!(run.state("hello"), "completed");
    let todo = run.findings("hello", "hello/todo");
    assert_eq!(todo.len(), 1);
    assert_eq!(todo[0]["location"]["path"], "src/lib.rs");
    assert_eq!(todo[0]["location"]["region"]["start_line"], 2);
    assert_eq!(todo[0]["location"]["region"]["start_column"], 8);
    let report = run.report.as_ref().unwrap();
    let artifacts = report["artifacts"].as_array().unwrap();
    let producer = |name: &str| {
        artifacts
            .iter()
            .find(|a| a["name"] == name)
            .map(|a| a["producer"].clone())
    };
    assert_eq!(producer("sbom"), Some("sbom".into()));
    assert_eq!(producer("hello-report"), Some("hello".into()));
    // The plugin that ran is the one pinned.
    assert_eq!(
        run.stage("hello")["plugin"]["sha256"],
        sha256_file(&guest("hello-stage"))
    );
    assert_eq!(run.stage("hello")["plugin"]["name"], "hello");
    // The artifact hello read is the document written as the cyclonedx report.
    let bom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sbom_path).unwrap()).unwrap();
    assert_eq!(bom["specVersion"], "1.6");
    let names: Vec<&str> = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert!(names.contains(&"smallvec"), "{names:?}");
}

#[test]
fn exit_codes_gate_the_build() {
    let clean = tempfile::tempdir().unwrap();
    write_files(clean.path(), &[("src/main.rs", "fn main() {}\n")]);
    let run = cordon(clean.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);

    let leaky = tempfile::tempdir().unwrap();
    write_files(
        leaky.path(),
        &[(".env", &format!("GITHUB_TOKEN={}\n", fake_github_token()))],
    );
    let run = cordon(leaky.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let severity = run.stage("secrets")["findings"][0]["severity"]
        .as_str()
        .unwrap()
        .to_string();
    let above = match severity.as_str() {
        "critical" => None,
        "high" => Some("critical"),
        other => panic!("a GitHub token reported as {other}"),
    };
    if let Some(threshold) = above {
        let run = cordon(
            leaky.path(),
            &["run", ".", "--only", "secrets", "--fail-on", threshold],
        );
        assert_eq!(run.code, 0, "{}", run.stdout);
    }

    let broken = tempfile::tempdir().unwrap();
    write_files(
        broken.path(),
        &[(
            "cordon.toml",
            "[stages.secrets]\nplugin = \"builtin:secrets\"\ntimeout = \"3s\"\n",
        )],
    );
    let run = cordon(broken.path(), &["run", ".", "--repo-pipeline"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("cordon.toml:3:1: unknown field `timeout`"),
        "{}",
        run.stderr
    );
    assert!(
        run.report.is_none(),
        "a pipeline that does not load runs nothing"
    );

    let run = cordon(clean.path(), &["run", ".", "--only", "nope"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("--only nope: no such stage"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_found_secret_is_never_printed_in_full() {
    let token = fake_github_token();
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (".env", &format!("GITHUB_TOKEN={token}\n")),
            ("config/app.yml", &format!("token: \"{token}\"\n")),
        ],
    );
    let out = dir.path().join("out");
    let reports: Vec<String> = ["sarif", "junit", "text"]
        .iter()
        .map(|f| format!("{f}={}/report.{f}", out.display()))
        .collect();
    let audit = out.join("audit.jsonl");
    let mut args = vec![
        "run",
        ".",
        "--only",
        "secrets",
        "--verbose",
        "--audit-log",
        audit.to_str().unwrap(),
    ];
    for report in &reports {
        args.extend(["--report", report.as_str()]);
    }
    std::fs::create_dir_all(&out).unwrap();
    let run = cordon(dir.path(), &args);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stage("secrets")["findings"].as_array().unwrap().len(),
        2
    );
    let mut outputs = vec![
        ("stdout".to_string(), run.stdout.clone()),
        ("stderr".to_string(), run.stderr.clone()),
    ];
    outputs.push(("json".into(), run.report.as_ref().unwrap().to_string()));
    for entry in std::fs::read_dir(&out).unwrap() {
        let path = entry.unwrap().path();
        outputs.push((
            path.display().to_string(),
            std::fs::read_to_string(&path).unwrap(),
        ));
    }
    for (name, text) in &outputs {
        assert!(!text.contains(&token), "{name} contains the secret");
        assert!(
            !text.contains(&token[4..20]),
            "{name} contains a long piece of the secret"
        );
    }
}

#[test]
fn git_history_and_pre_push_scan_added_lines() {
    let token = fake_github_token();
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write_files(repo, &[("README.md", "hello\n")]);
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "first"]);
    git(repo, &["update-ref", "refs/remotes/origin/main", "HEAD"]);
    write_files(
        repo,
        &[("deploy.sh", &format!("export GITHUB_TOKEN={token}\n"))],
    );
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "oops"]);
    let leaked_in = git(repo, &["rev-parse", "HEAD"]);
    std::fs::remove_file(repo.join("deploy.sh")).unwrap();
    git(repo, &["add", "-A"]);
    git(repo, &["commit", "-q", "-m", "remove it"]);
    let head = git(repo, &["rev-parse", "HEAD"]);

    // The working tree is clean now; history still holds the token.
    let run = cordon(repo, &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let run = cordon(repo, &["run", ".", "--only", "secrets", "--git-history"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    let finding = &run.stage("secrets")["findings"][0];
    assert_eq!(finding["location"]["commit"], leaked_in.as_str());
    assert_eq!(finding["location"]["path"], "deploy.sh");
    assert_eq!(finding["location"]["region"]["start_line"], 1);

    // pre-push sends first..HEAD: the leaking commit is in it.
    let origin = git(repo, &["rev-parse", "origin/main"]);
    let stdin = format!("refs/heads/main {head} refs/heads/main {origin}\n");
    let output = push_hook(repo, &stdin);
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    // A push of only the last commit (the removal) adds no secret.
    let stdin = format!("refs/heads/main {head} refs/heads/main {leaked_in}\n");
    let output = push_hook(repo, &stdin);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
}

fn push_hook(repo: &std::path::Path, stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .current_dir(repo)
        .args([
            "pre-push",
            "origin",
            "https://example.com/r.git",
            "--cache-dir",
        ])
        .arg(cache_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn audit_reads_the_advisory_database_offline() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("Cargo.lock", CARGO_LOCK)]);
    let db = shared("advisory-db");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "audit",
            "--advisory-db",
            db.to_str().unwrap(),
        ],
    );
    assert_eq!(run.state("audit"), "completed", "{}", run.stderr);
    let ids: Vec<&str> = run.stage("audit")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["rule_id"].as_str().unwrap())
        .collect();
    for id in [
        "RUSTSEC-2018-0018",
        "RUSTSEC-2019-0009",
        "RUSTSEC-2019-0012",
        "RUSTSEC-2021-0003",
    ] {
        assert!(ids.contains(&id), "{id} missing from {ids:?}");
    }
    // Every rule a finding uses is described, for SARIF's rules table.
    let rules: Vec<&str> = run.stage("audit")["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(rules.contains(id), "{id} has no rule entry");
    }
    assert_eq!(run.code, 1);

    // Without a database the stage errors: never an empty "no vulnerabilities".
    let run = cordon(dir.path(), &["run", ".", "--only", "audit"]);
    let (kind, message) = run.error("audit");
    assert_eq!(kind, "failed");
    assert!(message.contains("cordon db update"), "{message}");
    assert_eq!(run.code, 2);
}

#[test]
fn a_warm_run_loads_compiled_components_from_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    // A plugin from a path: the built-ins run from code compiled into the
    // binary and never reach the cache.
    let hello = path_stage(
        "hello",
        "hello-stage",
        "[stages.hello.grants]\nread = [\"a.txt\"]\nartifacts = { write = [\"hello-report\"] }\n",
    );
    write_files(
        dir.path(),
        &[("a.txt", "nothing here\n"), ("pipeline.toml", &hello)],
    );
    let cache = dir.path().join("cache");
    let args = [
        "run",
        ".",
        "--pipeline",
        "pipeline.toml",
        "--cache-dir",
        cache.to_str().unwrap(),
    ];
    assert_eq!(cordon(dir.path(), &args).code, 0);
    let compiled: Vec<_> = walk(&cache.join("components"))
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    assert_eq!(compiled.len(), 1, "{compiled:?}");
    let before = std::fs::metadata(&compiled[0]).unwrap().modified().unwrap();
    assert_eq!(cordon(dir.path(), &args).code, 0);
    assert_eq!(
        std::fs::metadata(&compiled[0]).unwrap().modified().unwrap(),
        before,
        "the warm run recompiled"
    );
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(walk(&path))
        } else {
            found.push(path)
        }
    }
    found
}

#[test]
fn a_secrets_baseline_accepts_existing_findings_and_fails_on_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("old.env", &format!("TOKEN={}\n", fake_github_token()))],
    );
    let run = cordon(dir.path(), &["secrets", "baseline", "."]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let baseline: serde_json::Value = serde_json::from_slice(
        &std::fs::read(dir.path().join(".cordon/secrets-baseline.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(baseline["version"], 1);
    assert_eq!(baseline["findings"].as_array().unwrap().len(), 1);
    assert_eq!(baseline["findings"][0]["path"], "old.env");
    assert!(!baseline.to_string().contains(&fake_github_token()));

    let run = cordon(dir.path(), &["run", ".", "--only", "secrets", "--verbose"]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    let notes = run.stage("secrets")["notes"].to_string();
    assert!(notes.contains("1 by the baseline"), "{notes}");
    // --verbose lists what was suppressed, redacted, so nothing hides silently.
    assert!(
        run.stderr.contains(
            "suppressed secrets/github-pat at old.env:1 (fingerprint is in the baseline)"
        ),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains(&fake_github_token()));

    write_files(
        dir.path(),
        &[(
            "new.env",
            &format!("TOKEN={}\n", github_token("Q9w8E7r6T5y4U3i2O1p0AaSsDdFfGg")),
        )],
    );
    let run = cordon(dir.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let suppressed = |f: &&serde_json::Value| {
        f["properties"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p[0] == "suppression-kind")
    };
    let findings = run.stage("secrets")["findings"].as_array().unwrap();
    let live: Vec<&str> = findings
        .iter()
        .filter(|f| !suppressed(f))
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert_eq!(live, vec!["new.env"]);
    // The baselined one is still reported, marked, so code scanning can
    // close its alert; it does not count against the gate.
    let accepted: Vec<&serde_json::Value> = findings.iter().filter(suppressed).collect();
    assert_eq!(accepted.len(), 1, "{findings:#?}");
    assert_eq!(accepted[0]["location"]["path"], "old.env");
    assert!(
        accepted[0]["properties"]
            .to_string()
            .contains("[\"baseline-state\",\"unchanged\"]"),
        "{}",
        accepted[0]
    );
}

#[test]
fn db_update_fetches_with_git_and_the_audit_uses_the_fetched_copy() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = upstream_advisory_db(dir.path());
    let head = git(&upstream, &["rev-parse", "HEAD"]);
    let cache = dir.path().join("cache");
    let workspace = dir.path().join("ws");
    write_files(&workspace, &[("Cargo.lock", CARGO_LOCK)]);

    let update = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "db",
            "update",
            "--url",
            upstream.to_str().unwrap(),
            "--cache-dir",
            cache.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        update.status.success(),
        "{}",
        String::from_utf8_lossy(&update.stderr)
    );
    assert!(String::from_utf8_lossy(&update.stdout).contains(&head));

    let run = cordon_with(&workspace, &["run", ".", "--only", "audit"], |c| {
        c.env("CORDON_CACHE_DIR", &cache);
    });
    assert_eq!(run.state("audit"), "completed", "{}", run.stderr);
    assert!(!run.findings("audit", "RUSTSEC-2019-0009").is_empty());
    // The fetched copy is a git checkout, so its age is known.
    let notes = run.stage("audit")["notes"].to_string();
    assert!(!notes.contains("date of last update unknown"), "{notes}");

    // Its revision names the cached index, so the next run does not even
    // list the database's thousands of files.
    let log = dir.path().join("audit.jsonl");
    let again = cordon_with(
        &workspace,
        &[
            "run",
            ".",
            "--only",
            "audit",
            "--audit-log",
            log.to_str().unwrap(),
        ],
        |c| {
            c.env("CORDON_CACHE_DIR", &cache);
        },
    );
    assert_eq!(
        again.findings("audit", "RUSTSEC-2019-0009").len(),
        run.findings("audit", "RUSTSEC-2019-0009").len()
    );
    let calls = std::fs::read_to_string(&log).unwrap();
    assert!(calls.contains("\"call\":\"cache.get\""), "{calls}");
    assert!(!calls.contains("\"call\":\"data.list-files\""), "{calls}");
}

#[test]
fn the_first_run_fetches_the_advisory_database_and_offline_says_how_to_get_it() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = upstream_advisory_db(dir.path());
    let workspace = dir.path().join("ws");
    write_files(&workspace, &[("Cargo.lock", CARGO_LOCK)]);

    let offline_cache = dir.path().join("offline-cache");
    let offline = cordon_with(&workspace, &["run", ".", "--only", "audit"], |c| {
        c.env("CORDON_CACHE_DIR", &offline_cache);
    });
    assert_eq!(offline.code, 2);
    let (_, message) = offline.error("audit");
    assert!(message.contains("cordon db update"), "{message}");

    let cache = dir.path().join("cache");
    let run = cordon_with(&workspace, &["run", ".", "--only", "audit"], |c| {
        c.env("CORDON_CACHE_DIR", &cache)
            .env_remove("CORDON_OFFLINE")
            .env("CORDON_ADVISORY_DB_URL", &upstream);
    });
    assert!(
        run.stderr
            .contains("fetching the RustSec advisory database"),
        "{}",
        run.stderr
    );
    assert_eq!(run.state("audit"), "completed", "{}", run.stderr);
    assert!(!run.findings("audit", "RUSTSEC-2019-0009").is_empty());
    assert!(cache.join("advisory-db/rustsec/.git").exists());
}

#[test]
fn db_update_fetches_osv_archives_over_http_incrementally_and_the_audit_uses_them() {
    let dir = tempfile::tempdir().unwrap();
    let upstream = upstream_advisory_db(dir.path());
    let mirror = OsvMirror::start(osv_archive(&[(
        "PYSEC-2099-1",
        "examplepkg",
        "2.0",
        "Remote code execution in examplepkg's loader",
    )]));
    let cache = dir.path().join("cache");
    let workspace = dir.path().join("ws");
    write_files(
        &workspace,
        &[(
            "requirements.txt",
            "examplepkg==1.4
",
        )],
    );
    let update = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
            .args(["db", "update", "--url", upstream.to_str().unwrap()])
            .args(["--ecosystem", "pypi", "--osv-archive-url", &mirror.base_url])
            .args(["--cache-dir", cache.to_str().unwrap()])
            .output()
            .unwrap()
    };

    let first = update();
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        first.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert!(stdout.contains("PyPI"), "{stdout}");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args(["db", "status", "--cache-dir", cache.to_str().unwrap()])
        .output()
        .unwrap();
    let status = String::from_utf8_lossy(&status.stdout);
    assert!(status.contains("PyPI"), "{status}");

    let run = cordon_with(&workspace, &["run", ".", "--only", "audit"], |c| {
        c.env("CORDON_CACHE_DIR", &cache);
    });
    assert_eq!(run.state("audit"), "completed", "{}", run.stderr);
    let found = run.findings("audit", "PYSEC-2099-1");
    assert_eq!(found.len(), 1, "{}", run.stdout);
    assert!(
        run.findings("audit", "audit/ecosystem-not-checked")
            .is_empty(),
        "{}",
        run.stdout
    );

    // A second update sends the archive's ETag back and keeps the copy
    // when the mirror answers "not modified".
    let second = update();
    assert!(
        second.status.success(),
        "{}",
        String::from_utf8_lossy(&second.stderr)
    );
    let requests = mirror.requests();
    assert_eq!(requests.len(), 2, "{requests:?}");
    assert!(requests[0].starts_with("GET /PyPI/all.zip"), "{requests:?}");
    assert!(
        requests[1]
            .to_ascii_lowercase()
            .contains("if-none-match: \"v1\""),
        "{requests:?}"
    );
    let again = cordon_with(&workspace, &["run", ".", "--only", "audit"], |c| {
        c.env("CORDON_CACHE_DIR", &cache);
    });
    assert_eq!(again.findings("audit", "PYSEC-2099-1").len(), 1);
}

/// An OSV `all.zip` holding one PyPI advisory per `(id, package, fixed, summary)`.
fn osv_archive(advisories: &[(&str, &str, &str, &str)]) -> Vec<u8> {
    use std::io::Write;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (id, package, fixed, summary) in advisories {
        let record = serde_json::json!({
            "id": id,
            "modified": "2026-11-30T00:00:00Z",
            "summary": summary,
            "affected": [{
                "package": { "ecosystem": "PyPI", "name": package },
                "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": fixed }] }],
            }],
        });
        zip.start_file(
            format!("{id}.json"),
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(record.to_string().as_bytes()).unwrap();
    }
    zip.finish().unwrap().into_inner()
}

/// A local stand-in for OSV's archive bucket: serves `/PyPI/all.zip` with
/// an ETag, answers 304 to a request that sends that ETag back, and keeps
/// each request's head for the test to read.
struct OsvMirror {
    base_url: String,
    requests: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl OsvMirror {
    fn start(archive: Vec<u8>) -> OsvMirror {
        use std::io::{BufRead, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let requests = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = requests.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = std::io::BufReader::new(stream.try_clone().unwrap());
                let mut head = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line.trim().is_empty() {
                        break;
                    }
                    head.push_str(&line);
                }
                let (status, body) = if !head.starts_with("GET /PyPI/all.zip ") {
                    ("404 Not Found", &[][..])
                } else if head.to_ascii_lowercase().contains("if-none-match: \"v1\"") {
                    ("304 Not Modified", &[][..])
                } else {
                    ("200 OK", &archive[..])
                };
                seen.lock().unwrap().push(head);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Length: {}\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = stream.write_all(body);
            }
        });
        OsvMirror { base_url, requests }
    }

    fn requests(&self) -> Vec<String> {
        self.requests.lock().unwrap().clone()
    }
}

/// A git repository holding the advisory snapshot, standing in for the
/// upstream RustSec repository.
fn upstream_advisory_db(dir: &std::path::Path) -> std::path::PathBuf {
    let upstream = dir.join("advisory-db");
    copy_tree(&shared("advisory-db"), &upstream);
    git(&upstream, &["init", "-q", "-b", "main"]);
    git(&upstream, &["add", "."]);
    git(&upstream, &["commit", "-q", "-m", "snapshot"]);
    upstream
}

fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

#[test]
fn source_date_epoch_makes_the_sbom_byte_identical() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("Cargo.lock", CARGO_LOCK)]);
    let bom = |name: &str| {
        let path = dir.path().join(name);
        let run = cordon_with(
            dir.path(),
            &[
                "run",
                ".",
                "--only",
                "sbom",
                "--report",
                &format!("cyclonedx={}", path.display()),
            ],
            |c| {
                c.env("SOURCE_DATE_EPOCH", "1700000000");
            },
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        std::fs::read(path).unwrap()
    };
    let first = bom("a.json");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let second = bom("b.json");
    assert_eq!(first, second, "two runs differ");
    let document: serde_json::Value = serde_json::from_slice(&first).unwrap();
    assert_eq!(document["metadata"]["timestamp"], "2023-11-14T22:13:20Z");
}

#[test]
fn audit_matches_pypi_pins_against_osv_data() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[("app/requirements.txt", "flask==2.3.3\njinja2==2.10\n")],
    );
    let osv = shared("osv/pypi");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "audit",
            "--osv-db",
            osv.to_str().unwrap(),
        ],
    );
    assert_eq!(run.state("audit"), "completed", "{}", run.stderr);
    let jinja: Vec<&serde_json::Value> = run.stage("audit")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule_id"] == "PYSEC-2019-217")
        .collect();
    assert_eq!(jinja.len(), 1, "{:#}", run.stage("audit")["findings"]);
    assert_eq!(jinja[0]["location"]["path"], "app/requirements.txt");
    assert_eq!(jinja[0]["location"]["region"]["start_line"], 2);
    // Only OSV was given: the notes say RustSec was not used.
    assert!(
        run.stage("audit")["notes"].to_string().contains("rustsec"),
        "{}",
        run.stage("audit")["notes"]
    );
}

#[test]
fn the_default_pipeline_matches_a_debian_root_filesystem_by_source_package_and_release() {
    let dir = tempfile::tempdir().unwrap();
    write_files(
        dir.path(),
        &[
            (
                "image/var/lib/dpkg/status",
                "Package: libssl3\nStatus: install ok installed\nSource: openssl\nVersion: 3.0.11-1~deb12u1\n\n\
                 Package: zlib1g\nStatus: install ok installed\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\n",
            ),
            (
                "image/etc/os-release",
                "ID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n",
            ),
        ],
    );
    // OSV's Debian data: one advisory for bookworm's openssl, and the same
    // flaw filed for another release, which must not apply here.
    let osv = dir.path().join("osv");
    let advisory = |id: &str, release: &str, fixed: &str| {
        serde_json::json!({
            "id": id,
            "modified": "2026-11-30T00:00:00Z",
            "summary": "openssl: buffer overread in X.509 name checks",
            "affected": [{
                "package": { "ecosystem": format!("Debian:{release}"), "name": "openssl" },
                "ranges": [{ "type": "ECOSYSTEM", "events": [{ "introduced": "0" }, { "fixed": fixed }] }],
            }],
        })
        .to_string()
    };
    write_files(
        &osv,
        &[
            (
                "Debian/DSA-9001-1.json",
                &advisory("DSA-9001-1", "12", "3.0.11-1~deb12u2"),
            ),
            (
                "Debian/DSA-9002-1.json",
                &advisory("DSA-9002-1", "11", "1.1.1w-0+deb11u9"),
            ),
        ],
    );
    let cyclonedx = dir.path().join("bom.json");
    let run = cordon(
        dir.path(),
        &[
            "run",
            "image",
            "--osv-db",
            osv.to_str().unwrap(),
            "--report",
            &format!("cyclonedx={}", cyclonedx.display()),
        ],
    );
    assert_eq!(run.state("audit"), "completed", "{}", run.stderr);
    // The audit reads the sbom stage's artifact: the purl carries the
    // source package and the release.
    let bom = std::fs::read_to_string(&cyclonedx).unwrap();
    assert!(
        bom.contains("pkg:deb/debian/libssl3@3.0.11-1~deb12u1?distro=debian-12&upstream=openssl"),
        "{bom}"
    );
    let found = run.messages("audit", "DSA-9001-1");
    assert_eq!(found.len(), 1, "{:#}", run.stage("audit"));
    assert!(found[0].contains("libssl3"), "{}", found[0]);
    assert!(found[0].contains("openssl"), "{}", found[0]);
    assert!(run.findings("audit", "DSA-9002-1").is_empty());
}

#[test]
fn crates_io_licences_come_from_the_local_cargo_registry() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = dir.path().join("ws");
    write_files(&workspace, &[("Cargo.lock", CARGO_LOCK)]);
    let lock: toml::Table = toml::from_str(CARGO_LOCK).unwrap();
    let registry_package = lock["package"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p.get("source").is_some())
        .unwrap();
    let (name, version) = (
        registry_package["name"].as_str().unwrap(),
        registry_package["version"].as_str().unwrap(),
    );
    // A cargo home whose sparse-index sources hold the crate's manifest.
    let cargo_home = dir.path().join("cargo-home");
    write_files(
        &cargo_home.join("registry/src/index.crates.io-1949cf8c6b5b557f"),
        &[(
            &format!("{name}-{version}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"{version}\"\nlicense = \"MIT OR Apache-2.0\"\n"
            ),
        )],
    );
    let bom = dir.path().join("bom.json");
    let run = cordon_with(
        &workspace,
        &[
            "run",
            ".",
            "--only",
            "sbom",
            "--report",
            &format!("cyclonedx={}", bom.display()),
        ],
        |c| {
            c.env("CARGO_HOME", &cargo_home);
        },
    );
    assert_eq!(run.state("sbom"), "completed", "{}", run.stderr);
    let document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&bom).unwrap()).unwrap();
    let component = document["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap();
    assert_eq!(
        component["licenses"][0]["expression"], "MIT OR Apache-2.0",
        "{component:#}"
    );
    assert!(
        run.stage("sbom")["notes"]
            .to_string()
            .contains("1 crates.io licence(s) from the local cargo registry"),
        "{}",
        run.stage("sbom")["notes"]
    );
}

#[test]
fn the_installed_hook_stops_a_push_that_adds_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let repo = dir.path().join("work");
    std::fs::create_dir_all(&repo).unwrap();
    git(
        dir.path(),
        &["init", "-q", "--bare", remote.to_str().unwrap()],
    );
    git(&repo, &["init", "-q", "-b", "main"]);
    git(
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    write_files(&repo, &[("README.md", "hello\n")]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);

    let install = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .current_dir(&repo)
        .args(["hook", "install"])
        .output()
        .unwrap();
    assert!(
        install.status.success(),
        "{}",
        String::from_utf8_lossy(&install.stderr)
    );
    let hook = repo.join(".git/hooks/pre-push");
    use std::os::unix::fs::PermissionsExt;
    assert!(std::fs::metadata(&hook).unwrap().permissions().mode() & 0o111 != 0);

    let push = |repo: &std::path::Path| {
        std::process::Command::new("git")
            .current_dir(repo)
            .args(["push", "-q", "origin", "main"])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PATH", path_with_cordon())
            .env("XDG_CONFIG_HOME", config_home())
            .env("CORDON_CACHE_DIR", cache_dir())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let clean = push(&repo);
    assert!(
        clean.status.success(),
        "a clean push was refused: {}",
        String::from_utf8_lossy(&clean.stderr)
    );

    write_files(
        &repo,
        &[(
            "deploy.sh",
            &format!("export GITHUB_TOKEN={}\n", fake_github_token()),
        )],
    );
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "oops"]);
    let leaky = push(&repo);
    assert!(
        !leaky.status.success(),
        "the push with a secret went through"
    );
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&leaky.stdout),
        String::from_utf8_lossy(&leaky.stderr)
    );
    assert!(said.contains("deploy.sh"), "{said}");
    assert!(
        !said.contains(&fake_github_token()),
        "the hook printed the secret"
    );
    // The remote still has only the clean commit.
    let remote_head = git(&remote, &["rev-parse", "main"]);
    assert_ne!(remote_head, git(&repo, &["rev-parse", "HEAD"]));
}
