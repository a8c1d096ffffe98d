//! The prefilter's automaton: an Aho-Corasick DFA (built by the
//! `aho-corasick` crate) copied into a compact table of our own.
//!
//! Why not search with `aho_corasick::dfa::DFA` directly: its table holds a
//! `u32` per transition and can only be built at run time. Every sandboxed
//! scan starts a fresh instance, and building the DFA for the ~800 built-in
//! keywords and encoded triggers took longer there than scanning a small
//! repository. This table
//!
//! - uses `u16` state ids, so it is half the size (~0.6 MB instead of
//!   ~2.2 MB) and the search, which waits on table loads, stays in cache
//!   more often;
//! - serialises to an image that the `secrets` stage computes when it is
//!   compiled and embeds, so a run with the built-in rules builds nothing;
//! - searches that image where it lies: its transition table (most of its
//!   2.5 MB) is read as little-endian `u16`s in place, not copied into a
//!   vector first, which took a fifth of the stage's start-up.

use std::borrow::Cow;

use aho_corasick::automaton::{Automaton, StateID};
use aho_corasick::{Anchored, MatchKind, StartKind};
use zerocopy::FromBytes;
use zerocopy::byteorder::little_endian::U16;

/// Identifies an image and its layout version.
const MAGIC: &[u8; 8] = b"CDNKWD1\0";

/// A DFA over keyword patterns, matched ASCII-case-insensitively.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct KeywordDfa {
    /// Byte → equivalence class.
    classes: [u8; 256],
    /// log2 of the row length: the next state of `state` on class `c` is
    /// `transitions[state << stride_shift | c]`.
    stride_shift: u32,
    /// Built at run time, or borrowed from a `'static` image.
    transitions: Cow<'static, [U16]>,
    /// States `0..match_states` are match states.
    match_states: u16,
    start: u16,
    /// Patterns ending in match state `s`: `matches[ends[s]..ends[s + 1]]`.
    ends: Vec<u32>,
    matches: Vec<u16>,
    pattern_lens: Vec<u16>,
}

impl KeywordDfa {
    /// Builds the automaton for `patterns` (ASCII case ignored).
    pub(crate) fn build(patterns: &[&[u8]]) -> Result<KeywordDfa, String> {
        if patterns.len() > usize::from(u16::MAX) {
            return Err(format!("{} keywords is too many", patterns.len()));
        }
        if let Some(long) = patterns.iter().find(|p| p.len() > usize::from(u16::MAX)) {
            return Err(format!("a keyword of {} bytes is too long", long.len()));
        }
        let dfa = aho_corasick::dfa::Builder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .start_kind(StartKind::Unanchored)
            .prefilter(false)
            .build(patterns)
            .map_err(|error| error.to_string())?;

        // Bytes that occur in no pattern all behave alike; every other byte
        // (both of its cases) gets a class of its own. Probing the DFA once
        // per class rather than per byte keeps the copy cheap.
        let mut classes = [0u8; 256];
        let mut representatives: Vec<u8> = vec![0xFF];
        for &byte in patterns.iter().copied().flatten() {
            let folded = byte.to_ascii_lowercase();
            if classes[usize::from(folded)] == 0 {
                let class = u8::try_from(representatives.len())
                    .map_err(|_| "keywords use too many distinct bytes".to_string())?;
                representatives.push(folded);
                classes[usize::from(folded)] = class;
                classes[usize::from(folded.to_ascii_uppercase())] = class;
            }
        }
        // Class 0 needs a byte outside every pattern as its representative.
        let outside = (0..=255u8)
            .find(|&b| classes[usize::from(b)] == 0)
            .ok_or_else(|| "keywords use every byte value".to_string())?;
        representatives[0] = outside;
        let stride_shift = representatives.len().next_power_of_two().trailing_zeros();

        // Number states breadth-first from the start state. The DFA's state
        // ids are offsets into its own table, so a vector indexed by them
        // maps ids to positions (much faster than hashing them).
        let start = dfa
            .start_state(Anchored::No)
            .map_err(|error| error.to_string())?;
        let mut order: Vec<StateID> = Vec::new();
        let mut position: Vec<u32> = Vec::new();
        let mut visit = |state: StateID, order: &mut Vec<StateID>| {
            let id = state.as_usize();
            if id >= position.len() {
                position.resize(id + 1, u32::MAX);
            }
            if position[id] == u32::MAX {
                position[id] = order.len() as u32;
                order.push(state);
            }
        };
        visit(start, &mut order);
        let mut next = 0;
        while next < order.len() {
            let state = order[next];
            next += 1;
            for &byte in &representatives {
                visit(dfa.next_state(Anchored::No, state, byte), &mut order);
            }
        }
        if order.len() > usize::from(u16::MAX) {
            return Err(format!(
                "the keywords need {} automaton states; at most {} are supported",
                order.len(),
                u16::MAX
            ));
        }
        // Match states first, so "is this a match" is one comparison.
        let mut renumbered: Vec<StateID> =
            order.iter().copied().filter(|&s| dfa.is_match(s)).collect();
        let match_states = renumbered.len();
        renumbered.extend(order.iter().copied().filter(|&s| !dfa.is_match(s)));
        let mut new_id = vec![0u16; position.len()];
        for (id, &state) in renumbered.iter().enumerate() {
            new_id[state.as_usize()] = id as u16;
        }

        let stride = 1usize << stride_shift;
        let mut transitions = vec![U16::ZERO; renumbered.len() * stride];
        let mut ends = vec![0u32];
        let mut matches = Vec::new();
        for (id, &state) in renumbered.iter().enumerate() {
            for (class, &byte) in representatives.iter().enumerate() {
                let to = dfa.next_state(Anchored::No, state, byte);
                transitions[id * stride + class] = U16::new(new_id[to.as_usize()]);
            }
            if id < match_states {
                for i in 0..dfa.match_len(state) {
                    matches.push(dfa.match_pattern(state, i).as_usize() as u16);
                }
                ends.push(matches.len() as u32);
            }
        }
        Ok(KeywordDfa {
            classes,
            stride_shift,
            transitions: Cow::Owned(transitions),
            match_states: match_states as u16,
            start: new_id[start.as_usize()],
            ends,
            matches,
            pattern_lens: patterns.iter().map(|p| p.len() as u16).collect(),
        })
    }

