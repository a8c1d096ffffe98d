//! Policies are data: one TOML file per framework under `policies/`,
//! embedded at build time. This module reads them, compiles their
//! conditions and evaluates a condition against a resource's [`Node`].
//!
//! # Condition language
//!
//! A condition says when a resource is *vulnerable*. It is one of
//!
//! - `{ path = "a.b", op = "...", value = ... }`: a test on the values at
//!   `path`. Path segments are keys separated by `.`; `*` stands for every
//!   child of a map or list; a key applied to a list applies to each item
//!   (so `ingress.cidr_blocks` works when `ingress` is repeated). A test is
//!   true when *some* value at the path passes it; a scalar test on a list
//!   tests its items.
//!   Operators: `absent`, `present`, `literal` (written as a plain
//!   scalar, not an expression), `equals`, `not-equals`, `in` (value is
//!   an array), `contains` (list item / map key / substring), `matches`,
//!   `not-matches` (regex), `lt`, `lte`, `gt`, `gte` (numbers, also numeric
//!   strings), `refers-to` (regex on the text of an expression the engine
//!   could not evaluate: "does the user data interpolate a password?";
//!   false for a known value).
//! - `{ all = [...] }`, `{ any = [...] }`, `{ not = {...} }`;
//! - `{ some = "path", where = {...} }`: some item at the path satisfies the
//!   inner condition, whose paths are relative to that item;
//! - `{ some-entry = "path", where = {...} }`: some entry of the map at the
//!   path, seen as `{ key, value }`, satisfies the inner condition (for
//!   conditions on names, such as secret-looking environment variables).
//!
//! Evaluation is three-valued: a value the engine could not evaluate (a
//! variable without default, an intrinsic function) makes a test
//! *unknown*, and a policy whose outcome is unknown is reported as
//! unevaluated instead of as a finding.

use std::fmt;
use std::sync::OnceLock;

use regex::Regex;
use serde::Deserialize;

use crate::finding::{Framework, Severity, Theme};
use crate::node::{Node, Pos, Value};

/// The embedded policy files, every `policies/*.toml` by name (`build.rs`
/// lists them). A file says its framework; several may share one.
pub const POLICY_FILES: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/policy_files.rs"));

#[derive(Debug, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}: {source}")]
    Toml {
        file: String,
        #[source]
        source: toml::de::Error,
    },
    #[error("{file}: policy `{id}`: {message}")]
    Invalid {
        file: String,
        id: String,
        message: String,
    },
}

/// `When` is the condition as written: a TOML tree in a policy file, the
/// still-unparsed JSON text in the embedded built-ins.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyFile<When> {
    framework: Framework,
    #[serde(rename = "policy")]
    policies: Vec<PolicySpec<When>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicySpec<When> {
    id: String,
    title: String,
    severity: Severity,
    theme: Theme,
    kinds: Vec<String>,
    remediation: String,
    #[serde(default)]
    references: Vec<String>,
    #[serde(default)]
    aliases: Vec<String>,
    when: When,
    /// Required in a TOML policy file; the embedded built-ins leave them out.
    #[serde(default)]
    examples: Option<Examples>,
}

/// Snippets the test suite runs: each vulnerable one must trigger the
/// policy, each fixed one must not. Empty for the embedded built-in
/// policies (see [`builtin_policies`]); [`POLICY_FILES`] has them.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Examples {
    pub vulnerable: Vec<String>,
    pub fixed: Vec<String>,
}

/// One compiled policy.
#[derive(Debug)]
pub struct Policy {
    pub id: String,
    pub framework: Framework,
    pub title: String,
    pub severity: Severity,
    pub theme: Theme,
    /// Resource kinds the policy applies to.
    pub kinds: Vec<String>,
    pub remediation: String,
    pub references: Vec<String>,
    /// Other tools' ids for the same check, accepted in their suppression
    /// comments (`#checkov:skip=CKV_AWS_20`).
    pub aliases: Vec<String>,
    pub condition: PolicyCondition,
    pub examples: Examples,
}

/// A policy's condition. A policy file's is compiled as it loads, so a
/// mistake is an error at once; a built-in's is compiled the first time a
/// resource of its kinds is judged. With ~650 built-ins and a typical
/// repository using a few dozen resource types, compiling them all was
/// most of the stage's start-up.
#[derive(Debug)]
pub struct PolicyCondition {
    /// The built-in's condition as JSON text, until it is compiled.
    source: Option<Box<serde_json::value::RawValue>>,
    compiled: OnceLock<Result<Condition, String>>,
}

