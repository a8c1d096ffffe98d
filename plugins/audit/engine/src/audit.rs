//! Matching packages against advisories: one finding per (file, package,
//! version, advisory), after informational settings and ignores.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use std::str::FromStr;

use cordon_lockfiles::{Package, Source};
use packageurl::PackageUrl;
use sha2::{Digest, Sha256};

use crate::advisory::{AdvisoryKind, AdvisoryRecord, Affected, Match};
use crate::config::{AuditConfig, Date, IgnoreRule};
use crate::distro::{ReleaseScope, release_scope};
use crate::ecosystem::{Ecosystem, EcosystemTag, is_distribution, normalized_name};
use crate::index::Index;
use crate::inventory::{Inventory, purl};
use crate::paths::DependencyPaths;
use crate::severity::Severity;
use crate::upgrade::{Upgrade, best_upgrade, fixed_versions};
use crate::vex::VexStatement;

/// Rule id of the finding for an ecosystem whose packages no loaded
/// database has advisories for: those packages were not checked, which
/// must never read as "no findings".
pub const NOT_CHECKED_RULE: &str = "audit/ecosystem-not-checked";

/// One advisory affecting one pinned package, or (rule
/// [`NOT_CHECKED_RULE`]) an ecosystem of one file that was not checked.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The advisory id (`RUSTSEC-2019-0009`, `PYSEC-2021-76`); the rule id.
    pub advisory_id: String,
    /// `vulnerability`, `unmaintained`, `unsound` or `notice`.
    pub kind: String,
    pub severity: Severity,
    pub title: String,
    /// One line for terminals: package, version, advisory, fix.
    pub message: String,
    /// CVE, GHSA, PYSEC... ids of the same issue.
    pub aliases: Vec<String>,
    pub ecosystem: Ecosystem,
    /// As written in the lockfile.
    pub package: String,
    pub version: String,
    /// For a distribution package, `name version` of the source package
    /// it was built from, which is what the advisory names.
    pub source_package: Option<String>,
    pub purl: String,
    /// The affected range the version fell in, e.g. `>= 0.6.0, < 0.6.10`.
    pub affected: String,
    /// First version past the affected range that is not affected, if any.
    pub fixed: Option<String>,
    /// RustSec `patched` requirements, as written.
    pub patched: Vec<String>,
    pub cvss: Option<String>,
    pub cvss_score: Option<f64>,
    pub url: Option<String>,
    /// Publication date of the advisory.
    pub date: Option<String>,
    /// RustSec `[affected]`: functions, operating systems, architectures.
    pub functions: Vec<String>,
    pub os: Vec<String>,
    pub arch: Vec<String>,
    /// Lockfile or SBOM the package was found in, and its line there.
    pub path: String,
    pub line: Option<u32>,
    /// Stable across runs and line moves: advisory, package, version, file.
    pub fingerprint: String,
    /// For a [`NOT_CHECKED_RULE`] finding: how many packages were not checked.
    pub package_count: Option<usize>,
    /// The advisory's own page (rustsec.org for RustSec ids, osv.dev
    /// otherwise), where `url` is its first reference.
    pub help_uri: Option<String>,
    /// Every version the advisory names as fixed, as written.
    pub fixed_versions: Vec<String>,
    /// The one upgrade of this package version that fixes the most of the
    /// advisories reported for it (all of them when it can).
    pub upgrade: Option<Upgrade>,
    /// `name version` from a direct dependency down to this package (just
    /// this package when it is direct); empty when the file records no
    /// dependency graph.
    pub dependency_path: Vec<String>,
}

impl Finding {
    /// Key/value facts for the stage contract's `properties` (and SARIF
    /// result properties). Empty values are left out.
    pub fn properties(&self) -> Vec<(String, String)> {
        let mut properties = vec![
            ("package".to_owned(), self.package.clone()),
            ("version".to_owned(), self.version.clone()),
            (
                "source-package".to_owned(),
                self.source_package.clone().unwrap_or_default(),
            ),
            ("ecosystem".to_owned(), self.ecosystem.osv_name().to_owned()),
            ("purl".to_owned(), self.purl.clone()),
            ("kind".to_owned(), self.kind.clone()),
            ("aliases".to_owned(), json_list(&self.aliases)),
            ("affected".to_owned(), self.affected.clone()),
            ("fixed".to_owned(), self.fixed.clone().unwrap_or_default()),
            ("fixed-versions".to_owned(), json_list(&self.fixed_versions)),
            (
                "upgrade-to".to_owned(),
                self.upgrade
                    .as_ref()
                    .map(|upgrade| upgrade.version.clone())
                    .unwrap_or_default(),
            ),
            (
                "upgrade-fixes".to_owned(),
                self.upgrade
                    .as_ref()
                    .map(|upgrade| format!("{} of {}", upgrade.fixes, upgrade.total))
                    .unwrap_or_default(),
            ),
            (
                "upgrade-leaves".to_owned(),
                self.upgrade
                    .as_ref()
                    .map(|upgrade| json_list(&upgrade.remaining))
                    .unwrap_or_default(),
            ),
            (
                "dependency-path".to_owned(),
                json_list(&self.dependency_path),
            ),
            (
                "help-uri".to_owned(),
                self.help_uri.clone().unwrap_or_default(),
            ),
            ("patched".to_owned(), self.patched.join(" | ")),
            ("cvss".to_owned(), self.cvss.clone().unwrap_or_default()),
            (
                "cvss-score".to_owned(),
                self.cvss_score
                    .map(|score| format!("{score:.1}"))
                    .unwrap_or_default(),
            ),
            ("url".to_owned(), self.url.clone().unwrap_or_default()),
            ("date".to_owned(), self.date.clone().unwrap_or_default()),
            ("affected-functions".to_owned(), self.functions.join(",")),
            ("affected-os".to_owned(), self.os.join(",")),
            ("affected-arch".to_owned(), self.arch.join(",")),
            (
                "package-count".to_owned(),
                self.package_count
                    .map(|count| count.to_string())
                    .unwrap_or_default(),
            ),
        ];
        properties.retain(|(_, value)| !value.is_empty());
        properties
    }
}

