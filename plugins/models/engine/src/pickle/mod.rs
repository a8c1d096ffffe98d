//! Pickle analysis: a symbolic stack machine that follows the opcode stream
//! the way `pickle.Unpickler` would, without calling anything, so that every
//! imported callable is resolved — including names assembled on the stack or
//! fetched from the memo for `STACK_GLOBAL`.

mod joblib;
pub mod policy;

use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::rc::Rc;

use crate::Limits;
use crate::cursor::{Cursor, CursorError};
use crate::finding::{ModelFinding, Severity, printable};
use crate::rules;
use crate::source::ByteSource;
use joblib::{is_joblib_array_wrapper, joblib_array};
use policy::Verdict;

/// `torch.save`'s legacy (non-zip) format starts with this integer as its
/// own pickle, followed by four more pickles and raw storage bytes.
const TORCH_LEGACY_MAGIC: i128 = 0x1950a86a20f9469cfc6c;
const TORCH_LEGACY_STREAMS: usize = 5;
/// Bytes of a string value kept for name resolution; longer strings are
/// skipped (tensor payloads, docstrings) and kept as a truncated prefix.
const KEPT_STRING_BYTES: usize = 4096;
const MAX_TEXT_LINE: usize = 64 * 1024 * 1024;
/// Items kept per container for reading structure (joblib's array state).
const KEPT_ITEMS: usize = 32;
/// A value expanding to more objects than this, and to more than
/// [`BOMB_RATIO`] objects per byte of the stream, is an expansion bomb: no
/// real model shares references that densely.
const BOMB_MIN_WEIGHT: u64 = 1 << 20;
const BOMB_RATIO: u64 = 64;
/// Containment edges kept for cycle detection, and nodes visited per check.
const MAX_EDGES: usize = 1 << 20;
const MAX_CYCLE_VISITS: usize = 4096;
/// Nodes visited by cycle checks per stream, in total: a hostile stream
/// that re-inserts a deep structure millions of times cannot make the
/// checks quadratic.
const MAX_CYCLE_WORK: usize = 1 << 22;

/// What a pickle file contained, for the inventory.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct PickleSummary {
    /// Streams parsed (a legacy `torch.save` file has five).
    pub streams: usize,
    /// Every imported global as `module.name`, sorted.
    pub globals: Vec<String>,
    pub legacy_torch: bool,
    /// joblib array regions parsed past (raw bytes or nested pickles).
    pub joblib_arrays: usize,
    /// Frameworks recognised from allow-listed globals (`pytorch`, `numpy`, ...).
    pub frameworks: Vec<String>,
    /// Offset just past the last complete stream.
    pub consumed: u64,
}

/// A global as `find_class` would resolve it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct GlobalRef {
    module: String,
    name: String,
}

impl GlobalRef {
    fn dotted(&self) -> String {
        format!("{}.{}", self.module, self.name)
    }
}

#[derive(Debug, Clone)]
enum Value {
    Str(Rc<str>),
    Int(i128),
    Global(Rc<GlobalRef>),
    /// A container or an object built by a call: shared between the stack
    /// and the memo, so mutations (`APPENDS`, `SETITEMS`, `BUILD`) are seen
    /// through every reference, as they are by the loader.
    Node(Rc<Node>),
    Other,
}

impl Value {
    /// Objects the loader materialises for this value once every shared
    /// reference is expanded (what a memo/DUP bomb inflates).
    fn weight(&self) -> u64 {
        match self {
            Value::Node(node) => node.weight.get(),
            _ => 1,
        }
    }
}

#[derive(Debug)]
enum NodeKind {
    Tuple,
    List,
    Dict,
    Set,
    /// Result of calling something; remembers what, so a discarded call
    /// (`REDUCE` then `POP`) can be reported as such, and with which
    /// arguments (joblib's array wrapper needs the dtype's).
    Call {
        callable: Option<Rc<GlobalRef>>,
        args: Option<Value>,
    },
}

#[derive(Debug)]
struct Node {
    id: u64,
    kind: NodeKind,
    weight: Cell<u64>,
    /// Referenced a second time (fetched from the memo or duplicated):
    /// only such a node can end up inside its own contents.
    shared: Cell<bool>,
    /// The first [`KEPT_ITEMS`] items (dicts: key, value, key, value, ...;
    /// objects: their `BUILD` state).
    items: RefCell<Vec<Value>>,
}

/// Where and how one global was used, first occurrence wins the offset.
struct ImportRecord {
    offset: u64,
    via: &'static str,
    calls: Vec<&'static str>,
    result_discarded: bool,
}

/// A structural problem found while the parse goes on: framing that
/// loaders read differently, expansion bombs, cycles.
struct Anomaly {
    offset: u64,
    subject: &'static str,
    severity: Severity,
    what: String,
}

/// Why a stream stopped before `STOP`.
enum Break {
    Malformed { offset: u64, what: String },
    Unscannable { offset: u64, what: String },
}

impl From<CursorError> for Break {
    fn from(err: CursorError) -> Self {
        match err {
            CursorError::Truncated { offset, wanted } => Break::Malformed {
                offset,
                what: format!(
                    "stream is truncated: a {wanted}-byte operand at offset {offset} runs past the end"
                ),
            },
            CursorError::Source(err) => Break::Unscannable {
                offset: err.offset,
                what: err.to_string(),
            },
        }
    }
}

