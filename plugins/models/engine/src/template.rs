//! Jinja chat templates (GGUF `tokenizer.chat_template`): finds expressions
//! that reach from template objects into Python internals — the usual
//! server-side template injection chains — while leaving the literal text
//! of the template (system prompts mentioning "import") alone.

use crate::finding::Severity;

/// One suspicious construct inside a `{{ … }}` or `{% … %}` tag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateHit {
    pub severity: Severity,
    /// The matched construct, e.g. `__globals__` or `|attr(`.
    pub fragment: String,
    /// Byte offset of the match in the template.
    pub offset: usize,
    /// The enclosing tag, shortened for display.
    pub context: String,
}

/// Words that only a sandbox escape needs.
const CODE_WORDS: &[&str] = &["import", "popen", "subprocess", "eval", "exec", "os"];
/// Jinja globals (Flask and Jinja defaults) whose `__globals__` lead to `os`.
const GADGET_GLOBALS: &[&str] = &[
    "lipsum",
    "cycler",
    "joiner",
    "config",
    "request",
    "self",
    "url_for",
    "get_flashed_messages",
    "session",
    "g",
];
/// Escapes that spell `_` without writing it, to dodge dunder checks.
const UNDERSCORE_ESCAPES: &[&str] = &[
    "\\x5f",
    "\\x5F",
    "\\u005f",
    "\\u005F",
    "\\137",
    "\\U0000005f",
];

const MAX_HITS: usize = 32;

fn tags(template: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let bytes = template.as_bytes();
    let mut at = 0;
    while at + 1 < bytes.len() {
        let close = match (bytes[at], bytes[at + 1]) {
            (b'{', b'{') => "}}",
            (b'{', b'%') => "%}",
            _ => {
                at += 1;
                continue;
            }
        };
        let body_start = at + 2;
        let body_end = template[body_start..]
            .find(close)
            .map_or(template.len(), |i| body_start + i);
        out.push((body_start, &template[body_start..body_end]));
        at = body_end + 2;
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Identifiers of a tag with their offsets (string literals included, since
/// `attr('__class__')` carries the dunder inside a string).
fn words(tag: &str) -> Vec<(usize, &str)> {
    let bytes = tag.as_bytes();
    let mut out = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if is_word_byte(bytes[at]) {
            let start = at;
            while at < bytes.len() && is_word_byte(bytes[at]) {
                at += 1;
            }
            out.push((start, &tag[start..at]));
        } else {
            at += 1;
        }
    }
    out
}

fn shorten(text: &str) -> String {
    let trimmed = text.trim();
    let mut out: String = trimmed.chars().take(120).collect();
    if trimmed.chars().count() > 120 {
        out.push('…');
    }
    out.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Every suspicious construct of `template`, most severe first per tag.
pub fn inspect(template: &str) -> Vec<TemplateHit> {
    let mut hits: Vec<TemplateHit> = Vec::new();
    let push = |hits: &mut Vec<TemplateHit>, severity, fragment: &str, offset, tag: &str| {
        if hits.len() < MAX_HITS && !hits.iter().any(|h| h.fragment == fragment) {
            hits.push(TemplateHit {
                severity,
                fragment: fragment.to_string(),
                offset,
                context: shorten(tag),
            });
        }
    };
    for (tag_start, tag) in tags(template) {
        for (at, word) in words(tag) {
            let offset = tag_start + at;
            let dunder = word.len() > 4 && word.starts_with("__") && word.ends_with("__");
            if dunder || CODE_WORDS.contains(&word) {
                push(&mut hits, Severity::Critical, word, offset, tag);
            } else if GADGET_GLOBALS.contains(&word) {
                // Only as an object being dereferenced: `cycler.__init__`,
                // `lipsum|attr(...)`, not a loop variable named `g` in text.
                let after = tag[at + word.len()..].trim_start();
                if after.starts_with('.') || after.starts_with('|') || after.starts_with('[') {
                    push(&mut hits, Severity::High, word, offset, tag);
                }
            } else if word.contains("__") {
                // Halves of a dunder joined at render time: '__cla' ~ 'ss__'.
                push(&mut hits, Severity::High, word, offset, tag);
            }
        }
        // `|attr(` with any spacing; the offset is that of `attr`.
        let compact: String = tag.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.contains("|attr(") {
            let at = tag.find("attr").unwrap_or(0);
            push(&mut hits, Severity::High, "|attr(", tag_start + at, tag);
        }
        for escape in UNDERSCORE_ESCAPES {
            if let Some(at) = tag.find(escape) {
                push(&mut hits, Severity::Critical, escape, tag_start + at, tag);
            }
        }
    }
    hits
}