impl PolicyCondition {
    fn compiled(condition: Condition) -> PolicyCondition {
        PolicyCondition {
            source: None,
            compiled: OnceLock::from(Ok(condition)),
        }
    }

    fn deferred(source: Box<serde_json::value::RawValue>) -> PolicyCondition {
        PolicyCondition {
            source: Some(source),
            compiled: OnceLock::new(),
        }
    }

    /// The compiled condition, or why it could not be compiled (for a
    /// built-in, a defect the test suite would have caught; the policy is
    /// then reported as unevaluated, never as a pass).
    pub fn get(&self) -> Result<&Condition, &str> {
        self.compiled
            .get_or_init(|| {
                let source = self.source.as_ref().map_or("null", |raw| raw.get());
                let spec: toml::Value =
                    serde_json::from_str(source).map_err(|error| error.to_string())?;
                Condition::compile(&spec, Origin::BuiltIn)
            })
            .as_ref()
            .map_err(String::as_str)
    }

    /// Whether it has been compiled yet.
    pub fn is_compiled(&self) -> bool {
        self.compiled.get().is_some()
    }
}

/// The built-in policies without their examples, as JSON: `build.rs`
/// converts [`POLICY_FILES`] at build time.
const BUILTIN_POLICIES_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/policies.json"));

#[derive(Deserialize)]
struct BuiltinFile {
    file: String,
    content: PolicyFile<Box<serde_json::value::RawValue>>,
}

/// Loads and compiles every built-in policy (without its examples).
pub fn builtin_policies() -> Result<Vec<Policy>, PolicyError> {
    let files: Vec<BuiltinFile> =
        serde_json::from_str(BUILTIN_POLICIES_JSON).map_err(|error| PolicyError::Invalid {
            file: "policies".into(),
            id: String::new(),
            message: error.to_string(),
        })?;
    let mut policies = Vec::new();
    for builtin in files {
        policies.extend(compile_file(
            &builtin.file,
            builtin.content,
            Origin::BuiltIn,
            |when| Ok(PolicyCondition::deferred(when)),
        )?);
    }
    let mut seen = std::collections::HashSet::new();
    for policy in &policies {
        if !seen.insert(policy.id.clone()) {
            return Err(PolicyError::Invalid {
                file: "policies".into(),
                id: policy.id.clone(),
                message: "duplicate id".into(),
            });
        }
    }
    Ok(policies)
}

/// Parses one policy file (built-in or a user's); each policy must carry
/// its examples.
pub fn parse_policy_file(file: &str, text: &str) -> Result<Vec<Policy>, PolicyError> {
    let parsed: PolicyFile<toml::Value> =
        toml::from_str(text).map_err(|source| PolicyError::Toml {
            file: file.to_string(),
            source,
        })?;
    compile_file(file, parsed, Origin::File, |when| {
        Condition::compile(&when, Origin::File).map(PolicyCondition::compiled)
    })
}

/// Where a policy comes from, which decides what loading it checks.
#[derive(Clone, Copy, PartialEq)]
enum Origin {
    /// Embedded in the binary from `policies/*.toml`, whose examples and
    /// regexes the test suite checks: loading it again on every run would
    /// only repeat that (the syntax check of its ~90 regexes was a fifth of
    /// the stage's start-up).
    BuiltIn,
    /// A policy file: every policy needs examples, every regex must parse.
    File,
}

/// A policy file's policies; `condition` turns each one's `when` into its
/// condition (compiled now, or deferred for a built-in).
fn compile_file<When>(
    file: &str,
    parsed: PolicyFile<When>,
    origin: Origin,
    condition: impl Fn(When) -> Result<PolicyCondition, String>,
) -> Result<Vec<Policy>, PolicyError> {
    parsed
        .policies
        .into_iter()
        .map(|spec| {
            let invalid = |message: String| PolicyError::Invalid {
                file: file.to_string(),
                id: spec.id.clone(),
                message,
            };
            if !spec.id.starts_with("iac/") {
                return Err(invalid("ids start with `iac/`".into()));
            }
            if spec.kinds.is_empty() {
                return Err(invalid("`kinds` is empty".into()));
            }
            let examples = spec.examples.clone().unwrap_or_default();
            if origin == Origin::File
                && (examples.vulnerable.is_empty() || examples.fixed.is_empty())
            {
                return Err(invalid(
                    "needs at least one vulnerable and one fixed example".into(),
                ));
            }
            let condition = condition(spec.when).map_err(invalid)?;
            Ok(Policy {
                id: spec.id,
                framework: parsed.framework,
                title: spec.title,
                severity: spec.severity,
                theme: spec.theme,
                kinds: spec.kinds,
                remediation: spec.remediation,
                references: spec.references,
                aliases: spec.aliases,
                condition,
                examples,
            })
        })
        .collect()
}

