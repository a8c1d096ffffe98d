//! The per-family labelled set of `bench/secrets/families.py`.
//!
//! `family_set generate <out-dir> <seed>`
//!   expands every built-in rule's examples (`rules/*.toml`, whose formats
//!   come from the providers' public documentation) with `seed`, writes
//!   each one to its own file under `<out-dir>/corpus/<family>/`, and the
//!   labels to `<out-dir>/truth.json` (outside the scanned folder):
//!   `{"examples": [{"path", "family", "rule", "kind", "line_start",
//!   "line_end"}]}`, where `kind` is `tp` (a true positive: the credential
//!   is on lines `line_start..=line_end`) or `fp` (a near miss no scanner
//!   should report anywhere in the file), and `family` is the rule's issuer.
//!
//! The values are built at run time (checksums computed), so nothing
//! credential-shaped is kept in this repository; run it into a temporary
//! folder. Any scanner can then be scored per family on the same files.

#[path = "../tests/common/fake_tokens.rs"]
mod fake_tokens;
#[path = "../build/rule_file.rs"]
#[allow(dead_code)]
mod rule_file;
#[path = "../tests/common/templates.rs"]
mod templates;

use std::fs;
use std::path::Path;

use fake_tokens::Rng;
use serde_json::json;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.as_slice() {
        [command, out, seed] if command == "generate" => {
            let Ok(seed) = seed.parse::<u64>() else {
                eprintln!("the seed must be a number");
                std::process::exit(2);
            };
            if let Err(error) = generate(Path::new(out), seed) {
                eprintln!("{error}");
                std::process::exit(1);
            }
        }
        _ => {
            eprintln!("usage: family_set generate <out-dir> <seed>");
            std::process::exit(2);
        }
    }
}

/// A file-name-safe form of `text`: lower-case letters, digits and `-`.
fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// 1-based line of byte `offset` in `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

fn generate(out: &Path, seed: u64) -> Result<(), String> {
    let rules_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules");
    let files = rule_file::read_rule_files(&rules_dir)?;
    let corpus = out.join("corpus");
    fs::create_dir_all(&corpus).map_err(|e| format!("{}: {e}", corpus.display()))?;
    let mut rng = Rng::new(seed);
    let mut labels = Vec::new();
    for rule in files.into_iter().flat_map(|(_, file)| file.rules) {
        let family = rule.issuer.clone();
        let dir = corpus.join(slug(&family));
        fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let examples = rule
            .true_positives
            .iter()
            .map(|e| ("tp", e))
            .chain(rule.false_positives.iter().map(|e| ("fp", e)));
        for (index, (kind, template)) in examples.enumerate() {
            let expanded =
                templates::expand(template, &mut rng).map_err(|e| format!("{}: {e}", rule.id))?;
            // One example per file, ending in a newline like real files.
            let mut text = expanded.text;
            if !text.ends_with('\n') {
                text.push('\n');
            }
            let (line_start, line_end) = match (&expanded.secret, kind) {
                (Some(span), "tp") => (line_of(&text, span.start), line_of(&text, span.end)),
                _ => (1, text.lines().count().max(1)),
            };
            let name = format!("{}-{kind}-{index}.txt", slug(&rule.id));
            let path = dir.join(&name);
            fs::write(&path, &text).map_err(|e| format!("{}: {e}", path.display()))?;
            labels.push(json!({
                "path": format!("{}/{name}", slug(&family)),
                "family": family,
                "rule": rule.id,
                "kind": kind,
                "line_start": line_start,
                "line_end": line_end,
            }));
        }
    }
    let truth = out.join("truth.json");
    let body = serde_json::to_string_pretty(&json!({ "seed": seed, "examples": labels }))
        .map_err(|e| e.to_string())?;
    fs::write(&truth, body).map_err(|e| format!("{}: {e}", truth.display()))?;
    Ok(())
}
