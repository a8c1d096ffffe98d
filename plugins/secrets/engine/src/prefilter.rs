//! The fast path: one Aho-Corasick pass over the whole buffer finds rule
//! keywords and encoded-content triggers. Regexes later run only in windows
//! around these hits, so text without any keyword costs a single automaton
//! pass.

use std::collections::HashMap;
use std::ops::Range;

use crate::decode::{Encoding, Trigger, generic_triggers, keyword_triggers};
use crate::keyword_dfa::KeywordDfa;

/// What a prefilter hit means.
pub(crate) enum Hit<'a> {
    /// A keyword of rule `rule` (index into the scanner's rules).
    Keyword { rule: usize, range: Range<usize> },
    /// A literal that suggests encoded content around `range`.
    Encoded {
        trigger: &'a Trigger,
        range: Range<usize>,
    },
}

#[derive(Clone, Copy)]
enum Action {
    Keyword { rule: usize, exact: bool },
    Decode { trigger: usize, exact: bool },
}

struct Pattern {
    bytes: Vec<u8>,
    actions: Vec<Action>,
}

pub(crate) struct Prefilter {
    automaton: KeywordDfa,
    from_image: bool,
    patterns: Vec<Pattern>,
    triggers: Vec<Trigger>,
}

/// The keywords of one rule, as the prefilter needs them.
pub(crate) struct RuleKeywords<'a> {
    pub rule: usize,
    pub keywords: &'a [String],
    pub ignore_case: bool,
}

