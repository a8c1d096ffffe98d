//! Detection quality: true positives and near misses per rule, checksums,
//! decoys, encoded secrets, private keys and redaction.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::fake_tokens::{self, Rng, Sample, cat};
use cordon_secrets::{FileScan, Scanner, ScannerConfig};

fn scanner() -> Scanner {
    Scanner::new(ScannerConfig::default()).expect("default configuration compiles")
}

fn scan(text: &str) -> FileScan {
    scanner().scan_file("src/config.txt", text.as_bytes())
}

/// Neither the Debug form nor the JSON of a scan may contain `secret`.
fn assert_not_leaked(scan: &FileScan, secret: &str) {
    let debug = format!("{scan:?}");
    let json = serde_json::to_string(scan).unwrap();
    assert!(
        !debug.contains(secret),
        "raw secret in Debug output: {debug}"
    );
    assert!(!json.contains(secret), "raw secret in JSON output: {json}");
}

/// No five consecutive characters of `value` reach the Debug or JSON form
/// of `scan`: a redacted form shows at most four.
fn assert_shows_at_most_prefix(scan: &FileScan, value: &str) {
    let debug = format!("{scan:?}");
    let json = serde_json::to_string(scan).unwrap();
    for start in 0..value.len().saturating_sub(4) {
        let piece = &value[start..start + 5];
        assert!(
            !debug.contains(piece),
            "{piece:?} of a value shown: {debug}"
        );
        assert!(!json.contains(piece), "{piece:?} of a value shown: {json}");
    }
}

#[test]
fn true_positives_and_near_misses_for_every_rule() {
    let scanner = scanner();
    // Several seeds so that a rule passing by luck of one random draw is
    // unlikely.
    for seed in 1..=5 {
        for Sample {
            rule,
            positive,
            secret,
            negative,
        } in fake_tokens::samples(&mut Rng::new(seed))
        {
            let text = format!("# settings\n{positive}\n");
            let found = scanner.scan_file("app/settings.txt", text.as_bytes());
            let hits: Vec<_> = found
                .findings
                .iter()
                .filter(|f| f.rule_id == rule)
                .collect();
            assert_eq!(
                hits.len(),
                1,
                "seed {seed}: {rule} on {positive:?}: {:#?}",
                found.findings
            );
            let first_line = positive
                .lines()
                .position(|l| l.contains(&secret) || l.starts_with("-----BEGIN"))
                .unwrap();
            assert_eq!(hits[0].region.start_line as usize, 2 + first_line, "{rule}");
            assert_eq!(
                found.findings.len(),
                1,
                "seed {seed}: extra findings for {rule}: {:#?}",
                found.findings
            );
            assert_not_leaked(&found, &secret);
            let chars = secret.chars().count();
            assert!(
                hits[0].redacted.ends_with(&format!("…({chars} chars)")),
                "{}",
                hits[0].redacted
            );

            let text = format!("# settings\n{negative}\n");
            let missed = scanner.scan_file("app/settings.txt", text.as_bytes());
            assert!(
                missed.findings.iter().all(|f| f.rule_id != rule),
                "seed {seed}: {rule} reported near miss {negative:?}"
            );
        }
    }
}

#[test]
fn checksums_decide_github_and_npm_tokens() {
    let mut rng = Rng::new(7);
    for prefix in [cat(&["gh", "p_"]), cat(&["np", "m_"])] {
        let valid = fake_tokens::checksummed(&mut rng, &prefix);
        let found = scan(&format!("t = {valid}\n"));
        assert_eq!(found.findings.len(), 1);
        assert!(
            found.findings[0]
                .properties
                .contains(&("checksum".into(), "valid".into()))
        );
        let invalid = fake_tokens::bad_checksum(&valid);
        assert!(
            scan(&format!("t = {invalid}\n")).findings.is_empty(),
            "{invalid}"
        );
        // The generic `token = "…"` rule does not pick up the look-alike.
        assert!(
            scan(&format!("token = \"{invalid}\"\n"))
                .findings
                .is_empty(),
            "{invalid}"
        );
    }
}

#[test]
fn pypi_jwt_and_age_structure_is_checked() {
    let mut rng = Rng::new(8);
    let test_pypi = fake_tokens::pypi_token(&mut rng, "test.pypi.org");
    assert_eq!(scan(&test_pypi).findings.len(), 1);
    let truncated = &fake_tokens::pypi_token(&mut rng, "pypi.org")[..60];
    assert!(scan(truncated).findings.is_empty(), "truncated macaroon");
    let not_json = format!(
        "eyJub3QganNvbg.eyJub3QganNvbg.{}",
        rng.string(fake_tokens::B64URL, 30)
    );
    assert!(scan(&not_json).findings.is_empty());
    let age = fake_tokens::age_key(&mut rng);
    let found = scan(&age);
    assert_eq!(found.findings[0].rule_id, "secrets/age-secret-key");
    assert!(
        found.findings[0]
            .properties
            .contains(&("checksum".into(), "valid".into()))
    );
}

