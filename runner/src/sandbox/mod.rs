//! The sandbox: one wasmtime engine per run, a compiled-component cache,
//! and a fresh `Store` per stage with its limits and nothing but its grants.

mod cache;
mod description;
mod limits;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Engine, Store, Trap};
use wasmtime_wasi::WasiCtxBuilder;

use crate::host::bindings::{Stage, StagePre};
use crate::host::{self, StageState};
use crate::plugins::VerifiedPlugin;
use crate::trust::cache_auth::CacheKey;

pub use cache::ComponentCache;
pub use limits::MemoryLimiter;

/// How often the epoch advances; timeouts are rounded up to this.
const EPOCH_TICK: Duration = Duration::from_millis(10);

/// Interfaces a component may not import. Networking is not a capability
/// Cordon grants, so a plugin asking for it is refused before it runs rather
/// than failing on its first connect.
const REFUSED_IMPORTS: &[&str] = &["wasi:sockets/", "wasi:http/"];

pub struct Sandbox {
    engine: Engine,
    linker: Linker<StageState>,
    cache: ComponentCache,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("plugin is not a valid WebAssembly component: {0}")]
    Invalid(String),
    #[error(
        "plugin imports {0}: network access is not a capability Cordon grants, so it cannot run"
    )]
    RefusedImport(String),
    #[error("plugin needs an import Cordon does not provide: {0}")]
    Link(String),
    #[error(
        "plugin was built for Cordon's stage contract {found}, but this Cordon speaks \
         {STAGE_CONTRACT}: rebuild it against the current `wit/` (or cordon-sdk)"
    )]
    OtherContract { found: String },
}

/// The WIT package every stage is built against (`wit/stage.wit`).
pub const STAGE_CONTRACT: &str = "cordon:stage@0.2.0";

/// The contract version an import or export name speaks, if it is one of
/// Cordon's (`cordon:stage/workspace@0.1.0` → `cordon:stage@0.1.0`).
fn contract_of(name: &str) -> Option<String> {
    let rest = name.strip_prefix("cordon:stage/")?;
    let version = rest.split_once('@').map_or("", |(_, version)| version);
    Some(format!("cordon:stage@{version}"))
}

/// A component ready to instantiate many times.
pub struct LoadedPlugin {
    pre: StagePre<StageState>,
    /// The interfaces the component imports, e.g. `cordon:stage/workspace@0.2.0`.
    pub imports: Vec<String>,
    /// Where the compiled code came from.
    pub origin: CodeOrigin,
}

/// Where a component's native code came from: the cold-start cost of a run
/// depends on it, so the debug log says which.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeOrigin {
    /// Compiled into the binary at build time (the built-in stages).
    Embedded,
    /// The authenticated on-disk cache.
    Cache,
    /// Compiled by Cranelift just now.
    Compiled,
}