/// A list property as the reports expect it: a JSON array of strings
/// (`cordon_report::LIST_PROPERTIES`); empty for an empty list.
fn json_list(items: &[String]) -> String {
    if items.is_empty() {
        return String::new();
    }
    serde_json::to_string(items).unwrap_or_default()
}

/// The advisory's own web page: rustsec.org for RustSec ids, osv.dev for
/// every other id (GHSA, PYSEC, CVE, GO, ...). `None` for an id that
/// cannot be one path segment of an address.
pub fn advisory_page(id: &str) -> Option<String> {
    let id = id.trim();
    let plain = !id.is_empty()
        && id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'))
        && !id.starts_with('.');
    if !plain {
        return None;
    }
    if id.starts_with("RUSTSEC-") {
        Some(format!("https://rustsec.org/advisories/{id}.html"))
    } else {
        Some(format!("https://osv.dev/vulnerability/{id}"))
    }
}

/// What an ignore or a VEX statement decided about one finding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub advisory_id: String,
    pub aliases: Vec<String>,
    pub package: String,
    pub version: String,
    pub purl: String,
    /// Lockfile or SBOM the package was found in, and its line there.
    pub path: String,
    pub line: Option<u32>,
    /// Whether the finding was taken off the report; `false` when the
    /// ignore or statement has expired.
    pub suppressed: bool,
    pub origin: DecisionOrigin,
    /// Why, as shown to users: the ignore's `reason`, or the VEX status,
    /// justification, impact statement and source.
    pub reason: String,
    pub expires: Option<Date>,
}

/// Where a [`Decision`] came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecisionOrigin {
    /// An `ignore` entry of the stage options.
    Ignore,
    /// A statement of a VEX document.
    Vex(Box<VexStatement>),
}

/// Catalogue entry for an advisory that produced findings; mirrors the
/// stage contract's `rule` record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    pub id: String,
    pub short_description: String,
    pub full_description: String,
    pub help: String,
    pub default_severity: Severity,
    /// The advisory's own page ([`advisory_page`]).
    pub help_uri: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AuditReport {
    /// Sorted by path, line, advisory id.
    pub findings: Vec<Finding>,
    /// One per advisory among the findings, sorted by id.
    pub rules: Vec<Rule>,
    /// Lines for the run summary: expired or unused ignores, packages whose
    /// versions could not be evaluated.
    pub notes: Vec<String>,
    /// Registry packages looked up (path, git and workspace ones are not).
    pub packages_checked: usize,
    /// Registry packages of ecosystems no database has advisories for.
    pub packages_not_checked: usize,
    /// Findings an ignore rule or a VEX statement suppressed.
    pub suppressed: usize,
    /// Every finding an ignore or a VEX statement decided about: the
    /// suppressed ones with their reason, and those an expired ignore or
    /// statement no longer hides (they are among `findings` too). Sorted
    /// by path, line, advisory id. Cordon's VEX output is made from these.
    pub decisions: Vec<Decision>,
    /// Per ecosystem with registry packages: how many were read and which
    /// databases covered them, sorted by ecosystem.
    pub coverage: Vec<EcosystemCoverage>,
}

/// What was known about one ecosystem of the audited packages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EcosystemCoverage {
    pub ecosystem: Ecosystem,
    /// Registry packages of this ecosystem, over every file.
    pub packages: usize,
    /// Advisories for this ecosystem in each index, in the order the
    /// indexes were given; all zero means the packages were not checked.
    pub advisories: Vec<usize>,
    /// Each index's label ([`Index::with_label`]), or `database N`.
    pub databases: Vec<String>,
}

impl EcosystemCoverage {
    pub fn checked(&self) -> bool {
        self.advisories.iter().any(|&count| count > 0)
    }

    /// One line for the run summary.
    pub fn note(&self) -> String {
        let name = self.ecosystem.osv_name();
        if self.checked() {
            let sources: Vec<String> = self
                .advisories
                .iter()
                .zip(&self.databases)
                .filter(|(count, _)| **count > 0)
                .map(|(count, database)| format!("{database} ({count})"))
                .collect();
            if is_distribution(self.ecosystem) {
                // Whether they were checked depends on each root
                // filesystem's release, which the notes per file say.
                return format!(
                    "{name}: {} package(s) read; {name} advisories from {} (all releases) are matched against each root filesystem's own release",
                    self.packages,
                    sources.join(", ")
                );
            }
            format!(
                "{name}: {} package(s) checked against {name} advisories from {}",
                self.packages,
                sources.join(", ")
            )
        } else {
            format!(
                "{name}: {} package(s) NOT checked: {}",
                self.packages,
                not_checked_reason(self.ecosystem)
            )
        }
    }
}

/// Why an ecosystem was not checked, and what would check it.
fn not_checked_reason(ecosystem: Ecosystem) -> String {
    let name = ecosystem.osv_name();
    format!(
        "no loaded advisory database has {name} advisories; add OSV records for {name} to the `osv` data set (`cordon db update --osv-url <git repository of OSV advisories>`, or `--osv-db <directory>`)"
    )
}

/// How one file's packages of one ecosystem are matched.
#[derive(Debug, Clone)]
enum Scope {
    /// Against the loaded advisories; for a distribution, those of
    /// `release` only, or of every release when it is `None`.
    Checked {
        release: Option<String>,
    },
    NotChecked {
        reason: String,
    },
}

