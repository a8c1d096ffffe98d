//! Runs a validated pipeline: schedules the DAG, builds each stage's
//! sandbox from its grants, and collects a [`RunReport`].

mod convert;
pub mod git_scope;
pub mod progress;

pub use convert::{escape_controls, rule as rule_from_wit};

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::{Duration, Instant, SystemTime};

use cordon_report::{
    ArtifactInfo, ErrorKind, PluginInfo, RunReport, Severity, StageReport, StageStatus, merge,
};
use cordon_workspace::{ReadGrant, Shard, Workspace};

use crate::config::{Pipeline, StageConfig};
use crate::host::artifacts::{ArtifactAccess, ArtifactStore};
use crate::host::audit::{AuditLog, CallRecorder};
use crate::host::cache::CacheAccess;
use crate::host::data::{DataAccess, DataSet};
use crate::host::findings::{self, FindingSink, SharedSink};
use crate::host::git::{GitAccess, GitScope};
use crate::host::log::LogSink;
use crate::host::output::CappedOutput;
use crate::host::workspace::WorkspaceAccess;
use crate::host::{StageState, bindings};
use crate::plan::Plan;
use crate::plugins;
use crate::sandbox::{self, LoadedPlugin, MemoryLimiter, RunResult, Sandbox};
use crate::trust::anomaly::{self, AuditBaseline};
use crate::trust::cache_auth::CacheKey;

/// Captured stdout/stderr per stage, in bytes.
const MAX_STDIO_BYTES: usize = 64 * 1024;

/// Everything a run needs besides the pipeline.
pub struct RunContext {
    /// The workspace, canonical.
    pub root: PathBuf,
    /// Data-set name -> where it is, or why it is unavailable.
    pub data_sets: BTreeMap<String, Result<DataSet, String>>,
    pub git_scope: Option<GitScope>,
    /// Compiled components and stage caches live under here.
    pub cache_dir: Option<PathBuf>,
    /// Authenticates compiled components in `cache_dir`.
    pub cache_key: Option<CacheKey>,
    pub audit_log: AuditLog,
    pub fail_on: Severity,
    /// Severity of the finding raised for each file a stage could not scan.
    pub unscanned_severity: Severity,
    /// Plugins from a path must be signed by one of these (policy).
    pub trusted_keys: Vec<String>,
    /// Each stage's normal access profile (`--audit-baseline`).
    pub audit_baseline: Option<AuditBaseline>,
    /// Git's tracked files, read once when a stage first opens the workspace.
    pub tracked: std::sync::OnceLock<Option<Arc<BTreeSet<String>>>>,
    /// This job's slot of a sharded run: stages list only its files.
    pub shard: Option<Shard>,
    /// Instances a shardable stage runs as (`--jobs`); `None`: one per
    /// CPU when the workspace is big enough to repay their start-up.
    pub jobs: Option<u32>,
    /// Lines on the terminal while stages run.
    pub progress: progress::Progress,
}

impl RunContext {
    fn tracked_files(&self) -> Option<Arc<BTreeSet<String>>> {
        self.tracked
            .get_or_init(|| git_scope::tracked_files(&self.root).map(Arc::new))
            .clone()
    }
}

/// Stages run at once, at most. Each holds a component instance from the
/// pooling allocator; past this they wait their turn instead of failing
/// to instantiate.
const MAX_PARALLEL_STAGES: usize = 16;

/// The note of a narrowly granted stage whose grant matched no file.
pub const NO_FILE_MATCHED: &str =
    "no file in the workspace matches this stage's read grant, so it had nothing to check";

/// The rule of the finding raised for a file a stage could not scan.
pub const UNSCANNED_RULE: &str = "cordon/unscanned";

/// One stage's result plus what it left for the run.
struct StageOutcome {
    report: StageReport,
    completed: bool,
}