#[derive(Clone, Debug, PartialEq)]
pub enum Literal {
    Str(String),
    Number(f64),
    Bool(bool),
}

impl fmt::Display for Literal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Literal::Str(text) => f.write_str(text),
            Literal::Number(number) => f.write_str(&crate::node::format_number(*number)),
            Literal::Bool(flag) => write!(f, "{flag}"),
        }
    }
}

#[derive(Debug)]
pub enum Test {
    Absent,
    Present,
    /// The value is written as a literal scalar (not an expression the
    /// engine cannot see through): "is a password typed into the file?".
    IsLiteral,
    Equals(Literal),
    NotEquals(Literal),
    In(Vec<Literal>),
    Contains(Literal),
    Matches(LazyRegex),
    NotMatches(LazyRegex),
    /// The value is an expression the engine could not evaluate, and its
    /// text as written matches: where a value comes from, when the value
    /// itself is only known at apply time.
    RefersTo(LazyRegex),
    Compare(Ordering, f64),
}

/// A policy's regex, checked for syntax when a policy file is loaded (see
/// [`Origin`]) but compiled on first use: compiling the built-in policies' ~90 patterns
/// took two thirds of the stage's start-up, paid on every run (and in
/// `describe()`) even for a workspace with no infrastructure code.
#[derive(Debug)]
pub struct LazyRegex {
    pattern: String,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl LazyRegex {
    fn new(pattern: &str) -> Result<LazyRegex, String> {
        regex_syntax::Parser::new()
            .parse(pattern)
            .map_err(|error| error.to_string())?;
        Ok(LazyRegex::unchecked(pattern))
    }

    /// A built-in policy's pattern, whose syntax the tests check; were it
    /// wrong anyway, its test would be unknown, never a silent pass.
    fn unchecked(pattern: &str) -> LazyRegex {
        LazyRegex {
            pattern: pattern.to_string(),
            compiled: std::sync::OnceLock::new(),
        }
    }

    /// `None` when the pattern parses but cannot be compiled (past the
    /// regex size limit): the test is then unknown, never a silent pass.
    fn is_match(&self, text: &str) -> Option<bool> {
        self.compiled
            .get_or_init(|| Regex::new(&self.pattern).ok())
            .as_ref()
            .map(|regex| regex.is_match(text))
    }
}

#[derive(Clone, Copy, Debug)]
pub enum Ordering {
    Lt,
    Lte,
    Gt,
    Gte,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Segment {
    Key(String),
    Any,
}

/// A compiled condition; see the module docs for the language.
#[derive(Debug)]
pub enum Condition {
    All(Vec<Condition>),
    Any(Vec<Condition>),
    Not(Box<Condition>),
    Some {
        path: Vec<Segment>,
        inner: Box<Condition>,
    },
    /// Some entry of the map(s) at the path, seen as `{key, value}`.
    SomeEntry {
        path: Vec<Segment>,
        inner: Box<Condition>,
    },
    Test {
        path: Vec<Segment>,
        test: Test,
    },
}

/// Outcome of evaluating a condition. `True` carries the position of the
/// value that made it true when there is one (the attribute to point at);
/// `False` carries the position of the value it looked at, so that a
/// negation still points at the attribute.
#[derive(Clone, Debug, PartialEq)]
pub enum Truth {
    True(Option<Pos>),
    False(Option<Pos>),
    /// Depends on a value that could not be evaluated: its position and text.
    Unknown(Pos, String),
}

impl Condition {
    fn compile(spec: &toml::Value, origin: Origin) -> Result<Condition, String> {
        let table = spec
            .as_table()
            .ok_or_else(|| format!("a condition is a table, found `{spec}`"))?;
        let only = |allowed: &[&str]| -> Result<(), String> {
            match table.keys().find(|key| !allowed.contains(&key.as_str())) {
                Some(key) => Err(format!("unexpected key `{key}` in condition")),
                None => Ok(()),
            }
        };
        let list = |key: &str| -> Result<Vec<Condition>, String> {
            let items = table[key]
                .as_array()
                .ok_or_else(|| format!("`{key}` takes an array of conditions"))?;
            if items.is_empty() {
                return Err(format!("`{key}` is empty"));
            }
            items
                .iter()
                .map(|item| Condition::compile(item, origin))
                .collect()
        };
        if table.contains_key("all") {
            only(&["all"])?;
            return Ok(Condition::All(list("all")?));
        }
        if table.contains_key("any") {
            only(&["any"])?;
            return Ok(Condition::Any(list("any")?));
        }
        if let Some(inner) = table.get("not") {
            only(&["not"])?;
            return Ok(Condition::Not(Box::new(Condition::compile(inner, origin)?)));
        }
        if let Some(path) = table.get("some-entry") {
            only(&["some-entry", "where"])?;
            let path = parse_path(path.as_str().ok_or("`some-entry` takes a path string")?)?;
            let inner = table
                .get("where")
                .ok_or("`some-entry` needs a `where` condition")?;
            return Ok(Condition::SomeEntry {
                path,
                inner: Box::new(Condition::compile(inner, origin)?),
            });
        }
        if let Some(path) = table.get("some") {
            only(&["some", "where"])?;
            let path = parse_path(path.as_str().ok_or("`some` takes a path string")?)?;
            let inner = table
                .get("where")
                .ok_or("`some` needs a `where` condition")?;
            return Ok(Condition::Some {
                path,
                inner: Box::new(Condition::compile(inner, origin)?),
            });
        }
        only(&["path", "op", "value"])?;
        let path = parse_path(
            table
                .get("path")
                .and_then(toml::Value::as_str)
                .ok_or("a test needs a `path` string (or use all/any/not/some)")?,
        )?;
        let op = table
            .get("op")
            .and_then(toml::Value::as_str)
            .ok_or("a test needs an `op` string")?;
        let value = table.get("value");
        let needs_value = || value.ok_or_else(|| format!("`{op}` needs a `value`"));
        let number = || -> Result<f64, String> {
            let value = needs_value()?;
            value
                .as_integer()
                .map(|n| n as f64)
                .or_else(|| value.as_float())
                .ok_or_else(|| format!("`{op}` compares numbers"))
        };
        let regex = || -> Result<LazyRegex, String> {
            let pattern = needs_value()?.as_str().ok_or("a regex is a string")?;
            match origin {
                Origin::File => LazyRegex::new(pattern),
                Origin::BuiltIn => Ok(LazyRegex::unchecked(pattern)),
            }
        };
        let test = match op {
            "absent" | "present" | "literal" if value.is_some() => {
                return Err(format!("`{op}` takes no value"));
            }
            "absent" => Test::Absent,
            "present" => Test::Present,
            "literal" => Test::IsLiteral,
            "equals" => Test::Equals(literal(needs_value()?)?),
            "not-equals" => Test::NotEquals(literal(needs_value()?)?),
            "in" => Test::In(
                needs_value()?
                    .as_array()
                    .ok_or("`in` takes an array")?
                    .iter()
                    .map(literal)
                    .collect::<Result<_, _>>()?,
            ),
            "contains" => Test::Contains(literal(needs_value()?)?),
            "matches" => Test::Matches(regex()?),
            "not-matches" => Test::NotMatches(regex()?),
            "refers-to" => Test::RefersTo(regex()?),
            "lt" => Test::Compare(Ordering::Lt, number()?),
            "lte" => Test::Compare(Ordering::Lte, number()?),
            "gt" => Test::Compare(Ordering::Gt, number()?),
            "gte" => Test::Compare(Ordering::Gte, number()?),
            other => return Err(format!("unknown op `{other}`")),
        };
        Ok(Condition::Test { path, test })
    }

