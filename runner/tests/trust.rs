//! A hostile repository, pipeline file, plugin or cache against the real
//! runner. Each attack must fail with a specific, clear error, leak nothing
//! of the host, and leave the scan as strict as the operator set it.

mod common;

use std::path::Path;

use common::*;

/// A repository holding one committed GitHub token in `src/config.rs`.
fn leaky_repo() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let token = fake_github_token();
    write_files(
        dir.path(),
        &[(
            "src/config.rs",
            &format!("const TOKEN: &str = \"{token}\";\n"),
        )],
    );
    (dir, token)
}

fn hostile_stage(name: &str, extra: &str) -> String {
    path_stage(name, "cordon-test-hostile", extra)
}

fn assert_no_leak(run: &Run, secret: &str) {
    for (what, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
        assert!(!text.contains(secret), "{what} leaks the secret:\n{text}");
    }
    if let Some(report) = &run.report {
        assert!(!report.to_string().contains(secret), "the report leaks it");
    }
}

#[test]
fn a_repository_pipeline_is_ignored_unless_the_operator_opts_in() {
    let (dir, _) = leaky_repo();
    // A pipeline that would switch the secret scan off: no secrets stage.
    write_files(
        dir.path(),
        &[(
            "cordon.toml",
            "[stages.sbom]\nplugin = \"builtin:sbom\"\n[stages.sbom.grants]\nread = [\"**\"]\n",
        )],
    );
    let run = cordon(dir.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings("secrets", "secrets/github-pat").len(), 1);
    assert!(
        run.stderr.contains("is not used; pass --repo-pipeline"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_pipeline_linked_to_a_host_file_is_refused_without_quoting_it() {
    let host = tempfile::tempdir().unwrap();
    let credentials = host.path().join(".git-credentials");
    let secret = "https://ci:ghp_hostsecretvalue0000000000000000000000@github.com";
    std::fs::write(&credentials, format!("{secret}\n")).unwrap();
    let (dir, _) = leaky_repo();
    std::os::unix::fs::symlink(&credentials, dir.path().join("cordon.toml")).unwrap();
    let run = cordon(dir.path(), &["run", ".", "--repo-pipeline"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is a symbolic link"), "{}", run.stderr);
    assert_no_leak(&run, "hostsecretvalue");

    // Named by the operator, a host file is read, but never quoted.
    std::fs::write(&credentials, format!("token = {secret}\n")).unwrap();
    let run = cordon(
        dir.path(),
        &["run", ".", "--pipeline", credentials.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains(".git-credentials:1:"), "{}", run.stderr);
    assert_no_leak(&run, "hostsecretvalue");
}

#[test]
fn a_repository_pipeline_cannot_switch_its_own_scan_off() {
    let (dir, _) = leaky_repo();
    let cases = [
        ("", "the pipeline has no stages"),
        (
            "[pipeline]\nfail-on = \"critical\"\n",
            "the pipeline has no stages",
        ),
        (
            "[stages.secrets]\nplugin = \"builtin:secrets\"\n[stages.secrets.grants]\nread = []\n",
            "is granted no files to read",
        ),
        (
            &hostile_stage("secrets", "[stages.secrets.grants]\nread = [\"**\"]\n"),
            "belongs to the built-in `secrets` stage",
        ),
        (
            "[stages.secrets]\nplugin = \"builtin:secrets\"\n[stages.secrets.grants]\nread = [\"**\"]\n[stages.secrets.limits]\ntimeout = \"4611686018427387904s\"\n",
            "is over the largest allowed",
        ),
        (
            "[stages.secrets]\nplugin = \"builtin:secrets\"\n[stages.secrets.grants]\nread = [\"**\"]\n[stages.secrets.limits]\nmemory = \"64GiB\"\n",
            "is over the largest allowed",
        ),
        (
            "[stages.x]\nplugin = \"/dev/zero\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n[stages.x.grants]\nread = [\"**\"]\n",
            "is outside the repository",
        ),
    ];
    for (pipeline, expected) in cases {
        std::fs::write(dir.path().join("cordon.toml"), pipeline).unwrap();
        let run = cordon(dir.path(), &["run", ".", "--repo-pipeline"]);
        assert_eq!(run.code, 2, "{pipeline}\n{}", run.stderr);
        assert!(run.stderr.contains(expected), "{pipeline}\n{}", run.stderr);
        assert!(run.stderr.contains("cordon.toml"), "{}", run.stderr);
    }
}

#[test]
fn a_device_named_as_a_plugin_is_refused_before_it_is_read() {
    let (dir, _) = leaky_repo();
    write_files(
        dir.path(),
        &[(
            "pipeline.toml",
            "[stages.x]\nplugin = \"/dev/zero\"\nsha256 = \"0000000000000000000000000000000000000000000000000000000000000000\"\n[stages.x.grants]\nread = [\"**\"]\n",
        )],
    );
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "pipeline.toml"]);
    assert_eq!(run.code, 2);
    let (kind, message) = run.error("x");
    assert_eq!(kind, "plugin");
    assert!(message.contains("not a regular file"), "{message}");
}

#[test]
fn ignore_files_cannot_hide_files_from_the_scan() {
    let (dir, token) = leaky_repo();
    write_files(
        dir.path(),
        &[(".ignore", "*\n"), ("notes/todo.txt", "nothing\n")],
    );
    let run = cordon(dir.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.findings("secrets", "secrets/github-pat").len(), 1);

    // A committed file that `.gitignore` also lists is still scanned.
    let repo = tempfile::tempdir().unwrap();
    write_files(
        repo.path(),
        &[
            ("deploy/env.sh", &format!("export GH={token}\n")),
            ("README.md", "demo\n"),
        ],
    );
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "initial"]);
    write_files(repo.path(), &[(".gitignore", "deploy/\n")]);
    let run = cordon(repo.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.findings("secrets", "secrets/github-pat");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["location"]["path"], "deploy/env.sh");
    assert_no_leak(&run, &token);
}

#[test]
fn planted_low_findings_cannot_push_a_critical_one_out() {
    let (dir, _) = leaky_repo();
    let stage = hostile_stage(
        "planter",
        "[stages.planter.grants]\nread = [\"**\"]\n[stages.planter.limits]\nmax-findings = 100\n[stages.planter.options]\nattack = \"planted-lows\"\ncount = 1000\n",
    );
    write_files(dir.path(), &[("pipeline.toml", &stage)]);
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--fail-on",
            "critical",
        ],
    );
    // Reaching the cap fails the run, and the critical finding was kept.
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.stage("planter")["findings_truncated"], true);
    assert_eq!(run.messages("planter", "hostile/ok"), vec!["real"]);
    assert_eq!(
        run.stage("planter")["findings"].as_array().unwrap().len(),
        100
    );
}

