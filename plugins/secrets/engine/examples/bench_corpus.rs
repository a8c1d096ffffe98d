//! Benchmark corpus generator and native scan driver for
//! `bench/secrets/run.py`.
//!
//! `bench_corpus generate <out-dir> <seed> <megabytes> [source-dir]`
//!   copies real text files from `source-dir` (seeded choice; generated
//!   text when there is none), plants fake credentials and decoys at known
//!   lines, and writes `<out-dir>/corpus/` plus `<out-dir>/truth.json`.
//!
//! `bench_corpus scan <corpus-dir>`
//!   reads every file into memory, then scans them all with the default
//!   configuration and prints JSON: bytes, seconds (scan only) and findings.

#[path = "../tests/common/fake_tokens.rs"]
mod fake_tokens;

use std::fs;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fake_tokens::{Rng, cat};
use serde_json::json;

const TEXT_EXTENSIONS: &[&str] = &[
    "rs", "toml", "md", "json", "yml", "yaml", "txt", "py", "js", "ts", "go", "c", "h", "sh",
    "cfg", "ini", "lock",
];
const MAX_SOURCE_FILE: u64 = 512 * 1024;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("generate") if args.len() >= 4 => {
            let seed = args[2].parse().expect("seed is a number");
            let megabytes: usize = args[3].parse().expect("megabytes is a number");
            generate(
                Path::new(&args[1]),
                seed,
                megabytes * 1024 * 1024,
                args.get(4).map(PathBuf::from),
            );
        }
        Some("scan") if args.len() == 2 => scan(Path::new(&args[1])),
        _ => {
            eprintln!(
                "usage: bench_corpus generate <out-dir> <seed> <megabytes> [source-dir]\n       bench_corpus scan <corpus-dir>"
            );
            std::process::exit(2);
        }
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for path in entries {
        let Ok(meta) = fs::symlink_metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            walk(&path, out);
        } else if meta.is_file() {
            out.push(path);
        }
    }
}

/// Real source text: seeded picks of text files under `source`.
fn real_text(source: &Path, rng: &mut Rng, budget: usize) -> Vec<(String, String)> {
    let mut candidates = Vec::new();
    walk(source, &mut candidates);
    candidates.retain(|p| {
        p.extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| TEXT_EXTENSIONS.contains(&e))
            && fs::metadata(p).is_ok_and(|m| m.len() <= MAX_SOURCE_FILE)
    });
    for i in (1..candidates.len()).rev() {
        candidates.swap(i, rng.below(i + 1));
    }
    let mut files = Vec::new();
    let mut total = 0;
    for path in candidates {
        if total >= budget {
            break;
        }
        let Ok(text) = fs::read_to_string(&path) else {
            continue;
        };
        if text.contains('\0') {
            continue;
        }
        total += text.len();
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        files.push((format!("{:05}_{name}", files.len()), text));
    }
    files
}

/// Generated code-like text, for machines without a cargo registry.
fn generated_text(rng: &mut Rng, budget: usize) -> Vec<(String, String)> {
    const WORDS: &[&str] = &[
        "let", "value", "config", "parse", "result", "error", "buffer", "index", "return", "match",
        "self", "options", "request", "handler", "String", "Vec", "map", "iter", "collect", "into",
        "from",
    ];
    let mut files = Vec::new();
    let mut total = 0;
    while total < budget {
        let mut text = String::new();
        for _ in 0..(200 + rng.below(800)) {
            let words: Vec<&str> = (0..(3 + rng.below(9)))
                .map(|_| WORDS[rng.below(WORDS.len())])
                .collect();
            text.push_str(&format!(
                "    {} = {}({});\n",
                words[0],
                words[1..].join("_"),
                rng.below(10_000)
            ));
        }
        total += text.len();
        files.push((format!("{:05}_gen.rs", files.len()), text));
    }
    files
}

