//! The assignment grammar: from a credential word in a buffer to the value
//! assigned to the name that holds it, across the syntaxes secrets are
//! written in.
//!
//! Generic rules have no value shape to look for, so the *context* decides:
//! a name like `db_password` or `API_TOKEN`, an assignment form, and a
//! literal value (not a variable, call or lookup). One parser serves every
//! form, so a syntax added here is found by every generic rule and masked in
//! every snippet:
//!
//! | form | example |
//! |---|---|
//! | operator, quoted value | `x = "v"`, `x := "v"`, `"x": "v"`, `'x' => 'v'`, `x .= 'v'` |
//! | operator, unquoted value | INI / `.properties` / YAML `x = v`, `x: v`; `export X=v`; Make `X ?= v`, `::=`, `:::=` |
//! | typed declaration | Go `var x string = "v"`, Kotlin `val x: String = "v"` |
//! | call arguments | `setProperty("x", "v")`, `put("x", "v")` |
//! | XML | `<x>v</x>` (value possibly on its own line), `<add key="x" value="v"/>` |
//! | embedded | `KEY=v\n` inside a JSON string, `Password=v;` in a connection string |
//! | whitespace-separated | Dockerfile `ENV X v`, `.netrc` `password v` |
//! | sibling fields | a Kubernetes `env` entry: `- name: X` then `value: v` on the next line |
//! | header | `Authorization: Bearer v`, `Basic v` (must decode to `user:pass`), `token v` |
//! | encoded | Kubernetes `Secret` `data:` values and `.npmrc` `_password` (base64, decoded) |
//!
//! `.pgpass` lines (`host:port:db:user:password`) have no name at all; they
//! are parsed by [`pgpass_passwords`] when the path says so.
//!
//! The parser only decides *structure*. Whether a value is random enough,
//! a placeholder or a hash is the scanner's validation, so that snippet
//! masking can reuse the structure and mask even weak values.

use std::ops::Range;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// Longest name considered, in bytes, on either side of the credential word.
const MAX_NAME: usize = 128;
/// How far back the start of a line is looked for; a line whose start is
/// farther away has no first word for the line-based forms.
const MAX_LINE_LOOKBACK: usize = 1024;
/// Longest value considered; longer runs are data, not credentials.
const MAX_VALUE: usize = 256;
/// How far back a Kubernetes `kind: Secret` may be from a `data:` value.
const K8S_LOOKBACK: usize = 4096;

/// A name and the value assigned to it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub(crate) name: Range<usize>,
    pub(crate) value: Range<usize>,
    pub(crate) form: Form,
    pub(crate) encoding: ValueEncoding,
}

/// Which rule reports an assignment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Form {
    /// An unquoted `UPPER_NAME=value` line of an environment file, a shell
    /// `export`, or a Dockerfile `ENV`/`ARG` (the dotenv rule).
    EnvLine,
    /// Every other form (the generic rule).
    Other,
}

/// How the value is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ValueEncoding {
    Plain,
    /// Base64 of the secret (Kubernetes `data:`, `.npmrc` `_password`): the
    /// decoded text is the secret.
    Base64Text,
    /// Base64 of `user:password` (HTTP Basic, `.npmrc` `_auth`): the
    /// encoded form is the credential, and must decode to such a pair.
    Base64Pair,
}

/// Which names count as holding a credential.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Names {
    /// Names that report findings: password, secret, token, api key, ….
    Credential,
    /// Also `key`, `pass`, `pw`, `passphrase`: for masking snippets, where
    /// hiding a harmless value costs nothing.
    Broad,
    /// Any name that does not merely describe a credential: for
    /// keyword-anchored rules, whose own name pattern decides.
    Any,
}

/// Words that make a name hold a credential when they appear as a word of
/// it, or anywhere inside a lower-case run (`dbpassword`).
const CREDENTIAL_SUBSTRINGS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "accesskey",
    "authkey",
    "privatekey",
    "credential",
    "authorization",
];
/// Words that count only as a whole word of the name.
const CREDENTIAL_WORDS: &[&str] = &["pwd", "auth"];
/// Word pairs that count when adjacent (`api_key`, `accessKey`).
const CREDENTIAL_PAIRS: &[(&str, &str)] = &[
    ("api", "key"),
    ("access", "key"),
    ("auth", "key"),
    ("private", "key"),
    ("secret", "key"),
];
/// Extra whole words for [`Names::Broad`].
const BROAD_WORDS: &[&str] = &["key", "pass", "pw", "passphrase", "keys", "signature"];
/// Words that make a name describe a credential rather than hold one
/// (`password_min_length`, `token_url`, `secret_name`, `tokenizer`).
const DESCRIPTIVE_WORDS: &[&str] = &[
    "length",
    "len",
    "type",
    "url",
    "uri",
    "endpoint",
    "name",
    "names",
    "file",
    "path",
    "field",
    "label",
    "hint",
    "policy",
    "pattern",
    "regex",
    "count",
    "max",
    "min",
    "ttl",
    "expiry",
    "expires",
    "expiration",
    "header",
    "prompt",
    "format",
    "timeout",
    "usage",
    "limit",
    "enabled",
    "required",
    "tokenizer",
    "tokenize",
    "tokens",
    "validator",
    "manager",
    "store",
    "provider",
    // Anti-forgery tokens (`csrf_token`, Rails' `authenticity_token`) are
    // per-session nonces a server prints into every form it renders.
    "csrf",
    "xsrf",
    "authenticity",
];

/// HTTP authentication schemes whose credential follows a space.
const AUTH_SCHEMES: &[&str] = &["bearer", "basic", "token", "bot", "apikey"];

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-')
}

