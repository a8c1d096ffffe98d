//! The host side of the WIT contract: one module per interface, each with
//! the state its grant allows and the checks on every call.

pub mod artifacts;
pub mod audit;
pub mod cache;
pub mod data;
pub mod findings;
pub mod git;
pub mod log;
pub mod output;
pub mod workspace;

use wasmtime::component::{HasSelf, Linker, ResourceTable};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

pub mod bindings {
    wasmtime::component::bindgen!({
        world: "stage",
        path: "../wit",
    });
}

/// Everything one stage run can reach. Built from the stage's grants by
/// [`crate::sandbox`]; nothing else is reachable from the guest.
pub struct StageState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    pub(crate) limiter: crate::sandbox::MemoryLimiter,
    pub(crate) calls: audit::CallRecorder,
    pub(crate) workspace: workspace::WorkspaceAccess,
    pub(crate) data: data::DataAccess,
    pub(crate) artifacts: artifacts::ArtifactAccess,
    pub(crate) findings: findings::SharedSink,
    pub(crate) cache: cache::CacheAccess,
    pub(crate) git: git::GitAccess,
    pub(crate) log: log::LogSink,
    /// CPU time the stage's thread spent, set by the sandbox.
    pub(crate) cpu_time: std::time::Duration,
}

impl WasiView for StageState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl bindings::cordon::stage::types::Host for StageState {}

/// Links WASI (minus networking, see [`crate::sandbox`]) and Cordon's interfaces.
pub fn link(linker: &mut Linker<StageState>) -> wasmtime::Result<()> {
    wasmtime_wasi::p2::add_to_linker_sync(linker)?;
    bindings::Stage::add_to_linker::<StageState, HasSelf<StageState>>(linker, |state| state)?;
    Ok(())
}