pub async fn execute(
    pipeline: &Pipeline,
    context: RunContext,
) -> anyhow::Result<(RunReport, ArtifactStore)> {
    let started = Instant::now();
    let started_at = humantime::format_rfc3339_seconds(SystemTime::now()).to_string();
    let plan = Plan::new(pipeline)?;
    // Opening a repository initialises libgit2 and discovers the repository:
    // work no stage waits for, so it is done beside them.
    let version_control = tokio::task::spawn_blocking({
        let root = context.root.clone();
        move || git_scope::version_control(&root)
    });
    let sandbox = Arc::new(Sandbox::new(
        context
            .cache_dir
            .as_ref()
            .zip(context.cache_key.clone())
            .map(|(dir, key)| (dir.join("components"), key)),
    )?);
    let context = Arc::new(context);
    let store = ArtifactStore::default();
    let mut preparing = prepare_all(pipeline, &sandbox, &context);

    let mut reports: BTreeMap<String, StageReport> = BTreeMap::new();
    let mut completed: BTreeSet<String> = BTreeSet::new();
    let mut started_stages: BTreeSet<String> = BTreeSet::new();
    let mut running = tokio::task::JoinSet::new();
    loop {
        // Skip stages whose dependencies finished without completing, and
        // repeat until nothing changes: a stage two hops behind a failed one
        // is skipped too, not left out of the report.
        let mut skipped_any = true;
        while skipped_any {
            skipped_any = false;
            for stage in &pipeline.stages {
                if started_stages.contains(&stage.name) {
                    continue;
                }
                let deps = &plan.dependencies[&stage.name];
                if let Some(failed) = deps
                    .iter()
                    .find(|d| reports.contains_key(*d) && !completed.contains(*d))
                {
                    started_stages.insert(stage.name.clone());
                    reports.insert(stage.name.clone(), skipped_report(stage, failed));
                    skipped_any = true;
                }
            }
        }
        for stage in &pipeline.stages {
            if started_stages.contains(&stage.name) || running.len() >= MAX_PARALLEL_STAGES {
                continue;
            }
            if plan.dependencies[&stage.name]
                .iter()
                .all(|d| completed.contains(d))
            {
                started_stages.insert(stage.name.clone());
                // `prepare_all` started one for every stage of the pipeline.
                let preparing = preparing.remove(&stage.name);
                let (stage, sandbox, context, store) = (
                    stage.clone(),
                    sandbox.clone(),
                    context.clone(),
                    store.clone(),
                );
                running.spawn(async move {
                    let prepared = match preparing {
                        Some(preparing) => preparing.await.unwrap_or_else(|e| Err(stopped(e))),
                        None => Err(stopped("it was never started")),
                    };
                    tokio::task::spawn_blocking(move || {
                        run_stage(&stage, prepared, &sandbox, &context, store)
                    })
                    .await
                });
            }
        }
        let Some(joined) = running.join_next().await else {
            break;
        };
        let outcome = joined??;
        if outcome.completed {
            completed.insert(outcome.report.name.clone());
        }
        reports.insert(outcome.report.name.clone(), outcome.report);
    }

    // Stages skipped behind a failed dependency were prepared all the same;
    // their describe() calls run under their own limits, so this ends.
    for (_, leftover) in preparing {
        let _ = leftover.await;
    }

    let stages: Vec<StageReport> = plan
        .order
        .iter()
        .filter_map(|name| reports.remove(name))
        .collect();
    let artifacts = store
        .all()
        .into_iter()
        .map(|(name, a)| ArtifactInfo {
            name,
            media_type: a.media_type,
            producer: a.producer,
            bytes: a.bytes.len() as u64,
        })
        .collect();
    context.audit_log.flush()?;
    // Releasing the engine (its memory pool and every stage's native code)
    // is process teardown, not part of the run: it goes on beside the
    // report instead of before it.
    std::thread::spawn(move || drop(sandbox));
    let report = RunReport {
        schema_version: cordon_report::SCHEMA_VERSION,
        tool_version: env!("CARGO_PKG_VERSION").to_string(),
        started_at,
        duration_ms: started.elapsed().as_millis() as u64,
        fail_on: context.fail_on,
        version_control: version_control.await?,
        stages,
        artifacts,
        shard: context.shard.map(|shard| cordon_report::ShardInfo {
            index: shard.index,
            count: shard.count,
        }),
    };
    Ok((report, store))
}

fn skipped_report(stage: &StageConfig, failed_dependency: &str) -> StageReport {
    let mut report = StageReport::new(&stage.name);
    report.status = StageStatus::Skipped {
        reason: format!("stage `{failed_dependency}` it depends on did not complete"),
    };
    report
}

fn errored(mut report: StageReport, kind: ErrorKind, message: String) -> StageOutcome {
    report.status = StageStatus::Errored { kind, message };
    StageOutcome {
        report,
        completed: false,
    }
}

/// A stage whose plugin is verified, linked and described: everything
/// before its run, none of which needs another stage's output.
struct Prepared {
    plugin: plugins::VerifiedPlugin,
    loaded: LoadedPlugin,
    info: bindings::cordon::stage::types::StageInfo,
    took: Duration,
}

type Preparing = tokio::task::JoinHandle<Result<Prepared, (ErrorKind, String)>>;

