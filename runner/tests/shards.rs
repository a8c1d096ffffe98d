//! Scale-out: N jobs with `--shard K/N` plus `cordon merge` say what one
//! run says, finding for finding, and a merge missing a part refuses to
//! speak.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::*;

/// A repository with tokens spread over many files, a vulnerable lockfile
/// and plain files, all committed.
fn repository(dir: &Path) {
    git(dir, &["init", "-q", "-b", "main"]);
    for index in 0..24 {
        let body = if index % 3 == 0 {
            let random = format!("R2d2C3poBb8Lk4Zq7Xw1Mn6Vt9Y{index:03}");
            format!("token = \"{}\"\n", github_token(&random))
        } else {
            format!("fn f{index}() {{}}\n")
        };
        write_files(dir, &[(&format!("src/file{index}.rs"), &body)]);
    }
    write_files(dir, &[("Cargo.lock", CARGO_LOCK)]);
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "-m", "init"]);
}

fn data_args() -> Vec<String> {
    vec![
        "--advisory-db".into(),
        shared("advisory-db").display().to_string(),
    ]
}

/// (stage, rule, fingerprint) of every finding of a JSON report.
fn finding_keys(report: &serde_json::Value) -> BTreeSet<(String, String, String)> {
    let mut keys = BTreeSet::new();
    for stage in report["stages"].as_array().unwrap() {
        for finding in stage["findings"].as_array().unwrap() {
            keys.insert((
                stage["name"].as_str().unwrap().to_string(),
                finding["rule_id"].as_str().unwrap().to_string(),
                finding["fingerprint"].as_str().unwrap().to_string(),
            ));
        }
    }
    keys
}

fn files_scanned(report: &serde_json::Value) -> Vec<(String, u64)> {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["files_scanned"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn run_with(dir: &Path, extra: &[&str]) -> Run {
    let data = data_args();
    let mut args: Vec<&str> = vec!["run", "."];
    args.extend(data.iter().map(String::as_str));
    args.extend(extra);
    cordon(dir, &args)
}

#[test]
fn three_shards_and_a_merge_equal_one_run() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    repository(&repo);

    let single = run_with(&repo, &[]);
    let single_report = single.report.clone().expect("single run report");
    assert_eq!(single.code, 1, "{}", single.stderr);
    let single_keys = finding_keys(&single_report);
    assert!(
        single_keys.iter().filter(|k| k.0 == "secrets").count() >= 8,
        "{single_keys:#?}"
    );

    let mut parts = Vec::new();
    let mut per_shard = Vec::new();
    for index in 1..=3 {
        let shard = format!("{index}/3");
        let sarif = work.path().join(format!("shard{index}.sarif"));
        let sarif_arg = format!("sarif={}", sarif.display());
        let run = run_with(&repo, &["--shard", &shard, "--report", &sarif_arg]);
        let report = run.report.clone().expect("shard report");
        assert_eq!(report["shard"]["index"], index, "{report:#}");
        assert!(run.code == 0 || run.code == 1, "{}", run.stderr);
        // Each job uploads under a category of its own.
        let sarif: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&sarif).unwrap()).unwrap();
        let ids: Vec<&str> = sarif["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["automationDetails"]["id"].as_str().unwrap())
            .collect();
        assert!(
            ids.iter()
                .all(|id| id.ends_with(&format!("/shard-{index}-of-3/"))),
            "{ids:?}"
        );
        per_shard.push(finding_keys(&report));
        let path = work.path().join(format!("shard{index}.json"));
        std::fs::write(&path, serde_json::to_vec(&report).unwrap()).unwrap();
        parts.push(path);
    }
    // Each file was scanned by one job: no secrets finding is in two shards,
    // and no shard has them all.
    for (i, a) in per_shard.iter().enumerate() {
        for b in &per_shard[i + 1..] {
            let shared_secrets: Vec<_> = a.intersection(b).filter(|k| k.0 == "secrets").collect();
            assert!(shared_secrets.is_empty(), "{shared_secrets:#?}");
        }
        assert!(a.len() < single_keys.len());
    }

    let merged_path = work.path().join("merged.json");
    let sarif_path = work.path().join("merged.sarif");
    let mut merge = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"));
    merge
        .current_dir(work.path())
        .arg("merge")
        .args(&parts)
        .arg("--report")
        .arg(format!("json={}", merged_path.display()))
        .arg("--report")
        .arg(format!("sarif={}", sarif_path.display()))
        .env("NO_COLOR", "1");
    let output = merge.output().unwrap();
    let merged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&merged_path).unwrap()).unwrap();
    assert_eq!(output.status.code(), Some(single.code));
    assert_eq!(finding_keys(&merged), single_keys);
    // Every workspace file was scanned once, so the file counts add up;
    // the audit stage reads each job's own `sbom` artifact, one per shard.
    let without_audit = |report: &serde_json::Value| {
        let mut counts = files_scanned(report);
        counts.retain(|(stage, _)| stage != "audit");
        counts
    };
    assert_eq!(without_audit(&merged), without_audit(&single_report));
    assert!(merged.get("shard").is_none(), "{merged:#}");
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sarif_path).unwrap()).unwrap();
    assert_eq!(
        sarif["runs"][0]["automationDetails"]["id"],
        format!(
            "cordon/{}/",
            single_report["stages"][0]["name"].as_str().unwrap()
        )
    );

    // A part missing, or given twice, and the merge says so and exits 2.
    for broken in [
        vec![&parts[0], &parts[1]],
        vec![&parts[0], &parts[1], &parts[1]],
    ] {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
            .current_dir(work.path())
            .arg("merge")
            .args(broken)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains("3/3 missing") || stderr.contains("given twice"),
            "{stderr}"
        );
    }
}

