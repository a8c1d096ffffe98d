use super::*;

fn parse(text: &str) -> Result<Pipeline, ConfigError> {
    Pipeline::parse(text, "cordon.toml", Path::new("/repo"))
}

#[test]
fn the_default_pipeline_parses_and_grants_least_privilege() {
    let pipeline = Pipeline::default_pipeline();
    assert!(!pipeline.stages.is_empty());
    for stage in &pipeline.stages {
        assert!(matches!(stage.plugin, PluginSource::Builtin(_)));
        assert!(stage.grants.artifacts_write.len() <= 1, "{}", stage.name);
    }
    if let Some(secrets) = pipeline.stage("secrets") {
        assert!(secrets.grants.git);
        assert!(secrets.grants.data.is_empty());
        assert!(!secrets.grants.cache);
    }
}

#[test]
fn a_full_stage_parses() {
    let pipeline = parse(
        r#"
[pipeline]
fail-on = "medium"

[stages.secrets]
plugin = "builtin:secrets"
[stages.secrets.grants]
read = ["**"]

[stages.hello]
plugin = "plugins/hello.wasm"
sha256 = "ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef0123456789"
needs = ["secrets"]
[stages.hello.grants]
read = ["src/**"]
artifacts = { read = ["sbom"], write = ["hello-report"] }
[stages.hello.limits]
timeout = "30s"
memory = "256MiB"
max-findings = 50
[stages.hello.options]
level = "strict"
depth = 3
"#,
    )
    .unwrap();
    assert_eq!(pipeline.fail_on, Some(Severity::Medium));
    let hello = pipeline.stage("hello").unwrap();
    assert_eq!(
        hello.plugin,
        PluginSource::Path {
            path: PathBuf::from("/repo/plugins/hello.wasm"),
            sha256: "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789".into(),
            beneath: None,
        }
    );
    assert_eq!(hello.needs, vec!["secrets"]);
    assert!(hello.grants.read.allows("src/main.rs"));
    assert!(!hello.grants.read.allows("Cargo.toml"));
    assert_eq!(hello.limits.timeout, Duration::from_secs(30));
    assert_eq!(hello.limits.memory, 256 << 20);
    assert_eq!(hello.limits.max_findings, 50);
    assert_eq!(hello.limits.max_log_bytes, Limits::default().max_log_bytes);
    assert_eq!(
        hello.options,
        serde_json::json!({"level": "strict", "depth": 3})
    );
}

fn error(text: &str) -> ConfigError {
    parse(text).unwrap_err()
}

#[test]
fn unknown_keys_point_at_the_key() {
    let e = error("[stages.secrets]\nplugin = \"builtin:secrets\"\ntimeout = \"3s\"\n");
    assert_eq!(e.position, Some((3, 1)), "{e}");
    assert!(e.message.contains("unknown field `timeout`"), "{e}");
    assert!(e.to_string().starts_with("cordon.toml:3:1: "), "{e}");
}

#[test]
fn malformed_toml_points_at_the_problem() {
    let e = error("[stages.secrets]\nplugin = \"builtin:secrets\n");
    assert_eq!(e.position.map(|p| p.0), Some(2), "{e}");
}

#[test]
fn wrong_types_are_located() {
    let e = error("[stages.secrets]\nplugin = \"builtin:secrets\"\nneeds = \"sbom\"\n");
    assert_eq!(e.position.map(|p| p.0), Some(3), "{e}");
    assert!(e.message.contains("invalid type"), "{e}");
}

#[test]
fn a_path_plugin_must_be_pinned() {
    let e = error("[stages.x]\nplugin = \"x.wasm\"\n");
    assert_eq!(e.position, Some((2, 10)), "{e}");
    assert!(e.message.contains("has no `sha256`"), "{e}");
    assert!(e.hint.unwrap().contains("sha256sum"));
    let e = error("[stages.x]\nplugin = \"x.wasm\"\nsha256 = \"abc\"\n");
    assert!(e.message.contains("64 hexadecimal"), "{e}");
}

#[test]
fn unknown_builtins_and_needs_get_hints() {
    let e = error("[stages.x]\nplugin = \"builtin:nope\"\n");
    assert!(e.message.contains("no built-in plugin `nope`"), "{e}");
    assert!(e.hint.unwrap().contains("secrets"));
    let e = error(
        "[stages.secrets]\nplugin = \"builtin:secrets\"\n[stages.other]\nplugin = \"builtin:secrets\"\nneeds = [\"secrte\"]\n",
    );
    assert_eq!(e.position, Some((5, 10)), "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `secrets`?"));
}

#[test]
fn escaping_read_grants_are_refused() {
    for glob in ["../**", "/etc/**", "src/../../x"] {
        let e = error(&format!(
            "[stages.s]\nplugin = \"builtin:secrets\"\ngrants = {{ read = [\"{glob}\"] }}\n"
        ));
        assert!(e.message.contains("invalid read grant"), "{glob}: {e}");
        assert_eq!(e.position.map(|p| p.0), Some(3), "{e}");
    }
}

