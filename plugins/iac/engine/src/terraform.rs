//! Terraform: HCL through `hcl-rs` (its `hcl-edit` syntax tree keeps byte
//! spans, so attributes keep their line and column).
//!
//! A module is the set of `.tf` (and `.tf.json`, Terraform's JSON syntax
//! as CDK for Terraform writes it) files in one directory. Variables with a
//! literal default (or a value from `terraform.tfvars` / `*.auto.tfvars`)
//! and `locals` are substituted; a resource with a literal
//! `count = 0` or empty `for_each` creates nothing and is skipped; anything else (a variable
//! without default, a function other than `jsonencode`, a reference to
//! another resource's attribute) stays [`Value::Unknown`] with its text, so
//! policies report it as unevaluated instead of guessing. A policy document
//! written with `jsonencode(...)`, as a JSON string or in a heredoc is
//! parsed into a tree so IAM policies can look inside it.
//!
//! Each resource also gets `_referenced_by`: the types of the resources in
//! the module that reference it (`aws_s3_bucket_public_access_block`
//! pointing at a bucket), so "bucket without a public access block" is a
//! plain condition; `_module_kinds`: every type the module declares
//! (an account-level block covers every bucket); and `_references`: the
//! resources it references, by address, with their attributes (a snapshot
//! of an unencrypted volume). When the module states provider version
//! constraints (`required_providers`, or a 0.12-era `provider { version }`),
//! every unit also gets `_provider_versions`: constraint text by provider
//! name, for defaults that changed between provider major versions.
//! `output` blocks are units of kind `output` (not inventory), so a policy
//! can see a secret attribute exported through one.

use std::collections::{HashMap, HashSet};

use hcl::edit::Span;
use hcl::edit::expr::{Expression, ObjectKey, TraversalOperator};
use hcl::edit::structure::{Block, Body, Structure};
use hcl::edit::template::{Element, Template};
use regex::Regex;

use crate::node::{LineIndex, Node, Pos, Value};
use crate::unit::{ParseError, Unit};

