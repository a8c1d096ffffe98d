//! The scanner: compiles the rules once, then scans buffers.
//!
//! Per buffer: one prefilter pass collects keyword hits (→ windows per rule)
//! and encoded-content triggers (→ decode and recurse). Each rule's windows
//! are merged and its regex runs only there. Candidates are then validated
//! (entropy, placeholders, decoys, checksums), de-duplicated, located and
//! turned into redacted findings.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex_automata::PatternID;
use regex_automata::meta::{self, Regex};
use regex_automata::util::syntax;
use std::sync::OnceLock;

use crate::assignment::{
    self, Assignment, Form, Names, ValueEncoding, decode_printable, is_pgpass_path,
    pgpass_passwords,
};
use crate::catalogue::{BUILTIN_RULES, Check, Matcher, remediation};
use crate::checks::{CheckOutcome, run_check, uuid_digits_look_random};
use crate::config::{ConfigError, CustomRuleConfig, ScannerConfig};
use crate::decode::{Encoding, decode_around};
use crate::decoys::{is_non_secret_provider_value, is_non_secret_value, is_placeholder};
use crate::entropy::shannon_entropy;
use crate::locate::{LineIndex, PositionMemo};
use crate::prefilter::{Hit, Prefilter, RuleKeywords};
use crate::private_key::parse_block;
use crate::redact::{credential_shaped, fingerprint, redact};
use crate::suppress::{Allowlist, INLINE_ALLOW_MARKERS};
use crate::{FileScan, Finding, Region, RuleDescriptor, Severity, Suppressed, SuppressionReason};

/// Bytes of context kept before (custom rules; built-in rules say how much
/// they need) and after a keyword hit. Every secret must start in the window
/// around its keyword; the longest built-in formats (Sentry, Grafana Cloud)
/// reach about 410 characters past it, and a window that ends inside a token
/// is extended to the token's end (see `past_token`).
const WINDOW_BEFORE: usize = 256;
const WINDOW_AFTER: usize = 512;
/// How far a window may be extended to reach the end of a token it would
/// cut: JFrog access tokens, for one, are JWTs of 700 to 1,000 characters.
const WINDOW_EXTENSION: usize = 4096;
/// Longest value a generic assignment reports; longer ones are data.
const GENERIC_MAX_VALUE: usize = 256;
/// Bytes examined for NUL when deciding whether a file is binary (as git).
const BINARY_SNIFF_BYTES: usize = 8000;
/// Compiled-program limits, so a user regex cannot exhaust memory.
const REGEX_SIZE_LIMIT: usize = 2 << 20;

const AWS_KEY_ID: &str = "secrets/aws-access-key-id";
/// The generic rules: `dotenv-assignment` reports unquoted environment
/// lines, `generic-assignment` every other assignment form.
const GENERIC_RULE: &str = "secrets/generic-assignment";
const DOTENV_RULE: &str = "secrets/dotenv-assignment";
const AWS_SECRET_KEY: &str = "secrets/aws-secret-access-key";

/// A configured, compiled secret scanner. Build once, scan many files; it
/// holds no per-scan state, so one scanner can be shared.
pub struct Scanner {
    rules: Vec<CompiledRule>,
    prefilter: Prefilter,
    allowlist: Allowlist,
    inline_allow: bool,
    max_decode_depth: u8,
    generic_min_entropy: f64,
}

struct CompiledRule {
    descriptor: RuleDescriptor,
    matcher: CompiledMatcher,
    keywords: Vec<String>,
    keywords_ignore_case: bool,
    min_entropy: f64,
    check: Check,
    yields: bool,
    generic: bool,
    /// Ids of rules whose candidates on overlapping bytes this rule's
    /// candidates replace.
    overrides: Vec<&'static str>,
    /// The regex anchors at line starts (`(?m)^`), so its windows begin at
    /// a line start.
    line_anchored: bool,
    /// Bytes of context before a keyword hit that the regex may need
    /// (regex rules only, as is `window_after`).
    window_before: usize,
    /// Bytes after a keyword hit that a match may reach.
    window_after: usize,
    /// For a keyword-anchored regex (`NAME OPERATOR VALUE`): its name and
    /// value patterns, so the same pair is found in every syntax the
    /// assignment grammar knows, not only the one the regex spells out.
    anchored: Option<AnchoredAssignment>,
}

/// A keyword-anchored rule's regex split at its operator group.
struct AnchoredAssignment {
    /// Searched for in the assignment's name.
    name: LazyRegex,
    /// Must match the whole value.
    value: LazyRegex,
}

/// The operator group of keyword-anchored regexes.
const ASSIGNMENT_OPERATORS: &str = "(?::=|=>|=|:)";

impl AnchoredAssignment {
    /// Splits `NAME ["']?\s* (?::=|=>|=|:) … (?P<secret>VALUE) …` into a
    /// name pattern and an anchored value pattern; `None` for any other
    /// regex.
    fn from_pattern(rule: &str, pattern: &str) -> Option<AnchoredAssignment> {
        let operator = pattern.find(ASSIGNMENT_OPERATORS)?;
        let mut name = &pattern[..operator];
        for suffix in [r"\s*", r#"["']?"#, r#"["'\]]?"#] {
            name = name.strip_suffix(suffix).unwrap_or(name);
        }
        let open = operator + pattern[operator..].find("(?P<secret>")?;
        let inner = open + "(?P<secret>".len();
        let bytes = pattern.as_bytes();
        let (mut depth, mut in_class, mut at) = (1usize, false, inner);
        while at < bytes.len() {
            match bytes[at] {
                b'\\' => at += 1,
                b'[' if !in_class => in_class = true,
                b']' if in_class => in_class = false,
                b'(' if !in_class => depth += 1,
                b')' if !in_class => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                _ => {}
            }
            at += 1;
        }
        if depth != 0 || name.is_empty() || at > bytes.len() {
            return None;
        }
        let value = format!("^(?:{})$", &pattern[inner..at]);
        Some(AnchoredAssignment {
            name: LazyRegex::new(rule, name),
            value: LazyRegex::new(rule, &value),
        })
    }
}

enum CompiledMatcher {
    /// Compiled on the rule's first keyword hit: most rules never fire in a
    /// given run, and building all of them up front dominated the start-up
    /// of a sandboxed scan (every run instantiates afresh).
    Regex(LazyRegex),
    PrivateKeyBlock,
    /// A generic rule: the assignment grammar parses the name around each
    /// keyword hit, and the rule reports the assignments of this form.
    Assignment(Form),
}

/// A regex and the capture group holding the secret (0 = whole match).
struct LazyRegex {
    rule: String,
    pattern: String,
    compiled: OnceLock<Option<(Regex, usize)>>,
}

impl LazyRegex {
    fn new(rule: &str, pattern: &str) -> Self {
        Self {
            rule: rule.to_string(),
            pattern: pattern.to_string(),
            compiled: OnceLock::new(),
        }
    }