/// Starts preparing every stage at once, at most one per CPU at a time
/// (linking native code and `describe()` are CPU work), so a stage waiting
/// for another's artifact is ready to run the moment it arrives instead of
/// only then loading its plugin: on the default pipeline that takes two
/// loads off the models -> sbom -> audit chain.
fn prepare_all(
    pipeline: &Pipeline,
    sandbox: &Arc<Sandbox>,
    context: &Arc<RunContext>,
) -> BTreeMap<String, Preparing> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let permits = Arc::new(tokio::sync::Semaphore::new(cpus.min(MAX_PARALLEL_STAGES)));
    pipeline
        .stages
        .iter()
        .map(|stage| {
            let name = stage.name.clone();
            let (stage, sandbox, context, permits) = (
                stage.clone(),
                sandbox.clone(),
                context.clone(),
                permits.clone(),
            );
            let preparing = tokio::spawn(async move {
                // The semaphore is never closed, so acquiring cannot fail.
                let permit = permits.acquire_owned().await.ok();
                tokio::task::spawn_blocking(move || {
                    let prepared = prepare_stage(&stage, &sandbox, &context);
                    drop(permit);
                    prepared
                })
                .await
                .unwrap_or_else(|error| Err(stopped(error)))
            });
            (name, preparing)
        })
        .collect()
}

/// Why a stage has no preparation to run from.
fn stopped(why: impl std::fmt::Display) -> (ErrorKind, String) {
    (
        ErrorKind::Failed,
        format!("preparing the stage stopped: {why}"),
    )
}

fn prepare_stage(
    stage: &StageConfig,
    sandbox: &Sandbox,
    context: &RunContext,
) -> Result<Prepared, (ErrorKind, String)> {
    let started = Instant::now();
    let plugin = plugins::load(&stage.plugin, &context.trusted_keys)
        .map_err(|error| (ErrorKind::Plugin, error.to_string()))?;
    let loaded = sandbox
        .load(&plugin)
        .map_err(|error| (ErrorKind::Plugin, format!("{}: {error}", plugin.source)))?;
    let linked = started.elapsed();
    let info = describe(sandbox, &loaded, stage, &plugin.sha256, context)?;
    let took = started.elapsed();
    tracing::debug!(
        "{}: prepared in {} ms (linked in {} ms, described in {} ms)",
        stage.name,
        took.as_millis(),
        linked.as_millis(),
        (took - linked).as_millis()
    );
    Ok(Prepared {
        plugin,
        loaded,
        info,
        took,
    })
}

