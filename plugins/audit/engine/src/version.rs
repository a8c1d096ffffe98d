//! Version parsing and ordering per ecosystem, as the OSV schema defines it:
//! SemVer 2.0 for crates.io, npm, Pub and Hex (and every `SEMVER` range),
//! PEP 440 for PyPI, Go module versions (SemVer with a `v` prefix), and
//! segment-wise orderings for RubyGems (`Gem::Version`), Maven
//! (`ComparableVersion`'s qualifier order), NuGet, Packagist (PHP's
//! `version_compare`), the dotted-number versions of CRAN and Conan, and
//! the distributions' own orderings: dpkg's for Debian ([`dpkg`]) and
//! apk-tools' for Alpine ([`apk`]).

mod apk;
mod dpkg;

use std::cmp::Ordering;
use std::str::FromStr;

use crate::ecosystem::Ecosystem;
use apk::ApkVersion;
use dpkg::DpkgVersion;

/// How versions of one ecosystem are read and ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    SemVer,
    Pep440,
    Go,
    RubyGems,
    Maven,
    NuGet,
    Packagist,
    /// Numbers separated by `.` or `-` (CRAN's `1.2-3`, Conan's `1.2.13`);
    /// any word is a pre-release.
    Dotted,
    /// Debian: `epoch:upstream-revision`, compared as dpkg does.
    Dpkg,
    /// Alpine: compared as apk-tools does.
    Apk,
}

impl Scheme {
    /// The ordering OSV's `ECOSYSTEM` ranges use for `ecosystem`.
    pub(crate) fn for_ecosystem(ecosystem: Ecosystem) -> Self {
        match ecosystem {
            Ecosystem::CratesIo | Ecosystem::Npm | Ecosystem::Pub | Ecosystem::Hex => Self::SemVer,
            Ecosystem::PyPI => Self::Pep440,
            Ecosystem::Go => Self::Go,
            Ecosystem::RubyGems => Self::RubyGems,
            Ecosystem::Maven => Self::Maven,
            Ecosystem::NuGet => Self::NuGet,
            Ecosystem::Packagist => Self::Packagist,
            Ecosystem::Cran | Ecosystem::ConanCenter => Self::Dotted,
            Ecosystem::Debian => Self::Dpkg,
            Ecosystem::Alpine => Self::Apk,
        }
    }

    /// Parses `text`; `None` when it is not a version of this scheme.
    pub(crate) fn parse(self, text: &str) -> Option<ComparableVersion> {
        let text = text.trim();
        match self {
            Self::SemVer => parse_semver(text),
            // Go module versions always carry a `v`; OSV writes them without.
            Self::Go => parse_semver(text.strip_prefix('v').unwrap_or(text)),
            Self::Pep440 => pep440_rs::Version::from_str(text)
                .ok()
                .map(ComparableVersion::Pep440),
            Self::RubyGems => segments(text, ruby_rank),
            Self::Maven => segments(text, maven_rank),
            Self::NuGet => nuget(text),
            Self::Packagist => {
                let text = text.strip_prefix(['v', 'V']).unwrap_or(text);
                segments(text, php_rank)
            }
            Self::Dotted => segments(text, |_| -1),
            Self::Dpkg => DpkgVersion::parse(text).map(ComparableVersion::Dpkg),
            Self::Apk => ApkVersion::parse(text).map(ComparableVersion::Apk),
        }
    }
}

/// One segment of a segment-wise version.
#[derive(Debug, Clone)]
pub(crate) enum Segment {
    Number(u64),
    /// A word with its rank against a release (negative: pre-release, `0`:
    /// a release marker such as Maven's `ga`, positive: post-release),
    /// compared by text within a rank.
    Word(i8, String),
}

