//! What a Cordon run produced, and the formats it is reported in.
//!
//! The runner fills a [`RunReport`]; each module renders it one way.

pub mod model;

pub use model::*;