/// Scans one module: `files` are (path, text) of the `.tf` files in one
/// directory. Returns per file its units or its parse error, in input order.
pub fn scan_module(files: &[(&str, &str)]) -> Vec<Result<Vec<Unit>, ParseError>> {
    let parsed: Vec<Result<Parsed, ParseError>> = files
        .iter()
        .map(|(path, text)| {
            if path.ends_with(".tf.json") {
                return parse_json(text).map(Parsed::Json);
            }
            hcl::edit::parser::parse_body(text)
                .map(Parsed::Hcl)
                .map_err(|error| {
                    let location = error.location();
                    ParseError {
                        message: error.message().to_string(),
                        pos: Pos {
                            line: crate::node::to_u32(location.line()),
                            column: crate::node::to_u32(location.column()),
                        },
                    }
                })
        })
        .collect();

    let mut scope = Scope::default();
    // Variables first (literal defaults only), then locals: twice, so a
    // local may use one defined later in the module.
    for doc in parsed.iter().filter_map(|parsed| match parsed {
        Ok(Parsed::Json(doc)) => Some(doc),
        _ => None,
    }) {
        for (name, variable) in json_blocks(doc, "variable") {
            if let Some(default) = variable.get("default") {
                let node = json_value(default, &Scope::default());
                scope.variables.insert(name.to_string(), node);
            }
        }
    }
    for ((_, text), body) in files.iter().zip(&parsed) {
        let Ok(Parsed::Hcl(body)) = body else {
            continue;
        };
        let source = Source::new(text);
        for block in body
            .blocks()
            .filter(|block| block.ident.as_str() == "variable")
        {
            if let (Some(label), Some(default)) =
                (block.labels.first(), block.body.get_attribute("default"))
            {
                let node = source.expr(
                    &default.value,
                    source.pos_of(&default.key),
                    &Scope::default(),
                );
                scope.variables.insert(label.as_str().to_string(), node);
            }
        }
    }
    // Values Terraform loads on its own override the defaults:
    // `terraform.tfvars`, then `*.auto.tfvars` in name order. Other
    // `.tfvars` files only apply with `-var-file`, so they are not used.
    let mut auto_loaded: Vec<(&str, &Body, &str)> = files
        .iter()
        .zip(&parsed)
        .filter_map(|((path, text), body)| match body {
            Ok(Parsed::Hcl(body)) => Some((file_name(path), body, *text)),
            _ => None,
        })
        .filter(|(name, _, _)| *name == "terraform.tfvars" || name.ends_with(".auto.tfvars"))
        .collect();
    auto_loaded.sort_by_key(|(name, _, _)| (*name != "terraform.tfvars", name.to_string()));
    for (_, body, text) in auto_loaded {
        let source = Source::new(text);
        for attribute in body.attributes() {
            let node = source.expr(
                &attribute.value,
                source.pos_of(&attribute.key),
                &Scope::default(),
            );
            scope
                .variables
                .insert(attribute.key.as_str().to_string(), node);
        }
    }
    for _ in 0..2 {
        for ((_, text), body) in files.iter().zip(&parsed) {
            let body = match body {
                Ok(Parsed::Hcl(body)) => body,
                Ok(Parsed::Json(doc)) => {
                    let locals = doc.get("locals").map(items_of).unwrap_or_default();
                    for (name, value) in locals
                        .iter()
                        .flat_map(|node| node.as_map().unwrap_or_default())
                    {
                        scope.locals.insert(name.clone(), json_value(value, &scope));
                    }
                    continue;
                }
                Err(_) => continue,
            };
            let source = Source::new(text);
            for block in body
                .blocks()
                .filter(|block| block.ident.as_str() == "locals")
            {
                for attribute in block.body.attributes() {
                    let node = source.expr(&attribute.value, source.pos_of(&attribute.key), &scope);
                    scope
                        .locals
                        .insert(attribute.key.as_str().to_string(), node);
                }
            }
        }
    }

    // Policy documents after locals (their statements may use them), so a
    // policy attribute set to `data.aws_iam_policy_document.x.json` reads
    // like a heredoc or jsonencode document.
    for ((_, text), body) in files.iter().zip(&parsed) {
        let Ok(Parsed::Hcl(body)) = body else {
            continue;
        };
        let source = Source::new(text);
        for block in body.blocks().filter(|block| block.ident.as_str() == "data") {
            if let [kind, name] = block.labels.as_slice()
                && kind.as_str() == "aws_iam_policy_document"
            {
                let document = Node::new(
                    Value::Map(source.body(&block.body, &scope)),
                    source.pos_of(block),
                    source.end_line_of(block),
                );
                scope
                    .policy_documents
                    .insert(name.as_str().to_string(), iam_json(&document));
            }
        }
    }

    // The provider version constraints the module states, by provider
    // name: some defaults changed between major versions (an azurerm 2.x
    // storage account accepts TLS 1.0 unless told otherwise; 3.x does not).
    let mut provider_versions: Vec<(String, Node)> = Vec::new();
    for ((_, text), body) in files.iter().zip(&parsed) {
        let Ok(Parsed::Hcl(body)) = body else {
            continue;
        };
        let source = Source::new(text);
        for block in body.blocks() {
            match (block.ident.as_str(), block.labels.as_slice()) {
                ("terraform", []) => {
                    for required in block.body.get_blocks("required_providers") {
                        for attribute in required.body.attributes() {
                            let node = source.expr(
                                &attribute.value,
                                source.pos_of(&attribute.key),
                                &scope,
                            );
                            // `name = { source = ..., version = ... }`, or
                            // the older `name = "constraint"`.
                            let version = if node.as_str().is_some() {
                                node
                            } else if let Some(version) = node.get("version") {
                                version.clone()
                            } else {
                                continue;
                            };
                            provider_versions.push((attribute.key.as_str().to_string(), version));
                        }
                    }
                }
                // Terraform 0.12 and earlier: `provider "x" { version = ... }`.
                ("provider", [name]) => {
                    if let Some(attribute) = block.body.get_attribute("version") {
                        let node =
                            source.expr(&attribute.value, source.pos_of(&attribute.key), &scope);
                        provider_versions.push((name.as_str().to_string(), node));
                    }
                }
                _ => {}
            }
        }
    }

    let mut results: Vec<Result<Vec<(Unit, String)>, ParseError>> = files
        .iter()
        .zip(parsed)
        .map(|((path, text), body)| {
            let body = match body? {
                Parsed::Hcl(body) => body,
                Parsed::Json(doc) => return Ok(json_units(&doc, text, &scope)),
            };
            if path.ends_with(".tfvars") {
                return Ok(Vec::new());
            }
            let source = Source::new(text);
            Ok(body
                .blocks()
                .filter_map(|block| source.unit(block, &scope))
                .collect())
        })
        .collect();

    // Who references whom, by the `type.name` traversals in each block.
    let addresses: HashSet<String> = results
        .iter()
        .flatten()
        .flatten()
        .map(|(unit, _)| unit.address.clone())
        .collect();
    static REFERENCE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let reference = REFERENCE.get_or_init(|| {
        Regex::new(r"\b(?:data\.)?[A-Za-z_][\w-]*\.[A-Za-z_][\w-]*").expect("static regex")
    });
    let mut referenced_by: HashMap<String, Vec<String>> = HashMap::new();
    let mut references: HashMap<String, Vec<String>> = HashMap::new();
    for (unit, block_text) in results.iter().flatten().flatten() {
        let mut seen = HashSet::new();
        for found in reference.find_iter(block_text) {
            let target = found.as_str();
            if target != unit.address && addresses.contains(target) && seen.insert(target) {
                referenced_by
                    .entry(target.to_string())
                    .or_default()
                    .push(unit.kind.clone());
                references
                    .entry(unit.address.clone())
                    .or_default()
                    .push(target.to_string());
            }
        }
    }
    // The referenced resources' own attributes, as written (before the
    // module-wide keys below), for conditions that follow a reference: a
    // snapshot is as encrypted as the volume it copies.
    let nodes_by_address: HashMap<String, Node> = results
        .iter()
        .flatten()
        .flatten()
        .map(|(unit, _)| (unit.address.clone(), unit.node.clone()))
        .collect();
    // Every kind the module declares, for module-wide settings such as an
    // account-level S3 public access block.
    let module_kinds: std::collections::BTreeSet<String> = results
        .iter()
        .flatten()
        .flatten()
        .map(|(unit, _)| unit.kind.clone())
        .collect();
    results
        .iter_mut()
        .map(|result| match result {
            Ok(units) => Ok(units
                .drain(..)
                .map(|(mut unit, _)| {
                    let kinds = referenced_by.remove(&unit.address).unwrap_or_default();
                    let list = kinds
                        .into_iter()
                        .map(|kind| Node::str(kind, unit.pos))
                        .collect();
                    unit.node
                        .set("_referenced_by", Node::scalar(Value::List(list), unit.pos));
                    let kinds = module_kinds
                        .iter()
                        .map(|kind| Node::str(kind, unit.pos))
                        .collect();
                    unit.node
                        .set("_module_kinds", Node::scalar(Value::List(kinds), unit.pos));
                    // Reported at the referencing block, not in the
                    // referenced resource's file.
                    let referenced = references
                        .remove(&unit.address)
                        .unwrap_or_default()
                        .into_iter()
                        .filter_map(|target| {
                            let node = relocate(nodes_by_address.get(&target)?, unit.pos);
                            Some((target, node))
                        })
                        .collect();
                    unit.node.set(
                        "_references",
                        Node::scalar(Value::Map(referenced), unit.pos),
                    );
                    if !provider_versions.is_empty() {
                        let versions = provider_versions
                            .iter()
                            .map(|(name, version)| (name.clone(), relocate(version, unit.pos)))
                            .collect();
                        unit.node.set(
                            "_provider_versions",
                            Node::scalar(Value::Map(versions), unit.pos),
                        );
                    }
                    unit
                })
                .collect()),
            Err(error) => Err(error.clone()),
        })
        .collect()
}

