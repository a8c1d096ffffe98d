//! Shared by the end-to-end tests: they run the real `cordon` binary with
//! real components (built by runner/build.rs) over real temp directories.
#![allow(dead_code)] // each test binary uses a different subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

/// A compiled test or example component, by crate name.
pub fn guest(crate_name: &str) -> PathBuf {
    let path = Path::new(env!("CORDON_GUEST_WASM_DIR"))
        .join(format!("{}.wasm", crate_name.replace('-', "_")));
    assert!(
        path.is_file(),
        "{} was not built by runner/build.rs",
        path.display()
    );
    path
}

pub fn sha256_file(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// A `[stages.NAME]` block for a plugin loaded from a path, pinned.
pub fn path_stage(name: &str, crate_name: &str, extra: &str) -> String {
    let wasm = guest(crate_name);
    format!(
        "[stages.{name}]\nplugin = {:?}\nsha256 = \"{}\"\n{extra}\n",
        wasm.display().to_string(),
        sha256_file(&wasm)
    )
}

/// A cache shared by every test run, so each component compiles once.
pub fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cordon-test-cache")
}

/// `PATH` with the directory of the `cordon` under test first, as an
/// installed hook finds it.
pub fn path_with_cordon() -> std::ffi::OsString {
    let bin = Path::new(env!("CARGO_BIN_EXE_cordon"))
        .parent()
        .unwrap()
        .to_path_buf();
    let rest = std::env::var_os("PATH").unwrap_or_default();
    std::env::join_paths(std::iter::once(bin).chain(std::env::split_paths(&rest))).unwrap()
}

/// The configuration directory the tests' runs see.
pub fn config_home() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("cordon-test-config")
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    /// The `--report json=` output, when the run got that far.
    pub report: Option<serde_json::Value>,
}

impl Run {
    pub fn stage(&self, name: &str) -> &serde_json::Value {
        let report = self
            .report
            .as_ref()
            .unwrap_or_else(|| panic!("no report; stderr:\n{}", self.stderr));
        report["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["name"] == name)
            .unwrap_or_else(|| panic!("no stage {name} in {report:#}"))
    }

    pub fn findings(&self, stage: &str, rule: &str) -> Vec<&serde_json::Value> {
        self.stage(stage)["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["rule_id"] == rule)
            .collect()
    }

    /// Messages of the stage's findings with `rule`.
    pub fn messages(&self, stage: &str, rule: &str) -> Vec<String> {
        self.findings(stage, rule)
            .iter()
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    }

    pub fn state(&self, stage: &str) -> String {
        self.stage(stage)["status"]["state"]
            .as_str()
            .unwrap()
            .to_string()
    }

    pub fn error(&self, stage: &str) -> (String, String) {
        let status = &self.stage(stage)["status"];
        assert_eq!(status["state"], "errored", "{status:#}");
        (
            status["kind"].as_str().unwrap().to_string(),
            status["message"].as_str().unwrap().to_string(),
        )
    }
}

/// Runs `cordon ARGS` in `dir` with a JSON report, shared cache, no colour.
pub fn cordon(dir: &Path, args: &[&str]) -> Run {
    cordon_with(dir, args, |_| {})
}

pub fn cordon_with(dir: &Path, args: &[&str], configure: impl FnOnce(&mut Command)) -> Run {
    let report = dir.join(".cordon-test-report.json");
    let _ = std::fs::remove_file(&report);
    let mut command = Command::new(env!("CARGO_BIN_EXE_cordon"));
    command
        .current_dir(dir)
        .args(args)
        .arg("--report")
        .arg(format!("json={}", report.display()))
        .env("CORDON_CACHE_DIR", cache_dir())
        // The cache key and any user policy live here, not in the real home.
        .env("XDG_CONFIG_HOME", config_home())
        .env_remove("CORDON_POLICY")
        .env_remove("CORDON_CACHE_KEY")
        // Tests never reach for the network; the first-use fetch has its own test.
        .env("CORDON_OFFLINE", "1")
        .env("NO_COLOR", "1")
        .env_remove("CORDON_ADVISORY_DB")
        .env_remove("CORDON_OSV_DB")
        .stdin(Stdio::null());
    configure(&mut command);
    let output: Output = command.output().expect("run cordon");
    Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        report: std::fs::read(&report)
            .ok()
            .map(|b| serde_json::from_slice(&b).expect("the JSON report parses")),
    }
}

/// A GitHub token with a valid checksum, built at run time so this file
/// holds no token for scanners to trip over.
pub fn fake_github_token() -> String {
    github_token("R2d2C3poBb8Lk4Zq7Xw1Mn6Vt9Ys0H")
}

/// `random` is the 30-character body; the checksum is computed.
pub fn github_token(random: &str) -> String {
    const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut checksum = crc32fast::hash(random.as_bytes());
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(checksum % 62) as usize];
        checksum /= 62;
    }
    format!(
        "{}{random}{}",
        ["gh", "p_"].concat(),
        String::from_utf8_lossy(&digits)
    )
}

/// Writes `files` (path, content) under `dir`.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (path, content) in files {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, content).unwrap();
    }
}

/// The repository's shared test data (advisory databases, schemas).
pub fn shared(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared")
        .join(path)
}

/// Runs git in `dir`, with a fixed identity and no user config.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "Test")
        .env("GIT_AUTHOR_EMAIL", "test@example.com")
        .env("GIT_COMMITTER_NAME", "Test")
        .env("GIT_COMMITTER_EMAIL", "test@example.com")
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}

/// A Cargo.lock pinning smallvec 0.6.9, which has RustSec advisories
/// (RUSTSEC-2018-0018, -2019-0009, -2019-0012, -2021-0003).
pub const CARGO_LOCK: &str = r#"version = 3

[[package]]
name = "demo"
version = "0.1.0"
dependencies = ["smallvec"]

[[package]]
name = "smallvec"
version = "0.6.9"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "c4488ae950c49d403731982257768f48fada354a5203fe81f9bb6f43ca9002be"
"#;

/// Fails unless some line starts with `prefix`, showing them all.
pub fn assert_any_starts_with<S: AsRef<str>>(lines: &[S], prefix: &str) {
    let lines: Vec<&str> = lines.iter().map(AsRef::as_ref).collect();
    assert!(
        lines.iter().any(|line| line.starts_with(prefix)),
        "no line starts with {prefix:?}:\n{lines:#?}"
    );
}