    /// Compiles now; for user rules, so a bad pattern is a configuration
    /// error instead of a silent no-op.
    fn eager(rule: &str, pattern: &str, group: Option<usize>) -> Result<Self, ConfigError> {
        let regex = build_regex(rule, pattern)?;
        let lazy = Self::new(rule, pattern);
        let group = match group {
            // An explicit group (gitleaks' `secretGroup`) must exist.
            Some(group) if group < regex.group_info().group_len(PatternID::ZERO) => group,
            Some(group) => {
                return Err(ConfigError::InvalidSecretGroup {
                    rule: rule.to_string(),
                    group,
                });
            }
            None => secret_group(&regex),
        };
        let _ = lazy.compiled.set(Some((regex, group)));
        Ok(lazy)
    }

    /// `None` only if a built-in pattern failed to compile, which the
    /// catalogue tests rule out; the rule then matches nothing rather than
    /// aborting a scan.
    fn get(&self) -> Option<&(Regex, usize)> {
        self.compiled
            .get_or_init(|| {
                build_regex(&self.rule, &self.pattern).ok().map(|regex| {
                    let group = secret_group(&regex);
                    (regex, group)
                })
            })
            .as_ref()
    }
}

/// A match before it becomes a finding. Holds the raw secret, so it never
/// leaves this module.
struct Candidate {
    rule: usize,
    span: Range<usize>,
    secret: Vec<u8>,
    /// Decoders it was found through, outermost first.
    via: Vec<Encoding>,
    checksum: CheckOutcome,
    encrypted: bool,
}

/// How the lines of a scanned buffer are numbered.
enum LineNumbers<'a> {
    /// A whole file: line i of the buffer is line i + 1.
    File,
    /// Added lines joined with `\n`: line i of the buffer is `numbers[i]`.
    Given(&'a [u32]),
    /// The printable runs of a binary file: it has no lines, so every
    /// finding is on line 1 and the byte offset says where it is.
    Binary,
}

impl LineNumbers<'_> {
    fn of(&self, buffer_line: usize) -> u32 {
        match self {
            LineNumbers::File => u32::try_from(buffer_line + 1).unwrap_or(u32::MAX),
            LineNumbers::Given(numbers) => numbers[buffer_line],
            LineNumbers::Binary => 1,
        }
    }

    /// Whether buffer line `buffer_line - 1` is the line just above it.
    fn has_line_above(&self, buffer_line: usize) -> bool {
        match self {
            LineNumbers::File => buffer_line > 0,
            LineNumbers::Binary => false,
            LineNumbers::Given(numbers) => {
                buffer_line > 0
                    && numbers[buffer_line - 1].checked_add(1) == Some(numbers[buffer_line])
            }
        }
    }
}

impl Scanner {
    /// Compiles the built-in catalogue plus `config`. Every problem in the
    /// configuration is an error naming the offending entry.
    pub fn new(config: ScannerConfig) -> Result<Scanner, ConfigError> {
        Scanner::with_prefilter_image(config, None)
    }

    /// Like [`Scanner::new`], taking the keyword automaton from `image`
    /// (from [`Scanner::default_prefilter_image`]) when it was built for
    /// the same keywords, as it is unless custom or disabled rules change
    /// them. This saves building the automaton, the costliest part of
    /// setting up a scanner.
    pub fn with_prefilter_image(
        config: ScannerConfig,
        image: Option<&'static [u8]>,
    ) -> Result<Scanner, ConfigError> {
        if !(0.0..=8.0).contains(&config.generic_min_entropy) {
            return Err(ConfigError::InvalidGenericEntropy);
        }
        let mut rules: Vec<CompiledRule> = BUILTIN_RULES
            .iter()
            .map(compile_builtin)
            .collect::<Result<_, _>>()?;
        for custom in &config.rules {
            let compiled = compile_custom(custom)?;
            if rules
                .iter()
                .any(|r| r.descriptor.id == compiled.descriptor.id)
            {
                return Err(ConfigError::DuplicateRule(compiled.descriptor.id));
            }
            rules.push(compiled);
        }
        for disabled in &config.disabled_rules {
            let before = rules.len();
            rules.retain(|r| {
                r.descriptor.id != *disabled && r.descriptor.id != format!("secrets/{disabled}")
            });
            if rules.len() == before {
                return Err(ConfigError::UnknownRule(disabled.clone()));
            }
        }
        let keywords: Vec<RuleKeywords<'_>> = rules
            .iter()
            .enumerate()
            .map(|(rule, r)| RuleKeywords {
                rule,
                keywords: &r.keywords,
                ignore_case: r.keywords_ignore_case,
            })
            .collect();
        let prefilter = Prefilter::new(&keywords, config.max_decode_depth > 0, image)
            .map_err(ConfigError::Prefilter)?;
        let allowlist = Allowlist::new(
            &config.allow_paths,
            &config.allow_path_patterns,
            &config.allow_values,
        )?;
        Ok(Scanner {
            rules,
            prefilter,
            allowlist,
            inline_allow: config.inline_allow,
            max_decode_depth: config.max_decode_depth,
            generic_min_entropy: config.generic_min_entropy,
        })
    }

    /// The keyword automaton of the default configuration, serialised, for
    /// [`Scanner::with_prefilter_image`]. The `secrets` stage computes it
    /// at build time and embeds it.
    pub fn default_prefilter_image() -> Vec<u8> {
        Scanner::new(ScannerConfig::default())
            .map(|scanner| scanner.prefilter.image())
            .unwrap_or_default()
    }

    /// Whether the keyword automaton came from the image given to
    /// [`Scanner::with_prefilter_image`] (for tests and diagnostics).
    pub fn uses_prefilter_image(&self) -> bool {
        self.prefilter.uses_image()
    }

    /// Whether every transition of the keyword automaton stays inside its
    /// table. An image is used without reading all of it on every run, so
    /// the tests check the embedded one with this.
    pub fn prefilter_transitions_in_range(&self) -> bool {
        self.prefilter.transitions_in_range()
    }

    /// The enabled rules (built-in and custom), for SARIF and `describe`.
    pub fn rules(&self) -> Vec<RuleDescriptor> {
        self.rules.iter().map(|r| r.descriptor.clone()).collect()
    }

    /// Scans one file's content. `path` is only used for reporting,
    /// fingerprints and `allow-paths`; the scanner never opens files.
    /// Binary content is scanned as its printable runs, as `strings` would
    /// see it (credentials sit in `.p12` bundles, compiled configs and
    /// sqlite files too); UTF-16 text comes back with `skipped` set.
    pub fn scan_file(&self, path: &str, bytes: &[u8]) -> FileScan {
        match content_kind(bytes) {
            ContentKind::Text => {
                let mut candidates = self.scan_buffer(bytes, 0);
                self.pgpass_candidates(path, bytes, &mut candidates);
                self.report(path, bytes, candidates, LineNumbers::File)
            }
            ContentKind::Binary => {
                let runs = printable_runs(bytes);
                let candidates = self.scan_buffer(&runs, 0);
                self.report(path, &runs, candidates, LineNumbers::Binary)
            }
            ContentKind::Unscannable(reason) => FileScan {
                path: path.to_string(),
                skipped: Some(reason),
                ..FileScan::default()
            },
        }
    }