/// A module file: native HCL or Terraform's JSON syntax (`.tf.json`, as
/// CDK for Terraform writes it).
enum Parsed {
    Hcl(Body),
    Json(Node),
}

fn parse_json(text: &str) -> Result<Node, ParseError> {
    let mut docs = crate::yaml::load_documents(text).map_err(|error| ParseError {
        message: error.message,
        pos: error.pos,
    })?;
    match docs.len() {
        1 if docs[0].as_map().is_some() => Ok(docs.remove(0)),
        _ => Err(ParseError {
            message: "a .tf.json file holds one JSON object".into(),
            pos: Pos { line: 1, column: 1 },
        }),
    }
}

/// A list stands for its items; anything else for itself.
fn items_of(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::List(items) => items.iter().collect(),
        _ => vec![node],
    }
}

/// `{"variable": {"name": {...}}}` (or a list of such objects) → (name, body).
fn json_blocks<'a>(doc: &'a Node, key: &str) -> Vec<(&'a str, &'a Node)> {
    doc.get(key)
        .map(items_of)
        .unwrap_or_default()
        .into_iter()
        .flat_map(|node| node.as_map().unwrap_or_default())
        .flat_map(|(name, body)| {
            items_of(body)
                .into_iter()
                .map(move |body| (name.as_str(), body))
        })
        .collect()
}

/// JSON values are literal except strings with `${...}` / `%{...}`: a bare
/// `${var.x}` or `${local.x}` resolves through the scope, anything else is
/// unknown.
fn json_value(node: &Node, scope: &Scope) -> Node {
    let value = match &node.value {
        Value::Str(text) if text.contains("${") || text.contains("%{") => {
            let whole = text
                .strip_prefix("${")
                .and_then(|rest| rest.strip_suffix('}'))
                .filter(|inner| !inner.contains(['$', '{', '}', ' ']));
            let resolved = whole.and_then(|inner| match inner.split_once('.') {
                Some(("var", name)) => scope.variables.get(name),
                Some(("local", name)) => scope.locals.get(name),
                _ => None,
            });
            return match resolved {
                Some(value) => relocate(value, node.pos),
                None => Node::scalar(Value::Unknown(text.clone()), node.pos),
            };
        }
        Value::List(items) => {
            Value::List(items.iter().map(|item| json_value(item, scope)).collect())
        }
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), json_value(item, scope)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node::new(value, node.pos, node.end_line)
}

/// Resources, data sources and providers of a `.tf.json` file, with the
/// text of their lines for reference discovery.
fn json_units(doc: &Node, text: &str, scope: &Scope) -> Vec<(Unit, String)> {
    let lines: Vec<&str> = text.lines().collect();
    let mut units = Vec::new();
    for (section, prefix) in [("resource", ""), ("data", "data.")] {
        for (kind, by_name) in json_blocks(doc, section) {
            for (name, body) in by_name.as_map().unwrap_or_default() {
                let node = json_value(body, scope);
                let start = body.pos.line.max(1) as usize;
                let end = (body.end_line as usize).clamp(start, lines.len().max(start));
                let block_text = lines
                    .get(start - 1..end)
                    .map(|slice| slice.join("\n"))
                    .unwrap_or_default();
                units.push((
                    Unit {
                        kind: format!("{prefix}{kind}"),
                        address: format!("{prefix}{kind}.{name}"),
                        node,
                        pos: body.pos,
                        end_line: body.end_line,
                        inventory: true,
                    },
                    block_text,
                ));
            }
        }
    }
    for (name, body) in json_blocks(doc, "provider") {
        units.push((
            Unit {
                kind: format!("provider.{name}"),
                address: format!("provider.{name}"),
                node: json_value(body, scope),
                pos: body.pos,
                end_line: body.end_line,
                inventory: false,
            },
            String::new(),
        ));
    }
    units
}

fn file_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

#[derive(Default)]
struct Scope {
    variables: HashMap<String, Node>,
    locals: HashMap<String, Node>,
    /// `data "aws_iam_policy_document" NAME` rendered as the IAM JSON its
    /// `.json` attribute holds, by NAME.
    policy_documents: HashMap<String, Node>,
}

struct Source<'a> {
    text: &'a str,
    lines: LineIndex<'a>,
}

impl<'a> Source<'a> {
    fn new(text: &'a str) -> Self {
        Source {
            text,
            lines: LineIndex::new(text),
        }
    }

    fn pos_of(&self, spanned: &impl Span) -> Pos {
        spanned.span().map_or(Pos { line: 1, column: 1 }, |span| {
            self.lines.pos(span.start)
        })
    }

    fn end_line_of(&self, spanned: &impl Span) -> u32 {
        spanned
            .span()
            .map_or(1, |span| self.lines.pos(span.end.saturating_sub(1)).line)
    }

    fn text_of(&self, spanned: &impl Span) -> String {
        spanned
            .span()
            .and_then(|span| self.text.get(span))
            .map_or_else(
                || "<expression>".to_string(),
                |text| text.trim().to_string(),
            )
    }

