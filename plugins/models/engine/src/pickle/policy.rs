//! Which imported globals a pickle may use, read from the policy data file
//! `data/pickle-policy.toml` (embedded at build time, documented there) and
//! extensible with the user's own entries.
//!
//! The file holds an allow-list (what real frameworks legitimately pickle)
//! and a deny list (families and published gadgets that run code or reach
//! the OS, network or file system). Every entry carries examples that the
//! tests run, so an entry that cannot show what it matches cannot land.

use std::collections::BTreeSet;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

/// The built-in policy, as shipped.
pub const BUILTIN_POLICY_TOML: &str = include_str!("../../data/pickle-policy.toml");

/// What importing one global means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Safe,
    /// Runs code or commands (or loads another pickle) when called.
    CodeExecution,
    /// Network, file system, process state or a call gadget.
    Dangerous,
    Unknown,
}

/// A verdict and the policy entry that gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Classification {
    pub verdict: Verdict,
    /// Id of the matching entry; `None` for unknown globals and for the
    /// structural dunder rule.
    pub entry: Option<String>,
    /// For allowed globals: the framework the entry belongs to.
    pub framework: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum DenyKind {
    CodeExecution,
    Dangerous,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowEntry {
    pub id: String,
    pub framework: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub globals: Vec<String>,
    #[serde(default)]
    pub families: Vec<String>,
    #[serde(default)]
    pub classes: Vec<String>,
    pub examples: Vec<String>,
    #[serde(default)]
    pub counter_examples: Vec<String>,
    /// Entries added by the user rank below the built-in deny families:
    /// a user allow-list can admit a custom class, never `os.system`.
    #[serde(skip)]
    pub user: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DenyEntry {
    pub id: String,
    pub kind: DenyKind,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub globals: Vec<String>,
    #[serde(default)]
    pub families: Vec<String>,
    pub examples: Vec<String>,
    #[serde(default)]
    pub counter_examples: Vec<String>,
}

/// An allow-list and a deny list of pickle globals.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub allow: Vec<AllowEntry>,
    #[serde(default)]
    pub deny: Vec<DenyEntry>,
}

/// Why a policy file was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("pickle policy is not valid TOML for the policy schema: {0}")]
    Syntax(String),
    #[error("pickle policy entry `{id}`: {problem}")]
    Entry { id: String, problem: String },
}

/// The builtins module under its Python 3, Python 2 and `__builtins__` names.
const BUILTINS_ALIASES: &[&str] = &["__builtin__", "__builtins__"];

/// `__builtin__.eval` and `__builtins__.eval` read as `builtins.eval`.
fn normalise(path: &str) -> String {
    for alias in BUILTINS_ALIASES {
        if let Some(rest) = path.strip_prefix(alias)
            && (rest.is_empty() || rest.starts_with('.'))
        {
            return format!("builtins{rest}");
        }
    }
    path.to_string()
}

fn in_family(path: &str, family: &str) -> bool {
    path == family || (path.starts_with(family) && path.as_bytes().get(family.len()) == Some(&b'.'))
}

fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// A class name as the allow-list's `classes` admits it: one identifier
/// whose first letter, after any leading underscores of a private class
/// (`_BinMapper`), is upper-case.
pub fn is_class_name(name: &str) -> bool {
    is_identifier(name)
        && name
            .trim_start_matches('_')
            .starts_with(|c: char| c.is_ascii_uppercase())
}

/// Splits an example `a.b.C` into the module and name `find_class` gets.
fn split_example(example: &str) -> (&str, &str) {
    example.rsplit_once('.').unwrap_or(("", example))
}

impl AllowEntry {
    fn matches_global(&self, full: &str) -> bool {
        self.globals.iter().any(|g| g == full)
    }

    fn matches_family_or_class(&self, module: &str, name: &str, full: &str) -> bool {
        self.families.iter().any(|f| in_family(full, f))
            || (is_class_name(name) && self.classes.iter().any(|c| in_family(module, c)))
    }
}

impl DenyEntry {
    fn verdict(&self) -> Verdict {
        match self.kind {
            DenyKind::CodeExecution => Verdict::CodeExecution,
            DenyKind::Dangerous => Verdict::Dangerous,
        }
    }
}

fn rank(verdict: Verdict) -> u8 {
    match verdict {
        Verdict::CodeExecution => 2,
        Verdict::Dangerous => 1,
        _ => 0,
    }
}