    /// Scans lines added by a commit: `(line number in the new file, text
    /// without newline)`. Consecutive lines are scanned together, so
    /// multi-line keys are found; findings carry the given line numbers and
    /// no byte offset.
    pub fn scan_lines(&self, path: &str, lines: &[(u32, &str)]) -> FileScan {
        let mut buffer = Vec::with_capacity(lines.iter().map(|(_, text)| text.len() + 1).sum());
        let mut numbers = Vec::with_capacity(lines.len());
        for (index, (number, text)) in lines.iter().enumerate() {
            if index > 0 {
                buffer.push(b'\n');
            }
            // A newline inside a "line" would shift every later line number;
            // it becomes a space so positions stay exact.
            buffer.extend(text.bytes().map(|b| if b == b'\n' { b' ' } else { b }));
            numbers.push(*number);
        }
        if numbers.is_empty() {
            return FileScan {
                path: path.to_string(),
                ..FileScan::default()
            };
        }
        let mut candidates = self.scan_buffer(&buffer, 0);
        self.pgpass_candidates(path, &buffer, &mut candidates);
        self.report(path, &buffer, candidates, LineNumbers::Given(&numbers))
    }

    /// All validated candidates in `buffer`, sorted by position; `depth` is
    /// the number of decoders already applied.
    fn scan_buffer(&self, buffer: &[u8], depth: u8) -> Vec<Candidate> {
        // Hits arrive in order of their end, so each rule's windows can be
        // merged as they come (no sort): a new window either overlaps the
        // last one or starts after it.
        let mut windows: Vec<Vec<Range<usize>>> = vec![Vec::new(); self.rules.len()];
        let mut decoded: Vec<Candidate> = Vec::new();
        let mut decoded_until = [0usize; Encoding::ALL.len()];
        let mut anchor_hits: Vec<(usize, Range<usize>)> = Vec::new();
        self.prefilter.for_each_hit(buffer, |hit| match hit {
            Hit::Keyword { rule, range } => {
                if self.rules[rule].anchored.is_some() {
                    anchor_hits.push((rule, range.clone()));
                }
                let window = match self.rules[rule].matcher {
                    CompiledMatcher::PrivateKeyBlock | CompiledMatcher::Assignment(_) => range,
                    CompiledMatcher::Regex(_) => {
                        let compiled = &self.rules[rule];
                        let mut start = range.start.saturating_sub(compiled.window_before);
                        if compiled.line_anchored {
                            start = line_start_near(buffer, start);
                        }
                        start..past_token(buffer, range.end + compiled.window_after)
                    }
                };
                match windows[rule].last_mut() {
                    Some(last) if window.start <= last.end => {
                        last.start = last.start.min(window.start);
                        last.end = last.end.max(window.end);
                    }
                    _ => windows[rule].push(window),
                }
            }
            Hit::Encoded { trigger, range } => {
                let slot = trigger.encoding.index();
                if depth >= self.max_decode_depth || range.start < decoded_until[slot] {
                    return;
                }
                let run = decode_around(buffer, range, trigger);
                decoded_until[slot] = run.span.end;
                let Some(bytes) = run.bytes else { return };
                for mut inner in self.scan_buffer(&bytes, depth + 1) {
                    inner.span = run.span.clone();
                    inner.via.insert(0, trigger.encoding);
                    decoded.push(inner);
                }
            }
        });

        let mut candidates = Vec::new();
        for (rule, rule_windows) in windows.into_iter().enumerate() {
            for window in rule_windows {
                self.match_window(buffer, rule, window, &anchor_hits, &mut candidates);
            }
        }
        for (rule, hit) in anchor_hits {
            self.match_anchored(buffer, rule, hit, &mut candidates);
        }
        candidates.extend(decoded);
        self.resolve_overlaps(candidates)
    }

    /// Runs one rule's matcher in a merged window and keeps the candidates
    /// that pass validation.
    /// `anchor_hits` are the keyword hits of keyword-anchored provider
    /// rules in `buffer`, in order of their end.
    fn match_window(
        &self,
        buffer: &[u8],
        rule_index: usize,
        window: Range<usize>,
        anchor_hits: &[(usize, Range<usize>)],
        out: &mut Vec<Candidate>,
    ) {
        let rule = &self.rules[rule_index];
        match &rule.matcher {
            CompiledMatcher::Regex(lazy) => {
                let Some((regex, secret_group)) = lazy.get() else {
                    return;
                };
                // A window usually starts mid-line, where `^` and `\b` would
                // wrongly see a boundary; matches starting exactly there are
                // artifacts (real ones start near the keyword, well inside).
                let false_boundary = window.start > 0 && buffer[window.start - 1] != b'\n';
                let haystack = &buffer[window.clone()];
                for captures in regex.captures_iter(haystack) {
                    if false_boundary
                        && captures.get_match().is_some_and(|whole| whole.start() == 0)
                    {
                        continue;
                    }
                    let Some(secret) = captures
                        .get_group(*secret_group)
                        .or_else(|| captures.get_group(0))
                    else {
                        continue;
                    };
                    let span = window.start + secret.start..window.start + secret.end;
                    self.push_if_valid(rule_index, span, &haystack[secret.range()], out);
                }
            }
            CompiledMatcher::Assignment(form) => {
                if let Some(found) = assignment::parse_at(buffer, window, Names::Credential)
                    && found.form == *form
                {
                    // A provider's name, an API key name beside an MD5- or
                    // SHA-1-length hex value or a random-looking UUID, or a
                    // secret's name beside hex up to SHA-256's length, says
                    // the value is a key and not a digest or an id (see
                    // `is_api_key_name`, `is_secret_name`).
                    let name = &buffer[found.name.clone()];
                    let value = &buffer[found.value.clone()];
                    let provider_named = names_a_provider(&found.name, anchor_hits)
                        || (assignment::is_api_key_name(name) && is_key_length_hex(value))
                        || ((assignment::is_api_key_name_ending_in_key(name)
                            || assignment::is_authorization_name(name))
                            && value.len() == 36
                            && uuid_digits_look_random(value))
                        || (assignment::is_secret_name(name) && is_secret_length_hex(value));
                    self.push_assignment(rule_index, buffer, &found, provider_named, out);
                }
            }
            CompiledMatcher::PrivateKeyBlock => {
                for begin in memchr::memmem::find_iter(&buffer[window.clone()], b"-----BEGIN ") {
                    if let Some(block) = parse_block(buffer, window.start + begin) {
                        out.push(Candidate {
                            rule: rule_index,
                            span: block.span,
                            secret: block.body,
                            via: Vec::new(),
                            checksum: CheckOutcome::NotApplicable,
                            encrypted: block.encrypted,
                        });
                    }
                }
            }
        }
    }