    /// A `resource "type" "name"`, `data "type" "name"`, `provider "name"`,
    /// `variable "name"` or `output "name"` block as a unit,
    /// with the block's source text for reference discovery.
    fn unit(&self, block: &Block, scope: &Scope) -> Option<(Unit, String)> {
        let (kind, address) = match (block.ident.as_str(), block.labels.as_slice()) {
            ("resource", [kind, name]) => (
                kind.as_str().to_string(),
                format!("{}.{}", kind.as_str(), name.as_str()),
            ),
            ("data", [kind, name]) => (
                format!("data.{}", kind.as_str()),
                format!("data.{}.{}", kind.as_str(), name.as_str()),
            ),
            // Provider configuration (credentials typed into it).
            ("provider", [name]) => (
                format!("provider.{}", name.as_str()),
                format!("provider.{}", name.as_str()),
            ),
            // A variable's default is code too: a password given as a
            // default is committed in plain text like any other literal.
            ("variable", [name]) => (
                "variable".to_string(),
                format!("variable.{}", name.as_str()),
            ),
            // An output is code that publishes a value: a secret attribute
            // exported through one is printed and shared with every
            // configuration that reads this state.
            ("output", [name]) => ("output".to_string(), format!("output.{}", name.as_str())),
            _ => return None,
        };
        let pos = self.pos_of(block);
        let end_line = self.end_line_of(block);
        let mut node = Node::new(Value::Map(self.body(&block.body, scope)), pos, end_line);
        if let ("variable", [name]) = (block.ident.as_str(), block.labels.as_slice()) {
            node.set("_name", Node::str(name.as_str(), pos));
        }
        // `count = 0` or an empty literal `for_each` creates nothing; a
        // count or for_each the engine cannot evaluate is scanned as one
        // instance.
        let creates_nothing = match (node.get("count"), node.get("for_each")) {
            (Some(count), _) if count.as_number() == Some(0.0) => true,
            (
                _,
                Some(Node {
                    value: Value::List(items),
                    ..
                }),
            ) => items.is_empty(),
            (
                _,
                Some(Node {
                    value: Value::Map(entries),
                    ..
                }),
            ) => entries.is_empty(),
            _ => false,
        };
        if creates_nothing {
            return None;
        }
        let inventory = !matches!(block.ident.as_str(), "provider" | "variable" | "output");
        let unit = Unit {
            kind,
            address,
            node,
            pos,
            end_line,
            inventory,
        };
        Some((unit, self.text_of(block)))
    }

    /// Attributes become entries; nested blocks become a list under their
    /// name (blocks may repeat). `dynamic "x" { content { ... } }` is read
    /// as an `x` block with the content's attributes.
    fn body(&self, body: &Body, scope: &Scope) -> Vec<(String, Node)> {
        let mut entries: Vec<(String, Node)> = Vec::new();
        for structure in body.iter() {
            match structure {
                Structure::Attribute(attribute) => {
                    let node = self.expr(&attribute.value, self.pos_of(&attribute.key), scope);
                    entries.push((attribute.key.as_str().to_string(), node));
                }
                Structure::Block(block) => {
                    let (name, inner) = match (block.ident.as_str(), block.labels.first()) {
                        ("dynamic", Some(label)) => (
                            label.as_str().to_string(),
                            block
                                .body
                                .get_blocks("content")
                                .next()
                                .map_or(&block.body, |content| &content.body),
                        ),
                        (ident, _) => (ident.to_string(), &block.body),
                    };
                    let pos = self.pos_of(block);
                    let node = Node::new(
                        Value::Map(self.body(inner, scope)),
                        pos,
                        self.end_line_of(block),
                    );
                    match entries.iter_mut().find(|(key, _)| *key == name) {
                        Some((
                            _,
                            Node {
                                value: Value::List(items),
                                ..
                            },
                        )) => items.push(node),
                        _ => entries.push((
                            name,
                            Node::new(Value::List(vec![node]), pos, self.end_line_of(block)),
                        )),
                    }
                }
            }
        }
        entries
    }

    fn unknown(&self, expr: &Expression, pos: Pos) -> Node {
        Node::scalar(Value::Unknown(self.text_of(expr)), pos)
    }

    /// `pos` is where the value is reported (the attribute's key); nested
    /// values use their own position when the parser recorded one.
    fn expr(&self, expr: &Expression, pos: Pos, scope: &Scope) -> Node {
        let value = match expr {
            Expression::Null(_) => Value::Null,
            Expression::Bool(flag) => Value::Bool(*flag.value()),
            Expression::Number(number) => Value::Number(number.value().as_f64().unwrap_or(0.0)),
            Expression::String(text) => return string_node(text.value(), pos),
            Expression::Array(array) => Value::List(
                array
                    .iter()
                    .map(|item| {
                        self.expr(
                            item,
                            item.span().map_or(pos, |span| self.lines.pos(span.start)),
                            scope,
                        )
                    })
                    .collect(),
            ),
            Expression::Object(object) => Value::Map(
                object
                    .iter()
                    .map(|(key, value)| {
                        let key_pos = match key {
                            ObjectKey::Ident(ident) => self.pos_of(ident),
                            ObjectKey::Expression(expr) => self.pos_of(expr),
                        };
                        let key_text = match key {
                            ObjectKey::Ident(ident) => ident.as_str().to_string(),
                            ObjectKey::Expression(Expression::String(text)) => text.value().clone(),
                            ObjectKey::Expression(expr) => self.text_of(expr),
                        };
                        (key_text, self.expr(value.expr(), key_pos, scope))
                    })
                    .collect(),
            ),
            Expression::StringTemplate(template) => {
                return match self.template(template, pos, scope) {
                    Some(text) => string_node(&text, pos),
                    None => self
                        .json_with_holes(template, pos, scope)
                        .unwrap_or_else(|| self.unknown(expr, pos)),
                };
            }
            Expression::HeredocTemplate(heredoc) => {
                return match self.template(&heredoc.template, pos, scope) {
                    Some(text) => string_node(&text, pos),
                    None => self
                        .json_with_holes(&heredoc.template, pos, scope)
                        .unwrap_or_else(|| self.unknown(expr, pos)),
                };
            }
            Expression::Parenthesis(inner) => return self.expr(inner.inner(), pos, scope),
            Expression::FuncCall(call) => {
                let name = call.name.name.as_str();
                let mut args = call.args.iter();
                return match (name, args.next(), args.next()) {
                    // Policies look inside IAM documents; tolist/toset keep
                    // a literal list a list.
                    ("jsonencode" | "tolist" | "toset", Some(arg), None) => {
                        self.expr(arg, pos, scope)
                    }
                    _ => self.unknown(expr, pos),
                };
            }
            Expression::Traversal(traversal) => return self.traversal(expr, traversal, pos, scope),
            _ => return self.unknown(expr, pos),
        };
        Node::scalar(value, pos)
    }