fn run_stage(
    stage: &StageConfig,
    prepared: Result<Prepared, (ErrorKind, String)>,
    sandbox: &Sandbox,
    context: &RunContext,
    store: ArtifactStore,
) -> StageOutcome {
    let started = Instant::now();
    let mut report = StageReport::new(&stage.name);
    let Prepared {
        plugin,
        loaded,
        info,
        took: preparing_took,
    } = match prepared {
        Ok(prepared) => prepared,
        Err((kind, message)) => return errored(report, kind, message),
    };
    report.plugin = Some(PluginInfo {
        name: info.name,
        version: info.version,
        description: info.description,
        source: plugin.source.clone(),
        sha256: plugin.sha256.clone(),
    });
    report.rules = info
        .rules
        .into_iter()
        .map(|rule| convert::rule(crate::host::findings::bounded_rule(rule)))
        .collect();
    let (narrowed, dropped) = narrow_to_requests(stage, &info.requests);
    if !dropped.is_empty() {
        report.notes.push(format!(
            "grants narrowed to what the plugin requests in describe(): dropped {}",
            dropped.join(", ")
        ));
    }
    let stage = &narrowed;

    // A stage that declares itself shardable runs as one instance per job,
    // each listing a disjoint share of the files and commits, with one
    // findings cap and one memory budget between them.
    let shares = instance_shares(stage, info.shardable, context);
    let budget = SharedBudget::single(stage, context);
    let sink = budget.findings.clone();
    let line = context.progress.stage(&stage.name);
    let mut prepared = Vec::with_capacity(shares.len());
    for share in &shares {
        let shared = SharedBudget {
            share: *share,
            ..budget.clone()
        };
        match stage_state(stage, &plugin.sha256, context, store.clone(), shared) {
            Ok(mut state) => {
                state.state.calls.progress = line.clone();
                prepared.push(state);
            }
            Err(message) => return errored(report, ErrorKind::Failed, message),
        }
    }
    let options = stage.options.to_string();
    let timeout = stage.limits.timeout;
    let outputs: Vec<(CappedOutput, CappedOutput)> = prepared
        .iter()
        .map(|p| (p.stdout.clone(), p.stderr.clone()))
        .collect();
    let states: Vec<StageState> = prepared.into_iter().map(|p| p.state).collect();
    let runs: Vec<(RunResult, Option<StageState>)> = if states.len() == 1 {
        states
            .into_iter()
            .map(|state| sandbox.run(&loaded, state, timeout, &options))
            .collect()
    } else {
        std::thread::scope(|scope| {
            let running: Vec<_> = states
                .into_iter()
                .map(|state| scope.spawn(|| sandbox.run(&loaded, state, timeout, &options)))
                .collect();
            running
                .into_iter()
                .map(|instance| match instance.join() {
                    Ok(run) => run,
                    Err(_) => (
                        RunResult::Failed(sandbox::GuestFailure {
                            kind: ErrorKind::Failed,
                            message: "an instance of the stage stopped the host thread running it"
                                .into(),
                        }),
                        None,
                    ),
                })
                .collect()
        })
    };
    line.finish();
    let ran = started.elapsed();
    tracing::debug!("{}: ran in {} ms", stage.name, ran.as_millis());
    report.duration_ms = (preparing_took + ran).as_millis() as u64;

    let instances = runs.len();
    let mut usage: Option<crate::host::audit::Usage> = None;
    let mut profile: Option<anomaly::AccessProfile> = None;
    let mut instance_notes: Vec<Vec<String>> = Vec::new();
    let mut status = StageStatus::Completed;
    for ((result, state), (stdout, stderr)) in runs.into_iter().zip(&outputs) {
        let mut stderr_text = String::new();
        if let Some(state) = state {
            usage.get_or_insert_default().absorb(state.calls.usage);
            profile.get_or_insert_default().absorb(&state.calls.profile);
            stderr_text = collect_state(&mut report, state, stdout, stderr);
        }
        match result {
            RunResult::Completed(summary) => {
                report.files_scanned += summary.files_scanned;
                report.bytes_scanned += summary.bytes_scanned;
                report.skipped.extend(summary.skipped.into_iter().map(|s| {
                    cordon_report::Skipped {
                        path: s.path,
                        reason: s.reason,
                    }
                }));
                instance_notes.push(summary.notes);
            }
            failed if status.is_completed() => status = failure_status(failed, stage, &stderr_text),
            _ => {}
        }
    }
    // The stage's own findings first: the baseline's deviations join them.
    take_findings(&mut report, &sink, instances > 1);
    if let Some(profile) = &mut profile {
        profile.plugin = plugin.sha256.clone();
        if let Some(baseline) = &context.audit_baseline {
            compare_to_baseline(&mut report, profile, baseline);
        }
    }
    report
        .notes
        .splice(0..0, join_instance_notes(instance_notes));
    if instances > 1 {
        report.notes.push(format!(
            "ran as {instances} instances, each over its share of the files (--jobs)"
        ));
    }
    if status.is_completed()
        && let Some(usage) = usage
        && usage.inputs_read == 0
        && report.files_scanned == 0
    {
        let narrow_grant = stage.grants.read.patterns() != ["**"];
        if usage.files_listed == Some(0) && narrow_grant {
            // A stage for some kinds of file (Terraform, say) looked, and
            // the workspace has none: it checked all its grant holds. A
            // whole-workspace scanner that sees no file still errs below.
            report.notes.push(NO_FILE_MATCHED.into());
        } else if context.shard.is_some() {
            // Another job's slot may hold this stage's files; `cordon
            // merge` makes it an error if none did.
            report.notes.push(merge::NOTHING_IN_SHARD.into());
        } else {
            status = StageStatus::Errored {
                kind: ErrorKind::Failed,
                message: merge::READ_NOTHING.into(),
            };
        }
    }
    report_unscanned(&mut report, context.unscanned_severity);
    describe_dynamic_rules(&mut report);
    let completed = matches!(status, StageStatus::Completed);
    report.status = status;
    StageOutcome { report, completed }
}

/// The stage's status from an instance that did not complete.
fn failure_status(result: RunResult, stage: &StageConfig, stderr_text: &str) -> StageStatus {
    match result {
        RunResult::Completed(_) => StageStatus::Completed,
        RunResult::StageError(error) => {
            let (kind, message) = match error {
                bindings::cordon::stage::types::StageError::InvalidOptions(m) => (
                    ErrorKind::InvalidOptions,
                    format!("invalid options in [stages.{}.options]: {m}", stage.name),
                ),
                bindings::cordon::stage::types::StageError::Denied(m) => {
                    (ErrorKind::Denied, escape_controls(m))
                }
                bindings::cordon::stage::types::StageError::Failed(m) => {
                    (ErrorKind::Failed, escape_controls(m))
                }
            };
            StageStatus::Errored { kind, message }
        }
        RunResult::Failed(failure) => {
            let mut message = failure.message;
            let tail: String = stderr_text
                .lines()
                .rev()
                .take(5)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect::<Vec<_>>()
                .join("\n");
            if !tail.trim().is_empty() {
                message.push_str(&format!("; the stage's last stderr lines:\n{tail}"));
            }
            StageStatus::Errored {
                kind: failure.kind,
                message,
            }
        }
    }
}