/// Decoys of every class the engine must not report, as (class, text).
fn decoys(rng: &mut Rng) -> Vec<(&'static str, String)> {
    let uuid = |rng: &mut Rng| {
        format!(
            "{}-{}-4{}-a{}-{}",
            rng.string(fake_tokens::HEX, 8),
            rng.string(fake_tokens::HEX, 4),
            rng.string(fake_tokens::HEX, 3),
            rng.string(fake_tokens::HEX, 3),
            rng.string(fake_tokens::HEX, 12)
        )
    };
    let github = fake_tokens::checksummed(rng, &cat(&["gh", "p_"]));
    let npm = fake_tokens::checksummed(rng, &cat(&["np", "m_"]));
    vec![
        ("uuid", format!("request_id = \"{}\"", uuid(rng))),
        ("uuid", format!("token = \"{}\"", uuid(rng))),
        (
            "git-sha",
            format!("rev = \"{}\"", rng.string(fake_tokens::HEX, 40)),
        ),
        (
            "git-sha",
            format!("commit_token: {}", rng.string(fake_tokens::HEX, 40)),
        ),
        (
            "hex-digest",
            format!("checksum = \"{}\"", rng.string(fake_tokens::HEX, 64)),
        ),
        (
            "hex-digest",
            format!("secret_sha256 = \"{}\"", rng.string(fake_tokens::HEX, 64)),
        ),
        (
            "integrity",
            format!(
                "      \"integrity\": \"sha512-{}==\",",
                rng.string(fake_tokens::B64, 86)
            ),
        ),
        (
            "example-key",
            cat(&["aws_access_key_id = AKIAIOSFODNN7", "EXAMPLE"]),
        ),
        (
            "example-key",
            cat(&[
                "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCY",
                "EXAMPLEKEY",
            ]),
        ),
        (
            "example-key",
            cat(&[
                "Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
                "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.",
                "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
            ]),
        ),
        ("placeholder", "password = \"changeme\"".to_string()),
        ("placeholder", "api_key = \"<your-token>\"".to_string()),
        ("placeholder", "token: \"${GITHUB_TOKEN}\"".to_string()),
        (
            "placeholder",
            "client_secret = \"{{ secret }}\"".to_string(),
        ),
        (
            "placeholder",
            "SLACK_TOKEN=xxxxxxxxxxxxxxxxxxxxxxxx".to_string(),
        ),
        (
            "placeholder",
            cat(&["stripe_key = \"sk_live_", "xxxxxxxxxxxxxxxxxxxxxxxx\""]),
        ),
        (
            "public-key",
            format!(
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} deploy@ci",
                rng.string(fake_tokens::B64, 43)
            ),
        ),
        (
            "public-key",
            fake_tokens::armour("PUBLIC KEY", &fake_tokens::der_body(rng, 270), 64),
        ),
        (
            "certificate",
            fake_tokens::armour("CERTIFICATE", &fake_tokens::der_body(rng, 800), 64),
        ),
        ("low-entropy", "password = \"aaaaaaaabbbbbbbb\"".to_string()),
        ("low-entropy", "secret: \"passwordpassword\"".to_string()),
        (
            "bad-checksum",
            format!("token = \"{}\"", fake_tokens::bad_checksum(&github)),
        ),
        (
            "bad-checksum",
            format!(
                "//registry.npmjs.org/:token={}",
                fake_tokens::bad_checksum(&npm)
            ),
        ),
    ]
}

struct Planted {
    kind: &'static str,
    label: String,
    text: String,
}