    /// A keyword-anchored rule's name and value in any assignment syntax:
    /// the grammar finds the assignment at the keyword, the rule's patterns
    /// decide. Where the rule's own regex also matched, the two candidates
    /// are one and are merged when overlaps are resolved.
    fn match_anchored(
        &self,
        buffer: &[u8],
        rule_index: usize,
        hit: Range<usize>,
        out: &mut Vec<Candidate>,
    ) {
        let Some(anchored) = &self.rules[rule_index].anchored else {
            return;
        };
        let Some(found) = assignment::parse_at(buffer, hit, Names::Any) else {
            return;
        };
        if found.encoding != ValueEncoding::Plain {
            return;
        }
        let (Some((name, _)), Some((value, _))) = (anchored.name.get(), anchored.value.get())
        else {
            return;
        };
        let value_bytes = &buffer[found.value.clone()];
        if name.is_match(&buffer[found.name.clone()]) && value.is_match(value_bytes) {
            self.push_if_valid(rule_index, found.value.clone(), value_bytes, out);
        }
    }

    /// Validation, cheapest test first: dense files produce many
    /// candidates and most fail here.
    fn push_if_valid(
        &self,
        rule_index: usize,
        span: Range<usize>,
        secret: &[u8],
        out: &mut Vec<Candidate>,
    ) {
        self.push_if_valid_via(rule_index, span, secret, Vec::new(), false, out);
    }

    /// An assignment's value as a candidate: decoded first where its form
    /// says the value is base64 (a Kubernetes `data:` value is checked as
    /// the text it holds), and a `user:password` pair must decode as one.
    /// `provider_named`: the name holds a provider rule's keyword
    /// (`HEROKU_SECRET`), so a hash- or UUID-shaped value is that provider's
    /// credential, not a digest or an id.
    fn push_assignment(
        &self,
        rule_index: usize,
        buffer: &[u8],
        found: &Assignment,
        provider_named: bool,
        out: &mut Vec<Candidate>,
    ) {
        let value = &buffer[found.value.clone()];
        let span = found.value.clone();
        match found.encoding {
            ValueEncoding::Plain => {
                self.push_if_valid_via(rule_index, span, value, Vec::new(), provider_named, out)
            }
            ValueEncoding::Base64Text => match decode_printable(value) {
                Some(decoded) => self.push_if_valid_via(
                    rule_index,
                    span,
                    &decoded,
                    vec![Encoding::Base64],
                    provider_named,
                    out,
                ),
                None => {
                    self.push_if_valid_via(rule_index, span, value, Vec::new(), provider_named, out)
                }
            },
            ValueEncoding::Base64Pair => {
                let Some(decoded) = decode_printable(value) else {
                    return;
                };
                let Some(colon) = memchr::memchr(b':', &decoded) else {
                    return;
                };
                let password = &decoded[colon + 1..];
                if colon == 0 || password.is_empty() || is_placeholder(password) {
                    return;
                }
                self.push_if_valid(rule_index, found.value.clone(), value, out);
            }
        }
    }

    /// The password fields of a `.pgpass` file, reported by the generic
    /// rule (the format has no names for keywords to find).
    fn pgpass_candidates(&self, path: &str, buffer: &[u8], candidates: &mut Vec<Candidate>) {
        if !is_pgpass_path(path) {
            return;
        }
        let Some(rule) = self
            .rules
            .iter()
            .position(|r| r.descriptor.id == GENERIC_RULE)
        else {
            return;
        };
        let before = candidates.len();
        for field in pgpass_passwords(buffer) {
            self.push_if_valid(rule, field.clone(), &buffer[field], candidates);
        }
        if candidates.len() > before {
            let all = std::mem::take(candidates);
            *candidates = self.resolve_overlaps(all);
        }
    }

    /// `provider_named` (generic rules only): keep hash- and UUID-shaped
    /// values, which a generic name alone would drop.
    fn push_if_valid_via(
        &self,
        rule_index: usize,
        span: Range<usize>,
        secret: &[u8],
        via: Vec<Encoding>,
        provider_named: bool,
        out: &mut Vec<Candidate>,
    ) {
        let rule = &self.rules[rule_index];
        // Generic regexes leave the value's length open (a bounded
        // repetition makes their automata much larger and slower).
        if secret.is_empty() || (rule.generic && secret.len() > GENERIC_MAX_VALUE) {
            return;
        }
        let min_entropy = if rule.generic {
            self.generic_min_entropy
        } else {
            rule.min_entropy
        };
        if shannon_entropy(secret) < min_entropy
            || is_placeholder(secret)
            || (rule.generic && !provider_named && is_non_secret_value(secret))
            || (rule.generic && provider_named && is_non_secret_provider_value(secret))
        {
            return;
        }
        // A look-alike with a bad checksum is kept until overlaps are
        // resolved, so that generic rules yield to it too; then dropped.
        let mut checksum = run_check(rule.check, secret);
        // A UUID's version and variant digits tell a generated id from a
        // hand-typed one; a keyword-anchored rule's name already says whose
        // credential it is, so there any UUID with random-looking digits
        // counts (providers document "a UUID", not its version).
        if checksum == CheckOutcome::Invalid
            && rule.check == Check::Uuid
            && rule.anchored.is_some()
            && uuid_digits_look_random(secret)
        {
            checksum = CheckOutcome::Valid;
        }
        out.push(Candidate {
            rule: rule_index,
            span,
            secret: secret.to_vec(),
            via,
            checksum,
            encrypted: false,
        });
    }

    /// Context rules yield to shape rules on overlapping bytes (even to a
    /// look-alike with a bad checksum, which is then dropped), and one
    /// secret seen several ways at one place (as plain text and through a
    /// decoder, or through two decoders) is reported once: the way with the
    /// fewest decoders, then the tightest span.
    fn resolve_overlaps(&self, mut candidates: Vec<Candidate>) -> Vec<Candidate> {
        let overlaps = |a: &Range<usize>, b: &Range<usize>| a.start < b.end && b.start < a.end;
        candidates.sort_by_key(|c| (c.via.len(), c.span.len(), c.span.start));
        // Kept spans of one (rule, secret) never overlap each other, so the
        // neighbours by start are the only ones that can overlap a new span.
        let mut seen: HashMap<(usize, &[u8]), BTreeMap<usize, usize>> = HashMap::new();
        let mut keep = vec![false; candidates.len()];
        for (index, candidate) in candidates.iter().enumerate() {
            let kept = seen
                .entry((candidate.rule, candidate.secret.as_slice()))
                .or_default();
            let span = &candidate.span;
            let before = kept.range(..=span.start).next_back();
            let after = kept.range(span.start..).next();
            let clash = before
                .into_iter()
                .chain(after)
                .any(|(&start, &end)| overlaps(&(start..end), span));
            if !clash {
                kept.insert(span.start, span.end);
                keep[index] = true;
            }
        }
        drop(seen);
        let mut unique: Vec<Candidate> = candidates
            .into_iter()
            .zip(keep)
            .filter_map(|(c, keep)| keep.then_some(c))
            .collect();
        unique.sort_by_key(|c| (c.span.start, c.span.end, c.rule));

        // Sorted by start, so "does any shape-rule span overlap [s, e)" is a
        // binary search plus a running maximum of ends: O(k log k) even for
        // files with thousands of candidates.
        let specific: Vec<Range<usize>> = unique
            .iter()
            .filter(|c| !self.rules[c.rule].yields)
            .map(|c| c.span.clone())
            .collect();
        let specific_max_end: Vec<usize> = specific
            .iter()
            .scan(0, |max_end, span| {
                *max_end = span.end.max(*max_end);
                Some(*max_end)
            })
            .collect();
        unique.retain(|candidate| {
            let span = &candidate.span;
            let before_end = specific.partition_point(|other| other.start < span.end);
            let yields = self.rules[candidate.rule].yields
                && before_end > 0
                && specific_max_end[before_end - 1] > span.start;
            !yields
        });
        // A more specific reading of the same bytes replaces the rules it
        // names (few rules name any, so this is usually skipped).
        let overriding: Vec<(Range<usize>, &[&str])> = unique
            .iter()
            .filter(|c| !self.rules[c.rule].overrides.is_empty())
            .filter(|c| c.checksum != CheckOutcome::Invalid)
            .map(|c| (c.span.clone(), self.rules[c.rule].overrides.as_slice()))
            .collect();
        if !overriding.is_empty() {
            unique.retain(|candidate| {
                let id = self.rules[candidate.rule].descriptor.id.as_str();
                !overriding
                    .iter()
                    .any(|(span, ids)| overlaps(span, &candidate.span) && ids.contains(&id))
            });
        }
        unique.retain(|candidate| candidate.checksum != CheckOutcome::Invalid);
        unique
    }