#[test]
fn a_stage_that_reads_nothing_is_an_error_and_stages_behind_it_are_skipped() {
    let (dir, _) = leaky_repo();
    let stages = [
        hostile_stage(
            "idle",
            "[stages.idle.grants]\nread = [\"**\"]\n[stages.idle.options]\nattack = \"read-nothing\"\n",
        ),
        hostile_stage(
            "next",
            "needs = [\"idle\"]\n[stages.next.grants]\nread = [\"**\"]\n[stages.next.options]\nattack = \"ok\"\n",
        ),
        hostile_stage(
            "after-next",
            "needs = [\"next\"]\n[stages.after-next.grants]\nread = [\"**\"]\n[stages.after-next.options]\nattack = \"ok\"\n",
        ),
    ];
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "pipeline.toml"]);
    assert_eq!(run.code, 2);
    let (_, message) = run.error("idle");
    assert!(message.contains("the stage read nothing"), "{message}");
    assert_eq!(run.state("next"), "skipped");
    assert_eq!(run.state("after-next"), "skipped");
}

#[test]
fn a_guest_asleep_in_a_wasi_call_is_stopped_at_its_timeout() {
    let (dir, _) = leaky_repo();
    let stages = [
        hostile_stage(
            "sleeper",
            "[stages.sleeper.grants]\nread = [\"**\"]\n[stages.sleeper.limits]\ntimeout = \"1s\"\n[stages.sleeper.options]\nattack = \"sleep\"\n",
        ),
        harmless_hostile_stage("control"),
    ];
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "pipeline.toml"]);
    assert_eq!(run.code, 2);
    let (kind, message) = run.error("sleeper");
    assert_eq!(kind, "timeout");
    assert!(message.contains("blocked in a host call"), "{message}");
    assert_eq!(run.state("control"), "completed");
}