/// The scope of each ecosystem among one inventory's registry packages,
/// and notes saying which distribution release was matched and why.
fn inventory_scopes(
    inventory: &Inventory,
    indexes: &[&Index],
    checked: &HashSet<Ecosystem>,
) -> (BTreeMap<Ecosystem, Scope>, Vec<String>) {
    let mut scopes = BTreeMap::new();
    let mut notes = Vec::new();
    let ecosystems: BTreeSet<Ecosystem> = inventory
        .packages
        .iter()
        .filter(|package| matches!(package.source, Source::Registry { .. }))
        .map(|package| package.ecosystem)
        .collect();
    for ecosystem in ecosystems {
        let name = ecosystem.osv_name();
        let scope = if !checked.contains(&ecosystem) {
            Scope::NotChecked {
                reason: not_checked_reason(ecosystem),
            }
        } else if !is_distribution(ecosystem) {
            Scope::Checked { release: None }
        } else {
            let mut releases: Vec<&str> = indexes
                .iter()
                .flat_map(|index| index.releases(ecosystem))
                .collect();
            releases.sort_unstable();
            releases.dedup();
            let held = if releases.is_empty() {
                "none named".to_owned()
            } else {
                releases
                    .iter()
                    .map(|release| format!("{name}:{release}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            match release_scope(ecosystem, inventory.os_release.as_ref()) {
                ReleaseScope::Release { release, from } => {
                    let count: usize = indexes
                        .iter()
                        .map(|index| index.advisories_in_release(ecosystem, &release))
                        .sum();
                    if count == 0 {
                        Scope::NotChecked {
                            reason: format!(
                                "the root filesystem is {name}:{release} (from {from}), and the loaded databases hold no {name}:{release} advisories (releases held: {held}); update the `osv` data set with `cordon db update --ecosystem {name}`"
                            ),
                        }
                    } else {
                        notes.push(format!(
                            "{}: {name} packages matched against the {count} {name}:{release} advisories (release from {from})",
                            inventory.path
                        ));
                        Scope::Checked {
                            release: Some(release),
                        }
                    }
                }
                ReleaseScope::Unknown { why } => {
                    notes.push(format!(
                        "{}: the {name} release is unknown ({why}), so its {name} packages were matched against the advisories of every release in the databases ({held}); a finding may be for a flaw the installed release fixed by a backport. Keep the root filesystem's etc/os-release beside the database to match one release",
                        inventory.path
                    ));
                    Scope::Checked { release: None }
                }
                ReleaseScope::Foreign { name: distribution } => Scope::NotChecked {
                    reason: format!(
                        "the root filesystem is {distribution}, not {name}; {name} advisories do not apply to its packages, and Cordon does not read that distribution's own"
                    ),
                },
            }
        };
        if is_distribution(ecosystem) && matches!(scope, Scope::Checked { .. }) {
            let unsourced = inventory
                .packages
                .iter()
                .filter(|package| {
                    package.ecosystem == ecosystem && package.source_package.is_none()
                })
                .count();
            if unsourced > 0 {
                notes.push(format!(
                    "{}: {unsourced} {name} package(s) name no source package (an SBOM purl without an `upstream` qualifier), so they were matched by their own name; advisories name the source package, so those about a differently named one (libssl3 is built from openssl) were missed",
                    inventory.path
                ));
            }
        }
        scopes.insert(ecosystem, scope);
    }
    (scopes, notes)
}

/// Whether an advisory record is about the release being matched (`None`:
/// every release).
fn release_matches(record: &AdvisoryRecord, release: Option<&str>) -> bool {
    match (record.release.as_deref(), release) {
        (Some(advisory), Some(release)) => advisory == release,
        _ => true,
    }
}

/// The name and version advisories are matched on: a distribution
/// package's source package (advisories name `openssl`, not `libssl3`),
/// the package itself elsewhere.
fn matched_coordinates(package: &Package) -> (&str, &str) {
    match &package.source_package {
        Some(source) if is_distribution(package.ecosystem) => {
            (source.name.as_str(), source.version.as_str())
        }
        _ => (package.name.as_str(), package.version.as_str()),
    }
}

/// Audits every inventory against every index.
///
/// Path, git and workspace packages never match: registry advisories are
/// about registry releases, and a local crate may share a published name.
/// For crates.io this is cargo-audit's rule (only packages from the default
/// registry, or the advisory's own registry, are queried).
///
/// An [`Index`] always holds advisories, but `indexes` may be empty: then
/// nothing is checked and the report's notes say so; the stage should fail
/// rather than report such a run as clean.
pub fn audit(
    indexes: &[&Index],
    inventories: &[Inventory],
    config: &AuditConfig,
    today: Date,
) -> AuditReport {
    let mut report = AuditReport {
        coverage: coverage(indexes, inventories),
        ..AuditReport::default()
    };
    let checked: HashSet<Ecosystem> = report
        .coverage
        .iter()
        .filter(|coverage| coverage.checked())
        .map(|coverage| coverage.ecosystem)
        .collect();
    let (scopes, scope_notes): (Vec<_>, Vec<_>) = inventories
        .iter()
        .map(|inventory| inventory_scopes(inventory, indexes, &checked))
        .unzip();
    report_not_checked(&mut report, inventories, &scopes, config);
    if indexes.is_empty() {
        report
            .notes
            .push("no advisory database was available; no package was checked".to_owned());
        return report;
    }
    report.notes.extend(config.vex_warnings.iter().cloned());
    let mut ignores = Ignores::new(&config.ignore, &config.vex, today);
    let mut reported_records: HashMap<String, &AdvisoryRecord> = HashMap::new();

    for ((inventory, scopes), scope_notes) in inventories.iter().zip(&scopes).zip(scope_notes) {
        report.notes.extend(inventory.warnings.iter().cloned());
        report.notes.extend(scope_notes);
        let mut seen: HashSet<(Ecosystem, String, String, String)> = HashSet::new();
        let paths = DependencyPaths::new(inventory);
        for (position, package) in inventory.packages.iter().enumerate() {
            let Source::Registry { url } = &package.source else {
                continue;
            };
            let Some(Scope::Checked { release }) = scopes.get(&package.ecosystem) else {
                continue;
            };
            if package.version.trim().is_empty() {
                // A version the file does not state (a Maven version from a
                // parent pom, say) matches nothing: say so.
                report.notes.push(format!(
                    "{}{}: {} has no resolved version, so it was not checked",
                    inventory.path,
                    package
                        .line
                        .map(|line| format!(":{line}"))
                        .unwrap_or_default(),
                    package.name,
                ));
                report.packages_not_checked += 1;
                continue;
            }
            report.packages_checked += 1;
            let (matched_name, matched_version) = matched_coordinates(package);
            let name = normalized_name(package.ecosystem, matched_name);
            let tag = EcosystemTag::from(package.ecosystem);
            // Ids and aliases reported from earlier databases, so an issue
            // two databases know (a RUSTSEC id and its GHSA, say) is
            // reported once. Within one database every advisory counts, as
            // in cargo-audit and the OSV rules, even when two share an alias.
            let mut known_ids: HashSet<&str> = HashSet::new();
            let mut unreadable = false;
            let first_finding = report.findings.len();
            let mut reported_for_package: Vec<&AdvisoryRecord> = Vec::new();

            for index in indexes {
                let mut reported_here: Vec<&AdvisoryRecord> = Vec::new();
                for record in index.advisories_for(tag, &name) {
                    if record.withdrawn
                        || !release_matches(record, release.as_deref())
                        || !kind_enabled(&record.kind, config)
                        || !registry_matches(
                            package.ecosystem,
                            record.registry.as_deref(),
                            url.as_deref(),
                        )
                    {
                        continue;
                    }
                    let hit = match record.affects(matched_version) {
                        Ok(Some(hit)) => hit,
                        Ok(None) => continue,
                        Err(_) => {
                            unreadable = true;
                            continue;
                        }
                    };
                    let already_known = known_ids.contains(record.id.as_str())
                        || record
                            .aliases
                            .iter()
                            .any(|alias| known_ids.contains(alias.as_str()));
                    let key = (
                        package.ecosystem,
                        normalized_name(package.ecosystem, &package.name),
                        package.version.clone(),
                        record.id.clone(),
                    );
                    if already_known || !seen.insert(key) {
                        continue;
                    }
                    reported_here.push(record);

                    if let Some(decision) =
                        ignores.decide(record, inventory, package, &mut report.notes)
                    {
                        let suppressed = decision.suppressed;
                        report.decisions.push(decision);
                        if suppressed {
                            report.suppressed += 1;
                            continue;
                        }
                    }

                    reported_records.entry(record.id.clone()).or_insert(record);
                    reported_for_package.push(record);
                    let dependency_path = paths
                        .as_ref()
                        .map(|paths| paths.path_to(inventory, position))
                        .unwrap_or_default();
                    report
                        .findings
                        .push(finding(inventory, package, record, hit, dependency_path));
                }
                for record in reported_here {
                    known_ids.insert(&record.id);
                    known_ids.extend(record.aliases.iter().map(String::as_str));
                }
            }
            if let Some(upgrade) =
                best_upgrade(package.ecosystem, matched_version, &reported_for_package)
            {
                report
                    .notes
                    .push(upgrade.note(&package.name, &package.version));
                for finding in &mut report.findings[first_finding..] {
                    finding.upgrade = Some(upgrade.clone());
                }
            }
            if unreadable {
                report.notes.push(format!(
                    "{}{}: {} {} is not a version {} can order, so advisories with version ranges for it were not checked",
                    inventory.path,
                    package.line.map(|line| format!(":{line}")).unwrap_or_default(),
                    package.name,
                    matched_version,
                    package.ecosystem.osv_name(),
                ));
            }
        }
    }

    report.notes.extend(ignores.unused_notes());
    report.decisions.sort_by(|a, b| {
        (&a.path, a.line, &a.advisory_id, &a.package).cmp(&(
            &b.path,
            b.line,
            &b.advisory_id,
            &b.package,
        ))
    });
    sort_findings(&mut report);
    let ids: BTreeSet<&String> = reported_records.keys().collect();
    let not_checked_rule = report
        .rules
        .iter()
        .find(|rule| rule.id == NOT_CHECKED_RULE)
        .cloned();
    report.rules = ids
        .into_iter()
        .map(|id| rule(reported_records[id]))
        .chain(not_checked_rule)
        .collect();
    report.rules.sort_by(|a, b| a.id.cmp(&b.id));
    report
}

fn sort_findings(report: &mut AuditReport) {
    report.findings.sort_by(|a, b| {
        (&a.path, a.line, &a.advisory_id, &a.package, &a.version).cmp(&(
            &b.path,
            b.line,
            &b.advisory_id,
            &b.package,
            &b.version,
        ))
    });
}

/// Registry packages per ecosystem over every inventory, and each index's
/// advisory count for them.
fn coverage(indexes: &[&Index], inventories: &[Inventory]) -> Vec<EcosystemCoverage> {
    let mut packages: BTreeMap<Ecosystem, usize> = BTreeMap::new();
    for package in inventories.iter().flat_map(|inventory| &inventory.packages) {
        if matches!(package.source, Source::Registry { .. }) {
            *packages.entry(package.ecosystem).or_default() += 1;
        }
    }
    packages
        .into_iter()
        .map(|(ecosystem, packages)| EcosystemCoverage {
            ecosystem,
            packages,
            advisories: indexes
                .iter()
                .map(|index| index.advisories_in(ecosystem))
                .collect(),
            databases: indexes
                .iter()
                .enumerate()
                .map(|(position, index)| match index.label() {
                    Some(label) => label.to_owned(),
                    None => format!("database {}", position + 1),
                })
                .collect(),
        })
        .collect()
}

/// One finding per (file, ecosystem) whose registry packages were not
/// checked (no database covers the ecosystem, or the distribution release;
/// see [`Scope`]), at the first such package's line, and a summary note
/// for every ecosystem.
fn report_not_checked(
    report: &mut AuditReport,
    inventories: &[Inventory],
    scopes: &[BTreeMap<Ecosystem, Scope>],
    config: &AuditConfig,
) {
    for coverage in &report.coverage {
        report.notes.push(coverage.note());
    }
    for (inventory, scopes) in inventories.iter().zip(scopes) {
        let mut unchecked: BTreeMap<Ecosystem, (usize, Option<u32>, &str)> = BTreeMap::new();
        for package in &inventory.packages {
            if !matches!(package.source, Source::Registry { .. }) {
                continue;
            }
            if let Some(Scope::NotChecked { reason }) = scopes.get(&package.ecosystem) {
                let entry = unchecked
                    .entry(package.ecosystem)
                    .or_insert((0, package.line, reason));
                entry.0 += 1;
            }
        }
        for (ecosystem, (count, line, reason)) in unchecked {
            report.packages_not_checked += count;
            let name = ecosystem.osv_name();
            report.findings.push(Finding {
                advisory_id: NOT_CHECKED_RULE.to_owned(),
                kind: "not-checked".to_owned(),
                severity: config.not_checked_severity,
                title: format!("{name} packages were not checked for known vulnerabilities"),
                message: format!(
                    "{count} {name} package(s) in {} were not checked: {reason}",
                    inventory.path,
                ),
                aliases: Vec::new(),
                ecosystem,
                package: String::new(),
                version: String::new(),
                source_package: None,
                purl: String::new(),
                affected: String::new(),
                fixed: None,
                patched: Vec::new(),
                cvss: None,
                cvss_score: None,
                url: None,
                date: None,
                functions: Vec::new(),
                os: Vec::new(),
                arch: Vec::new(),
                path: inventory.path.clone(),
                line,
                fingerprint: not_checked_fingerprint(ecosystem, &inventory.path),
                package_count: Some(count),
                help_uri: None,
                fixed_versions: Vec::new(),
                upgrade: None,
                dependency_path: Vec::new(),
            });
        }
    }
    if report
        .findings
        .iter()
        .any(|finding| finding.advisory_id == NOT_CHECKED_RULE)
    {
        report.rules.push(Rule {
            id: NOT_CHECKED_RULE.to_owned(),
            short_description: "Ecosystem not checked for known vulnerabilities".to_owned(),
            full_description: "The file pins packages that no loaded advisory database covers (an ecosystem the databases hold no advisory for, a distribution release they do not hold, or a root filesystem of a distribution whose advisories Cordon does not read), so whether they are vulnerable is unknown. It is reported instead of being passed as clean.".to_owned(),
            help: "Load advisories for the ecosystem into the `osv` data set (`cordon db update --osv-url <git repository of OSV advisories>` or `--osv-db <directory>`), or lower `not-checked-severity` in the audit stage's options to accept the gap.".to_owned(),
            default_severity: config.not_checked_severity,
            help_uri: None,
        });
    }
    sort_findings(report);
}

fn not_checked_fingerprint(ecosystem: Ecosystem, path: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [NOT_CHECKED_RULE, ecosystem.osv_name(), path] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

fn kind_enabled(kind: &AdvisoryKind, config: &AuditConfig) -> bool {
    match kind {
        AdvisoryKind::Vulnerability => true,
        AdvisoryKind::Unmaintained => config.informational.unmaintained,
        AdvisoryKind::Unsound => config.informational.unsound,
        AdvisoryKind::Notice => config.informational.notice,
        AdvisoryKind::OtherInformational(_) => false,
    }
}

const CRATES_IO_INDEXES: [&str; 2] = [
    "https://github.com/rust-lang/crates.io-index",
    "https://index.crates.io",
];

/// Whether a registry package can be what an advisory is about.
fn registry_matches(
    ecosystem: Ecosystem,
    advisory_registry: Option<&str>,
    package_registry: Option<&str>,
) -> bool {
    if ecosystem != Ecosystem::CratesIo {
        // npm, PyPI and Go lockfiles name mirrors and proxies of the one
        // public registry their advisories are about.
        return true;
    }
    let package_registry = package_registry.map(normalize_registry_url);
    match advisory_registry.map(normalize_registry_url) {
        None => package_registry.is_none_or(|url| CRATES_IO_INDEXES.contains(&url)),
        Some(advisory_registry) => package_registry == Some(advisory_registry),
    }
}

fn normalize_registry_url(url: &str) -> &str {
    url.trim_start_matches("registry+")
        .trim_start_matches("sparse+")
        .trim_end_matches('/')
}

/// The configured ignores and VEX statements, and what became of them
/// during one audit.
struct Ignores<'a> {
    rules: &'a [IgnoreRule],
    statements: &'a [VexStatement],
    today: Date,
    used: Vec<bool>,
    expiry_noted: Vec<bool>,
    statement_used: Vec<bool>,
    statement_expiry_noted: Vec<bool>,
}

impl<'a> Ignores<'a> {
    fn new(rules: &'a [IgnoreRule], statements: &'a [VexStatement], today: Date) -> Self {
        Self {
            rules,
            statements,
            today,
            used: vec![false; rules.len()],
            expiry_noted: vec![false; rules.len()],
            statement_used: vec![false; statements.len()],
            statement_expiry_noted: vec![false; statements.len()],
        }
    }

    /// What the ignores and VEX statements decide about this finding:
    /// suppressed by a live ignore, else by the latest VEX statement about
    /// it when that says `not_affected` or `fixed`; or reported again
    /// because the ignore or statement that would hide it has expired
    /// (said once in `notes`); or nothing to decide.
    fn decide(
        &mut self,
        record: &AdvisoryRecord,
        inventory: &Inventory,
        package: &Package,
        notes: &mut Vec<String>,
    ) -> Option<Decision> {
        let decision =
            |suppressed: bool, origin: DecisionOrigin, reason: String, expires| Decision {
                advisory_id: record.id.clone(),
                aliases: record.aliases.clone(),
                package: package.name.clone(),
                version: package.version.clone(),
                purl: purl(package),
                path: inventory.path.clone(),
                line: package.line,
                suppressed,
                origin,
                reason,
                expires,
            };
        let mut expired: Option<Decision> = None;
        if let Some(position) = self
            .rules
            .iter()
            .position(|rule| names(rule, record, package))
        {
            self.used[position] = true;
            let rule = &self.rules[position];
            match rule.expires {
                Some(expires) if expires < self.today => {
                    if !self.expiry_noted[position] {
                        self.expiry_noted[position] = true;
                        notes.push(format!(
                            "ignore of {}{} expired on {expires}; it is reported again",
                            rule.id,
                            package_suffix(rule)
                        ));
                    }
                    expired = Some(decision(
                        false,
                        DecisionOrigin::Ignore,
                        rule.reason.clone(),
                        rule.expires,
                    ));
                }
                _ => {
                    return Some(decision(
                        true,
                        DecisionOrigin::Ignore,
                        rule.reason.clone(),
                        rule.expires,
                    ));
                }
            }
        }
        // The latest statement about this advisory and package wins
        // (by timestamp, then by the order statements were given).
        let mut latest: Option<(usize, &VexStatement)> = None;
        for (position, statement) in self.statements.iter().enumerate() {
            if !vex_names(statement, record, package) {
                continue;
            }
            // Overruled statements still spoke about a finding: not unused.
            self.statement_used[position] = true;
            if latest.is_none_or(|(_, best)| statement.timestamp >= best.timestamp) {
                latest = Some((position, statement));
            }
        }
        if let Some((position, statement)) = latest {
            let origin = DecisionOrigin::Vex(Box::new(statement.clone()));
            match statement.expires {
                Some(expires) if expires < self.today && statement.status.suppresses() => {
                    if !self.statement_expiry_noted[position] {
                        self.statement_expiry_noted[position] = true;
                        notes.push(format!(
                            "VEX statement {} ({} {}) expired on {expires}; it is reported again",
                            statement.source,
                            statement.vulnerability,
                            statement.status.as_str(),
                        ));
                    }
                    expired = Some(decision(false, origin, statement.reason(), Some(expires)));
                }
                _ if statement.status.suppresses() => {
                    return Some(decision(
                        true,
                        origin,
                        statement.reason(),
                        statement.expires,
                    ));
                }
                _ => {}
            }
        }
        expired
    }

    fn unused_notes(&self) -> impl Iterator<Item = String> + '_ {
        let ignores = self
            .rules
            .iter()
            .zip(&self.used)
            .filter(|(_, used)| !**used)
            .map(|(rule, _)| {
                format!(
                    "ignore of {}{} matched nothing; remove it if the advisory no longer applies",
                    rule.id,
                    package_suffix(rule)
                )
            });
        // A vendor's VEX document speaks about far more than one workspace
        // uses, so unmatched statements are counted, not listed.
        let unmatched = self
            .statements
            .iter()
            .zip(&self.statement_used)
            .filter(|(statement, used)| !**used && statement.status.suppresses())
            .count();
        let vex = (unmatched > 0)
            .then(|| format!("{unmatched} not_affected/fixed VEX statement(s) matched no finding"));
        ignores.chain(vex)
    }
}

/// Whether a VEX statement names this advisory (by id or alias, on either
/// side) and this package (by package URL, the version only when the URL
/// has one; a statement without products names every package).
fn vex_names(statement: &VexStatement, record: &AdvisoryRecord, package: &Package) -> bool {
    let statement_ids = std::iter::once(&statement.vulnerability).chain(&statement.aliases);
    let record_ids: Vec<&String> = std::iter::once(&record.id).chain(&record.aliases).collect();
    let names_advisory = statement_ids.into_iter().any(|id| {
        record_ids
            .iter()
            .any(|known| known.eq_ignore_ascii_case(id.trim()))
    });
    if !names_advisory {
        return false;
    }
    if statement.products.is_empty() {
        return true;
    }
    let (ty, namespace, name) = cordon_lockfiles::purl_coordinates(package);
    let full_name = |namespace: Option<&str>, name: &str| match namespace {
        Some(namespace) if !namespace.is_empty() => format!("{namespace}/{name}"),
        _ => name.to_owned(),
    };
    let package_name = normalized_name(package.ecosystem, &full_name(namespace.as_deref(), &name));
    statement.products.iter().any(|product| {
        let Ok(product) = PackageUrl::from_str(product) else {
            return false;
        };
        product.ty().eq_ignore_ascii_case(ty)
            && normalized_name(
                package.ecosystem,
                &full_name(product.namespace(), product.name()),
            ) == package_name
            && product
                .version()
                .is_none_or(|version| version == package.version)
    })
}

fn package_suffix(rule: &IgnoreRule) -> String {
    rule.package
        .as_deref()
        .map(|package| format!(" for {package}"))
        .unwrap_or_default()
}

/// Whether `rule` names this advisory (by id or alias) and, if it names
/// one, this package.
fn names(rule: &IgnoreRule, record: &AdvisoryRecord, package: &Package) -> bool {
    let id = rule.id.trim();
    let names_advisory = record.id.eq_ignore_ascii_case(id)
        || record
            .aliases
            .iter()
            .any(|alias| alias.eq_ignore_ascii_case(id));
    // A distribution package is also named by its source package, so one
    // ignore of `openssl` covers `libssl3` and `openssl` alike.
    let (source_name, _) = matched_coordinates(package);
    let names_package = rule.package.as_deref().is_none_or(|name| {
        let name = normalized_name(package.ecosystem, name);
        name == normalized_name(package.ecosystem, &package.name)
            || name == normalized_name(package.ecosystem, source_name)
    });
    names_advisory && names_package
}

fn finding(
    inventory: &Inventory,
    package: &Package,
    record: &AdvisoryRecord,
    hit: Match,
    dependency_path: Vec<String>,
) -> Finding {
    let Match {
        range: affected,
        fixed,
    } = hit;
    let patched = match &record.affected {
        Affected::RustSec { patched, .. } => patched.clone(),
        Affected::Osv { .. } => Vec::new(),
    };
    let remedy = match (&fixed, record.kind == AdvisoryKind::Vulnerability) {
        (Some(fixed), _) => format!("upgrade to {fixed} or later"),
        (None, true) => "no fixed version is available".to_owned(),
        (None, false) => "consider an alternative".to_owned(),
    };
    let kind = record.kind.as_str().to_owned();
    // How it came in, when that is not obvious (a transitive dependency).
    let via = if dependency_path.len() > 1 {
        format!(" (via {})", dependency_path.join(" -> "))
    } else {
        String::new()
    };
    // A distribution package is matched by its source package; say so
    // when that is not the package itself.
    let source_package = package
        .source_package
        .as_ref()
        .filter(|source| {
            is_distribution(package.ecosystem)
                && (source.name != package.name || source.version != package.version)
        })
        .map(|source| format!("{} {}", source.name, source.version));
    // The message names the source version only where it differs.
    let built_from = match &package.source_package {
        Some(source) if source_package.is_some() && source.version == package.version => {
            format!(" (built from {})", source.name)
        }
        _ => source_package
            .as_ref()
            .map(|source| format!(" (built from {source})"))
            .unwrap_or_default(),
    };
    // The release an advisory is about, when it has one (`Debian:12`).
    let affected = match &record.release {
        Some(release) => format!("{}:{release}: {affected}", package.ecosystem.osv_name()),
        None => affected,
    };
    let message = format!(
        "{} {}{built_from}{via} is affected by {} ({kind}): {}; {remedy}",
        package.name, package.version, record.id, record.title
    );
    Finding {
        advisory_id: record.id.clone(),
        kind,
        severity: record.severity(),
        title: record.title.clone(),
        message,
        aliases: record.aliases.clone(),
        ecosystem: package.ecosystem,
        package: package.name.clone(),
        version: package.version.clone(),
        source_package,
        purl: purl(package),
        affected,
        fixed,
        patched,
        cvss: record.cvss.clone(),
        cvss_score: record.cvss_score,
        url: record.url.clone(),
        date: record.date.clone(),
        functions: record.functions.clone(),
        os: record.os.clone(),
        arch: record.arch.clone(),
        path: inventory.path.clone(),
        line: package.line,
        fingerprint: fingerprint(record, package, &inventory.path),
        package_count: None,
        help_uri: advisory_page(&record.id),
        fixed_versions: fixed_versions(record),
        upgrade: None,
        dependency_path,
    }
}

fn fingerprint(record: &AdvisoryRecord, package: &Package, path: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [
        "cordon-audit/1",
        &record.id,
        package.ecosystem.osv_name(),
        &normalized_name(package.ecosystem, &package.name),
        &package.version,
        path,
    ] {
        hasher.update(part.as_bytes());
        hasher.update([0]);
    }
    hex::encode(&hasher.finalize()[..16])
}

fn rule(record: &AdvisoryRecord) -> Rule {
    let mut help = match &record.affected {
        Affected::RustSec { patched, .. } if !patched.is_empty() => {
            format!(
                "Upgrade `{}` to a patched version ({}).",
                record.package,
                patched.join(" or ")
            )
        }
        _ => format!(
            "Upgrade `{}` past the affected versions ({}).",
            record.package,
            record.affected_text()
        ),
    };
    let help_uri = advisory_page(&record.id);
    if let Some(page) = help_uri.as_ref().or(record.url.as_ref()) {
        help.push_str(&format!(" Details: {page}"));
    }
    Rule {
        id: record.id.clone(),
        short_description: record.title.clone(),
        full_description: if record.description.is_empty() {
            record.title.clone()
        } else {
            record.description.clone()
        },
        help,
        default_severity: record.severity(),
        help_uri,
    }
}

/// How old a database is, for the run summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatabaseAge {
    pub note: String,
    /// Older than the configured maximum (or of unknown age).
    pub stale: bool,
}