    /// Evaluates the condition with paths relative to `node`.
    pub fn eval(&self, node: &Node) -> Truth {
        match self {
            Condition::All(items) => {
                let mut first_pos = None;
                let mut unknown = None;
                for item in items {
                    match item.eval(node) {
                        Truth::False(pos) => return Truth::False(pos),
                        Truth::True(pos) => first_pos = first_pos.or(pos),
                        outcome @ Truth::Unknown(..) => unknown = unknown.or(Some(outcome)),
                    }
                }
                unknown.unwrap_or(Truth::True(first_pos))
            }
            Condition::Any(items) => {
                let mut unknown = None;
                for item in items {
                    match item.eval(node) {
                        outcome @ Truth::True(_) => return outcome,
                        Truth::False(_) => {}
                        outcome @ Truth::Unknown(..) => unknown = unknown.or(Some(outcome)),
                    }
                }
                unknown.unwrap_or(Truth::False(None))
            }
            Condition::Not(inner) => match inner.eval(node) {
                Truth::True(pos) => Truth::False(pos),
                Truth::False(pos) => Truth::True(pos),
                unknown => unknown,
            },
            Condition::Some { path, inner } => {
                let mut unknown = None;
                for item in resolve(node, path).into_iter().flat_map(items_of) {
                    if let Value::Unknown(text) = &item.value {
                        unknown = unknown.or(Some(Truth::Unknown(item.pos, text.clone())));
                        continue;
                    }
                    match inner.eval(item) {
                        Truth::True(pos) => return Truth::True(Some(pos.unwrap_or(item.pos))),
                        Truth::False(_) => {}
                        outcome @ Truth::Unknown(..) => unknown = unknown.or(Some(outcome)),
                    }
                }
                unknown.unwrap_or(Truth::False(None))
            }
            Condition::SomeEntry { path, inner } => {
                let mut unknown = None;
                for map in resolve(node, path) {
                    let entries = match &map.value {
                        Value::Map(entries) => entries,
                        Value::Unknown(text) => {
                            unknown = unknown.or(Some(Truth::Unknown(map.pos, text.clone())));
                            continue;
                        }
                        _ => continue,
                    };
                    for (key, value) in entries {
                        let entry = Node::scalar(
                            Value::Map(vec![
                                ("key".to_string(), Node::str(key, value.pos)),
                                ("value".to_string(), value.clone()),
                            ]),
                            value.pos,
                        );
                        match inner.eval(&entry) {
                            Truth::True(_) => return Truth::True(Some(value.pos)),
                            Truth::False(_) => {}
                            outcome @ Truth::Unknown(..) => unknown = unknown.or(Some(outcome)),
                        }
                    }
                }
                unknown.unwrap_or(Truth::False(None))
            }
            Condition::Test { path, test } => eval_test(test, &resolve(node, path)),
        }
    }
}

fn parse_path(text: &str) -> Result<Vec<Segment>, String> {
    if text.is_empty() {
        return Err("empty path".into());
    }
    text.split('.')
        .map(|segment| match segment {
            "" => Err(format!("empty segment in path `{text}`")),
            "*" => Ok(Segment::Any),
            key => Ok(Segment::Key(key.to_string())),
        })
        .collect()
}

fn literal(value: &toml::Value) -> Result<Literal, String> {
    match value {
        toml::Value::String(text) => Ok(Literal::Str(text.clone())),
        toml::Value::Integer(number) => Ok(Literal::Number(*number as f64)),
        toml::Value::Float(number) => Ok(Literal::Number(*number)),
        toml::Value::Boolean(flag) => Ok(Literal::Bool(*flag)),
        other => Err(format!("`{other}` is not a string, number or boolean")),
    }
}

/// Every node at `path`. An unknown value met on the way is returned
/// itself, so the caller sees that the answer is not known.
fn resolve<'a>(node: &'a Node, path: &[Segment]) -> Vec<&'a Node> {
    let mut current = vec![node];
    for segment in path {
        let mut next = Vec::new();
        for node in current {
            step(node, segment, &mut next);
        }
        current = next;
    }
    current
}