    /// Locates, redacts, pairs and suppresses candidates.
    fn report(
        &self,
        path: &str,
        buffer: &[u8],
        candidates: Vec<Candidate>,
        numbering: LineNumbers<'_>,
    ) -> FileScan {
        let mut scan = FileScan {
            path: path.to_string(),
            bytes_scanned: buffer.len() as u64,
            ..FileScan::default()
        };
        if candidates.is_empty() {
            return scan;
        }
        let index = LineIndex::new(buffer);
        // (line, marker) of every inline allow comment, sorted by line.
        let mut allow_lines: Vec<(usize, &'static str)> = Vec::new();
        if self.inline_allow {
            for marker in INLINE_ALLOW_MARKERS {
                allow_lines.extend(
                    memchr::memmem::find_iter(buffer, marker.as_bytes())
                        .map(|at| (index.line_of(at), *marker)),
                );
            }
            allow_lines.sort_unstable();
        }
        let path_reason = self.allowlist.path_reason(path);
        let fingerprints: Vec<String> = candidates
            .iter()
            .map(|c| fingerprint(&self.rules[c.rule].descriptor.id, path, &c.secret))
            .collect();
        let pairs = aws_pairs(&self.rules, &candidates);
        let redactions: Vec<String> = candidates.iter().map(|c| redact(&c.secret)).collect();
        let snippets = Snippets::new(&candidates, &redactions);

        let (mut start_memo, mut end_memo) = (PositionMemo::default(), PositionMemo::default());
        for (position, candidate) in candidates.iter().enumerate() {
            let rule = &self.rules[candidate.rule];
            let (start_line, start_column) =
                index.position(buffer, candidate.span.start, &mut start_memo);
            let (end_line, end_column) = index.position(buffer, candidate.span.end, &mut end_memo);
            let region = Region {
                start_line: numbering.of(start_line),
                start_column,
                end_line: numbering.of(end_line),
                end_column,
            };
            let redacted = &redactions[position];
            let mut severity = rule.descriptor.default_severity;
            let mut message = format!("{}: {redacted}", rule.descriptor.short_description);
            let mut properties = Vec::new();
            if candidate.checksum == CheckOutcome::Valid {
                properties.push(("checksum".to_string(), "valid".to_string()));
            }
            if candidate.encrypted {
                properties.push(("encrypted".to_string(), "true".to_string()));
                message.push_str(" (passphrase-encrypted)");
            }
            properties.push((
                "entropy".to_string(),
                format!("{:.2}", shannon_entropy(&candidate.secret)),
            ));
            let decoded_via = (!candidate.via.is_empty()).then(|| {
                candidate
                    .via
                    .iter()
                    .map(|e| e.name())
                    .collect::<Vec<_>>()
                    .join(">")
            });
            if let Some(via) = &decoded_via {
                message.push_str(&format!(" (inside {via}-encoded text)"));
            }
            if let Some(partner) = pairs[position] {
                severity = Severity::Critical;
                let partner_line = numbering.of(index.line_of(candidates[partner].span.start));
                message.push_str(&format!(
                    " (paired with the {} on line {partner_line})",
                    self.rules[candidates[partner].rule]
                        .descriptor
                        .short_description
                ));
                properties.push(("paired-with".to_string(), fingerprints[partner].clone()));
            }
            let finding = Finding {
                rule_id: rule.descriptor.id.clone(),
                severity,
                message,
                path: path.to_string(),
                region,
                byte_offset: match numbering {
                    LineNumbers::File | LineNumbers::Binary => Some(candidate.span.start as u64),
                    LineNumbers::Given(_) => None,
                },
                snippet: snippets.snippet(buffer, &index, start_line, &candidate.span),
                redacted: redactions[position].clone(),
                fingerprint: fingerprints[position].clone(),
                decoded_via,
                properties,
            };
            let on_line = |line: usize| {
                let at = allow_lines.partition_point(|(other, _)| *other < line);
                allow_lines
                    .get(at)
                    .filter(|(other, _)| *other == line)
                    .map(|(_, marker)| (line, *marker))
            };
            let inline = on_line(start_line).or_else(|| {
                (start_line > 0 && numbering.has_line_above(start_line))
                    .then(|| on_line(start_line - 1))
                    .flatten()
            });
            let reason = inline
                .map(|(line, marker)| SuppressionReason::InlineAllow {
                    line: numbering.of(line),
                    marker: marker.to_string(),
                })
                .or_else(|| path_reason.clone())
                .or_else(|| self.allowlist.value_reason(&candidate.secret));
            match reason {
                Some(reason) => scan.suppressed.push(Suppressed { finding, reason }),
                None => scan.findings.push(finding),
            }
        }
        scan
    }
}

/// Longest snippet shown, in characters; longer lines (minified files) are
/// cut around the finding, and the cut is marked with `…`.
const SNIPPET_MAX_CHARS: usize = 160;
/// Bytes examined on each side of a finding for its snippet (enough for
/// `SNIPPET_MAX_CHARS` of multi-byte text).
const SNIPPET_CONTEXT_BYTES: usize = 4 * SNIPPET_MAX_CHARS;

/// Builds redacted context lines: the finding's line with *every*
/// candidate on it replaced by its redacted form, and every other
/// occurrence of any secret of the buffer too (the same value may sit
/// elsewhere on the line where no rule matched it), so a snippet never shows
/// a secret or an encoded run that would decode to one.
struct Snippets<'a> {
    spans: Vec<&'a Range<usize>>,
    /// Running maximum of span ends, to find spans that start on an
    /// earlier line but reach into this one.
    max_end: Vec<usize>,
    redactions: &'a [String],
    secrets: SecretSearch<'a>,
    longest_secret: usize,
    /// The credential-shaped ranges of the last line a snippet was built
    /// for, sorted by start: found once per line, so a minified line with
    /// thousands of findings is searched once.
    shaped: RefCell<Option<ShapedLine>>,
}

