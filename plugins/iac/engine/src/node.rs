//! The one document tree every parser produces and every policy reads.
//!
//! Terraform, CloudFormation, Kubernetes, Dockerfile and workflow parsers all
//! lower their input into [`Node`]s that keep the 1-based line and column of
//! where each value (for a map entry: its key) was written, so a finding can
//! point at the offending attribute. Values that could not be evaluated
//! statically (a Terraform variable without a default, a CloudFormation
//! `!Ref`, a `${BASE}` build argument) are [`Value::Unknown`] and carry their
//! source text: policies treat them as "cannot tell", never as a guess.

/// Position of a node in its file; lines and columns are 1-based, columns
/// count Unicode scalar values.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    Str(String),
    List(Vec<Node>),
    /// Entries in source order; duplicate keys are kept as written.
    Map(Vec<(String, Node)>),
    /// Not statically known; the text is the expression as written.
    Unknown(String),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub pos: Pos,
    /// Last line the node spans (same as `pos.line` for scalars).
    pub end_line: u32,
}

impl Node {
    pub fn new(value: Value, pos: Pos, end_line: u32) -> Node {
        Node {
            value,
            pos,
            end_line: end_line.max(pos.line),
        }
    }

    pub fn scalar(value: Value, pos: Pos) -> Node {
        Node::new(value, pos, pos.line)
    }

    pub fn str(text: impl Into<String>, pos: Pos) -> Node {
        Node::scalar(Value::Str(text.into()), pos)
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        match &self.value {
            Value::Map(entries) => entries.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Node]> {
        match &self.value {
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(String, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Adds (or replaces) a map entry; used to attach context such as the
    /// enclosing pod spec to a container. No effect on non-maps.
    pub fn set(&mut self, key: &str, value: Node) {
        if let Value::Map(entries) = &mut self.value {
            if let Some(slot) = entries.iter_mut().find(|(k, _)| k == key) {
                slot.1 = value;
            } else {
                entries.push((key.to_string(), value));
            }
        }
    }

    /// Scalar rendered as text for comparisons (`22`, `true`, `0.0.0.0/0`);
    /// `None` for lists, maps, null and unknown values.
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Str(text) => Some(text.clone()),
            Value::Bool(flag) => Some(flag.to_string()),
            Value::Number(number) => Some(format_number(*number)),
            _ => None,
        }
    }

    /// Number, also from a numeric string (CloudFormation ports are often
    /// quoted).
    pub fn as_number(&self) -> Option<f64> {
        match &self.value {
            Value::Number(number) => Some(*number),
            Value::Str(text) => text.trim().parse().ok(),
            _ => None,
        }
    }

    pub fn is_unknown(&self) -> bool {
        matches!(self.value, Value::Unknown(_))
    }
}

pub fn format_number(number: f64) -> String {
    if number.fract() == 0.0 && number.abs() < 1e15 {
        format!("{}", number as i64)
    } else {
        number.to_string()
    }
}

/// Byte offset → line/column over one source text.
pub struct LineIndex<'a> {
    text: &'a str,
    line_starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    pub fn new(text: &'a str) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(at, _)| at + 1));
        LineIndex { text, line_starts }
    }

    pub fn pos(&self, offset: usize) -> Pos {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let start = self.line_starts[line];
        let column = self
            .text
            .get(start..offset)
            .map_or(0, |prefix| prefix.chars().count());
        Pos {
            line: to_u32(line + 1),
            column: to_u32(column + 1),
        }
    }
}

pub fn to_u32(value: usize) -> u32 {
    u32::try_from(value).unwrap_or(u32::MAX)
}

/// Converts parsed JSON into a tree whose every node sits at `pos` (used for
/// IAM policy documents written as a JSON string inside Terraform, where
/// only the attribute's position is known).
pub fn from_json(value: &serde_json::Value, pos: Pos) -> Node {
    let value = match value {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(flag) => Value::Bool(*flag),
        serde_json::Value::Number(number) => Value::Number(number.as_f64().unwrap_or(0.0)),
        serde_json::Value::String(text) => Value::Str(text.clone()),
        serde_json::Value::Array(items) => {
            Value::List(items.iter().map(|item| from_json(item, pos)).collect())
        }
        serde_json::Value::Object(entries) => Value::Map(
            entries
                .iter()
                .map(|(key, item)| (key.clone(), from_json(item, pos)))
                .collect(),
        ),
    };
    Node::scalar(value, pos)
}