fn step<'a>(node: &'a Node, segment: &Segment, out: &mut Vec<&'a Node>) {
    match (&node.value, segment) {
        (Value::Unknown(_), _) => out.push(node),
        (Value::Map(entries), Segment::Key(key)) => {
            out.extend(entries.iter().filter(|(k, _)| k == key).map(|(_, v)| v));
        }
        (Value::Map(entries), Segment::Any) => out.extend(entries.iter().map(|(_, v)| v)),
        (Value::List(items), Segment::Any) => out.extend(items.iter()),
        (Value::List(items), Segment::Key(_)) => {
            for item in items {
                step(item, segment, out);
            }
        }
        _ => {}
    }
}

/// A list stands for its items; anything else for itself.
fn items_of(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![node],
    }
}

fn is_missing(node: &Node) -> bool {
    matches!(node.value, Value::Null) || matches!(&node.value, Value::Str(text) if text.is_empty())
}

fn eval_test(test: &Test, nodes: &[&Node]) -> Truth {
    match test {
        Test::Absent | Test::Present => {
            // An expression the engine cannot evaluate is still a setting
            // the author made: it counts as present.
            let present = nodes
                .iter()
                .find(|node| !is_missing(node))
                .map(|node| node.pos);
            match (test, present) {
                (Test::Present, Some(pos)) => Truth::True(Some(pos)),
                (Test::Present, None) => Truth::False(None),
                (_, Some(pos)) => Truth::False(Some(pos)),
                (_, None) => Truth::True(None),
            }
        }
        Test::IsLiteral => match nodes.iter().find(|node| {
            matches!(&node.value, Value::Str(text) if !text.is_empty())
                || matches!(node.value, Value::Number(_) | Value::Bool(_))
        }) {
            Some(node) => Truth::True(Some(node.pos)),
            None => Truth::False(nodes.first().map(|node| node.pos)),
        },
        Test::RefersTo(regex) => {
            // Unknown text that does not match, or a pattern that cannot
            // be compiled, is a plain no: the test is about the expression,
            // which is known even when its value is not.
            let referring = nodes.iter().flat_map(|node| items_of(node)).find(|node| {
                matches!(&node.value, Value::Unknown(text) if regex.is_match(text) == Some(true))
            });
            match referring {
                Some(node) => Truth::True(Some(node.pos)),
                None => Truth::False(nodes.first().map(|node| node.pos)),
            }
        }
        Test::Contains(literal) => {
            let mut unknown = None;
            for node in nodes {
                match contains(node, literal) {
                    Some(true) => return Truth::True(Some(node.pos)),
                    Some(false) => {}
                    None => unknown = unknown.or(Some(unknown_of(node))),
                }
            }
            unknown.unwrap_or(Truth::False(nodes.first().map(|node| node.pos)))
        }
        scalar_test => {
            let mut unknown = None;
            let mut looked_at = None;
            for node in nodes.iter().flat_map(|node| items_of(node)) {
                looked_at = looked_at.or(Some(node.pos));
                match scalar(scalar_test, node) {
                    Some(true) => return Truth::True(Some(node.pos)),
                    Some(false) => {}
                    None => unknown = unknown.or(Some(unknown_of(node))),
                }
            }
            unknown.unwrap_or(Truth::False(looked_at))
        }
    }
}

