//! Debian package versions, ordered as dpkg orders them (Debian Policy
//! §5.6.12 "Version"): `[epoch:]upstream_version[-debian_revision]`.
//!
//! - The epoch is a number; a missing epoch is `0`.
//! - The revision is everything after the last `-`; a missing revision
//!   compares as `0`.
//! - Upstream version and revision compare the same way: alternately a run
//!   of non-digits, compared character by character where `~` sorts before
//!   everything (even the end of the string), letters before any other
//!   character; then a run of digits, compared as a number (an empty run
//!   counts as `0`).
//!
//! Written here rather than taken from the `debversion` crate: that crate
//! is well kept, but it brings `chrono`, `lazy-regex` and `num-bigint`
//! into the wasm component for one comparison, and it orders an empty
//! digit run below `0` (`1a` < `1a0`) where dpkg, and so the Debian
//! security tracker OSV's ranges come from, treats them as equal.

use std::cmp::Ordering;

/// A parsed Debian version.
#[derive(Debug, Clone)]
pub(crate) struct DpkgVersion {
    epoch: u64,
    upstream: String,
    /// Empty when the version has none.
    revision: String,
}

impl DpkgVersion {
    /// `None` for text dpkg would refuse: an empty upstream version, a
    /// non-numeric epoch, an empty revision after `-`, or characters
    /// outside the policy's set (letters, digits and `.+~-:` in the
    /// upstream version, `.+~` besides letters and digits in the revision).
    pub(crate) fn parse(text: &str) -> Option<DpkgVersion> {
        let text = text.trim();
        let (epoch, rest) = match text.split_once(':') {
            Some((epoch, rest))
                if !epoch.is_empty() && epoch.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (epoch.parse().ok()?, rest)
            }
            Some(_) => return None,
            None => (0, text),
        };
        let (upstream, revision) = match rest.rsplit_once('-') {
            Some((upstream, revision)) => {
                if revision.is_empty() {
                    return None;
                }
                (upstream, revision)
            }
            None => (rest, ""),
        };
        let upstream_ok = !upstream.is_empty()
            && upstream
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"._+~-:".contains(&b));
        let revision_ok = revision
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+~".contains(&b));
        if !upstream_ok || !revision_ok {
            return None;
        }
        Some(DpkgVersion {
            epoch,
            upstream: upstream.to_owned(),
            revision: revision.to_owned(),
        })
    }
}

impl Ord for DpkgVersion {
    fn cmp(&self, other: &Self) -> Ordering {
        self.epoch
            .cmp(&other.epoch)
            .then_with(|| compare_part(&self.upstream, &other.upstream))
            .then_with(|| compare_part(&self.revision, &other.revision))
    }
}

impl PartialOrd for DpkgVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for DpkgVersion {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for DpkgVersion {}

/// The weight of one character in a non-digit run; `None` is the end of
/// the run. `~` is below the end, the end below letters, letters below
/// every other character.
fn weight(c: Option<u8>) -> i32 {
    match c {
        None => 0,
        Some(b'~') => -1,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        let (a_text, a_rest) = split_run(a, |c| !c.is_ascii_digit());
        let (b_text, b_rest) = split_run(b, |c| !c.is_ascii_digit());
        for i in 0..a_text.len().max(b_text.len()) {
            let order = weight(a_text.get(i).copied()).cmp(&weight(b_text.get(i).copied()));
            if order.is_ne() {
                return order;
            }
        }
        let (a_digits, a_rest) = split_run(a_rest, |c| c.is_ascii_digit());
        let (b_digits, b_rest) = split_run(b_rest, |c| c.is_ascii_digit());
        let order = compare_numbers(a_digits, b_digits);
        if order.is_ne() {
            return order;
        }
        (a, b) = (a_rest, b_rest);
    }
    Ordering::Equal
}

fn split_run(text: &[u8], in_run: fn(&u8) -> bool) -> (&[u8], &[u8]) {
    let end = text.iter().position(|c| !in_run(c)).unwrap_or(text.len());
    text.split_at(end)
}

/// Digit runs as numbers of any length: leading zeros dropped, then the
/// longer is larger, then digit by digit. An empty run is `0`.
fn compare_numbers(a: &[u8], b: &[u8]) -> Ordering {
    let trim = |digits: &[u8]| -> usize { digits.iter().take_while(|&&d| d == b'0').count() };
    let a = &a[trim(a)..];
    let b = &b[trim(b)..];
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_policy_examples_and_dpkg_corner_cases_are_ordered() {
        crate::version::assert_table_order(include_str!("dpkg_order.txt"), DpkgVersion::parse);
    }

    #[test]
    fn text_dpkg_refuses_is_not_a_version() {
        for bad in ["", "a:1.0", ":1.0", "1.0-", "1.0 beta", "1.0-ré", "-1"] {
            assert!(DpkgVersion::parse(bad).is_none(), "{bad:?}");
        }
        let long = format!("1.{}", "9".repeat(200));
        let longer = format!("1.1{}", "0".repeat(200));
        assert!(DpkgVersion::parse(&long) < DpkgVersion::parse(&longer));
    }

    #[test]
    fn the_order_is_total_over_every_version_of_the_table() {
        crate::version::assert_total_order(include_str!("dpkg_order.txt"), DpkgVersion::parse);
    }

    #[test]
    fn arbitrary_text_never_panics() {
        crate::version::assert_arbitrary_text_is_safe(DpkgVersion::parse);
    }
}