struct Machine<'l> {
    limits: &'l Limits,
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: HashMap<u64, Value>,
    imports: BTreeMap<GlobalRef, ImportRecord>,
    /// `STACK_GLOBAL`/`EXT` whose target cannot be known statically.
    unresolved: Vec<(u64, String)>,
    /// Imports seen in the current stream (a later stream that breaks
    /// before importing anything is trailing data, not a pickle).
    imports_in_stream: usize,
    next_node: u64,
    /// Containment edges between nodes, for cycle detection.
    edges: HashMap<u64, Vec<u64>>,
    edge_count: usize,
    anomalies: Vec<Anomaly>,
    /// End of the current `FRAME`, while inside one.
    frame_end: Option<u64>,
    stream_start: u64,
    bomb_reported: bool,
    cycle_reported: bool,
    cycle_limit_reported: bool,
    cycle_work: usize,
    /// Nested `pickle.load` calls (joblib object arrays) being followed.
    nesting: usize,
    /// Raw array regions (joblib) parsed past.
    raw_regions: usize,
    /// Operand and array bytes moved past without being read: the size
    /// limit bounds the bytes the parser reads, not the file.
    skipped: u64,
}

/// Analyses every pickle stream of `source`, appending findings.
pub fn analyse(
    source: &dyn ByteSource,
    member: Option<&str>,
    limits: &Limits,
    findings: &mut Vec<ModelFinding>,
) -> PickleSummary {
    let mut machine = Machine {
        limits,
        stack: Vec::new(),
        marks: Vec::new(),
        memo: HashMap::new(),
        imports: BTreeMap::new(),
        unresolved: Vec::new(),
        imports_in_stream: 0,
        next_node: 0,
        edges: HashMap::new(),
        edge_count: 0,
        anomalies: Vec::new(),
        frame_end: None,
        stream_start: 0,
        bomb_reported: false,
        cycle_reported: false,
        cycle_limit_reported: false,
        cycle_work: 0,
        nesting: 0,
        raw_regions: 0,
        skipped: 0,
    };
    let mut cursor = Cursor::new(source, 0, source.len());
    let mut summary = PickleSummary::default();
    let mut broken = Vec::new();
    loop {
        let stream_start = cursor.pos();
        machine.reset_stream();
        machine.stream_start = stream_start;
        match machine.run_stream(&mut cursor) {
            Ok(result) => {
                summary.streams += 1;
                summary.consumed = cursor.pos();
                if summary.streams == 1 && matches!(result, Value::Int(TORCH_LEGACY_MAGIC)) {
                    summary.legacy_torch = true;
                }
            }
            Err(brk) => {
                // A later stream that breaks before importing anything
                // cannot have called anything: it is data after the pickle
                // (e.g. raw storages), not a payload.
                if summary.streams == 0 || machine.imports_in_stream > 0 {
                    broken.push((stream_start, brk));
                }
                break;
            }
        }
        if summary.legacy_torch && summary.streams >= TORCH_LEGACY_STREAMS {
            break;
        }
        if !starts_another_stream(&mut cursor) {
            break;
        }
    }
    machine.report(member, findings);
    for (stream_start, brk) in broken {
        // A loader stops at a malformed opcode too; where the scanner
        // stopped at one of its own limits, the loader reads on and the
        // unchecked rest can carry a payload.
        let (rule, severity, offset, what) = match brk {
            Break::Malformed { offset, what } => (rules::MALFORMED, Severity::Medium, offset, what),
            Break::Unscannable { offset, what } => {
                (rules::UNSCANNABLE, Severity::High, offset, what)
            }
        };
        findings.push(
            ModelFinding::new(
                rule,
                severity,
                "pickle-stream-broken",
                format!(
                    "pickle: the stream starting at offset {stream_start} does not end cleanly: {what}; \
                     anything the loader executes before this point is reported separately"
                ),
            )
            .at(offset)
            .in_member(member),
        );
    }
    summary.globals = machine.imports.keys().map(GlobalRef::dotted).collect();
    summary.frameworks = machine.frameworks().into_iter().collect();
    summary.joblib_arrays = machine.raw_regions;
    summary
}

/// Whether a header-less (protocol 0/1) file is a pickle: it parses
/// completely, or — when `imports_suffice` — it imports something before
/// breaking (a broken payload behind a generic name such as `.bin`).
pub fn looks_like_pickle(source: &dyn ByteSource, limits: &Limits, imports_suffice: bool) -> bool {
    let mut findings = Vec::new();
    let summary = analyse(source, None, limits, &mut findings);
    // Text that happens to start with `c` (`cfg_if! {`) reads as a GLOBAL
    // of names no loader could import: not a pickle.
    if !summary.globals.iter().all(|g| plausible_global(g)) {
        return false;
    }
    let complete = summary.streams > 0
        && summary.consumed == source.len()
        && !findings
            .iter()
            .any(|f| f.rule_id == rules::MALFORMED || f.rule_id == rules::UNSCANNABLE);
    complete || (imports_suffice && !summary.globals.is_empty())
}

/// Whether the bytes after a `STOP` begin another pickle: only a `PROTO`
/// opcode with a valid protocol counts, so tensor bytes after the pickle of
/// a legacy checkpoint are not mistaken for one.
fn starts_another_stream(cursor: &mut Cursor) -> bool {
    if cursor.remaining() < 2 {
        return false;
    }
    match cursor.peek() {
        Ok(Some(0x80)) => {}
        _ => return false,
    }
    // Peek the protocol byte without consuming: a fresh cursor clone is
    // cheap enough for two bytes.
    let mut probe = Cursor::new(cursor_source(cursor), cursor.pos(), cursor.end());
    matches!(probe.take(2), Ok(bytes) if (2..=5).contains(&bytes[1]))
}

fn cursor_source<'a>(cursor: &Cursor<'a>) -> &'a dyn ByteSource {
    cursor.source()
}