#[test]
fn decoys_are_not_reported() {
    let mut rng = Rng::new(9);
    let aws_id = cat(&["AKIAIOSFODNN7", "EXAMPLE"]);
    let aws_secret = cat(&["wJalrXUtnFEMI/K7MDENG/bPxRfiCY", "EXAMPLEKEY"]);
    let jwt_io = cat(&[
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.",
        "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.",
        "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c",
    ]);
    let stripe_docs = cat(&["sk_test_", "4eC39HqLyjWDarjtT1zdp7dc"]);
    let public_key = fake_tokens::armour("PUBLIC KEY", &fake_tokens::der_body(&mut rng, 270), 64);
    let certificate = fake_tokens::armour("CERTIFICATE", &fake_tokens::der_body(&mut rng, 700), 64);
    let ssh_public = format!(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI{} dev@host",
        rng.string(fake_tokens::B64, 43)
    );
    let decoys = [
        (
            "uuid",
            "request_id = \"123e4567-e89b-12d3-a456-426614174000\"".to_string(),
        ),
        (
            "uuid token",
            "token = \"9f1c2d3e-4b5a-4c6d-8e7f-0a1b2c3d4e5f\"".to_string(),
        ),
        (
            "git sha",
            format!("commit_token = \"{}\"", rng.string(fake_tokens::HEX, 40)),
        ),
        (
            "sha256",
            format!("secret_digest = \"{}\"", rng.string(fake_tokens::HEX, 64)),
        ),
        (
            "integrity",
            format!(
                "\"integrity\": \"sha512-{}==\",",
                rng.string(fake_tokens::B64, 86)
            ),
        ),
        (
            "integrity token",
            format!("token: \"sha512-{}\"", rng.string(fake_tokens::B64, 86)),
        ),
        ("aws example id", format!("aws_access_key_id = {aws_id}")),
        (
            "aws example secret",
            format!("aws_secret_access_key = {aws_secret}"),
        ),
        ("jwt.io", format!("Authorization: Bearer {jwt_io}")),
        ("stripe docs", format!("stripe.api_key = \"{stripe_docs}\"")),
        ("changeme", "password = \"changeme\"".to_string()),
        (
            "angle placeholder",
            "api_key = \"<your-token>\"".to_string(),
        ),
        ("env reference", "password: \"${DB_PASSWORD}\"".to_string()),
        ("template", "secret = \"{{ secret }}\"".to_string()),
        ("xxxx", "token = \"xxxxxxxxxxxxxxxxxxxx\"".to_string()),
        (
            "xxxx token",
            cat(&["t = gh", "p_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"]),
        ),
        ("low entropy", "password = \"aaaabbbbaaaabbbb\"".to_string()),
        (
            "word identifier",
            "token_type = \"refresh_token_value\"".to_string(),
        ),
        (
            "code reference",
            "SECRET_KEY=settings.SECRET_KEY".to_string(),
        ),
        ("ssh public key", ssh_public),
        ("public key block", public_key),
        ("certificate", certificate),
        (
            "pem placeholder",
            cat(&[
                "-----BEGIN RSA PRIVATE KEY-----\n",
                "...\n-----END RSA PRIVATE KEY-----\n",
            ]),
        ),
        (
            "db default",
            "postgres://postgres:postgres@localhost:5432/app".to_string(),
        ),
    ];
    let scanner = scanner();
    for (name, text) in decoys {
        let found = scanner.scan_file("package-lock.json", text.as_bytes());
        assert!(
            found.findings.is_empty(),
            "{name}: {text:?} -> {:#?}",
            found.findings
        );
        assert!(found.suppressed.is_empty(), "{name}");
    }
}