impl Sandbox {
    /// `cache` holds compiled components, authenticated with its key;
    /// `None` disables the cache.
    pub fn new(cache: Option<(PathBuf, CacheKey)>) -> anyhow::Result<Sandbox> {
        let config = cordon_engine_config::config();
        let engine = Engine::new(&config).map_err(|e| anyhow::anyhow!("{e}"))?;
        let mut linker = Linker::new(&engine);
        host::link(&mut linker).map_err(|e| anyhow::anyhow!("{e}"))?;

        let ticker_stop = Arc::new(AtomicBool::new(false));
        let stop = ticker_stop.clone();
        let ticking = engine.weak();
        std::thread::Builder::new()
            .name("cordon-epoch".into())
            .spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    std::thread::sleep(EPOCH_TICK);
                    match ticking.upgrade() {
                        Some(engine) => engine.increment_epoch(),
                        None => break,
                    }
                }
            })?;
        let cache = ComponentCache::new(cache, &engine);
        Ok(Sandbox {
            engine,
            linker,
            cache,
            ticker_stop,
        })
    }

    /// Links a verified component: its code embedded in the binary, from
    /// the cache, or compiled now, in that order of preference.
    pub fn load(&self, plugin: &VerifiedPlugin) -> Result<LoadedPlugin, LoadError> {
        let wasm: &[u8] = &plugin.bytes;
        check_header(wasm)?;
        let embedded = plugin
            .precompiled
            .and_then(|code| embedded_component(&self.engine, code, &plugin.source));
        let (component, origin) = match embedded {
            Some(component) => (component, CodeOrigin::Embedded),
            None => {
                plugin
                    .check_deferred_digest()
                    .map_err(|e| LoadError::Invalid(e.to_string()))?;
                self.cache
                    .get_or_compile(&self.engine, wasm, &plugin.sha256)
                    .map_err(LoadError::Invalid)?
            }
        };
        tracing::debug!("{}: native code {origin:?}", plugin.source);
        let component_type = component.component_type();
        let mut imports = Vec::new();
        for (name, _) in component_type.imports(&self.engine) {
            if REFUSED_IMPORTS
                .iter()
                .any(|prefix| name.starts_with(prefix))
            {
                return Err(LoadError::RefusedImport(name.to_string()));
            }
            imports.push(name.to_string());
        }
        let named = component_type
            .imports(&self.engine)
            .chain(component_type.exports(&self.engine))
            .map(|(name, _)| name);
        if let Some(found) = named
            .filter_map(contract_of)
            .find(|found| found != STAGE_CONTRACT)
        {
            return Err(LoadError::OtherContract { found });
        }
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let pre = StagePre::new(instance_pre).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        Ok(LoadedPlugin {
            pre,
            imports,
            origin,
        })
    }

    /// A store holding `state`, with the stage's memory cap and deadline.
    fn store(&self, state: StageState, timeout: Duration) -> Store<StageState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        // Timeouts are bounded at load (`trust::bounds`), so this never wraps.
        let ticks = u64::try_from(timeout.as_millis().div_ceil(EPOCH_TICK.as_millis()))
            .unwrap_or(u64::MAX)
            .max(1);
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }

    /// What the component with digest `sha256` said in `describe()` on an
    /// earlier run, from the authenticated cache.
    pub fn cached_description(
        &self,
        sha256: &str,
    ) -> Option<host::bindings::cordon::stage::types::StageInfo> {
        let bytes = self.cache.description(sha256)?;
        description::from_bytes(&bytes)
    }

    /// Keeps a `describe()` result for later runs (when there is a cache).
    pub fn remember_description(
        &self,
        sha256: &str,
        info: &host::bindings::cordon::stage::types::StageInfo,
    ) {
        self.cache
            .remember_description(sha256, &description::to_bytes(info));
    }

    /// Calls `describe` in a throwaway store with no grants at all, under
    /// the stage's own time and memory limits.
    pub fn describe(
        &self,
        plugin: &LoadedPlugin,
        state: StageState,
        timeout: Duration,
    ) -> Result<host::bindings::cordon::stage::types::StageInfo, GuestFailure> {
        let store = self.store(state, timeout);
        let pre = plugin.pre.clone();
        let outcome = with_watchdog(timeout, store, move |store| {
            let stage = pre
                .instantiate(&mut *store)
                .map_err(|e| GuestFailure::from_error(e, store))?;
            stage
                .call_describe(&mut *store)
                .map_err(|e| GuestFailure::from_error(e, store))
        });
        match outcome {
            Watched::Finished(result, _) => result,
            Watched::Abandoned(failure) => Err(failure),
        }
    }

    /// Instantiates and runs the stage; hands back the state (findings,
    /// logs, denied calls) however the run ended, or `None` when the stage
    /// had to be abandoned, stuck in a blocking call past its timeout.
    pub fn run(
        &self,
        plugin: &LoadedPlugin,
        state: StageState,
        timeout: Duration,
        options: &str,
    ) -> (RunResult, Option<StageState>) {
        let store = self.store(state, timeout);
        let pre = plugin.pre.clone();
        let options = options.to_string();
        let outcome = with_watchdog(timeout, store, move |store| {
            match pre.instantiate(&mut *store) {
                Ok(stage) => call_run(&stage, store, &options),
                Err(e) => RunResult::Failed(GuestFailure::from_error(e, store)),
            }
        });
        match outcome {
            Watched::Finished(result, store) => (result, Some(store.into_data())),
            Watched::Abandoned(failure) => (RunResult::Failed(failure), None),
        }
    }
}