fn is_blank(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn is_quote(b: u8) -> bool {
    matches!(b, b'"' | b'\'' | b'`')
}

/// Splits a name into lower-case words at `_ . -` and camelCase humps.
fn name_words(name: &[u8]) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for &b in name {
        if !b.is_ascii_alphanumeric() {
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = false;
            continue;
        }
        if b.is_ascii_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = b.is_ascii_lowercase() || b.is_ascii_digit();
        current.push(char::from(b.to_ascii_lowercase()));
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether `name` holds a credential (and does not merely describe one).
pub(crate) fn is_credential_name(name: &[u8], names: Names) -> bool {
    let words = name_words(name);
    if words
        .iter()
        .any(|w| DESCRIPTIVE_WORDS.contains(&w.as_str()))
    {
        return false;
    }
    if names == Names::Any {
        return true;
    }
    let has_word = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    let has_substring = words.iter().any(|w| {
        CREDENTIAL_SUBSTRINGS
            .iter()
            .any(|s| w.contains(s) || (w.ends_with('s') && w[..w.len() - 1].contains(s)))
    });
    let has_pair = words.windows(2).any(|pair| {
        CREDENTIAL_PAIRS
            .iter()
            .any(|(a, b)| pair[0] == *a && pair[1].trim_end_matches('s') == *b)
    });
    has_substring
        || has_pair
        || has_word(CREDENTIAL_WORDS)
        || (names == Names::Broad && has_word(BROAD_WORDS))
}

/// Words that make a name describe a digest of something, not the thing
/// (`api_key_sha256`, `apikey_hash`).
const DIGEST_WORDS: &[&str] = &[
    "hash",
    "hashed",
    "sha",
    "sha1",
    "sha256",
    "sha512",
    "md5",
    "digest",
    "checksum",
    "fingerprint",
];

/// Whether `name` names an API key (`api_key`, `apiKey`, `X-API-Key`,
/// `apikey`) and says nothing of a digest. Many providers issue their API
/// keys as 32 or 40 hex digits, the lengths of an MD5 or SHA-1 digest; an
/// API key name is what tells the two apart when no provider is named.
pub(crate) fn is_api_key_name(name: &[u8]) -> bool {
    let words = name_words(name);
    if words.iter().any(|w| DIGEST_WORDS.contains(&w.as_str())) {
        return false;
    }
    words.iter().any(|w| w == "apikey")
        || words
            .windows(2)
            .any(|pair| pair[0] == "api" && pair[1].trim_end_matches('s') == "key")
}

/// Whether `name` is an API key name whose last word is the key itself
/// (`apikey`, `X-Octopus-ApiKey`, `api_key`), not something about it
/// (`api_key_id`). Many services issue API keys as random UUIDs.
pub(crate) fn is_api_key_name_ending_in_key(name: &[u8]) -> bool {
    is_api_key_name(name)
        && name_words(name)
            .last()
            .is_some_and(|w| matches!(w.as_str(), "key" | "keys" | "apikey"))
}

/// Whether `name` is an `Authorization` header name.
pub(crate) fn is_authorization_name(name: &[u8]) -> bool {
    name_words(name)
        .last()
        .is_some_and(|w| w == "authorization")
}

/// Whether `name` names whose secret it is (`client_secret`,
/// `webhookSecret`, `APP_SECRET_KEY`) and says nothing of a digest. OAuth
/// client secrets and signing secrets are often hex of a digest's length
/// (32, 40 or 64 digits); a digest is not called a client's or an app's
/// secret, unless the name says so (`secret_sha256`, `secretHash`). A bare
/// `secret` stays out: that key holds many things (a Secret's name, a
/// checksum of one) in configuration schemas.
pub(crate) fn is_secret_name(name: &[u8]) -> bool {
    let words = name_words(name);
    words.len() >= 2
        && !words.iter().any(|w| DIGEST_WORDS.contains(&w.as_str()))
        && words.iter().any(|w| w == "secret")
}

/// The assignment whose name contains the credential word at `hit`, if
/// the text there is one.
pub(crate) fn parse_at(buffer: &[u8], hit: Range<usize>, names: Names) -> Option<Assignment> {
    if hit.start >= hit.end || hit.end > buffer.len() {
        return None;
    }
    let floor = hit.start.saturating_sub(MAX_NAME);
    let mut start = hit.start;
    while start > floor && is_name_byte(buffer[start - 1]) {
        start -= 1;
    }
    let ceiling = buffer.len().min(hit.end + MAX_NAME);
    let mut end = hit.end;
    while end < ceiling && is_name_byte(buffer[end]) {
        end += 1;
    }
    // A trailing `.` or `-` is punctuation (`password.` in prose).
    while end > hit.end && matches!(buffer[end - 1], b'.' | b'-') {
        end -= 1;
    }
    // A name longer than the bound is data (a minified run), not a name.
    let cut_before = start == floor && start > 0 && is_name_byte(buffer[start - 1]);
    let cut_after = end == ceiling && end < buffer.len() && is_name_byte(buffer[end]);
    if cut_before || cut_after {
        return None;
    }
    let name = start..end;
    if !is_credential_name(&buffer[name.clone()], names) {
        return None;
    }
    let before = start.checked_sub(1).map(|i| buffer[i]);
    let assignment = match before {
        Some(b'<') => xml_element(buffer, name.clone()),
        // Backticks quote names in Markdown prose (`A`, `B`), not code.
        Some(quote @ (b'"' | b'\'')) if buffer.get(end) == Some(&quote) => {
            quoted_name(buffer, name.clone(), end + 1)
        }
        _ => None,
    };
    assignment
        .or_else(|| operator_form(buffer, name.clone()))
        .or_else(|| accessor_return(buffer, name.clone()))
        .or_else(|| table_cell(buffer, name.clone()))
        .or_else(|| named_entry_value(buffer, name))
}

/// A row of a Markdown or ASCII table whose first cell is the name and
/// whose next cell is the value, as setup documents list keys:
///
/// ```text
/// | API_KEY | v |
/// apiKey |v
/// ```
///
/// The name must open its line (after blanks or a leading `|`), so a `|`
/// in code (`a | b`, `token || fallback`, a shell pipe after a command)
/// is not read as one; the value is the whole next cell, a single run of
/// non-blank bytes, and must end at the next `|` or the line's end.
fn table_cell(buffer: &[u8], name: Range<usize>) -> Option<Assignment> {
    let line = line_start(buffer, name.start)?;
    if !buffer[line..name.start]
        .iter()
        .all(|&b| is_blank(b) || b == b'|')
    {
        return None;
    }
    let bar = skip_blanks(buffer, name.end);
    if buffer.get(bar) != Some(&b'|') || buffer.get(bar + 1) == Some(&b'|') {
        return None;
    }
    let start = skip_blanks(buffer, bar + 1);
    let limit = buffer.len().min(start + MAX_VALUE + 1);
    let len = buffer[start..limit]
        .iter()
        .take_while(|&&b| !b.is_ascii_whitespace() && b != b'|')
        .count();
    let end = start + len;
    // Markup in the cell (a link, code, a tag) is prose about a secret, as
    // in a table of tools: `| secrets | [`run.py`](secrets) |`.
    if buffer[start..end].iter().any(|b| {
        matches!(
            b,
            b'`' | b'[' | b']' | b'(' | b')' | b'<' | b'>' | b'{' | b'}' | b'"' | b'\''
        )
    }) {
        return None;
    }
    let after = skip_blanks(buffer, end);
    if len == 0
        || len > MAX_VALUE
        || !matches!(buffer.get(after), None | Some(b'|' | b'\r' | b'\n'))
    {
        return None;
    }
    Some(Assignment {
        name,
        value: start..end,
        form: Form::Other,
        encoding: ValueEncoding::Plain,
    })
}

/// How far after an accessor's parameter list its `return` may be: room
/// for a return type and the opening of the body, not for statements.
const ACCESSOR_GAP: usize = 48;

/// A function named for a credential that returns a literal: the getter a
/// hard-coded secret hides behind.
///
/// ```text
/// func apiToken() string { return "v" }
/// def get_secret(self) -> str:
///     return "v"
/// String getPassword() { return "v"; }
/// ```
///
/// The parameter list must be empty or short and the `return` must be the
/// body's first statement, so a function that computes its value (`return
/// base + token`, `return os.getenv(…)`) is not one: its first token after
/// `return` is no string literal.
fn accessor_return(buffer: &[u8], name: Range<usize>) -> Option<Assignment> {
    if buffer.get(name.end) != Some(&b'(') {
        return None;
    }
    let params_end = buffer[name.end..buffer.len().min(name.end + ACCESSOR_GAP)]
        .iter()
        .position(|&b| b == b')')?;
    let mut at = name.end + params_end + 1;
    let limit = buffer.len().min(at + ACCESSOR_GAP);
    // A return type and the body's opening: `string {`, `-> str:`, `{`.
    while at < limit && !buffer[at..].starts_with(b"return") {
        let b = buffer[at];
        if !(b.is_ascii_alphanumeric()
            || b.is_ascii_whitespace()
            || matches!(
                b,
                b'{' | b':' | b'-' | b'>' | b'[' | b']' | b'_' | b'.' | b'<'
            ))
        {
            return None;
        }
        at += 1;
    }
    let past = at.checked_add(b"return".len())?;
    if !buffer[at..].starts_with(b"return") || !buffer.get(past).copied().is_some_and(is_blank) {
        return None;
    }
    let (value, _) = quoted_value(buffer, skip_blanks(buffer, past))?;
    Some(Assignment {
        name,
        value,
        form: Form::Other,
        encoding: ValueEncoding::Plain,
    })
}

/// A Kubernetes-style entry whose name and value are sibling fields: the
/// credential name is the value of a `name:` key and its value the `value:`
/// key on the next line (container `env` lists, Helm values):
///
/// ```yaml
/// - name: API_TOKEN
///   value: "v"
/// ```
///
/// A `valueFrom:` reference has no literal value and is not one.
fn named_entry_value(buffer: &[u8], name: Range<usize>) -> Option<Assignment> {
    // Before the name on its line: `name:`, optionally quoted, after
    // blanks or a list dash.
    let line = line_start(buffer, name.start)?;
    let mut before = name.start;
    if before > line && is_quote(buffer[before - 1]) {
        before -= 1;
    }
    let key_line = &buffer[line..before];
    let key = key_line.trim_ascii_end().strip_suffix(b":")?;
    let key = key.trim_ascii_end();
    let key = key
        .strip_suffix(b"\"")
        .and_then(|k| k.strip_prefix(b"\""))
        .or_else(|| key.strip_suffix(b"'").and_then(|k| k.strip_prefix(b"'")))
        .unwrap_or(key)
        .trim_ascii();
    let key = key
        .strip_prefix(b"- ")
        .map_or(key, <[u8]>::trim_ascii_start);
    if key != b"name" {
        return None;
    }
    // After the name: an optional closing quote, then the end of the line.
    let mut at = name.end;
    if buffer.get(at).copied().is_some_and(is_quote) {
        at += 1;
    }
    let at = skip_blanks(buffer, at);
    let at = match buffer.get(at) {
        Some(b'\r') if buffer.get(at + 1) == Some(&b'\n') => at + 2,
        Some(b'\n') => at + 1,
        _ => return None,
    };
    // The next line: `value:` and a literal.
    let field = skip_blanks(buffer, at);
    let rest = buffer.get(field..)?;
    let past = if rest.starts_with(b"value:") {
        field + b"value:".len()
    } else if rest.starts_with(b"\"value\":") {
        field + b"\"value\":".len()
    } else {
        return None;
    };
    let value_at = skip_blanks(buffer, past);
    let value = match quoted_value(buffer, value_at) {
        Some((value, _)) => value,
        None if buffer.get(value_at).copied().is_some_and(is_quote) => return None,
        None => unquoted_value(buffer, value_at)?,
    };
    Some(Assignment {
        name,
        value,
        form: Form::Other,
        encoding: ValueEncoding::Plain,
    })
}

/// `<password>value</password>`, the value possibly on its own line.
fn xml_element(buffer: &[u8], name: Range<usize>) -> Option<Assignment> {
    let mut at = name.end;
    while at < buffer.len()
        && at < name.end + MAX_NAME
        && !matches!(buffer[at], b'>' | b'\n' | b'<')
    {
        at += 1;
    }
    if buffer.get(at) != Some(&b'>') || buffer.get(at.wrapping_sub(1)) == Some(&b'/') {
        return None;
    }
    element_text(buffer, name, at + 1)
}

/// The text of an element from `at` (just past `>`) to its closing tag,
/// trimmed; it must be one token.
fn element_text(buffer: &[u8], name: Range<usize>, at: usize) -> Option<Assignment> {
    let limit = buffer.len().min(at + MAX_VALUE + 64);
    let close = at + memchr::memchr(b'<', &buffer[at..limit])?;
    if buffer.get(close + 1) != Some(&b'/') {
        return None;
    }
    let text = &buffer[at..close];
    let first = text.iter().position(|b| !b.is_ascii_whitespace())?;
    let last = text.iter().rposition(|b| !b.is_ascii_whitespace())?;
    let value = at + first..at + last + 1;
    if buffer[value.clone()].iter().any(u8::is_ascii_whitespace) {
        return None;
    }
    Some(Assignment {
        name,
        value,
        form: Form::Other,
        encoding: ValueEncoding::Plain,
    })
}

/// A name in quotes, `at` just past its closing quote: a call's arguments
/// (`setProperty("x", "v")`), an XML attribute pair (`key="x" value="v"`),
/// an element whose attribute names it (`<entry key="x">v</entry>`), or a
/// quoted key before an operator (handled by [`operator_form`]).
fn quoted_name(buffer: &[u8], name: Range<usize>, at: usize) -> Option<Assignment> {
    let after = skip_blanks(buffer, at);
    match buffer.get(after) {
        Some(b',') => {
            let value_at = skip_blanks(buffer, after + 1);
            let (value, _) = quoted_value(buffer, value_at)?;
            Some(Assignment {
                name,
                value,
                form: Form::Other,
                encoding: ValueEncoding::Plain,
            })
        }
        Some(b'>') => element_text(buffer, name, after + 1),
        Some(b) if after > at && b.is_ascii_alphabetic() => {
            let word_end = after
                + buffer[after..]
                    .iter()
                    .take(16)
                    .take_while(|b| b.is_ascii_alphabetic())
                    .count();
            if !buffer[after..word_end].eq_ignore_ascii_case(b"value") {
                return None;
            }
            let equals = skip_blanks(buffer, word_end);
            if buffer.get(equals) != Some(&b'=') {
                return None;
            }
            let (value, _) = quoted_value(buffer, skip_blanks(buffer, equals + 1))?;
            Some(Assignment {
                name,
                value,
                form: Form::Other,
                encoding: ValueEncoding::Plain,
            })
        }
        _ => None,
    }
}

fn skip_blanks(buffer: &[u8], mut at: usize) -> usize {
    while at < buffer.len() && is_blank(buffer[at]) {
        at += 1;
    }
    at
}

/// A value in quotes starting at `at` (an optional string prefix such as
/// `b`, `r`, `@` and an escaping backslash are allowed): its range and the
/// position past the closing quote. The value may not span lines, hold
/// blanks or a backslash (an escape sequence means the literal is not the
/// plain value).
fn quoted_value(buffer: &[u8], at: usize) -> Option<(Range<usize>, usize)> {
    quoted_value_after_scheme(buffer, at, false)
}

/// [`quoted_value`], optionally past a leading `Bearer `/`token ` scheme
/// (see [`after_bearer_scheme`]).
fn quoted_value_after_scheme(
    buffer: &[u8],
    mut at: usize,
    skip_scheme: bool,
) -> Option<(Range<usize>, usize)> {
    if matches!(
        buffer.get(at),
        Some(b'b' | b'r' | b'u' | b'B' | b'R' | b'U' | b'@')
    ) && buffer.get(at + 1).copied().is_some_and(is_quote)
    {
        at += 1;
    }
    if buffer.get(at) == Some(&b'\\') {
        at += 1;
    }
    let quote = *buffer.get(at).filter(|b| is_quote(**b))?;
    let start = if skip_scheme {
        after_bearer_scheme(buffer, at + 1)
    } else {
        at + 1
    };
    let limit = buffer.len().min(start + MAX_VALUE + 1);
    let mut end = start;
    while end < limit {
        let b = buffer[end];
        if b == quote || b == b'\\' {
            break;
        }
        if b.is_ascii_whitespace() {
            return None;
        }
        end += 1;
    }
    let closing = match buffer.get(end) {
        Some(&b) if b == quote => end + 1,
        Some(b'\\') if buffer.get(end + 1) == Some(&quote) => end + 2,
        _ => return None,
    };
    (end > start).then_some((start..end, closing))
}

/// Where a quoted value really starts: past a `Bearer ` or `token `
/// scheme, which configuration files keep with the token they send
/// (`auth_token: "Bearer v"`). The value is the credential after it; the
/// scheme word alone, or one followed by more blanks, is not stripped.
/// `Basic` is left to the header form, which decodes its `user:password`.
fn after_bearer_scheme(buffer: &[u8], start: usize) -> usize {
    for scheme in [&b"bearer "[..], b"token "] {
        let Some(head) = buffer.get(start..start + scheme.len()) else {
            continue;
        };
        let next = buffer.get(start + scheme.len()).copied();
        if head.eq_ignore_ascii_case(scheme)
            && next.is_some_and(|b| !b.is_ascii_whitespace() && !is_quote(b))
        {
            return start + scheme.len();
        }
    }
    start
}

/// Operators, longest first. `=` must not be followed by `=` or `~`
/// (comparisons, matches).
const OPERATORS: &[&[u8]] = &[
    b":::=", b"::=", b":=", b".=", b"?=", b"+=", b"=>", b"=", b":",
];

fn operator_at(buffer: &[u8], at: usize) -> Option<usize> {
    let rest = &buffer[at.min(buffer.len())..];
    let operator = OPERATORS.iter().find(|op| rest.starts_with(op))?;
    let next = rest.get(operator.len()).copied();
    if operator.ends_with(b"=") && matches!(next, Some(b'=' | b'~')) {
        return None;
    }
    if *operator == b":" && next == Some(b':') {
        return None;
    }
    Some(at + operator.len())
}

/// `name OP value`, with the value quoted or not; also the typed forms
/// (`var x string = "v"`, `x: String = "v"`) and the whitespace forms of
/// Dockerfile `ENV` and `.netrc`.
fn operator_form(buffer: &[u8], name: Range<usize>) -> Option<Assignment> {
    let mut at = name.end;
    // A closing quote or bracket of the key (`"password": …`,
    // `config['password'] = …`, an escaped `\"key\":`).
    if buffer.get(at) == Some(&b'\\') && buffer.get(at + 1).copied().is_some_and(is_quote) {
        at += 1;
    }
    if buffer.get(at).copied().is_some_and(is_quote) {
        at += 1;
    }
    if buffer.get(at) == Some(&b']') {
        at += 1;
    }
    let after_name = at;
    let at = skip_blanks(buffer, at);
    // A typed declaration (`x: String = …`, `var x string = …`) assigns
    // an expression; only a string literal there is a value.
    let mut typed = false;
    let value_at = match operator_at(buffer, at) {
        Some(past) => {
            let typed_past = (buffer[at] == b':')
                .then(|| skip_type(buffer, past))
                .flatten();
            typed = typed_past.is_some();
            skip_blanks(buffer, typed_past.unwrap_or(past))
        }
        None if at > after_name => {
            if let Some(past) = skip_type(buffer, at) {
                typed = true;
                skip_blanks(buffer, past)
            } else if whitespace_form_allowed(buffer, &name)
                || (is_password_word(&buffer[name.clone()]) && quoted_value(buffer, at).is_some())
            {
                // SQL's `WITH PASSWORD 'v'`, prose's `password "v"`.
                at
            } else {
                return None;
            }
        }
        None => return None,
    };
    buffer.get(value_at)?;
    let name_words = name_words(&buffer[name.clone()]);
    if name_words.last().is_some_and(|w| w == "authorization") {
        return authorization_value(buffer, name, value_at);
    }
    // An `Authorization` name was handled above with its scheme; any other
    // name's quoted value may carry a `Bearer ` the configuration sends.
    let (value, quoted) = match quoted_value_after_scheme(buffer, value_at, true) {
        Some((value, _)) => (value, true),
        None if typed || buffer.get(value_at).copied().is_some_and(is_quote) => return None,
        None => (unquoted_value(buffer, value_at)?, false),
    };
    let encoding = if !quoted && name_words.last().is_some_and(|w| w == "auth") {
        ValueEncoding::Base64Pair
    } else if !quoted
        && name_words.last().is_some_and(|w| w == "password")
        && buffer[name.clone()].starts_with(b"_")
    {
        // `.npmrc` `_password` holds the password in base64.
        ValueEncoding::Base64Text
    } else if !quoted && buffer[at] == b':' && in_kubernetes_secret(buffer, name.start) {
        ValueEncoding::Base64Text
    } else {
        ValueEncoding::Plain
    };
    let form = if !quoted && is_env_line(buffer, &name, at) {
        Form::EnvLine
    } else {
        Form::Other
    };
    Some(Assignment {
        name,
        value,
        form,
        encoding,
    })
}

/// A type between a name and `=`: Go's `x string = …`, Kotlin's and
/// TypeScript's `x: String = …`. `at` is where the type starts; returns the
/// position past the `=`.
fn skip_type(buffer: &[u8], at: usize) -> Option<usize> {
    let is_type_byte = |b: u8| {
        b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'_' | b'.' | b'*' | b'[' | b']' | b'?' | b'&' | b'\'' | b'<' | b'>' | b':'
            )
    };
    // Up to three words: `string`, `&'static str`, `const char *`.
    let mut end = skip_blanks(buffer, at);
    for word in 0..3 {
        let start = if word == 0 {
            end
        } else {
            skip_blanks(buffer, end)
        };
        let first = buffer.get(start).copied();
        if !first.is_some_and(|b| b.is_ascii_alphabetic() || matches!(b, b'*' | b'[' | b'&')) {
            if word == 0 {
                return None;
            }
            break;
        }
        let mut next = start;
        while next < buffer.len() && next < start + MAX_NAME && is_type_byte(buffer[next]) {
            next += 1;
        }
        end = next;
        if buffer.get(skip_blanks(buffer, end)) == Some(&b'=') {
            break;
        }
    }
    // Blanks around the `=`, as declarations are written; this keeps a
    // base64 value's padding (`data: aGVsbG8=`) from looking like one.
    let equals = skip_blanks(buffer, end);
    if equals == end
        || buffer.get(equals) != Some(&b'=')
        || !buffer.get(equals + 1).copied().is_some_and(is_blank)
    {
        return None;
    }
    Some(equals + 1)
}

/// The start of the line containing `at`, if it is near enough.
fn line_start(buffer: &[u8], at: usize) -> Option<usize> {
    let floor = at.saturating_sub(MAX_LINE_LOOKBACK);
    match memchr::memrchr(b'\n', &buffer[floor..at]) {
        Some(newline) => Some(floor + newline + 1),
        None if floor == 0 => Some(0),
        None => None,
    }
}

fn first_word(buffer: &[u8], line: usize) -> &[u8] {
    let start = skip_blanks(buffer, line);
    let len = buffer[start..]
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    &buffer[start..start + len]
}

/// `ENV NAME value` in a Dockerfile (the name right after `ENV`), and
/// `.netrc`'s `password value` (on a `machine`/`default`/`login` line or a
/// line of its own).
fn whitespace_form_allowed(buffer: &[u8], name: &Range<usize>) -> bool {
    let Some(line) = line_start(buffer, name.start) else {
        return false;
    };
    let first = first_word(buffer, line);
    let name_text = &buffer[name.clone()];
    if first == b"ENV" {
        let after_env = skip_blanks(buffer, skip_blanks(buffer, line) + first.len());
        return after_env == name.start;
    }
    (name_text == b"password" || name_text == b"passwd")
        && matches!(
            first,
            b"machine" | b"default" | b"login" | b"password" | b"passwd"
        )
}

fn is_password_word(name: &[u8]) -> bool {
    name.eq_ignore_ascii_case(b"password") || name.eq_ignore_ascii_case(b"passwd")
}

/// An unquoted value from `at`: a run of value bytes that ends the
/// statement, so a call, index or expression (`os.environ["X"]`,
/// `getpass()`, `a + b`) is not a value.
fn unquoted_value(buffer: &[u8], at: usize) -> Option<Range<usize>> {
    let limit = buffer.len().min(at + MAX_VALUE + 1);
    let mut end = at;
    while end < limit {
        let b = buffer[end];
        let stops = b.is_ascii_whitespace()
            || b.is_ascii_control()
            || matches!(
                b,
                b'"' | b'\''
                    | b'`'
                    | b';'
                    | b','
                    | b'\\'
                    | b'<'
                    | b'>'
                    | b'('
                    | b')'
                    | b'['
                    | b']'
                    | b'{'
                    | b'}'
            )
            || (b == b'&' && starts_parameter(&buffer[end + 1..]));
        if stops {
            break;
        }
        end += 1;
    }
    if end == at || end - at > MAX_VALUE {
        return None;
    }
    let ends_statement = match buffer.get(end) {
        None | Some(b'\r' | b'\n' | b';' | b'\\' | b'"' | b'\'' | b'`' | b'&') => true,
        // Only a closing tag (`<pwd>v</pwd>`); `v<T>` is a generic type.
        Some(b'<') => buffer.get(end + 1) == Some(&b'/'),
        Some(b' ' | b'\t') => {
            let next = skip_blanks(buffer, end);
            match buffer.get(next) {
                None | Some(b'\r' | b'\n' | b'#' | b';') => true,
                Some(b'/') => buffer.get(next + 1) == Some(&b'/'),
                _ => false,
            }
        }
        _ => false,
    };
    let value = &buffer[at..end];
    // Code and references rather than values: numbers, `::` paths, C's
    // `&x` and `*p`, and lower-case paths such as `owner/repo#secrets`.
    let code = is_numeric_literal(value)
        || memchr::memmem::find(value, b"::").is_some()
        || matches!(value[0], b'&' | b'*')
        || (value.contains(&b'/') && !value.iter().any(u8::is_ascii_uppercase));
    (ends_statement && !code).then_some(at..end)
}

/// `1048576u32`, `-2147467259`, `0x7f`, `3.5f`: a number in code, not a
/// value someone typed as a secret.
fn is_numeric_literal(value: &[u8]) -> bool {
    let digits = value.strip_prefix(b"-").unwrap_or(value);
    let Some(first) = digits.first() else {
        return false;
    };
    if !first.is_ascii_digit() {
        return false;
    }
    if digits.starts_with(b"0x") || digits.starts_with(b"0X") {
        return digits[2..]
            .iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b'_');
    }
    let numeric = digits
        .iter()
        .take_while(|b| b.is_ascii_digit() || matches!(b, b'_' | b'.'))
        .count();
    let suffix = &digits[numeric..];
    suffix.len() <= 5 && suffix.iter().all(u8::is_ascii_alphanumeric)
}