#[test]
fn encoded_secrets_are_found_at_the_encoded_location() {
    let mut rng = Rng::new(10);
    let token = fake_tokens::checksummed(&mut rng, &cat(&["gh", "p_"]));
    for lead in ["", "x", "xy"] {
        let inner = format!("{lead}GITHUB_TOKEN={token}\n");
        let encoded = STANDARD.encode(&inner);
        let text = format!("apiVersion: v1\ndata:\n  env: {encoded}\n");
        let found = scan(&text);
        assert_eq!(
            found.findings.len(),
            1,
            "lead {lead:?}: {:#?}",
            found.findings
        );
        let finding = &found.findings[0];
        assert_eq!(finding.rule_id, "secrets/github-pat");
        assert_eq!(finding.decoded_via.as_deref(), Some("base64"));
        assert_eq!(
            (finding.region.start_line, finding.region.start_column),
            (3, 8)
        );
        assert_eq!(
            finding.region.end_column as usize,
            8 + encoded.trim_end_matches('=').len()
        );
        assert_not_leaked(&found, &token);
    }

    // A 3-byte keyword (`hf_`) is found at every base64 alignment too.
    let hugging = cat(&["h", "f_"]) + &rng.string(fake_tokens::LETTERS, 34);
    for lead in ["", "x", "xy"] {
        let encoded = STANDARD.encode(format!("{lead} {hugging}\n"));
        let found = scan(&format!("blob: {encoded}\n"));
        assert_eq!(found.findings.len(), 1, "lead {lead:?}");
        assert_eq!(found.findings[0].rule_id, "secrets/huggingface-token");
    }

    // A Kubernetes secret: a whole PEM key, base64-encoded on one line.
    let key = fake_tokens::armour("RSA PRIVATE KEY", &fake_tokens::der_body(&mut rng, 600), 64);
    let found = scan(&format!("data:\n  tls.key: {}\n", STANDARD.encode(&key)));
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    assert_eq!(found.findings[0].rule_id, "secrets/private-key");
    assert_eq!(found.findings[0].region.start_line, 2);
    assert_eq!(found.findings[0].decoded_via.as_deref(), Some("base64"));

    let hexed = hex::encode(format!("token={token}"));
    let found = scan(&format!("blob = {hexed}\n"));
    assert_eq!(found.findings[0].decoded_via.as_deref(), Some("hex"));

    let hook = format!(
        "{}T{}/B{}/{}",
        cat(&["https://hooks.", "slack.com/services/"]),
        rng.string(fake_tokens::UPPER_ALNUM, 10),
        rng.string(fake_tokens::UPPER_ALNUM, 10),
        rng.string(fake_tokens::BASE62, 24)
    );
    let percent = hook.replace(':', "%3A").replace('/', "%2F");
    let found = scan(&format!("redirect=\"{percent}\"\n"));
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    assert_eq!(found.findings[0].decoded_via.as_deref(), Some("percent"));

    let escaped: String = token
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let found = scan(&format!("{{\"t\": \"{escaped}\"}}\n"));
    assert_eq!(
        found.findings[0].decoded_via.as_deref(),
        Some("unicode-escape")
    );

    // Base64 inside a URL query, partly percent-encoded: found either
    // directly or through both decoders, and reported once.
    let query = format!("k={token}&x=\u{ff}\u{fe}").into_bytes();
    let url_safe = STANDARD
        .encode(&query)
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D");
    let found = scan(&format!("x: https://example.org/cb?state={url_safe}\n"));
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);

    // Two layers: every character of a base64 blob escaped as `\uXXXX`.
    let blob = STANDARD.encode(format!("k={token};"));
    let twice: String = blob
        .chars()
        .map(|c| format!("\\u{:04x}", c as u32))
        .collect();
    let found = scan(&format!("{{\"x\": \"{twice}\"}}\n"));
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    assert_eq!(
        found.findings[0].decoded_via.as_deref(),
        Some("unicode-escape>base64")
    );
    let shallow = Scanner::new(ScannerConfig {
        max_decode_depth: 1,
        ..ScannerConfig::default()
    })
    .unwrap();
    assert!(
        shallow
            .scan_file("x", format!("{{\"x\": \"{twice}\"}}\n").as_bytes())
            .findings
            .is_empty()
    );
    let off = Scanner::new(ScannerConfig {
        max_decode_depth: 0,
        ..ScannerConfig::default()
    })
    .unwrap();
    assert!(
        off.scan_file(
            "x",
            format!("x: {}\n", STANDARD.encode(format!("t={token}"))).as_bytes()
        )
        .findings
        .is_empty()
    );
}

#[test]
fn multi_line_private_keys() {
    let mut rng = Rng::new(11);
    let block = fake_tokens::armour(
        "OPENSSH PRIVATE KEY",
        &fake_tokens::openssh_body(&mut rng),
        70,
    );
    let text = format!("#!/bin/sh\ncat > id <<EOF\n{block}EOF\n");
    let found = scan(&text);
    assert_eq!(found.findings.len(), 1);
    let finding = &found.findings[0];
    let block_lines = block.lines().count() as u32;
    assert_eq!(finding.region.start_line, 3);
    assert_eq!(finding.region.end_line, 3 + block_lines - 1);
    assert_eq!(finding.region.start_column, 1);
    let secret_line = block.lines().nth(1).unwrap();
    assert_not_leaked(&found, secret_line);

    // The same key as a JSON string with `\n` escapes, as in GCP key files.
    let pkcs8 = fake_tokens::armour("PRIVATE KEY", &fake_tokens::der_body(&mut rng, 1200), 64);
    let json = format!("{{\"private_key\": \"{}\"}}", pkcs8.replace('\n', "\\n"));
    let found = scan(&json);
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    assert_eq!(found.findings[0].rule_id, "secrets/private-key");

    // Encrypted keys are still reported, and say so.
    let mut encrypted = fake_tokens::armour("RSA PRIVATE KEY", &rng.bytes(600), 64);
    encrypted = encrypted.replacen(
        '\n',
        "\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n",
        1,
    );
    let found = scan(&encrypted);
    assert!(
        found.findings[0]
            .properties
            .contains(&("encrypted".into(), "true".into()))
    );

    // A body that is not DER is not a key.
    let not_der = fake_tokens::armour("RSA PRIVATE KEY", &[0x41; 300], 64);
    assert!(scan(&not_der).findings.is_empty());
    // Without an END line nothing is reported (and nothing panics).
    let truncated: String = block.lines().take(3).collect::<Vec<_>>().join("\n");
    assert!(scan(&truncated).findings.is_empty());
}

#[test]
fn aws_key_pairs_are_critical() {
    let mut rng = Rng::new(12);
    let id = cat(&["AK", "IA"]) + &rng.string(fake_tokens::BASE32, 16);
    let secret = rng.string(fake_tokens::B64, 40);
    let text = format!("[default]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n");
    let found = scan(&text);
    assert_eq!(found.findings.len(), 2, "{:#?}", found.findings);
    for finding in &found.findings {
        assert_eq!(finding.severity, cordon_secrets::Severity::Critical);
        let partner = finding
            .properties
            .iter()
            .find(|(k, _)| k == "paired-with")
            .unwrap();
        assert!(
            found
                .findings
                .iter()
                .any(|f| f.fingerprint == partner.1 && f.rule_id != finding.rule_id)
        );
    }
    assert!(
        found.findings[1].message.contains("on line 2"),
        "{}",
        found.findings[1].message
    );
    assert_not_leaked(&found, &id);
    assert_not_leaked(&found, &secret);

    let alone = scan(&format!("aws_access_key_id = {id}\n"));
    assert_eq!(alone.findings[0].severity, cordon_secrets::Severity::High);
}