    /// `var.x` and `local.x` (with literal attribute/index steps after
    /// them) resolve through the scope; anything else is unknown.
    fn traversal(
        &self,
        expr: &Expression,
        traversal: &hcl::edit::expr::Traversal,
        pos: Pos,
        scope: &Scope,
    ) -> Node {
        let Expression::Variable(root) = &traversal.expr else {
            return self.unknown(expr, pos);
        };
        let table = match root.as_str() {
            "var" => &scope.variables,
            "local" => &scope.locals,
            "data" => {
                let steps: Vec<&str> = traversal
                    .operators
                    .iter()
                    .map_while(|operator| match operator.value() {
                        TraversalOperator::GetAttr(key) => Some(key.as_str()),
                        _ => None,
                    })
                    .collect();
                return match (steps.as_slice(), traversal.operators.len()) {
                    (["aws_iam_policy_document", name, "json"], 3) => scope
                        .policy_documents
                        .get(*name)
                        .map(|document| relocate(document, pos))
                        .unwrap_or_else(|| self.unknown(expr, pos)),
                    _ => self.unknown(expr, pos),
                };
            }
            _ => return self.unknown(expr, pos),
        };
        let mut operators = traversal.operators.iter();
        let Some(TraversalOperator::GetAttr(name)) = operators.next().map(|op| op.value()) else {
            return self.unknown(expr, pos);
        };
        let Some(mut current) = table.get(name.as_str()) else {
            return self.unknown(expr, pos);
        };
        for operator in operators {
            let next = match operator.value() {
                TraversalOperator::GetAttr(key) => current.get(key.as_str()),
                TraversalOperator::LegacyIndex(index) => current
                    .as_list()
                    .and_then(|items| items.get(*index.value() as usize)),
                TraversalOperator::Index(Expression::Number(number)) => {
                    number.value().as_u64().and_then(|index| {
                        current
                            .as_list()
                            .and_then(|items| items.get(index as usize))
                    })
                }
                TraversalOperator::Index(Expression::String(key)) => current.get(key.value()),
                _ => None,
            };
            match next {
                Some(node) => current = node,
                None => return self.unknown(expr, pos),
            }
        }
        relocate(current, pos)
    }

    /// A JSON document (typically an IAM policy in a heredoc) whose
    /// interpolations are not all known, such as a principal ARN taken
    /// from another resource: the document is parsed with each unknown
    /// interpolation held by a placeholder, and every string that holds
    /// one becomes unknown, so the literal parts (`Action`, `Resource`,
    /// `Effect`) can still be judged. `None` when the text does not parse
    /// as JSON that way (an interpolation outside a JSON string, a
    /// directive).
    fn json_with_holes(&self, template: &Template, pos: Pos, scope: &Scope) -> Option<Node> {
        let mut out = String::new();
        let mut holes = Vec::new();
        for element in template.iter() {
            match element {
                Element::Literal(text) => out.push_str(text.value()),
                Element::Interpolation(interpolation) => {
                    match self.expr(&interpolation.expr, pos, scope).scalar_text() {
                        Some(text) => out.push_str(&text),
                        None => {
                            out.push_str(&format!("{HOLE}{}{HOLE}", holes.len()));
                            holes.push(format!("${{{}}}", self.text_of(&interpolation.expr)));
                        }
                    }
                }
                Element::Directive(_) => return None,
            }
        }
        let trimmed = out.trim();
        if !is_json_document(trimmed) {
            return None;
        }
        let json = serde_json::from_str::<serde_json::Value>(trimmed).ok()?;
        // An unknown key would read as the placeholder's text: give up.
        if has_hole_in_key(&json) {
            return None;
        }
        Some(fill_holes(crate::node::from_json(&json, pos), &holes))
    }

    /// The template's text when every interpolation is a known scalar.
    fn template(&self, template: &Template, pos: Pos, scope: &Scope) -> Option<String> {
        let mut out = String::new();
        for element in template.iter() {
            match element {
                Element::Literal(text) => out.push_str(text.value()),
                Element::Interpolation(interpolation) => {
                    out.push_str(&self.expr(&interpolation.expr, pos, scope).scalar_text()?);
                }
                Element::Directive(_) => return None,
            }
        }
        Some(out)
    }
}

/// Stands for an unknown interpolation while a JSON template is parsed;
/// printable, so it is valid inside a JSON string.
const HOLE: &str = "__cordon_unknown_interpolation__";

fn has_hole_in_key(json: &serde_json::Value) -> bool {
    match json {
        serde_json::Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains(HOLE) || has_hole_in_key(value)),
        serde_json::Value::Array(items) => items.iter().any(has_hole_in_key),
        _ => false,
    }
}

/// Strings of a parsed JSON template that hold a [`HOLE`] become unknown,
/// with the interpolation written back as the unknown's text.
fn fill_holes(node: Node, holes: &[String]) -> Node {
    let Node {
        value,
        pos,
        end_line,
    } = node;
    let value = match value {
        Value::Str(text) if text.contains(HOLE) => {
            let mut parts = text.split(HOLE);
            let mut written = parts.next().unwrap_or_default().to_string();
            // The parts alternate: a hole's index, then the literal after it.
            while let (Some(index), Some(after)) = (parts.next(), parts.next()) {
                let hole = index.parse::<usize>().ok().and_then(|i| holes.get(i));
                written.push_str(hole.map_or("${...}", String::as_str));
                written.push_str(after);
            }
            Value::Unknown(written)
        }
        Value::List(items) => Value::List(
            items
                .into_iter()
                .map(|item| fill_holes(item, holes))
                .collect(),
        ),
        Value::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(key, item)| (key, fill_holes(item, holes)))
                .collect(),
        ),
        other => other,
    };
    Node::new(value, pos, end_line)
}

/// Whether a string reads as a JSON object or array: IAM documents are
/// objects; ECS container definitions are an array, often written in a
/// heredoc or a JSON string instead of `jsonencode`.
fn is_json_document(trimmed: &str) -> bool {
    (trimmed.starts_with('{') && trimmed.ends_with('}'))
        || (trimmed.starts_with('[') && trimmed.ends_with(']'))
}