    /// The longest pattern, in bytes.
    pub(crate) fn max_pattern_len(&self) -> usize {
        self.pattern_lens
            .iter()
            .copied()
            .max()
            .map_or(0, usize::from)
    }

    pub(crate) fn start(&self) -> u16 {
        self.start
    }

    /// The tables a search steps through, borrowed once per search so the
    /// inner loop indexes plain slices.
    #[inline(always)]
    pub(crate) fn stepper(&self) -> Stepper<'_> {
        Stepper {
            classes: &self.classes,
            stride_shift: self.stride_shift,
            transitions: &self.transitions,
            match_states: self.match_states,
        }
    }

    /// Whether every transition leads to a state of the table. An image
    /// embedded in the binary is checked by the tests rather than on every
    /// run: the check reads (and pages in) the whole table, and a bad entry
    /// would stop a search on a bounds check anyway, never read past it.
    pub(crate) fn transitions_in_range(&self) -> bool {
        let states = self.transitions.len() >> self.stride_shift;
        self.transitions
            .iter()
            .all(|t| usize::from(t.get()) < states)
    }

    /// (pattern, pattern length) of every pattern ending in match state
    /// `state`.
    pub(crate) fn matches(&self, state: u16) -> impl Iterator<Item = (usize, usize)> + '_ {
        let state = usize::from(state);
        let range = self.ends[state] as usize..self.ends[state + 1] as usize;
        self.matches[range].iter().map(|&pattern| {
            let pattern = usize::from(pattern);
            (pattern, usize::from(self.pattern_lens[pattern]))
        })
    }

    /// Serialises the automaton together with the patterns it was built
    /// for (little-endian; see [`KeywordDfa::from_image`]).
    pub(crate) fn to_image(&self, patterns: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.transitions.len() * 2 + 16 * 1024);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, patterns.len() as u32);
        for pattern in patterns {
            put_u32(&mut out, pattern.len() as u32);
            out.extend_from_slice(pattern);
        }
        out.extend_from_slice(&self.classes);
        put_u32(&mut out, self.stride_shift);
        put_u32(&mut out, u32::from(self.match_states));
        put_u32(&mut out, u32::from(self.start));
        put_u32(&mut out, self.transitions.len() as u32);
        for t in self.transitions.iter() {
            out.extend_from_slice(&t.get().to_le_bytes());
        }
        put_u32(&mut out, self.matches.len() as u32);
        for &m in &self.matches {
            out.extend_from_slice(&m.to_le_bytes());
        }
        for &end in &self.ends {
            put_u32(&mut out, end);
        }
        out
    }

    /// The automaton in `image`, if the image is well formed and was built
    /// for exactly `patterns`; `None` otherwise (the caller then builds
    /// one). The transition table is used where it lies; its entries are
    /// not checked here (see [`KeywordDfa::transitions_in_range`]), every
    /// other index is.
    pub(crate) fn from_image(image: &'static [u8], patterns: &[&[u8]]) -> Option<KeywordDfa> {
        let mut reader = Reader { bytes: image };
        if reader.take(MAGIC.len())? != MAGIC {
            return None;
        }
        if reader.u32()? as usize != patterns.len() {
            return None;
        }
        for pattern in patterns {
            let len = reader.u32()? as usize;
            if reader.take(len)? != *pattern {
                return None;
            }
        }
        let classes: [u8; 256] = reader.take(256)?.try_into().ok()?;
        let stride_shift = reader.u32()?;
        let match_states = u16::try_from(reader.u32()?).ok()?;
        let start = u16::try_from(reader.u32()?).ok()?;
        let transition_count = reader.u32()? as usize;
        if stride_shift > 8 || !transition_count.is_multiple_of(1 << stride_shift) {
            return None;
        }
        let states = transition_count >> stride_shift;
        let transitions =
            <[U16]>::ref_from_bytes(reader.take(transition_count.checked_mul(2)?)?).ok()?;
        let match_count = reader.u32()? as usize;
        let matches = reader.u16s(match_count)?;
        let mut ends = Vec::with_capacity(usize::from(match_states) + 1);
        for _ in 0..=match_states {
            ends.push(reader.u32()?);
        }
        let valid = reader.bytes.is_empty()
            && usize::from(start) < states
            && usize::from(match_states) <= states
            && classes
                .iter()
                .all(|&c| (usize::from(c)) < (1 << stride_shift))
            && matches.iter().all(|&m| usize::from(m) < patterns.len())
            && ends.first() == Some(&0)
            && ends.windows(2).all(|w| w[0] <= w[1])
            && ends
                .last()
                .is_some_and(|&end| end as usize == matches.len());
        valid.then(|| KeywordDfa {
            classes,
            stride_shift,
            transitions: Cow::Borrowed(transitions),
            match_states,
            start,
            ends,
            matches,
            pattern_lens: patterns.iter().map(|p| p.len() as u16).collect(),
        })
    }
}

