//! Pipeline TOML -> a typed, validated [`Pipeline`].
//!
//! Parsing keeps spans so that every error points at `file:line:column`.
//! Semantic checks (unknown `needs`, cycles, bad globs, two writers of one
//! artifact) live here too, so a pipeline that loads is one the runner can
//! schedule.

mod units;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use cordon_report::Severity;
use cordon_workspace::ReadGrant;

pub use units::{parse_duration, parse_size};

/// The pipeline used when the workspace has no `cordon.toml`.
pub const DEFAULT_PIPELINE: &str = include_str!("default.toml");
/// How the default pipeline is named in error messages.
pub const DEFAULT_PIPELINE_NAME: &str = "<built-in default pipeline>";

/// A configuration error with its place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based; `None` when the error is about the file as a whole.
    pub position: Option<(usize, usize)>,
    pub message: String,
    pub hint: Option<String>,
    /// The offending source line, for the terminal.
    pub source_line: Option<String>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let (Some(text), Some((line, column))) = (&self.source_line, self.position) {
            let gutter = line.to_string().len();
            write!(
                f,
                "\n {:gutter$} |\n {line} | {text}\n {:gutter$} | {:>column$}",
                "", "", "^"
            )?;
        }
        if let Some(hint) = &self.hint {
            write!(f, "\n  = hint: {hint}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// Where a stage's component comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginSource {
    /// Embedded in the binary: `builtin:<name>`.
    Builtin(String),
    /// A component file, pinned by its sha256.
    Path { path: PathBuf, sha256: String },
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PluginSource::Builtin(name) => write!(f, "builtin:{name}"),
            PluginSource::Path { path, .. } => write!(f, "{}", path.display()),
        }
    }
}

/// What a stage may touch. Everything not listed is denied.
#[derive(Debug, Clone)]
pub struct Grants {
    pub read: ReadGrant,
    pub data: BTreeSet<String>,
    pub artifacts_read: BTreeSet<String>,
    pub artifacts_write: BTreeSet<String>,
    /// May see the commits the run selected (`--git-history`, `pre-push`).
    pub git: bool,
    /// May keep a cache between runs.
    pub cache: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    pub timeout: Duration,
    pub memory: u64,
    pub max_findings: usize,
    pub max_artifact_bytes: u64,
    pub max_log_bytes: u64,
    /// Largest single `read` / `read-at` answer.
    pub max_read_bytes: u64,
    pub max_cache_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(300),
            memory: 1 << 30,
            max_findings: 10_000,
            max_artifact_bytes: 64 << 20,
            max_log_bytes: 1 << 20,
            max_read_bytes: 256 << 20,
            max_cache_bytes: 256 << 20,
        }
    }
}

#[derive(Debug, Clone)]
pub struct StageConfig {
    pub name: String,
    pub plugin: PluginSource,
    pub needs: Vec<String>,
    pub grants: Grants,
    pub limits: Limits,
    /// The `options` table as JSON, handed to the plugin's `run`.
    pub options: serde_json::Value,
}

#[derive(Debug, Clone)]
pub struct Pipeline {
    /// The file it came from (or [`DEFAULT_PIPELINE_NAME`]).
    pub source: String,
    pub fail_on: Option<Severity>,
    /// Sorted by name; [`crate::plan`] orders them.
    pub stages: Vec<StageConfig>,
}

impl Pipeline {
    pub fn stage(&self, name: &str) -> Option<&StageConfig> {
        self.stages.iter().find(|s| s.name == name)
    }