#[test]
fn what_a_plugin_hands_the_host_is_bounded_and_inert() {
    let (dir, _) = leaky_repo();
    let stages = [
        hostile_stage(
            "huge",
            "[stages.huge.grants]\nread = [\"**\"]\n[stages.huge.options]\nattack = \"huge-findings\"\n",
        ),
        hostile_stage(
            "paths",
            "[stages.paths.grants]\nread = [\"**\"]\n[stages.paths.options]\nattack = \"bad-locations\"\n",
        ),
        hostile_stage(
            "liar",
            "[stages.liar.grants]\nread = [\"**\"]\n[stages.liar.options]\nattack = \"fake-lines\"\n",
        ),
        hostile_stage(
            "denials",
            "[stages.denials.grants]\nread = [\"src/**\"]\n[stages.denials.options]\nattack = \"long-denials\"\n",
        ),
    ];
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let audit = dir.path().join("audit.jsonl");
    let report = dir.path().join(".cordon-test-report.json");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--audit-log",
            audit.to_str().unwrap(),
        ],
    );
    for stage in ["huge", "paths", "liar", "denials"] {
        assert_eq!(run.state(stage), "completed", "{stage}: {}", run.stderr);
    }
    // 12 findings of 50 MiB each: cut to a few KiB each.
    let size = std::fs::metadata(&report).unwrap().len();
    assert!(size < 1 << 20, "the report is {size} bytes");
    // Only the workspace-relative location reached the report.
    let paths: Vec<&str> = run.stage("paths")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["location"]["path"].as_str())
        .collect();
    assert_eq!(paths, vec!["a/b"]);
    let denied = run.stage("paths")["denied"].to_string();
    assert!(denied.contains("workspace-relative"), "{denied}");
    // No raw carriage return or escape sequence from the plugin.
    for text in [&run.stderr, &run.stdout] {
        assert!(!text.contains('\r') && !text.contains('\x1b'), "{text:?}");
    }
    assert!(
        run.stderr.contains("\\r"),
        "the fake line is shown escaped:\n{}",
        run.stderr
    );
    // 20 denied reads with 10 MiB paths: the audit log stays small.
    let log = std::fs::metadata(&audit).unwrap().len();
    assert!(log < 1 << 20, "the audit log is {log} bytes");
}

#[test]
fn many_parallel_stages_wait_their_turn() {
    let (dir, _) = leaky_repo();
    let stages: Vec<String> = (0..80)
        .map(|i| harmless_hostile_stage(&format!("s{i}")))
        .collect();
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "pipeline.toml"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for i in 0..80 {
        assert_eq!(run.state(&format!("s{i}")), "completed");
    }
}