#[test]
fn window_edges_are_not_line_starts() {
    let value = Rng::new(19).string(fake_tokens::PASSWORDISH, 20);
    // A name long enough that the keyword's window starts inside it.
    let name = format!("{}TOKEN", "ABCDEFGH_".repeat(9));
    let at_start = format!("{name}={value}\n");
    assert_eq!(scan(&at_start).findings.len(), 1);
    assert_eq!(
        scan(&at_start).findings[0].rule_id,
        "secrets/dotenv-assignment"
    );
    // The same assignment mid-line is not a dotenv line, also when the
    // line start is too far back to be seen; it is still an assignment,
    // which the generic rule reports.
    let far = format!("{}{name}={value}\n", "echo one two three; ".repeat(60));
    let mid_line = format!("echo one two three; {name}={value}\n");
    for text in [far, mid_line] {
        let found = scan(&text);
        let rules: Vec<&str> = found.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, ["secrets/generic-assignment"], "{text}");
    }
}

#[test]
fn tokens_longer_than_the_keyword_window_are_matched_in_full() {
    // A JWT of about 860 characters, as JFrog issues its access tokens: its
    // end lies far past the 512 bytes kept after the keyword `eyJ`.
    let mut rng = Rng::new(23);
    let url_safe = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let header = url_safe.encode(r#"{"ver":"2","typ":"JWT","alg":"RS256","kid":"k1"}"#);
    let payload = url_safe.encode(format!(
        r#"{{"sub":"ci-bot","scp":"{}","iat":1700000000}}"#,
        rng.string(fake_tokens::HEX, 300)
    ));
    let token = format!(
        "{header}.{payload}.{}",
        rng.string(fake_tokens::B64URL, 342)
    );
    assert!(token.len() > 800, "{}", token.len());
    // After a provider's name, the keyword is the name and the token starts
    // past it.
    for (text, rule) in [
        (format!("Authorization: Bearer {token}\n"), "secrets/jwt"),
        (format!("SCALR_TOKEN={token}\n"), "secrets/scalr-api-token"),
        (
            format!("JFROG_ACCESS_TOKEN={token}\n"),
            "secrets/jfrog-access-token",
        ),
    ] {
        let found = scan(&text);
        let rules: Vec<&str> = found.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(rules, [rule], "{text}");
        let start = text.find(&token).unwrap();
        let spans: Vec<(u32, u32)> = found
            .findings
            .iter()
            .map(|f| (f.region.start_column, f.region.end_column))
            .collect();
        assert_eq!(
            spans,
            [(start as u32 + 1, (start + token.len()) as u32 + 1)],
            "{text}"
        );
    }
}

#[test]
fn positions_fingerprints_and_generic_yielding() {
    let mut rng = Rng::new(13);
    let token = fake_tokens::checksummed(&mut rng, &cat(&["gh", "p_"]));
    // The generic rule also matches `token = "…"` but yields to the
    // specific rule on the same bytes.
    let text = format!("// é\nlet token = \"{token}\";\n");
    let found = scan(&text);
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    let finding = &found.findings[0];
    assert_eq!(finding.rule_id, "secrets/github-pat");
    assert_eq!(finding.region.start_line, 2);
    assert_eq!(finding.region.start_column, 14);
    assert_eq!(finding.region.end_column, 14 + 40);
    assert_eq!(finding.byte_offset, Some(text.find(&token).unwrap() as u64));
    assert!(finding.message.contains(&finding.redacted));

    // Moving the line does not change the fingerprint; another path does.
    let moved = scan(&format!("\n\n\n{text}"));
    assert_eq!(moved.findings[0].fingerprint, finding.fingerprint);
    let elsewhere = scanner().scan_file("other.txt", text.as_bytes());
    assert_ne!(elsewhere.findings[0].fingerprint, finding.fingerprint);
}

#[test]
fn binary_files_are_scanned_as_printable_runs_and_utf16_is_skipped() {
    let mut rng = Rng::new(14);
    let token = fake_tokens::checksummed(&mut rng, &cat(&["gh", "p_"]));
    let mut bytes = b"\x7fELF\x02\x01\x01\x00".to_vec();
    bytes.extend_from_slice(token.as_bytes());
    bytes.extend_from_slice(b"\x00\x01\xff");
    let found = scanner().scan_file("bin/tool", &bytes);
    assert!(found.skipped.is_none());
    assert_eq!(found.findings.len(), 1, "{found:?}");
    assert_eq!(found.findings[0].byte_offset, Some(8));
    assert_eq!(found.findings[0].region.start_line, 1);
    // Binary bytes end a run: a token split by them is not joined up.
    let mut split = b"\x00".to_vec();
    split.extend_from_slice(&token.as_bytes()[..20]);
    split.push(0x00);
    split.extend_from_slice(&token.as_bytes()[20..]);
    assert!(scanner().scan_file("bin/split", &split).findings.is_empty());

    let utf16 = scanner().scan_file("notes.txt", &[0xFF, 0xFE, b'h', 0]);
    assert!(utf16.skipped.unwrap().contains("UTF-16"));

    // Invalid UTF-8 without NUL is still text and still scanned.
    let mut latin1 = b"caf\xe9 = ".to_vec();
    latin1.extend_from_slice(token.as_bytes());
    let found = scanner().scan_file("latin1.txt", &latin1);
    assert_eq!(found.findings.len(), 1);
    assert_eq!(found.findings[0].region.start_column, 8);
    assert!(found.skipped.is_none());
}

#[test]
fn minified_input_scales_linearly() {
    use std::time::{Duration, Instant};
    let mut rng = Rng::new(15);
    // One long line dense with keywords, encoded triggers and near misses.
    let unit = format!(
        "var token=a.b,password=c(d),secret=\"{}\";x=\"%2F\\u0041\";",
        rng.string(fake_tokens::B64URL, 12)
    );
    // 16x apart, so a linear scan (16x the time) and a quadratic one (256x)
    // stay far apart on a loaded machine; 4x apart was within its noise.
    let small = unit.repeat(1_000);
    let large = unit.repeat(16_000);
    let scanner = scanner();
    let best = |text: &str| -> Duration {
        (0..3)
            .map(|_| {
                let started = Instant::now();
                let scan = scanner.scan_file("app.min.js", text.as_bytes());
                assert!(scan.skipped.is_none());
                started.elapsed()
            })
            .min()
            .unwrap()
    };
    let (small_time, large_time) = (best(&small), best(&large));
    // 16x the input must cost well under 256x (quadratic) the time.
    assert!(
        large_time < small_time * 64,
        "small {small_time:?}, large {large_time:?}"
    );
}

#[test]
fn snippets_redact_every_secret_on_the_line() {
    let mut rng = Rng::new(16);
    let first = fake_tokens::checksummed(&mut rng, &cat(&["gh", "p_"]));
    let second = cat(&["sk", "_live_"]) + &rng.string(fake_tokens::BASE62, 30);
    let encoded = STANDARD.encode(format!("auth={first}"));
    let text = format!("env: A={first} B={second} C={encoded}\r\nnext line\n");
    let found = scan(&text);
    assert_eq!(found.findings.len(), 3, "{:#?}", found.findings);
    let expected = format!(
        "env: A={} B={} C={}",
        found.findings[0].redacted, found.findings[1].redacted, found.findings[2].redacted
    );
    for finding in &found.findings {
        assert_eq!(finding.snippet.as_deref(), Some(expected.as_str()));
    }
    assert_not_leaked(&found, &first);
    assert_not_leaked(&found, &second);
    assert_not_leaked(&found, &encoded[..20]);

    // The same value elsewhere on the line, where no rule matched it, is
    // masked too.
    let password = rng.string(fake_tokens::PASSWORDISH, 14);
    let found = scan(&format!(
        "password = \"{password}\"; confirm = \"{password}\"\n"
    ));
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    let redacted = &found.findings[0].redacted;
    assert_eq!(
        found.findings[0].snippet.as_deref(),
        Some(format!("password = \"{redacted}\"; confirm = \"{redacted}\"").as_str())
    );
    assert_not_leaked(&found, &password);

    // Two credentials on one line, only one of them reported: the value
    // under `key` (a name no rule reports) and a weak `pass` are masked
    // too, and nothing of any of them shows beyond the redacted prefix.
    let key = rng.string(fake_tokens::BASE62, 12);
    let secret = rng.string(fake_tokens::PASSWORDISH, 18);
    let weak = "hunter2hunter2";
    let found = scan(&format!(
        "key = '{key}', secret = '{secret}'; pass: {weak}\n"
    ));
    assert_eq!(found.findings.len(), 1, "{:#?}", found.findings);
    let snippet = found.findings[0].snippet.clone().unwrap();
    assert!(
        snippet.starts_with("key = '") && snippet.contains(&found.findings[0].redacted),
        "{snippet}"
    );
    for value in [key.as_str(), secret.as_str(), weak] {
        assert_shows_at_most_prefix(&found, value);
    }

    // Many distinct secrets on one line (searched by one automaton rather
    // than one by one): each appears twice, once where no rule sees it.
    let many: Vec<String> = (0..12)
        .map(|_| cat(&["sk", "_live_"]) + &rng.string(fake_tokens::BASE62, 30))
        .collect();
    let line: String = many.iter().map(|s| format!("k={s} copy{s} ")).collect();
    let found = scan(&line);
    assert_eq!(found.findings.len(), 12, "{:#?}", found.findings);
    for (finding, secret) in found.findings.iter().zip(&many) {
        let snippet = finding.snippet.as_deref().unwrap();
        assert!(
            snippet.contains(&format!("k={r} copy{r}", r = finding.redacted)),
            "{snippet}"
        );
        assert_not_leaked(&found, secret);
    }

    // A minified line is cut around the finding.
    let long = format!("{}t={first};{}", "a=1;".repeat(500), "b=2;".repeat(500));
    let found = scan(&long);
    let snippet = found.findings[0].snippet.clone().unwrap();
    assert_eq!(snippet.chars().count(), 162);
    assert!(snippet.contains(&found.findings[0].redacted), "{snippet}");
    assert!(
        snippet.starts_with('…') && snippet.contains("a=1;t=") && snippet.ends_with(";…"),
        "{snippet}"
    );

    // A private key's snippet is its first line, the block redacted.
    let block = fake_tokens::armour("EC PRIVATE KEY", &fake_tokens::der_body(&mut rng, 100), 64);
    let found = scan(&format!("key: |\n  {}", block.replace('\n', "\n  ")));
    assert_eq!(
        found.findings[0].snippet.as_ref(),
        Some(&found.findings[0].redacted)
    );
}

#[test]
fn added_lines_with_embedded_newlines_do_not_shift_positions() {
    let token = fake_tokens::checksummed(&mut Rng::new(17), &cat(&["gh", "p_"]));
    let odd = format!("a\nb = {token}");
    let found = scanner().scan_lines("x", &[(3, odd.as_str()), (4, "tail")]);
    assert_eq!(found.findings.len(), 1);
    assert_eq!(found.findings[0].region.start_line, 3);
}

#[test]
fn fragment_soup_never_panics() {
    // Seeded mixes of keyword fragments, escapes, partial encodings and
    // armour lines, cut at arbitrary bytes: the scanner must return (with
    // consistent positions) rather than panic on any of them.
    let mut rng = Rng::new(18);
    let token = fake_tokens::checksummed(&mut rng, &cat(&["gh", "p_"]));
    let fragments: Vec<String> = vec![
        token.clone(),
        STANDARD.encode(&token),
        hex::encode(&token),
        "\\u00".into(),
        "\\ud83d".into(),
        "%2F%3".into(),
        "%".into(),
        cat(&["-----BEGIN ", "RSA PRIVATE KEY-----"]),
        cat(&["-----END ", "RSA PRIVATE KEY-----"]),
        "-----BEGIN ".into(),
        "\\n".into(),
        "password = \"".into(),
        "\"".into(),
        "\n".into(),
        "\r\n".into(),
        "é".into(),
        "\u{fffd}".into(),
        "AKIA".into(),
        "eyJ".into(),
        "=".into(),
        "cordon:allow".into(),
        rng.string(fake_tokens::B64, 30),
        // Assignment-grammar forms, so every branch meets cut input.
        "<password>".into(),
        "</password>".into(),
        "Authorization: Basic ".into(),
        "Authorization: Bearer ".into(),
        "setProperty(\"db.password\", ".into(),
        "ENV API_TOKEN ".into(),
        "machine h login u password ".into(),
        "var token string = ".into(),
        "kind: Secret\ndata:\n  password: ".into(),
        "_auth=".into(),
        ":::=".into(),
        "'".into(),
        "&".into(),
        "gitleaks:allow".into(),
    ];
    let scanner = scanner();
    for round in 0..300 {
        let mut text: Vec<u8> = Vec::new();
        for _ in 0..rng.below(60) {
            text.extend_from_slice(fragments[rng.below(fragments.len())].as_bytes());
        }
        if !text.is_empty() && round % 3 == 0 {
            let cut = rng.below(text.len());
            text.truncate(cut);
            text.push(0xC3); // a dangling UTF-8 lead byte
        }
        let found = scanner.scan_file("soup.txt", &text);
        let lines = text.iter().filter(|&&b| b == b'\n').count() as u32 + 1;
        for finding in found
            .findings
            .iter()
            .chain(found.suppressed.iter().map(|s| &s.finding))
        {
            assert!(
                finding.region.start_line >= 1 && finding.region.end_line <= lines,
                "{finding:?}"
            );
            assert!(finding.region.start_line <= finding.region.end_line);
            assert!(finding.byte_offset.unwrap() <= text.len() as u64);
        }
        assert_not_leaked(&found, &token);
        let as_lines: Vec<(u32, String)> = String::from_utf8_lossy(&text)
            .lines()
            .enumerate()
            .map(|(i, l)| (i as u32 * 2 + 1, l.to_string()))
            .collect();
        let borrowed: Vec<(u32, &str)> = as_lines.iter().map(|(n, l)| (*n, l.as_str())).collect();
        scanner.scan_lines("soup.txt", &borrowed);
    }
}

#[test]
fn firebase_client_keys_are_low_and_replace_the_google_api_key_finding() {
    let key = cat(&["AI", "za"]) + &Rng::new(21).string(fake_tokens::B64URL, 35);
    let web = format!(
        "const firebaseConfig = {{\n  apiKey: \"{key}\",\n  authDomain: \"demo-app.firebaseapp.com\",\n}};\n"
    );
    let found = scan(&web);
    let ids: Vec<&str> = found.findings.iter().map(|f| f.rule_id.as_str()).collect();
    assert_eq!(
        ids,
        ["secrets/firebase-web-api-key"],
        "{:#?}",
        found.findings
    );
    assert_eq!(found.findings[0].severity, cordon_secrets::Severity::Low);
    assert_not_leaked(&found, &key);

    // The same key anywhere else is a Google API key, reported at high.
    let elsewhere = scan(&format!("maps_key = \"{key}\"\n"));
    let ids: Vec<&str> = elsewhere
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["secrets/google-api-key"], "{:#?}", elsewhere.findings);
    assert_eq!(
        elsewhere.findings[0].severity,
        cordon_secrets::Severity::High
    );
}