fn put_u32(out: &mut Vec<u8>, value: u32) {
    out.extend_from_slice(&value.to_le_bytes());
}

struct Reader<'a> {
    bytes: &'a [u8],
}

/// [`KeywordDfa::stepper`].
pub(crate) struct Stepper<'a> {
    classes: &'a [u8; 256],
    stride_shift: u32,
    transitions: &'a [U16],
    match_states: u16,
}

impl Stepper<'_> {
    #[inline(always)]
    pub(crate) fn next(&self, state: u16, byte: u8) -> u16 {
        let class = usize::from(self.classes[usize::from(byte)]);
        self.transitions[(usize::from(state) << self.stride_shift) | class].get()
    }

    #[inline(always)]
    pub(crate) fn is_match(&self, state: u16) -> bool {
        state < self.match_states
    }
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize) -> Option<&'a [u8]> {
        if self.bytes.len() < len {
            return None;
        }
        let (head, rest) = self.bytes.split_at(len);
        self.bytes = rest;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }

    fn u16s(&mut self, count: usize) -> Option<Vec<u16>> {
        let bytes = self.take(count.checked_mul(2)?)?;
        Some(
            bytes
                .chunks_exact(2)
                .map(|pair| u16::from_le_bytes([pair[0], pair[1]]))
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns<'a>(words: &[&'a str]) -> Vec<&'a [u8]> {
        words.iter().map(|w| w.as_bytes()).collect()
    }

    /// Every (pattern, end) the automaton reports over `text`.
    fn hits(dfa: &KeywordDfa, text: &[u8]) -> Vec<(usize, usize)> {
        let mut state = dfa.start();
        let mut found = Vec::new();
        let step = dfa.stepper();
        for (at, &byte) in text.iter().enumerate() {
            state = step.next(state, byte);
            if step.is_match(state) {
                found.extend(dfa.matches(state).map(|(pattern, _)| (pattern, at + 1)));
            }
        }
        found.sort();
        found
    }

    #[test]
    fn finds_overlapping_patterns_in_any_case() {
        let words = patterns(&["secret", "cret", "SECRET_KEY", "%2F"]);
        let dfa = KeywordDfa::build(&words).unwrap();
        assert_eq!(
            hits(&dfa, b"my Secret_Key=%2f"),
            vec![(0, 9), (1, 9), (2, 13), (3, 17)]
        );
        assert!(hits(&dfa, b"secre_t crt %2").is_empty());
        assert_eq!(dfa.max_pattern_len(), 10);
    }

    #[test]
    fn image_round_trips_and_rejects_other_patterns_or_damage() {
        let words = patterns(&["ghp_", "password", "AKIA"]);
        let dfa = KeywordDfa::build(&words).unwrap();
        let image: &'static [u8] = dfa.to_image(&words).leak();
        let read = KeywordDfa::from_image(image, &words).unwrap();
        assert_eq!(read, dfa);
        assert!(
            matches!(read.transitions, Cow::Borrowed(_)),
            "used in place"
        );
        assert!(read.transitions_in_range() && dfa.transitions_in_range());
        assert_eq!(
            hits(&read, b"my PASSWORD=ghp_"),
            hits(&dfa, b"my PASSWORD=ghp_")
        );
        assert!(KeywordDfa::from_image(image, &patterns(&["ghp_", "password"])).is_none());
        assert!(KeywordDfa::from_image(&image[..image.len() - 1], &words).is_none());
        // A transition pointing past the last state: found by the check the
        // tests run on the embedded image, and a search reaching it stops
        // on a bounds check instead of reading outside the table.
        let mut damaged = image.to_vec();
        let last_transition = image.len() - 4 * (dfa.ends.len()) - 4 - 2 * dfa.matches.len() - 2;
        damaged[last_transition..last_transition + 2].copy_from_slice(&u16::MAX.to_le_bytes());
        let damaged = KeywordDfa::from_image(damaged.leak(), &words).unwrap();
        assert!(!damaged.transitions_in_range());
    }
}
