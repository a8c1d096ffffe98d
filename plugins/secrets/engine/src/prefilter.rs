//! The fast path: one Aho-Corasick pass over the whole buffer finds rule
//! keywords and encoded-content triggers. Regexes later run only in windows
//! around these hits, so text without any keyword costs a single automaton
//! pass.

use std::collections::HashMap;
use std::ops::Range;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::decode::{Encoding, Trigger, generic_triggers, keyword_triggers};

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
    automaton: AhoCorasick,
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
    /// `with_decoding` adds the encoded-form triggers.
    pub(crate) fn new(
        rules: &[RuleKeywords<'_>],
        with_decoding: bool,
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
        let automaton = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .kind(Some(AhoCorasickKind::DFA))
            .build(patterns.iter().map(|p| &p.bytes))
            .map_err(|error| error.to_string())?;
        Ok(Prefilter {
            automaton,
            patterns,
            triggers,
        })
    }

    /// Calls `on_hit` for every hit, in order of their end offsets.
    pub(crate) fn for_each_hit(&self, buffer: &[u8], mut on_hit: impl FnMut(Hit<'_>)) {
        for found in self.automaton.find_overlapping_iter(buffer) {
            let pattern = &self.patterns[found.pattern().as_usize()];
            let range = found.range();
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
}