#[test]
fn telegram_tokens_must_have_the_documented_shape() {
    let mut rng = Rng::new(22);
    let body = cat(&[":A", "A"]) + &rng.string(fake_tokens::BASE62, 33);
    let id = format!("1{}", rng.string(fake_tokens::DIGITS, 9));
    let telegram = |text: &str| {
        scan(text)
            .findings
            .iter()
            .filter(|f| f.rule_id == "secrets/telegram-bot-token")
            .count()
    };
    assert_eq!(telegram(&format!("token = \"{id}{body}\"\n")), 1);
    assert_eq!(
        telegram(&format!("https://api.telegram.org/bot{id}{body}/getMe\n")),
        1
    );
    // A leading zero, a 7-digit id, a body one character too long.
    assert_eq!(telegram(&format!("token = \"0{}{body}\"\n", &id[1..])), 0);
    assert_eq!(telegram(&format!("token = \"{}{body}\"\n", &id[..7])), 0);
    assert_eq!(telegram(&format!("token = \"{id}{body}x\"\n")), 0);
}

/// A UUID whose version and variant digits are random (so not RFC 9562),
/// as a provider's key or a hand-made test value may be.
fn random_uuid(rng: &mut Rng) -> String {
    use fake_tokens::HEX;
    loop {
        let uuid = format!(
            "{}-{}-{}-{}-{}",
            rng.string(HEX, 8),
            rng.string(HEX, 4),
            rng.string(HEX, 4),
            rng.string(HEX, 4),
            rng.string(HEX, 12)
        );
        // Keep only values the version check alone would reject.
        let bytes = uuid.as_bytes();
        if !matches!(bytes[14], b'1'..=b'8') && uuid.chars().any(|c| c.is_ascii_alphabetic()) {
            return uuid;
        }
    }
}