/// How long past its timeout a stage may take to stop once the epoch
/// deadline has fired. A guest computing stops within a tick; only one
/// blocked inside a host call (a WASI sleep or poll) is still running then.
const WATCHDOG_GRACE: Duration = Duration::from_secs(1);

enum Watched<T> {
    Finished(T, Store<StageState>),
    /// The guest's thread is still blocked; it is left behind (it holds no
    /// lock the run needs and dies with the process).
    Abandoned(GuestFailure),
}

/// Runs `call` on its own thread and waits at most `timeout` plus a grace
/// period. Epoch interruption stops a guest that computes, but not one
/// blocked in a host call: wasmtime only checks the epoch in guest code. The
/// watchdog is what makes the timeout hard for those.
fn with_watchdog<T: Send + 'static>(
    timeout: Duration,
    mut store: Store<StageState>,
    call: impl FnOnce(&mut Store<StageState>) -> T + Send + 'static,
) -> Watched<T> {
    let (sender, receiver) = std::sync::mpsc::sync_channel(1);
    let spawned = std::thread::Builder::new()
        .name("cordon-stage".into())
        .spawn(move || {
            let started = thread_cpu_time();
            let result = call(&mut store);
            store.data_mut().cpu_time += thread_cpu_time().saturating_sub(started);
            let _ = sender.send((result, store));
        });
    if let Err(error) = spawned {
        return Watched::Abandoned(GuestFailure {
            kind: cordon_report::ErrorKind::Trap,
            message: format!("cannot start the stage's thread: {error}"),
        });
    }
    match receiver.recv_timeout(timeout.saturating_add(WATCHDOG_GRACE)) {
        Ok((result, store)) => Watched::Finished(result, store),
        Err(_) => Watched::Abandoned(GuestFailure {
            kind: cordon_report::ErrorKind::Timeout,
            message: format!(
                "stopped: the stage ran past its timeout of {} while blocked in a host call, and was abandoned",
                humantime::format_duration(timeout)
            ),
        }),
    }
}

/// CPU time of the calling thread (zero where the clock is unavailable).
fn thread_cpu_time() -> Duration {
    #[cfg(target_os = "linux")]
    {
        let t = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
        Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
    }
    #[cfg(not(target_os = "linux"))]
    {
        Duration::ZERO
    }
}

fn call_run(stage: &Stage, store: &mut Store<StageState>, options: &str) -> RunResult {
    match stage.call_run(&mut *store, options) {
        Ok(Ok(summary)) => RunResult::Completed(summary),
        Ok(Err(error)) => RunResult::StageError(error),
        Err(e) => RunResult::Failed(GuestFailure::from_error(e, store)),
    }
}

pub enum RunResult {
    Completed(host::bindings::cordon::stage::types::Summary),
    /// The stage returned an error.
    StageError(host::bindings::cordon::stage::types::StageError),
    /// The sandbox stopped it.
    Failed(GuestFailure),
}

/// Why a guest stopped abnormally.
#[derive(Debug, Clone)]
pub struct GuestFailure {
    pub kind: cordon_report::ErrorKind,
    pub message: String,
}

