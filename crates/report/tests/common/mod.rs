//! Reports built by hand for the renderer tests, and the SARIF validators.

// Each test binary uses a different part of this module.
#![allow(dead_code)]

mod validate;
#[allow(unused_imports)] // only the SARIF tests validate
pub use validate::*;

use cordon_report::*;

pub const COMMIT: &str = "0123456789abcdef0123456789abcdef01234567";
/// A message with markup, quotes, non-ASCII and a control character.
pub const TRICKY_MESSAGE: &str = "Token « ghp_… » in <config> & \"env\" file 'prod' — 秘密";

pub fn plugin(name: &str, version: &str) -> PluginInfo {
    PluginInfo {
        name: name.to_string(),
        version: version.to_string(),
        description: format!("the {name} stage"),
        source: format!("builtin:{name}"),
        sha256: "ab".repeat(32),
    }
}

pub fn rule(id: &str, title: &str, severity: Severity) -> Rule {
    Rule {
        id: id.to_string(),
        short_description: title.to_string(),
        full_description: format!("{title}: a longer description."),
        help: format!("Remove the value and rotate it ({id})."),
        default_severity: severity,
        properties: Vec::new(),
    }
}

pub fn location(path: &str) -> Location {
    Location {
        path: path.to_string(),
        region: None,
        byte_offset: None,
        member: None,
        commit: None,
    }
}

pub fn region(start_line: u32, start_column: u32, end_line: u32, end_column: u32) -> Region {
    Region {
        start_line,
        start_column,
        end_line,
        end_column,
    }
}

pub fn finding(
    rule_id: &str,
    severity: Severity,
    message: &str,
    location: Option<Location>,
) -> Finding {
    Finding {
        rule_id: rule_id.to_string(),
        severity,
        message: message.to_string(),
        location,
        fingerprint: format!("fp-{rule_id}-{message}")
            .chars()
            .filter(char::is_ascii)
            .collect(),
        snippet: None,
        properties: Vec::new(),
    }
}

pub fn stage(name: &str, plugin: Option<PluginInfo>, status: StageStatus) -> StageReport {
    StageReport {
        plugin,
        status,
        ..StageReport::new(name)
    }
}