fn generate(out: &Path, seed: u64, budget: usize, source: Option<PathBuf>) {
    let mut rng = Rng::new(seed);
    let corpus = out.join("corpus");
    let _ = fs::remove_dir_all(&corpus);
    fs::create_dir_all(&corpus).expect("create corpus dir");
    let (mut files, source_kind) = match source.filter(|s| s.is_dir()) {
        Some(source) => (real_text(&source, &mut rng, budget), "cargo-registry"),
        None => (generated_text(&mut rng, budget), "generated"),
    };

    // Three rounds of samples (one per rule each) and decoys, spread over
    // random files at random line boundaries.
    let mut planted: Vec<Planted> = Vec::new();
    for _ in 0..3 {
        for sample in fake_tokens::samples(&mut rng) {
            planted.push(Planted {
                kind: "secret",
                label: sample.rule.to_string(),
                text: sample.positive,
            });
        }
    }
    for _ in 0..10 {
        for (class, text) in decoys(&mut rng) {
            planted.push(Planted {
                kind: "decoy",
                label: class.to_string(),
                text,
            });
        }
    }
    let mut per_file: Vec<Vec<(usize, Planted)>> = (0..files.len()).map(|_| Vec::new()).collect();
    for item in planted {
        let file = rng.below(files.len());
        let lines = files[file].1.lines().count();
        let at = rng.below(lines + 1);
        per_file[file].push((at, item));
    }
    let mut secrets = Vec::new();
    let mut decoy_truth = Vec::new();
    let mut total_bytes = 0;
    for ((name, text), mut items) in files.drain(..).zip(per_file) {
        items.sort_by_key(|(at, _)| *at);
        let original: Vec<&str> = text.lines().collect();
        let mut output: Vec<String> = Vec::with_capacity(original.len() + items.len());
        let mut next = 0;
        for (at, item) in items {
            output.extend(original[next..at].iter().map(|l| l.to_string()));
            next = at;
            let start = output.len() + 1;
            output.extend(item.text.lines().map(str::to_string));
            let entry = json!({"path": name, "line_start": start, "line_end": output.len(), "label": item.label});
            if item.kind == "secret" {
                secrets.push(entry)
            } else {
                decoy_truth.push(entry)
            }
        }
        output.extend(original[next..].iter().map(|l| l.to_string()));
        let mut content = output.join("\n");
        content.push('\n');
        total_bytes += content.len();
        fs::write(corpus.join(&name), content).expect("write corpus file");
    }
    let truth = json!({
        "seed": seed,
        "source": source_kind,
        "bytes": total_bytes,
        "secrets": secrets,
        "decoys": decoy_truth,
    });
    fs::write(
        out.join("truth.json"),
        serde_json::to_string_pretty(&truth).unwrap(),
    )
    .expect("write truth");
    eprintln!(
        "corpus: {} bytes ({source_kind}), {} secrets, {} decoys",
        total_bytes,
        truth["secrets"].as_array().unwrap().len(),
        truth["decoys"].as_array().unwrap().len()
    );
}

fn scan(dir: &Path) {
    // Setting up a scanner is paid by every sandboxed run: once building the
    // keyword automaton (custom rules), once from the prebuilt image (the
    // stage's default).
    let setup = Instant::now();
    let scanner = cordon_secrets::Scanner::new(cordon_secrets::ScannerConfig::default())
        .expect("default config");
    let setup_seconds = setup.elapsed().as_secs_f64();
    let image: &'static [u8] = cordon_secrets::Scanner::default_prefilter_image().leak();
    let setup = Instant::now();
    let from_image = cordon_secrets::Scanner::with_prefilter_image(
        cordon_secrets::ScannerConfig::default(),
        Some(image),
    )
    .expect("default config");
    let setup_from_image_seconds = setup.elapsed().as_secs_f64();
    assert!(from_image.uses_prefilter_image());
    let mut paths = Vec::new();
    walk(dir, &mut paths);
    let files: Vec<(String, Vec<u8>)> = paths
        .iter()
        .map(|p| {
            (
                p.strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/"),
                fs::read(p).expect("read"),
            )
        })
        .collect();
    let bytes: usize = files.iter().map(|(_, b)| b.len()).sum();
    let started = Instant::now();
    let scans: Vec<_> = files
        .iter()
        .map(|(path, content)| scanner.scan_file(path, content))
        .collect();
    let seconds = started.elapsed().as_secs_f64();
    let findings: Vec<_> = scans
        .iter()
        .flat_map(|s| &s.findings)
        .map(|f| json!({"path": f.path, "line": f.region.start_line, "end_line": f.region.end_line, "rule": f.rule_id}))
        .collect();
    let skipped = scans.iter().filter(|s| s.skipped.is_some()).count();
    println!(
        "{}",
        json!({
            "bytes": bytes,
            "seconds": seconds,
            "skipped": skipped,
            "rules": scanner.rules().len(),
            "setup_seconds": setup_seconds,
            "setup_from_image_seconds": setup_from_image_seconds,
            "prefilter_image_bytes": image.len(),
            "findings": findings
        })
    );
}
