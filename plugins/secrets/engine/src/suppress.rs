//! User suppressions: path globs, value patterns and inline comments.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};

use crate::SuppressionReason;
use crate::config::ConfigError;

/// The inline marker; it suppresses findings on its own line and the next.
pub const INLINE_ALLOW_MARKER: &str = "cordon:allow";

pub(crate) struct Allowlist {
    path_globs: Vec<String>,
    path_set: GlobSet,
    values: Vec<(String, Regex)>,
}

impl Allowlist {
    pub(crate) fn new(paths: &[String], values: &[String]) -> Result<Allowlist, ConfigError> {
        let mut builder = GlobSetBuilder::new();
        for glob in paths {
            let parsed = Glob::new(glob).map_err(|error| ConfigError::InvalidGlob {
                glob: glob.clone(),
                error: error.to_string(),
            })?;
            builder.add(parsed);
        }
        let path_set = builder.build().map_err(|error| ConfigError::InvalidGlob {
            glob: paths.join(", "),
            error: error.to_string(),
        })?;
        let values = values
            .iter()
            .map(|pattern| {
                RegexBuilder::new(pattern)
                    .size_limit(1 << 20)
                    .build()
                    .map(|regex| (pattern.clone(), regex))
                    .map_err(|error| ConfigError::InvalidAllowValue {
                        pattern: pattern.clone(),
                        error: error.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        Ok(Allowlist {
            path_globs: paths.to_vec(),
            path_set,
            values,
        })
    }

    /// The first allow-paths glob that matches `path`.
    pub(crate) fn path_reason(&self, path: &str) -> Option<SuppressionReason> {
        let index = self.path_set.matches(path).into_iter().min()?;
        Some(SuppressionReason::PathAllowlist {
            glob: self.path_globs[index].clone(),
        })
    }

    /// The first allow-values pattern that matches `secret`.
    pub(crate) fn value_reason(&self, secret: &[u8]) -> Option<SuppressionReason> {
        self.values
            .iter()
            .find(|(_, regex)| regex.is_match(secret))
            .map(|(pattern, _)| SuppressionReason::ValueAllowlist {
                pattern: pattern.clone(),
            })
    }
}