impl Policy {
    /// The policy shipped with the engine.
    pub fn builtin() -> &'static Policy {
        Policy::shared_builtin()
    }

    /// The built-in policy behind one shared pointer, so every
    /// `Limits::default()` costs a reference count, not a copy.
    pub fn shared_builtin() -> &'static Arc<Policy> {
        static BUILTIN: OnceLock<Arc<Policy>> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            // The embedded file is checked by the engine's tests (parse and
            // every example); a failure here is a build defect, not input.
            Arc::new(Policy::parse(BUILTIN_POLICY_TOML).expect("embedded pickle policy is valid"))
        })
    }

    /// Spells every exact global as `classify` compares it
    /// (`__builtin__.eval` -> `builtins.eval`), once.
    fn normalise_globals(&mut self) {
        for entry in &mut self.allow {
            for global in &mut entry.globals {
                *global = normalise(global);
            }
        }
        for entry in &mut self.deny {
            for global in &mut entry.globals {
                *global = normalise(global);
            }
        }
    }

    /// Parses and validates a policy file: ids unique and non-empty, every
    /// entry with at least one pattern and one example, and every example
    /// (and counter-example) behaving as the entry says.
    pub fn parse(text: &str) -> Result<Policy, PolicyError> {
        let mut policy: Policy =
            toml::from_str(text).map_err(|err| PolicyError::Syntax(err.to_string()))?;
        policy.normalise_globals();
        policy.validate()?;
        Ok(policy)
    }

    /// The built-in policy plus the user's entries (TOML in the same
    /// schema). User allow entries never override a built-in deny family.
    pub fn with_user_entries(text: &str) -> Result<Policy, PolicyError> {
        let mut user: Policy =
            toml::from_str(text).map_err(|err| PolicyError::Syntax(err.to_string()))?;
        for entry in &mut user.allow {
            entry.user = true;
        }
        let mut policy = Policy::builtin().clone();
        policy.allow.extend(user.allow);
        policy.deny.extend(user.deny);
        policy.normalise_globals();
        policy.validate()?;
        Ok(policy)
    }

    /// The built-in policy with extra allowed globals (`module.Name`), as
    /// given by the stage option `allow-globals`.
    pub fn with_allowed_globals(globals: &[String]) -> Result<Policy, PolicyError> {
        let mut policy = Policy::builtin().clone();
        if globals.is_empty() {
            return Ok(policy);
        }
        policy.allow.push(AllowEntry {
            id: "user-allow-globals".into(),
            framework: "user".into(),
            description: "Globals allowed by the stage options.".into(),
            globals: globals.to_vec(),
            families: Vec::new(),
            classes: Vec::new(),
            examples: globals.to_vec(),
            counter_examples: Vec::new(),
            user: true,
        });
        policy.normalise_globals();
        policy.validate()?;
        Ok(policy)
    }

    fn validate(&self) -> Result<(), PolicyError> {
        let mut ids = BTreeSet::new();
        let entry_error = |id: &str, problem: String| PolicyError::Entry {
            id: id.to_string(),
            problem,
        };
        let allow = self.allow.iter().map(|e| {
            (
                &e.id,
                e.globals.len() + e.families.len() + e.classes.len(),
                &e.examples,
                &e.counter_examples,
            )
        });
        let deny = self.deny.iter().map(|e| {
            (
                &e.id,
                e.globals.len() + e.families.len(),
                &e.examples,
                &e.counter_examples,
            )
        });
        for (id, patterns, examples, counter_examples) in allow.chain(deny) {
            if id.trim().is_empty() {
                return Err(entry_error(id, "the id is empty".into()));
            }
            if !ids.insert(id.as_str()) {
                return Err(entry_error(id, "the id is used twice".into()));
            }
            if patterns == 0 {
                return Err(entry_error(id, "the entry matches nothing".into()));
            }
            if examples.is_empty() {
                return Err(entry_error(id, "the entry has no examples".into()));
            }
            for example in examples {
                let (module, name) = split_example(example);
                let got = self.classify(module, name);
                if got.entry.as_deref() != Some(id.as_str()) {
                    return Err(entry_error(
                        id,
                        format!(
                            "example `{example}` is judged {:?} by entry {:?}, not by this entry",
                            got.verdict, got.entry
                        ),
                    ));
                }
            }
            for example in counter_examples {
                let (module, name) = split_example(example);
                if self.classify(module, name).entry.as_deref() == Some(id.as_str()) {
                    return Err(entry_error(
                        id,
                        format!("counter-example `{example}` matches this entry"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Verdict for the global `module`.`name` (what `find_class` would
    /// import; `name` may be a dotted attribute chain since protocol 4).
    pub fn classify(&self, module: &str, name: &str) -> Classification {
        let found = |verdict, entry: &str, framework: Option<&str>| Classification {
            verdict,
            entry: Some(entry.to_string()),
            framework: framework.map(str::to_string),
        };
        // Dunder attribute chains (`__globals__`, `__builtins__`,
        // `__subclasses__`) are the classic escape from any innocuous
        // object to `os`, whatever the module.
        if name
            .split('.')
            .any(|part| part.starts_with("__") && part.ends_with("__") && part.len() > 4)
        {
            return Classification {
                verdict: Verdict::CodeExecution,
                entry: None,
                framework: None,
            };
        }
        let module = normalise(module);
        let full = format!("{module}.{name}");
        // The full path, and every tail of the attribute chain, because
        // `torch.serialization` + `os.system` resolves to `os.system`.
        let name_parts: Vec<&str> = name.split('.').collect();
        let mut candidates = vec![full.clone()];
        for start in 0..name_parts.len() {
            candidates.push(normalise(&name_parts[start..].join(".")));
        }
        for entry in &self.deny {
            if candidates
                .iter()
                .any(|path| entry.globals.iter().any(|g| g == path))
            {
                return found(entry.verdict(), &entry.id, None);
            }
        }
        if let Some(entry) = self
            .allow
            .iter()
            .find(|e| !e.user && e.matches_global(&full))
        {
            return found(Verdict::Safe, &entry.id, Some(&entry.framework));
        }
        let mut worst: Option<&DenyEntry> = None;
        for entry in &self.deny {
            if candidates
                .iter()
                .any(|path| entry.families.iter().any(|f| in_family(path, f)))
                && worst.is_none_or(|w| rank(entry.verdict()) > rank(w.verdict()))
            {
                worst = Some(entry);
            }
        }
        if let Some(entry) = worst {
            return found(entry.verdict(), &entry.id, None);
        }
        if let Some(entry) = self
            .allow
            .iter()
            .find(|e| e.matches_global(&full) || e.matches_family_or_class(&module, name, &full))
        {
            return found(Verdict::Safe, &entry.id, Some(&entry.framework));
        }
        Classification {
            verdict: Verdict::Unknown,
            entry: None,
            framework: None,
        }
    }
}

/// Verdict of the built-in policy for `module`.`name`.
pub fn classify(module: &str, name: &str) -> Verdict {
    Policy::builtin().classify(module, name).verdict
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_policy_parses_and_every_example_matches_its_entry() {
        let policy = Policy::parse(BUILTIN_POLICY_TOML).unwrap();
        assert!(policy.allow.len() >= 6 && policy.deny.len() >= 6);
        let examples: usize = policy.allow.iter().map(|e| e.examples.len()).sum::<usize>()
            + policy.deny.iter().map(|e| e.examples.len()).sum::<usize>();
        assert!(examples > 40, "{examples}");
    }

    #[test]
    fn an_entry_whose_example_does_not_match_is_rejected() {
        let err = Policy::parse(
            r#"
            [[deny]]
            id = "x"
            kind = "dangerous"
            families = ["nntplib"]
            examples = ["smtplib.SMTP"]
            "#,
        )
        .unwrap_err();
        assert!(
            matches!(err, PolicyError::Entry { ref id, .. } if id == "x"),
            "{err}"
        );
    }

    #[test]
    fn user_allow_entries_never_override_a_denied_family() {
        let policy = Policy::with_allowed_globals(&["os.system".into()]);
        // The example `os.system` is judged by the deny list, so the user
        // entry cannot show its example and is rejected.
        assert!(policy.is_err());
        let policy = Policy::with_allowed_globals(&["mylab.models.Net".into()]).unwrap();
        assert_eq!(
            policy.classify("mylab.models", "Net").verdict,
            Verdict::Safe
        );
        assert_eq!(
            Policy::builtin().classify("mylab.models", "Net").verdict,
            Verdict::Unknown
        );
    }

    #[test]
    fn user_policy_text_extends_the_builtin_one() {
        let policy = Policy::with_user_entries(
            r#"
            [[deny]]
            id = "lab-gadget"
            kind = "code-execution"
            globals = ["mylab.tools.run"]
            examples = ["mylab.tools.run"]
            "#,
        )
        .unwrap();
        assert_eq!(
            policy.classify("mylab.tools", "run").verdict,
            Verdict::CodeExecution
        );
        assert_eq!(
            policy.classify("os", "system").verdict,
            Verdict::CodeExecution
        );
        assert!(Policy::with_user_entries("[[allow]]\nid = 3").is_err());
    }

    #[test]
    fn attribute_chains_resolve_to_their_tail() {
        let got = Policy::builtin().classify("torch.serialization", "os.system");
        assert_eq!(got.verdict, Verdict::CodeExecution);
        // An allowed family does not carry an attribute chain out of it.
        let got = Policy::builtin().classify("torch.nn.functional", "os.system");
        assert_eq!(got.verdict, Verdict::CodeExecution);
        let got = Policy::builtin().classify("pathlib", "Path.write_text");
        assert_eq!(got.verdict, Verdict::Dangerous);
        let got = Policy::builtin().classify("torch.jit", "_pickle.build_intlist");
        assert_eq!(
            got.verdict,
            Verdict::Safe,
            "same object as the allowed global"
        );
        let got = Policy::builtin().classify("collections", "OrderedDict.__globals__");
        assert_eq!(got.verdict, Verdict::CodeExecution);
    }
}