    /// Reads and validates a pipeline file. Relative plugin paths are
    /// resolved against the file's directory.
    pub fn load(path: &Path) -> Result<Pipeline, ConfigError> {
        let display = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            file: display.clone(),
            position: None,
            message: format!("cannot read pipeline file: {e}"),
            hint: None,
            source_line: None,
        })?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, &display, base)
    }

    /// The built-in default pipeline: every stage of [`DEFAULT_PIPELINE`]
    /// whose plugin this binary embeds.
    pub fn default_pipeline() -> Pipeline {
        let mut table: toml::Table = DEFAULT_PIPELINE
            .parse()
            .expect("the default pipeline is valid TOML (tested)");
        if let Some(stages) = table.get_mut("stages").and_then(|v| v.as_table_mut()) {
            stages.retain(|_, stage| {
                let builtin = stage
                    .get("plugin")
                    .and_then(|p| p.as_str())
                    .and_then(|p| p.strip_prefix("builtin:"));
                builtin.is_some_and(|name| crate::plugins::builtin_names().any(|b| b == name))
            });
        }
        let text = toml::to_string(&table).expect("a TOML table serialises");
        Self::parse(&text, DEFAULT_PIPELINE_NAME, Path::new("."))
            .expect("the built-in default pipeline is valid (tested)")
    }

    pub fn parse(text: &str, file: &str, base: &Path) -> Result<Pipeline, ConfigError> {
        let at = |span: Option<std::ops::Range<usize>>, message: String, hint: Option<String>| {
            located(text, file, span, message, hint)
        };
        let raw: RawPipeline = toml::from_str(text).map_err(|e| {
            let hint = hint_for_parse_error(e.message());
            at(e.span(), e.message().trim().to_string(), hint)
        })?;

        let fail_on = raw.pipeline.and_then(|p| p.fail_on);
        let names: BTreeSet<String> = raw.stages.keys().cloned().collect();
        let mut stages = Vec::new();
        let mut writers: BTreeMap<String, String> = BTreeMap::new();
        for (name, stage) in raw.stages {
            if !valid_stage_name(&name) {
                return Err(at(
                    None,
                    format!("stage name `{name}` is not valid"),
                    Some("use lowercase letters, digits and `-`".into()),
                ));
            }
            let plugin = plugin_source(&stage, base)
                .map_err(|(span, message, hint)| at(span, message, hint))?;
            for need in &stage.needs {
                if !names.contains(need.get_ref()) {
                    return Err(at(
                        Some(need.span()),
                        format!(
                            "stage `{name}` needs `{}`, which is not a stage of this pipeline",
                            need.get_ref()
                        ),
                        closest(need.get_ref(), &names).map(|c| format!("did you mean `{c}`?")),
                    ));
                }
                if need.get_ref() == &name {
                    return Err(at(
                        Some(need.span()),
                        format!("stage `{name}` needs itself"),
                        None,
                    ));
                }
            }
            let grants = stage.grants.unwrap_or_default();
            let read = ReadGrant::new(
                &grants
                    .read
                    .iter()
                    .map(|g| g.get_ref().as_str())
                    .collect::<Vec<_>>(),
            )
            .map_err(|e| {
                let span = grants
                    .read
                    .iter()
                    .find(|g| ReadGrant::new(&[g.get_ref()]).is_err())
                    .map(|g| g.span());
                at(
                    span,
                    format!("invalid read grant for stage `{name}`: {e}"),
                    Some("read grants are globs relative to the workspace, e.g. \"src/**\"".into()),
                )
            })?;
            let artifacts = grants.artifacts.unwrap_or_default();
            for artifact in &artifacts.write {
                if let Some(other) = writers.insert(artifact.get_ref().clone(), name.clone()) {
                    return Err(at(
                        Some(artifact.span()),
                        format!(
                            "artifact `{}` is written by both `{other}` and `{name}`",
                            artifact.get_ref()
                        ),
                        Some("each artifact has exactly one producing stage".into()),
                    ));
                }
            }
            let limits = limits(stage.limits.unwrap_or_default()).map_err(|(span, message)| {
                at(
                    Some(span),
                    message,
                    Some("durations look like \"30s\" or \"2m\"; sizes like \"256MiB\"".into()),
                )
            })?;
            let options = match stage.options {
                Some(table) => toml_to_json(toml::Value::Table(table)),
                None => serde_json::Value::Object(Default::default()),
            };
            stages.push(StageConfig {
                name: name.clone(),
                plugin,
                needs: stage.needs.iter().map(|n| n.get_ref().clone()).collect(),
                grants: Grants {
                    read,
                    data: grants.data.into_iter().collect(),
                    artifacts_read: artifacts.read.iter().map(|a| a.get_ref().clone()).collect(),
                    artifacts_write: artifacts
                        .write
                        .iter()
                        .map(|a| a.get_ref().clone())
                        .collect(),
                    git: grants.git,
                    cache: grants.cache,
                },
                limits,
                options,
            });
        }
        let pipeline = Pipeline {
            source: file.to_string(),
            fail_on,
            stages,
        };
        crate::plan::Plan::new(&pipeline).map_err(|e| at(None, e.to_string(), None))?;
        Ok(pipeline)
    }

    /// Keeps only `names` (for `--only`). Edges to dropped stages are
    /// dropped too: their artifacts are simply absent.
    pub fn retain(&mut self, names: &[String]) -> Result<(), String> {
        for name in names {
            if self.stage(name).is_none() {
                let known: Vec<&str> = self.stages.iter().map(|s| s.name.as_str()).collect();
                return Err(format!(
                    "--only {name}: no such stage (stages: {})",
                    known.join(", ")
                ));
            }
        }
        self.stages.retain(|s| names.contains(&s.name));
        for stage in &mut self.stages {
            stage.needs.retain(|n| names.contains(n));
        }
        Ok(())
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    pipeline: Option<RawSettings>,
    #[serde(default)]
    stages: BTreeMap<String, RawStage>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    fail_on: Option<Severity>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    plugin: Spanned<String>,
    sha256: Option<Spanned<String>>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    grants: Option<RawGrants>,
    limits: Option<RawLimits>,
    options: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGrants {
    #[serde(default)]
    read: Vec<Spanned<String>>,
    #[serde(default)]
    data: Vec<String>,
    artifacts: Option<RawArtifactGrants>,
    #[serde(default)]
    git: bool,
    #[serde(default)]
    cache: bool,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawArtifactGrants {
    #[serde(default)]
    read: Vec<Spanned<String>>,
    #[serde(default)]
    write: Vec<Spanned<String>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    timeout: Option<Spanned<String>>,
    memory: Option<Spanned<SizeValue>>,
    max_findings: Option<usize>,
    max_artifact_bytes: Option<Spanned<SizeValue>>,
    max_log_bytes: Option<Spanned<SizeValue>>,
    max_read_bytes: Option<Spanned<SizeValue>>,
    max_cache_bytes: Option<Spanned<SizeValue>>,
}

/// A size written as bytes (`1048576`) or with a unit (`"1MiB"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

type SpannedError = (Option<std::ops::Range<usize>>, String, Option<String>);

fn plugin_source(stage: &RawStage, base: &Path) -> Result<PluginSource, SpannedError> {
    let plugin = stage.plugin.get_ref();
    if let Some(name) = plugin.strip_prefix("builtin:") {
        if !crate::plugins::builtin_names().any(|b| b == name) {
            let known: Vec<&str> = crate::plugins::builtin_names().collect();
            return Err((
                Some(stage.plugin.span()),
                format!("there is no built-in plugin `{name}`"),
                Some(format!("built-in plugins: {}", known.join(", "))),
            ));
        }
        if let Some(sha) = &stage.sha256 {
            return Err((
                Some(sha.span()),
                "`sha256` is only for plugins loaded from a path; built-in plugins are pinned by the binary".into(),
                None,
            ));
        }
        return Ok(PluginSource::Builtin(name.to_string()));
    }
    let Some(sha256) = &stage.sha256 else {
        return Err((
            Some(stage.plugin.span()),
            format!("plugin `{plugin}` is loaded from a path but has no `sha256`"),
            Some(
                "pin it: add `sha256 = \"<hex>\"` (the output of `sha256sum` on the .wasm file)"
                    .into(),
            ),
        ));
    };
    let digest = sha256.get_ref().trim().to_ascii_lowercase();
    if digest.len() != 64 || !digest.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err((
            Some(sha256.span()),
            "`sha256` must be 64 hexadecimal characters".into(),
            None,
        ));
    }
    Ok(PluginSource::Path {
        path: base.join(plugin),
        sha256: digest,
    })
}

fn limits(raw: RawLimits) -> Result<Limits, (std::ops::Range<usize>, String)> {
    let mut limits = Limits::default();
    if let Some(timeout) = raw.timeout {
        limits.timeout = parse_duration(timeout.get_ref()).map_err(|e| (timeout.span(), e))?;
    }
    let size = |value: Spanned<SizeValue>| -> Result<u64, (std::ops::Range<usize>, String)> {
        match value.get_ref() {
            SizeValue::Bytes(n) => Ok(*n),
            SizeValue::Text(text) => parse_size(text).map_err(|e| (value.span(), e)),
        }
    };
    if let Some(memory) = raw.memory {
        limits.memory = size(memory)?;
    }
    if let Some(n) = raw.max_findings {
        limits.max_findings = n;
    }
    if let Some(v) = raw.max_artifact_bytes {
        limits.max_artifact_bytes = size(v)?;
    }
    if let Some(v) = raw.max_log_bytes {
        limits.max_log_bytes = size(v)?;
    }
    if let Some(v) = raw.max_read_bytes {
        limits.max_read_bytes = size(v)?;
    }
    if let Some(v) = raw.max_cache_bytes {
        limits.max_cache_bytes = size(v)?;
    }
    Ok(limits)
}

fn valid_stage_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// Turns a byte span into a located error.
fn located(
    text: &str,
    file: &str,
    span: Option<std::ops::Range<usize>>,
    message: String,
    hint: Option<String>,
) -> ConfigError {
    let position = span.map(|span| line_column(text, span.start));
    let source_line = position
        .and_then(|(line, _)| text.lines().nth(line - 1))
        .map(str::to_string);
    ConfigError {
        file: file.to_string(),
        position,
        message,
        hint,
        source_line,
    }
}

/// 1-based line and column (in characters) of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
    (line, column)
}