/// The cache's entries whose file name ends in `suffix`, in order.
fn cache_entries(cache: &Path, suffix: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![cache.join("components")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.to_string_lossy().ends_with(suffix) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

const BUILTIN_SECRETS_STAGE: &str =
    "[stages.secrets]\nplugin = \"builtin:secrets\"\n[stages.secrets.grants]\nread = [\"**\"]\n";

/// The hostile test plugin as stage `name`, reading everything and
/// attacking nothing (`attack = "ok"` only logs).
fn harmless_hostile_stage(name: &str) -> String {
    hostile_stage(
        name,
        &format!(
            "[stages.{name}.grants]\nread = [\"**\"]\n[stages.{name}.options]\nattack = \"ok\"\n"
        ),
    )
}

/// A run of `pipeline.toml` in `dir` with `cache_dir` as its cache, and
/// the runner's debug log (which says where code and descriptions came from).
fn run_with_cache(dir: &Path, cache_dir: &Path) -> Run {
    cordon_with(dir, &["run", ".", "--pipeline", "pipeline.toml"], |c| {
        c.env("CORDON_CACHE_DIR", cache_dir)
            .env("CORDON_LOG", "cordon=debug");
    })
}

#[test]
fn a_tampered_or_swapped_compiled_component_is_never_loaded() {
    let (dir, _) = leaky_repo();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("cordon");
    // The built-in secrets stage runs from native code embedded in the
    // binary and never touches the cache; the two path plugins do.
    let stages = [
        BUILTIN_SECRETS_STAGE.to_string(),
        harmless_hostile_stage("other"),
        path_stage(
            "hello",
            "hello-stage",
            "[stages.hello.grants]\nread = [\"**\"]\nartifacts = { write = [\"hello-report\"] }\n",
        ),
    ];
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let run_with_cache = || run_with_cache(dir.path(), &cache_dir);
    let first = run_with_cache();
    assert_eq!(first.code, 1, "{}", first.stderr);
    let entries = cache_entries(&cache_dir, ".cwasm");
    assert_eq!(entries.len(), 2, "{entries:?}");
    // Another plugin's entry copied over this one's, then patched bytes.
    std::fs::copy(&entries[1], &entries[0]).unwrap();
    let swapped = run_with_cache();
    let mut patched = std::fs::read(&entries[1]).unwrap();
    let middle = patched.len() / 2;
    patched[middle] ^= 0xff;
    std::fs::write(&entries[1], patched).unwrap();
    let flipped = run_with_cache();
    for run in [&swapped, &flipped] {
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert_eq!(run.findings("secrets", "secrets/github-pat").len(), 1);
        assert_eq!(run.messages("other", "hostile/ok"), vec!["ok"]);
        assert_eq!(run.state("hello"), "completed", "{}", run.stderr);
        assert!(
            run.stderr.contains("fails authentication"),
            "{}",
            run.stderr
        );
    }

    // A cache directory others may write is refused, not used.
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&cache_dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    let refused = run_with_cache();
    assert_eq!(refused.code, 2);
    assert!(refused.stderr.contains("mode 777"), "{}", refused.stderr);
}

/// `describe()` answers are cached to spare warm runs an instance per
/// stage; what a stage asked for narrows its grants, so a forged or
/// swapped answer must never be believed.
#[test]
fn a_tampered_or_swapped_cached_description_is_never_believed() {
    let (dir, _) = leaky_repo();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("cordon");
    let stages = [
        BUILTIN_SECRETS_STAGE.to_string(),
        harmless_hostile_stage("other"),
    ];
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let run_with_cache = || run_with_cache(dir.path(), &cache_dir);
    let first = run_with_cache();
    assert_eq!(first.code, 1, "{}", first.stderr);
    assert!(!first.stderr.contains("description from the cache"));
    let rules_of = |run: &Run, stage: &str| run.stage(stage)["rules"].clone();
    let secrets_rules = rules_of(&first, "secrets");
    let other_rules = rules_of(&first, "other");
    assert!(secrets_rules.as_array().is_some_and(|r| r.len() > 400));
    let entries = cache_entries(&cache_dir, ".description.json");
    assert_eq!(entries.len(), 2, "{entries:?}");

    let warm = run_with_cache();
    assert!(
        warm.stderr.contains("secrets: description from the cache")
            && warm.stderr.contains("other: description from the cache"),
        "{}",
        warm.stderr
    );
    assert_eq!(rules_of(&warm, "secrets"), secrets_rules);

    // One stage's answer copied over the other's, then an edited answer
    // that asks for nothing (which would narrow away its read grant).
    let swapped = std::fs::read(&entries[0]).unwrap();
    let edited = String::from_utf8_lossy(&std::fs::read(&entries[1]).unwrap())
        .replace("\"workspace\":true", "\"workspace\":false")
        .into_bytes();
    for bytes in [swapped, edited] {
        std::fs::write(&entries[1], &bytes).unwrap();
        let run = run_with_cache();
        assert_eq!(run.code, 1, "{}", run.stderr);
        assert!(
            run.stderr.contains("fails authentication"),
            "{}",
            run.stderr
        );
        assert_eq!(rules_of(&run, "secrets"), secrets_rules);
        assert_eq!(rules_of(&run, "other"), other_rules);
        assert_eq!(run.findings("secrets", "secrets/github-pat").len(), 1);
        assert_eq!(run.messages("other", "hostile/ok"), vec!["ok"]);
    }
}

#[test]
fn built_in_stages_run_from_code_compiled_into_the_binary() {
    let (dir, _) = leaky_repo();
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("cordon");
    // A cold machine: an empty cache directory, and the default pipeline.
    let advisories = shared("advisory-db").display().to_string();
    let run = cordon_with(
        dir.path(),
        &["run", ".", "--advisory-db", &advisories],
        |c| {
            c.env("CORDON_CACHE_DIR", &cache_dir)
                .env("CORDON_LOG", "cordon=debug");
        },
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    for stage in ["secrets", "models", "iac", "sbom", "audit"] {
        assert!(
            run.stderr
                .contains(&format!("builtin:{stage}: native code Embedded")),
            "{stage}: {}",
            run.stderr
        );
        // Where the engine can, the code runs where it lies in the binary
        // (pages made executable in place), not from a copy; the stages
        // above ran from it.
        if cfg!(all(target_os = "linux", target_arch = "x86_64")) {
            assert!(
                run.stderr.contains(&format!(
                    "builtin:{stage}: embedded native code runs in place"
                )),
                "{stage}: {}",
                run.stderr
            );
        }
    }
    // Nothing was compiled, so nothing was cached.
    assert_eq!(
        cache_entries(&cache_dir, ".cwasm"),
        Vec::<std::path::PathBuf>::new()
    );
}

#[test]
fn a_policy_outranks_the_pipeline_and_the_command_line() {
    let (dir, _) = leaky_repo();
    let policy = dir.path().join("policy.toml");
    std::fs::write(
        &policy,
        "[policy]\nrequire-stages = [\"secrets\"]\nmin-fail-on = \"high\"\nallow-repo-pipeline = false\n",
    )
    .unwrap();
    let policy_arg = policy.to_str().unwrap();
    // --fail-on critical asks for less than the policy's minimum: a high
    // finding still fails the run.
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--policy",
            policy_arg,
            "--only",
            "secrets",
            "--fail-on",
            "critical",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let run = cordon(
        dir.path(),
        &["run", ".", "--policy", policy_arg, "--only", "sbom"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("stage `secrets` is required"),
        "{}",
        run.stderr
    );
    write_files(dir.path(), &[("cordon.toml", "[stages.x]\n")]);
    let run = cordon(
        dir.path(),
        &["run", ".", "--policy", policy_arg, "--repo-pipeline"],
    );
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("does not allow repository pipelines"),
        "{}",
        run.stderr
    );
    // The same policy through the environment.
    let run = cordon_with(dir.path(), &["run", ".", "--only", "sbom"], |c| {
        c.env("CORDON_POLICY", &policy);
    });
    assert_eq!(run.code, 2, "{}", run.stderr);
}

#[test]
fn a_policy_can_require_plugins_signed_by_a_trusted_key() {
    let (dir, _) = leaky_repo();
    let keys = tempfile::tempdir().unwrap();
    let plugin_dir = tempfile::tempdir().unwrap();
    let plugin = plugin_dir.path().join("hostile.wasm");
    std::fs::copy(guest("cordon-test-hostile"), &plugin).unwrap();
    // The plugin subcommands take no --report: run them bare.
    let plugin_cmd = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
            .args(args)
            .env("XDG_CONFIG_HOME", config_home())
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "cordon {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let cordon_in = |args: &[&str]| cordon(dir.path(), args);
    let prefix = keys.path().join("release");
    plugin_cmd(&["plugin", "keygen", prefix.to_str().unwrap()]);
    let public = std::fs::read_to_string(keys.path().join("release.pub")).unwrap();
    let policy = keys.path().join("policy.toml");
    std::fs::write(
        &policy,
        format!("[policy]\ntrusted-keys = [\"{}\"]\n", public.trim()),
    )
    .unwrap();
    let stage = format!(
        "[stages.signed]\nplugin = {:?}\nsha256 = \"{}\"\n[stages.signed.grants]\nread = [\"**\"]\n[stages.signed.options]\nattack = \"ok\"\n",
        plugin.display().to_string(),
        sha256_file(&plugin)
    );
    write_files(dir.path(), &[("pipeline.toml", &stage)]);
    let run_signed = || {
        cordon_in(&[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--policy",
            policy.to_str().unwrap(),
        ])
    };
    let unsigned = run_signed();
    assert_eq!(unsigned.code, 2);
    assert!(
        unsigned
            .error("signed")
            .1
            .contains("not signed by a trusted key")
    );

    let key = keys.path().join("release.key");
    plugin_cmd(&[
        "plugin",
        "sign",
        plugin.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    let run = run_signed();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.messages("signed", "hostile/ok"), vec!["ok"]);
    let public_file = keys.path().join("release.pub");
    let verified = plugin_cmd(&[
        "plugin",
        "verify",
        plugin.to_str().unwrap(),
        "--key",
        public_file.to_str().unwrap(),
    ]);
    assert!(verified.contains("valid signature"), "{verified}");
    let inspected = plugin_cmd(&[
        "plugin",
        "inspect",
        plugin.to_str().unwrap(),
        "--key",
        public_file.to_str().unwrap(),
    ]);
    assert!(inspected.contains("signature:   valid"), "{inspected}");
    assert!(inspected.contains("cordon:stage/workspace"), "{inspected}");

    // A signature by another key, or for other bytes, is refused.
    let other = keys.path().join("other");
    plugin_cmd(&["plugin", "keygen", other.to_str().unwrap()]);
    let other_key = keys.path().join("other.key");
    plugin_cmd(&[
        "plugin",
        "sign",
        plugin.to_str().unwrap(),
        "--key",
        other_key.to_str().unwrap(),
    ]);
    let run = run_signed();
    assert_eq!(run.code, 2);
    assert!(
        run.error("signed")
            .1
            .contains("not valid for this plugin under any trusted key")
    );
}

#[test]
fn grants_beyond_what_a_plugin_requests_are_narrowed_and_reported() {
    let (dir, _) = leaky_repo();
    let stage = hostile_stage(
        "greedy",
        "[stages.greedy.grants]\nread = [\"**\"]\ndata = [\"rustsec\"]\n[stages.greedy.options]\nattack = \"ok\"\n",
    );
    write_files(dir.path(), &[("pipeline.toml", &stage)]);
    let db = shared("advisory-db");
    let run = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--advisory-db",
            db.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let notes = run.stage("greedy")["notes"].to_string();
    assert!(
        notes.contains("grants narrowed to what the plugin requests")
            && notes.contains("data set `rustsec`"),
        "{notes}"
    );
}

#[test]
fn git_history_of_a_sub_folder_workspace_sees_only_that_folder() {
    let repo = tempfile::tempdir().unwrap();
    let inside = github_token("InsideInsideInsideInsideInside");
    let outside = github_token("OutsideOutsideOutsideOutsideOu");
    write_files(
        repo.path(),
        &[
            ("app/config.sh", &format!("export GH={inside}\n")),
            ("other/config.sh", &format!("export GH={outside}\n")),
        ],
    );
    git(repo.path(), &["init", "-q", "-b", "main"]);
    git(repo.path(), &["add", "."]);
    git(repo.path(), &["commit", "-q", "-m", "two folders"]);
    let run = cordon(
        &repo.path().join("app"),
        &["run", ".", "--only", "secrets", "--git-history"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    let paths: Vec<String> = run
        .findings("secrets", "secrets/github-pat")
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap().to_string())
        .collect();
    assert!(!paths.is_empty());
    assert!(paths.iter().all(|p| p == "config.sh"), "{paths:?}");
}

#[test]
fn a_stage_reaching_beyond_its_audit_baseline_fails_the_gate() {
    let (dir, _) = leaky_repo();
    let logs = tempfile::tempdir().unwrap();
    let log = logs.path().join("audit.jsonl");
    let baseline = logs.path().join("baseline.json");
    let watched = |options: &str| {
        hostile_stage(
            "watched",
            &format!(
                "[stages.watched.grants]\nread = [\"**\"]\n[stages.watched.options]\n{options}\n"
            ),
        )
    };
    write_files(
        dir.path(),
        &[("pipeline.toml", &watched("attack = \"ok\""))],
    );
    let first = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--audit-log",
            log.to_str().unwrap(),
        ],
    );
    assert_eq!(first.code, 0, "{}", first.stderr);
    let recorded = std::process::Command::new(env!("CARGO_BIN_EXE_cordon"))
        .args([
            "audit",
            "baseline",
            "--from",
            log.to_str().unwrap(),
            "--output",
        ])
        .arg(&baseline)
        .output()
        .unwrap();
    assert!(
        recorded.status.success(),
        "{}",
        String::from_utf8_lossy(&recorded.stderr)
    );
    let profile: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&baseline).unwrap()).unwrap();
    assert_eq!(
        profile["stages"]["watched"]["path-families"],
        serde_json::json!(["*.toml"])
    );

    let base = baseline.to_str().unwrap();
    let same = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--audit-baseline",
            base,
        ],
    );
    assert_eq!(same.code, 0, "{}", same.stderr);

    // The "updated" plugin now also reads source files, with new calls.
    write_files(
        dir.path(),
        &[(
            "pipeline.toml",
            &watched("attack = \"read-symlink\"\npath = \"src/config.rs\""),
        )],
    );
    let changed = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--pipeline",
            "pipeline.toml",
            "--audit-baseline",
            base,
        ],
    );
    assert_eq!(changed.code, 1, "{}", changed.stderr);
    let new_paths = changed.messages("watched", "cordon.anomaly.new-path");
    assert!(
        new_paths.iter().any(|m| m.contains("`*.rs`")),
        "{new_paths:?}"
    );
    assert!(
        !changed
            .findings("watched", "cordon.anomaly.new-interface")
            .is_empty()
    );
}