#[test]
fn bad_limits_are_located() {
    let e = error(
        "[stages.s]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"] }\n[stages.s.limits]\nmemory = \"12 parsecs\"\n",
    );
    assert_eq!(e.position, Some((5, 10)), "{e}");
    assert!(e.message.contains("unknown unit"), "{e}");
    let e = error(
        "[stages.s]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"] }\n[stages.s.limits]\ntimeout = \"soon\"\n",
    );
    assert!(e.message.contains("invalid duration"), "{e}");
}

#[test]
fn two_writers_of_one_artifact_are_refused() {
    let e = error(
        "[stages.a]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"], artifacts = { write = [\"sbom\"] } }\n[stages.b]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"], artifacts = { write = [\"sbom\"] } }\n",
    );
    assert!(e.message.contains("written by both `a` and `b`"), "{e}");
}

#[test]
fn cycles_are_config_errors() {
    let e = error(
        "[stages.a]\nplugin = \"builtin:secrets\"\nneeds = [\"b\"]\ngrants = { read = [\"**\"] }\n[stages.b]\nplugin = \"builtin:secrets\"\nneeds = [\"a\"]\ngrants = { read = [\"**\"] }\n",
    );
    assert!(e.message.contains("cycle"), "{e}");
}

#[test]
fn rendering_shows_the_line_and_a_caret() {
    let e = error("[stages.secrets]\nplugin = \"builtin:secrets\"\ntimeout = \"3s\"\n");
    let text = e.to_string();
    assert!(text.contains("3 | timeout = \"3s\""), "{text}");
    assert!(text.contains("hint:"), "{text}");
}

#[test]
fn only_keeps_the_named_stages() {
    let mut pipeline = parse(
        "[stages.a]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"] }\n[stages.b]\nplugin = \"builtin:secrets\"\nneeds = [\"a\"]\ngrants = { read = [\"**\"] }\n",
    )
    .unwrap();
    pipeline.retain(&["b".into()]).unwrap();
    assert_eq!(pipeline.stages.len(), 1);
    assert!(pipeline.stages[0].needs.is_empty());
    assert!(
        pipeline
            .retain(&["zzz".into()])
            .unwrap_err()
            .contains("no such stage")
    );
}

#[test]
fn a_pipeline_that_would_check_nothing_is_refused() {
    for (text, expected) in [
        ("", "has no stages"),
        ("[pipeline]\nfail-on = \"low\"\n", "has no stages"),
        (
            "[stages.secrets]\nplugin = \"builtin:secrets\"\n",
            "is granted no files to read",
        ),
        (
            "[stages.audit]\nplugin = \"builtin:audit\"\n",
            "is granted nothing to read",
        ),
    ] {
        let e = error(text);
        assert!(e.message.contains(expected), "{text:?}: {e}");
    }
}

#[test]
fn built_in_names_belong_to_built_in_plugins() {
    let e = error(&format!(
        "[stages.secrets]\nplugin = \"x.wasm\"\nsha256 = \"{}\"\ngrants = {{ read = [\"**\"] }}\n",
        "0".repeat(64)
    ));
    assert!(
        e.message
            .contains("belongs to the built-in `secrets` stage"),
        "{e}"
    );
    assert_eq!(e.position, Some((2, 10)));
    let e = error("[stages.audit]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"] }\n");
    assert!(
        e.message.contains("belongs to the built-in `audit` stage"),
        "{e}"
    );
}

#[test]
fn limits_past_their_bounds_are_refused_at_their_line() {
    for (limit, expected) in [
        (
            "timeout = \"4611686018427387904s\"",
            "over the largest allowed",
        ),
        ("timeout = \"25h\"", "over the largest allowed"),
        ("memory = \"17GiB\"", "over the largest allowed"),
        ("memory = 1024", "at least"),
        ("max-findings = 0", "between 1 and"),
        ("max-log-bytes = \"1GiB\"", "over the largest allowed"),
    ] {
        let e = error(&format!(
            "[stages.s]\nplugin = \"builtin:secrets\"\ngrants = {{ read = [\"**\"] }}\n[stages.s.limits]\n{limit}\n"
        ));
        assert!(e.message.contains(expected), "{limit}: {e}");
        assert_eq!(e.position.map(|p| p.0), Some(5), "{limit}: {e}");
    }
}