fn compare_segments(a: &Segment, b: &Segment) -> Ordering {
    match (a, b) {
        (Segment::Number(a), Segment::Number(b)) => a.cmp(b),
        (Segment::Word(ra, a), Segment::Word(rb, b)) => ra.cmp(rb).then_with(|| a.cmp(b)),
        // A zero (or a missing segment) stands for the release itself.
        (Segment::Number(0), Segment::Word(rank, _)) => 0.cmp(rank),
        (Segment::Number(_), Segment::Word(..)) => Ordering::Greater,
        (Segment::Word(..), Segment::Number(_)) => compare_segments(b, a).reverse(),
    }
}

fn compare_segment_lists(a: &[Segment], b: &[Segment]) -> Ordering {
    let missing = Segment::Number(0);
    (0..a.len().max(b.len()))
        .map(|i| compare_segments(a.get(i).unwrap_or(&missing), b.get(i).unwrap_or(&missing)))
        .find(|order| order.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Splits at `.`, `-`, `_`, `+` and between digits and letters. Build
/// metadata (after `+`) is kept only where the scheme orders it (it is not
/// for NuGet, which strips it first). `None` for text without a digit.
fn segments(text: &str, rank: fn(&str) -> i8) -> Option<ComparableVersion> {
    if !text.starts_with(|c: char| c.is_ascii_digit()) {
        return None;
    }
    let mut parts = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, parts: &mut Vec<Segment>| -> Option<()> {
        if current.is_empty() {
            return Some(());
        }
        let part = std::mem::take(current);
        if part.bytes().all(|b| b.is_ascii_digit()) {
            // Numbers longer than u64 are not versions anyone publishes.
            parts.push(Segment::Number(part.parse().ok()?));
        } else {
            let word = part.to_ascii_lowercase();
            let rank = rank(&word);
            parts.push(Segment::Word(
                rank,
                if rank == 0 { String::new() } else { word },
            ));
        }
        Some(())
    };
    for c in text.chars() {
        if matches!(c, '.' | '-' | '_' | '+') {
            flush(&mut current, &mut parts)?;
            continue;
        }
        if !c.is_ascii_alphanumeric() {
            return None;
        }
        if let Some(last) = current.chars().last()
            && last.is_ascii_digit() != c.is_ascii_digit()
        {
            flush(&mut current, &mut parts)?;
        }
        current.push(c);
    }
    flush(&mut current, &mut parts)?;
    Some(ComparableVersion::Segments(parts))
}

/// `Gem::Version`: every word makes a pre-release (`1.0.a` < `1.0`).
fn ruby_rank(_: &str) -> i8 {
    -1
}

/// Maven's qualifier order: alpha < beta < milestone < rc < snapshot <
/// release (`ga`, `final`, `release`) < sp < any other word.
fn maven_rank(word: &str) -> i8 {
    match word {
        "alpha" | "a" => -5,
        "beta" | "b" => -4,
        "milestone" | "m" => -3,
        "rc" | "cr" => -2,
        "snapshot" => -1,
        "ga" | "final" | "release" => 0,
        "sp" => 1,
        _ => 2,
    }
}

/// PHP's `version_compare` order, which Composer follows: any other word
/// < dev < alpha < beta < RC < release < patch level (`pl`, `p`).
fn php_rank(word: &str) -> i8 {
    match word {
        "dev" => -5,
        "alpha" | "a" => -4,
        "beta" | "b" => -3,
        "rc" => -2,
        "stable" => 0,
        "pl" | "p" | "patch" => 1,
        _ => -6,
    }
}

/// NuGet: up to four numbers, then an optional `-pre.release` label
/// (lower than the release), build metadata ignored, case-insensitive.
fn nuget(text: &str) -> Option<ComparableVersion> {
    let text = text.split('+').next().unwrap_or(text);
    let (release, label) = match text.split_once('-') {
        Some((release, label)) => (release, Some(label)),
        None => (text, None),
    };
    let mut parts = Vec::new();
    for number in release.split('.') {
        parts.push(Segment::Number(number.parse().ok()?));
    }
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    parts.resize(4, Segment::Number(0));
    if let Some(label) = label {
        // The marker sorts the label below the release; identifiers then
        // compare numerically or by text.
        parts.push(Segment::Word(-1, String::new()));
        for identifier in label.split('.') {
            parts.push(match identifier.parse() {
                Ok(number) => Segment::Number(number),
                Err(_) => Segment::Word(-1, identifier.to_ascii_lowercase()),
            });
        }
    }
    Some(ComparableVersion::Segments(parts))
}

fn parse_semver(text: &str) -> Option<ComparableVersion> {
    let mut version = semver::Version::parse(text).ok()?;
    // SemVer 2.0 precedence ignores build metadata (`+incompatible` in Go,
    // `+1.1.1q` in crates); the `semver` crate's `Ord` would not.
    version.build = semver::BuildMetadata::EMPTY;
    Some(ComparableVersion::SemVer(version))
}

/// A parsed version; only versions of the same scheme are ever compared.
#[derive(Debug, Clone)]
pub(crate) enum ComparableVersion {
    SemVer(semver::Version),
    Pep440(pep440_rs::Version),
    /// Segment-wise versions, where `1.0` and `1.0.0` are equal.
    Segments(Vec<Segment>),
    Dpkg(DpkgVersion),
    Apk(ApkVersion),
}

impl PartialEq for ComparableVersion {
    fn eq(&self, other: &Self) -> bool {
        self.partial_cmp(other) == Some(Ordering::Equal)
    }
}

impl PartialOrd for ComparableVersion {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (Self::SemVer(a), Self::SemVer(b)) => Some(a.cmp(b)),
            (Self::Pep440(a), Self::Pep440(b)) => Some(a.cmp(b)),
            (Self::Segments(a), Self::Segments(b)) => Some(compare_segment_lists(a, b)),
            (Self::Dpkg(a), Self::Dpkg(b)) => Some(a.cmp(b)),
            (Self::Apk(a), Self::Apk(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// The pairs of an ordering table (`A < B`, `A = B`, `A > B`, one per
/// line, `#` comments), with their line numbers, for the tests of each
/// ordering.
#[cfg(test)]
pub(crate) fn ordering_table(text: &str) -> Vec<(usize, &str, Ordering, &str)> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .map(|(number, line)| {
            let parts: Vec<&str> = line.split_whitespace().collect();
            let [a, operator, b] = parts[..] else {
                panic!("line {}: `A < B` expected, got {line:?}", number + 1)
            };
            let order = match operator {
                "<" => Ordering::Less,
                "=" => Ordering::Equal,
                ">" => Ordering::Greater,
                other => panic!("line {}: unknown operator {other:?}", number + 1),
            };
            (number + 1, a, order, b)
        })
        .collect()
}

/// Checks every pair of an ordering table both ways round: `A < B` must
/// compare as less, and `B` against `A` as greater.
#[cfg(test)]
pub(crate) fn assert_table_order<V: Ord>(table: &str, parse: impl Fn(&str) -> Option<V>) {
    let cases = ordering_table(table);
    assert!(cases.len() >= 30, "the table was read");
    for (line, a, expected, b) in cases {
        let parsed_a = parse(a).unwrap_or_else(|| panic!("line {line}: {a}"));
        let parsed_b = parse(b).unwrap_or_else(|| panic!("line {line}: {b}"));
        assert_eq!(parsed_a.cmp(&parsed_b), expected, "line {line}: {a} vs {b}");
        assert_eq!(
            parsed_b.cmp(&parsed_a),
            expected.reverse(),
            "line {line}: {b} vs {a}"
        );
    }
}

/// Checks that `parse` orders every version of an ordering table totally
/// (sorting them leaves no pair out of order).
#[cfg(test)]
pub(crate) fn assert_total_order<V: Ord + std::fmt::Debug>(
    table: &str,
    parse: impl Fn(&str) -> Option<V>,
) {
    let mut versions: Vec<V> = ordering_table(table)
        .into_iter()
        .flat_map(|(_, a, _, b)| [a, b])
        .filter_map(parse)
        .collect();
    versions.sort();
    for (i, low) in versions.iter().enumerate() {
        for high in &versions[i..] {
            assert_ne!(low.cmp(high), Ordering::Greater, "{low:?} vs {high:?}");
        }
    }
}

/// Feeds `parse` a fixed pseudo-random walk over the characters versions
/// use and a few they must not (the same on every run): it never panics,
/// and what it accepts equals itself.
#[cfg(test)]
pub(crate) fn assert_arbitrary_text_is_safe<V: Ord + std::fmt::Debug>(
    parse: impl Fn(&str) -> Option<V>,
) {
    let alphabet = b"0123456789.-_~+:abcdprz rA\xff";
    let mut state = 0x2545_f491_u32;
    for _ in 0..20_000 {
        let mut text = Vec::new();
        for _ in 0..(state % 12) {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            text.push(alphabet[state as usize % alphabet.len()]);
        }
        let text = String::from_utf8_lossy(&text);
        if let Some(version) = parse(&text) {
            assert_eq!(version.cmp(&version), Ordering::Equal, "{text}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lt(scheme: Scheme, a: &str, b: &str) -> bool {
        let a = scheme.parse(a).unwrap();
        let b = scheme.parse(b).unwrap();
        a < b
    }

    #[test]
    fn semver_orders_prereleases_before_release_and_ignores_build() {
        assert!(lt(Scheme::SemVer, "1.0.0-alpha", "1.0.0-alpha.1"));
        assert!(lt(Scheme::SemVer, "1.0.0-rc.1", "1.0.0"));
        assert!(lt(Scheme::SemVer, "1.9.0", "1.10.0"));
        let a = Scheme::SemVer.parse("111.22.0+1.1.1q").unwrap();
        let b = Scheme::SemVer.parse("111.22.0").unwrap();
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
        assert!(Scheme::SemVer.parse("1.0").is_none());
    }

    #[test]
    fn pep440_orders_dev_pre_post_and_normalises() {
        assert!(lt(Scheme::Pep440, "1.0.dev1", "1.0a1"));
        assert!(lt(Scheme::Pep440, "1.0a1", "1.0rc1"));
        assert!(lt(Scheme::Pep440, "1.0rc1", "1.0"));
        assert!(lt(Scheme::Pep440, "1.0", "1.0.post1"));
        assert!(lt(Scheme::Pep440, "1.9", "1.10"));
        assert!(lt(Scheme::Pep440, "2!0.1", "2!1.0"));
        assert!(lt(Scheme::Pep440, "9.9", "1!0.1"));
        assert_eq!(Scheme::Pep440.parse("1.0"), Scheme::Pep440.parse("1.0.0"));
        assert_eq!(
            Scheme::Pep440.parse("1.0RC1"),
            Scheme::Pep440.parse("1.0rc1")
        );
        assert!(Scheme::Pep440.parse("not a version").is_none());
    }

    #[test]
    fn rubygems_words_are_prereleases_and_trailing_zeros_do_not_count() {
        assert!(lt(Scheme::RubyGems, "1.0.0.pre1", "1.0.0"));
        assert!(lt(Scheme::RubyGems, "1.0.a9", "1.0.a10"));
        assert!(lt(Scheme::RubyGems, "1.0.0.beta", "1.0.0.rc1"));
        assert!(lt(Scheme::RubyGems, "2.2.9", "2.2.10"));
        assert!(lt(Scheme::RubyGems, "5.2.4.3", "5.2.4.4"));
        assert_eq!(
            Scheme::RubyGems.parse("1.0"),
            Scheme::RubyGems.parse("1.0.0")
        );
        assert!(Scheme::RubyGems.parse("latest").is_none());
    }

    #[test]
    fn maven_qualifiers_follow_maven_order() {
        assert!(lt(Scheme::Maven, "1.0-alpha-1", "1.0-beta-1"));
        assert!(lt(Scheme::Maven, "1.0-beta", "1.0-M1"));
        assert!(lt(Scheme::Maven, "1.0-M1", "1.0-RC1"));
        assert!(lt(Scheme::Maven, "1.0-RC1", "1.0-SNAPSHOT"));
        assert!(lt(Scheme::Maven, "1.0-SNAPSHOT", "1.0"));
        assert!(lt(Scheme::Maven, "1.0", "1.0-sp1"));
        assert!(lt(Scheme::Maven, "1.0-sp1", "1.0.1"));
        assert!(lt(Scheme::Maven, "2.14.1", "2.15.0"));
        assert!(lt(Scheme::Maven, "2.9.10.7", "2.9.10.8"));
        assert!(lt(Scheme::Maven, "5.3.17", "5.3.18"));
        assert!(lt(Scheme::Maven, "31.1-android", "32.0.0-android"));
        assert_eq!(Scheme::Maven.parse("1.0"), Scheme::Maven.parse("1.0.0"));
        assert_eq!(
            Scheme::Maven.parse("1.0-ga"),
            Scheme::Maven.parse("1.0-FINAL")
        );
        assert_eq!(
            Scheme::Maven.parse("1.0.RELEASE"),
            Scheme::Maven.parse("1.0")
        );
    }

    #[test]
    fn nuget_labels_sort_below_the_release() {
        assert!(lt(Scheme::NuGet, "1.0.0-beta", "1.0.0"));
        assert!(lt(Scheme::NuGet, "1.0.0-beta.2", "1.0.0-beta.10"));
        assert!(lt(Scheme::NuGet, "12.0.3", "13.0.1"));
        assert!(lt(Scheme::NuGet, "4.3.0", "4.3.0.1"));
        assert_eq!(
            Scheme::NuGet.parse("1.0"),
            Scheme::NuGet.parse("1.0.0.0+build")
        );
        assert_eq!(
            Scheme::NuGet.parse("1.0.0-RC"),
            Scheme::NuGet.parse("1.0.0-rc")
        );
        assert!(Scheme::NuGet.parse("1.x").is_none());
    }

    #[test]
    fn packagist_follows_php_version_compare() {
        assert!(lt(Scheme::Packagist, "1.0.0-dev", "1.0.0-alpha1"));
        assert!(lt(Scheme::Packagist, "1.0.0-alpha1", "1.0.0-beta2"));
        assert!(lt(Scheme::Packagist, "1.0.0-beta2", "1.0.0-RC1"));
        assert!(lt(Scheme::Packagist, "1.0.0-RC1", "1.0.0"));
        assert!(lt(Scheme::Packagist, "1.0.0", "1.0.0-p1"));
        assert!(lt(Scheme::Packagist, "v5.4.19", "v5.4.20"));
        assert_eq!(
            Scheme::Packagist.parse("v1.2.3"),
            Scheme::Packagist.parse("1.2.3")
        );
    }

    #[test]
    fn dotted_versions_compare_numerically() {
        assert!(lt(Scheme::Dotted, "1.2-3", "1.2-10"));
        assert!(lt(Scheme::Dotted, "0.9.1", "1.0"));
        assert!(lt(Scheme::Dotted, "1.2.13", "1.3"));
    }

    #[test]
    fn go_versions_accept_the_v_prefix_and_pseudo_versions() {
        assert!(lt(
            Scheme::Go,
            "v0.0.0-20210101000000-abcdef123456",
            "v0.0.1"
        ));
        assert!(lt(Scheme::Go, "v1.2.3", "1.10.0"));
        let a = Scheme::Go.parse("v2.0.0+incompatible").unwrap();
        let b = Scheme::Go.parse("2.0.0").unwrap();
        assert_eq!(a.partial_cmp(&b), Some(Ordering::Equal));
    }
}