/// Finds every occurrence of the buffer's distinct secrets; each comes with
/// the index of a candidate holding it (for its redacted form).
enum SecretSearch<'a> {
    /// Most files with findings hold one or two secrets: a substring search
    /// per secret costs far less to set up than an automaton (about 20 µs
    /// natively, built for every such file).
    Few(Vec<(memchr::memmem::Finder<'a>, usize)>),
    /// Many secrets (a dump, a minified bundle): one automaton pass, so a
    /// snippet costs the same however many secrets the file holds.
    Many(AhoCorasick, Vec<usize>),
    /// The automaton could not be built; snippets are then left out.
    Unavailable,
}

/// The credential-shaped ranges of one buffer line, sorted by start.
struct ShapedLine {
    line: usize,
    ranges: Vec<Range<usize>>,
    /// Length of the longest range.
    longest: usize,
}

/// What replaces a masked range of a snippet.
enum Mask {
    /// A candidate's secret (at its span or elsewhere): its redacted form.
    Candidate(usize),
    /// A credential-shaped value no candidate holds: its own redacted form.
    Other(String),
}

/// Up to this many distinct secrets are searched one by one.
const FEW_SECRETS: usize = 8;

impl SecretSearch<'_> {
    /// Occurrences in `haystack`, leftmost-longest and non-overlapping, as
    /// (range, owner); `None` when unavailable.
    fn find(&self, haystack: &[u8]) -> Option<Vec<(Range<usize>, usize)>> {
        match self {
            SecretSearch::Few(finders) => {
                let mut found: Vec<(Range<usize>, usize)> = finders
                    .iter()
                    .flat_map(|(finder, owner)| {
                        finder
                            .find_iter(haystack)
                            .map(move |at| (at..at + finder.needle().len(), *owner))
                    })
                    .collect();
                found.sort_by_key(|(range, _)| (range.start, std::cmp::Reverse(range.end)));
                let mut kept_until = 0;
                found.retain(|(range, _)| {
                    let keep = range.start >= kept_until;
                    if keep {
                        kept_until = range.end;
                    }
                    keep
                });
                Some(found)
            }
            SecretSearch::Many(automaton, owners) => Some(
                automaton
                    .find_iter(haystack)
                    .map(|found| (found.range(), owners[found.pattern().as_usize()]))
                    .collect(),
            ),
            SecretSearch::Unavailable => None,
        }
    }
}

impl<'a> Snippets<'a> {
    /// `candidates` must be sorted by start.
    fn new(candidates: &'a [Candidate], redactions: &'a [String]) -> Snippets<'a> {
        let spans: Vec<&Range<usize>> = candidates.iter().map(|c| &c.span).collect();
        let max_end = spans
            .iter()
            .scan(0, |max_end, span| {
                *max_end = span.end.max(*max_end);
                Some(*max_end)
            })
            .collect();
        let mut distinct: HashMap<&[u8], usize> = HashMap::new();
        for (index, candidate) in candidates.iter().enumerate() {
            distinct.entry(candidate.secret.as_slice()).or_insert(index);
        }
        let (patterns, owners): (Vec<&[u8]>, Vec<usize>) = distinct.into_iter().unzip();
        let longest_secret = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        let secrets = if patterns.len() <= FEW_SECRETS {
            let finders = patterns.into_iter().map(memchr::memmem::Finder::new);
            SecretSearch::Few(finders.zip(owners).collect())
        } else {
            // Searched only in short snippet windows: the cheapest automaton
            // to build wins.
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .kind(Some(AhoCorasickKind::NoncontiguousNFA))
                .build(&patterns)
                .map_or(SecretSearch::Unavailable, |automaton| {
                    SecretSearch::Many(automaton, owners)
                })
        };
        Snippets {
            spans,
            max_end,
            redactions,
            secrets,
            longest_secret,
            shaped: RefCell::new(None),
        }
    }

    /// The credential-shaped ranges of buffer line `line` that reach into
    /// `window`.
    fn shaped_in(
        &self,
        buffer: &[u8],
        line_start: usize,
        line: usize,
        window: &Range<usize>,
    ) -> Vec<Range<usize>> {
        let mut cache = self.shaped.borrow_mut();
        if cache.as_ref().is_none_or(|cached| cached.line != line) {
            let line_end = memchr::memchr(b'\n', &buffer[line_start..])
                .map_or(buffer.len(), |n| line_start + n);
            let mut ranges = credential_shaped(buffer, line_start..line_end);
            ranges.sort_by_key(|r| r.start);
            let longest = ranges.iter().map(|r| r.len()).max().unwrap_or(0);
            *cache = Some(ShapedLine {
                line,
                ranges,
                longest,
            });
        }
        let Some(ShapedLine {
            ranges, longest, ..
        }) = cache.as_ref()
        else {
            return Vec::new();
        };
        // No range is longer than `longest`, so those reaching into the
        // window start at most that far before it.
        let from = ranges.partition_point(|r| r.start + longest < window.start);
        ranges[from..]
            .iter()
            .take_while(|r| r.start < window.end)
            .filter(|r| r.end > window.start)
            .cloned()
            .collect()
    }

    /// The redacted context of the candidate spanning `focus` on buffer
    /// line `line`. Only a bounded window around the focus is examined, so
    /// a minified line with thousands of findings stays linear. `None` if
    /// the masks could not be computed (the snippet is then left out rather
    /// than risk showing a secret).
    fn snippet(
        &self,
        buffer: &[u8],
        index: &LineIndex,
        line: usize,
        focus: &Range<usize>,
    ) -> Option<String> {
        // Only look for the end of the line as far as the window reaches:
        // on a minified line, scanning to the real end for every finding
        // would be quadratic.
        let line_start = index.line_start(line);
        let focus_end = focus.end.max(focus.start);
        let reach = buffer.len().min(focus_end + SNIPPET_CONTEXT_BYTES);
        let (line_end, line_goes_on) = match memchr::memchr(b'\n', &buffer[focus.start..reach]) {
            Some(n) => (focus.start + n, false),
            None => (reach, reach < buffer.len() && buffer[reach] != b'\n'),
        };
        let mut window_start = line_start.max(focus.start.saturating_sub(SNIPPET_CONTEXT_BYTES));
        while window_start > line_start
            && window_start < focus.start
            && buffer[window_start] & 0xC0 == 0x80
        {
            window_start += 1;
        }
        // Back off to a character boundary rather than cut one in half.
        let mut window_end = line_end;
        while window_end > focus_end
            && window_end < buffer.len()
            && buffer[window_end] & 0xC0 == 0x80
        {
            window_end -= 1;
        }

        // Masks: (range, index of the candidate whose redaction replaces it).
        let mut masks: Vec<(Range<usize>, Mask)> = Vec::new();
        let mut i = self.spans.partition_point(|span| span.start < window_end);
        while i > 0 && self.max_end[i - 1] > window_start {
            i -= 1;
            if self.spans[i].end > window_start {
                masks.push((self.spans[i].clone(), Mask::Candidate(i)));
            }
        }
        // Search a little beyond the window so that an occurrence cut by
        // the window edge is still masked.
        let search = window_start.saturating_sub(self.longest_secret)
            ..buffer.len().min(window_end + self.longest_secret);
        for (found, owner) in self.secrets.find(&buffer[search.clone()])? {
            let range = search.start + found.start..search.start + found.end;
            if range.end > window_start && range.start < window_end {
                masks.push((range, Mask::Candidate(owner)));
            }
        }
        // Values no rule reported (too weak, or under a name such as `key`)
        // may still be credentials: mask every credential-shaped value the
        // others leave uncovered.
        let covered: Vec<Range<usize>> = masks.iter().map(|(range, _)| range.clone()).collect();
        for range in self.shaped_in(buffer, line_start, line, &(window_start..window_end)) {
            let overlaps = covered
                .iter()
                .any(|other| other.start < range.end && range.start < other.end);
            if !overlaps {
                let redacted = redact(&buffer[range.clone()]);
                masks.push((range, Mask::Other(redacted)));
            }
        }
        let is_focus =
            |mask: &Mask| matches!(mask, Mask::Candidate(owner) if self.spans[*owner] == focus);
        // The finding's own span first among equal starts, so that the
        // focus is located even when another mask begins at the same byte.
        masks.sort_by_key(|(range, mask)| (range.start, !is_focus(mask)));

        let mut text = String::new();
        let mut cursor = window_start;
        let mut focus_chars = 0;
        for (range, mask) in &masks {
            let start = range.start.max(window_start);
            if start >= cursor {
                text.push_str(&String::from_utf8_lossy(&buffer[cursor..start]));
                if is_focus(mask) {
                    focus_chars = text.chars().count();
                }
                text.push_str(match mask {
                    Mask::Candidate(owner) => &self.redactions[*owner],
                    Mask::Other(redacted) => redacted,
                });
            }
            cursor = cursor.max(range.end.min(window_end));
        }
        if cursor < window_end {
            text.push_str(&String::from_utf8_lossy(&buffer[cursor..window_end]));
        }
        let text = text.trim_end_matches('\r');
        let total = text.chars().count();
        let skip = if total <= SNIPPET_MAX_CHARS {
            0
        } else {
            focus_chars.saturating_sub(SNIPPET_MAX_CHARS / 2)
        };
        let shown: String = text.chars().skip(skip).take(SNIPPET_MAX_CHARS).collect();
        let shown = shown.trim();
        if shown.is_empty() {
            return None;
        }
        let cut_before = if window_start > line_start || skip > 0 {
            "…"
        } else {
            ""
        };
        let cut_after = if line_goes_on || window_end < line_end || skip + SNIPPET_MAX_CHARS < total
        {
            "…"
        } else {
            ""
        };
        Some(format!("{cut_before}{shown}{cut_after}"))
    }
}

