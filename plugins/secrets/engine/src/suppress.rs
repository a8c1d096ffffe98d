//! User suppressions: path globs, value patterns and inline comments.

use globset::{Glob, GlobSet, GlobSetBuilder};
use regex::bytes::{Regex, RegexBuilder};

use crate::SuppressionReason;
use crate::config::ConfigError;

/// The inline marker; it suppresses findings on its own line and the next.
pub const INLINE_ALLOW_MARKER: &str = "cordon:allow";
/// gitleaks' inline marker, honoured the same way so that a repository
/// moving from gitleaks keeps its reviewed exceptions.
pub const GITLEAKS_ALLOW_MARKER: &str = "gitleaks:allow";
/// Every marker `inline-allow` honours.
pub(crate) const INLINE_ALLOW_MARKERS: &[&str] = &[INLINE_ALLOW_MARKER, GITLEAKS_ALLOW_MARKER];

pub(crate) struct Allowlist {
    path_globs: Vec<String>,
    path_set: GlobSet,
    path_patterns: Vec<(String, Regex)>,
    values: Vec<(String, Regex)>,
}

/// A user regex with a size limit, so a pattern cannot exhaust memory.
fn user_regex(pattern: &str) -> Result<Regex, regex::Error> {
    RegexBuilder::new(pattern).size_limit(1 << 20).build()
}

impl Allowlist {
    pub(crate) fn new(
        paths: &[String],
        path_patterns: &[String],
        values: &[String],
    ) -> Result<Allowlist, ConfigError> {
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
        let path_patterns = path_patterns
            .iter()
            .map(|pattern| {
                user_regex(pattern)
                    .map(|regex| (pattern.clone(), regex))
                    .map_err(|error| ConfigError::InvalidAllowPathPattern {
                        pattern: pattern.clone(),
                        error: error.to_string(),
                    })
            })
            .collect::<Result<_, _>>()?;
        let values = values
            .iter()
            .map(|pattern| {
                user_regex(pattern)
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
            path_patterns,
            values,
        })
    }

    /// The first allow-paths glob, else allow-path-patterns regex, that
    /// matches `path`.
    pub(crate) fn path_reason(&self, path: &str) -> Option<SuppressionReason> {
        if let Some(index) = self.path_set.matches(path).into_iter().min() {
            return Some(SuppressionReason::PathAllowlist {
                glob: self.path_globs[index].clone(),
            });
        }
        self.path_patterns
            .iter()
            .find(|(_, regex)| regex.is_match(path.as_bytes()))
            .map(|(pattern, _)| SuppressionReason::PathPattern {
                pattern: pattern.clone(),
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