/// Most instances of one stage on one run: past a few the start-up of each
/// costs more than the share of files it takes, and each holds slots of the
/// engine's instance pool.
const MAX_INSTANCES_PER_STAGE: u32 = 8;

/// The share of the files each instance of the stage lists: one per job
/// for a stage that declares itself shardable and writes no artifact (two
/// instances would each write a partial one), else the run's own slot.
/// The split is `--shard`'s, so a sharded CI job splits its slot further.
fn instance_shares(
    stage: &StageConfig,
    shardable: bool,
    context: &RunContext,
) -> Vec<Option<Shard>> {
    if !shardable || !stage.grants.artifacts_write.is_empty() {
        return vec![context.shard];
    }
    let jobs = match context.jobs {
        Some(jobs) => jobs,
        None => {
            let cpus = std::thread::available_parallelism().map_or(1, |n| n.get() as u32);
            let wanted = (cpus as usize).min(MAX_INSTANCES_PER_STAGE as usize);
            let units = work_units_up_to(context, wanted * UNITS_PER_INSTANCE);
            (units / UNITS_PER_INSTANCE).clamp(1, wanted) as u32
        }
    }
    .clamp(1, MAX_INSTANCES_PER_STAGE);
    if jobs == 1 {
        return vec![context.shard];
    }
    context
        .shard
        .unwrap_or(Shard::WHOLE)
        .split(jobs)
        .into_iter()
        .map(Some)
        .collect()
}

/// Files plus commits in scope per extra instance, when `--jobs` is not
/// given: below this a second instance's start-up (its rules compiled
/// again) costs more than its share of the work saves.
const UNITS_PER_INSTANCE: usize = 200;

/// The workspace's files (git's index, else a walk) plus the commits in
/// scope, counted up to `cap`.
fn work_units_up_to(context: &RunContext, cap: usize) -> usize {
    let commits = context
        .git_scope
        .as_ref()
        .map_or(0, |scope| scope.commits.len());
    if commits >= cap {
        return cap;
    }
    let files = match context.tracked_files() {
        Some(tracked) => tracked.len(),
        None => {
            // Not a git repository: a bounded walk, links not followed.
            let mut count = 0;
            let mut pending = vec![context.root.clone()];
            while let Some(dir) = pending.pop() {
                for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                    match entry.file_type() {
                        Ok(kind) if kind.is_dir() && entry.file_name() != ".git" => {
                            pending.push(entry.path());
                        }
                        Ok(kind) if kind.is_file() => count += 1,
                        _ => {}
                    }
                    if count + commits >= cap {
                        return cap;
                    }
                }
            }
            count
        }
    };
    (files + commits).min(cap)
}

/// The instances' notes: a note every instance gave is shown once; notes
/// that differ (counts of each instance's share) are shown per instance.
fn join_instance_notes(instance_notes: Vec<Vec<String>>) -> Vec<String> {
    let count = instance_notes.len();
    if count <= 1 {
        return instance_notes.into_iter().flatten().collect();
    }
    let mut joined: Vec<String> = Vec::new();
    for (index, notes) in instance_notes.iter().enumerate() {
        for note in notes {
            let everywhere = instance_notes.iter().all(|other| other.contains(note));
            let line = if everywhere {
                note.clone()
            } else {
                format!("instance {}/{count}: {note}", index + 1)
            };
            if !joined.contains(&line) {
                joined.push(line);
            }
        }
    }
    joined
}

/// The findings every instance handed over, kept by the stage's one sink.
/// From several instances, one finding per (rule, fingerprint): two can
/// meet one secret (a commit each), as `cordon merge` joins shards.
fn take_findings(report: &mut StageReport, sink: &SharedSink, several_instances: bool) {
    let mut sink = findings::lock(sink);
    let mut seen = BTreeSet::new();
    report.findings = std::mem::take(&mut sink.findings)
        .into_iter()
        .map(convert::finding)
        .filter(|finding| {
            !several_instances
                || seen.insert((finding.rule_id.clone(), finding.fingerprint.clone()))
        })
        .collect();
    report.findings_truncated = sink.truncated;
    if sink.truncated {
        report.notes.push(format!(
            "the stage reached its limit of {} findings or {} bytes of findings; the most severe were kept, and the run fails",
            sink.max, sink.max_bytes
        ));
    }
}