impl Prefilter {
    /// `with_decoding` adds the encoded-form triggers. The automaton comes
    /// from `image` when that was built for the same patterns.
    pub(crate) fn new(
        rules: &[RuleKeywords<'_>],
        with_decoding: bool,
        image: Option<&'static [u8]>,
    ) -> Result<Prefilter, String> {
        let mut patterns: Vec<Pattern> = Vec::new();
        let mut by_bytes: HashMap<Vec<u8>, usize> = HashMap::new();
        let mut add = |bytes: &[u8], action: Action, patterns: &mut Vec<Pattern>| {
            let index = *by_bytes.entry(bytes.to_vec()).or_insert_with(|| {
                patterns.push(Pattern {
                    bytes: bytes.to_vec(),
                    actions: Vec::new(),
                });
                patterns.len() - 1
            });
            patterns[index].actions.push(action);
        };
        for rule in rules {
            for keyword in rule.keywords {
                let action = Action::Keyword {
                    rule: rule.rule,
                    exact: !rule.ignore_case,
                };
                add(keyword.as_bytes(), action, &mut patterns);
            }
        }
        let mut triggers: Vec<Trigger> = Vec::new();
        if with_decoding {
            let mut unique: Vec<Trigger> = generic_triggers();
            for rule in rules {
                for keyword in rule.keywords {
                    unique.extend(keyword_triggers(keyword.as_bytes()));
                }
            }
            unique.sort();
            unique.dedup();
            for trigger in unique {
                // Base64 is case-sensitive; hex and escapes are not.
                let exact = trigger.encoding == Encoding::Base64;
                let action = Action::Decode {
                    trigger: triggers.len(),
                    exact,
                };
                add(&trigger.literal, action, &mut patterns);
                triggers.push(trigger);
            }
        }
        let bytes: Vec<&[u8]> = patterns.iter().map(|p| p.bytes.as_slice()).collect();
        let prebuilt = image.and_then(|image| KeywordDfa::from_image(image, &bytes));
        let from_image = prebuilt.is_some();
        let automaton = match prebuilt {
            Some(automaton) => automaton,
            None => KeywordDfa::build(&bytes)?,
        };
        Ok(Prefilter {
            automaton,
            from_image,
            patterns,
            triggers,
        })
    }

    pub(crate) fn uses_image(&self) -> bool {
        self.from_image
    }

    pub(crate) fn transitions_in_range(&self) -> bool {
        self.automaton.transitions_in_range()
    }

    /// The automaton as an image for [`Prefilter::new`].
    pub(crate) fn image(&self) -> Vec<u8> {
        let bytes: Vec<&[u8]> = self.patterns.iter().map(|p| p.bytes.as_slice()).collect();
        self.automaton.to_image(&bytes)
    }

    /// Calls `on_hit` for every hit, in order of their end offsets.
    pub(crate) fn for_each_hit(&self, buffer: &[u8], mut on_hit: impl FnMut(Hit<'_>)) {
        for (state, end) in self.match_states(buffer) {
            for (pattern, len) in self.automaton.matches(state) {
                self.dispatch(buffer, pattern, end - len..end, &mut on_hit);
            }
        }
    }

    /// The match states the DFA passes through, with the offset just past
    /// the byte that led to each, in order.
    ///
    /// Every step is a load from a transition table larger than the cache
    /// that depends on the previous one, so a single walk mostly waits on
    /// memory. Long buffers are cut into [`WALKS`] parts walked together in
    /// one loop: their chains of loads are independent, so the waits
    /// overlap. Each part but the first starts `max_pattern_len - 1` bytes
    /// early, so a match across a cut is found, and keeps only the matches
    /// ending inside it.
    fn match_states(&self, buffer: &[u8]) -> Vec<(u16, usize)> {
        let dfa = &self.automaton;
        let mut found = Vec::new();
        if buffer.len() < SPLIT_AT_LEAST {
            walk(dfa, dfa.start(), buffer, 0, 0, &mut found);
            return found;
        }
        let overlap = dfa.max_pattern_len().saturating_sub(1);
        let part = buffer.len() / WALKS;
        // Part k reports matches ending in (cut[k], cut[k + 1]] and starts
        // reading at begin[k].
        let cut: [usize; WALKS] = std::array::from_fn(|k| k * part);
        let begin: [usize; WALKS] = std::array::from_fn(|k| cut[k].saturating_sub(overlap));
        let end = |k: usize| {
            if k + 1 == WALKS {
                buffer.len()
            } else {
                cut[k + 1]
            }
        };
        // The first part is the shortest: walk that many bytes of each
        // together, then finish the others one by one.
        let together = end(0) - begin[0];
        let heads: [&[u8]; WALKS] = std::array::from_fn(|k| &buffer[begin[k]..begin[k] + together]);
        let mut states = [dfa.start(); WALKS];
        let step = dfa.stepper();
        let mut parts: [Vec<(u16, usize)>; WALKS] = std::array::from_fn(|_| Vec::new());
        // One index steps through all parts in lockstep.
        #[allow(clippy::needless_range_loop)]
        for index in 0..together {
            for k in 0..WALKS {
                states[k] = step.next(states[k], heads[k][index]);
                if step.is_match(states[k]) {
                    parts[k].push((states[k], begin[k] + index + 1));
                }
            }
        }
        for (k, part) in parts.iter_mut().enumerate() {
            let from = begin[k] + together;
            walk(dfa, states[k], &buffer[from..end(k)], from, cut[k], part);
            found.extend(part.iter().filter(|&&(_, at)| k == 0 || at > cut[k]));
        }
        found
    }

    fn dispatch(
        &self,
        buffer: &[u8],
        pattern: usize,
        range: Range<usize>,
        on_hit: &mut impl FnMut(Hit<'_>),
    ) {
        let pattern = &self.patterns[pattern];
        let exact_ok = || buffer[range.clone()] == pattern.bytes[..];
        for action in &pattern.actions {
            match *action {
                Action::Keyword { rule, exact } => {
                    if !exact || exact_ok() {
                        on_hit(Hit::Keyword {
                            rule,
                            range: range.clone(),
                        });
                    }
                }
                Action::Decode { trigger, exact } => {
                    if !exact || exact_ok() {
                        on_hit(Hit::Encoded {
                            trigger: &self.triggers[trigger],
                            range: range.clone(),
                        });
                    }
                }
            }
        }
    }
}

/// Buffers shorter than this are walked in one piece: splitting pays off
/// only once the table no longer stays in cache.
const SPLIT_AT_LEAST: usize = 4096;
/// Walks interleaved over a long buffer. Measured on the benchmark corpus
/// under wasmtime: 4 walks scan ~15% faster than 2; 8 run out of registers
/// and are much slower.
const WALKS: usize = 4;

/// Walks `bytes` (found at `offset` in the buffer) from `state`, recording
/// match states that end past `report_after`.
fn walk(
    dfa: &KeywordDfa,
    mut state: u16,
    bytes: &[u8],
    offset: usize,
    report_after: usize,
    found: &mut Vec<(u16, usize)>,
) {
    let step = dfa.stepper();
    for (index, &byte) in bytes.iter().enumerate() {
        state = step.next(state, byte);
        if step.is_match(state) {
            let end = offset + index + 1;
            if end > report_after {
                found.push((state, end));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keyword_hits(prefilter: &Prefilter, buffer: &[u8]) -> Vec<(usize, Range<usize>)> {
        let mut hits = Vec::new();
        prefilter.for_each_hit(buffer, |hit| {
            if let Hit::Keyword { rule, range } = hit {
                hits.push((rule, range));
            }
        });
        hits
    }

    /// Every occurrence of every keyword, by brute force, ordered like the
    /// prefilter's hits (by end, then by rule).
    fn brute_force(rules: &[(usize, &[&str])], buffer: &[u8]) -> Vec<(usize, Range<usize>)> {
        let mut hits = Vec::new();
        for &(rule, keywords) in rules {
            for keyword in keywords {
                let keyword = keyword.as_bytes();
                for start in 0..=buffer.len().saturating_sub(keyword.len()) {
                    if buffer[start..start + keyword.len()].eq_ignore_ascii_case(keyword) {
                        hits.push((rule, start..start + keyword.len()));
                    }
                }
            }
        }
        hits.sort_by_key(|(rule, range)| (range.end, *rule));
        hits
    }

    #[test]
    fn split_walk_finds_every_hit_once_and_in_order() {
        let keywords: [(usize, &[&str]); 3] = [
            (0, &["password", "pass"]),
            (1, &["ghp_"]),
            (2, &["-----BEGIN OPENSSH PRIVATE KEY-----"]),
        ];
        let owned: Vec<Vec<String>> = keywords
            .iter()
            .map(|(_, k)| k.iter().map(|s| s.to_string()).collect())
            .collect();
        let rules: Vec<RuleKeywords<'_>> = keywords
            .iter()
            .zip(&owned)
            .map(|(&(rule, _), keywords)| RuleKeywords {
                rule,
                keywords,
                ignore_case: true,
            })
            .collect();
        let prefilter = Prefilter::new(&rules, false, None).unwrap();
        for length in [SPLIT_AT_LEAST - 1, SPLIT_AT_LEAST, 10_001] {
            // Plant each keyword at every offset across each cut, where two
            // parts of the walk meet.
            let cuts = (1..WALKS).map(|k| k * (length / WALKS));
            for (cut, keyword) in cuts.flat_map(|cut| {
                ["PassWord", "ghp_", "-----BEGIN OPENSSH PRIVATE KEY-----"].map(|k| (cut, k))
            }) {
                for shift in 0..keyword.len() + 2 {
                    let mut buffer = vec![b'x'; length];
                    let at = cut - keyword.len() + shift;
                    buffer[at..at + keyword.len()].copy_from_slice(keyword.as_bytes());
                    buffer[10..14].copy_from_slice(b"pass");
                    let end = buffer.len();
                    buffer[end - 4..].copy_from_slice(b"ghp_");
                    let mut found = keyword_hits(&prefilter, &buffer);
                    found.sort_by_key(|(rule, range)| (range.end, *rule));
                    assert_eq!(found, brute_force(&keywords, &buffer), "{keyword} at {at}");
                    let ends: Vec<usize> = keyword_hits(&prefilter, &buffer)
                        .iter()
                        .map(|(_, range)| range.end)
                        .collect();
                    assert!(ends.is_sorted(), "hits out of order: {ends:?}");
                }
            }
        }
    }
}
