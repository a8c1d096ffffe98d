//! The one upgrade that fixes a package's advisories: the lowest version
//! some advisory names as fixed that no reported advisory affects.

use crate::advisory::{AdvisoryRecord, Affected, OsvEvent};
use crate::ecosystem::Ecosystem;
use crate::version::{ComparableVersion, Scheme};

/// What upgrading one package version to `version` does about the
/// advisories reported for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upgrade {
    pub version: String,
    /// How many of the `total` advisories no longer affect `version`.
    pub fixes: usize,
    pub total: usize,
    /// Ids of the advisories that still affect `version`, sorted.
    pub remaining: Vec<String>,
}

impl Upgrade {
    /// One line for the run summary, e.g.
    /// `django 2.2.1: upgrade to 2.2.28 fixes 30 advisories`.
    pub fn note(&self, package: &str, current: &str) -> String {
        let plural = |count: usize| if count == 1 { "advisory" } else { "advisories" };
        if self.remaining.is_empty() {
            format!(
                "{package} {current}: upgrade to {} fixes {} {}",
                self.version,
                self.fixes,
                plural(self.fixes)
            )
        } else {
            format!(
                "{package} {current}: no single version fixes all {} advisories; upgrade to {} fixes {} of them, still affected by {}",
                self.total,
                self.version,
                self.fixes,
                self.remaining.join(", ")
            )
        }
    }
}

/// Every version an advisory names as fixed (OSV `fixed` events, the ends
/// of RustSec's affected ranges), as written.
pub(crate) fn fixed_versions(record: &AdvisoryRecord) -> Vec<String> {
    let mut versions: Vec<String> = match &record.affected {
        // Only range ends a `patched` requirement accepts: an end that is
        // merely an `unaffected` island (`time` 0.2.0) is no fix to advise.
        Affected::RustSec {
            patched, ranges, ..
        } => {
            let patched: Vec<semver::VersionReq> = patched
                .iter()
                .filter_map(|req| semver::VersionReq::parse(req).ok())
                .collect();
            ranges
                .iter()
                .filter_map(|range| range.fixed.clone())
                .filter(|end| {
                    semver::Version::parse(end)
                        .is_ok_and(|end| patched.iter().any(|req| req.matches(&end)))
                })
                .collect()
        }
        Affected::Osv { ranges, .. } => ranges
            .iter()
            .flat_map(|range| &range.events)
            .filter_map(|event| match event {
                OsvEvent::Fixed(version) => Some(version.clone()),
                _ => None,
            })
            .collect(),
    };
    // In version order (`0.9` before `0.10`), unreadable ones last.
    let scheme = Scheme::for_ecosystem(Ecosystem::from(record.ecosystem));
    let mut keyed: Vec<(Option<ComparableVersion>, String)> = versions
        .drain(..)
        .map(|text| (scheme.parse(&text), text))
        .collect();
    keyed.sort_by(|(a, a_text), (b, b_text)| match (a, b) {
        (Some(a), Some(b)) => a
            .partial_cmp(b)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a_text.cmp(b_text)),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => a_text.cmp(b_text),
    });
    versions = keyed.into_iter().map(|(_, text)| text).collect();
    versions.dedup();
    versions
}

