//! Every trust decision of a run, in one place: where the pipeline comes
//! from and what a policy requires of it ([`policy`]), how files a
//! repository names are opened ([`files`]), how a plugin is verified beyond
//! its pinned digest ([`signing`]), how a cached compiled component is
//! authenticated before wasmtime loads it ([`cache_auth`]), and the bounds
//! no pipeline's limits may exceed ([`bounds`]), and what is normal for a
//! stage's host calls ([`anomaly`]).
//!
//! The capability modules in [`crate::host`] only enforce what these
//! decided; they do not decide anything themselves.

pub mod anomaly;
pub mod bounds;
pub mod cache_auth;
pub mod files;
pub mod policy;
pub mod signing;