#[test]
fn hash_and_uuid_values_are_kept_beside_a_provider_keyword() {
    let scanner = scanner();
    for seed in 1..=5 {
        let mut rng = Rng::new(seed);
        let uuid = random_uuid(&mut rng);
        let hex64 = rng.string(fake_tokens::HEX, 64);
        let hex32 = rng.string(fake_tokens::HEX, 32);
        for (text, rule, value) in [
            // The provider rule's own name, any UUID (not only RFC 9562).
            (
                format!("HEROKU_API_KEY={uuid}\n"),
                "secrets/heroku-api-key",
                &uuid,
            ),
            (
                format!("kucoin_api_secret: '{uuid}'\n"),
                "secrets/kucoin-secret-key",
                &uuid,
            ),
            // A name the provider rule does not spell out: the generic
            // rule reports it, since the provider's keyword anchors it.
            (
                format!("HEROKU_SECRET: {uuid}\n"),
                "secrets/generic-assignment",
                &uuid,
            ),
            (
                format!("messagebird_access_key = \"{uuid}\"\n"),
                "secrets/generic-assignment",
                &uuid,
            ),
            (
                format!("sentry_client_secret = \"{hex64}\"\n"),
                "secrets/generic-assignment",
                &hex64,
            ),
            (
                format!("\"kucoinPassword\": \"{hex32}\"\n"),
                "secrets/generic-assignment",
                &hex32,
            ),
        ] {
            let found = scanner.scan_file("deploy/app.env", text.as_bytes());
            assert!(
                found.findings.iter().any(|f| f.rule_id == rule),
                "{rule} missed (seed {seed}): {:?}",
                found.findings
            );
            assert_shows_at_most_prefix(&found, value);
        }
    }
}