fn describe(
    sandbox: &Sandbox,
    loaded: &LoadedPlugin,
    stage: &StageConfig,
    plugin_sha256: &str,
    context: &RunContext,
) -> Result<bindings::cordon::stage::types::StageInfo, (ErrorKind, String)> {
    // Given no grants, `describe` answers from the component alone, so an
    // earlier run's answer (MAC-checked, see `trust::cache_auth`) stands.
    if let Some(info) = sandbox.cached_description(plugin_sha256) {
        tracing::debug!("{}: description from the cache", stage.name);
        return Ok(info);
    }
    // `describe` gets a store with no grants at all, and the stage's limits.
    let mut denied = Pipeline::nothing_granted(&stage.name);
    denied.limits = stage.limits.clone();
    let budget = SharedBudget::single(&denied, context);
    let state = stage_state(
        &denied,
        plugin_sha256,
        context,
        ArtifactStore::default(),
        budget,
    )
    .map_err(|message| (ErrorKind::Plugin, message))?;
    let info = sandbox
        .describe(loaded, state.state, stage.limits.timeout)
        .map_err(|failure| {
            // A limit that stopped it is named as such; anything else is the
            // plugin's own failure.
            let kind = match failure.kind {
                ErrorKind::Timeout | ErrorKind::MemoryLimit => failure.kind,
                _ => ErrorKind::Plugin,
            };
            (
                kind,
                format!("the plugin's describe() failed: {}", failure.message),
            )
        })?;
    sandbox.remember_description(plugin_sha256, &info);
    Ok(info)
}

/// Turns what the stage did beyond its audit baseline into findings.
fn compare_to_baseline(
    report: &mut StageReport,
    profile: &anomaly::AccessProfile,
    baseline: &AuditBaseline,
) {
    let Some(normal) = baseline.stages.get(&report.name) else {
        report.notes.push(format!(
            "the audit baseline has no profile for stage `{}`; record one with `cordon audit baseline`",
            report.name
        ));
        return;
    };
    if !normal.plugin.is_empty() && normal.plugin != profile.plugin {
        report.notes.push(format!(
            "the plugin changed since the audit baseline (sha256 {} then, {} now)",
            normal.plugin, profile.plugin
        ));
    }
    let deviations = profile.deviations(normal, &report.name);
    if !deviations.is_empty() {
        report.findings.extend(deviations);
        report.rules.extend(anomaly::rules());
    }
}

/// The stage with each grant cut to what its plugin asked for: a pipeline
/// that grants more than a plugin requests gives it only the request
/// (least privilege even when a pipeline is generous), and the dropped
/// grants are listed for the report.
fn narrow_to_requests(
    stage: &StageConfig,
    requests: &bindings::cordon::stage::types::CapabilityRequest,
) -> (StageConfig, Vec<String>) {
    let mut narrowed = stage.clone();
    let mut dropped = Vec::new();
    if !requests.workspace && !narrowed.grants.read.is_empty() {
        dropped.push("read (the plugin does not read the workspace)".to_string());
        narrowed.grants.read = ReadGrant::none();
    }
    let keep = |granted: &mut BTreeSet<String>,
                requested: &[String],
                what: &str,
                dropped: &mut Vec<String>| {
        granted.retain(|name| {
            let wanted = requested.iter().any(|r| r == name);
            if !wanted {
                dropped.push(format!("{what} `{name}`"));
            }
            wanted
        });
    };
    keep(
        &mut narrowed.grants.data,
        &requests.data,
        "data set",
        &mut dropped,
    );
    keep(
        &mut narrowed.grants.artifacts_read,
        &requests.artifacts_read,
        "artifact read",
        &mut dropped,
    );
    keep(
        &mut narrowed.grants.artifacts_write,
        &requests.artifacts_write,
        "artifact write",
        &mut dropped,
    );
    (narrowed, dropped)
}

/// What `cordon plugin inspect` shows of a component, learnt without
/// granting it anything: its imports and its own description.
pub struct Inspection {
    pub imports: Vec<String>,
    pub info: bindings::cordon::stage::types::StageInfo,
}

/// Loads a verified component (uncached) and calls its `describe()` with no
/// grants and the default limits.
pub fn inspect(plugin: &plugins::VerifiedPlugin) -> Result<Inspection, String> {
    let sandbox = Sandbox::new(None).map_err(|e| e.to_string())?;
    let loaded = sandbox.load(plugin).map_err(|e| e.to_string())?;
    let context = RunContext {
        root: PathBuf::from("."),
        data_sets: BTreeMap::new(),
        git_scope: None,
        cache_dir: None,
        cache_key: None,
        audit_log: AuditLog::default(),
        fail_on: Severity::High,
        unscanned_severity: Severity::High,
        trusted_keys: Vec::new(),
        audit_baseline: None,
        tracked: std::sync::OnceLock::new(),
        shard: None,
        jobs: Some(1),
        progress: progress::Progress::default(),
    };
    let stage = Pipeline::nothing_granted("inspect");
    let info = describe(&sandbox, &loaded, &stage, &plugin.sha256, &context)
        .map_err(|(_, message)| message)?;
    Ok(Inspection {
        imports: loaded.imports,
        info,
    })
}