fn hint_for_parse_error(message: &str) -> Option<String> {
    if message.contains("unknown field") {
        Some("see the pipeline schema in the README; keys are kebab-case".into())
    } else if message.contains("unknown variant") {
        Some("severities are info, low, medium, high, critical".into())
    } else {
        None
    }
}

/// The known name closest to a misspelt one, if any is close.
fn closest<'a>(wanted: &str, known: &'a BTreeSet<String>) -> Option<&'a str> {
    known
        .iter()
        .map(|k| (edit_distance(wanted, k), k))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, k)| k.as_str())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous + usize::from(ca != *cb);
            previous = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(previous + 1);
        }
    }
    row[b.len()]
}

/// TOML datetimes become RFC 3339 strings; everything else maps directly.
fn toml_to_json(value: toml::Value) -> serde_json::Value {
    use serde_json::Value as J;
    match value {
        toml::Value::String(s) => J::String(s),
        toml::Value::Integer(i) => J::from(i),
        toml::Value::Float(f) => serde_json::Number::from_f64(f).map_or(J::Null, J::Number),
        toml::Value::Boolean(b) => J::Bool(b),
        toml::Value::Datetime(d) => J::String(d.to_string()),
        toml::Value::Array(items) => J::Array(items.into_iter().map(toml_to_json).collect()),
        toml::Value::Table(table) => J::Object(
            table
                .into_iter()
                .map(|(k, v)| (k, toml_to_json(v)))
                .collect(),
        ),
    }
}

#[cfg(test)]
mod tests;