/// For each candidate, the index of the AWS credential it pairs with: every
/// secret access key pairs with the nearest access key id in the same
/// buffer, and that id with it. `candidates` is sorted by start.
fn aws_pairs(rules: &[CompiledRule], candidates: &[Candidate]) -> Vec<Option<usize>> {
    let mut pairs = vec![None; candidates.len()];
    let is = |c: &Candidate, id: &str| rules[c.rule].descriptor.id == id;
    let ids: Vec<usize> = (0..candidates.len())
        .filter(|&i| is(&candidates[i], AWS_KEY_ID))
        .collect();
    if ids.is_empty() {
        return pairs;
    }
    for (secret_index, secret) in candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| is(c, AWS_SECRET_KEY))
    {
        let at = secret.span.start;
        let after = ids.partition_point(|&i| candidates[i].span.start < at);
        let nearest = [after.checked_sub(1), (after < ids.len()).then_some(after)]
            .into_iter()
            .flatten()
            .map(|k| ids[k])
            .min_by_key(|&i| candidates[i].span.start.abs_diff(at));
        if let Some(id_index) = nearest {
            pairs[secret_index] = Some(id_index);
            pairs[id_index].get_or_insert(secret_index);
        }
    }
    pairs
}

/// How far back a line-anchored rule's window may be moved to reach the
/// start of its line.
const MAX_LINE_LOOKBACK: usize = 1024;

/// The start of the line containing `offset`, if it is at most
/// `MAX_LINE_LOOKBACK` bytes back; else `offset` itself.
/// True if one of `anchor_hits` (keyword hits of keyword-anchored provider
/// rules, in order of their end) lies inside `name`.
/// 32 or 40 hex digits: the lengths providers' hex API keys come in (and
/// MD5's and SHA-1's). Longer digests (SHA-256 and up) stay digests.
fn is_key_length_hex(value: &[u8]) -> bool {
    matches!(value.len(), 32 | 40) && value.iter().all(u8::is_ascii_hexdigit)
}

/// 32, 40 or 64 hex digits: the lengths OAuth client and signing secrets
/// come in when they are hex (and MD5's, SHA-1's and SHA-256's).
fn is_secret_length_hex(value: &[u8]) -> bool {
    matches!(value.len(), 32 | 40 | 64) && value.iter().all(u8::is_ascii_hexdigit)
}

fn names_a_provider(name: &Range<usize>, anchor_hits: &[(usize, Range<usize>)]) -> bool {
    let first = anchor_hits.partition_point(|(_, hit)| hit.end <= name.start);
    anchor_hits[first..]
        .iter()
        .take_while(|(_, hit)| hit.end <= name.end)
        .any(|(_, hit)| hit.start >= name.start)
}

fn line_start_near(buffer: &[u8], offset: usize) -> usize {
    let floor = offset.saturating_sub(MAX_LINE_LOOKBACK);
    match memchr::memrchr(b'\n', &buffer[floor..offset]) {
        Some(newline) => floor + newline + 1,
        None if floor == 0 => 0,
        None => offset,
    }
}

enum ContentKind {
    Text,
    /// A NUL byte near the start, as git decides.
    Binary,
    Unscannable(String),
}

fn content_kind(bytes: &[u8]) -> ContentKind {
    if bytes.starts_with(&[0xFF, 0xFE]) || bytes.starts_with(&[0xFE, 0xFF]) {
        return ContentKind::Unscannable(
            "UTF-16 text (byte-order mark) is not scanned".to_string(),
        );
    }
    let sniff = &bytes[..bytes.len().min(BINARY_SNIFF_BYTES)];
    match memchr::memchr(0, sniff) {
        Some(_) => ContentKind::Binary,
        None => ContentKind::Text,
    }
}

/// The file with every byte outside printable ASCII (and tab) turned into a
/// newline: the printable runs stay at their byte offsets, and no rule can
/// match across binary data.
fn printable_runs(bytes: &[u8]) -> Vec<u8> {
    bytes
        .iter()
        .map(|&b| {
            if b == b'\t' || (0x20..0x7f).contains(&b) {
                b
            } else {
                b'\n'
            }
        })
        .collect()
}