#[test]
fn another_plugin_cannot_poison_a_stage_cache() {
    let dir = tempfile::tempdir().unwrap();
    write_files(dir.path(), &[("Cargo.lock", CARGO_LOCK)]);
    let cache = tempfile::tempdir().unwrap();
    let cache_dir = cache.path().join("cordon");
    let db = shared("advisory-db");
    let audit_run = || {
        cordon_with(
            dir.path(),
            &[
                "run",
                ".",
                "--only",
                "audit",
                "--advisory-db",
                db.to_str().unwrap(),
            ],
            |c| {
                c.env("CORDON_CACHE_DIR", &cache_dir);
            },
        )
    };
    let first = audit_run();
    assert_eq!(first.code, 1, "{}", first.stderr);
    let audit_digest = first.stage("audit")["plugin"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    let stages = cache_dir.join("stages");
    let entries = |dir: &Path| -> Vec<(String, Vec<u8>)> {
        let mut found: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| {
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read(e.path()).unwrap_or_default(),
                )
            })
            .collect();
        found.sort();
        found
    };
    let before = entries(&stages.join(&audit_digest));
    assert!(
        !before.is_empty(),
        "the audit stage cached nothing under its digest"
    );
    assert!(
        !stages.join("audit").exists(),
        "stage caches are keyed by digest, not name"
    );

    // A hostile plugin with a cache grant, writing every key it can think of.
    let hostile = hostile_stage(
        "auditor",
        "[stages.auditor.grants]\nread = [\"**\"]\ncache = true\n[stages.auditor.options]\nattack = \"cache-poison\"\nkey = \"index\"\n",
    );
    write_files(dir.path(), &[("pipeline.toml", &hostile)]);
    let poison = cordon_with(
        dir.path(),
        &["run", ".", "--pipeline", "pipeline.toml"],
        |c| {
            c.env("CORDON_CACHE_DIR", &cache_dir);
        },
    );
    assert_eq!(poison.state("auditor"), "completed", "{}", poison.stderr);
    let hostile_digest = poison.stage("auditor")["plugin"]["sha256"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(entries(&stages.join(&hostile_digest)).len(), 1);
    assert_eq!(
        entries(&stages.join(&audit_digest)),
        before,
        "the audit stage's cache changed"
    );
    let again = audit_run();
    assert_eq!(again.code, 1);
    assert!(!again.findings("audit", "RUSTSEC-2019-0009").is_empty());
}

