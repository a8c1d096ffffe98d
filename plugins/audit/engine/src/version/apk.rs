//! Alpine package versions, ordered as apk-tools orders them:
//! `number{.number}...{letter}{_suffix{number}}...{-rN}`.
//!
//! A version is read as a list of tokens, each with a kind and a value:
//!
//! - the first number, then `.`-separated numbers. After a dot, leading
//!   zeros are special: they become their own token worth minus their
//!   count (`1.01` < `1.1`, `1.0` > `1`), and the digits after them are
//!   an ordinary number;
//! - one lower-case letter right after a number (`1.2a`), worth its code;
//!   digits may follow it (`1.2a3`);
//! - suffixes after `_`: the pre-releases `alpha` < `beta` < `pre` < `rc`
//!   (all below the plain release) and the post-releases `cvs` < `svn` <
//!   `git` < `hg` < `p` (all above it), each optionally numbered;
//! - the package revision `-rN`.
//!
//! Two versions compare token by token while the kinds agree. The first
//! differing value decides. Where one version has a token of another kind
//! (or has ended), a pre-release suffix makes it the lower one; otherwise
//! the version whose token comes later in the grammar (the end counting
//! as last) is the lower: `1.0_rc1` < `1.0` < `1.0-r1` < `1.0_p1` <
//! `1.0a` < `1.0.1`.
//!
//! No maintained crate implements this ordering (crates.io has apk
//! archive readers, not the version rules), so it is written here from
//! the rules apk-tools documents and applies.

use std::cmp::Ordering;

/// Token kinds in grammar order; the order matters when two versions
/// reach tokens of different kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// A number after a `.` (where leading zeros are special).
    DotNumber,
    /// The first number, a number after a letter, or the digits after the
    /// leading zeros of a dot-number.
    Number,
    Letter,
    Suffix,
    SuffixNumber,
    Revision,
    End,
}

const PRE_RELEASE_SUFFIXES: [&str; 4] = ["alpha", "beta", "pre", "rc"];
const POST_RELEASE_SUFFIXES: [&str; 5] = ["cvs", "svn", "git", "hg", "p"];

/// A parsed Alpine version.
#[derive(Debug, Clone)]
pub(crate) struct ApkVersion {
    /// Always ends with one [`Kind::End`] token.
    tokens: Vec<(Kind, i64)>,
}

impl ApkVersion {
    /// `None` for text apk-tools would not accept as a version.
    pub(crate) fn parse(text: &str) -> Option<ApkVersion> {
        let text = text.trim().as_bytes();
        let mut tokens = Vec::new();
        let mut rest = text;
        let mut kind = Kind::Number;
        let mut after_zeros = false;
        loop {
            // The token's value.
            match kind {
                Kind::DotNumber if rest.first() == Some(&b'0') => {
                    let zeros = rest.iter().take_while(|&&c| c == b'0').count();
                    tokens.push((kind, -i64::try_from(zeros).ok()?));
                    rest = &rest[zeros..];
                    if !rest.is_empty() {
                        // Unless the version ends here, the zeros are
                        // followed by a number token without a separator:
                        // the digits after them, or `0` when none follow
                        // (so `1.0.1` < `1.01`, as apk-tools has it).
                        after_zeros = true;
                        kind = Kind::Number;
                        continue;
                    }
                }
                Kind::DotNumber | Kind::Number | Kind::SuffixNumber | Kind::Revision => {
                    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
                    if digits == 0 && !after_zeros {
                        return None;
                    }
                    after_zeros = false;
                    tokens.push((kind, number(&rest[..digits])));
                    rest = &rest[digits..];
                }
                Kind::Letter => {
                    tokens.push((kind, i64::from(rest[0])));
                    rest = &rest[1..];
                }
                Kind::Suffix => {
                    let (value, length) = suffix(rest)?;
                    tokens.push((kind, value));
                    rest = &rest[length..];
                }
                // The loop returns as soon as the next kind is the end.
                Kind::End => return None,
            }
            // What may follow it.
            let next = match rest.first() {
                None => Kind::End,
                Some(c)
                    if c.is_ascii_lowercase() && matches!(kind, Kind::Number | Kind::DotNumber) =>
                {
                    Kind::Letter
                }
                Some(c) if c.is_ascii_digit() && kind == Kind::Letter => Kind::Number,
                Some(c) if c.is_ascii_digit() && kind == Kind::Suffix => Kind::SuffixNumber,
                Some(b'.') if matches!(kind, Kind::Number | Kind::DotNumber) => Kind::DotNumber,
                Some(b'_')
                    if matches!(
                        kind,
                        Kind::Number
                            | Kind::DotNumber
                            | Kind::Letter
                            | Kind::Suffix
                            | Kind::SuffixNumber
                    ) =>
                {
                    Kind::Suffix
                }
                Some(b'-') if rest.get(1) == Some(&b'r') && kind != Kind::Revision => {
                    rest = &rest[1..];
                    Kind::Revision
                }
                _ => return None,
            };
            if next == Kind::End {
                tokens.push((Kind::End, 0));
                return Some(ApkVersion { tokens });
            }
            if matches!(next, Kind::DotNumber | Kind::Suffix | Kind::Revision) {
                // The separator (`.`, `_`, the `r` of `-r`).
                rest = &rest[1..];
            }
            kind = next;
        }
    }
}