/// Rule regexes run only in short windows, and in a sandboxed run each is
/// compiled afresh: what costs more to build than it saves on such windows
/// is left out (the literal prefilter, the fully compiled DFA and the
/// one-pass DFA; captures come from the bounded backtracker instead). This
/// cut compile time by a third and the stage's time on the benchmark
/// corpus by ~15%.
/// `end` (clamped to the buffer), or, when it falls inside a token, the end
/// of that token, at most `WINDOW_EXTENSION` bytes further: a window must not
/// cut a long token (a JWT of several hundred characters after its
/// provider's name) short, or its rule would see only part of it.
fn past_token(buffer: &[u8], end: usize) -> usize {
    let is_token_byte =
        |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'_' | b'-' | b'.');
    if end >= buffer.len() {
        return buffer.len();
    }
    if end == 0 || !is_token_byte(buffer[end - 1]) {
        return end;
    }
    let limit = buffer.len().min(end + WINDOW_EXTENSION);
    buffer[end..limit]
        .iter()
        .position(|&b| !is_token_byte(b))
        .map_or(limit, |n| end + n)
}

fn build_regex(rule: &str, pattern: &str) -> Result<Regex, ConfigError> {
    let config = meta::Config::new()
        .nfa_size_limit(Some(REGEX_SIZE_LIMIT))
        .hybrid_cache_capacity(REGEX_SIZE_LIMIT)
        .dfa(false)
        .onepass(false)
        .auto_prefilter(false);
    meta::Builder::new()
        .configure(config)
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(pattern)
        .map_err(|error| ConfigError::InvalidRegex {
            rule: rule.to_string(),
            error: error.to_string(),
        })
}

/// The group named `secret`, else group 1, else the whole match.
fn secret_group(regex: &Regex) -> usize {
    let groups = regex.group_info();
    groups
        .to_index(PatternID::ZERO, "secret")
        .unwrap_or(if groups.group_len(PatternID::ZERO) > 1 {
            1
        } else {
            0
        })
}

fn compile_builtin(rule: &crate::catalogue::BuiltinRule) -> Result<CompiledRule, ConfigError> {
    let matcher = match rule.matcher {
        // Generic rules match through the assignment grammar; their regex
        // in the catalogue documents the core form only.
        Matcher::Regex(_) if rule.generic => {
            CompiledMatcher::Assignment(if rule.id == DOTENV_RULE {
                Form::EnvLine
            } else {
                Form::Other
            })
        }
        Matcher::Regex(pattern) => CompiledMatcher::Regex(LazyRegex::new(rule.id, pattern)),
        Matcher::PrivateKeyBlock => CompiledMatcher::PrivateKeyBlock,
    };
    Ok(CompiledRule {
        descriptor: rule.descriptor(),
        matcher,
        keywords: rule.keywords.iter().map(|k| k.to_string()).collect(),
        keywords_ignore_case: rule.keywords_ignore_case,
        min_entropy: rule.min_entropy,
        check: rule.check,
        yields: rule.yields,
        generic: rule.generic,
        overrides: rule.overrides.to_vec(),
        line_anchored: matches!(rule.matcher, Matcher::Regex(pattern) if pattern.contains("(?m)^")),
        // Generic rules parse from the keyword itself and use no window.
        window_before: rule.context_before,
        window_after: WINDOW_AFTER,
        anchored: match rule.matcher {
            Matcher::Regex(pattern) if !rule.generic => {
                AnchoredAssignment::from_pattern(rule.id, pattern)
            }
            _ => None,
        },
    })
}

fn compile_custom(custom: &CustomRuleConfig) -> Result<CompiledRule, ConfigError> {
    let id = if custom.id.starts_with("secrets/") {
        custom.id.clone()
    } else {
        format!("secrets/{}", custom.id)
    };
    let name = &id["secrets/".len()..];
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| matches!(b, b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'/'))
    {
        return Err(ConfigError::InvalidRuleId(custom.id.clone()));
    }
    if custom.keywords.is_empty() || custom.keywords.iter().any(|k| k.len() < 3) {
        return Err(ConfigError::MissingKeywords(id));
    }
    let min_entropy = custom.min_entropy.unwrap_or(0.0);
    if !(0.0..=8.0).contains(&min_entropy) {
        return Err(ConfigError::InvalidEntropy(id));
    }
    let matcher =
        CompiledMatcher::Regex(LazyRegex::eager(&id, &custom.regex, custom.secret_group)?);
    let anchored = AnchoredAssignment::from_pattern(&id, &custom.regex);
    let title = custom
        .description
        .clone()
        .unwrap_or_else(|| format!("Custom secret `{id}`"));
    Ok(CompiledRule {
        descriptor: RuleDescriptor {
            full_description: format!("{title}: user-defined rule matching `{}`.", custom.regex),
            short_description: title,
            help: remediation("the service's"),
            default_severity: custom.severity,
            id,
        },
        matcher,
        keywords: custom.keywords.clone(),
        keywords_ignore_case: true,
        min_entropy,
        check: Check::None,
        yields: false,
        generic: false,
        overrides: Vec::new(),
        line_anchored: custom.regex.contains("(?m)^"),
        window_before: WINDOW_BEFORE,
        window_after: WINDOW_AFTER,
        anchored,
    })
}

#[cfg(test)]
mod lazy_regex_tests {
    use super::*;
    use crate::catalogue::{BUILTIN_RULES, Matcher};

    /// The keyword-anchored rules split into name and value patterns that
    /// compile and keep the value's shape.
    #[test]
    fn anchored_rules_split_into_compiling_patterns() {
        let mut anchored = 0;
        for rule in BUILTIN_RULES {
            if let Matcher::Regex(pattern) = rule.matcher
                && !rule.generic
                && pattern.contains(ASSIGNMENT_OPERATORS)
            {
                let parts = AnchoredAssignment::from_pattern(rule.id, pattern)
                    .unwrap_or_else(|| panic!("{} does not split", rule.id));
                assert!(parts.name.get().is_some(), "{} name", rule.id);
                assert!(parts.value.get().is_some(), "{} value", rule.id);
                anchored += 1;
            }
        }
        assert!(anchored >= 4, "{anchored}");
        let parts = AnchoredAssignment::from_pattern(
            "t",
            r#"(?i:acme[_-]?key)["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[a-f0-9]{8}(?:-[a-f0-9]{4})?)\b"#,
        )
        .unwrap();
        assert_eq!(parts.name.pattern, "(?i:acme[_-]?key)");
        assert_eq!(parts.value.pattern, "^(?:[a-f0-9]{8}(?:-[a-f0-9]{4})?)$");
        assert!(AnchoredAssignment::from_pattern("t", r"\bghp_[A-Za-z0-9]{36}").is_none());
    }

    /// Built-in regexes compile on first use, so check them all here.
    #[test]
    fn every_builtin_pattern_compiles() {
        for rule in BUILTIN_RULES {
            if let Matcher::Regex(pattern) = rule.matcher {
                let lazy = LazyRegex::new(rule.id, pattern);
                assert!(lazy.get().is_some(), "{} does not compile", rule.id);
            }
        }
    }
}