/// Whether a global looks like something `find_class` can import: dotted
/// names of identifier characters (`-` allowed, since `__import__` accepts
/// any file name). Used only to decide whether a header-less file is a
/// pickle; analysis records every global whatever its spelling.
fn plausible_global(dotted: &str) -> bool {
    dotted.split('.').all(|part| {
        !part.is_empty()
            && part
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
    })
}

fn parse_decimal(bytes: &[u8]) -> Option<i128> {
    let text = std::str::from_utf8(bytes).ok()?.trim();
    let text = text.strip_suffix('L').unwrap_or(text);
    text.parse().ok()
}

fn le_int(bytes: &[u8]) -> Option<i128> {
    if bytes.len() > 16 {
        return None;
    }
    if bytes.is_empty() {
        return Some(0);
    }
    let negative = bytes[bytes.len() - 1] & 0x80 != 0;
    let mut buf = [if negative { 0xff } else { 0 }; 16];
    buf[..bytes.len()].copy_from_slice(bytes);
    Some(i128::from_le_bytes(buf))
}

/// Decodes the quoted `repr` operand of protocol-0 `STRING`.
fn unquote_string(line: &[u8]) -> Option<String> {
    let quote = *line.first()?;
    if (quote != b'\'' && quote != b'"') || line.len() < 2 || line[line.len() - 1] != quote {
        return None;
    }
    let inner = &line[1..line.len() - 1];
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        if inner[i] == b'\\' && i + 1 < inner.len() {
            let esc = inner[i + 1];
            i += 2;
            match esc {
                b'n' => out.push(b'\n'),
                b't' => out.push(b'\t'),
                b'r' => out.push(b'\r'),
                b'x' if i + 2 <= inner.len() => {
                    let hex = std::str::from_utf8(&inner[i..i + 2]).ok()?;
                    out.push(u8::from_str_radix(hex, 16).ok()?);
                    i += 2;
                }
                other => out.push(other),
            }
        } else {
            out.push(inner[i]);
            i += 1;
        }
    }
    Some(out.iter().map(|&b| b as char).collect())
}

/// Decodes protocol-0 `UNICODE` (raw-unicode-escape: `\uXXXX`, `\UXXXXXXXX`,
/// everything else Latin-1).
fn raw_unicode_escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\\' && i + 1 < bytes.len() && matches!(bytes[i + 1], b'u' | b'U') {
            let width = if bytes[i + 1] == b'u' { 4 } else { 8 };
            let digits = bytes.get(i + 2..i + 2 + width);
            if let Some(ch) = digits
                .and_then(|d| std::str::from_utf8(d).ok())
                .and_then(|d| u32::from_str_radix(d, 16).ok())
                .and_then(char::from_u32)
            {
                out.push(ch);
                i += 2 + width;
                continue;
            }
        }
        out.push(bytes[i] as char);
        i += 1;
    }
    out
}

