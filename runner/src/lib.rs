//! Cordon: a zero-trust DevSecOps pipeline runner. Security stages are
//! WebAssembly components; each runs in its own wasmtime sandbox with only
//! what the pipeline file grants it.
//!
//! A run flows `config` (TOML -> validated pipeline) -> `plan` (DAG) ->
//! `run` (schedule, build each stage's sandbox from its grants) ->
//! `sandbox` (engine, compiled-component cache, limits) + `host` (one module
//! per WIT interface) -> a `cordon_report::RunReport` rendered by `report`.
//! Every decision about what may run, and with what, is in `trust`.

pub mod cli;
pub mod config;
pub mod datasets;
pub mod git_http;
pub mod host;
pub mod plan;
pub mod plugins;
pub mod report;
pub mod run;
pub mod sandbox;
pub mod trust;
