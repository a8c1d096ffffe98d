//! Fake credentials built at run time, for tests and the benchmark corpus.
//!
//! Nothing credential-shaped is written literally in this repository:
//! prefixes are assembled from pieces and bodies come from a seeded PRNG
//! (checksums are computed), so secret scanners and push protection have
//! nothing to trip over while the engine still sees realistic tokens.

#![allow(dead_code)] // Each includer uses a different subset.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

pub const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const HEX: &[u8] = b"0123456789abcdef";
pub const DIGITS: &[u8] = b"0123456789";
pub const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
pub const UPPER_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
pub const BASE32: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
pub const B64: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
pub const B64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
pub const PASSWORDISH: &[u8] =
    b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@%^&*-_+=";

/// SplitMix64: tiny, seedable, good enough for test data.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn string(&mut self, alphabet: &[u8], len: usize) -> String {
        (0..len)
            .map(|_| alphabet[self.below(alphabet.len())] as char)
            .collect()
    }

    pub fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }
}

/// Joins pieces; used so that no token prefix appears whole in the source.
pub fn cat(pieces: &[&str]) -> String {
    pieces.concat()
}

fn base62_six(mut value: u32) -> String {
    let mut digits = [b'0'; 6];
    for slot in digits.iter_mut().rev() {
        *slot = BASE62[(value % 62) as usize];
        value /= 62;
    }
    String::from_utf8(digits.to_vec()).unwrap()
}

/// GitHub / npm style token with a correct CRC32 checksum.
pub fn checksummed(rng: &mut Rng, prefix: &str) -> String {
    let random = rng.string(BASE62, 30);
    let checksum = base62_six(crc32fast::hash(random.as_bytes()));
    format!("{prefix}{random}{checksum}")
}

/// A Private Packagist token: `packagist_<kind>_`, 60 hex and the CRC32 of
/// both in 8 hex digits (`kind` is `ort`, `out` or `uut`).
pub fn packagist_token(rng: &mut Rng, kind: &str) -> String {
    let signed = format!("{}{kind}_{}", cat(&["packa", "gist_"]), rng.string(HEX, 60));
    let checksum = crc32fast::hash(signed.as_bytes());
    format!("{signed}{checksum:08x}")
}

/// The same shape with the last checksum digit changed.
pub fn bad_checksum(token: &str) -> String {
    let mut bytes = token.as_bytes().to_vec();
    let last = bytes.len() - 1;
    bytes[last] = if bytes[last] == b'0' { b'1' } else { b'0' };
    String::from_utf8(bytes).unwrap()
}

/// A PyPI token: base64url of a macaroon v2 with the given location.
pub fn pypi_token(rng: &mut Rng, location: &str) -> String {
    let mut macaroon = vec![2, 1, location.len() as u8];
    macaroon.extend_from_slice(location.as_bytes());
    let identifier = rng.string(HEX, 32);
    macaroon.extend_from_slice(&[2, identifier.len() as u8]);
    macaroon.extend_from_slice(identifier.as_bytes());
    macaroon.extend_from_slice(&[0, 6, 32]);
    macaroon.extend(rng.bytes(32));
    format!(
        "{}{}",
        cat(&["py", "pi-"]),
        URL_SAFE_NO_PAD.encode(macaroon)
    )
}