/// The lowest fixed version above `current` that none of `records`
/// affects; when there is none, the lowest of those that fix the most.
/// `None` when no advisory names a fixed version above `current`.
pub(crate) fn best_upgrade(
    ecosystem: Ecosystem,
    current: &str,
    records: &[&AdvisoryRecord],
) -> Option<Upgrade> {
    let scheme = Scheme::for_ecosystem(ecosystem);
    let current = scheme.parse(current)?;
    let mut candidates: Vec<(ComparableVersion, String)> = records
        .iter()
        .flat_map(|record| fixed_versions(record))
        .filter_map(|text| {
            let version = scheme.parse(&text)?;
            (version > current).then_some((version, text))
        })
        .collect();
    candidates.sort_by(|(a, _), (b, _)| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    candidates.dedup_by(|(a, _), (b, _)| a == b);

    let mut best: Option<Upgrade> = None;
    for (_, candidate) in candidates {
        // A version an advisory's ranges cannot read is not called fixed.
        let mut remaining: Vec<String> = records
            .iter()
            .filter(|record| !matches!(record.affects(&candidate), Ok(None)))
            .map(|record| record.id.clone())
            .collect();
        remaining.sort();
        remaining.dedup();
        let upgrade = Upgrade {
            version: candidate,
            fixes: records.len() - remaining.len(),
            total: records.len(),
            remaining,
        };
        if upgrade.remaining.is_empty() {
            return Some(upgrade);
        }
        if best.as_ref().is_none_or(|best| upgrade.fixes > best.fixes) {
            best = Some(upgrade);
        }
    }
    best.filter(|upgrade| upgrade.fixes > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::osv_db::{OsvFormat, parse_file};

    /// An OSV record shaped like GitHub's PyPI advisories: one range per
    /// maintained release line.
    fn advisory(
        id: &str,
        package: &str,
        ecosystem: &str,
        lines: &[(&str, &str)],
    ) -> AdvisoryRecord {
        let events: Vec<serde_json::Value> = lines
            .iter()
            .map(|(introduced, fixed)| {
                if fixed.is_empty() {
                    serde_json::json!({"type": "ECOSYSTEM", "events": [{"introduced": introduced}]})
                } else {
                    serde_json::json!({"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]})
                }
            })
            .collect();
        let json = serde_json::json!({
            "id": id,
            "summary": format!("Flaw {id}"),
            "affected": [{"package": {"ecosystem": ecosystem, "name": package}, "ranges": events}],
        });
        let mut file = parse_file(OsvFormat::Json, json.to_string().as_bytes()).unwrap();
        assert!(file.problems.is_empty(), "{:?}", file.problems);
        file.records.remove(0)
    }

    fn django() -> Vec<AdvisoryRecord> {
        vec![
            advisory(
                "GHSA-test-sql1",
                "Django",
                "PyPI",
                &[("1.11", "1.11.21"), ("2.1", "2.1.9"), ("2.2", "2.2.2")],
            ),
            advisory(
                "GHSA-test-dos2",
                "Django",
                "PyPI",
                &[("1.11", "1.11.23"), ("2.1", "2.1.11"), ("2.2", "2.2.4")],
            ),
            advisory(
                "GHSA-test-sql3",
                "Django",
                "PyPI",
                &[("2.2", "2.2.28"), ("3.2", "3.2.13"), ("4.0", "4.0.4")],
            ),
        ]
    }

    #[test]
    fn the_lowest_version_past_every_range_fixes_them_all() {
        let records = django();
        let refs: Vec<&AdvisoryRecord> = records.iter().collect();
        for record in &records {
            assert!(record.affects("2.2.1").unwrap().is_some(), "{}", record.id);
        }
        let upgrade = best_upgrade(Ecosystem::PyPI, "2.2.1", &refs).unwrap();
        // 2.2.2 and 2.2.4 each leave GHSA-test-sql3; 1.11.x and 2.1.x are
        // below 2.2.1 and never candidates.
        assert_eq!(upgrade.version, "2.2.28");
        assert_eq!((upgrade.fixes, upgrade.total), (3, 3));
        assert!(upgrade.remaining.is_empty());
        assert_eq!(
            upgrade.note("Django", "2.2.1"),
            "Django 2.2.1: upgrade to 2.2.28 fixes 3 advisories"
        );
        // On another release line the answer follows that line.
        let upgrade = best_upgrade(Ecosystem::PyPI, "3.2.1", &refs[2..]).unwrap();
        assert_eq!(upgrade.version, "3.2.13");
    }

    #[test]
    fn without_a_version_that_fixes_all_the_best_partial_one_names_the_rest() {
        let mut records = django();
        records.push(advisory("GHSA-test-open", "Django", "PyPI", &[("0", "")]));
        let refs: Vec<&AdvisoryRecord> = records.iter().collect();
        let upgrade = best_upgrade(Ecosystem::PyPI, "2.2.1", &refs).unwrap();
        assert_eq!(upgrade.version, "2.2.28");
        assert_eq!((upgrade.fixes, upgrade.total), (3, 4));
        assert_eq!(upgrade.remaining, ["GHSA-test-open"]);
        assert_eq!(
            upgrade.note("Django", "2.2.1"),
            "Django 2.2.1: no single version fixes all 4 advisories; upgrade to 2.2.28 fixes 3 of them, still affected by GHSA-test-open"
        );
        // Only an unfixed advisory: no upgrade to suggest.
        assert_eq!(best_upgrade(Ecosystem::PyPI, "2.2.1", &refs[3..]), None);
        // A version the ecosystem cannot order gets no advice either.
        assert_eq!(best_upgrade(Ecosystem::PyPI, "not a version", &refs), None);
    }

    #[test]
    fn candidates_are_ordered_by_the_ecosystem_not_as_text() {
        // As text "4.17.5" > "4.17.21"; npm orders 4.17.21 above.
        let records = [
            advisory("GHSA-test-a", "lodash", "npm", &[("0", "4.17.5")]),
            advisory("GHSA-test-b", "lodash", "npm", &[("0", "4.17.21")]),
        ];
        let refs: Vec<&AdvisoryRecord> = records.iter().collect();
        let upgrade = best_upgrade(Ecosystem::Npm, "4.17.4", &refs).unwrap();
        assert_eq!(upgrade.version, "4.17.21");
        assert_eq!(upgrade.fixes, 2);
        assert_eq!(fixed_versions(&records[1]), ["4.17.21"]);
        let lines = advisory(
            "GHSA-test-c",
            "Django",
            "PyPI",
            &[("2.10", "2.10.1"), ("2.9", "2.9.5")],
        );
        assert_eq!(fixed_versions(&lines), ["2.9.5", "2.10.1"]);
    }
}