/// Each file the stage could not scan becomes a finding, so `--fail-on`
/// acts on it: an unread file is never a silent pass.
fn report_unscanned(report: &mut StageReport, severity: Severity) {
    if report.skipped.is_empty() {
        return;
    }
    for skipped in &report.skipped {
        report.findings.push(cordon_report::Finding {
            rule_id: UNSCANNED_RULE.into(),
            severity,
            message: format!("not scanned: {}", skipped.reason),
            location: Some(cordon_report::Location {
                path: skipped.path.clone(),
                region: None,
                byte_offset: None,
                member: None,
                commit: None,
            }),
            fingerprint: format!("{UNSCANNED_RULE}:{}", skipped.path),
            snippet: None,
            properties: Vec::new(),
        });
    }
    report.rules.push(cordon_report::Rule {
        id: UNSCANNED_RULE.into(),
        short_description: "File could not be scanned".into(),
        full_description: "The stage could not scan this file (too large, unreadable or in a format it cannot read), so nothing can be said about what it holds.".into(),
        help: "Make the file scannable (raise the stage's size option, fix the file), exclude it from the stage's `read` grant if it is not yours to scan, or lower `unscanned-severity` in the policy.".into(),
        default_severity: severity,
        properties: Vec::new(),
    });
}

struct PreparedState {
    state: StageState,
    stdout: CappedOutput,
    stderr: CappedOutput,
}

/// Builds the sandbox state from the stage's grants: each capability
/// module gets exactly what the grant names.
/// What the instances of one stage share, and the share of the files (and
/// commits) one of them lists.
#[derive(Clone)]
struct SharedBudget {
    findings: SharedSink,
    memory: Arc<AtomicUsize>,
    share: Option<Shard>,
}

impl SharedBudget {
    /// A stage run as one instance, over the run's own slot.
    fn single(stage: &StageConfig, context: &RunContext) -> Self {
        Self {
            findings: Arc::new(std::sync::Mutex::new(FindingSink::new(
                stage.limits.max_findings,
                stage.limits.max_report_bytes,
            ))),
            memory: Arc::default(),
            share: context.shard,
        }
    }
}

fn stage_state(
    stage: &StageConfig,
    plugin_sha256: &str,
    context: &RunContext,
    store: ArtifactStore,
    shared: SharedBudget,
) -> Result<PreparedState, String> {
    let grants = &stage.grants;
    let limits = &stage.limits;
    let workspace = if grants.read.is_empty() {
        None
    } else {
        Some({
            let workspace =
                Workspace::open(&context.root, grants.read.clone(), limits.max_read_bytes)
                    .map_err(|e| {
                        format!("cannot open workspace {}: {e}", context.root.display())
                    })?;
            let workspace = match context.tracked_files() {
                Some(tracked) => workspace.with_tracked(tracked),
                None => workspace,
            };
            match shared.share {
                Some(share) => workspace.with_shard(share),
                None => workspace,
            }
        })
    };
    let data_sets = grants
        .data
        .iter()
        .map(|name| {
            let set = context.data_sets.get(name).cloned().unwrap_or_else(|| {
                Err(format!(
                    "Cordon has no data set named `{name}` (known: rustsec, osv)"
                ))
            });
            (name.clone(), set)
        })
        .collect();
    // Keyed by the plugin's digest, not the stage's name: another plugin
    // run under the same name (from another repository's pipeline) must
    // never read or rewrite this one's entries.
    let stage_cache = grants
        .cache
        .then(|| {
            context
                .cache_dir
                .as_ref()
                .map(|d| d.join("stages").join(plugin_sha256))
        })
        .flatten();
    let git_scope = if grants.git {
        // Commits are split like files (a `--shard` job's were chosen
        // already; its share of them is a subset).
        context.git_scope.clone().map(|mut scope| {
            if let Some(share) = shared.share {
                scope.commits.retain(|commit| share.owns(commit));
            }
            scope
        })
    } else {
        None
    };
    let stdout = CappedOutput::new(MAX_STDIO_BYTES);
    let stderr = CappedOutput::new(MAX_STDIO_BYTES);
    let state = StageState {
        wasi: sandbox::wasi_context(&stdout, &stderr),
        table: sandbox::resource_table(),
        limiter: MemoryLimiter::shared(limits.memory, shared.memory),
        calls: CallRecorder::new(&stage.name, plugin_sha256, context.audit_log.clone()),
        workspace: WorkspaceAccess { workspace },
        data: DataAccess::new(data_sets, limits.max_read_bytes),
        artifacts: ArtifactAccess {
            store,
            readable: grants.artifacts_read.clone(),
            writable: grants.artifacts_write.clone(),
            max_bytes: limits.max_artifact_bytes,
            stage: stage.name.clone(),
        },
        findings: shared.findings,
        cache: CacheAccess {
            dir: stage_cache,
            max_bytes: limits.max_cache_bytes,
        },
        git: GitAccess::new(git_scope, grants.read.clone(), limits.max_read_bytes),
        cpu_time: Duration::ZERO,
        log: LogSink {
            stage: stage.name.clone(),
            lines: Vec::new(),
            bytes: 0,
            max_bytes: limits.max_log_bytes,
            dropped: 0,
        },
    };
    Ok(PreparedState {
        state,
        stdout,
        stderr,
    })
}