/// A string that holds a JSON document (an IAM policy in a heredoc or a
/// quoted string) is parsed so policies can look inside it.
fn string_node(text: &str, pos: Pos) -> Node {
    let trimmed = text.trim();
    if is_json_document(trimmed)
        && let Ok(json) = serde_json::from_str::<serde_json::Value>(trimmed)
    {
        return crate::node::from_json(&json, pos);
    }
    Node::str(text, pos)
}

/// The IAM JSON a `data "aws_iam_policy_document"` renders: `statement`
/// blocks become `Statement` entries under IAM's key names (`effect`
/// defaults to Allow), and `principals { type, identifiers }` becomes
/// `Principal: { type: identifiers }` (`type = "*"` is `Principal: "*"`).
fn iam_json(document: &Node) -> Node {
    let statements = document
        .get("statement")
        .and_then(Node::as_list)
        .unwrap_or_default();
    let rendered = statements
        .iter()
        .map(|statement| {
            let effect = statement
                .get("effect")
                .cloned()
                .unwrap_or_else(|| Node::str("Allow", statement.pos));
            let mut entries = vec![("Effect".to_string(), effect)];
            for (from, to) in [
                ("sid", "Sid"),
                ("actions", "Action"),
                ("not_actions", "NotAction"),
                ("resources", "Resource"),
                ("not_resources", "NotResource"),
                ("condition", "Condition"),
            ] {
                if let Some(value) = statement.get(from) {
                    entries.push((to.to_string(), value.clone()));
                }
            }
            for (from, to) in [
                ("principals", "Principal"),
                ("not_principals", "NotPrincipal"),
            ] {
                let Some(blocks) = statement.get(from).and_then(Node::as_list) else {
                    continue;
                };
                let anyone = blocks
                    .iter()
                    .find(|block| block.get("type").and_then(Node::as_str) == Some("*"));
                let principal = match anyone {
                    Some(block) => Node::str("*", block.pos),
                    None => {
                        let by_type = blocks
                            .iter()
                            .filter_map(|block| {
                                let kind = block.get("type")?.as_str()?;
                                Some((kind.to_string(), block.get("identifiers")?.clone()))
                            })
                            .collect();
                        Node::new(Value::Map(by_type), statement.pos, statement.end_line)
                    }
                };
                entries.push((to.to_string(), principal));
            }
            Node::new(Value::Map(entries), statement.pos, statement.end_line)
        })
        .collect();
    Node::new(
        Value::Map(vec![
            ("Version".to_string(), Node::str("2012-10-17", document.pos)),
            (
                "Statement".to_string(),
                Node::new(Value::List(rendered), document.pos, document.end_line),
            ),
        ]),
        document.pos,
        document.end_line,
    )
}