/// A signed-looking JWT; `with_alg` false gives a header without `alg`.
pub fn jwt(rng: &mut Rng, with_alg: bool) -> String {
    let header = if with_alg {
        r#"{"alg":"HS256","typ":"JWT"}"#
    } else {
        r#"{"typ":"JWT"}"#
    };
    let payload = format!(r#"{{"sub":"{}","iat":1700000000}}"#, rng.string(HEX, 12));
    format!(
        "{}.{}.{}",
        URL_SAFE_NO_PAD.encode(header),
        URL_SAFE_NO_PAD.encode(payload),
        rng.string(B64URL, 43)
    )
}

/// An age secret key with a valid Bech32 checksum.
pub fn age_key(rng: &mut Rng) -> String {
    const CHARSET: &[u8] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";
    let hrp = cat(&["age-secret-", "key-"]);
    let data: Vec<u8> = {
        let bytes = rng.bytes(32);
        let (mut acc, mut bits, mut out) = (0u32, 0u32, Vec::new());
        for byte in bytes {
            acc = (acc << 8) | u32::from(byte);
            bits += 8;
            while bits >= 5 {
                bits -= 5;
                out.push(((acc >> bits) & 31) as u8);
            }
        }
        if bits > 0 {
            out.push(((acc << (5 - bits)) & 31) as u8);
        }
        out
    };
    let mut values: Vec<u8> = hrp.bytes().map(|b| b >> 5).collect();
    values.push(0);
    values.extend(hrp.bytes().map(|b| b & 31));
    values.extend(&data);
    values.extend([0u8; 6]);
    let polymod = bech32_polymod(&values) ^ 1;
    let checksum = (0..6).map(|i| ((polymod >> (5 * (5 - i))) & 31) as u8);
    let body: String = data
        .iter()
        .copied()
        .chain(checksum)
        .map(|v| CHARSET[v as usize] as char)
        .collect();
    format!("{hrp}1{body}").to_uppercase()
}

fn bech32_polymod(values: &[u8]) -> u32 {
    const GENERATOR: [u32; 5] = [0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3];
    let mut checksum: u32 = 1;
    for &value in values {
        let top = checksum >> 25;
        checksum = ((checksum & 0x1ff_ffff) << 5) ^ u32::from(value);
        for (bit, generator) in GENERATOR.iter().enumerate() {
            if (top >> bit) & 1 == 1 {
                checksum ^= generator;
            }
        }
    }
    checksum
}

/// An armoured block whose body decodes to `body`, wrapped at `width`.
pub fn armour(label: &str, body: &[u8], width: usize) -> String {
    let encoded = STANDARD.encode(body);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(width)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let begin = cat(&["-----BEGIN ", label, "-----"]);
    let end = cat(&["-----END ", label, "-----"]);
    format!("{begin}\n{}\n{end}\n", lines.join("\n"))
}

/// A DER-looking PKCS#8 body (a SEQUENCE of random bytes).
pub fn der_body(rng: &mut Rng, len: usize) -> Vec<u8> {
    let mut body = vec![0x30, 0x82, (len >> 8) as u8, len as u8];
    body.extend(rng.bytes(len));
    body
}

pub fn openssh_body(rng: &mut Rng) -> Vec<u8> {
    let mut body = b"openssh-key-v1\0".to_vec();
    body.extend(rng.bytes(380));
    body
}

pub fn pgp_body(rng: &mut Rng) -> Vec<u8> {
    let mut body = vec![0x95, 0x03, 0xc6];
    body.extend(rng.bytes(900));
    body
}

/// One rule's test material.
pub struct Sample {
    pub rule: &'static str,
    /// A line (or lines) of text containing `secret`.
    pub positive: String,
    /// The raw secret the rule should report (never to appear in output).
    pub secret: String,
    /// A near-miss line the rule must not report.
    pub negative: String,
}

fn sample(rule: &'static str, template: &str, secret: String, near_miss: String) -> Sample {
    Sample {
        rule,
        positive: template.replace("{}", &secret),
        secret,
        negative: template.replace("{}", &near_miss),
    }
}

/// A true positive and a near miss for every built-in rule.
pub fn samples(rng: &mut Rng) -> Vec<Sample> {
    let r = rng;
    let mut out = Vec::new();
    let v = "value = \"{}\"";
    let pre = |p: &[&str]| cat(p);

    out.push(sample(
        "secrets/aws-access-key-id",
        "id: {}",
        pre(&["AK", "IA"]) + &r.string(BASE32, 16),
        pre(&["AK", "IA"]) + &r.string(BASE32, 15),
    ));
    out.push(sample(
        "secrets/aws-secret-access-key",
        "aws_secret_access_key = {}",
        r.string(B64, 40),
        r.string(B64, 39),
    ));
    out.push(sample(
        "secrets/google-api-key",
        v,
        pre(&["AI", "za"]) + &r.string(B64URL, 35),
        pre(&["AI", "za"]) + &r.string(B64URL, 34),
    ));
    let gcp = |id: &str| {
        format!(
            "{{\n  \"type\": \"service_account\",\n  \"project_id\": \"demo-project\",\n  \"private_key_id\": \"{id}\",\n  \"client_email\": \"svc@demo-project.iam.gserviceaccount.com\"\n}}"
        )
    };
    let gcp_id = r.string(HEX, 40);
    out.push(Sample {
        rule: "secrets/gcp-service-account-key",
        positive: gcp(&gcp_id),
        negative: gcp(&gcp_id).replace("service_account", "authorized_user"),
        secret: gcp_id,
    });
    out.push(sample(
        "secrets/google-oauth-client-secret",
        v,
        pre(&["GOC", "SPX-"]) + &r.string(B64URL, 28),
        pre(&["GOC", "SPX-"]) + &r.string(B64URL, 27),
    ));
    out.push(sample(
        "secrets/azure-storage-account-key",
        "DefaultEndpointsProtocol=https;AccountName=demo;AccountKey={};EndpointSuffix=core.windows.net",
        r.string(B64, 86) + "==",
        r.string(B64, 80) + "==",
    ));
    out.push(sample(
        "secrets/azure-shared-access-key",
        "Endpoint=sb://demo.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey={}",
        r.string(B64, 43) + "=",
        r.string(B64, 40) + "=",
    ));
    let azure_tail = r.string(
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-",
        34,
    );
    let azure_head = r.string(BASE62, 3) + &r.string(DIGITS, 1);
    out.push(sample(
        "secrets/azure-ad-client-secret",
        v,
        format!("{azure_head}{}{azure_tail}", pre(&["Q", "~"])),
        format!("{azure_head}Q{azure_tail}"),
    ));
    out.push(sample(
        "secrets/alibaba-access-key-id",
        v,
        pre(&["LT", "AI"]) + &r.string(BASE62, 20),
        pre(&["LT", "AI"]) + &r.string(BASE62, 8),
    ));
    out.push(sample(
        "secrets/digitalocean-pat",
        v,
        pre(&["dop", "_v1_"]) + &r.string(HEX, 64),
        pre(&["dop", "_v1_"]) + &r.string(HEX, 63),
    ));
    out.push(sample(
        "secrets/digitalocean-oauth-token",
        v,
        pre(&["doo", "_v1_"]) + &r.string(HEX, 64),
        pre(&["dox", "_v1_"]) + &r.string(HEX, 64),
    ));
    out.push(sample(
        "secrets/flyio-token",
        v,
        pre(&["fo", "1_"]) + &r.string(B64URL, 43),
        pre(&["fo", "1_"]) + &r.string(B64URL, 42),
    ));
    for (rule, prefix) in [
        ("secrets/github-pat", pre(&["gh", "p_"])),
        ("secrets/github-oauth-token", pre(&["gh", "o_"])),
        ("secrets/github-user-token", pre(&["gh", "u_"])),
        ("secrets/github-app-token", pre(&["gh", "s_"])),
        ("secrets/github-refresh-token", pre(&["gh", "r_"])),
        ("secrets/npm-token", pre(&["np", "m_"])),
    ] {
        let token = checksummed(r, &prefix);
        out.push(sample(rule, v, token.clone(), bad_checksum(&token)));
    }
    out.push(sample(
        "secrets/github-fine-grained-pat",
        v,
        format!(
            "{}{}_{}",
            pre(&["github", "_pat_"]),
            r.string(BASE62, 22),
            r.string(BASE62, 59)
        ),
        format!(
            "{}{}_{}",
            pre(&["github", "_pat_"]),
            r.string(BASE62, 22),
            r.string(BASE62, 58)
        ),
    ));
    out.push(sample(
        "secrets/gitlab-pat",
        v,
        pre(&["glp", "at-"]) + &r.string(B64URL, 20),
        pre(&["glp", "at-"]) + &r.string(B64URL, 19),
    ));
    out.push(sample(
        "secrets/gitlab-pipeline-trigger-token",
        v,
        pre(&["glp", "tt-"]) + &r.string(HEX, 40),
        pre(&["glp", "tt-"]) + &r.string(HEX, 39),
    ));
    out.push(sample(
        "secrets/gitlab-runner-token",
        v,
        pre(&["gl", "rt-"]) + &r.string(B64URL, 26),
        pre(&["gl", "rt-"]) + &r.string(B64URL, 15),
    ));
    out.push(sample(
        "secrets/gitlab-deploy-token",
        v,
        pre(&["gl", "dt-"]) + &r.string(B64URL, 26),
        pre(&["gl", "dt-"]) + &r.string(B64URL, 15),
    ));
    out.push(sample(
        "secrets/atlassian-api-token",
        v,
        pre(&["ATA", "TT3"]) + &r.string(B64URL, 186),
        pre(&["ATA", "TT3"]) + &r.string(B64URL, 100),
    ));
    out.push(sample(
        "secrets/docker-hub-pat",
        v,
        pre(&["dckr", "_pat_"]) + &r.string(B64URL, 27),
        pre(&["dckr", "_pat_"]) + &r.string(B64URL, 26),
    ));
    out.push(sample(
        "secrets/terraform-cloud-token",
        v,
        format!(
            "{}{}{}",
            r.string(BASE62, 14),
            pre(&[".atlas", "v1."]),
            r.string(B64URL, 67)
        ),
        format!(
            "{}{}{}",
            r.string(BASE62, 14),
            pre(&[".atlas", "v1."]),
            r.string(B64URL, 40)
        ),
    ));
    out.push(sample(
        "secrets/vault-token",
        v,
        pre(&["hv", "s."]) + &r.string(B64URL, 95),
        pre(&["hv", "s."]) + &r.string(B64URL, 60),
    ));
    out.push(sample(
        "secrets/pulumi-token",
        v,
        pre(&["pu", "l-"]) + &r.string(HEX, 40),
        pre(&["pu", "l-"]) + &r.string(HEX, 39),
    ));
    out.push(sample(
        "secrets/doppler-token",
        v,
        pre(&["dp.", "st."]) + &r.string(BASE62, 43),
        pre(&["dp.", "st."]) + &r.string(BASE62, 30),
    ));
    out.push(sample(
        "secrets/tailscale-key",
        v,
        format!(
            "{}{}-{}",
            pre(&["tskey", "-auth-"]),
            r.string(BASE62, 11),
            r.string(BASE62, 30)
        ),
        format!("{}{}", pre(&["tskey", "-auth-"]), r.string(BASE62, 11)),
    ));
    out.push(sample(
        "secrets/databricks-token",
        v,
        pre(&["da", "pi"]) + &r.string(HEX, 32),
        pre(&["da", "pi"]) + &r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/grafana-service-account-token",
        v,
        format!(
            "{}{}_{}",
            pre(&["gl", "sa_"]),
            r.string(BASE62, 32),
            r.string(HEX, 8)
        ),
        format!(
            "{}{}_{}",
            pre(&["gl", "sa_"]),
            r.string(BASE62, 32),
            r.string(HEX, 7)
        ),
    ));
    out.push(sample(
        "secrets/grafana-cloud-token",
        v,
        pre(&["gl", "c_"]) + &r.string(B64, 120),
        pre(&["gl", "c_"]) + &r.string(B64, 20),
    ));
    out.push(sample(
        "secrets/new-relic-user-key",
        v,
        pre(&["NR", "AK-"]) + &r.string(UPPER_ALNUM, 27),
        pre(&["NR", "AK-"]) + &r.string(UPPER_ALNUM, 26),
    ));
    out.push(sample(
        "secrets/sentry-auth-token",
        v,
        pre(&["sntr", "yu_"]) + &r.string(HEX, 64),
        pre(&["sntr", "yu_"]) + &r.string(HEX, 63),
    ));
    out.push(sample(
        "secrets/datadog-api-key",
        "datadog_api_key: {}",
        r.string(HEX, 32),
        r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/datadog-app-key",
        "DATADOG_APP_KEY = '{}'",
        r.string(HEX, 40),
        r.string(HEX, 39),
    ));
    let legacy = format!(
        "{}-{}-{}-{}-{}",
        r.string(HEX, 8),
        r.string(HEX, 4),
        r.string(HEX, 4),
        r.string(HEX, 4),
        r.string(HEX, 12)
    );
    out.push(sample(
        "secrets/npmrc-auth-token",
        "//registry.npmjs.org/:_authToken={}",
        legacy,
        "${NPM_TOKEN}".to_string(),
    ));
    let pypi = pypi_token(r, "pypi.org");
    out.push(sample(
        "secrets/pypi-token",
        v,
        pypi,
        pypi_token(r, "pypi.com"),
    ));
    out.push(sample(
        "secrets/rubygems-api-key",
        v,
        pre(&["ruby", "gems_"]) + &r.string(HEX, 48),
        pre(&["ruby", "gems_"]) + &r.string(HEX, 47),
    ));
    let marker = pre(&["T3Blbk", "FJ"]);
    out.push(sample(
        "secrets/openai-api-key",
        v,
        format!(
            "{}{}{marker}{}",
            pre(&["sk-", "proj-"]),
            r.string(B64URL, 74),
            r.string(B64URL, 74)
        ),
        format!(
            "{}{}{marker}{}",
            pre(&["sk-", "proj-"]),
            r.string(B64URL, 10),
            r.string(B64URL, 10)
        ),
    ));
    let anthropic = format!("{}{}", pre(&["sk-ant", "-api03-"]), r.string(B64URL, 93));
    out.push(sample(
        "secrets/anthropic-api-key",
        v,
        format!("{anthropic}AA"),
        format!("{anthropic}AB"),
    ));
    out.push(sample(
        "secrets/huggingface-token",
        v,
        pre(&["h", "f_"]) + &r.string(LETTERS, 34),
        pre(&["h", "f_"]) + &r.string(LETTERS, 33),
    ));
    out.push(sample(
        "secrets/replicate-api-token",
        v,
        pre(&["r", "8_"]) + &r.string(BASE62, 37),
        pre(&["r", "8_"]) + &r.string(BASE62, 36),
    ));
    out.push(sample(
        "secrets/groq-api-key",
        v,
        pre(&["gs", "k_"]) + &r.string(BASE62, 52),
        pre(&["gs", "k_"]) + &r.string(BASE62, 51),
    ));
    out.push(sample(
        "secrets/perplexity-api-key",
        v,
        pre(&["pp", "lx-"]) + &r.string(BASE62, 48),
        pre(&["pp", "lx-"]) + &r.string(BASE62, 47),
    ));
    let slack_ids = format!("{}-{}", r.string(DIGITS, 12), r.string(DIGITS, 13));
    out.push(sample(
        "secrets/slack-bot-token",
        v,
        format!(
            "{}{slack_ids}-{}",
            pre(&["xo", "xb-"]),
            r.string(BASE62, 24)
        ),
        format!(
            "{}{slack_ids}-{}",
            pre(&["xo", "xb-"]),
            r.string(BASE62, 20)
        ),
    ));
    out.push(sample(
        "secrets/slack-user-token",
        v,
        format!(
            "{}{slack_ids}-{}-{}",
            pre(&["xo", "xp-"]),
            r.string(DIGITS, 12),
            r.string(HEX, 32)
        ),
        format!("{}{slack_ids}-{}", pre(&["xo", "xp-"]), r.string(HEX, 32)),
    ));
    out.push(sample(
        "secrets/slack-app-token",
        v,
        format!(
            "{}{}-{}-{}",
            pre(&["xa", "pp-1-"]),
            r.string(UPPER_ALNUM, 11),
            r.string(DIGITS, 13),
            r.string(HEX, 64)
        ),
        format!(
            "{}{}-{}-{}",
            pre(&["xa", "pp-1-"]),
            r.string(UPPER_ALNUM, 11),
            r.string(DIGITS, 13),
            r.string(HEX, 60)
        ),
    ));
    let hook_ids = format!(
        "T{}/B{}",
        r.string(UPPER_ALNUM, 10),
        r.string(UPPER_ALNUM, 10)
    );
    out.push(sample(
        "secrets/slack-webhook-url",
        &format!("{}{{}}", pre(&["https://hooks.", "slack.com/services/"])),
        format!("{hook_ids}/{}", r.string(BASE62, 24)),
        format!("{hook_ids}/{}", r.string(BASE62, 10)),
    ));
    out.push(sample(
        "secrets/discord-webhook-url",
        &format!(
            "{}{}/{{}}",
            pre(&["https://discord.com/api/", "webhooks/"]),
            r.string(DIGITS, 18)
        ),
        r.string(B64URL, 68),
        r.string(B64URL, 40),
    ));
    // Bot ids are numbers: no leading zero.
    let bot = format!("{}{}", 1 + r.below(9), r.string(DIGITS, 9));
    out.push(sample(
        "secrets/telegram-bot-token",
        v,
        format!("{bot}:{}{}", "AA", r.string(B64URL, 33)),
        format!("{bot}:{}{}", "AA", r.string(B64URL, 32)),
    ));
    out.push(sample(
        "secrets/sendgrid-api-key",
        v,
        format!(
            "{}{}.{}",
            pre(&["S", "G."]),
            r.string(B64URL, 22),
            r.string(B64URL, 43)
        ),
        format!(
            "{}{}.{}",
            pre(&["S", "G."]),
            r.string(B64URL, 22),
            r.string(B64URL, 42)
        ),
    ));
    out.push(sample(
        "secrets/twilio-api-key",
        "TWILIO_API_SID: {}",
        pre(&["S", "K"]) + &r.string(HEX, 32),
        pre(&["S", "K"]) + &r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/twilio-auth-token",
        "twilio_auth_token = \"{}\"",
        r.string(HEX, 32),
        r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/mailchimp-api-key",
        v,
        r.string(HEX, 32) + "-us14",
        r.string(HEX, 31) + "-us14",
    ));
    out.push(sample(
        "secrets/mailgun-api-key",
        v,
        pre(&["ke", "y-"]) + &r.string(HEX, 32),
        pre(&["ke", "y-"]) + &r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/stripe-secret-key",
        v,
        pre(&["sk", "_live_"]) + &r.string(BASE62, 32),
        pre(&["sk", "_live_"]) + &r.string(BASE62, 20),
    ));
    out.push(sample(
        "secrets/stripe-restricted-key",
        v,
        pre(&["rk", "_live_"]) + &r.string(BASE62, 32),
        pre(&["rk", "_live_"]) + &r.string(BASE62, 20),
    ));
    out.push(sample(
        "secrets/stripe-test-key",
        v,
        pre(&["sk", "_test_"]) + &r.string(BASE62, 32),
        pre(&["sk", "_test_"]) + &r.string(BASE62, 20),
    ));
    out.push(sample(
        "secrets/square-access-token",
        v,
        pre(&["EA", "AA"]) + &r.string(B64URL, 60),
        pre(&["EA", "AA"]) + &r.string(B64URL, 50),
    ));
    out.push(sample(
        "secrets/shopify-access-token",
        v,
        pre(&["shp", "at_"]) + &r.string(HEX, 32),
        pre(&["shp", "at_"]) + &r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/shopify-shared-secret",
        v,
        pre(&["shp", "ss_"]) + &r.string(HEX, 32),
        pre(&["shp", "ss_"]) + &r.string(HEX, 31),
    ));
    out.push(sample(
        "secrets/linear-api-key",
        v,
        pre(&["lin", "_api_"]) + &r.string(BASE62, 40),
        pre(&["lin", "_api_"]) + &r.string(BASE62, 39),
    ));
    out.push(sample(
        "secrets/postman-api-key",
        v,
        format!(
            "{}{}-{}",
            pre(&["PM", "AK-"]),
            r.string(HEX, 24),
            r.string(HEX, 34)
        ),
        format!(
            "{}{}-{}",
            pre(&["PM", "AK-"]),
            r.string(HEX, 24),
            r.string(HEX, 33)
        ),
    ));
    out.push(sample(
        "secrets/supabase-token",
        v,
        pre(&["sb", "p_"]) + &r.string(HEX, 40),
        pre(&["sb", "p_"]) + &r.string(HEX, 39),
    ));

    for (rule, label, body) in [
        ("secrets/private-key", "RSA PRIVATE KEY", der_body(r, 600)),
        (
            "secrets/openssh-private-key",
            "OPENSSH PRIVATE KEY",
            openssh_body(r),
        ),
        (
            "secrets/pgp-private-key",
            "PGP PRIVATE KEY BLOCK",
            pgp_body(r),
        ),
    ] {
        let block = armour(label, &body, 64);
        let secret: String = block.lines().filter(|l| !l.starts_with("-----")).collect();
        // Near miss: the body truncated to a placeholder.
        let negative = format!(
            "{}\nMIIEvQIBADANBgkqhkiG9w0B...\n{}\n",
            block.lines().next().unwrap(),
            block.lines().last().unwrap()
        );
        out.push(Sample {
            rule,
            positive: block,
            secret,
            negative,
        });
    }
    let age = age_key(r);
    let mut broken_age = age.clone().into_bytes();
    let last = broken_age.len() - 1;
    broken_age[last] = if broken_age[last] == b'Q' { b'P' } else { b'Q' };
    out.push(sample(
        "secrets/age-secret-key",
        "{}",
        age,
        String::from_utf8(broken_age).unwrap(),
    ));
    out.push(sample(
        "secrets/jwt",
        "Authorization: Bearer {}",
        jwt(r, true),
        jwt(r, false),
    ));
    out.push(sample(
        "secrets/database-url-password",
        "DATABASE_URL=postgres://app:{}@db.internal:5432/app",
        r.string(BASE62, 18),
        "${DB_PASSWORD}".to_string(),
    ));
    out.push(sample(
        "secrets/generic-assignment",
        "db_password = \"{}\"",
        r.string(PASSWORDISH, 16),
        "changeme-please".to_string(),
    ));
    out.push(sample(
        "secrets/dotenv-assignment",
        "export SERVICE_API_TOKEN={}",
        r.string(PASSWORDISH, 24),
        "aaaaaaaabbbbbbbb".to_string(),
    ));
    out
}