#[test]
fn hash_and_uuid_values_stay_dropped_beside_generic_words() {
    let scanner = scanner();
    for seed in 1..=5 {
        let mut rng = Rng::new(seed);
        let uuid = random_uuid(&mut rng);
        let sha1 = rng.string(fake_tokens::HEX, 40);
        let sha256 = rng.string(fake_tokens::HEX, 64);
        let short = rng.string(fake_tokens::HEX, 8);
        for text in [
            format!("API_TOKEN={uuid}\n"),
            format!("request_token = \"{uuid}\"\n"),
            format!("commit_token = \"{sha1}\"\n"),
            format!("secret: {sha256}\n"),
            // A provider's name with a short git id or a hand-typed UUID.
            format!("SENTRY_TOKEN={short}\n"),
            "HEROKU_API_KEY=12345678-1234-1234-1234-123456789012\n".to_string(),
            "HEROKU_API_KEY=01234567-89ab-cdef-0123-456789abcdef\n".to_string(),
            // A provider's name that holds no credential word.
            format!("heroku_app_id = \"{uuid}\"\n"),
            format!("SENTRY_RELEASE={sha1}\n"),
        ] {
            let found = scanner.scan_file("deploy/app.env", text.as_bytes());
            assert!(
                found.findings.is_empty(),
                "reported (seed {seed}) {text:?}: {:?}",
                found.findings
            );
        }
    }
}

#[test]
fn a_clerk_key_is_reported_as_clerk_not_stripe() {
    let scanner = scanner();
    let mut rng = Rng::new(7);
    let key = cat(&["sk_", "live_", &rng.string(fake_tokens::BASE62, 40)]);
    let beside_clerk =
        scanner.scan_file("app/.env", format!("CLERK_SECRET_KEY={key}\n").as_bytes());
    let ids: Vec<_> = beside_clerk
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["secrets/clerk-secret-key"]);
    let elsewhere = scanner.scan_file("app/.env", format!("PAYMENTS_KEY={key}\n").as_bytes());
    let ids: Vec<_> = elsewhere
        .findings
        .iter()
        .map(|f| f.rule_id.as_str())
        .collect();
    assert_eq!(ids, ["secrets/stripe-secret-key"]);
}