impl GuestFailure {
    fn from_error(error: wasmtime::Error, store: &Store<StageState>) -> GuestFailure {
        use cordon_report::ErrorKind;
        let memory_hit = store.data().limiter.limit_hit();
        match error.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => GuestFailure {
                kind: ErrorKind::Timeout,
                message: "stopped: the stage ran past its timeout".into(),
            },
            Some(trap) if memory_hit.is_some() => GuestFailure {
                kind: ErrorKind::MemoryLimit,
                message: format!(
                    "stopped: the stage asked for {} bytes of memory, over its limit of {} bytes ({trap})",
                    memory_hit.unwrap_or_default(),
                    store.data().limiter.limit()
                ),
            },
            Some(trap) => GuestFailure {
                kind: ErrorKind::Trap,
                message: format!("the stage crashed: {trap}"),
            },
            None if memory_hit.is_some() => GuestFailure {
                kind: ErrorKind::MemoryLimit,
                message: format!(
                    "stopped: the stage exceeded its memory limit of {} bytes: {error:#}",
                    store.data().limiter.limit()
                ),
            },
            None => GuestFailure {
                kind: ErrorKind::Trap,
                message: format!("the stage failed: {error:#}"),
            },
        }
    }
}

/// The native code the build script compiled for a built-in stage, if this
/// host and engine can run it. It is trusted as part of the binary, exactly
/// like the component bytes beside it; a mismatch (another CPU, for
/// instance) falls back to compiling, never to an error.
fn embedded_component(engine: &Engine, code: &'static [u8], source: &str) -> Option<Component> {
    if Engine::detect_precompiled(code) != Some(wasmtime::Precompiled::Component) {
        tracing::debug!("{source}: embedded native code is not a component for this engine");
        return None;
    }
    // SAFETY: `code` is a static in this binary, produced by wasmtime's
    // `precompile_component` at build time from the component whose digest
    // was just verified; it is never read from a writable place. wasmtime
    // still checks that it was compiled by this version with these settings.
    // In place, it is also never written (a `'static` immutable) and lives
    // as long as the process, as `deserialize_raw` requires.
    let loaded = if runs_in_place(code) {
        tracing::debug!("{source}: embedded native code runs in place");
        unsafe { Component::deserialize_raw(engine, std::ptr::NonNull::from(code)) }
    } else {
        unsafe { Component::deserialize(engine, code) }
    };
    match loaded {
        Ok(component) => Some(component),
        Err(error) => {
            tracing::debug!("{source}: embedded native code not usable here ({error}); compiling");
            None
        }
    }
}

/// Whether embedded native code can run where it lies in the binary: the
/// engine makes pages executable in place on this target, and the code was
/// embedded page-aligned (its `.text` section is page-aligned within it).
/// Otherwise it is copied into fresh memory first, as wasmtime's default.
fn runs_in_place(code: &[u8]) -> bool {
    cordon_engine_config::RUNS_CODE_IN_PLACE
        && (code.as_ptr() as usize).is_multiple_of(cordon_engine_config::CODE_PAGE)
}

/// Names the two common mistakes before wasmtime's parser would: a file
/// that is not WebAssembly at all, and a core module instead of a component.
fn check_header(wasm: &[u8]) -> Result<(), LoadError> {
    const MAGIC: &[u8] = b"\0asm";
    const CORE_MODULE: [u8; 4] = [1, 0, 0, 0];
    if !wasm.starts_with(MAGIC) {
        return Err(LoadError::Invalid(
            "the file is not WebAssembly (it does not start with `\\0asm`)".into(),
        ));
    }
    if wasm.get(4..8) == Some(&CORE_MODULE[..]) {
        return Err(LoadError::Invalid(
            "the file is a core WebAssembly module, not a component: build the plugin for wasm32-wasip2".into(),
        ));
    }
    Ok(())
}

/// A WASI context with nothing in it: no preopened directories, no
/// environment, no arguments, no network; stdout/stderr captured.
pub fn wasi_context(
    stdout: &host::output::CappedOutput,
    stderr: &host::output::CappedOutput,
) -> wasmtime_wasi::WasiCtx {
    WasiCtxBuilder::new()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_blocking_current_thread(true)
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

/// A fresh table for a store.
pub fn resource_table() -> ResourceTable {
    ResourceTable::new()
}

/// Compiles a component without caching (for `cordon plugin check`-style uses and tests).
pub fn compile(engine: &Engine, wasm: &[u8]) -> Result<Component, String> {
    Component::new(engine, wasm).map_err(|e| format!("{e:#}"))
}
