//! YAML (and JSON, a YAML 1.2 subset) into [`Node`]s with real positions.
//!
//! `saphyr` is a YAML 1.2 parser, so `on:` in a workflow stays the string
//! `on` rather than becoming `true` as in YAML 1.1. Scalars are loaded
//! unresolved so their tags survive: CloudFormation's short-form intrinsics
//! (`!Ref X`, `!Sub "..."`, `!GetAtt A.B`) are rewritten into the long form
//! (`{Ref: X}`, `{Fn::Sub: ...}`, `{Fn::GetAtt: [A, B]}`) that the same
//! templates use in JSON, so one policy covers both.

use saphyr::{MarkedYaml, Scalar, ScalarStyle, Tag, YamlData, YamlLoader};
use saphyr_parser::Parser;

use crate::node::{Node, Pos, Value, to_u32};

/// A YAML syntax error with where the parser stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct YamlError {
    pub message: String,
    pub pos: Pos,
}

/// Aliases expanded per document before the loader refuses: bounds the
/// "billion laughs" blow-up on hostile input.
const ALIAS_LIMIT: usize = 10_000;

/// Closing brackets re-indented before giving up on a file.
const MAX_BRACKET_FIXES: usize = 64;

/// Loads every document of a YAML stream. Empty documents are dropped.
///
/// A multi-line flow collection whose closing `]` or `}` sits at the same
/// column as its key (`command: [` ... `]`, common in Kubernetes manifests
/// and accepted by libyaml and Go's yaml.v3) is refused by saphyr as
/// "invalid indentation". Indentation inside a flow collection carries no
/// meaning, so such a line is indented further and the text parsed again;
/// line numbers, and columns on every other line, stay as they were.
pub fn load_documents(text: &str) -> Result<Vec<Node>, YamlError> {
    let first = match load_once(text) {
        Ok(documents) => return Ok(documents),
        Err(error) => error,
    };
    let mut patched = text.to_owned();
    let mut error = first.clone();
    for _ in 0..MAX_BRACKET_FIXES {
        if !error.message.contains("indentation") {
            break;
        }
        let Some(next) = indent_closing_bracket(&patched, error.pos.line) else {
            break;
        };
        patched = next;
        match load_once(&patched) {
            Ok(documents) => return Ok(documents),
            Err(again) => error = again,
        }
    }
    // The original error is the one that points at the user's text.
    Err(first)
}

/// Indents line `line` (1-based) by one more column than the line before
/// it, when it starts with a closing flow bracket; `None` otherwise.
fn indent_closing_bracket(text: &str, line: u32) -> Option<String> {
    let index = usize::try_from(line).ok()?.checked_sub(1)?;
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let target = *lines.get(index)?;
    let body = target.trim_start_matches(' ');
    if !(body.starts_with(']') || body.starts_with('}')) {
        return None;
    }
    let indent = target.len() - body.len();
    let previous = lines[..index]
        .iter()
        .rev()
        .find(|candidate| !candidate.trim().is_empty())
        .map_or(0, |candidate| {
            candidate.len() - candidate.trim_start_matches(' ').len()
        });
    let wanted = previous.max(indent + 1);
    let mut out = String::with_capacity(text.len() + wanted);
    for (number, original) in lines.iter().enumerate() {
        if number == index {
            out.push_str(&" ".repeat(wanted));
            out.push_str(body);
        } else {
            out.push_str(original);
        }
    }
    Some(out)
}

fn load_once(text: &str) -> Result<Vec<Node>, YamlError> {
    let mut loader: YamlLoader<MarkedYaml> = YamlLoader::default();
    loader.early_parse(false);
    loader.alias_limit(ALIAS_LIMIT);
    let mut parser = Parser::new_from_str(text);
    let outcome = parser.load(&mut loader, true);
    let error = outcome.err().or_else(|| loader.error().cloned());
    if let Some(error) = error {
        let marker = error.marker();
        return Err(YamlError {
            message: error.info().to_string(),
            pos: Pos {
                line: to_u32(marker.line()),
                column: to_u32(marker.col() + 1),
            },
        });
    }
    Ok(loader
        .into_documents()
        .iter()
        .filter(|doc| !matches!(doc.data, YamlData::BadValue))
        .map(|doc| convert(doc, None))
        .collect())
}

fn pos_of(node: &MarkedYaml) -> Pos {
    Pos {
        line: to_u32(node.span.start.line()),
        column: to_u32(node.span.start.col() + 1),
    }
}