/// Five stages: `secrets` (completed: regions, a path with a space, a
/// commit, a finding without region, a skipped file, denied calls), `models`
/// (completed: byte offset inside an archive member, a finding with no
/// location), `audit` (errored by timeout, with findings from the sbom
/// artifact and a lockfile property), `sbom-check` (skipped) and `custom`
/// (errored: its plugin could not be loaded).
pub fn sample_report() -> RunReport {
    let mut secrets = stage(
        "secrets",
        Some(plugin("secrets", "0.1.0")),
        StageStatus::Completed,
    );
    secrets.rules = vec![
        rule(
            "secrets/github-pat",
            "GitHub personal access token",
            Severity::High,
        ),
        rule(
            "secrets/aws-access-key",
            "AWS access key",
            Severity::Critical,
        ),
        rule(
            "secrets/generic-api-key",
            "Generic API key",
            Severity::Medium,
        ),
    ];
    let mut pat_location = location("config/prod env/.env");
    pat_location.region = Some(region(3, 5, 3, 45));
    pat_location.commit = Some(COMMIT.to_string());
    let mut pat = finding(
        "secrets/github-pat",
        Severity::High,
        TRICKY_MESSAGE,
        Some(pat_location),
    );
    pat.snippet = Some("GITHUB_TOKEN=ghp_****************".to_string());
    pat.properties = vec![("entropy".to_string(), "4.8".to_string())];
    let mut aws_location = location("src/main.rs");
    aws_location.region = Some(region(10, 1, 10, 21));
    let aws = finding(
        "secrets/aws-access-key",
        Severity::Critical,
        "AWS access key id",
        Some(aws_location),
    );
    let generic = finding(
        "secrets/generic-api-key",
        Severity::Medium,
        "API key in the README",
        Some(location("README.md")),
    );
    secrets.findings = vec![generic, pat, aws];
    secrets.files_scanned = 42;
    secrets.bytes_scanned = 1_258_291;
    secrets.skipped = vec![Skipped {
        path: "assets/huge model.bin".to_string(),
        reason: "larger than max_file_bytes (10 MiB)".to_string(),
    }];
    secrets.notes = vec!["3 rules disabled by configuration".to_string()];
    secrets.denied = vec![
        DeniedCall {
            call: "workspace.read".to_string(),
            target: ".git/config".to_string(),
            reason: "not in the stage's read globs".to_string(),
        },
        DeniedCall {
            call: "workspace.read".to_string(),
            target: "/etc/passwd".to_string(),
            reason: "outside the workspace".to_string(),
        },
        DeniedCall {
            call: "data.open".to_string(),
            target: "osv".to_string(),
            reason: "data set not granted".to_string(),
        },
    ];
    secrets.duration_ms = 1200;

    let mut models = stage(
        "models",
        Some(plugin("models", "0.2.0-beta.1")),
        StageStatus::Completed,
    );
    models.rules = vec![rule(
        "models/pickle-code-execution",
        "Pickle can run code",
        Severity::Critical,
    )];
    let mut pickle_location = location("models/bundle.zip");
    pickle_location.byte_offset = Some(1234);
    pickle_location.member = Some("inner/model.pkl".to_string());
    let mut pickle = finding(
        "models/pickle-code-execution",
        Severity::Critical,
        "pickle opcode GLOBAL imports os.system",
        Some(pickle_location),
    );
    pickle.properties = vec![
        ("opcode".to_string(), "GLOBAL".to_string()),
        ("import".to_string(), "os.system".to_string()),
        ("tags".to_string(), "not-an-array".to_string()),
    ];
    let unlocated = finding(
        "models/no-inventory",
        Severity::Info,
        "no model files found",
        None,
    );
    models.findings = vec![pickle, unlocated];
    models.files_scanned = 3;
    models.bytes_scanned = 512;
    models.duration_ms = 80;

    let mut audit = stage(
        "audit",
        Some(plugin("audit", "1.0.0")),
        StageStatus::Errored {
            kind: ErrorKind::Timeout,
            message: "the stage ran longer than 30s".to_string(),
        },
    );
    let mut advisory = finding(
        "RUSTSEC-2024-0003",
        Severity::High,
        "smallvec 1.6.0: buffer overflow in insert_many",
        Some(location("artifact:sbom")),
    );
    advisory.properties = vec![
        ("package".to_string(), "smallvec".to_string()),
        ("version".to_string(), "1.6.0".to_string()),
        (
            "url".to_string(),
            "https://rustsec.org/advisories/RUSTSEC-2024-0003".to_string(),
        ),
        (
            "rule-short-description".to_string(),
            "Buffer overflow in SmallVec::insert_many".to_string(),
        ),
        ("rule-help".to_string(), "Upgrade to >=1.6.1".to_string()),
        (
            "aliases".to_string(),
            r#"["CVE-2021-25900","GHSA-43w2-9j62-hq99"]"#.to_string(),
        ),
    ];
    let mut from_lockfile = finding(
        "PYSEC-2024-0001",
        Severity::Medium,
        "idna 3.6: denial of service",
        None,
    );
    from_lockfile.properties = vec![(
        "lockfile".to_string(),
        "app/requirements lock.txt".to_string(),
    )];
    audit.findings = vec![advisory, from_lockfile];
    audit.duration_ms = 30_000;

    let sbom_check = stage(
        "sbom-check",
        None,
        StageStatus::Skipped {
            reason: "stage `audit` it depends on did not complete".to_string(),
        },
    );
    let custom = stage(
        "custom",
        None,
        StageStatus::Errored {
            kind: ErrorKind::Plugin,
            message: "cannot load plugins/custom.wasm: not a component".to_string(),
        },
    );

    RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".to_string(),
        started_at: "2025-01-02T03:04:05Z".to_string(),
        duration_ms: 31_400,
        fail_on: Severity::High,
        version_control: Some(VersionControl {
            repository_uri: Some("git@github.com:cordon-sec/demo.git".to_string()),
            revision: COMMIT.to_string(),
            branch: Some("main".to_string()),
        }),
        stages: vec![secrets, models, audit, sbom_check, custom],
        artifacts: vec![ArtifactInfo {
            name: "sbom".to_string(),
            media_type: "application/vnd.cyclonedx+json".to_string(),
            producer: "sbom".to_string(),
            bytes: 2048,
        }],
        shard: None,
    }
}

/// The sample with only completed stages (for the exit-code tests).
pub fn completed_only() -> RunReport {
    let mut report = sample_report();
    report.stages.retain(|s| s.status == StageStatus::Completed);
    report
}

