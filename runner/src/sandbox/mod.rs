//! The sandbox: one wasmtime engine per run, a compiled-component cache,
//! and a fresh `Store` per stage with its limits and nothing but its grants.

mod cache;
mod limits;

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use wasmtime::component::{Component, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};
use wasmtime_wasi::WasiCtxBuilder;

use crate::host::bindings::{Stage, StagePre};
use crate::host::{self, StageState};

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
}

/// A component ready to instantiate many times.
pub struct LoadedPlugin {
    pre: StagePre<StageState>,
    /// True when the compiled code came from the on-disk cache.
    pub cache_hit: bool,
}

impl Sandbox {
    /// `cache_dir` holds compiled components; `None` disables the cache.
    pub fn new(cache_dir: Option<PathBuf>) -> anyhow::Result<Sandbox> {
        let mut config = Config::new();
        config.wasm_component_model(true);
        config.epoch_interruption(true);
        let mut pooling = PoolingAllocationConfig::default();
        // Per-stage memory caps are enforced by `MemoryLimiter`; the pool only
        // bounds what any one linear memory could ever reach.
        pooling.max_memory_size(4 << 30);
        pooling.total_component_instances(64);
        pooling.total_core_instances(512);
        pooling.total_memories(128);
        pooling.total_tables(512);
        // Stages run synchronously, so the pool's async fiber stacks are
        // unused; each one costs a guard-page mprotect at start-up, and the
        // default of 1000 was most of a warm run's fixed cost.
        pooling.total_stacks(1);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
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
        let cache = ComponentCache::new(cache_dir, &engine);
        Ok(Sandbox {
            engine,
            linker,
            cache,
            ticker_stop,
        })
    }

    /// Compiles (or loads from the cache) and links a verified component.
    pub fn load(&self, wasm: &[u8], sha256: &str) -> Result<LoadedPlugin, LoadError> {
        check_header(wasm)?;
        let (component, cache_hit) = self
            .cache
            .get_or_compile(&self.engine, wasm, sha256)
            .map_err(LoadError::Invalid)?;
        let component_type = component.component_type();
        for (name, _) in component_type.imports(&self.engine) {
            if REFUSED_IMPORTS
                .iter()
                .any(|prefix| name.starts_with(prefix))
            {
                return Err(LoadError::RefusedImport(name.to_string()));
            }
        }
        let instance_pre = self
            .linker
            .instantiate_pre(&component)
            .map_err(|e| LoadError::Link(format!("{e:#}")))?;
        let pre = StagePre::new(instance_pre).map_err(|e| LoadError::Invalid(format!("{e:#}")))?;
        Ok(LoadedPlugin { pre, cache_hit })
    }

    /// A store holding `state`, with the stage's memory cap and deadline.
    fn store(&self, state: StageState, timeout: Duration) -> Store<StageState> {
        let mut store = Store::new(&self.engine, state);
        store.limiter(|state| &mut state.limiter);
        let ticks = timeout.as_millis().div_ceil(EPOCH_TICK.as_millis()).max(1) as u64;
        store.set_epoch_deadline(ticks);
        store.epoch_deadline_trap();
        store
    }

    /// Calls `describe` in a throwaway store with no grants at all.
    pub fn describe(
        &self,
        plugin: &LoadedPlugin,
        state: StageState,
    ) -> Result<host::bindings::cordon::stage::types::StageInfo, GuestFailure> {
        let mut store = self.store(state, Duration::from_secs(10));
        let stage = plugin
            .pre
            .instantiate(&mut store)
            .map_err(|e| GuestFailure::from_error(e, &store))?;
        stage
            .call_describe(&mut store)
            .map_err(|e| GuestFailure::from_error(e, &store))
    }

    /// Instantiates and runs the stage; hands back the state (findings,
    /// logs, denied calls) however the run ended.
    pub fn run(
        &self,
        plugin: &LoadedPlugin,
        state: StageState,
        timeout: Duration,
        options: &str,
    ) -> (RunResult, StageState) {
        let mut store = self.store(state, timeout);
        let result = match plugin.pre.instantiate(&mut store) {
            Ok(stage) => call_run(&stage, &mut store, options),
            Err(e) => RunResult::Failed(GuestFailure::from_error(e, &store)),
        };
        (result, store.into_data())
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