/// `name=` follows (the next parameter of a query string).
fn starts_parameter(rest: &[u8]) -> bool {
    let len = rest
        .iter()
        .take(MAX_NAME)
        .take_while(|&&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.' || b == b'-')
        .count();
    len > 0 && rest.get(len) == Some(&b'=')
}

/// `Authorization: <scheme> <credential>`, quoted or not. The credential
/// is the value; a Basic credential must decode to `user:password`.
fn authorization_value(buffer: &[u8], name: Range<usize>, at: usize) -> Option<Assignment> {
    let mut at = at;
    if buffer.get(at) == Some(&b'\\') {
        at += 1;
    }
    let quote = buffer.get(at).copied().filter(|b| is_quote(*b));
    if quote.is_some() {
        at += 1;
    }
    let scheme_len = buffer[at..]
        .iter()
        .take(16)
        .take_while(|b| b.is_ascii_alphabetic())
        .count();
    let scheme = buffer[at..at + scheme_len].to_ascii_lowercase();
    if !AUTH_SCHEMES
        .iter()
        .any(|s| s.as_bytes() == scheme.as_slice())
        || buffer.get(at + scheme_len) != Some(&b' ')
    {
        return bare_uuid_authorization(buffer, name, at, quote);
    }
    let start = at + scheme_len + 1;
    let limit = buffer.len().min(start + MAX_VALUE + 1);
    let len = buffer[start..limit]
        .iter()
        .take_while(|&&b| {
            b.is_ascii_alphanumeric()
                || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=' | b':')
        })
        .count();
    let end = start + len;
    let closes = match (quote, buffer.get(end)) {
        (Some(q), Some(&b)) => b == q || b == b'\\',
        (Some(_), None) => false,
        (None, next) => next.is_none_or(|b| b.is_ascii_whitespace() || is_quote(*b) || *b == b','),
    };
    if len == 0 || !closes {
        return None;
    }
    let encoding = if scheme == b"basic" {
        ValueEncoding::Base64Pair
    } else {
        ValueEncoding::Plain
    };
    Some(Assignment {
        name,
        value: start..end,
        form: Form::Other,
        encoding,
    })
}

/// An `Authorization` value with no scheme that is a whole UUID whose digits
/// look generated: some services take their UUID API keys that way
/// (`Authorization: 5eb4…`). Anything else without a scheme stays unread.
fn bare_uuid_authorization(
    buffer: &[u8],
    name: Range<usize>,
    at: usize,
    quote: Option<u8>,
) -> Option<Assignment> {
    let end = at + 36;
    let value = buffer.get(at..end)?;
    if !crate::checks::uuid_digits_look_random(value) {
        return None;
    }
    let closes = match (quote, buffer.get(end)) {
        (Some(q), Some(&b)) => b == q || b == b'\\',
        (Some(_), None) => false,
        (None, next) => next.is_none_or(|b| b.is_ascii_whitespace() || is_quote(*b) || *b == b','),
    };
    closes.then_some(Assignment {
        name,
        value: at..end,
        form: Form::Other,
        encoding: ValueEncoding::Plain,
    })
}

/// `NAME=value` starting its line (after `export`, `ENV`, `ARG` or `set`),
/// with an upper-case name: an environment file or shell line.
fn is_env_line(buffer: &[u8], name: &Range<usize>, operator: usize) -> bool {
    let name_text = &buffer[name.clone()];
    if !name_text
        .iter()
        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_')
    {
        return false;
    }
    let is_equals = buffer.get(operator) == Some(&b'=') && operator == name.end;
    let Some(line) = line_start(buffer, name.start) else {
        return false;
    };
    let mut at = skip_blanks(buffer, line);
    let first = first_word(buffer, line);
    if matches!(first, b"export" | b"ENV" | b"ARG" | b"set") && at + first.len() < name.start {
        at = skip_blanks(buffer, at + first.len());
    }
    at == name.start && (is_equals || first == b"ENV")
}

/// A YAML value under a Kubernetes `kind: Secret` (its `data:` values are
/// base64).
fn in_kubernetes_secret(buffer: &[u8], at: usize) -> bool {
    let floor = at.saturating_sub(K8S_LOOKBACK);
    let before = &buffer[floor..at];
    let Some(kind) = memchr::memmem::rfind(before, b"kind: Secret") else {
        return false;
    };
    // Not past a document separator, and with `data:` between.
    let since = &before[kind..];
    memchr::memmem::find(since, b"\n---").is_none()
        && memchr::memmem::find(since, b"data:").is_some()
}

/// Decodes a base64 value to printable text, as the scanner needs for
/// [`ValueEncoding::Base64Text`] and to check [`ValueEncoding::Base64Pair`].
pub(crate) fn decode_printable(value: &[u8]) -> Option<Vec<u8>> {
    let decoded = STANDARD.decode(value).ok()?;
    let printable = !decoded.is_empty()
        && decoded
            .iter()
            .all(|b| (0x20..0x7f).contains(b) || *b == b'\t');
    printable.then_some(decoded)
}

/// The password field of every `.pgpass` line
/// (`hostname:port:database:username:password`, `\:` and `\\` escaped).
pub(crate) fn pgpass_passwords(buffer: &[u8]) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    let mut line_start = 0;
    for line_end in memchr::memchr_iter(b'\n', buffer).chain(std::iter::once(buffer.len())) {
        if line_start > line_end {
            break;
        }
        let line = &buffer[line_start..line_end];
        let mut fields = Vec::with_capacity(5);
        let mut field_start = 0;
        let mut i = 0;
        while i < line.len() {
            match line[i] {
                b'\\' => i += 1,
                b':' if fields.len() < 4 => {
                    fields.push(field_start..i);
                    field_start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        let port_ok = |r: &Range<usize>| {
            let port = &line[r.clone()];
            port == b"*" || (!port.is_empty() && port.iter().all(u8::is_ascii_digit))
        };
        let comment = line.first() == Some(&b'#');
        if !comment && fields.len() == 4 && port_ok(&fields[1]) {
            let mut end = line.len();
            while end > field_start && line[end - 1] == b'\r' {
                end -= 1;
            }
            if end > field_start {
                found.push(line_start + field_start..line_start + end);
            }
        }
        line_start = line_end + 1;
    }
    found
}

/// Whether `path` names a PostgreSQL password file.
pub(crate) fn is_pgpass_path(path: &str) -> bool {
    let file = path.rsplit(['/', '\\']).next().unwrap_or(path);
    file == ".pgpass" || file.eq_ignore_ascii_case("pgpass.conf")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value_at(text: &str, word: &str) -> Option<String> {
        let hit = text.find(word)?;
        let found = parse_at(text.as_bytes(), hit..hit + word.len(), Names::Credential)?;
        Some(text[found.value].to_string())
    }

    #[test]
    fn table_rows_name_their_value_in_the_next_cell() {
        let value = "q7Lw2vRt9XkP4mZa";
        for text in [
            format!("| API_KEY | {value} |"),
            format!("|API_KEY|{value}|"),
            format!("Variable | Value\napiKey |{value}\nbaseUrl |https://example.com"),
        ] {
            let word = if text.contains("API_KEY") {
                "API_KEY"
            } else {
                "apiKey"
            };
            assert_eq!(value_at(&text, word).as_deref(), Some(value), "{text}");
        }
        for (text, word) in [
            (format!("let token = apiKey || \"{value}\""), "apiKey"),
            (format!("apiKey || {value}"), "apiKey"),
            (format!("| API_KEY | {value} and more words |"), "API_KEY"),
            (format!("cat apiKey | {value}"), "apiKey"),
            (
                "| secrets | [`secrets/run.py`](secrets) | ripsecrets |".to_string(),
                "secrets",
            ),
        ] {
            assert_eq!(value_at(&text, word), None, "{text}");
        }
    }

    #[test]
    fn api_key_names_without_a_digest_word() {
        for name in [
            "api_key",
            "apiKey",
            "X-API-Key",
            "APIKEY",
            "openai.api-key",
            "api_keys",
        ] {
            assert!(is_api_key_name(name.as_bytes()), "{name}");
        }
        for name in [
            "api_key_sha256",
            "apiKeyHash",
            "api_key_md5",
            "secret_key",
            "key",
            "rapid_key",
        ] {
            assert!(!is_api_key_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn anti_forgery_tokens_are_not_credentials() {
        for name in [
            "csrf_token",
            "authenticity_token",
            "XSRF-TOKEN",
            "csrfToken",
        ] {
            assert!(
                !is_credential_name(name.as_bytes(), Names::Credential),
                "{name}"
            );
        }
        assert!(is_credential_name(b"auth_token", Names::Credential));
    }

    #[test]
    fn api_key_names_ending_in_the_key() {
        for name in ["apikey", "X-Octopus-ApiKey", "api_key", "openai.api-keys"] {
            assert!(is_api_key_name_ending_in_key(name.as_bytes()), "{name}");
        }
        for name in ["api_key_id", "apiKeyName", "api_key_hash", "token"] {
            assert!(!is_api_key_name_ending_in_key(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn secret_names_without_a_digest_word() {
        for name in ["client_secret", "webhookSecret", "APP_SECRET_KEY"] {
            assert!(is_secret_name(name.as_bytes()), "{name}");
        }
        for name in [
            "secret",
            "secret_sha256",
            "secretHash",
            "client_secret_md5",
            "app_secrets",
            "password",
        ] {
            assert!(!is_secret_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn accessors_that_return_a_literal_are_assignments() {
        let value = "q7Lw2vRt9XkP4mZa";
        for (text, word) in [
            (
                format!("func apiToken() string {{ return \"{value}\" }}"),
                "Token",
            ),
            (
                format!("def get_secret(self) -> str:\n    return '{value}'"),
                "secret",
            ),
            (
                format!("String getPassword() {{ return \"{value}\"; }}"),
                "Password",
            ),
        ] {
            assert_eq!(value_at(&text, word).as_deref(), Some(value), "{text}");
        }
        for text in [
            "func apiToken() string { return base + token }",
            "def get_secret(self):\n    return os.getenv('SECRET')",
            "String getPassword() { log(\"x\"); return \"q7Lw2vRt9XkP4mZa\"; }",
            "token(\"q7Lw2vRt9XkP4mZa\")",
        ] {
            let word = if text.contains("Token") {
                "Token"
            } else if text.contains("secret") {
                "secret"
            } else if text.contains("Password") {
                "Password"
            } else {
                "token"
            };
            assert_eq!(value_at(text, word), None, "{text}");
        }
    }

    #[test]
    fn names_hold_or_describe_credentials() {
        for name in [
            "db_password",
            "API_TOKEN",
            "clientSecret",
            "_authToken",
            "x-api-key",
            "dbpassword",
            "AccessKey",
            "_auth",
            "Pwd",
        ] {
            assert!(
                is_credential_name(name.as_bytes(), Names::Credential),
                "{name}"
            );
        }
        for name in [
            "password_min_length",
            "TOKEN_URL",
            "secret_name",
            "tokenizer",
            "max_tokens",
            "post_author",
            "key",
            "monkey",
        ] {
            assert!(
                !is_credential_name(name.as_bytes(), Names::Credential),
                "{name}"
            );
        }
        assert!(is_credential_name(b"key", Names::Broad));
        assert!(!is_credential_name(b"monkey", Names::Broad));
    }

    #[test]
    fn operators_and_forms() {
        assert_eq!(
            value_at("a.password = hunter2x\n", "password").as_deref(),
            Some("hunter2x")
        );
        assert_eq!(value_at("password == other\n", "password"), None);
        assert_eq!(value_at("password = a + b\n", "password"), None);
        assert_eq!(value_at("password = get()\n", "password"), None);
        // Code: typed constants, numbers, paths.
        assert_eq!(
            value_at("pub const AUTH_X: u32 = 1048576u32;", "AUTH"),
            None
        );
        assert_eq!(value_at("const TOKEN_Y: i32 = -2147467259;", "TOKEN"), None);
        assert_eq!(
            value_at("type TokenStream = proc_macro2::TokenStream;", "Token"),
            None
        );
        assert_eq!(value_at("`TOKEN_A`, `TOKEN_B`", "TOKEN"), None);
        assert_eq!(value_at("password = 0x7fa9b3c1e2\n", "password"), None);
        assert_eq!(value_at("in_token = &in_buf;", "token"), None);
        assert_eq!(
            value_at("fn f(private_key: &Key<'_>) -> R {", "private_key"),
            None
        );
        assert_eq!(
            value_at("credentials: owner/home#assets/creds\n", "credentials"),
            None
        );
        assert_eq!(
            value_at("<pwd>k9x2Lm4q</pwd>", "pwd").as_deref(),
            Some("k9x2Lm4q")
        );
        assert_eq!(
            value_at("password = 8f3k2j9x\n", "password").as_deref(),
            Some("8f3k2j9x")
        );
        assert_eq!(
            value_at("TOKEN :::= abc\n", "TOKEN").as_deref(),
            Some("abc")
        );
        assert_eq!(
            value_at("var token string = \"abc\"", "token").as_deref(),
            Some("abc")
        );
        assert_eq!(
            value_at("x?token=abc&page=2", "token").as_deref(),
            Some("abc")
        );
        assert_eq!(
            value_at("<password>\n  v1\n</password>", "password").as_deref(),
            Some("v1")
        );
        assert_eq!(
            value_at("<entry key=\"password\">v2</entry>", "password").as_deref(),
            Some("v2")
        );
        assert_eq!(
            value_at("Authorization: Bearer t0k", "Authorization").as_deref(),
            Some("t0k")
        );
        assert_eq!(
            value_at("Authorization: Negotiate t0k", "Authorization"),
            None
        );
    }

    #[test]
    fn kubernetes_name_value_entries() {
        let entry = "env:\n  - name: API_TOKEN\n    value: Zq8vL2pR5wk3J9x2\n";
        assert_eq!(
            value_at(entry, "TOKEN").as_deref(),
            Some("Zq8vL2pR5wk3J9x2")
        );
        let quoted = "- name: \"DB_PASSWORD\"\r\n  value: \"Zq8vL2pR5wk3\"\r\n";
        assert_eq!(
            value_at(quoted, "PASSWORD").as_deref(),
            Some("Zq8vL2pR5wk3")
        );
        // A reference, another key, or a value that is not on the next line.
        let from = "- name: API_TOKEN\n  valueFrom:\n    secretKeyRef: {name: x}\n";
        assert_eq!(value_at(from, "TOKEN"), None);
        let other = "- title: API_TOKEN\n  value: Zq8vL2pR5wk3J9x2\n";
        assert_eq!(value_at(other, "TOKEN"), None);
        let later = "- name: API_TOKEN\n  image: x\n  value: Zq8vL2pR5wk3J9x2\n";
        assert_eq!(value_at(later, "TOKEN"), None);
    }

    #[test]
    fn env_lines_and_encodings() {
        let text = b"export API_TOKEN=abc\nENV DB_PASSWORD xyz\nlower_token=abc\n";
        let form = |word: &str| {
            let at = memchr::memmem::find(text, word.as_bytes()).unwrap();
            parse_at(text, at..at + word.len(), Names::Credential).map(|a| a.form)
        };
        assert_eq!(form("TOKEN"), Some(Form::EnvLine));
        assert_eq!(form("PASSWORD"), Some(Form::EnvLine));
        assert_eq!(form("lower_token"), Some(Form::Other));
        let secret = b"kind: Secret\ndata:\n  password: aGVsbG8=\n";
        let at = memchr::memmem::find(secret, b"password").unwrap();
        let found = parse_at(secret, at..at + 8, Names::Credential).unwrap();
        assert_eq!(found.encoding, ValueEncoding::Base64Text);
        assert_eq!(
            decode_printable(&secret[found.value]).as_deref(),
            Some(&b"hello"[..])
        );
    }

    #[test]
    fn pgpass_fields() {
        let text = b"# comment:1:a:b:c\nhost:5432:db:user:pa\\:ss\r\n*:*:*:u:p2\nnot:a:pgpass\n";
        let found: Vec<&[u8]> = pgpass_passwords(text)
            .into_iter()
            .map(|r| &text[r])
            .collect();
        assert_eq!(found, vec![&b"pa\\:ss"[..], &b"p2"[..]]);
        assert!(is_pgpass_path("home/.pgpass"));
        assert!(!is_pgpass_path("pgpass.md"));
    }

    #[test]
    fn malformed_input_never_panics() {
        let texts: [&[u8]; 8] = [
            b"password",
            b"password=",
            b"<password>",
            b"\"password\"",
            b"password:\"",
            b"Authorization: Basic",
            b"password \\",
            b"\"password\",",
        ];
        for text in texts {
            for cut in 0..=text.len() {
                let part = &text[..cut];
                for start in 0..part.len() {
                    for end in start + 1..=part.len() {
                        let _ = parse_at(part, start..end, Names::Broad);
                    }
                }
                let _ = pgpass_passwords(part);
            }
        }
    }
}
