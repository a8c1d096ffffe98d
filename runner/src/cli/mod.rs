//! Command line: parse arguments, pick a command, map outcomes to exit codes
//! (0 clean, 1 findings at or above `--fail-on`, 2 configuration, plugin,
//! sandbox or I/O error).

mod catalogue;
mod hook;
mod init;
mod pin;
mod scaffold;
mod signing_cli;

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::builder::TypedValueParser;
use clap::{Args, Parser, Subcommand};
use cordon_report::Severity;

use crate::config::Pipeline;
use crate::datasets::{self, DataSetPaths};
use crate::host::audit::AuditLog;
use crate::report::{ReportFormat, ReportTarget};
use crate::run::{self, RunContext, git_scope};
use crate::trust::anomaly::AuditBaseline;
use crate::trust::cache_auth::{self, CacheKey};
use crate::trust::policy::Policy;

#[derive(Parser)]
#[command(
    name = "cordon",
    version,
    about = "Security stages as sandboxed WebAssembly components"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the pipeline (the built-in default, --pipeline FILE, or with
    /// --repo-pipeline DIR/cordon.toml) over DIR.
    Run(RunArgs),
    /// Git pre-push hook: scan only the commits being pushed (stdin as git gives it).
    PrePush {
        /// Remote name and URL, as git passes them to the hook (unused).
        #[arg(hide = true)]
        remote: Vec<String>,
        #[command(flatten)]
        common: CommonArgs,
    },
    /// Git hooks: install or remove the pre-push hook.
    #[command(subcommand)]
    Hook(HookCommand),
    /// Same as `cordon hook install`.
    #[command(hide = true)]
    InstallHook {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Advisory databases.
    #[command(subcommand)]
    Db(DbCommand),
    /// Secret-scan helpers.
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Plugin authoring.
    #[command(subcommand)]
    Plugin(PluginCommand),
    /// Stage monitoring from audit logs.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Join the JSON reports of a sharded run (`run --shard K/N`) into one
    /// run's reports; every shard 1..N must be given.
    Merge {
        /// The shards' JSON reports (`--report json=PATH` of each job).
        #[arg(required = true, value_name = "REPORT.json")]
        parts: Vec<PathBuf>,
        /// Write a report: FORMAT=PATH with FORMAT one of sarif, json,
        /// junit, text; PATH `-` is standard output.
        #[arg(long = "report", value_name = "FORMAT=PATH")]
        reports: Vec<ReportTarget>,
        /// No terminal summary.
        #[arg(long, short)]
        quiet: bool,
    },
    /// SBOM helpers.
    #[command(subcommand)]
    Sbom(SbomCommand),
    /// Write a commented cordon.toml for what DIR holds.
    Init {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Replace an existing cordon.toml.
        #[arg(long)]
        force: bool,
    },
    /// List the rules of the built-in stages.
    Rules {
        /// Only this stage's rules.
        #[arg(long)]
        stage: Option<String>,
    },
    /// Explain a rule: what it finds and what to do about it.
    Explain {
        /// A rule id, e.g. secrets/github-pat.
        rule: String,
    },
    /// Print a shell completion script.
    Completions { shell: clap_complete::Shell },
}

#[derive(Subcommand)]
enum HookCommand {
    /// Install the pre-push hook where git runs hooks for DIR's repository
    /// (honouring core.hooksPath, worktrees and submodules); an existing
    /// hook is kept and runs first.
    Install {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
    /// Remove Cordon's pre-push hook, restoring the one it chained.
    Uninstall {
        #[arg(default_value = ".")]
        dir: PathBuf,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Store each stage's access profile (interfaces, path families,
    /// artifacts, data sets, bytes read) from an audit log, for
    /// `--audit-baseline`.
    Baseline {
        /// An audit log written by `--audit-log`.
        #[arg(long, value_name = "AUDIT.jsonl")]
        from: PathBuf,
        #[arg(long, default_value = "cordon-audit-baseline.json")]
        output: PathBuf,
    },
}

#[derive(Subcommand)]
enum PluginCommand {
    /// Create an ed25519 key pair for signing plugins: NAME.key (secret,
    /// mode 0600) and NAME.pub (the public key, for a policy's trusted-keys).
    Keygen {
        /// Path prefix of the two files.
        name: PathBuf,
    },
    /// Sign a plugin: writes the detached signature PLUGIN.sig.
    Sign {
        plugin: PathBuf,
        /// The secret key file from `cordon plugin keygen`.
        #[arg(long)]
        key: PathBuf,
    },
    /// Check a plugin's detached signature (PLUGIN.sig) against public keys.
    Verify {
        plugin: PathBuf,
        /// Public key files (NAME.pub) to trust; repeat for several.
        #[arg(long = "key", required = true)]
        keys: Vec<PathBuf>,
    },
    /// Write PLUGIN's sha256 into the pipeline file, for each stage that loads it.
    Pin {
        plugin: PathBuf,
        #[arg(long, default_value = "cordon.toml")]
        pipeline: PathBuf,
    },
    /// Show a plugin's digest, signature, the interfaces it imports and what
    /// its describe() asks for, without running it.
    Inspect {
        plugin: PathBuf,
        /// Public key files to check a signature against.
        #[arg(long = "key")]
        keys: Vec<PathBuf>,
    },
    /// Create a new stage crate from the template plugin.
    New {
        name: String,
        /// Parent directory.
        #[arg(long, default_value = ".")]
        dir: PathBuf,
        /// Use a local checkout of the SDK instead of the git repository.
        #[arg(long)]
        sdk_path: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum SecretsCommand {
    /// Accept every secret found now: write their fingerprints to a baseline
    /// file, which the secrets stage then suppresses (only new ones fail).
    Baseline {
        #[arg(default_value = ".")]
        dir: PathBuf,
        /// Where to write it, relative to DIR. The secrets stage reads this
        /// path by default.
        #[arg(long, default_value = DEFAULT_BASELINE)]
        output: PathBuf,
        #[command(flatten)]
        common: CommonArgs,
    },
}

/// Where the secrets stage looks for a baseline when its options name none.
const DEFAULT_BASELINE: &str = ".cordon/secrets-baseline.json";

#[derive(Subcommand)]
enum SbomCommand {
    /// Packages added, removed and changed between two CycloneDX SBOMs
    /// (Cordon's or another tool's), matched by purl.
    Diff {
        old: PathBuf,
        new: PathBuf,
        /// JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum DbCommand {
    /// Where each advisory database is, its revision and its age.
    Status {
        #[command(flatten)]
        data: DataArgs,
    },
    /// Clone or fast-forward the RustSec advisory database into the cache,
    /// and fetch OSV's per-ecosystem archives (--ecosystem, --workspace).
    Update {
        #[arg(long, default_value = datasets::RUSTSEC_URL)]
        url: String,
        /// Also clone / fast-forward a git repository of OSV JSON advisories
        /// (for example an ecosystem's advisory database) as the `osv` data set.
        #[arg(long, conflicts_with_all = ["ecosystems", "workspace"])]
        osv_url: Option<String>,
        /// Fetch OSV's published advisory archive of ECOSYSTEM into the `osv`
        /// data set (repeatable; OSV's names, any case: crates.io, npm, PyPI,
        /// Go, Maven, RubyGems, Packagist, NuGet, Pub, Hex, CRAN, ConanCenter).
        #[arg(long = "ecosystem", value_name = "ECOSYSTEM")]
        ecosystems: Vec<String>,
        /// Fetch the OSV archives of the ecosystems whose lockfiles are under DIR.
        #[arg(long, value_name = "DIR")]
        workspace: Option<PathBuf>,
        /// Where the per-ecosystem archives are (`URL/<Ecosystem>/all.zip`):
        /// OSV.dev, or a mirror.
        #[arg(long, env = "CORDON_OSV_ARCHIVE_URL", default_value = cordon_advisory_sources::OSV_ARCHIVE_BASE_URL)]
        osv_archive_url: String,
        #[command(flatten)]
        data: DataArgs,
    },
}

/// Where the cache and the advisory databases are.
#[derive(Args, Clone)]
struct DataArgs {
    /// Where compiled components, stage caches and databases are kept.
    #[arg(long, env = "CORDON_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// RustSec advisory database (a checkout of rustsec/advisory-db).
    #[arg(long, env = "CORDON_ADVISORY_DB")]
    advisory_db: Option<PathBuf>,
    /// OSV advisories (a directory of OSV JSON files).
    #[arg(long, env = "CORDON_OSV_DB")]
    osv_db: Option<PathBuf>,
}

#[derive(Args, Clone)]
struct CommonArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Do not use or write the compiled-component cache.
    #[arg(long)]
    no_cache: bool,
    /// Never fetch advisory data: without a local copy the audit stage
    /// reports what is missing and the command that gets it.
    #[arg(long, env = "CORDON_OFFLINE", value_parser = clap::builder::BoolishValueParser::new())]
    offline: bool,
    /// Where the first run fetches the RustSec database from.
    #[arg(long, env = "CORDON_ADVISORY_DB_URL", default_value = datasets::RUSTSEC_URL)]
    advisory_db_url: String,
    /// Pipeline file (default: the built-in pipeline).
    #[arg(long, conflicts_with = "repo_pipeline")]
    pipeline: Option<PathBuf>,
    /// Use the repository's own DIR/cordon.toml (within the policy). Without
    /// this a repository's pipeline file is ignored: what runs is the
    /// operator's choice, not the scanned code's.
    #[arg(long)]
    repo_pipeline: bool,
    /// Organisation policy file (default: $CORDON_POLICY,
    /// /etc/cordon/policy.toml, then ~/.config/cordon/policy.toml).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Run only these stages (comma-separated).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Write a report: FORMAT=PATH with FORMAT one of sarif, json, junit,
    /// text, cyclonedx, spdx, openvex; PATH `-` is standard output.
    #[arg(long = "report", value_name = "FORMAT=PATH")]
    reports: Vec<ReportTarget>,
    /// Fail (exit 1) on findings at or above this severity [default: high,
    /// or the pipeline's fail-on; never less strict than the policy's].
    #[arg(
        long,
        value_name = "SEVERITY",
        value_parser = clap::builder::PossibleValuesParser::new(["info", "low", "medium", "high", "critical"])
            .try_map(|s: String| parse_severity(&s))
    )]
    fail_on: Option<Severity>,
    /// OpenVEX or CycloneDX VEX document(s) whose `not_affected` / `fixed`
    /// statements the audit stage honours (repeatable).
    #[arg(long, value_name = "FILE")]
    vex: Vec<PathBuf>,
    /// Instances a shardable stage (secrets) runs as, each over a share of
    /// the files and commits [default: one per CPU, fewer for a small
    /// workspace or history].
    #[arg(long, short = 'j', value_name = "N", value_parser = clap::value_parser!(u32).range(1..=64))]
    jobs: Option<u32>,
    /// Record every host call as JSON lines.
    #[arg(long, value_name = "PATH")]
    audit_log: Option<PathBuf>,
    /// Compare each stage's host calls with this baseline (from `cordon
    /// audit baseline`); what is new becomes `cordon.anomaly.*` findings.
    #[arg(long, value_name = "FILE")]
    audit_baseline: Option<PathBuf>,
    /// No terminal summary.
    #[arg(long, short)]
    quiet: bool,
    /// Also list suppressed findings and every note.
    #[arg(long, short)]
    verbose: bool,
}

#[derive(Args)]
struct RunArgs {
    /// The workspace to scan.
    #[arg(default_value = ".")]
    dir: PathBuf,
    /// Scan the lines added by every commit of RANGE (default HEAD: all reachable commits).
    #[arg(long, value_name = "RANGE", num_args = 0..=1, default_missing_value = "HEAD")]
    git_history: Option<String>,
    /// Scan only this job's share K of N: each file (and commit) goes to one
    /// shard by a hash of its path; `cordon merge` joins the N JSON reports.
    #[arg(long, value_name = "K/N")]
    shard: Option<cordon_workspace::Shard>,
    #[command(flatten)]
    common: CommonArgs,
}

fn parse_severity(text: &str) -> Result<Severity, String> {
    match text.to_ascii_lowercase().as_str() {
        "info" => Ok(Severity::Info),
        "low" => Ok(Severity::Low),
        "medium" => Ok(Severity::Medium),
        "high" => Ok(Severity::High),
        "critical" => Ok(Severity::Critical),
        _ => Err("expected one of info, low, medium, high, critical".into()),
    }
}

/// An error that ends the command with exit code 2.
struct Fatal(String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(error: E) -> Self {
        Fatal(error.to_string())
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let (verbose, quiet) = match &cli.command {
        Command::Run(args) => (args.common.verbose, args.common.quiet),
        Command::PrePush { common, .. } => (common.verbose, common.quiet),
        _ => (false, false),
    };
    init_tracing(verbose, quiet);
    let result = match cli.command {
        Command::Run(args) => {
            let scope = args.git_history.clone();
            let shard = args.shard;
            run_command(&args.dir, &args.common, false, shard, move |root| {
                let mut scope = scope
                    .map(|range| git_scope::history(root, &range))
                    .transpose()?;
                if let (Some(scope), Some(shard)) = (scope.as_mut(), shard) {
                    scope.commits.retain(|commit| shard.owns(commit));
                    scope.description = format!("{} (shard {shard})", scope.description);
                }
                Ok(scope)
            })
        }
        Command::Merge {
            parts,
            reports,
            quiet,
        } => merge_command(&parts, &reports, quiet),
        Command::Sbom(SbomCommand::Diff { old, new, json }) => sbom_diff(&old, &new, json),
        Command::PrePush { common, .. } => pre_push(&common),
        Command::InstallHook { dir } | Command::Hook(HookCommand::Install { dir }) => {
            hook::install(&dir).map(|message| {
                println!("{message}");
                ExitCode::SUCCESS
            })
        }
        Command::Hook(HookCommand::Uninstall { dir }) => hook::uninstall(&dir).map(|message| {
            println!("{message}");
            ExitCode::SUCCESS
        }),
        Command::Db(DbCommand::Update {
            url,
            osv_url,
            ecosystems,
            workspace,
            osv_archive_url,
            data,
        }) => {
            let archives = OsvArchives {
                base_url: &osv_archive_url,
                ecosystems: &ecosystems,
                workspace: workspace.as_deref(),
            };
            db_update(&url, osv_url.as_deref(), &archives, &data)
        }
        Command::Secrets(SecretsCommand::Baseline {
            dir,
            output,
            common,
        }) => secrets_baseline(&dir, &output, &common),
        Command::Audit(AuditCommand::Baseline { from, output }) => audit_baseline(&from, &output),
        Command::Init { dir, force } => init::init(&dir, force),
        Command::Rules { stage } => catalogue::list(stage.as_deref()),
        Command::Explain { rule } => catalogue::explain(&rule),
        Command::Completions { shell } => {
            use clap::CommandFactory;
            use std::io::Write;
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "cordon", &mut script);
            // A closed pipe (`| head`) is not an error worth a message.
            let _ = std::io::stdout().write_all(&script);
            Ok(ExitCode::SUCCESS)
        }
        Command::Db(DbCommand::Status { data }) => catalogue::db_status(&data),
        Command::Plugin(PluginCommand::Pin { plugin, pipeline }) => pin::pin(&plugin, &pipeline),
        Command::Plugin(PluginCommand::Keygen { name }) => signing_cli::keygen(&name),
        Command::Plugin(PluginCommand::Sign { plugin, key }) => signing_cli::sign(&plugin, &key),
        Command::Plugin(PluginCommand::Verify { plugin, keys }) => {
            signing_cli::verify(&plugin, &keys)
        }
        Command::Plugin(PluginCommand::Inspect { plugin, keys }) => {
            signing_cli::inspect(&plugin, &keys)
        }
        Command::Plugin(PluginCommand::New {
            name,
            dir,
            sdk_path,
        }) => scaffold::new_plugin(&name, &dir, sdk_path.as_deref()).map(|created| {
            println!("{}", scaffold::next_steps(&created, &name));
            ExitCode::SUCCESS
        }),
    };
    match result {
        Ok(code) => code,
        Err(Fatal(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
    }
}

/// Warnings by default; `--verbose` adds the stages' own info lines (for
/// example each suppressed finding); `--quiet` leaves errors only;
/// `CORDON_LOG` overrides all three.
fn init_tracing(verbose: bool, quiet: bool) {
    let default = if quiet {
        "error"
    } else if verbose {
        "warn,cordon::host::log=info"
    } else {
        "warn"
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("CORDON_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(color_on(&std::io::stderr()))
        .with_writer(std::io::stderr)
        .try_init();
}

/// Colour on a stream: `CLICOLOR_FORCE` (not `0`) forces it, `NO_COLOR`
/// forbids it, otherwise only on a terminal.
fn color_on(stream: &impl IsTerminal) -> bool {
    let set = |key: &str| std::env::var_os(key).is_some_and(|v| !v.is_empty() && v != "0");
    if std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty()) {
        return false;
    }
    set("CLICOLOR_FORCE") || stream.is_terminal()
}

fn cache_dir(data: &DataArgs) -> Option<PathBuf> {
    data.cache_dir.clone().or_else(|| {
        directories::ProjectDirs::from("dev", "cordon", "cordon")
            .map(|d| d.cache_dir().to_path_buf())
    })
}

fn pre_push(common: &CommonArgs) -> Result<ExitCode, Fatal> {
    let mut stdin = String::new();
    std::io::stdin().read_to_string(&mut stdin)?;
    let dir = std::env::current_dir()?;
    let mut common = common.clone();
    if common.only.is_empty() {
        common.only = vec!["secrets".into()];
    }
    // The pre-commit framework passes the range in its environment; git
    // passes ref lines on stdin. Neither is an error to report, not a pass.
    let range = match (
        std::env::var("PRE_COMMIT_FROM_REF")
            .ok()
            .filter(|v| !v.is_empty()),
        std::env::var("PRE_COMMIT_TO_REF")
            .ok()
            .filter(|v| !v.is_empty()),
    ) {
        (Some(from), Some(to)) if stdin.trim().is_empty() => Some(format!("{from}..{to}")),
        _ => None,
    };
    if range.is_none() && stdin.trim().is_empty() {
        return Err(Fatal(
            "pre-push got no refs on stdin and no PRE_COMMIT_FROM_REF / PRE_COMMIT_TO_REF, so there is nothing to scan; \
             git runs `cordon pre-push` as a hook with the refs on stdin (see `cordon hook install`)"
                .into(),
        ));
    }
    run_command(&dir, &common, true, None, |root| match &range {
        Some(range) => git_scope::history(root, range).map(Some),
        None => git_scope::pre_push(root, &stdin).map(Some),
    })
}

/// Like cargo-audit, the first run fetches the RustSec database into the
/// cache when there is no copy. A failed fetch is not fatal here: the audit
/// stage then reports the data as missing (and the run exits 2), never a
/// clean result.
fn fetch_on_first_use(paths: &DataSetPaths, common: &CommonArgs) {
    let Some(dir) = paths.first_use_target() else {
        return;
    };
    if !common.quiet {
        eprintln!(
            "fetching the RustSec advisory database into {} (first use; --offline skips this)",
            dir.display()
        );
    }
    match datasets::update(&common.advisory_db_url, &dir) {
        Ok(head) if !common.quiet => eprintln!("RustSec advisory database at {head}"),
        Ok(_) => {}
        Err(error) => eprintln!("warning: could not fetch the RustSec advisory database: {error}"),
    }
}

fn audit_baseline(from: &Path, output: &Path) -> Result<ExitCode, Fatal> {
    let log = crate::trust::files::read_regular(from, "audit log", 1 << 30)?;
    let baseline = AuditBaseline::from_audit_log(&String::from_utf8_lossy(&log))
        .map_err(|e| Fatal(format!("{}: {e}", from.display())))?;
    let text = serde_json::to_string_pretty(&baseline)?;
    std::fs::write(output, text + "\n")
        .map_err(|e| Fatal(format!("cannot write {}: {e}", output.display())))?;
    println!(
        "wrote {} with the access profiles of {} stage(s); pass it to `cordon run --audit-baseline`",
        output.display(),
        baseline.stages.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// The OSV archives `db update` was asked for.
struct OsvArchives<'a> {
    base_url: &'a str,
    ecosystems: &'a [String],
    workspace: Option<&'a Path>,
}

impl OsvArchives<'_> {
    /// Archive names, checked, from `--ecosystem` and `--workspace`.
    fn names(&self) -> Result<Vec<&'static str>, Fatal> {
        let mut names = Vec::new();
        for name in self.ecosystems {
            names.push(cordon_advisory_sources::ecosystem_archive_name(name).map_err(Fatal)?);
        }
        if let Some(dir) = self.workspace {
            let found = cordon_advisory_sources::workspace_ecosystems(dir).map_err(Fatal)?;
            if found.is_empty() {
                eprintln!(
                    "no lockfile of an ecosystem with OSV archives under {}",
                    dir.display()
                );
            }
            names.extend(found);
        }
        names.sort_unstable();
        names.dedup();
        Ok(names)
    }
}

fn db_update(
    url: &str,
    osv_url: Option<&str>,
    archives: &OsvArchives,
    common: &DataArgs,
) -> Result<ExitCode, Fatal> {
    // Checked before any download, so a typo costs nothing.
    let archive_names = archives.names()?;
    let cached = |name: &str| -> Result<PathBuf, Fatal> {
        Ok(cache_dir(common)
            .ok_or_else(|| Fatal("no cache directory; pass --cache-dir".into()))?
            .join("advisory-db")
            .join(name))
    };
    let mut sources = vec![(
        "RustSec",
        url,
        common
            .advisory_db
            .clone()
            .map_or_else(|| cached(datasets::RUSTSEC), Ok)?,
    )];
    if let Some(osv_url) = osv_url {
        sources.push((
            "OSV",
            osv_url,
            common
                .osv_db
                .clone()
                .map_or_else(|| cached(datasets::OSV), Ok)?,
        ));
    }
    for (name, url, dir) in sources {
        eprintln!("updating {} from {url}", dir.display());
        let head = datasets::update(url, &dir)?;
        println!(
            "{name} advisory database at {} is now at {head}",
            dir.display()
        );
    }
    if !archive_names.is_empty() {
        let osv_root = common
            .osv_db
            .clone()
            .map_or_else(|| cached(datasets::OSV), Ok)?;
        if osv_root.join(".git").exists() {
            return Err(Fatal(format!(
                "{} is a git clone (from --osv-url); give the archives another directory with --osv-db DIR",
                osv_root.display()
            )));
        }
        eprintln!(
            "updating OSV archives in {} from {}",
            osv_root.display(),
            archives.base_url
        );
        let (lines, failed) =
            datasets::update_osv_archives(archives.base_url, &osv_root, &archive_names);
        for line in lines {
            println!("{line}");
        }
        if failed {
            return Ok(ExitCode::FAILURE);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The pipeline that runs, and the policy it runs under. The policy
/// outranks everything: the pipeline file, the repository and the flags.
fn load_pipeline(root: &Path, common: &CommonArgs) -> Result<(Pipeline, Policy), Fatal> {
    let policy = match Policy::locate(common.policy.as_deref()) {
        Some(path) => Policy::load(&path)?,
        None => Policy::default(),
    };
    let mut pipeline = if let Some(file) = &common.pipeline {
        Pipeline::load(file, root)?
    } else if common.repo_pipeline {
        if !policy.allow_repo_pipeline {
            return Err(Fatal(format!(
                "policy {} does not allow repository pipelines (--repo-pipeline)",
                policy.source
            )));
        }
        Pipeline::load_repository(root)?
    } else {
        if root.join(crate::config::REPOSITORY_PIPELINE).exists() && !common.quiet {
            eprintln!(
                "note: {} in the workspace is not used; pass --repo-pipeline to run it (within the policy), or --pipeline FILE",
                crate::config::REPOSITORY_PIPELINE
            );
        }
        Pipeline::default_pipeline()
    };
    if !common.only.is_empty() {
        pipeline.retain(&common.only).map_err(Fatal)?;
    }
    policy.admit(&pipeline)?;
    policy.apply_suppressions(&mut pipeline, common.repo_pipeline);
    Ok((pipeline, policy))
}

type ScopeFn<'a> =
    Box<dyn FnOnce(&Path) -> Result<Option<crate::host::git::GitScope>, String> + 'a>;

/// Runs the pipeline and reports. `from_hook`: a git hook, whose output a
/// person reads when the push is blocked.
fn run_command<'a>(
    dir: &Path,
    common: &CommonArgs,
    from_hook: bool,
    shard: Option<cordon_workspace::Shard>,
    scope: impl FnOnce(&Path) -> Result<Option<crate::host::git::GitScope>, String> + 'a,
) -> Result<ExitCode, Fatal> {
    let (report, artifacts) = execute(dir, common, shard, Box::new(scope), |_| Ok(()))?;
    write_reports(
        &report,
        &artifacts,
        &common.reports,
        common.quiet,
        common.verbose,
    )?;
    // What to do next, for a person: on a terminal, or behind a blocked push.
    if !common.quiet && (from_hook || std::io::stderr().is_terminal()) {
        eprint!("{}", cordon_report::text::next_steps(&report));
    }
    Ok(ExitCode::from(report.exit_code() as u8))
}

/// Writes each `--report` and, unless one goes to standard output or
/// `quiet`, the terminal summary.
fn write_reports(
    report: &cordon_report::RunReport,
    artifacts: &crate::host::artifacts::ArtifactStore,
    targets: &[ReportTarget],
    quiet: bool,
    verbose: bool,
) -> Result<(), Fatal> {
    for target in targets {
        crate::report::write(target, report, artifacts)?;
    }
    // A report on standard output is the output; the summary would corrupt it.
    let report_on_stdout = targets.iter().any(|r| r.path.as_os_str() == "-");
    if !quiet && !report_on_stdout {
        let color = color_on(&std::io::stdout());
        let text = crate::report::render(ReportFormat::Text { color, verbose }, report, artifacts)?;
        print!("{text}");
    }
    Ok(())
}

/// `cordon merge`: the JSON reports of every shard, as one run's reports.
fn merge_command(
    parts: &[PathBuf],
    targets: &[ReportTarget],
    quiet: bool,
) -> Result<ExitCode, Fatal> {
    if let Some(target) = targets
        .iter()
        .find(|t| matches!(t.format, ReportFormat::CycloneDx | ReportFormat::Spdx))
    {
        return Err(Fatal(format!(
            "--report {}: a merge has no SBOM (each shard's sbom stage saw only its files); write it from an unsharded run",
            target.path.display()
        )));
    }
    let mut reports = Vec::new();
    for path in parts {
        let bytes = crate::trust::files::read_regular(path, "shard report", MAX_SHARD_REPORT_BYTES)
            .map_err(|e| Fatal(e.to_string()))?;
        let report: cordon_report::RunReport = serde_json::from_slice(&bytes).map_err(|e| {
            Fatal(format!(
                "{}:{}:{}: not a Cordon JSON report: {e}",
                path.display(),
                e.line(),
                e.column()
            ))
        })?;
        reports.push(report);
    }
    let merged = cordon_report::merge::merge(reports).map_err(Fatal)?;
    let artifacts = crate::host::artifacts::ArtifactStore::default();
    write_reports(&merged, &artifacts, targets, quiet, false)?;
    Ok(ExitCode::from(merged.exit_code() as u8))
}

/// `cordon sbom diff`: exit 0 when the two SBOMs list the same packages, 1
/// when they differ (like `diff`), 2 when one cannot be read.
fn sbom_diff(old: &Path, new: &Path, json: bool) -> Result<ExitCode, Fatal> {
    let read = |path: &Path| {
        crate::trust::files::read_regular(path, "SBOM", MAX_SHARD_REPORT_BYTES)
            .map_err(|e| Fatal(e.to_string()))
    };
    let difference =
        cordon_sbom::diff(&read(old)?, &read(new)?).map_err(|e| Fatal(e.to_string()))?;
    if json {
        println!("{}", difference.to_json());
    } else {
        print!("{}", difference.to_text());
    }
    Ok(if difference.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// A shard's JSON report holds findings cut to the host's byte budget.
const MAX_SHARD_REPORT_BYTES: u64 = 256 << 20;

fn secrets_baseline(dir: &Path, output: &Path, common: &CommonArgs) -> Result<ExitCode, Fatal> {
    let mut common = common.clone();
    common.only = vec!["secrets".into()];
    let (report, _) = execute(dir, &common, None, Box::new(|_| Ok(None)), |pipeline| {
        // Collect everything, including what an existing baseline accepts.
        for stage in &mut pipeline.stages {
            if let Some(options) = stage.options.as_object_mut() {
                options.insert("baseline".into(), serde_json::Value::Bool(false));
            }
        }
        Ok(())
    })?;
    let stage = report
        .stages
        .iter()
        .find(|s| s.name == "secrets")
        .ok_or_else(|| Fatal("the pipeline has no `secrets` stage".into()))?;
    if !stage.status.is_completed() {
        return Err(Fatal(format!(
            "the secrets stage did not complete: {:?}",
            stage.status
        )));
    }
    let mut entries: Vec<serde_json::Value> = stage
        .findings
        .iter()
        // What a comment or allow-list already hides stays out of the baseline.
        .filter(|f| !f.is_suppressed())
        .map(|f| {
            serde_json::json!({
                "fingerprint": f.fingerprint,
                "rule-id": f.rule_id,
                "path": f.location.as_ref().map(|l| l.path.clone()).unwrap_or_default(),
            })
        })
        .collect();
    entries.sort_by(|a, b| a["fingerprint"].as_str().cmp(&b["fingerprint"].as_str()));
    entries.dedup_by(|a, b| a["fingerprint"] == b["fingerprint"]);
    let path = dir.join(output);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let count = entries.len();
    let text =
        serde_json::to_string_pretty(&serde_json::json!({ "version": 1, "findings": entries }))?;
    std::fs::write(&path, text + "\n")
        .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
    println!(
        "wrote {} with {count} accepted finding(s); commit it so the secrets stage only fails on new ones",
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The operator's VEX documents (`--vex`), read here and handed to the
/// built-in audit stage as its `vex-documents` option: a stage reads no
/// file outside its grants, and a repository's own pipeline may not set
/// that option when the policy refuses its suppressions.
fn apply_vex(pipeline: &mut Pipeline, files: &[PathBuf]) -> Result<(), Fatal> {
    if files.is_empty() {
        return Ok(());
    }
    let mut documents = Vec::new();
    for path in files {
        let bytes = crate::trust::files::read_regular(path, "VEX document", MAX_VEX_BYTES)
            .map_err(|e| Fatal(e.to_string()))?;
        let content = String::from_utf8(bytes)
            .map_err(|_| Fatal(format!("--vex {}: not UTF-8 JSON", path.display())))?;
        documents.push(serde_json::json!({
            "path": path.display().to_string(),
            "content": content,
        }));
    }
    let audit = pipeline
        .stages
        .iter_mut()
        .find(|s| s.plugin == crate::config::PluginSource::Builtin("audit".into()))
        .ok_or_else(|| Fatal("--vex: the pipeline has no audit stage to apply it to".into()))?;
    if let Some(options) = audit.options.as_object_mut() {
        options.insert("vex-documents".into(), documents.into());
    }
    Ok(())
}

/// `--report openvex=PATH` asks the built-in audit stage for its OpenVEX
/// document (`vex-out`), made reproducible by `SOURCE_DATE_EPOCH` when set.
fn apply_vex_out(pipeline: &mut Pipeline, targets: &[ReportTarget]) -> Result<(), Fatal> {
    if !targets.iter().any(|t| t.format == ReportFormat::OpenVex) {
        return Ok(());
    }
    let audit = pipeline
        .stages
        .iter_mut()
        .find(|s| s.plugin == crate::config::PluginSource::Builtin("audit".into()))
        .ok_or_else(|| Fatal("--report openvex: the pipeline has no audit stage".into()))?;
    if let Some(options) = audit.options.as_object_mut() {
        options.insert("vex-out".into(), serde_json::Value::Bool(true));
        let epoch = std::env::var("SOURCE_DATE_EPOCH")
            .ok()
            .and_then(|v| v.trim().parse::<i64>().ok());
        if let Some(epoch) = epoch {
            options
                .entry("vex-timestamp")
                .or_insert(serde_json::Value::from(epoch));
        }
    }
    Ok(())
}

/// A VEX document of many thousands of statements stays well under this.
const MAX_VEX_BYTES: u64 = 64 << 20;

/// Stages cannot see the host's environment, so the reproducible-builds
/// convention `SOURCE_DATE_EPOCH` is handed to the built-in SBOM stage as
/// its `timestamp` option (unless the pipeline sets one itself).
fn apply_source_date_epoch(pipeline: &mut Pipeline) -> Result<(), Fatal> {
    let Some(value) = std::env::var_os("SOURCE_DATE_EPOCH") else {
        return Ok(());
    };
    let epoch: i64 = value
        .to_str()
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            Fatal(format!(
                "SOURCE_DATE_EPOCH must be an integer number of seconds, not {value:?}"
            ))
        })?;
    for stage in &mut pipeline.stages {
        let builtin_sbom = stage.plugin == crate::config::PluginSource::Builtin("sbom".into());
        if let (true, Some(options)) = (builtin_sbom, stage.options.as_object_mut())
            && !options.contains_key("timestamp")
        {
            options.insert("timestamp".into(), epoch.into());
        }
    }
    Ok(())
}

/// Loads the pipeline, lets `adjust` change it, and runs it.
fn execute(
    dir: &Path,
    common: &CommonArgs,
    shard: Option<cordon_workspace::Shard>,
    scope: ScopeFn<'_>,
    adjust: impl FnOnce(&mut Pipeline) -> Result<(), Fatal>,
) -> Result<
    (
        cordon_report::RunReport,
        crate::host::artifacts::ArtifactStore,
    ),
    Fatal,
> {
    let root = run::workspace_root(dir).map_err(Fatal)?;
    let (mut pipeline, policy) = load_pipeline(&root, common)?;
    apply_source_date_epoch(&mut pipeline)?;
    apply_vex(&mut pipeline, &common.vex)?;
    apply_vex_out(&mut pipeline, &common.reports)?;
    adjust(&mut pipeline)?;
    let git_scope = scope(&root).map_err(Fatal)?;
    let cache = cache_dir(&common.data);
    let wanted: Vec<String> = pipeline
        .stages
        .iter()
        .flat_map(|s| s.grants.data.iter().cloned())
        .collect();
    let paths = DataSetPaths {
        advisory_db: common.data.advisory_db.clone(),
        osv_db: common.data.osv_db.clone(),
        cache_dir: cache.clone(),
        cargo_home: datasets::cargo_home(),
    };
    if wanted.iter().any(|w| w == datasets::RUSTSEC) && !common.offline {
        fetch_on_first_use(&paths, common);
    }
    let data_sets = paths.resolve(&wanted);
    let audit_log = match &common.audit_log {
        Some(path) => AuditLog::create(path)
            .map_err(|e| Fatal(format!("cannot create audit log {}: {e}", path.display())))?,
        None => AuditLog::default(),
    };
    let fail_on = policy.fail_on(
        common
            .fail_on
            .or(pipeline.fail_on)
            .unwrap_or(Severity::High),
    );
    let (cache_dir, cache_key) = match cache.filter(|_| !common.no_cache) {
        Some(dir) => {
            let dir = cache_auth::prepare_cache_dir(&dir).map_err(Fatal)?;
            (Some(dir), Some(CacheKey::load().map_err(Fatal)?))
        }
        None => (None, None),
    };
    let context = RunContext {
        root,
        data_sets,
        git_scope,
        cache_dir,
        cache_key,
        audit_log,
        fail_on,
        unscanned_severity: policy.unscanned_severity,
        trusted_keys: policy.trusted_keys.clone(),
        audit_baseline: common
            .audit_baseline
            .as_deref()
            .map(AuditBaseline::load)
            .transpose()
            .map_err(Fatal)?,
        tracked: std::sync::OnceLock::new(),
        shard,
        jobs: common.jobs,
        progress: run::progress::Progress::for_terminal(common.quiet),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let outcome = runtime.block_on(run::execute(&pipeline, context));
    // Nothing is left running on it; joining its idle threads would only
    // delay the report.
    runtime.shutdown_background();
    Ok(outcome?)
}