fn end_line_of(node: &MarkedYaml) -> u32 {
    // A block mapping's end marker sits at the start of the next key; the
    // node itself ends on the line before unless that is where it started.
    let end = &node.span.end;
    let line = to_u32(end.line());
    if end.col() == 0 && line > to_u32(node.span.start.line()) {
        line - 1
    } else {
        line
    }
}

/// `at` overrides the position: map entries are located at their key.
fn convert(node: &MarkedYaml, at: Option<Pos>) -> Node {
    let pos = at.unwrap_or_else(|| pos_of(node));
    let end_line = end_line_of(node);
    let value = match &node.data {
        YamlData::Representation(text, style, tag) => {
            return convert_scalar(text, *style, tag.as_deref(), pos, end_line);
        }
        YamlData::Value(scalar) => scalar_value(scalar),
        YamlData::Sequence(items) => {
            Value::List(items.iter().map(|item| convert(item, None)).collect())
        }
        YamlData::Mapping(entries) => Value::Map(merge_keys(
            entries
                .iter()
                .map(|(key, value)| (key_text(key), convert(value, Some(pos_of(key)))))
                .collect(),
        )),
        YamlData::Tagged(tag, inner) => {
            return intrinsic(tag, convert(inner, None), pos, end_line);
        }
        // Aliases are resolved by the loader; a bad value is an empty node.
        YamlData::Alias(_) | YamlData::BadValue => Value::Null,
    };
    Node::new(value, pos, end_line)
}

/// `<<: *base` (or a list of aliases): the YAML 1.1 merge key, still
/// common in templates. Keys written in the mapping win over merged ones,
/// earlier merged mappings over later ones.
fn merge_keys(entries: Vec<(String, Node)>) -> Vec<(String, Node)> {
    if !entries.iter().any(|(key, _)| key == "<<") {
        return entries;
    }
    let (merges, mut own): (Vec<_>, Vec<_>) = entries.into_iter().partition(|(key, _)| key == "<<");
    for (_, merged) in merges {
        let sources: Vec<Node> = match merged.value {
            Value::List(items) => items,
            other => vec![Node::new(other, merged.pos, merged.end_line)],
        };
        for source in sources {
            if let Value::Map(inherited) = source.value {
                for (key, value) in inherited {
                    if !own.iter().any(|(existing, _)| *existing == key) {
                        own.push((key, value));
                    }
                }
            }
        }
    }
    own
}

fn convert_scalar(
    text: &str,
    style: ScalarStyle,
    tag: Option<&Tag>,
    pos: Pos,
    end_line: u32,
) -> Node {
    match tag {
        Some(tag) if !tag.is_yaml_core_schema() => {
            let inner = Node::str(text, pos);
            intrinsic(tag, inner, pos, end_line)
        }
        _ => {
            let cow = std::borrow::Cow::Borrowed(text);
            let tag = tag.map(|tag| std::borrow::Cow::Owned(tag.clone()));
            let value = Scalar::parse_from_cow_and_metadata(cow, style, tag.as_ref()).map_or_else(
                || Value::Str(text.to_string()),
                |scalar| scalar_value(&scalar),
            );
            Node::new(value, pos, end_line)
        }
    }
}

fn scalar_value(scalar: &Scalar) -> Value {
    match scalar {
        Scalar::Null => Value::Null,
        Scalar::Boolean(flag) => Value::Bool(*flag),
        Scalar::Integer(number) => Value::Number(*number as f64),
        Scalar::FloatingPoint(number) => Value::Number(number.0),
        Scalar::String(text) => Value::Str(text.to_string()),
    }
}

fn key_text(key: &MarkedYaml) -> String {
    match &key.data {
        YamlData::Representation(text, _, _) => text.to_string(),
        YamlData::Value(scalar) => match scalar_value(scalar) {
            Value::Str(text) => text,
            Value::Bool(flag) => flag.to_string(),
            Value::Number(number) => crate::node::format_number(number),
            _ => String::new(),
        },
        _ => String::new(),
    }
}