fn unknown_of(node: &Node) -> Truth {
    let text = match &node.value {
        Value::Unknown(text) => text.clone(),
        _ => "?".into(),
    };
    Truth::Unknown(node.pos, text)
}

/// `None` when the node's value is not known.
fn scalar(test: &Test, node: &Node) -> Option<bool> {
    if let Value::Unknown(_) = node.value {
        return None;
    }
    Some(match test {
        Test::Equals(literal) => equals(node, literal),
        Test::NotEquals(literal) => !is_missing(node) && !equals(node, literal),
        Test::In(literals) => literals.iter().any(|literal| equals(node, literal)),
        Test::Matches(regex) => match node.scalar_text() {
            Some(text) => regex.is_match(&text)?,
            None => false,
        },
        Test::NotMatches(regex) => match node.scalar_text() {
            Some(text) => !regex.is_match(&text)?,
            None => false,
        },
        Test::Compare(ordering, bound) => node.as_number().is_some_and(|number| match ordering {
            Ordering::Lt => number < *bound,
            Ordering::Lte => number <= *bound,
            Ordering::Gt => number > *bound,
            Ordering::Gte => number >= *bound,
        }),
        Test::Absent | Test::Present | Test::IsLiteral | Test::Contains(_) | Test::RefersTo(_) => {
            false
        }
    })
}

fn equals(node: &Node, literal: &Literal) -> bool {
    match (literal, &node.value) {
        (Literal::Bool(expected), Value::Bool(actual)) => expected == actual,
        // CloudFormation and Kubernetes often quote booleans.
        (Literal::Bool(expected), Value::Str(text)) => {
            text.eq_ignore_ascii_case(&expected.to_string())
        }
        (Literal::Number(expected), _) => node.as_number() == Some(*expected),
        (Literal::Str(expected), _) => node.scalar_text().as_deref() == Some(expected.as_str()),
        _ => false,
    }
}

