//! Recall on other scanners' published test cases, per provider family.
//!
//! `peer_recall <cases.jsonl> [--misses]`
//!
//! Each line of `cases.jsonl` is one case:
//! `{"source": "gitleaks", "family": "adobe", "text": "…"}`, where `text` is
//! a file's content holding one credential. The cases are other projects'
//! test data, so they are kept outside this repository (see
//! `bench/secrets/README.md` for how they are gathered); this binary only
//! reads them. A case counts as found when the default scanner reports at
//! least one finding in its text. Prints, per source, the recall of every
//! family and the total; `--misses` also lists the missed cases, redacted
//! to their first characters so no credential is printed in full.
//!
//! A case may also carry `"expect": "none"` (the peer's own negative: a
//! value its detector must not report) and a `"case"` name. Negatives are
//! not part of recall: they are counted apart, as the cases Cordon reports
//! anyway, each listed with the rules that fired under `--misses`. A
//! `"path"` names the file the text is scanned as (`case.txt` without one).

use std::collections::BTreeMap;
use std::fs;

use serde::Deserialize;

#[derive(Deserialize)]
struct Case {
    source: String,
    family: String,
    text: String,
    /// `"finding"` (the default) or `"none"` for a peer's negative case.
    #[serde(default)]
    expect: Option<String>,
    /// The peer's name for the case, shown beside a miss.
    #[serde(default)]
    case: Option<String>,
    /// The file name the text is scanned as, where the peer tests its rule on
    /// a named file (gitleaks' Kubernetes rule reads only `.yaml` files).
    #[serde(default)]
    path: Option<String>,
}

#[derive(Default)]
struct Tally {
    found: usize,
    total: usize,
    missed: Vec<String>,
    negatives: usize,
    /// Negatives the scanner reported anyway, with the rules that fired.
    reported_negatives: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(path) = args.first() else {
        eprintln!("usage: peer_recall <cases.jsonl> [--misses]");
        std::process::exit(2);
    };
    let show_misses = args.iter().any(|a| a == "--misses");
    let content = match fs::read_to_string(path) {
        Ok(content) => content,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            std::process::exit(2);
        }
    };
    let scanner = cordon_secrets::Scanner::new(cordon_secrets::ScannerConfig::default())
        .expect("the default configuration is valid");
    // source -> family -> tally
    let mut tallies: BTreeMap<String, BTreeMap<String, Tally>> = BTreeMap::new();
    for (number, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let case: Case = match serde_json::from_str(line) {
            Ok(case) => case,
            Err(error) => {
                eprintln!("{path}:{}: not a case: {error}", number + 1);
                continue;
            }
        };
        let scan = scanner.scan_file(
            case.path.as_deref().unwrap_or("case.txt"),
            case.text.as_bytes(),
        );
        let tally = tallies
            .entry(case.source)
            .or_default()
            .entry(case.family)
            .or_default();
        let label = match &case.case {
            Some(name) => format!("[{name}] {}", redact_case(&case.text)),
            None => redact_case(&case.text),
        };
        if case.expect.as_deref() == Some("none") {
            tally.negatives += 1;
            if !scan.findings.is_empty() {
                let mut rules: Vec<&str> =
                    scan.findings.iter().map(|f| f.rule_id.as_str()).collect();
                rules.dedup();
                tally
                    .reported_negatives
                    .push(format!("{label} <- {}", rules.join(", ")));
            }
            continue;
        }
        tally.total += 1;
        if scan.findings.is_empty() {
            tally.missed.push(label);
        } else {
            tally.found += 1;
        }
    }
    for (source, families) in &tallies {
        let (found, total) = families
            .values()
            .fold((0, 0), |(f, t), tally| (f + tally.found, t + tally.total));
        let families_full = families.values().filter(|t| t.found == t.total).count();
        println!(
            "== {source}: {found}/{total} cases ({:.1}%), {families_full}/{} families fully found",
            percent(found, total),
            families.len()
        );
        let (negatives, reported) = families.values().fold((0, 0), |(n, r), tally| {
            (n + tally.negatives, r + tally.reported_negatives.len())
        });
        if negatives > 0 {
            println!("   negatives: {reported}/{negatives} reported anyway");
        }
        for (family, tally) in families {
            let negatives = if tally.negatives > 0 {
                format!(
                    "  negatives reported {}/{}",
                    tally.reported_negatives.len(),
                    tally.negatives
                )
            } else {
                String::new()
            };
            println!(
                "{family:<32} {:>4}/{:<4} {:>6.1}%{negatives}",
                tally.found,
                tally.total,
                percent(tally.found, tally.total)
            );
            if show_misses {
                for missed in &tally.missed {
                    println!("    missed: {missed}");
                }
                for reported in &tally.reported_negatives {
                    println!("    negative reported: {reported}");
                }
            }
        }
    }
}

fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        100.0 * part as f64 / whole as f64
    }
}

/// The case's first non-blank line cut to its first 24 characters: enough
/// to see the context that was missed, never a whole credential.
fn redact_case(text: &str) -> String {
    let first_line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("");
    let shown: String = first_line.chars().take(24).collect();
    if shown.len() < first_line.len() {
        format!("{shown}…")
    } else {
        shown
    }
}