#[test]
fn a_repository_pipeline_may_load_plugins_only_from_inside_it() {
    let origin = Origin::Repository {
        root: PathBuf::from("/repo"),
    };
    let digest = "0".repeat(64);
    for plugin in ["/dev/zero", "../other/p.wasm", "plugins/../../p.wasm"] {
        let text = format!(
            "[stages.x]\nplugin = {plugin:?}\nsha256 = \"{digest}\"\ngrants = {{ read = [\"**\"] }}\n"
        );
        let e = Pipeline::parse_from(&text, "cordon.toml", &origin).unwrap_err();
        assert!(
            e.message.contains("outside the repository"),
            "{plugin}: {e}"
        );
    }
    let text = format!(
        "[stages.x]\nplugin = \"plugins/p.wasm\"\nsha256 = \"{digest}\"\ngrants = {{ read = [\"**\"] }}\n"
    );
    let pipeline = Pipeline::parse_from(&text, "cordon.toml", &origin).unwrap();
    assert_eq!(
        pipeline.stage("x").unwrap().plugin,
        PluginSource::Path {
            path: PathBuf::from("plugins/p.wasm"),
            sha256: digest,
            beneath: Some(PathBuf::from("/repo")),
        }
    );
}

#[test]
fn content_of_a_file_outside_the_workspace_is_withheld() {
    let mut e = error("[stages.s]\nplugin = \"ghp_not_a_plugin\"\n");
    assert!(e.to_string().contains("ghp_not_a_plugin"));
    e.withhold_content();
    let text = e.to_string();
    assert!(!text.contains("ghp_not_a_plugin"), "{text}");
    assert!(text.starts_with("cordon.toml:2:"), "{text}");
}

#[test]
fn a_near_miss_key_gets_a_did_you_mean() {
    let e = error(
        "[stages.s]\nplugin = \"builtin:secrets\"\ngrants = { read = [\"**\"] }\n[stages.s.limits]\ntimout = \"3s\"\n",
    );
    assert_eq!(e.position.map(|p| p.0), Some(5), "{e}");
    assert_eq!(e.hint.as_deref(), Some("did you mean `timeout`?"), "{e}");
}

#[test]
fn a_file_extending_the_built_in_pipeline_overrides_only_what_it_names() {
    let plain = Pipeline::default_pipeline();
    let extended = parse("[pipeline]\nextends = \"builtin:default\"\n").unwrap();
    let names = |p: &Pipeline| p.stages.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&extended), names(&plain));

    let Some(default_secrets) = plain.stage("secrets") else {
        return; // a binary without the secrets stage has nothing to override
    };
    let pipeline = parse(
        r#"
[pipeline]
extends = "builtin:default"
fail-on = "medium"

[stages.secrets.limits]
timeout = "30s"

[stages.secrets.options]
generic-min-entropy = 4.0

[stages.models]
enabled = false
"#,
    )
    .unwrap();
    assert_eq!(pipeline.fail_on, Some(Severity::Medium));
    assert!(pipeline.stage("models").is_none());
    let secrets = pipeline.stage("secrets").unwrap();
    assert_eq!(secrets.limits.timeout, Duration::from_secs(30));
    assert_eq!(secrets.limits.memory, default_secrets.limits.memory);
    assert_eq!(
        secrets.grants.read.patterns(),
        default_secrets.grants.read.patterns()
    );
    assert_eq!(secrets.grants.git, default_secrets.grants.git);
    assert_eq!(secrets.options["generic-min-entropy"], 4.0);
    assert!(matches!(&secrets.plugin, PluginSource::Builtin(b) if b == "secrets"));
}

#[test]
fn extends_names_a_known_pipeline_and_new_stages_are_complete() {
    let e = error("[pipeline]\nextends = \"https://example.com/p.toml\"\n");
    assert_eq!(e.position, Some((2, 11)), "{e}");
    assert!(e.message.contains("not a pipeline Cordon knows"), "{e}");

    let e = error(
        "[pipeline]\nextends = \"builtin:default\"\n[stages.extra]\ngrants = { read = [\"**\"] }\n",
    );
    assert!(e.message.contains("stage `extra` has no `plugin`"), "{e}");
    assert_eq!(e.position.map(|p| p.0), Some(3), "{e}");
}

#[test]
fn every_error_of_a_file_is_reported_at_once() {
    let e = error(
        r#"
[stages.one]
plugin = "builtin:nope"
grants = { read = ["**"] }

[stages.two]
plugin = "builtin:secrets"
needs = ["thre"]
grants = { read = ["/etc/**"] }
"#,
    );
    let all: Vec<&ConfigError> = std::iter::once(&e).chain(e.also.iter()).collect();
    assert_eq!(all.len(), 3, "{e}");
    let lines: Vec<u32> = all.iter().map(|e| e.position.unwrap().0).collect();
    assert_eq!(lines, vec![3, 8, 9], "{e}");
    let text = e.to_string();
    for expected in [
        "no built-in plugin `nope`",
        "needs `thre`",
        "invalid read grant",
    ] {
        assert!(text.contains(expected), "{text}");
    }
}
