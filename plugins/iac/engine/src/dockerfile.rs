//! Dockerfile: a small line parser (there is no maintained Rust crate for
//! the format). It knows the escape directive, line continuations, comment
//! lines inside continuations and heredocs (`RUN <<EOF ... EOF`), and lowers
//! each build stage into a unit:
//!
//! ```text
//! from:         { image, tag, digest, alias, stage_ref }
//! instructions: [ { name, args, vars: [ { name, value } ] } ]   # vars for ENV/ARG
//! user:         args of the stage's last USER (absent without one)
//! healthcheck:  args of the stage's last HEALTHCHECK
//! ```
//!
//! The last stage has kind `final-stage` (what runs), earlier ones `stage`.

use crate::node::{Node, Pos, Value, to_u32};
use crate::unit::{ParseError, Unit};

const INSTRUCTIONS: &[&str] = &[
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// One logical instruction after joining continuations and heredocs.
#[derive(Debug, Clone, PartialEq)]
struct Instruction {
    name: String,
    args: String,
    pos: Pos,
    end_line: u32,
}

pub fn parse(text: &str) -> Result<Vec<Unit>, ParseError> {
    let instructions = instructions(text)?;
    let mut stages: Vec<Vec<Instruction>> = Vec::new();
    for instruction in instructions {
        if instruction.name == "FROM" {
            stages.push(vec![instruction]);
        } else if let Some(stage) = stages.last_mut() {
            stage.push(instruction);
        } else if instruction.name != "ARG" {
            // Only ARG may precede the first FROM.
            return Err(ParseError {
                message: format!("`{}` before the first FROM", instruction.name),
                pos: instruction.pos,
            });
        }
    }
    if stages.is_empty() {
        return Err(ParseError {
            message: "no FROM instruction".into(),
            pos: Pos { line: 1, column: 1 },
        });
    }
    let count = stages.len();
    let mut aliases: Vec<String> = Vec::new();
    Ok(stages
        .iter()
        .enumerate()
        .map(|(index, stage)| {
            let from = from_node(&stage[0], &aliases);
            let alias = from
                .get("alias")
                .and_then(Node::as_str)
                .map(str::to_ascii_lowercase);
            let address = match &alias {
                Some(alias) => format!("stage {} ({alias})", index + 1),
                None => format!("stage {}", index + 1),
            };
            aliases.extend(alias);
            unit_of(stage, from, address, index + 1 == count)
        })
        .collect())
}

fn unit_of(stage: &[Instruction], from: Node, address: String, is_final: bool) -> Unit {
    let pos = stage[0].pos;
    let end_line = stage.last().map_or(pos.line, |last| last.end_line);
    let mut entries = vec![("from".to_string(), from)];
    let list = stage.iter().map(instruction_node).collect();
    entries.push((
        "instructions".into(),
        Node::new(Value::List(list), pos, end_line),
    ));
    for (key, name) in [("user", "USER"), ("healthcheck", "HEALTHCHECK")] {
        if let Some(last) = stage
            .iter()
            .rev()
            .find(|instruction| instruction.name == name)
        {
            entries.push((key.into(), Node::str(last.args.trim(), last.pos)));
        }
    }
    Unit {
        kind: if is_final { "final-stage" } else { "stage" }.into(),
        address,
        node: Node::new(Value::Map(entries), pos, end_line),
        pos,
        end_line,
        inventory: true,
    }
}

fn instruction_node(instruction: &Instruction) -> Node {
    let pos = instruction.pos;
    let mut entries = vec![
        ("name".to_string(), Node::str(&instruction.name, pos)),
        ("args".to_string(), Node::str(&instruction.args, pos)),
    ];
    if matches!(instruction.name.as_str(), "ENV" | "ARG") {
        let vars = variables(&instruction.name, &instruction.args)
            .into_iter()
            .map(|(name, value)| {
                let mut var = vec![("name".to_string(), Node::str(name, pos))];
                if let Some(value) = value {
                    var.push(("value".to_string(), Node::str(value, pos)));
                }
                Node::scalar(Value::Map(var), pos)
            })
            .collect();
        entries.push(("vars".into(), Node::scalar(Value::List(vars), pos)));
    }
    Node::new(Value::Map(entries), pos, instruction.end_line)
}

/// `FROM [--platform=...] image[:tag][@digest] [AS name]`.
fn from_node(instruction: &Instruction, earlier_aliases: &[String]) -> Node {
    let pos = instruction.pos;
    let words: Vec<&str> = instruction
        .args
        .split_whitespace()
        .filter(|word| !word.starts_with("--"))
        .collect();
    let image = words.first().copied().unwrap_or_default();
    let mut entries = Vec::new();
    if let [_, keyword, alias, ..] = words.as_slice()
        && keyword.eq_ignore_ascii_case("as")
    {
        entries.push(("alias".to_string(), Node::str(*alias, pos)));
    }
    let stage_ref = earlier_aliases
        .iter()
        .any(|alias| alias.eq_ignore_ascii_case(image));
    entries.push((
        "stage_ref".into(),
        Node::scalar(Value::Bool(stage_ref), pos),
    ));
    if image.contains('$') {
        // A build argument: the real image is decided at build time.
        let unknown = || Node::scalar(Value::Unknown(image.to_string()), pos);
        entries.push(("image".into(), unknown()));
        entries.push(("tag".into(), unknown()));
        return Node::scalar(Value::Map(entries), pos);
    }
    let (reference, digest) = match image.split_once('@') {
        Some((reference, digest)) => (reference, Some(digest)),
        None => (image, None),
    };
    let name_start = reference.rfind('/').map_or(0, |slash| slash + 1);
    let (name, tag) = match reference[name_start..].split_once(':') {
        Some((_, tag)) => (
            &reference[..name_start + reference[name_start..].len() - tag.len() - 1],
            Some(tag),
        ),
        None => (reference, None),
    };
    entries.push(("image".into(), Node::str(name, pos)));
    if let Some(tag) = tag {
        entries.push(("tag".into(), Node::str(tag, pos)));
    }
    if let Some(digest) = digest {
        entries.push(("digest".into(), Node::str(digest, pos)));
    }
    Node::scalar(Value::Map(entries), pos)
}

/// Names and values of `ENV a=1 b="x y"`, legacy `ENV a 1`, `ARG a[=1]`.
fn variables(instruction: &str, args: &str) -> Vec<(String, Option<String>)> {
    let words = shell_words(args);
    let legacy = instruction == "ENV" && words.first().is_some_and(|word| !word.contains('='));
    if legacy {
        let value = words[1..].join(" ");
        return vec![(words[0].clone(), Some(value))];
    }
    words
        .into_iter()
        .map(|word| match word.split_once('=') {
            Some((name, value)) => (name.to_string(), Some(value.to_string())),
            None => (word, None),
        })
        .collect()
}

/// Splits on unquoted whitespace and removes quotes.
fn shell_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quote: Option<char> = None;
    let mut in_word = false;
    let mut chars = text.chars();
    while let Some(ch) = chars.next() {
        match (quote, ch) {
            (None, '"' | '\'') => {
                quote = Some(ch);
                in_word = true;
            }
            (Some(open), _) if ch == open => quote = None,
            (_, '\\') if quote != Some('\'') => {
                current.extend(chars.next());
                in_word = true;
            }
            (None, _) if ch.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            _ => {
                current.push(ch);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

fn instructions(text: &str) -> Result<Vec<Instruction>, ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let escape = escape_directive(&lines);
    static HEREDOC: std::sync::OnceLock<regex::Regex> = std::sync::OnceLock::new();
    let heredoc = HEREDOC.get_or_init(|| {
        regex::Regex::new(r#"<<(-?)(["']?)([A-Za-z_][A-Za-z0-9_]*)(["']?)"#).expect("static regex")
    });
    let mut out = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let line = lines[index];
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            index += 1;
            continue;
        }
        let start = index;
        let column = to_u32(line.chars().count() - trimmed.chars().count() + 1);
        let mut logical = String::new();
        let mut current = trimmed;
        loop {
            let body = current.trim_end();
            match body.strip_suffix(escape) {
                Some(rest) => {
                    logical.push_str(rest);
                    logical.push(' ');
                    index += 1;
                    // Comment and empty lines inside a continuation are dropped.
                    while index < lines.len() && {
                        let next = lines[index].trim_start();
                        next.starts_with('#') || next.is_empty()
                    } {
                        index += 1;
                    }
                    match lines.get(index) {
                        Some(next) => current = next,
                        None => break,
                    }
                }
                None => {
                    logical.push_str(body);
                    index += 1;
                    break;
                }
            }
        }
        let pos = Pos {
            line: to_u32(start + 1),
            column,
        };
        let (name, args) = match logical.split_once(char::is_whitespace) {
            Some((name, args)) => (name.to_ascii_uppercase(), args.trim().to_string()),
            None => (logical.trim().to_ascii_uppercase(), String::new()),
        };
        if !INSTRUCTIONS.contains(&name.as_str()) {
            let shown: String = name.chars().take(40).collect();
            return Err(ParseError {
                message: format!("unknown instruction `{shown}`"),
                pos,
            });
        }
        let mut args = args;
        // Heredoc bodies follow the instruction, in the order opened.
        let markers: Vec<(bool, String)> = heredoc
            .captures_iter(&args)
            .filter(|found| found[2] == found[4])
            .map(|found| (&found[1] == "-", found[3].to_string()))
            .collect();
        for (strip_tabs, marker) in markers {
            let mut body = Vec::new();
            loop {
                let Some(line) = lines.get(index) else {
                    return Err(ParseError {
                        message: format!("heredoc `{marker}` is not terminated"),
                        pos,
                    });
                };
                index += 1;
                let candidate = if strip_tabs {
                    line.trim_start_matches('\t')
                } else {
                    line
                };
                if candidate == marker {
                    break;
                }
                body.push(*line);
            }
            args.push('\n');
            args.push_str(&body.join("\n"));
        }
        out.push(Instruction {
            name,
            args,
            pos,
            end_line: to_u32(index.max(start + 1)),
        });
    }
    Ok(out)
}

/// `# escape=`` ` `` among the leading parser directives switches the
/// continuation character (Windows images).
fn escape_directive(lines: &[&str]) -> char {
    for line in lines {
        let Some(comment) = line.trim().strip_prefix('#') else {
            break;
        };
        if let Some((key, value)) = comment.split_once('=') {
            if key.trim().eq_ignore_ascii_case("escape") && value.trim() == "`" {
                return '`';
            }
        } else {
            break;
        }
    }
    '\\'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_continuations_and_heredocs() {
        let text = "# syntax=docker/dockerfile:1\nARG BASE=alpine\nFROM golang:1.22 AS build\nRUN apt-get update && \\\n    # a comment inside\n    apt-get install -y curl\nRUN <<EOF\ncurl https://x | sh\nEOF\nFROM build\nUSER app\n";
        let units = parse(text).unwrap();
        assert_eq!(units.len(), 2);
        assert_eq!(units[0].kind, "stage");
        assert_eq!(units[0].address, "stage 1 (build)");
        let from = units[0].node.get("from").unwrap();
        assert_eq!(from.get("image").unwrap().as_str(), Some("golang"));
        assert_eq!(from.get("tag").unwrap().as_str(), Some("1.22"));
        let runs = units[0]
            .node
            .get("instructions")
            .unwrap()
            .as_list()
            .unwrap();
        assert_eq!(
            runs[1].get("args").unwrap().as_str(),
            Some("apt-get update &&      apt-get install -y curl")
        );
        assert_eq!(runs[2].pos.line, 7);
        assert!(
            runs[2]
                .get("args")
                .unwrap()
                .as_str()
                .unwrap()
                .contains("curl https://x | sh")
        );
        assert_eq!(units[1].kind, "final-stage");
        assert_eq!(
            units[1]
                .node
                .get("from")
                .unwrap()
                .get("stage_ref")
                .unwrap()
                .value,
            Value::Bool(true)
        );
        assert_eq!(units[1].node.get("user").unwrap().as_str(), Some("app"));
    }

    #[test]
    fn image_references_split_into_name_tag_and_digest() {
        let from = |args: &str| {
            from_node(
                &Instruction {
                    name: "FROM".into(),
                    args: args.into(),
                    pos: Pos::default(),
                    end_line: 1,
                },
                &[],
            )
        };
        let node = from("--platform=linux/amd64 registry:5000/team/app:1.2@sha256:abc");
        assert_eq!(
            node.get("image").unwrap().as_str(),
            Some("registry:5000/team/app")
        );
        assert_eq!(node.get("tag").unwrap().as_str(), Some("1.2"));
        assert_eq!(node.get("digest").unwrap().as_str(), Some("sha256:abc"));
        assert!(from("registry:5000/app").get("tag").is_none());
        assert!(from("${BASE}").get("tag").unwrap().is_unknown());
    }

    #[test]
    fn env_and_arg_variables() {
        assert_eq!(
            variables("ENV", r#"A=1 B="two words" C"#),
            vec![
                ("A".into(), Some("1".into())),
                ("B".into(), Some("two words".into())),
                ("C".into(), None)
            ]
        );
        assert_eq!(
            variables("ENV", "TOKEN abc def"),
            vec![("TOKEN".into(), Some("abc def".into()))]
        );
        assert_eq!(variables("ARG", "VERSION"), vec![("VERSION".into(), None)]);
    }

    #[test]
    fn malformed_dockerfiles_are_parse_errors_with_location() {
        let unknown = parse("FROM alpine\nRUNN echo\n").unwrap_err();
        assert_eq!(unknown.pos.line, 2);
        assert!(unknown.message.contains("RUNN"));
        let heredoc = parse("FROM alpine\nRUN <<EOF\necho\n").unwrap_err();
        assert!(heredoc.message.contains("not terminated"));
        assert_eq!(parse("").unwrap_err().message, "no FROM instruction");
        assert_eq!(parse("RUN x\nFROM a\n").unwrap_err().pos.line, 1);
    }

    #[test]
    fn backtick_escape_directive() {
        let units =
            parse("# escape=`\nFROM mcr.microsoft.com/windows:ltsc2022\nRUN a `\n  b\n").unwrap();
        let runs = units[0]
            .node
            .get("instructions")
            .unwrap()
            .as_list()
            .unwrap();
        assert_eq!(runs[1].get("args").unwrap().as_str(), Some("a    b"));
    }
}