impl Machine<'_> {
    fn reset_stream(&mut self) {
        self.stack.clear();
        self.marks.clear();
        self.memo.clear();
        self.edges.clear();
        self.edge_count = 0;
        self.frame_end = None;
        self.imports_in_stream = 0;
        self.bomb_reported = false;
        self.cycle_work = 0;
    }

    fn node(&mut self, kind: NodeKind, items: Vec<Value>, offset: u64) -> Value {
        self.next_node += 1;
        let node = Rc::new(Node {
            id: self.next_node,
            kind,
            weight: Cell::new(1),
            shared: Cell::new(false),
            items: RefCell::new(Vec::new()),
        });
        let value = Value::Node(node.clone());
        self.add_items(&node, items, offset, false);
        value
    }

    /// Puts `items` into `target` (construction or mutation): keeps the
    /// first few, adds their weight, and records containment so a
    /// container that ends up inside itself is reported.
    fn add_items(&mut self, target: &Rc<Node>, items: Vec<Value>, offset: u64, mutation: bool) {
        let mut weight = target.weight.get();
        for item in items {
            weight = weight.saturating_add(item.weight());
            let keep = match &item {
                Value::Node(child) => self.contain(target, child, offset, mutation),
                _ => true,
            };
            let mut kept = target.items.borrow_mut();
            if keep && kept.len() < KEPT_ITEMS {
                kept.push(item);
            }
        }
        target.weight.set(weight);
        let stream_bytes = offset.saturating_sub(self.stream_start).max(1);
        if !self.bomb_reported && weight > BOMB_MIN_WEIGHT && weight / BOMB_RATIO > stream_bytes {
            self.bomb_reported = true;
            self.anomalies.push(Anomaly {
                offset,
                subject: "memo-expansion-bomb",
                severity: Severity::High,
                what: format!(
                    "a value built by offset {offset} expands to {weight} objects from {stream_bytes} bytes of pickle \
                     (shared memo/DUP references); loading it exhausts memory or time"
                ),
            });
        }
    }

    /// Records that `parent` now contains `child`. A container under
    /// construction is referenced by nothing yet, so only a mutation can
    /// close a cycle: then the check runs, and the result says whether
    /// keeping `child` in `parent`'s items is known to create no reference
    /// cycle (kept items are `Rc`s, and a cycle of them would never be freed).
    fn contain(
        &mut self,
        parent: &Rc<Node>,
        child: &Rc<Node>,
        offset: u64,
        mutation: bool,
    ) -> bool {
        if self.edge_count >= MAX_EDGES || self.cycle_work >= MAX_CYCLE_WORK {
            if !self.cycle_limit_reported {
                self.cycle_limit_reported = true;
                self.anomalies.push(Anomaly {
                    offset,
                    subject: "cycle-check-limit",
                    severity: Severity::Low,
                    what: format!(
                        "cycle detection stopped at offset {offset} after {} containment links and {} checked nodes",
                        self.edge_count, self.cycle_work
                    ),
                });
            }
            return !(mutation && parent.shared.get());
        }
        // Unless `parent` is referenced from somewhere else, nothing it
        // is put into can be inside it: no search needed.
        let search = if mutation && parent.shared.get() {
            self.reaches(child.id, parent.id)
        } else {
            Some(false)
        };
        let cycle = search == Some(true);
        if cycle && !self.cycle_reported {
            self.cycle_reported = true;
            self.anomalies.push(Anomaly {
                offset,
                subject: "self-referencing-cycle",
                severity: Severity::Medium,
                what: format!(
                    "at offset {offset} a container is put inside itself (directly or through its contents); \
                     loaders and tools that walk the result recurse without end"
                ),
            });
        }
        self.edges.entry(parent.id).or_default().push(child.id);
        self.edge_count += 1;
        search == Some(false)
    }

    /// Whether `to` is reachable from `from` through containment edges
    /// (bounded search).
    /// `None` when the search gave up at its bound.
    fn reaches(&mut self, from: u64, to: u64) -> Option<bool> {
        if from == to {
            return Some(true);
        }
        let mut seen = std::collections::HashSet::new();
        let mut queue = vec![from];
        while let Some(id) = queue.pop() {
            if seen.len() >= MAX_CYCLE_VISITS {
                return None;
            }
            if !seen.insert(id) {
                continue;
            }
            self.cycle_work += 1;
            for &next in self.edges.get(&id).map(Vec::as_slice).unwrap_or(&[]) {
                if next == to {
                    return Some(true);
                }
                queue.push(next);
            }
        }
        Some(false)
    }

    /// Mutates the container on top of the stack (`APPEND`, `SETITEMS`, ...).
    fn mutate_top(&mut self, items: Vec<Value>, offset: u64, op: &str) -> Result<(), Break> {
        if let Value::Node(target) = self.top(offset, op)? {
            self.add_items(&target, items, offset, true);
        }
        Ok(())
    }

    fn push(&mut self, value: Value, offset: u64) -> Result<(), Break> {
        if self.stack.len() >= self.limits.max_pickle_stack {
            return Err(Break::Unscannable {
                offset,
                what: format!("stack exceeds {} entries", self.limits.max_pickle_stack),
            });
        }
        self.stack.push(value);
        Ok(())
    }

    fn pop(&mut self, offset: u64, op: &str) -> Result<Value, Break> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(Break::Malformed {
                offset,
                what: format!("{op} at offset {offset} pops from an empty stack"),
            });
        }
        Ok(self.stack.pop().unwrap_or(Value::Other))
    }

    fn top(&self, offset: u64, op: &str) -> Result<Value, Break> {
        let floor = self.marks.last().copied().unwrap_or(0);
        if self.stack.len() <= floor {
            return Err(Break::Malformed {
                offset,
                what: format!("{op} at offset {offset} needs a value on the stack"),
            });
        }
        Ok(self.stack.last().cloned().unwrap_or(Value::Other))
    }

    fn pop_mark(&mut self, offset: u64, op: &str) -> Result<Vec<Value>, Break> {
        let Some(mark) = self.marks.pop() else {
            return Err(Break::Malformed {
                offset,
                what: format!("{op} at offset {offset} has no matching MARK"),
            });
        };
        Ok(self.stack.split_off(mark.min(self.stack.len())))
    }

    fn memo_put(&mut self, index: u64, offset: u64) -> Result<(), Break> {
        let value = self.top(offset, "PUT")?;
        if self.memo.len() >= self.limits.max_pickle_memo && !self.memo.contains_key(&index) {
            return Err(Break::Unscannable {
                offset,
                what: format!("memo exceeds {} entries", self.limits.max_pickle_memo),
            });
        }
        self.memo.insert(index, value);
        Ok(())
    }

    fn memo_get(&mut self, index: u64, offset: u64) -> Result<(), Break> {
        let Some(value) = self.memo.get(&index).cloned() else {
            return Err(Break::Malformed {
                offset,
                what: format!(
                    "GET at offset {offset} reads memo slot {index}, which was never stored"
                ),
            });
        };
        if let Value::Node(node) = &value {
            node.shared.set(true);
        }
        self.push(value, offset)
    }

    fn import(&mut self, module: String, name: String, offset: u64, via: &'static str) -> Value {
        let global = GlobalRef { module, name };
        self.imports_in_stream += 1;
        self.imports.entry(global.clone()).or_insert(ImportRecord {
            offset,
            via,
            calls: Vec::new(),
            result_discarded: false,
        });
        Value::Global(Rc::new(global))
    }

    /// Records a call of `callable` and returns the value the call leaves.
    fn call(
        &mut self,
        callable: &Value,
        args: Option<Value>,
        how: &'static str,
        offset: u64,
    ) -> Value {
        let global = match callable {
            Value::Global(global) => {
                if let Some(record) = self.imports.get_mut(global)
                    && !record.calls.contains(&how)
                {
                    record.calls.push(how);
                }
                Some(global.clone())
            }
            _ => None,
        };
        let kind = NodeKind::Call {
            callable: global,
            args: args.clone(),
        };
        self.node(kind, args.into_iter().collect(), offset)
    }

    fn string_operand(&mut self, cursor: &mut Cursor, len: u64) -> Result<Value, Break> {
        let kept = len.min(KEPT_STRING_BYTES as u64) as usize;
        let bytes = cursor.take(kept)?;
        cursor.skip(len - kept as u64)?;
        self.skipped += len - kept as u64;
        Ok(Value::Str(Rc::from(
            String::from_utf8_lossy(&bytes).as_ref(),
        )))
    }

    fn skip_operand(&mut self, cursor: &mut Cursor, len: u64) -> Result<Value, Break> {
        cursor.skip(len)?;
        self.skipped += len;
        Ok(Value::Other)
    }

    fn text_name(cursor: &mut Cursor) -> Result<String, Break> {
        let line = cursor.line(KEPT_STRING_BYTES)?;
        Ok(String::from_utf8_lossy(&line).into_owned())
    }

    /// Runs one stream up to its `STOP`, returning the value it unpickles to.
    fn run_stream(&mut self, cursor: &mut Cursor) -> Result<Value, Break> {
        loop {
            let offset = cursor.pos();
            if let Some(end) = self.frame_end
                && offset >= end
            {
                self.frame_end = None;
            }
            if offset.saturating_sub(self.skipped) > self.limits.max_pickle_bytes {
                return Err(Break::Unscannable {
                    offset,
                    what: format!(
                        "size limit: the parser read {} bytes of opcodes and stopped at offset {offset}; the rest was not checked",
                        self.limits.max_pickle_bytes
                    ),
                });
            }
            let op = cursor.u8()?;
            let frame_before = self.frame_end;
            let result = self.step(cursor, op, offset)?;
            // Only when the same frame is still open: FRAME opens a new
            // one, and joblib's raw array regions close it first.
            if let Some(end) = self.frame_end
                && self.frame_end == frame_before
                && cursor.pos() > end
            {
                self.anomalies.push(Anomaly {
                    offset,
                    subject: "frame-overrun",
                    severity: Severity::High,
                    what: format!(
                        "opcode 0x{op:02x} at offset {offset} runs {} bytes past the end of its frame (offset {end}); \
                         pickle.py stops there but CPython's C unpickler reads on and runs what follows",
                        cursor.pos() - end
                    ),
                });
                self.frame_end = None;
            }
            if let Some(value) = result {
                if let Some(end) = self.frame_end
                    && cursor.pos() < end
                {
                    self.anomalies.push(Anomaly {
                        offset,
                        subject: "stop-inside-frame",
                        severity: Severity::High,
                        what: format!(
                            "STOP at offset {offset} ends the stream {} bytes before the end of its frame (offset {end}); \
                             the rest of the frame is hidden from the loader that stops here",
                            end - cursor.pos()
                        ),
                    });
                }
                return Ok(value);
            }
        }
    }

    /// Runs one opcode; `Some(value)` at `STOP`.
    fn step(&mut self, cursor: &mut Cursor, op: u8, offset: u64) -> Result<Option<Value>, Break> {
        {
            match op {
                // MARK
                b'(' => {
                    self.marks.push(self.stack.len());
                }
                // STOP
                b'.' => return self.pop(offset, "STOP").map(Some),
                // POP: like pickle.py, an empty frame pops the mark instead.
                b'0' => {
                    let floor = self.marks.last().copied().unwrap_or(0);
                    if self.stack.len() > floor {
                        if let Some(Value::Node(node)) = self.stack.pop()
                            && let NodeKind::Call {
                                callable: Some(global),
                                ..
                            } = &node.kind
                            && let Some(record) = self.imports.get_mut(global)
                        {
                            record.result_discarded = true;
                        }
                    } else {
                        self.pop_mark(offset, "POP")?;
                    }
                }
                // POP_MARK
                b'1' => {
                    self.pop_mark(offset, "POP_MARK")?;
                }
                // DUP
                b'2' => {
                    let value = self.top(offset, "DUP")?;
                    if let Value::Node(node) = &value {
                        node.shared.set(true);
                    }
                    self.push(value, offset)?;
                }
                // FLOAT, text
                b'F' => {
                    cursor.line(MAX_TEXT_LINE)?;
                    self.push(Value::Other, offset)?;
                }
                // INT, LONG: text
                b'I' | b'L' => {
                    let line = cursor.line(MAX_TEXT_LINE)?;
                    let value = parse_decimal(&line).map_or(Value::Other, Value::Int);
                    self.push(value, offset)?;
                }
                // BININT
                b'J' => {
                    let value = i32::from_le_bytes(cursor.array()?);
                    self.push(Value::Int(value.into()), offset)?;
                }
                // BININT1
                b'K' => {
                    let value = cursor.u8()?;
                    self.push(Value::Int(value.into()), offset)?;
                }
                // BININT2
                b'M' => {
                    let value = u16::from_le_bytes(cursor.array()?);
                    self.push(Value::Int(value.into()), offset)?;
                }
                // NONE, NEWTRUE, NEWFALSE
                b'N' | 0x88 | 0x89 => {
                    self.push(Value::Other, offset)?;
                }
                // PERSID: text id, resolved by the loader's persistent_load.
                b'P' => {
                    cursor.line(MAX_TEXT_LINE)?;
                    self.push(Value::Other, offset)?;
                }
                // BINPERSID
                b'Q' => {
                    self.pop(offset, "BINPERSID")?;
                    self.push(Value::Other, offset)?;
                }
                // REDUCE: callable(*args)
                b'R' => {
                    let args = self.pop(offset, "REDUCE")?;
                    let callable = self.pop(offset, "REDUCE")?;
                    let result = self.call(&callable, Some(args), "REDUCE", offset);
                    self.push(result, offset)?;
                }
                // STRING, text repr
                b'S' => {
                    let line = cursor.line(MAX_TEXT_LINE)?;
                    let Some(text) = unquote_string(&line) else {
                        return Err(Break::Malformed {
                            offset,
                            what: format!("STRING at offset {offset} has an unquoted operand"),
                        });
                    };
                    self.push(Value::Str(Rc::from(text.as_str())), offset)?;
                }
                // BINSTRING, BINUNICODE, BINBYTES: 4-byte length
                b'T' | b'X' | b'B' => {
                    let len = u32::from_le_bytes(cursor.array()?);
                    let value = if op == b'B' {
                        self.skip_operand(cursor, len.into())?
                    } else {
                        self.string_operand(cursor, len.into())?
                    };
                    self.push(value, offset)?;
                }
                // SHORT_BINSTRING, SHORT_BINUNICODE, SHORT_BINBYTES: 1-byte length
                b'U' | 0x8c | b'C' => {
                    let len = cursor.u8()?;
                    let value = if op == b'C' {
                        self.skip_operand(cursor, len.into())?
                    } else {
                        self.string_operand(cursor, len.into())?
                    };
                    self.push(value, offset)?;
                }
                // BINUNICODE8, BINBYTES8, BYTEARRAY8: 8-byte length
                0x8d | 0x8e | 0x96 => {
                    let len = u64::from_le_bytes(cursor.array()?);
                    let value = if op == 0x8d {
                        self.string_operand(cursor, len)?
                    } else {
                        self.skip_operand(cursor, len)?
                    };
                    self.push(value, offset)?;
                }
                // UNICODE, text raw-unicode-escape
                b'V' => {
                    let line = cursor.line(MAX_TEXT_LINE)?;
                    let text = raw_unicode_escape(&line);
                    self.push(Value::Str(Rc::from(text.as_str())), offset)?;
                }
                // APPEND
                b'a' => {
                    let item = self.pop(offset, "APPEND")?;
                    self.mutate_top(vec![item], offset, "APPEND")?;
                }
                // BUILD: sets state on the object below, via __setstate__.
                b'b' => {
                    let state = self.pop(offset, "BUILD")?;
                    let object = self.top(offset, "BUILD")?;
                    if let Value::Global(_) = object {
                        self.call(&object, None, "BUILD", offset);
                    }
                    if self.nesting == 0 && is_joblib_array_wrapper(&object) {
                        self.read_joblib_array(cursor, &state, offset)?;
                        // joblib's loader replaces the wrapper by the array.
                        self.pop(offset, "BUILD")?;
                        self.push(Value::Other, offset)?;
                    } else {
                        self.mutate_top(vec![state], offset, "BUILD")?;
                    }
                }
                // GLOBAL: module and name as text lines
                b'c' => {
                    let module = Self::text_name(cursor)?;
                    let name = Self::text_name(cursor)?;
                    let value = self.import(module, name, offset, "GLOBAL");
                    self.push(value, offset)?;
                }
                // INST: import and call with the items above the mark
                b'i' => {
                    let module = Self::text_name(cursor)?;
                    let name = Self::text_name(cursor)?;
                    let args = self.pop_mark(offset, "INST")?;
                    let class = self.import(module, name, offset, "INST");
                    let args = self.node(NodeKind::Tuple, args, offset);
                    let result = self.call(&class, Some(args), "INST", offset);
                    self.push(result, offset)?;
                }
                // OBJ: first item above the mark is the class
                b'o' => {
                    let items = self.pop_mark(offset, "OBJ")?;
                    let Some(class) = items.first() else {
                        return Err(Break::Malformed {
                            offset,
                            what: format!("OBJ at offset {offset} has no class above its MARK"),
                        });
                    };
                    let class = class.clone();
                    let args = self.node(NodeKind::Tuple, items[1..].to_vec(), offset);
                    let result = self.call(&class, Some(args), "OBJ", offset);
                    self.push(result, offset)?;
                }
                // NEWOBJ: cls.__new__(cls, *args)
                0x81 => {
                    let args = self.pop(offset, "NEWOBJ")?;
                    let class = self.pop(offset, "NEWOBJ")?;
                    let result = self.call(&class, Some(args), "NEWOBJ", offset);
                    self.push(result, offset)?;
                }
                // NEWOBJ_EX: cls.__new__(cls, *args, **kwargs)
                0x92 => {
                    let kwargs = self.pop(offset, "NEWOBJ_EX")?;
                    let args = self.pop(offset, "NEWOBJ_EX")?;
                    let class = self.pop(offset, "NEWOBJ_EX")?;
                    let args = self.node(NodeKind::Tuple, vec![args, kwargs], offset);
                    let result = self.call(&class, Some(args), "NEWOBJ_EX", offset);
                    self.push(result, offset)?;
                }
                // STACK_GLOBAL: module and name from the stack
                0x93 => {
                    let name = self.pop(offset, "STACK_GLOBAL")?;
                    let module = self.pop(offset, "STACK_GLOBAL")?;
                    let value = match (module, name) {
                        (Value::Str(module), Value::Str(name)) => self.import(
                            module.to_string(),
                            name.to_string(),
                            offset,
                            "STACK_GLOBAL",
                        ),
                        (module, name) => {
                            self.imports_in_stream += 1;
                            self.unresolved.push((
                                offset,
                                format!(
                                    "STACK_GLOBAL with module {} and name {} that are not literal strings",
                                    describe(&module),
                                    describe(&name)
                                ),
                            ));
                            Value::Other
                        }
                    };
                    self.push(value, offset)?;
                }
                // EXT1, EXT2, EXT4: copyreg extension registry codes
                0x82..=0x84 => {
                    let code = match op {
                        0x82 => u32::from(cursor.u8()?),
                        0x83 => u32::from(u16::from_le_bytes(cursor.array()?)),
                        _ => u32::from_le_bytes(cursor.array()?),
                    };
                    self.imports_in_stream += 1;
                    self.unresolved.push((
                        offset,
                        format!("extension code {code} (EXT opcode) resolved through the copyreg registry at load time"),
                    ));
                    self.push(Value::Other, offset)?;
                }
                // DICT, LIST, TUPLE, FROZENSET: collect items above the mark
                b'd' | b'l' | b't' | 0x91 => {
                    let items = self.pop_mark(offset, "collection")?;
                    let kind = match op {
                        b'd' => NodeKind::Dict,
                        b'l' => NodeKind::List,
                        b't' => NodeKind::Tuple,
                        _ => NodeKind::Set,
                    };
                    let value = self.node(kind, items, offset);
                    self.push(value, offset)?;
                }
                // EMPTY_DICT, EMPTY_LIST, EMPTY_TUPLE, EMPTY_SET
                b'}' | b']' | b')' | 0x8f => {
                    let kind = match op {
                        b'}' => NodeKind::Dict,
                        b']' => NodeKind::List,
                        b')' => NodeKind::Tuple,
                        _ => NodeKind::Set,
                    };
                    let value = self.node(kind, Vec::new(), offset);
                    self.push(value, offset)?;
                }
                // APPENDS, SETITEMS, ADDITEMS: items above the mark into the object below
                b'e' | b'u' | 0x90 => {
                    let items = self.pop_mark(offset, "APPENDS/SETITEMS")?;
                    self.mutate_top(items, offset, "APPENDS/SETITEMS")?;
                }
                // SETITEM
                b's' => {
                    let value = self.pop(offset, "SETITEM")?;
                    let key = self.pop(offset, "SETITEM")?;
                    self.mutate_top(vec![key, value], offset, "SETITEM")?;
                }
                // TUPLE1..3
                0x85..=0x87 => {
                    let count = usize::from(op - 0x84);
                    let mut items = Vec::with_capacity(count);
                    for _ in 0..count {
                        items.push(self.pop(offset, "TUPLE")?);
                    }
                    items.reverse();
                    let value = self.node(NodeKind::Tuple, items, offset);
                    self.push(value, offset)?;
                }
                // GET (text), BINGET, LONG_BINGET
                b'g' | b'h' | b'j' => {
                    let index = self.memo_index(cursor, op, offset)?;
                    self.memo_get(index, offset)?;
                }
                // PUT (text), BINPUT, LONG_BINPUT
                b'p' | b'q' | b'r' => {
                    let index = self.memo_index(cursor, op, offset)?;
                    self.memo_put(index, offset)?;
                }
                // MEMOIZE: next free memo slot
                0x94 => {
                    let index = self.memo.len() as u64;
                    self.memo_put(index, offset)?;
                }
                // BINFLOAT
                b'G' => {
                    cursor.skip(8)?;
                    self.push(Value::Other, offset)?;
                }
                // LONG1, LONG4
                0x8a | 0x8b => {
                    let len = if op == 0x8a {
                        u64::from(cursor.u8()?)
                    } else {
                        u64::from(u32::from_le_bytes(cursor.array()?))
                    };
                    let value = if len <= 16 {
                        let bytes = cursor.take(len as usize)?;
                        le_int(&bytes).map_or(Value::Other, Value::Int)
                    } else {
                        cursor.skip(len)?;
                        self.skipped += len;
                        Value::Other
                    };
                    self.push(value, offset)?;
                }
                // PROTO
                0x80 => {
                    let protocol = cursor.u8()?;
                    if protocol > 5 {
                        return Err(Break::Malformed {
                            offset,
                            what: format!(
                                "unsupported pickle protocol {protocol} at offset {offset}"
                            ),
                        });
                    }
                }
                // FRAME: the next `len` bytes hold whole opcodes. CPython's C
                // unpickler reads straight through frame ends, pickle.py
                // rejects what crosses one: any disagreement hides bytes
                // from one reader or the other.
                0x95 => {
                    let len = u64::from_le_bytes(cursor.array()?);
                    if let Some(end) = self.frame_end
                        && offset < end
                    {
                        self.anomalies.push(Anomaly {
                            offset,
                            subject: "frame-inside-frame",
                            severity: Severity::High,
                            what: format!(
                                "FRAME at offset {offset} starts inside the frame that ends at offset {end}"
                            ),
                        });
                    }
                    let end = cursor.pos().saturating_add(len);
                    if end > cursor.end() {
                        self.anomalies.push(Anomaly {
                            offset,
                            subject: "frame-past-end",
                            severity: Severity::High,
                            what: format!(
                                "FRAME at offset {offset} declares {len} bytes, past the end of the data at offset {}",
                                cursor.end()
                            ),
                        });
                    }
                    self.frame_end = Some(end);
                }
                // NEXT_BUFFER: out-of-band buffer
                0x97 => self.push(Value::Other, offset)?,
                // READONLY_BUFFER
                0x98 => {
                    self.top(offset, "READONLY_BUFFER")?;
                }
                unknown => {
                    return Err(Break::Malformed {
                        offset,
                        what: format!("unknown opcode 0x{unknown:02x} at offset {offset}"),
                    });
                }
            }
        }
        Ok(None)
    }

    /// Moves past the array joblib wrote after a `NumpyArrayWrapper`:
    /// raw bytes (after optional alignment padding), or for object arrays
    /// a nested pickle, which is analysed like the outer one.
    fn read_joblib_array(
        &mut self,
        cursor: &mut Cursor,
        state: &Value,
        offset: u64,
    ) -> Result<(), Break> {
        let array = joblib_array(state).map_err(|why| Break::Unscannable {
            offset,
            what: format!(
                "joblib array wrapper built at offset {offset} cannot be followed: {why}; \
                 joblib reads the array bytes that follow, so the rest of the file was not checked"
            ),
        })?;
        // joblib commits the frame before writing the array and reads the
        // array from the file itself, after the frame.
        if let Some(end) = self.frame_end.take()
            && cursor.pos() < end
        {
            self.anomalies.push(Anomaly {
                offset,
                subject: "joblib-array-inside-frame",
                severity: Severity::High,
                what: format!(
                    "joblib array wrapper at offset {offset} sits inside a frame that runs on to offset {end}: \
                     joblib reads the array after the frame, other readers inside it"
                ),
            });
        }
        match array.bytes {
            Some(bytes) => {
                if array.aligned {
                    let padding = cursor.u8()?;
                    cursor.skip(padding.into())?;
                }
                cursor.skip(bytes)?;
                self.skipped += bytes;
            }
            None => {
                let stack = std::mem::take(&mut self.stack);
                let marks = std::mem::take(&mut self.marks);
                let memo = std::mem::take(&mut self.memo);
                let frame_end = self.frame_end.take();
                self.nesting += 1;
                let nested = self.run_stream(cursor);
                self.nesting -= 1;
                self.stack = stack;
                self.marks = marks;
                self.memo = memo;
                self.frame_end = frame_end;
                nested?;
            }
        }
        self.raw_regions += 1;
        Ok(())
    }

    fn memo_index(&mut self, cursor: &mut Cursor, op: u8, offset: u64) -> Result<u64, Break> {
        Ok(match op {
            b'g' | b'p' => {
                let line = cursor.line(64)?;
                match parse_decimal(&line).and_then(|v| u64::try_from(v).ok()) {
                    Some(index) => index,
                    None => {
                        return Err(Break::Malformed {
                            offset,
                            what: format!(
                                "memo index {:?} at offset {offset} is not a number",
                                printable(&line, 40)
                            ),
                        });
                    }
                }
            }
            b'h' | b'q' => u64::from(cursor.u8()?),
            _ => u64::from(u32::from_le_bytes(cursor.array()?)),
        })
    }

    /// Frameworks whose allow-listed globals this pickle imports (the
    /// plain-Python containers do not make a pickle a framework's).
    fn frameworks(&self) -> BTreeSet<String> {
        self.imports
            .keys()
            .filter_map(|g| {
                self.limits
                    .pickle_policy
                    .classify(&g.module, &g.name)
                    .framework
            })
            .filter(|framework| framework != "python")
            .collect()
    }

    fn report(&self, member: Option<&str>, findings: &mut Vec<ModelFinding>) {
        let policy = &self.limits.pickle_policy;
        let from_framework = !self.frameworks().is_empty();
        let mut sites: Vec<(&GlobalRef, &ImportRecord)> = self.imports.iter().collect();
        sites.sort_by_key(|(_, record)| record.offset);
        for (global, record) in sites {
            let judged = policy.classify(&global.module, &global.name);
            let (rule, severity, what) = match judged.verdict {
                Verdict::Safe => continue,
                Verdict::CodeExecution => (
                    rules::PICKLE_CODE_EXECUTION,
                    Severity::Critical,
                    "code-execution global",
                ),
                Verdict::Dangerous => (
                    rules::PICKLE_DANGEROUS_GLOBAL,
                    Severity::High,
                    "dangerous global",
                ),
                // A custom class in a checkpoint that otherwise rebuilds a
                // framework's objects (a user's nn.Module) is medium; any
                // other callable outside the allow-list can run code.
                Verdict::Unknown if from_framework && policy::is_class_name(&global.name) => (
                    rules::PICKLE_UNKNOWN_GLOBAL,
                    Severity::Medium,
                    "class outside the allow-list",
                ),
                Verdict::Unknown => (
                    rules::PICKLE_UNKNOWN_GLOBAL,
                    Severity::High,
                    "callable outside the allow-list",
                ),
            };
            let dotted = global.dotted();
            let mut message = format!(
                "pickle imports {what} `{}` ({} at offset {})",
                printable(dotted.as_bytes(), 200),
                record.via,
                record.offset
            );
            if let Some(entry) = &judged.entry {
                message.push_str(&format!(", policy entry `{entry}`"));
            }
            if !record.calls.is_empty() {
                message.push_str(&format!(", called via {}", record.calls.join("/")));
            }
            if record.result_discarded {
                message.push_str(", result discarded with POP");
            }
            findings.push(
                ModelFinding::new(rule, severity, dotted, message)
                    .at(record.offset)
                    .in_member(member),
            );
        }
        for anomaly in &self.anomalies {
            findings.push(
                ModelFinding::new(
                    rules::PICKLE_STRUCTURE,
                    anomaly.severity,
                    anomaly.subject,
                    format!("pickle: {}", anomaly.what),
                )
                .at(anomaly.offset)
                .in_member(member),
            );
        }
        for (offset, what) in &self.unresolved {
            findings.push(
                ModelFinding::new(
                    rules::PICKLE_UNRESOLVED_GLOBAL,
                    Severity::High,
                    "unresolved-global",
                    format!("pickle imports a global that cannot be resolved statically: {what} (offset {offset})"),
                )
                .at(*offset)
                .in_member(member),
            );
        }
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Str(text) => format!("{:?}", printable(text.as_bytes(), 80)),
        Value::Int(n) => format!("integer {n}"),
        Value::Global(global) => format!("global `{}`", global.dotted()),
        Value::Node(node) => match &node.kind {
            NodeKind::Call {
                callable: Some(global),
                ..
            } => format!("result of calling `{}`", global.dotted()),
            NodeKind::Call { callable: None, .. } => "result of a call".to_string(),
            _ => "a container".to_string(),
        },
        Value::Other => "a non-string value".to_string(),
    }
}