/// Describes the age of data set `name`, last changed at `updated_at`
/// (seconds since the Unix epoch, from the host's data-set info).
pub fn database_age(
    name: &str,
    updated_at: Option<i64>,
    today: Date,
    max_age_days: u32,
) -> DatabaseAge {
    let updated = updated_at
        .and_then(|seconds| jiff::Timestamp::from_second(seconds).ok())
        .map(|timestamp| timestamp.to_zoned(jiff::tz::TimeZone::UTC).date());
    let Some(updated) = updated else {
        return DatabaseAge {
            note: format!("{name} database: date of last update unknown; run `cordon db update`"),
            stale: true,
        };
    };
    let days = i64::from(
        today
            .since(updated)
            .map(|span| span.get_days())
            .unwrap_or(0),
    );
    if days > i64::from(max_age_days) {
        DatabaseAge {
            note: format!(
                "{name} database last updated {updated} ({days} days ago, more than {max_age_days}); run `cordon db update`"
            ),
            stale: true,
        }
    } else {
        DatabaseAge {
            note: format!("{name} database last updated {updated} ({days} days ago)"),
            stale: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::parse_date;

    fn osv(id: &str, package: &str, fixed: &str, aliases: &[&str]) -> (String, Vec<u8>) {
        let record = serde_json::json!({
            "id": id,
            "summary": format!("{package} flaw"),
            "aliases": aliases,
            "references": [{"type": "WEB", "url": "https://errata.example/first-reference"}],
            "affected": [{"package": {"ecosystem": "npm", "name": package},
                "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": fixed}]}]}],
        });
        (format!("{id}.json"), record.to_string().into_bytes())
    }

    /// npm lockfile v3: `app` needs express (which needs qs) and lodash.
    const PACKAGE_LOCK: &str = r#"{
  "name": "app", "version": "1.0.0", "lockfileVersion": 3, "requires": true,
  "packages": {
    "": {"name": "app", "version": "1.0.0",
         "dependencies": {"express": "^4.17.0", "lodash": "4.17.15"}},
    "node_modules/express": {"version": "4.17.1", "resolved": "https://registry.npmjs.org/express/-/express-4.17.1.tgz",
         "dependencies": {"qs": "6.7.0"}},
    "node_modules/qs": {"version": "6.7.0", "resolved": "https://registry.npmjs.org/qs/-/qs-6.7.0.tgz"},
    "node_modules/lodash": {"version": "4.17.15", "resolved": "https://registry.npmjs.org/lodash/-/lodash-4.17.15.tgz"}
  }
}"#;

    fn npm_report() -> AuditReport {
        let (index, warnings) = Index::build([
            osv("GHSA-test-qs01", "qs", "6.7.3", &["CVE-2022-24999"]),
            osv("GHSA-test-lo01", "lodash", "4.17.19", &["CVE-2020-8203"]),
            osv(
                "GHSA-test-lo02",
                "lodash",
                "4.17.21",
                &["CVE-2021-23337", "PYSEC-none"],
            ),
        ])
        .unwrap();
        assert!(warnings.is_empty(), "{warnings:?}");
        let lockfile =
            cordon_lockfiles::parse("web/package-lock.json", PACKAGE_LOCK.as_bytes()).unwrap();
        audit(
            &[&index],
            &[Inventory::from(lockfile)],
            &AuditConfig::default(),
            parse_date("2026-09-01").unwrap(),
        )
    }

    fn property(finding: &Finding, key: &str) -> String {
        finding
            .properties()
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    #[test]
    fn findings_carry_the_dependency_path_from_a_direct_dependency() {
        let report = npm_report();
        let qs = report
            .findings
            .iter()
            .find(|f| f.package == "qs")
            .expect("qs finding");
        assert_eq!(qs.dependency_path, ["express 4.17.1", "qs 6.7.0"]);
        assert_eq!(
            property(qs, "dependency-path"),
            r#"["express 4.17.1","qs 6.7.0"]"#
        );
        assert!(
            qs.message
                .contains("qs 6.7.0 (via express 4.17.1 -> qs 6.7.0) is affected"),
            "{}",
            qs.message
        );
        // A direct dependency's path is itself, and the message says nothing more.
        let lodash = report
            .findings
            .iter()
            .find(|f| f.package == "lodash")
            .unwrap();
        assert_eq!(lodash.dependency_path, ["lodash 4.17.15"]);
        assert!(!lodash.message.contains("via"), "{}", lodash.message);
    }

    #[test]
    fn findings_link_the_advisory_page_and_list_aliases_and_the_upgrade() {
        let report = npm_report();
        let lodash: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.package == "lodash")
            .collect();
        assert_eq!(lodash.len(), 2);
        for finding in &lodash {
            let upgrade = finding.upgrade.as_ref().unwrap();
            assert_eq!(upgrade.version, "4.17.21");
            assert_eq!(property(finding, "upgrade-to"), "4.17.21");
            assert_eq!(property(finding, "upgrade-fixes"), "2 of 2");
            assert_eq!(property(finding, "upgrade-leaves"), "");
        }
        let first = lodash[0];
        assert_eq!(first.advisory_id, "GHSA-test-lo01");
        assert_eq!(property(first, "aliases"), r#"["CVE-2020-8203"]"#);
        assert_eq!(property(first, "fixed-versions"), r#"["4.17.19"]"#);
        assert_eq!(
            property(first, "help-uri"),
            "https://osv.dev/vulnerability/GHSA-test-lo01"
        );
        // The first reference stays available, as `url`.
        assert_eq!(
            property(first, "url"),
            "https://errata.example/first-reference"
        );
        assert!(
            report
                .notes
                .contains(&"lodash 4.17.15: upgrade to 4.17.21 fixes 2 advisories".to_owned()),
            "{:?}",
            report.notes
        );
        let rule = report
            .rules
            .iter()
            .find(|rule| rule.id == "GHSA-test-lo01")
            .unwrap();
        assert_eq!(
            rule.help_uri.as_deref(),
            Some("https://osv.dev/vulnerability/GHSA-test-lo01")
        );
        assert!(
            rule.help
                .ends_with("Details: https://osv.dev/vulnerability/GHSA-test-lo01"),
            "{}",
            rule.help
        );
    }

    #[test]
    fn advisory_pages_by_database() {
        assert_eq!(
            advisory_page("RUSTSEC-2019-0009").as_deref(),
            Some("https://rustsec.org/advisories/RUSTSEC-2019-0009.html")
        );
        assert_eq!(
            advisory_page("PYSEC-2021-76").as_deref(),
            Some("https://osv.dev/vulnerability/PYSEC-2021-76")
        );
        assert_eq!(
            advisory_page("GHSA-j8r2-6x86-q33q").as_deref(),
            Some("https://osv.dev/vulnerability/GHSA-j8r2-6x86-q33q")
        );
        // An id that is not one plain path segment gets no address.
        for bad in ["", "../etc", "a/b", "GHSA x", "id?q=1"] {
            assert_eq!(advisory_page(bad), None, "{bad}");
        }
    }

    #[test]
    fn crates_io_advisories_match_both_index_protocols_only() {
        let crates_io = [
            None,
            Some("registry+https://github.com/rust-lang/crates.io-index"),
            Some("https://github.com/rust-lang/crates.io-index"),
            Some("sparse+https://index.crates.io/"),
        ];
        for registry in crates_io {
            assert!(
                registry_matches(Ecosystem::CratesIo, None, registry),
                "{registry:?}"
            );
        }
        let private = Some("sparse+https://cargo.example.com/index/");
        assert!(!registry_matches(Ecosystem::CratesIo, None, private));
        assert!(registry_matches(
            Ecosystem::CratesIo,
            Some("https://cargo.example.com/index"),
            private
        ));
        assert!(!registry_matches(
            Ecosystem::CratesIo,
            Some("https://cargo.example.com/index"),
            None
        ));
        assert!(registry_matches(
            Ecosystem::PyPI,
            None,
            Some("https://mirror.example/simple")
        ));
    }

    #[test]
    fn database_age_notes_and_staleness() {
        let today = parse_date("2026-09-01").unwrap();
        // 2026-08-21T06:28:40Z
        let updated = Some(1_787_293_720);
        let fresh = database_age("rustsec", updated, today, 90);
        assert!(!fresh.stale);
        assert_eq!(
            fresh.note,
            "rustsec database last updated 2026-08-21 (11 days ago)"
        );
        let stale = database_age("rustsec", updated, today, 10);
        assert!(stale.stale);
        assert!(stale.note.contains("more than 10"), "{}", stale.note);
        let unknown = database_age("osv", None, today, 90);
        assert!(unknown.stale);
        assert!(unknown.note.contains("unknown"));
    }
}