/// Everything a careless or hostile plugin could put in a report: empty
/// strings, zero and reversed regions, control characters, markup, a NUL,
/// terminal escapes, odd paths.
pub fn hostile_report() -> RunReport {
    let mut stage = stage("weird", Some(plugin("", "")), StageStatus::Completed);
    stage.rules = vec![
        rule("", "", Severity::Low),
        rule("dup", "first", Severity::Low),
        rule("dup", "second", Severity::High),
    ];
    let mut zero = location("a/../b/\u{0}x<y>.txt");
    zero.region = Some(region(0, 0, 0, 0));
    let mut reversed = location("C:/Windows/win.ini");
    reversed.region = Some(region(9, 8, 2, 1));
    let mut same_line = location("./ok.txt");
    same_line.region = Some(region(4, 9, 4, 2));
    same_line.commit = Some("ç".to_string());
    same_line.member = Some(String::new());
    let mut empty_path = location("");
    empty_path.byte_offset = Some(u64::MAX);
    let mut findings = vec![
        finding("", Severity::Critical, "", Some(zero)),
        finding(
            "dup",
            Severity::High,
            "\u{1b}[2J\u{1b}[0;0Hok: nothing at or above high\r\n",
            Some(reversed),
        ),
        finding(
            "x]]>",
            Severity::Info,
            "\u{8}\u{b}\u{c}\u{FFFE}\u{202E}txt.exe",
            Some(same_line),
        ),
        finding(
            "unknown",
            Severity::Medium,
            "no rule in the catalogue",
            Some(empty_path),
        ),
        finding(
            "slash/",
            Severity::Low,
            "trailing slash",
            Some(location("/abs/path")),
        ),
    ];
    findings[0].fingerprint = String::new();
    findings[0].snippet = Some(String::new());
    findings[1].snippet = Some("<![CDATA[ x ]]> & \u{0}".to_string());
    findings[2].properties = vec![
        ("".to_string(), "".to_string()),
        ("url".to_string(), "javascript:alert(1)".to_string()),
    ];
    stage.findings = findings;
    stage.findings_truncated = true;
    stage.skipped = vec![
        Skipped {
            path: String::new(),
            reason: String::new(),
        },
        Skipped {
            path: "artifact:x".to_string(),
            reason: "\u{0}".to_string(),
        },
    ];
    stage.notes = vec![String::new(), "\u{1b}]0;title\u{7}".to_string()];
    stage.denied = vec![DeniedCall {
        call: String::new(),
        target: String::new(),
        reason: String::new(),
    }];
    stage.duration_ms = u64::MAX;
    let errored = self::stage(
        "",
        Some(plugin("x", "1")),
        StageStatus::Errored {
            kind: ErrorKind::Trap,
            message: String::new(),
        },
    );
    RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: String::new(),
        started_at: String::new(),
        duration_ms: u64::MAX,
        fail_on: Severity::Info,
        version_control: Some(VersionControl {
            repository_uri: Some("not a uri".to_string()),
            revision: String::new(),
            branch: None,
        }),
        stages: vec![stage, errored],
        artifacts: Vec::new(),
        shard: None,
    }
}

/// An empty run: no stages at all.
pub fn empty_report() -> RunReport {
    RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".to_string(),
        started_at: "2025-01-02T03:04:05Z".to_string(),
        duration_ms: 0,
        fail_on: Severity::High,
        version_control: None,
        stages: Vec::new(),
        artifacts: Vec::new(),
        shard: None,
    }
}

/// A completed `secrets` stage with one live medium finding and three high
/// ones its stage reported as suppressed: by a baseline (external,
/// unchanged), by an inline comment (inSource) and by an allow-list
/// (external, no justification). `fail_on` is high.
pub fn suppressed_report() -> RunReport {
    let mut secrets = stage(
        "secrets",
        Some(plugin("secrets", "0.1.0")),
        StageStatus::Completed,
    );
    secrets.rules = vec![
        rule("secrets/github-pat", "GitHub token", Severity::High),
        rule(
            "secrets/generic-api-key",
            "Generic API key",
            Severity::Medium,
        ),
    ];
    let at = |path: &str, line: u32| {
        let mut l = location(path);
        l.region = Some(region(line, 1, line, 20));
        l
    };
    let live = finding(
        "secrets/generic-api-key",
        Severity::Medium,
        "API key",
        Some(at("src/live.rs", 1)),
    );
    let mut baselined = finding(
        "secrets/github-pat",
        Severity::High,
        "GitHub token in the baseline",
        Some(at("src/old.rs", 2)),
    );
    baselined.properties = vec![
        (SUPPRESSION_KIND_PROPERTY.into(), "external".into()),
        (
            SUPPRESSION_JUSTIFICATION_PROPERTY.into(),
            "accepted in baseline .cordon/secrets-baseline.json".into(),
        ),
        (BASELINE_STATE_PROPERTY.into(), "unchanged".into()),
    ];
    let mut inline = finding(
        "secrets/github-pat",
        Severity::High,
        "GitHub token with an allow comment",
        Some(at("tests/fixture.rs", 3)),
    );
    inline.properties = vec![
        (SUPPRESSION_KIND_PROPERTY.into(), "inSource".into()),
        (
            SUPPRESSION_JUSTIFICATION_PROPERTY.into(),
            "inline cordon:allow on line 3".into(),
        ),
    ];
    let mut allowed = finding(
        "secrets/github-pat",
        Severity::High,
        "GitHub token in an allowed path",
        Some(at("docs/example.md", 4)),
    );
    allowed.properties = vec![(SUPPRESSION_KIND_PROPERTY.into(), "external".into())];
    secrets.findings = vec![live, baselined, inline, allowed];
    secrets.files_scanned = 4;
    RunReport {
        schema_version: SCHEMA_VERSION,
        tool_version: "0.1.0".into(),
        started_at: "2026-01-01T00:00:00Z".into(),
        duration_ms: 10,
        fail_on: Severity::High,
        version_control: None,
        stages: vec![secrets],
        artifacts: Vec::new(),
        shard: None,
    }
}