#[test]
fn private_packagist_tokens_need_their_documented_checksum() {
    let scanner = scanner();
    for seed in 1..=5 {
        let mut rng = Rng::new(seed);
        let prefix = cat(&["packa", "gist_", "out_"]);
        let signed = format!("{prefix}{}", rng.string(fake_tokens::HEX, 60));
        let good = format!("{signed}{:08x}", crc32fast::hash(signed.as_bytes()));
        let bad = fake_tokens::bad_checksum(&good);
        let found = scanner.scan_file(
            "auth.json",
            format!("{{\"token\": \"{good}\"}}\n").as_bytes(),
        );
        let ids: Vec<_> = found.findings.iter().map(|f| f.rule_id.as_str()).collect();
        assert_eq!(ids, ["secrets/packagist-auth-token"], "seed {seed}");
        assert_shows_at_most_prefix(&found, &good[14..]);
        let decoy = scanner.scan_file(
            "auth.json",
            format!("{{\"token\": \"{bad}\"}}\n").as_bytes(),
        );
        assert!(
            decoy.findings.is_empty(),
            "seed {seed}: {:?}",
            decoy.findings
        );
    }
}

#[test]
fn documented_example_credentials_are_not_reported() {
    let scanner = scanner();
    // SSLMate's and Polymarket's documentation examples, assembled so this
    // file holds neither whole.
    for text in [
        format!(
            "SSLMATE_API_KEY = \"{}\"\n",
            cat(&["123_", "AKRCEYZdHUrjegJ19oyI"])
        ),
        format!(
            "POLY_API_KEY = \"{}\"\n",
            cat(&["550e8400-e29b-", "41d4-a716-446655440000"])
        ),
    ] {
        let found = scanner.scan_file("config.env", text.as_bytes());
        assert!(found.findings.is_empty(), "{text:?}: {:?}", found.findings);
    }
}

#[test]
fn hex_api_keys_beside_an_api_key_name_are_not_digests() {
    let mut rng = Rng::new(1209);
    for length in [32, 40] {
        let key = rng.string(fake_tokens::HEX, length);
        for text in [
            format!("headers = {{'api-key': '{key}'}}\n"),
            format!("const client = new Client({{ apiKey: \"{key}\" }});\n"),
        ] {
            let found = scan(&text);
            assert_eq!(found.findings.len(), 1, "{text}");
            assert_eq!(found.findings[0].rule_id, "secrets/generic-assignment");
            assert_not_leaked(&found, &key);
        }
    }
    // A digest named as one, a digest of SHA-256's length, and a hex value
    // beside a name that is no API key stay digests.
    let md5 = rng.string(fake_tokens::HEX, 32);
    let sha256 = rng.string(fake_tokens::HEX, 64);
    for text in [
        format!("api_key_md5 = \"{md5}\"\n"),
        format!("apiKeyHash: \"{md5}\"\n"),
        format!("api_key = \"{sha256}\"\n"),
        format!("session_token = \"{md5}\"\n"),
    ] {
        assert!(scan(&text).findings.is_empty(), "{text}");
    }
}

#[test]
fn uuid_api_keys_beside_an_api_key_name_are_not_ids() {
    let mut rng = Rng::new(1410);
    for _ in 0..3 {
        let key = random_uuid(&mut rng);
        for text in [
            format!("curl -H \"apikey: {key}\" https://api.internal/v1\n"),
            format!("  -H \"X-Octopus-ApiKey: {key}\" \\\n"),
            format!("curl --header 'Authorization:  {key}' https://api.internal\n"),
        ] {
            let found = scan(&text);
            assert_eq!(found.findings.len(), 1, "{text}");
            assert_not_leaked(&found, &key);
        }
        // An id of the key, a token name and a hand-typed UUID stay ids.
        for text in [
            format!("api_key_id = \"{key}\"\n"),
            format!("token = \"{key}\"\n"),
            "apikey: 12345678-1234-1234-1234-123456789012\n".to_string(),
            "Authorization: 12345678-1234-1234-1234-123456789012\n".to_string(),
            format!("Authorization: {key}-suffix\n"),
        ] {
            assert!(scan(&text).findings.is_empty(), "{text}");
        }
    }
}

#[test]
fn hex_client_secrets_beside_a_qualified_secret_name_are_not_digests() {
    let mut rng = Rng::new(1312);
    for length in [32, 40, 64] {
        let secret = rng.string(fake_tokens::HEX, length);
        for text in [
            format!("\"client_secret\" : \"{secret}\",\n"),
            format!("WEBHOOK_SECRET={secret}\n"),
        ] {
            let found = scan(&text);
            assert_eq!(found.findings.len(), 1, "{text}");
            // The `.env` line form has its own rule; both are assignments.
            assert!(
                matches!(
                    found.findings[0].rule_id.as_str(),
                    "secrets/generic-assignment" | "secrets/dotenv-assignment"
                ),
                "{text}: {}",
                found.findings[0].rule_id
            );
            assert_not_leaked(&found, &secret);
        }
    }
    // A digest named as one, and the bare `secret` key, stay digests.
    let sha256 = rng.string(fake_tokens::HEX, 64);
    for text in [
        format!("client_secret_sha256 = \"{sha256}\"\n"),
        format!("secretHash: \"{sha256}\"\n"),
        format!("secret: {sha256}\n"),
    ] {
        assert!(scan(&text).findings.is_empty(), "{text}");
    }
}