/// Some stages only learn their rules while running (the audit stage has a
/// rule per advisory). A finding whose rule `describe()` did not list gets
/// a rule built from its `rule-short-description` / `rule-help` properties,
/// so every SARIF result has an entry in `tool.driver.rules`.
fn describe_dynamic_rules(report: &mut StageReport) {
    let known: BTreeSet<String> = report.rules.iter().map(|r| r.id.clone()).collect();
    let mut added: BTreeMap<String, cordon_report::Rule> = BTreeMap::new();
    for finding in &report.findings {
        if known.contains(&finding.rule_id) || added.contains_key(&finding.rule_id) {
            continue;
        }
        let property = |key: &str| {
            finding
                .properties
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.clone())
        };
        let short = property("rule-short-description").unwrap_or_else(|| finding.rule_id.clone());
        added.insert(
            finding.rule_id.clone(),
            cordon_report::Rule {
                id: finding.rule_id.clone(),
                full_description: property("rule-full-description")
                    .unwrap_or_else(|| short.clone()),
                short_description: short,
                help: property("rule-help").unwrap_or_default(),
                default_severity: finding.severity,
                properties: Vec::new(),
            },
        );
    }
    report.rules.extend(added.into_values());
}

/// Moves what an instance of the stage left in its state into the report
/// (findings aside: the stage's one sink holds them); returns the captured
/// stderr (a crash message is usually there).
fn collect_state(
    report: &mut StageReport,
    state: StageState,
    stdout: &CappedOutput,
    stderr: &CappedOutput,
) -> String {
    let used = cordon_report::ResourceUse {
        wall_ms: report.duration_ms,
        cpu_ms: state.cpu_time.as_millis() as u64,
        peak_memory_bytes: state.limiter.used() as u64,
        bytes_read: state.calls.usage.bytes_read,
        host_calls: state.calls.usage.host_calls,
    };
    report.resources = Some(match report.resources.take() {
        // Instances run side by side: their memory adds up, like their CPU.
        Some(sum) => cordon_report::ResourceUse {
            wall_ms: sum.wall_ms.max(used.wall_ms),
            cpu_ms: sum.cpu_ms + used.cpu_ms,
            peak_memory_bytes: sum.peak_memory_bytes + used.peak_memory_bytes,
            bytes_read: sum.bytes_read + used.bytes_read,
            host_calls: sum.host_calls + used.host_calls,
        },
        None => used,
    });
    report.denied.extend(state.calls.denied);
    if state.log.dropped > 0 {
        report.notes.push(format!(
            "log output over the limit: {} bytes dropped",
            state.log.dropped
        ));
    }
    let mut stderr_text = String::new();
    for (name, output) in [("stdout", stdout), ("stderr", stderr)] {
        let (text, dropped) = output.take();
        for line in text.lines().take(20) {
            tracing::debug!(stage = report.name, "{name}: {line}");
        }
        if dropped > 0 {
            report
                .notes
                .push(format!("{name} over the limit: {dropped} bytes dropped"));
        }
        if name == "stderr" {
            stderr_text = text;
        }
    }
    stderr_text
}

/// The workspace root, canonical, or a clear error.
pub fn workspace_root(dir: &Path) -> Result<PathBuf, String> {
    let root = dir
        .canonicalize()
        .map_err(|e| format!("cannot open workspace {}: {e}", dir.display()))?;
    if !root.is_dir() {
        return Err(format!("workspace {} is not a directory", dir.display()));
    }
    Ok(root)
}

impl Pipeline {
    /// A stage config granting nothing, for `describe()` calls.
    fn nothing_granted(name: &str) -> StageConfig {
        StageConfig {
            name: name.to_string(),
            plugin: crate::config::PluginSource::Builtin(String::new()),
            needs: Vec::new(),
            grants: crate::config::Grants {
                read: ReadGrant::none(),
                data: BTreeSet::new(),
                artifacts_read: BTreeSet::new(),
                artifacts_write: BTreeSet::new(),
                git: false,
                cache: false,
            },
            limits: crate::config::Limits::default(),
            options: serde_json::Value::Null,
        }
    }
}