/// A copy of a variable's value reported where it is used.
fn relocate(node: &Node, pos: Pos) -> Node {
    let value = match &node.value {
        Value::List(items) => Value::List(items.iter().map(|item| relocate(item, pos)).collect()),
        Value::Map(entries) => Value::Map(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), relocate(item, pos)))
                .collect(),
        ),
        other => other.clone(),
    };
    Node::scalar(value, pos)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The module's resources, data sources and providers; variables are
    /// units too, checked in `variables_are_units_with_their_name`.
    fn units(text: &str) -> Vec<Unit> {
        let mut units = scan_module(&[("main.tf", text)]).remove(0).unwrap();
        units.retain(|unit| unit.kind != "variable");
        units
    }

    #[test]
    fn policy_document_json_references_read_as_iam_json() {
        let units = units(
            "data \"aws_iam_policy_document\" \"open\" {\n  statement {\n    actions = [\"es:*\"]\n    principals {\n      type        = \"AWS\"\n      identifiers = [\"*\"]\n    }\n    resources = [\"*\"]\n  }\n}\nresource \"aws_elasticsearch_domain_policy\" \"p\" {\n  access_policies = data.aws_iam_policy_document.open.json\n  other           = data.aws_iam_policy_document.missing.json\n}\n",
        );
        let policy = &units[1].node;
        let statement = &policy
            .get("access_policies")
            .unwrap()
            .get("Statement")
            .unwrap()
            .as_list()
            .unwrap()[0];
        assert_eq!(statement.get("Effect").unwrap().as_str(), Some("Allow"));
        let principal = statement.get("Principal").unwrap().get("AWS").unwrap();
        assert_eq!(principal.as_list().unwrap()[0].as_str(), Some("*"));
        // Reported where the reference is written.
        assert_eq!(statement.get("Action").unwrap().pos.line, 12);
        assert!(matches!(
            policy.get("other").unwrap().value,
            Value::Unknown(_)
        ));
    }

    #[test]
    fn outputs_are_units_outside_the_inventory() {
        let all = scan_module(&[(
            "main.tf",
            "resource \"aws_iam_access_key\" \"ci\" {\n  user = \"ci\"\n}\noutput \"ci_secret\" {\n  value = aws_iam_access_key.ci.secret\n}\n",
        )])
        .remove(0)
        .unwrap();
        let output = all.iter().find(|unit| unit.kind == "output").unwrap();
        assert_eq!(output.address, "output.ci_secret");
        assert!(!output.inventory);
        let value = output.node.get("value").unwrap();
        assert!(
            matches!(&value.value, Value::Unknown(text) if text == "aws_iam_access_key.ci.secret")
        );
        assert_eq!(value.pos.line, 5);
        // The key knows an output reads it.
        let key = all
            .iter()
            .find(|unit| unit.kind == "aws_iam_access_key")
            .unwrap();
        let readers = key.node.get("_referenced_by").unwrap().as_list().unwrap();
        assert!(readers.iter().any(|kind| kind.as_str() == Some("output")));
    }

    #[test]
    fn variables_are_units_with_their_name() {
        let all = scan_module(&[(
            "main.tf",
            "variable \"db_password\" {\n  default = \"hunter22\"\n}\nresource \"aws_db_instance\" \"db\" {\n  password = var.db_password\n}\n",
        )])
        .remove(0)
        .unwrap();
        let variable = all.iter().find(|unit| unit.kind == "variable").unwrap();
        assert_eq!(variable.address, "variable.db_password");
        assert_eq!(
            variable.node.get("_name").unwrap().as_str(),
            Some("db_password")
        );
        assert_eq!(variable.node.get("default").unwrap().pos.line, 2);
        assert!(!variable.inventory);
    }

    #[test]
    fn provider_version_constraints_reach_every_unit() {
        let all = scan_module(&[
            (
                "versions.tf",
                "terraform {\n  required_providers {\n    azurerm = {\n      source  = \"hashicorp/azurerm\"\n      version = \"~> 2.46\"\n    }\n    random = \"~> 3.0\"\n  }\n}\nprovider \"google\" {\n  version = \"3.5.0\"\n}\n",
            ),
            (
                "main.tf",
                "resource \"azurerm_storage_account\" \"logs\" {\n  name = \"logs\"\n}\n",
            ),
        ]);
        let account = &all[1].as_ref().unwrap()[0];
        let versions = account.node.get("_provider_versions").unwrap();
        assert_eq!(versions.get("azurerm").unwrap().as_str(), Some("~> 2.46"));
        assert_eq!(versions.get("random").unwrap().as_str(), Some("~> 3.0"));
        assert_eq!(versions.get("google").unwrap().as_str(), Some("3.5.0"));
        // Reported at the resource, not in versions.tf.
        assert_eq!(versions.get("azurerm").unwrap().pos.line, 1);

        let without = units("resource \"azurerm_storage_account\" \"logs\" {}\n");
        assert!(without[0].node.get("_provider_versions").is_none());
    }

    #[test]
    fn resources_keep_attribute_positions_and_blocks_become_lists() {
        let units = units(
            "resource \"aws_security_group\" \"web\" {\n  name = \"web\"\n  ingress {\n    from_port = 22\n  }\n}\n",
        );
        assert_eq!(units.len(), 1);
        assert_eq!(units[0].address, "aws_security_group.web");
        assert_eq!(units[0].pos.line, 1);
        assert_eq!(units[0].end_line, 6);
        let from = &units[0].node.get("ingress").unwrap().as_list().unwrap()[0];
        let port = from.get("from_port").unwrap();
        assert_eq!(port.value, Value::Number(22.0));
        assert_eq!(port.pos, Pos { line: 4, column: 5 });
    }

    #[test]
    fn variable_defaults_and_locals_resolve_and_the_rest_stays_unknown() {
        let units = units(
            r#"
variable "acl" { default = "public-read" }
variable "name" {}
locals { prefix = "corp-${var.acl}" }
resource "aws_s3_bucket" "b" {
  acl    = var.acl
  bucket = var.name
  tags   = { Name = "${local.prefix}-logs" }
  policy = file("p.json")
}
"#,
        );
        let node = &units[0].node;
        assert_eq!(node.get("acl").unwrap().as_str(), Some("public-read"));
        assert_eq!(node.get("acl").unwrap().pos.line, 6);
        assert_eq!(
            node.get("bucket").unwrap().value,
            Value::Unknown("var.name".into())
        );
        assert_eq!(
            node.get("tags").unwrap().get("Name").unwrap().as_str(),
            Some("corp-public-read-logs")
        );
        assert_eq!(
            node.get("policy").unwrap().value,
            Value::Unknown("file(\"p.json\")".into())
        );
    }

    #[test]
    fn json_heredocs_with_unknown_interpolations_keep_their_literal_parts() {
        let units = units(
            "resource \"aws_iam_policy\" \"a\" {\n  policy = <<EOF\n{\"Statement\": [{\"Principal\": {\"AWS\": \"${aws_iam_role.app.arn}\"}, \"Action\": \"s3:*\", \"Resource\": \"arn:${data.x.partition}:s3:::b/*\"}]}\nEOF\n}\nresource \"aws_iam_policy\" \"b\" {\n  policy = <<EOF\n{\"Statement\": ${local.statements}}\nEOF\n}\n",
        );
        let statement = &units[0]
            .node
            .get("policy")
            .unwrap()
            .get("Statement")
            .unwrap()
            .as_list()
            .unwrap()[0];
        assert_eq!(statement.get("Action").unwrap().as_str(), Some("s3:*"));
        assert_eq!(
            statement
                .get("Principal")
                .unwrap()
                .get("AWS")
                .unwrap()
                .value,
            Value::Unknown("${aws_iam_role.app.arn}".into())
        );
        assert_eq!(
            statement.get("Resource").unwrap().value,
            Value::Unknown("arn:${data.x.partition}:s3:::b/*".into())
        );
        // An interpolation outside a JSON string: the document stays unknown.
        assert!(matches!(
            units[1].node.get("policy").unwrap().value,
            Value::Unknown(_)
        ));
    }

    #[test]
    fn json_arrays_in_heredocs_are_trees() {
        let units = units(
            "resource \"aws_ecs_task_definition\" \"a\" {\n  container_definitions = <<EOF\n[{\"name\": \"app\", \"privileged\": true, \"image\": \"${var.image}\"}]\nEOF\n}\nresource \"aws_ecs_task_definition\" \"b\" {\n  container_definitions = \"[not json]\"\n}\n",
        );
        let definitions = units[0].node.get("container_definitions").unwrap();
        let container = &definitions.as_list().unwrap()[0];
        assert_eq!(
            container.get("privileged").unwrap().value,
            Value::Bool(true)
        );
        assert_eq!(
            container.get("image").unwrap().value,
            Value::Unknown("${var.image}".into())
        );
        // Brackets that are not JSON stay a string.
        assert_eq!(
            units[1].node.get("container_definitions").unwrap().as_str(),
            Some("[not json]")
        );
    }

    #[test]
    fn iam_documents_in_jsonencode_and_heredocs_are_trees() {
        let units = units(
            "resource \"aws_iam_policy\" \"a\" {\n  policy = jsonencode({ Statement = [{ Action = \"*\" }] })\n}\nresource \"aws_iam_policy\" \"b\" {\n  policy = <<EOF\n{\"Statement\": {\"Action\": [\"*\"]}}\nEOF\n}\n",
        );
        let first = units[0]
            .node
            .get("policy")
            .unwrap()
            .get("Statement")
            .unwrap();
        assert_eq!(
            first.as_list().unwrap()[0].get("Action").unwrap().as_str(),
            Some("*")
        );
        let second = units[1]
            .node
            .get("policy")
            .unwrap()
            .get("Statement")
            .unwrap();
        assert!(second.get("Action").unwrap().as_list().is_some());
        assert_eq!(second.pos.line, 5);
    }

    #[test]
    fn references_between_resources_are_recorded() {
        let units = units(
            "resource \"aws_s3_bucket\" \"b\" {}\nresource \"aws_s3_bucket_public_access_block\" \"p\" {\n  bucket = aws_s3_bucket.b.id\n}\n",
        );
        let referenced = units[0]
            .node
            .get("_referenced_by")
            .unwrap()
            .as_list()
            .unwrap();
        assert_eq!(
            referenced[0].as_str(),
            Some("aws_s3_bucket_public_access_block")
        );
        assert!(
            units[1]
                .node
                .get("_referenced_by")
                .unwrap()
                .as_list()
                .unwrap()
                .is_empty()
        );
        let module_kinds = units[0].node.get("_module_kinds").unwrap();
        assert_eq!(module_kinds.as_list().unwrap().len(), 2);
    }

    #[test]
    fn referenced_resources_attributes_are_reachable() {
        let units = units(
            "resource \"aws_ebs_volume\" \"data\" {\n  size = 8\n}\nresource \"aws_ebs_snapshot\" \"copy\" {\n  volume_id = aws_ebs_volume.data.id\n}\n",
        );
        let referenced = units[1].node.get("_references").unwrap();
        let volume = referenced.get("aws_ebs_volume.data").unwrap();
        assert_eq!(volume.get("size").unwrap().as_number(), Some(8.0));
        // Positions point at the referencing block.
        assert_eq!(volume.get("size").unwrap().pos.line, 4);
        assert!(volume.get("_references").is_none());
        assert_eq!(
            units[0]
                .node
                .get("_references")
                .unwrap()
                .as_map()
                .unwrap()
                .len(),
            0
        );
    }

    #[test]
    fn auto_loaded_tfvars_override_defaults_and_others_do_not() {
        let main = "variable \"acl\" { default = \"private\" }\nvariable \"size\" {}\nresource \"aws_s3_bucket\" \"b\" {\n  acl  = var.acl\n  size = var.size\n}\n";
        let results = scan_module(&[
            ("m/main.tf", main),
            ("m/terraform.tfvars", "acl = \"public-read\"\nsize = 1\n"),
            ("m/z.auto.tfvars", "size = 2\n"),
            ("m/prod.tfvars", "acl = \"authenticated-read\"\n"),
        ]);
        let units = results[0].as_ref().unwrap();
        let bucket = units
            .iter()
            .find(|unit| unit.address == "aws_s3_bucket.b")
            .unwrap();
        assert_eq!(
            bucket.node.get("acl").unwrap().as_str(),
            Some("public-read")
        );
        assert_eq!(bucket.node.get("acl").unwrap().pos.line, 4);
        assert_eq!(bucket.node.get("size").unwrap().as_number(), Some(2.0));
        assert!(
            results[1..]
                .iter()
                .all(|result| result.as_ref().unwrap().is_empty())
        );
    }

    #[test]
    fn json_syntax_modules_resolve_variables_and_references() {
        let json = r#"{
  "variable": {"acl": {"default": "public-read"}},
  "resource": {
    "aws_s3_bucket": {
      "site": {
        "bucket": "corp-site",
        "acl": "${var.acl}",
        "tags": {"Name": "${var.missing}"}
      }
    },
    "aws_s3_bucket_public_access_block": {
      "site": {"bucket": "${aws_s3_bucket.site.id}"}
    }
  }
}"#;
        let results = scan_module(&[("cdktf.out/stacks/web/cdk.tf.json", json)]);
        let units = results[0].as_ref().unwrap();
        assert_eq!(units.len(), 2);
        let bucket = &units[0];
        assert_eq!(bucket.address, "aws_s3_bucket.site");
        assert_eq!(bucket.pos.line, 5);
        let acl = bucket.node.get("acl").unwrap();
        assert_eq!((acl.as_str(), acl.pos.line), (Some("public-read"), 7));
        let name = bucket.node.get("tags").unwrap().get("Name").unwrap();
        assert!(name.is_unknown());
        let referenced = bucket
            .node
            .get("_referenced_by")
            .unwrap()
            .as_list()
            .unwrap();
        assert_eq!(
            referenced[0].as_str(),
            Some("aws_s3_bucket_public_access_block")
        );

        let broken = scan_module(&[("main.tf.json", "{\"resource\": [")]);
        assert!(broken[0].is_err());
        assert!(scan_module(&[("main.tf.json", "[1]")])[0].is_err());
    }

    #[test]
    fn literal_zero_count_and_empty_for_each_create_nothing() {
        let units = units(
            "variable \"on\" { default = false }\nresource \"aws_instance\" \"off\" {\n  count = var.on ? 1 : 0\n}\nresource \"aws_instance\" \"zero\" {\n  count = 0\n}\nresource \"aws_instance\" \"none\" {\n  for_each = {}\n}\nresource \"aws_instance\" \"two\" {\n  count = 2\n}\n",
        );
        let addresses: Vec<&str> = units.iter().map(|unit| unit.address.as_str()).collect();
        // The conditional is not evaluated, so that instance is kept.
        assert_eq!(addresses, ["aws_instance.off", "aws_instance.two"]);
    }

    #[test]
    fn malformed_hcl_is_a_parse_error_with_location() {
        let result = scan_module(&[("bad.tf", "resource \"a\" \"b\" {\n  x = \n}\n")]).remove(0);
        let error = result.unwrap_err();
        assert_eq!(error.pos, Pos { line: 2, column: 7 }, "{error:?}");
        assert!(!error.message.is_empty());
    }
}
