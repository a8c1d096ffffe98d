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

use crate::trust::{bounds, files};

pub use units::{parse_duration, parse_size};

/// The built-in pipeline, used unless `--pipeline` or `--repo-pipeline` names another.
pub const DEFAULT_PIPELINE: &str = include_str!("default.toml");
/// How the default pipeline is named in error messages.
pub const DEFAULT_PIPELINE_NAME: &str = "<built-in default pipeline>";

/// A configuration error with its place in the file.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub file: String,
    /// 1-based; `None` when the error is about the file as a whole.
    pub position: Option<(u32, u32)>,
    pub message: String,
    pub hint: Option<String>,
    /// The offending source line, for the terminal.
    pub source_line: Option<String>,
    /// Further errors found in the same file, so all are fixed in one go.
    pub also: Box<Vec<ConfigError>>,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((line, column)) => write!(f, "{}:{line}:{column}: {}", self.file, self.message)?,
            None => write!(f, "{}: {}", self.file, self.message)?,
        }
        if let (Some(text), Some((line, column))) = (&self.source_line, self.position) {
            let column = column as usize;
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
        for other in self.also.iter() {
            write!(f, "\n{other}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

impl ConfigError {
    /// An error about `file` as a whole (unreadable, not text), with no place in it.
    pub fn whole_file(file: &str, message: String) -> ConfigError {
        ConfigError {
            file: file.to_string(),
            position: None,
            message,
            hint: None,
            source_line: None,
            also: Box::default(),
        }
    }
}

/// Where a stage's component comes from.
#[derive(Debug, Clone, PartialEq)]
pub enum PluginSource {
    /// Embedded in the binary: `builtin:<name>`.
    Builtin(String),
    /// A component file, pinned by its sha256.
    Path {
        path: PathBuf,
        sha256: String,
        /// For a repository's own pipeline: the workspace root, which the
        /// plugin file must lie beneath (`path` is then relative to it and
        /// opened without following any link).
        beneath: Option<PathBuf>,
    },
}

/// Where a pipeline came from, which decides how far its contents are trusted.
#[derive(Debug, Clone, PartialEq)]
pub enum Origin {
    /// Plugin paths are relative to this directory (the file's own).
    Operator { base: PathBuf },
    /// The scanned repository's `cordon.toml`: plugin paths must stay
    /// beneath the workspace root.
    Repository { root: PathBuf },
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
    /// Everything the stage's findings may hold together (messages,
    /// snippets, properties), in bytes.
    pub max_report_bytes: u64,
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
            max_report_bytes: 16 << 20,
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

    /// Reads and validates a pipeline file the operator named (`--pipeline`).
    /// Relative plugin paths are resolved against the file's directory. The
    /// file is read without following a link at its name, must be a regular
    /// file of at most 1 MiB, and outside `workspace` its lines are never
    /// quoted in errors.
    pub fn load(path: &Path, workspace: &Path) -> Result<Pipeline, ConfigError> {
        let base = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let bytes = files::read_regular(path, "pipeline", files::MAX_CONFIG_BYTES);
        let inside = path.canonicalize().is_ok_and(|p| p.starts_with(workspace));
        Self::from_bytes(
            bytes,
            &path.display().to_string(),
            &Origin::Operator { base },
            inside,
        )
    }

    /// Reads and validates the repository's own `cordon.toml`, opened
    /// beneath `root` with no link anywhere on the path.
    pub fn load_repository(root: &Path) -> Result<Pipeline, ConfigError> {
        let bytes = files::read_beneath(
            root,
            Path::new(REPOSITORY_PIPELINE),
            "pipeline",
            files::MAX_CONFIG_BYTES,
        );
        let origin = Origin::Repository {
            root: root.to_path_buf(),
        };
        Self::from_bytes(bytes, REPOSITORY_PIPELINE, &origin, true)
    }

    fn from_bytes(
        bytes: Result<Vec<u8>, files::FileError>,
        display: &str,
        origin: &Origin,
        may_quote: bool,
    ) -> Result<Pipeline, ConfigError> {
        let whole_file = |message: String| ConfigError::whole_file(display, message);
        let bytes = bytes.map_err(|e| whole_file(e.to_string()))?;
        let text = String::from_utf8(bytes)
            .map_err(|_| whole_file("the pipeline file is not UTF-8 text".into()))?;
        Self::parse_from(&text, display, origin).map_err(|mut error| {
            if !may_quote {
                error.withhold_content();
            }
            error
        })
    }

    /// The built-in default pipeline: every stage of [`DEFAULT_PIPELINE`]
    /// whose plugin this binary embeds.
    pub fn default_pipeline() -> Pipeline {
        Self::parse(
            &Self::default_pipeline_text(),
            DEFAULT_PIPELINE_NAME,
            Path::new("."),
        )
        .expect("the built-in default pipeline is valid (tested)")
    }

    /// [`DEFAULT_PIPELINE`] less the stages whose plugin this binary does
    /// not embed.
    fn default_pipeline_text() -> String {
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
        toml::to_string(&table).expect("a TOML table serialises")
    }

    /// Parses pipeline text whose plugin paths are relative to `base`.
    pub fn parse(text: &str, file: &str, base: &Path) -> Result<Pipeline, ConfigError> {
        Self::parse_from(
            text,
            file,
            &Origin::Operator {
                base: base.to_path_buf(),
            },
        )
    }

    fn parse_from(text: &str, file: &str, origin: &Origin) -> Result<Pipeline, ConfigError> {
        let at = |span: Option<std::ops::Range<usize>>, message: String, hint: Option<String>| {
            located(text, file, span, message, hint)
        };
        let raw: RawPipeline = toml::from_str(text).map_err(|e| {
            let hint = hint_for_parse_error(e.message());
            at(e.span(), e.message().trim().to_string(), hint)
        })?;
        let settings = raw.pipeline.unwrap_or_default();
        let mut raw_stages = raw.stages;
        if let Some(extends) = &settings.extends {
            if extends.get_ref() != EXTENDABLE {
                return Err(at(
                    Some(extends.span()),
                    format!(
                        "`extends` names `{}`, which is not a pipeline Cordon knows",
                        extends.get_ref()
                    ),
                    Some(format!("the pipeline a file can extend is `{EXTENDABLE}`")),
                ));
            }
            raw_stages = extend_default(raw_stages, extends.span());
        }
        // `enabled = false` drops a stage (typically one the file extends).
        raw_stages.retain(|_, stage| {
            stage
                .get_ref()
                .enabled
                .as_ref()
                .is_none_or(|enabled| *enabled.get_ref())
        });

        let names: BTreeSet<String> = raw_stages.keys().cloned().collect();
        let mut errors = Vec::new();
        let mut stages = Vec::new();
        let mut writers: BTreeMap<String, String> = BTreeMap::new();
        for (name, stage) in raw_stages {
            match stage_config(&name, stage, &names, origin) {
                Ok((stage, written)) => {
                    for artifact in written {
                        if let Some(other) =
                            writers.insert(artifact.get_ref().clone(), name.clone())
                        {
                            errors.push(at(
                                Some(artifact.span()),
                                format!(
                                    "artifact `{}` is written by both `{other}` and `{name}`",
                                    artifact.get_ref()
                                ),
                                Some("each artifact has exactly one producing stage".into()),
                            ));
                        }
                    }
                    stages.push(stage);
                }
                Err(stage_errors) => errors.extend(
                    stage_errors
                        .into_iter()
                        .map(|(span, message, hint)| at(span, message, hint)),
                ),
            }
        }
        if stages.is_empty() && errors.is_empty() {
            errors.push(at(
                None,
                "the pipeline has no stages, so it would check nothing".into(),
                Some(format!(
                    "add a `[stages.NAME]` table, set `extends = \"{EXTENDABLE}\"` under `[pipeline]`, or run without a pipeline file to use the built-in one"
                )),
            ));
        }
        if let Some(mut first) = (!errors.is_empty()).then(|| errors.remove(0)) {
            first.also = Box::new(errors);
            return Err(first);
        }
        let pipeline = Pipeline {
            source: file.to_string(),
            fail_on: settings.fail_on,
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
    stages: BTreeMap<String, Spanned<RawStage>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    fail_on: Option<Severity>,
    /// `builtin:default`: start from the built-in pipeline.
    extends: Option<Spanned<String>>,
}

/// A stage table. Keys are optional here so that a file extending the
/// built-in pipeline can set only some; [`stage_config`] says what a
/// complete stage needs.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawStage {
    enabled: Option<Spanned<bool>>,
    plugin: Option<Spanned<String>>,
    sha256: Option<Spanned<String>>,
    needs: Option<Vec<Spanned<String>>>,
    grants: Option<RawGrants>,
    limits: Option<RawLimits>,
    options: Option<toml::Table>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawGrants {
    read: Option<Vec<Spanned<String>>>,
    data: Option<Vec<String>>,
    artifacts: Option<RawArtifactGrants>,
    git: Option<bool>,
    cache: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawArtifactGrants {
    read: Option<Vec<Spanned<String>>>,
    write: Option<Vec<Spanned<String>>>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawLimits {
    timeout: Option<Spanned<String>>,
    memory: Option<Spanned<SizeValue>>,
    max_findings: Option<Spanned<usize>>,
    max_artifact_bytes: Option<Spanned<SizeValue>>,
    max_log_bytes: Option<Spanned<SizeValue>>,
    max_read_bytes: Option<Spanned<SizeValue>>,
    max_cache_bytes: Option<Spanned<SizeValue>>,
    max_report_bytes: Option<Spanned<SizeValue>>,
}

/// A size written as bytes (`1048576`) or with a unit (`"1MiB"`).
#[derive(Deserialize)]
#[serde(untagged)]
enum SizeValue {
    Bytes(u64),
    Text(String),
}

type SpannedError = (Option<std::ops::Range<usize>>, String, Option<String>);

/// The pipeline a file may extend with `[pipeline] extends = "…"`.
pub const EXTENDABLE: &str = "builtin:default";

/// One stage's table, checked; every problem found is returned, not just
/// the first. On success also the artifacts it writes, for the
/// one-writer-per-artifact check across stages.
fn stage_config(
    name: &str,
    stage: Spanned<RawStage>,
    names: &BTreeSet<String>,
    origin: &Origin,
) -> Result<(StageConfig, Vec<Spanned<String>>), Vec<SpannedError>> {
    let table_span = stage.span();
    let stage = stage.into_inner();
    let mut errors: Vec<SpannedError> = Vec::new();
    if !valid_stage_name(name) {
        errors.push((
            Some(table_span.clone()),
            format!("stage name `{name}` is not valid"),
            Some("use lowercase letters, digits and `-`".into()),
        ));
    }
    let Some(plugin_name) = &stage.plugin else {
        errors.push((
            Some(table_span),
            format!("stage `{name}` has no `plugin`"),
            Some(format!(
                "set `plugin = \"builtin:NAME\"` or a component path with its `sha256`; only a stage of the extended `{EXTENDABLE}` pipeline may leave it out"
            )),
        ));
        return Err(errors);
    };
    let plugin_span = plugin_name.span();
    let plugin = match plugin_source(name, &stage, plugin_name, origin) {
        Ok(plugin) => Some(plugin),
        Err(error) => {
            errors.push(error);
            None
        }
    };
    let needs = stage.needs.unwrap_or_default();
    for need in &needs {
        if !names.contains(need.get_ref()) {
            errors.push((
                Some(need.span()),
                format!(
                    "stage `{name}` needs `{}`, which is not a stage of this pipeline",
                    need.get_ref()
                ),
                closest(need.get_ref(), names).map(|c| format!("did you mean `{c}`?")),
            ));
        } else if need.get_ref() == name {
            errors.push((
                Some(need.span()),
                format!("stage `{name}` needs itself"),
                None,
            ));
        }
    }
    let grants = stage.grants.unwrap_or_default();
    let read_globs = grants.read.unwrap_or_default();
    let read = match ReadGrant::new(
        &read_globs
            .iter()
            .map(|g| g.get_ref().as_str())
            .collect::<Vec<_>>(),
    ) {
        Ok(read) => read,
        Err(e) => {
            let span = read_globs
                .iter()
                .find(|g| ReadGrant::new(&[g.get_ref()]).is_err())
                .map(|g| g.span());
            errors.push((
                span,
                format!("invalid read grant for stage `{name}`: {e}"),
                Some("read grants are globs relative to the workspace, e.g. \"src/**\"".into()),
            ));
            ReadGrant::none()
        }
    };
    let artifacts = grants.artifacts.unwrap_or_default();
    let artifacts_read = artifacts.read.unwrap_or_default();
    let artifacts_write = artifacts.write.unwrap_or_default();
    let data = grants.data.unwrap_or_default();
    let git = grants.git.unwrap_or(false);
    if let Some(PluginSource::Builtin(builtin)) = &plugin
        && crate::plugins::WORKSPACE_STAGES.contains(&builtin.as_str())
        && read_globs.is_empty()
    {
        errors.push((
            Some(plugin_span.clone()),
            format!(
                "stage `{name}` is granted no files to read (`read` is empty), so it would scan nothing"
            ),
            Some("grant it the files to scan, e.g. `read = [\"**\"]`".into()),
        ));
    } else if read_globs.is_empty() && artifacts_read.is_empty() && data.is_empty() && !git {
        errors.push((
            Some(plugin_span.clone()),
            format!("stage `{name}` is granted nothing to read: no files, artifacts, data sets or commits"),
            Some("a stage that reads nothing cannot check anything; grant it `read`, `artifacts.read`, `data` or `git`".into()),
        ));
    }
    let limits = match limits(stage.limits.unwrap_or_default()) {
        Ok(limits) => limits,
        Err((span, message)) => {
            errors.push((
                Some(span),
                message,
                Some("durations look like \"30s\" or \"2m\"; sizes like \"256MiB\"".into()),
            ));
            Limits::default()
        }
    };
    let (Some(plugin), true) = (plugin, errors.is_empty()) else {
        return Err(errors);
    };
    let options = match stage.options {
        Some(table) => toml_to_json(toml::Value::Table(table)),
        None => serde_json::Value::Object(Default::default()),
    };
    let config = StageConfig {
        name: name.to_string(),
        plugin,
        needs: needs.iter().map(|n| n.get_ref().clone()).collect(),
        grants: Grants {
            read,
            data: data.into_iter().collect(),
            artifacts_read: artifacts_read.iter().map(|a| a.get_ref().clone()).collect(),
            artifacts_write: artifacts_write
                .iter()
                .map(|a| a.get_ref().clone())
                .collect(),
            git,
            cache: grants.cache.unwrap_or(false),
        },
        limits,
        options,
    };
    Ok((config, artifacts_write))
}

/// The built-in pipeline's stages with `own` laid over them: a stage the
/// file names keeps every key it does not set from the built-in one (grants
/// and limits key by key, options key by key), and a stage only the file
/// has is added. Values taken from the built-in pipeline carry the span of
/// `extends`, so an error about one points there.
fn extend_default(
    own: BTreeMap<String, Spanned<RawStage>>,
    extends: std::ops::Range<usize>,
) -> BTreeMap<String, Spanned<RawStage>> {
    let base: RawPipeline = toml::from_str(&Pipeline::default_pipeline_text())
        .expect("the built-in default pipeline is valid (tested)");
    let mut stages: BTreeMap<String, Spanned<RawStage>> = base
        .stages
        .into_iter()
        .map(|(name, stage)| {
            let stage = respan_stage(stage.into_inner(), &extends);
            (name, Spanned::new(extends.clone(), stage))
        })
        .collect();
    for (name, theirs) in own {
        let merged = match stages.remove(&name) {
            Some(base) => {
                let span = theirs.span();
                Spanned::new(span, overlay(base.into_inner(), theirs.into_inner()))
            }
            None => theirs,
        };
        stages.insert(name, merged);
    }
    stages
}

/// `theirs` over `base`, key by key.
fn overlay(base: RawStage, theirs: RawStage) -> RawStage {
    let grants = match (base.grants, theirs.grants) {
        (Some(b), Some(t)) => Some(RawGrants {
            read: t.read.or(b.read),
            data: t.data.or(b.data),
            artifacts: t.artifacts.or(b.artifacts),
            git: t.git.or(b.git),
            cache: t.cache.or(b.cache),
        }),
        (b, t) => t.or(b),
    };
    let limits = match (base.limits, theirs.limits) {
        (Some(b), Some(t)) => Some(RawLimits {
            timeout: t.timeout.or(b.timeout),
            memory: t.memory.or(b.memory),
            max_findings: t.max_findings.or(b.max_findings),
            max_artifact_bytes: t.max_artifact_bytes.or(b.max_artifact_bytes),
            max_log_bytes: t.max_log_bytes.or(b.max_log_bytes),
            max_read_bytes: t.max_read_bytes.or(b.max_read_bytes),
            max_cache_bytes: t.max_cache_bytes.or(b.max_cache_bytes),
            max_report_bytes: t.max_report_bytes.or(b.max_report_bytes),
        }),
        (b, t) => t.or(b),
    };
    let options = match (base.options, theirs.options) {
        (Some(mut b), Some(t)) => {
            b.extend(t);
            Some(b)
        }
        (b, t) => t.or(b),
    };
    RawStage {
        enabled: theirs.enabled.or(base.enabled),
        plugin: theirs.plugin.or(base.plugin),
        sha256: theirs.sha256.or(base.sha256),
        needs: theirs.needs.or(base.needs),
        grants,
        limits,
        options,
    }
}

/// Every span of a built-in stage, moved to `span` (the `extends` value).
fn respan_stage(stage: RawStage, span: &std::ops::Range<usize>) -> RawStage {
    let respan = |value: Spanned<String>| Spanned::new(span.clone(), value.into_inner());
    let respan_all = |values: Option<Vec<Spanned<String>>>| {
        values.map(|values| values.into_iter().map(respan).collect::<Vec<_>>())
    };
    let grants = stage.grants.map(|grants| RawGrants {
        read: respan_all(grants.read),
        artifacts: grants.artifacts.map(|a| RawArtifactGrants {
            read: respan_all(a.read),
            write: respan_all(a.write),
        }),
        ..grants
    });
    RawStage {
        plugin: stage.plugin.map(respan),
        sha256: stage.sha256.map(respan),
        needs: respan_all(stage.needs),
        grants,
        // The built-in pipeline sets no limits; were it to, they would be
        // within bounds (tested), so their spans are never reported.
        ..stage
    }
}

fn plugin_source(
    name: &str,
    stage: &RawStage,
    plugin_name: &Spanned<String>,
    origin: &Origin,
) -> Result<PluginSource, SpannedError> {
    let plugin = plugin_name.get_ref();
    if let Some(builtin) = plugin.strip_prefix("builtin:") {
        if !crate::plugins::builtin_names().any(|b| b == builtin) {
            let known: Vec<&str> = crate::plugins::builtin_names().collect();
            return Err((
                Some(plugin_name.span()),
                format!("there is no built-in plugin `{builtin}`"),
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
        if builtin != name && crate::plugins::builtin_names().any(|b| b == name) {
            return Err(reserved_name(name, plugin_name));
        }
        return Ok(PluginSource::Builtin(builtin.to_string()));
    }
    // A third-party plugin under a built-in's name would show in every
    // report as that built-in ("secrets completed, no findings").
    if crate::plugins::builtin_names().any(|b| b == name) {
        return Err(reserved_name(name, plugin_name));
    }
    let Some(sha256) = &stage.sha256 else {
        return Err((
            Some(plugin_name.span()),
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
    let (path, beneath) = match origin {
        Origin::Operator { base } => (base.join(plugin), None),
        Origin::Repository { root } => {
            let relative = Path::new(plugin);
            if relative.is_absolute()
                || relative
                    .components()
                    .any(|c| matches!(c, std::path::Component::ParentDir))
            {
                return Err((
                    Some(plugin_name.span()),
                    format!(
                        "plugin `{plugin}` is outside the repository; a repository's pipeline may only load plugins from inside it"
                    ),
                    Some(
                        "use a relative path without `..`, or pass the pipeline with --pipeline"
                            .into(),
                    ),
                ));
            }
            (relative.to_path_buf(), Some(root.clone()))
        }
    };
    Ok(PluginSource::Path {
        path,
        sha256: digest,
        beneath,
    })
}

fn reserved_name(name: &str, plugin_name: &Spanned<String>) -> SpannedError {
    (
        Some(plugin_name.span()),
        format!(
            "stage name `{name}` belongs to the built-in `{name}` stage; only `builtin:{name}` may run under it"
        ),
        Some(format!(
            "name this stage something else, e.g. `{name}-extra`"
        )),
    )
}

/// The stage's limits, each checked against [`bounds`]: a pipeline cannot
/// make a limit no limit.
fn limits(raw: RawLimits) -> Result<Limits, (std::ops::Range<usize>, String)> {
    let mut limits = Limits::default();
    if let Some(timeout) = raw.timeout {
        limits.timeout = parse_duration(timeout.get_ref()).map_err(|e| (timeout.span(), e))?;
        if limits.timeout > bounds::MAX_TIMEOUT {
            return Err((
                timeout.span(),
                format!(
                    "timeout `{}` is over the largest allowed, {}",
                    timeout.get_ref(),
                    humantime::format_duration(bounds::MAX_TIMEOUT)
                ),
            ));
        }
    }
    let size = |key: &str,
                value: Spanned<SizeValue>,
                max: u64|
     -> Result<u64, (std::ops::Range<usize>, String)> {
        let bytes = match value.get_ref() {
            SizeValue::Bytes(n) => Ok(*n),
            SizeValue::Text(text) => parse_size(text).map_err(|e| (value.span(), e)),
        }?;
        bounds::at_most(key, bytes, max).map_err(|e| (value.span(), e))
    };
    if let Some(memory) = raw.memory {
        let span = memory.span();
        limits.memory = size("memory", memory, bounds::MAX_MEMORY)?;
        if limits.memory < bounds::MIN_MEMORY {
            return Err((
                span,
                format!("`memory` must be at least {} bytes", bounds::MIN_MEMORY),
            ));
        }
    }
    if let Some(n) = raw.max_findings {
        if *n.get_ref() == 0 || *n.get_ref() > bounds::MAX_FINDINGS {
            return Err((
                n.span(),
                format!(
                    "`max-findings` must be between 1 and {}",
                    bounds::MAX_FINDINGS
                ),
            ));
        }
        limits.max_findings = *n.get_ref();
    }
    if let Some(v) = raw.max_artifact_bytes {
        limits.max_artifact_bytes = size("max-artifact-bytes", v, bounds::MAX_ARTIFACT_BYTES)?;
    }
    if let Some(v) = raw.max_log_bytes {
        limits.max_log_bytes = size("max-log-bytes", v, bounds::MAX_LOG_BYTES)?;
    }
    if let Some(v) = raw.max_read_bytes {
        limits.max_read_bytes = size("max-read-bytes", v, bounds::MAX_READ_BYTES)?;
    }
    if let Some(v) = raw.max_cache_bytes {
        limits.max_cache_bytes = size("max-cache-bytes", v, bounds::MAX_CACHE_BYTES)?;
    }
    if let Some(v) = raw.max_report_bytes {
        limits.max_report_bytes = size("max-report-bytes", v, bounds::MAX_REPORT_BYTES)?;
    }
    Ok(limits)
}

fn valid_stage_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The repository's own pipeline file, at the workspace root.
pub const REPOSITORY_PIPELINE: &str = "cordon.toml";

impl ConfigError {
    /// Drops everything that could quote the file: for a file outside the
    /// workspace, whose content may be anything of the host's. The place
    /// stays; quoted fragments of the message become `…`.
    fn withhold_content(&mut self) {
        for other in self.also.iter_mut() {
            other.withhold_content();
        }
        self.source_line = None;
        let mut out = String::new();
        let mut open: Option<char> = None;
        for c in self.message.chars() {
            match open {
                Some(quote) if c == quote => {
                    out.push('…');
                    out.push(c);
                    open = None;
                }
                Some(_) => {}
                None => {
                    out.push(c);
                    if c == '"' || c == '`' || c == '\'' {
                        open = Some(c);
                    }
                }
            }
        }
        if open.is_some() {
            out.push('…');
        }
        self.message = out;
    }
}

/// Turns a byte span into a located error.
pub(crate) fn located(
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
    let narrow = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let position = position.map(|(line, column)| (narrow(line), narrow(column)));
    ConfigError {
        file: file.to_string(),
        position,
        message,
        hint,
        source_line,
        also: Box::default(),
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
        // "unknown field `timout`, expected one of `timeout`, `memory`, …"
        let quoted: Vec<&str> = message.split('`').skip(1).step_by(2).collect();
        if let Some((wanted, known)) = quoted.split_first() {
            let known: BTreeSet<String> = known.iter().map(|k| k.to_string()).collect();
            if let Some(close) = closest(wanted, &known) {
                return Some(format!("did you mean `{close}`?"));
            }
        }
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