/// `!Ref X` → `{Ref: X}`, `!GetAtt A.B` → `{Fn::GetAtt: [A, B]}`, any other
/// local tag `!Name v` → `{Fn::Name: v}` (CloudFormation's convention; other
/// formats do not use local tags).
fn intrinsic(tag: &Tag, inner: Node, pos: Pos, end_line: u32) -> Node {
    let name = tag.suffix.as_str();
    let (key, inner) = match name {
        "Ref" | "Condition" => (name.to_string(), inner),
        "GetAtt" => {
            let inner = match &inner.value {
                Value::Str(text) => {
                    let parts = text
                        .splitn(2, '.')
                        .map(|part| Node::str(part, inner.pos))
                        .collect();
                    Node::scalar(Value::List(parts), inner.pos)
                }
                _ => inner,
            };
            ("Fn::GetAtt".to_string(), inner)
        }
        _ => (format!("Fn::{name}"), inner),
    };
    Node::new(Value::Map(vec![(key, inner)]), pos, end_line)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_point_at_keys_and_documents_are_split() {
        let docs = load_documents("a: 1\n---\nkind: Pod\nspec:\n  hostPID: true\n").unwrap();
        assert_eq!(docs.len(), 2);
        let host_pid = docs[1].get("spec").unwrap().get("hostPID").unwrap();
        assert_eq!(host_pid.value, Value::Bool(true));
        assert_eq!(host_pid.pos, Pos { line: 5, column: 3 });
    }

    #[test]
    fn short_form_intrinsics_become_long_form() {
        let docs = load_documents("a: !Ref Bucket\nb: !GetAtt Role.Arn\nc: !Sub\n  - x\n").unwrap();
        let a = docs[0].get("a").unwrap();
        assert_eq!(a.get("Ref").unwrap().as_str(), Some("Bucket"));
        let b = docs[0].get("b").unwrap().get("Fn::GetAtt").unwrap();
        assert_eq!(b.as_list().unwrap()[1].as_str(), Some("Arn"));
        assert!(
            docs[0]
                .get("c")
                .unwrap()
                .get("Fn::Sub")
                .unwrap()
                .as_list()
                .is_some()
        );
    }

    #[test]
    fn yaml_1_2_keeps_on_a_string_and_quoted_numbers_strings() {
        let docs = load_documents("on: push\nport: \"22\"\nflag: yes\n").unwrap();
        assert_eq!(docs[0].get("on").unwrap().as_str(), Some("push"));
        assert_eq!(docs[0].get("port").unwrap().value, Value::Str("22".into()));
        assert_eq!(docs[0].get("flag").unwrap().value, Value::Str("yes".into()));
    }

    #[test]
    fn merge_keys_are_applied() {
        let docs = load_documents(
            "base: &base\n  privileged: true\n  user: root\nc:\n  <<: *base\n  user: app\n",
        )
        .unwrap();
        let c = docs[0].get("c").unwrap();
        assert_eq!(c.get("privileged").unwrap().value, Value::Bool(true));
        assert_eq!(c.get("user").unwrap().as_str(), Some("app"));
        assert!(c.get("<<").is_none());
    }

    #[test]
    fn json_loads_with_positions() {
        let docs = load_documents(
            "{\n  \"Resources\": {\n    \"B\": {\"Type\": \"AWS::S3::Bucket\"}\n  }\n}",
        )
        .unwrap();
        let bucket = docs[0].get("Resources").unwrap().get("B").unwrap();
        assert_eq!(bucket.pos.line, 3);
    }

    #[test]
    fn closing_bracket_at_the_key_column_is_accepted() {
        let text = "spec:\n  command: [\n    \"sh\", \"-c\",\n    \"sleep 1\"\n  ]\n  limits: {\n    cpu: 1\n  }\n  after: 2\n";
        let docs = load_documents(text).unwrap();
        let spec = docs[0].get("spec").unwrap();
        let command = spec.get("command").unwrap().as_list().unwrap();
        let words: Vec<_> = command.iter().filter_map(Node::as_str).collect();
        assert_eq!(words, ["sh", "-c", "sleep 1"]);
        assert_eq!(
            spec.get("limits").unwrap().get("cpu").unwrap().as_number(),
            Some(1.0)
        );
        // Positions after the patched lines are those of the user's text.
        assert_eq!(spec.get("after").unwrap().pos, Pos { line: 9, column: 3 });
    }

    #[test]
    fn a_bracket_fix_never_hides_a_real_error() {
        // Unclosed flow sequence: still an error, reported where saphyr
        // first stopped in the original text.
        let error = load_documents("a:\n  b: [1,\n  ]\n  c: [2\n").unwrap_err();
        assert!(!error.message.is_empty());
        assert!(error.pos.line >= 1);
        // A bad block indentation is not touched by the bracket fix.
        let original = load_once("a:\n  b: 1\n c: 2\n").unwrap_err();
        assert_eq!(load_documents("a:\n  b: 1\n c: 2\n").unwrap_err(), original);
    }

    #[test]
    fn malformed_yaml_is_an_error_with_location() {
        let error = load_documents("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(error.pos.line >= 1, "{error:?}");
        assert!(!error.message.is_empty());
    }
}