/// A digit run's value; runs too long for an `i64` (no real version has
/// one) saturate rather than wrap.
fn number(digits: &[u8]) -> i64 {
    digits.iter().fold(0i64, |value, digit| {
        value
            .saturating_mul(10)
            .saturating_add(i64::from(digit - b'0'))
    })
}

/// The value and length of the suffix name at the start of `text`:
/// pre-releases negative, post-releases zero or more.
fn suffix(text: &[u8]) -> Option<(i64, usize)> {
    let pre = PRE_RELEASE_SUFFIXES.len() as i64;
    PRE_RELEASE_SUFFIXES
        .iter()
        .zip(-pre..)
        .chain(POST_RELEASE_SUFFIXES.iter().zip(0..))
        .find(|(name, _)| text.starts_with(name.as_bytes()))
        .map(|(name, value)| (value, name.len()))
}

impl Ord for ApkVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        for (&(a_kind, a_value), &(b_kind, b_value)) in self.tokens.iter().zip(&other.tokens) {
            if a_kind != b_kind {
                let pre_release = |kind, value: i64| kind == Kind::Suffix && value < 0;
                if pre_release(a_kind, a_value) {
                    return Ordering::Less;
                }
                if pre_release(b_kind, b_value) {
                    return Ordering::Greater;
                }
                // The one that goes on to a later part of the grammar (or
                // ends) is the lower.
                return b_kind.cmp(&a_kind);
            }
            if a_kind == Kind::End {
                return Ordering::Equal;
            }
            let order = a_value.cmp(&b_value);
            if order.is_ne() {
                return order;
            }
        }
        // Both lists end with `End`, so the loop always returns.
        Ordering::Equal
    }
}

impl PartialOrd for ApkVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for ApkVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for ApkVersion {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_apk_examples_are_ordered() {
        crate::version::assert_table_order(include_str!("apk_order.txt"), ApkVersion::parse);
    }

    #[test]
    fn text_apk_refuses_is_not_a_version() {
        for bad in [
            "",
            "r1",
            "1.0-1",
            "1.0_foo",
            "1.0a.1",
            "1.0-r",
            "1.0-r1-r2",
            "1..0",
            "1.0A",
            "1.0_",
            "1.0-r1a",
            "v3.20",
            "1.0_alphabet",
        ] {
            assert!(ApkVersion::parse(bad).is_none(), "{bad:?}");
        }
        assert!(ApkVersion::parse("99999999999999999999999.1").is_some());
    }

    #[test]
    fn the_order_is_total_over_every_version_of_the_table() {
        crate::version::assert_total_order(include_str!("apk_order.txt"), ApkVersion::parse);
    }

    #[test]
    fn arbitrary_text_never_panics() {
        crate::version::assert_arbitrary_text_is_safe(ApkVersion::parse);
    }
}