fn contains(node: &Node, literal: &Literal) -> Option<bool> {
    match &node.value {
        Value::Unknown(_) => None,
        Value::List(items) => {
            let mut unknown = false;
            for item in items {
                if item.is_unknown() {
                    unknown = true;
                } else if equals(item, literal) {
                    return Some(true);
                }
            }
            if unknown { None } else { Some(false) }
        }
        Value::Map(entries) => Some(entries.iter().any(|(key, _)| *key == literal.to_string())),
        Value::Str(text) => Some(text.contains(&literal.to_string())),
        _ => Some(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::load_documents;

    fn condition(toml_text: &str) -> Condition {
        let value: toml::Table = toml::from_str(toml_text).unwrap();
        Condition::compile(&value["when"], Origin::File).unwrap()
    }

    fn doc(yaml: &str) -> Node {
        load_documents(yaml).unwrap().remove(0)
    }

    #[test]
    fn equals_points_at_the_matching_value() {
        let when = condition(r#"when = { path = "a.b", op = "equals", value = true }"#);
        assert_eq!(
            when.eval(&doc("a:\n  b: true\n")),
            Truth::True(Some(Pos { line: 2, column: 3 }))
        );
        assert_eq!(
            when.eval(&doc("a:\n  b: false\n")),
            Truth::False(Some(Pos { line: 2, column: 3 }))
        );
    }

    #[test]
    fn absent_and_not_equals_differ_on_missing_attributes() {
        let absent = condition(r#"when = { path = "x", op = "absent" }"#);
        let not_true = condition(r#"when = { not = { path = "x", op = "equals", value = true } }"#);
        let missing = doc("y: 1\n");
        assert!(matches!(absent.eval(&missing), Truth::True(None)));
        assert!(matches!(not_true.eval(&missing), Truth::True(_)));
        assert!(matches!(absent.eval(&doc("x: false\n")), Truth::False(_)));
    }

    #[test]
    fn keys_apply_to_each_list_item_and_some_binds_an_item() {
        let when = condition(
            r#"when = { some = "rules", where = { all = [ { path = "cidr", op = "equals", value = "0.0.0.0/0" }, { path = "port", op = "equals", value = 22 } ] } }"#,
        );
        let open =
            doc("rules:\n  - {cidr: 10.0.0.0/8, port: 22}\n  - {cidr: 0.0.0.0/0, port: \"22\"}\n");
        assert_eq!(
            when.eval(&open),
            Truth::True(Some(Pos { line: 3, column: 6 }))
        );
        let split =
            doc("rules:\n  - {cidr: 10.0.0.0/8, port: 22}\n  - {cidr: 0.0.0.0/0, port: 443}\n");
        assert!(matches!(when.eval(&split), Truth::False(_)));
    }

    #[test]
    fn unknown_values_make_the_outcome_unknown_not_a_guess() {
        let when =
            condition(r#"when = { not = { path = "encrypted", op = "equals", value = true } }"#);
        let node = Node::new(
            Value::Map(vec![(
                "encrypted".into(),
                Node::scalar(Value::Unknown("var.enc".into()), Pos { line: 4, column: 3 }),
            )]),
            Pos { line: 1, column: 1 },
            5,
        );
        assert_eq!(
            when.eval(&node),
            Truth::Unknown(Pos { line: 4, column: 3 }, "var.enc".into())
        );
        // A false sibling still decides an `all`.
        let all = condition(
            r#"when = { all = [ { path = "encrypted", op = "equals", value = true }, { path = "other", op = "present" } ] }"#,
        );
        assert!(matches!(all.eval(&node), Truth::False(_)));
    }

    #[test]
    fn bad_conditions_are_rejected_with_a_reason() {
        for (text, expected) in [
            (r#"when = { path = "a", op = "bogus" }"#, "unknown op"),
            (
                r#"when = { path = "a", op = "matches", value = "(" }"#,
                "regex",
            ),
            (
                r#"when = { path = "a", op = "absent", value = 1 }"#,
                "takes no value",
            ),
            (r#"when = { all = [] }"#, "empty"),
            (
                r#"when = { path = "a", op = "equals", value = 1, extra = 2 }"#,
                "unexpected key",
            ),
        ] {
            let value: toml::Table = toml::from_str(text).unwrap();
            let error = Condition::compile(&value["when"], Origin::File).unwrap_err();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn the_embedded_policies_are_the_policy_files_without_their_examples() {
        let embedded = builtin_policies().unwrap();
        let from_files: Vec<Policy> = POLICY_FILES
            .iter()
            .flat_map(|(file, text)| parse_policy_file(file, text).unwrap())
            .collect();
        assert_eq!(embedded.len(), from_files.len());
        for (built, parsed) in embedded.iter().zip(&from_files) {
            assert!(built.examples.vulnerable.is_empty() && built.examples.fixed.is_empty());
            assert!(!parsed.examples.vulnerable.is_empty());
            let strip = |policy: &Policy| {
                format!(
                    "{} {:?} {} {:?} {:?} {:?} {} {:?} {:?} {:?}",
                    policy.id,
                    policy.framework,
                    policy.title,
                    policy.severity,
                    policy.theme,
                    policy.kinds,
                    policy.remediation,
                    policy.references,
                    policy.aliases,
                    policy.condition.get()
                )
            };
            assert_eq!(strip(built), strip(parsed));
        }
    }

    #[test]
    fn built_in_conditions_are_compiled_on_first_use_and_file_ones_at_load() {
        let builtins = builtin_policies().unwrap();
        assert!(
            builtins
                .iter()
                .all(|policy| !policy.condition.is_compiled())
        );
        assert!(builtins.iter().all(|policy| policy.condition.get().is_ok()));
        let (file, text) = POLICY_FILES[0];
        let parsed = parse_policy_file(file, text).unwrap();
        assert!(parsed.iter().all(|policy| policy.condition.is_compiled()));
        // A deferred condition that cannot compile is an error, never a pass.
        let broken = PolicyCondition::deferred(
            serde_json::value::RawValue::from_string(r#"{"path":"a","op":"nope"}"#.into()).unwrap(),
        );
        assert!(broken.get().unwrap_err().contains("nope"));
    }

    #[test]
    fn a_regex_is_compiled_on_first_use_and_one_too_big_is_unknown() {
        let regex = LazyRegex::new("^arn:aws:iam::[0-9]+:root$").unwrap();
        assert!(regex.compiled.get().is_none(), "not compiled at load");
        assert_eq!(regex.is_match("arn:aws:iam::123456789012:root"), Some(true));
        assert_eq!(regex.is_match("arn:aws:iam::1:user/x"), Some(false));
        // Valid syntax, but past the compiled-size limit: neither a match
        // nor a non-match.
        let huge = LazyRegex::new(r"\w{1000}{1000}").unwrap();
        assert_eq!(huge.is_match("x"), None);
    }

    #[test]
    fn literal_is_definite_even_for_unknown_values() {
        let when = condition(r#"when = { path = "password", op = "literal" }"#);
        let at = Pos { line: 1, column: 1 };
        let with = |value: Value| {
            Node::scalar(
                Value::Map(vec![("password".into(), Node::scalar(value, at))]),
                at,
            )
        };
        assert!(matches!(
            when.eval(&with(Value::Str("example-pass".into()))),
            Truth::True(_)
        ));
        assert!(matches!(
            when.eval(&with(Value::Unknown("var.p".into()))),
            Truth::False(_)
        ));
        assert!(matches!(
            when.eval(&with(Value::Str(String::new()))),
            Truth::False(_)
        ));
    }

    #[test]
    fn some_entry_sees_keys_and_values() {
        let when = condition(
            r#"when = { some-entry = "env", where = { all = [ { path = "key", op = "matches", value = "TOKEN" }, { path = "value", op = "literal" } ] } }"#,
        );
        assert_eq!(
            when.eval(&doc("env:\n  MODE: prod\n  API_TOKEN: abc\n")),
            Truth::True(Some(Pos { line: 3, column: 3 }))
        );
        assert!(matches!(
            when.eval(&doc("env:\n  MODE: prod\n")),
            Truth::False(_)
        ));
        assert!(matches!(when.eval(&doc("other: 1\n")), Truth::False(_)));
    }

    #[test]
    fn contains_covers_lists_maps_and_strings() {
        let when =
            condition(r#"when = { path = "on", op = "contains", value = "pull_request_target" }"#);
        assert!(matches!(
            when.eval(&doc("on: pull_request_target\n")),
            Truth::True(_)
        ));
        assert!(matches!(
            when.eval(&doc("on: [push, pull_request_target]\n")),
            Truth::True(_)
        ));
        assert!(matches!(
            when.eval(&doc("on:\n  pull_request_target:\n    types: [opened]\n")),
            Truth::True(_)
        ));
        assert!(matches!(when.eval(&doc("on: [push]\n")), Truth::False(_)));
    }
}