#[test]
fn describe_runs_under_the_stages_own_limits() {
    let (dir, _) = leaky_repo();
    let stage = |name: &str, limits: &str| {
        path_stage(
            name,
            "cordon-test-hostile-describe",
            &format!("[stages.{name}.grants]\nread = [\"**\"]\n[stages.{name}.limits]\n{limits}\n"),
        )
    };
    let stages = [
        stage("hoarder", "memory = \"64MiB\""),
        stage("spinner", "timeout = \"1s\""),
        harmless_hostile_stage("control"),
    ];
    write_files(dir.path(), &[("pipeline.toml", &stages.join("\n"))]);
    let run = cordon(dir.path(), &["run", ".", "--pipeline", "pipeline.toml"]);
    assert_eq!(run.code, 2);
    let (kind, message) = run.error("hoarder");
    assert_eq!(kind, "memory-limit");
    assert!(
        message.contains("describe() failed") && message.contains("memory"),
        "{message}"
    );
    let (kind, message) = run.error("spinner");
    assert_eq!(kind, "timeout");
    assert!(
        message.contains("describe() failed") && message.contains("timeout"),
        "{message}"
    );
    assert_eq!(run.state("control"), "completed");
}

#[test]
fn a_policy_can_refuse_or_reveal_the_repositorys_suppressions() {
    let (dir, token) = leaky_repo();
    // The repository hides its token with an inline comment and a baseline.
    write_files(
        dir.path(),
        &[(
            "src/config.rs",
            &format!("const TOKEN: &str = \"{token}\"; // cordon:allow\n"),
        )],
    );
    let hidden = cordon(dir.path(), &["run", ".", "--only", "secrets"]);
    assert_eq!(hidden.code, 0, "{}", hidden.stderr);

    let policies = tempfile::tempdir().unwrap();
    let forbid = policies.path().join("forbid.toml");
    std::fs::write(
        &forbid,
        "[policy]\nforbid-suppressions = [\"secrets/github-*\"]\n",
    )
    .unwrap();
    let refused = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "secrets",
            "--policy",
            forbid.to_str().unwrap(),
        ],
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let found = refused.findings("secrets", "secrets/github-pat");
    assert_eq!(found.len(), 1);
    assert!(
        found[0]["properties"]
            .to_string()
            .contains("suppression-refused"),
        "{}",
        found[0]
    );

    let reveal = policies.path().join("reveal.toml");
    std::fs::write(&reveal, "[policy]\nreport-suppressions = true\n").unwrap();
    let revealed = cordon(
        dir.path(),
        &[
            "run",
            ".",
            "--only",
            "secrets",
            "--policy",
            reveal.to_str().unwrap(),
        ],
    );
    assert_eq!(revealed.code, 0, "an info finding does not fail the gate");
    let shown = revealed.findings("secrets", "secrets/github-pat");
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["severity"], "info");
    assert!(
        shown[0]["message"]
            .as_str()
            .unwrap()
            .starts_with("suppressed (inline"),
        "{}",
        shown[0]
    );
    for run in [&hidden, &refused, &revealed] {
        assert_no_leak(run, &token);
    }
}