#[test]
fn a_stage_with_nothing_in_any_shard_is_still_an_error_after_the_merge() {
    let work = tempfile::tempdir().unwrap();
    // An empty workspace: the whole-workspace secrets scan sees no file in
    // any shard.
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    std::fs::write(
        work.path().join("ci.toml"),
        "[stages.secrets]\nplugin = \"builtin:secrets\"\n[stages.secrets.grants]\nread = [\"**\"]\n",
    )
    .unwrap();
    let pipeline = work.path().join("ci.toml").display().to_string();
    let mut parts = Vec::new();
    for index in 1..=2 {
        let shard = format!("{index}/2");
        let run = cordon(
            &repo,
            &["run", ".", "--pipeline", &pipeline, "--shard", &shard],
        );
        // Alone, a part cannot know whether another part had the files.
        assert_eq!(run.state("secrets"), "completed", "{}", run.stderr);
        let path = work.path().join(format!("part{index}.json"));
        std::fs::write(&path, serde_json::to_vec(&run.report.unwrap()).unwrap()).unwrap();
        parts.push(path);
    }
    let merged = work.path().join("merged.json");
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .arg("merge")
        .args(&parts)
        .arg("--report")
        .arg(format!("json={}", merged.display()))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let merged: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&merged).unwrap()).unwrap();
    let status = &merged["stages"][0]["status"];
    assert_eq!(status["state"], "errored", "{status:#}");
    assert!(
        status["message"].as_str().unwrap().contains("read nothing"),
        "{status:#}"
    );
}

/// The notes of one stage of a JSON report.
fn stage_notes(report: &serde_json::Value, stage: &str) -> Vec<String> {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == stage)
        .map(|s| {
            s["notes"]
                .as_array()
                .unwrap()
                .iter()
                .map(|n| n.as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn a_shardable_stage_on_several_cores_finds_what_one_instance_finds() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    repository(&repo);
    // A second commit, so the history scan has commits to split too.
    let token = github_token("Hh7Jj8Kk9Ll0Zz1Xx2Cc3Vv4Bb5Nn6");
    write_files(&repo, &[("later.env", &format!("TOKEN={token}\n"))]);
    git(&repo, &["add", "-A"]);
    git(&repo, &["commit", "-q", "-m", "later"]);

    for extra in [&[][..], &["--git-history"][..], &["--shard", "2/3"][..]] {
        let with = |jobs: &str| {
            let mut args = vec!["--only", "secrets", "--jobs", jobs];
            args.extend_from_slice(extra);
            run_with(&repo, &args)
        };
        let one = with("1");
        let three = with("3");
        let (one_report, three_report) = (one.report.unwrap(), three.report.unwrap());
        assert_eq!(one.code, three.code, "{extra:?}: {}", three.stderr);
        let keys = finding_keys(&one_report);
        if extra.is_empty() {
            assert!(keys.len() >= 9, "{keys:#?}");
        }
        assert_eq!(finding_keys(&three_report), keys, "{extra:?}");
        assert_eq!(
            files_scanned(&three_report),
            files_scanned(&one_report),
            "{extra:?}"
        );
        let notes = stage_notes(&three_report, "secrets");
        assert!(
            notes.iter().any(|n| n.starts_with("ran as 3 instances")),
            "{extra:?}: {notes:?}"
        );
        assert!(
            !stage_notes(&one_report, "secrets")
                .iter()
                .any(|n| n.starts_with("ran as")),
            "{extra:?}"
        );
    }
}

#[test]
fn a_stage_that_writes_an_artifact_runs_as_one_instance() {
    let work = tempfile::tempdir().unwrap();
    let repo = work.path().join("repo");
    std::fs::create_dir(&repo).unwrap();
    repository(&repo);
    let run = run_with(&repo, &["--jobs", "4"]);
    let report = run.report.expect("report");
    for stage in ["models", "sbom", "iac", "audit"] {
        assert!(
            !stage_notes(&report, stage)
                .iter()
                .any(|n| n.starts_with("ran as")),
            "{stage}: {report:#}"
        );
    }
    assert!(
        stage_notes(&report, "secrets")
            .iter()
            .any(|n| n.starts_with("ran as 4 instances"))
    );
    // Without --jobs, 25 files are too few to repay a second instance.
    let automatic = run_with(&repo, &["--only", "secrets"]).report.unwrap();
    assert!(
        !stage_notes(&automatic, "secrets")
            .iter()
            .any(|n| n.starts_with("ran as")),
        "{automatic:#}"
    );
}
