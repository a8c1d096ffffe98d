//! The built-in rule catalogue, as data.
//!
//! Each rule names the structure its issuer documents; regexes are written
//! for this catalogue. Keywords are literal strings that occur in (or right
//! next to) every match: the prefilter looks for them and the regex only
//! runs in a window around each occurrence.
//!
//! Regexes run over bytes with Unicode off, so `\w`, `\d`, `\s` and `\b` are
//! ASCII. A group named `secret` marks the secret; without it the whole match
//! is the secret.

use crate::{RuleDescriptor, Severity};

/// How a rule locates candidates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Matcher {
    /// A regex run around keyword occurrences.
    Regex(&'static str),
    /// A PEM / OpenSSH / PGP armoured private-key block, parsed by hand
    /// because its body spans many lines and up to several kilobytes.
    PrivateKeyBlock,
}

/// Offline validation a candidate must pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Check {
    None,
    /// GitHub / npm style: 30 base62 characters followed by the CRC32 of
    /// those characters in 6 base62 digits.
    Base62Crc32,
    /// PyPI API token: a base64url macaroon whose location is `pypi.org`
    /// (or `test.pypi.org`).
    PypiMacaroon,
    /// JSON Web Token whose header and payload decode to JSON objects and
    /// whose header names an `alg`.
    Jwt,
    /// age secret key: Bech32 checksum over the `age-secret-key-` prefix.
    Bech32,
}

/// One built-in rule.
#[derive(Clone, Copy, Debug)]
pub struct BuiltinRule {
    /// Stable id, `secrets/<name>`.
    pub id: &'static str,
    /// Short, human title (SARIF short description).
    pub title: &'static str,
    /// The documented structure the rule looks for.
    pub structure: &'static str,
    /// Who issues the credential; used in the remediation text.
    pub issuer: &'static str,
    pub severity: Severity,
    pub keywords: &'static [&'static str],
    /// Keywords match regardless of ASCII case (context words such as
    /// `password`); otherwise they must match exactly.
    pub keywords_ignore_case: bool,
    pub matcher: Matcher,
    /// Minimum Shannon entropy of the secret, bits per character.
    pub min_entropy: f64,
    pub check: Check,
    /// Found by context rather than shape: yields to any rule without this
    /// flag that matched overlapping bytes.
    pub yields: bool,
    /// How many bytes before a keyword a match may start. Small for
    /// keywords that start the match (room for the boundary character the
    /// regex looks at); larger where the keyword sits inside the match.
    /// Regexes only run in these windows, so this is much of the cost.
    pub context_before: usize,
    /// A generic assignment rule: the scanner matches it with the
    /// assignment grammar (`assignment.rs`), so its regex only documents
    /// the core form. Its values also go through the hash/UUID/identifier
    /// decoy filters and the configurable `generic-min-entropy` replaces
    /// `min_entropy`.
    pub generic: bool,
}

impl BuiltinRule {
    /// The rule as the stage lists it.
    pub fn descriptor(&self) -> RuleDescriptor {
        RuleDescriptor {
            id: self.id.to_string(),
            short_description: self.title.to_string(),
            full_description: format!("{}: {}.", self.title, self.structure),
            help: remediation(self.issuer),
            default_severity: self.severity,
        }
    }
}

/// Remediation text shared by all rules of one issuer.
pub(crate) fn remediation(issuer: &str) -> String {
    format!(
        "Revoke or rotate this {issuer} credential first: once committed it must be treated \
         as exposed. Then remove it from the file (and from git history if it was pushed) and \
         load it from a secret store or the environment. If the value is not a secret, add a \
         `cordon:allow` comment on its line or an `allow-values` pattern."
    )
}

const fn rule(
    id: &'static str,
    title: &'static str,
    structure: &'static str,
    issuer: &'static str,
    severity: Severity,
    keywords: &'static [&'static str],
    pattern: &'static str,
) -> BuiltinRule {
    BuiltinRule {
        id,
        title,
        structure,
        issuer,
        severity,
        keywords,
        keywords_ignore_case: false,
        matcher: Matcher::Regex(pattern),
        min_entropy: 3.0,
        check: Check::None,
        yields: false,
        generic: false,
        context_before: 8,
    }
}

use Severity::{Critical, High, Low, Medium};

const GENERIC_KEYWORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "api-key",
    "access_key",
    "accesskey",
    "auth_key",
    "authkey",
    "credential",
    "private_key",
    "privatekey",
    // `Authorization: Bearer …` headers and `.npmrc`'s `_auth=`.
    "authorization",
    "_auth",
];

/// Environment variable names are upper case, so these match exactly; that
/// keeps the many lower-case `token`s of ordinary code out of this rule.
const ENV_KEYWORDS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PWD",
    "SECRET",
    "TOKEN",
    "API_KEY",
    "APIKEY",
    "ACCESS_KEY",
    "ACCESSKEY",
    "AUTH_KEY",
    "CREDENTIAL",
    "PRIVATE_KEY",
];

const DATABASE_SCHEMES: &[&str] = &[
    "postgres://",
    "postgresql://",
    "mysql://",
    "mariadb://",
    "mongodb://",
    "mongodb+srv://",
    "redis://",
    "rediss://",
    "amqp://",
    "amqps://",
    "mssql://",
    "sqlserver://",
    "clickhouse://",
    "cockroachdb://",
];

/// Every built-in rule. Ids are stable: they appear in baselines, SARIF and
/// user configuration.
pub static BUILTIN_RULES: &[BuiltinRule] = &[
    // --- Cloud providers -------------------------------------------------
    BuiltinRule {
        min_entropy: 3.0,
        ..rule(
            "secrets/aws-access-key-id",
            "AWS access key ID",
            "`AKIA`, `ASIA`, `ABIA` or `ACCA` followed by 16 base32 characters",
            "AWS",
            High,
            &["AKIA", "ASIA", "ABIA", "ACCA"],
            r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z2-7]{16})\b",
        )
    },
    BuiltinRule {
        keywords_ignore_case: true,
        min_entropy: 4.0,
        ..rule(
            "secrets/aws-secret-access-key",
            "AWS secret access key",
            "40 base64 characters assigned to a `secret_access_key`-like name",
            "AWS",
            High,
            &[
                "secret_access_key",
                "secretaccesskey",
                "secret-access-key",
                "aws_secret_key",
                "aws-secret-key",
            ],
            r#"(?i:secret[_-]?access[_-]?key|aws[_-]?secret[_-]?key)["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[A-Za-z0-9/+]{40})(?:[^A-Za-z0-9/+=]|$)"#,
        )
    },
    BuiltinRule {
        min_entropy: 3.5,
        ..rule(
            "secrets/google-api-key",
            "Google API key",
            "`AIza` followed by 35 characters of `[0-9A-Za-z_-]`",
            "Google Cloud",
            High,
            &["AIza"],
            r"\b(?P<secret>AIza[0-9A-Za-z_-]{35})(?:[^0-9A-Za-z_-]|$)",
        )
    },
    BuiltinRule {
        context_before: 32,
        ..rule(
            "secrets/gcp-service-account-key",
            "GCP service-account key file",
            "a JSON key file with `\"type\": \"service_account\"` and a 40-hex `private_key_id`",
            "Google Cloud",
            Critical,
            &["service_account"],
            r#""type"\s*:\s*"service_account"[^}]{0,400}?"private_key_id"\s*:\s*"(?P<secret>[0-9a-f]{40})""#,
        )
    },
    rule(
        "secrets/google-oauth-client-secret",
        "Google OAuth client secret",
        "`GOCSPX-` followed by 28 characters of `[A-Za-z0-9_-]`",
        "Google Cloud",
        High,
        &["GOCSPX-"],
        r"\b(?P<secret>GOCSPX-[A-Za-z0-9_-]{28})(?:[^A-Za-z0-9_-]|$)",
    ),
    rule(
        "secrets/azure-storage-account-key",
        "Azure storage account key",
        "`AccountKey=` followed by an 88-character base64 key (connection strings)",
        "Azure",
        Critical,
        &["AccountKey="],
        r"AccountKey=(?P<secret>[A-Za-z0-9+/]{86}==)",
    ),
    rule(
        "secrets/azure-shared-access-key",
        "Azure Service Bus / Event Hubs shared access key",
        "`SharedAccessKey=` followed by a 44-character base64 key",
        "Azure",
        High,
        &["SharedAccessKey="],
        r"SharedAccessKey=(?P<secret>[A-Za-z0-9+/]{43}=)",
    ),
    BuiltinRule {
        context_before: 8,
        ..rule(
            "secrets/azure-ad-client-secret",
            "Azure AD (Entra ID) client secret",
            "3 characters, a digit, `Q~`, then 31 to 34 characters of `[A-Za-z0-9_~.-]`",
            "Azure",
            High,
            &["Q~"],
            r"(?:^|[^A-Za-z0-9_~.-])(?P<secret>[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34})(?:[^A-Za-z0-9_~.-]|$)",
        )
    },
    rule(
        "secrets/alibaba-access-key-id",
        "Alibaba Cloud AccessKey ID",
        "`LTAI` followed by 12 to 20 alphanumeric characters",
        "Alibaba Cloud",
        High,
        &["LTAI"],
        r"\b(?P<secret>LTAI[A-Za-z0-9]{12,20})\b",
    ),
    rule(
        "secrets/digitalocean-pat",
        "DigitalOcean personal access token",
        "`dop_v1_` followed by 64 hex characters",
        "DigitalOcean",
        High,
        &["dop_v1_"],
        r"\b(?P<secret>dop_v1_[a-f0-9]{64})\b",
    ),
    rule(
        "secrets/digitalocean-oauth-token",
        "DigitalOcean OAuth or refresh token",
        "`doo_v1_` or `dor_v1_` followed by 64 hex characters",
        "DigitalOcean",
        High,
        &["doo_v1_", "dor_v1_"],
        r"\b(?P<secret>do[or]_v1_[a-f0-9]{64})\b",
    ),
    rule(
        "secrets/flyio-token",
        "Fly.io access token",
        "`fo1_` followed by 43 characters of `[A-Za-z0-9_-]`",
        "Fly.io",
        High,
        &["fo1_"],
        r"\b(?P<secret>fo1_[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
    ),
    // --- Source hosting and CI ------------------------------------------
    BuiltinRule {
        check: Check::Base62Crc32,
        ..rule(
            "secrets/github-pat",
            "GitHub personal access token (classic)",
            "`ghp_` followed by 36 base62 characters ending in a CRC32 checksum",
            "GitHub",
            High,
            &["ghp_"],
            r"\b(?P<secret>ghp_[A-Za-z0-9]{36})\b",
        )
    },
    BuiltinRule {
        check: Check::Base62Crc32,
        ..rule(
            "secrets/github-oauth-token",
            "GitHub OAuth access token",
            "`gho_` followed by 36 base62 characters ending in a CRC32 checksum",
            "GitHub",
            High,
            &["gho_"],
            r"\b(?P<secret>gho_[A-Za-z0-9]{36})\b",
        )
    },
    BuiltinRule {
        check: Check::Base62Crc32,
        ..rule(
            "secrets/github-user-token",
            "GitHub App user-to-server token",
            "`ghu_` followed by 36 base62 characters ending in a CRC32 checksum",
            "GitHub",
            High,
            &["ghu_"],
            r"\b(?P<secret>ghu_[A-Za-z0-9]{36})\b",
        )
    },
    BuiltinRule {
        check: Check::Base62Crc32,
        ..rule(
            "secrets/github-app-token",
            "GitHub App server-to-server token",
            "`ghs_` followed by 36 base62 characters ending in a CRC32 checksum",
            "GitHub",
            High,
            &["ghs_"],
            r"\b(?P<secret>ghs_[A-Za-z0-9]{36})\b",
        )
    },
    BuiltinRule {
        check: Check::Base62Crc32,
        ..rule(
            "secrets/github-refresh-token",
            "GitHub refresh token",
            "`ghr_` followed by 36 base62 characters ending in a CRC32 checksum",
            "GitHub",
            High,
            &["ghr_"],
            r"\b(?P<secret>ghr_[A-Za-z0-9]{36})\b",
        )
    },
    BuiltinRule {
        min_entropy: 4.0,
        ..rule(
            "secrets/github-fine-grained-pat",
            "GitHub fine-grained personal access token",
            "`github_pat_`, 22 base62 characters, `_`, 59 base62 characters",
            "GitHub",
            High,
            &["github_pat_"],
            r"\b(?P<secret>github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59})\b",
        )
    },
    rule(
        "secrets/gitlab-pat",
        "GitLab personal access token",
        "`glpat-` followed by at least 20 characters of `[A-Za-z0-9_-]`",
        "GitLab",
        High,
        &["glpat-"],
        r"\b(?P<secret>glpat-[A-Za-z0-9_-]{20,200}(?:\.[A-Za-z0-9]{2}\.[A-Za-z0-9]{9})?)",
    ),
    rule(
        "secrets/gitlab-pipeline-trigger-token",
        "GitLab pipeline trigger token",
        "`glptt-` followed by 40 hex characters",
        "GitLab",
        High,
        &["glptt-"],
        r"\b(?P<secret>glptt-[0-9a-f]{40})\b",
    ),
    rule(
        "secrets/gitlab-runner-token",
        "GitLab runner authentication token",
        "`glrt-` followed by at least 20 characters of `[A-Za-z0-9_-]`",
        "GitLab",
        High,
        &["glrt-"],
        r"\b(?P<secret>glrt-[A-Za-z0-9_-]{20,200})",
    ),
    rule(
        "secrets/gitlab-deploy-token",
        "GitLab deploy token",
        "`gldt-` followed by at least 20 characters of `[A-Za-z0-9_-]`",
        "GitLab",
        High,
        &["gldt-"],
        r"\b(?P<secret>gldt-[A-Za-z0-9_-]{20,200})",
    ),
    rule(
        "secrets/atlassian-api-token",
        "Atlassian API token",
        "`ATATT3` followed by about 180 characters of `[A-Za-z0-9_=-]`",
        "Atlassian",
        High,
        &["ATATT3"],
        r"\b(?P<secret>ATATT3[A-Za-z0-9_=-]{150,250})",
    ),
    rule(
        "secrets/docker-hub-pat",
        "Docker Hub personal access token",
        "`dckr_pat_` followed by 27 characters of `[A-Za-z0-9_-]`",
        "Docker Hub",
        High,
        &["dckr_pat_"],
        r"\b(?P<secret>dckr_pat_[A-Za-z0-9_-]{27})(?:[^A-Za-z0-9_-]|$)",
    ),
    BuiltinRule {
        context_before: 16,
        ..rule(
            "secrets/terraform-cloud-token",
            "Terraform Cloud / Enterprise API token",
            "14 alphanumerics, `.atlasv1.`, then 60 to 70 characters of `[A-Za-z0-9_=-]`",
            "HashiCorp",
            High,
            &[".atlasv1."],
            r"\b(?P<secret>[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70})",
        )
    },
    rule(
        "secrets/vault-token",
        "HashiCorp Vault service or batch token",
        "`hvs.` or `hvb.` followed by 90 or more characters of `[A-Za-z0-9_-]`",
        "HashiCorp Vault",
        High,
        &["hvs.", "hvb."],
        r"\b(?P<secret>hv[sb]\.[A-Za-z0-9_-]{90,200})",
    ),
    rule(
        "secrets/pulumi-token",
        "Pulumi access token",
        "`pul-` followed by 40 hex characters",
        "Pulumi",
        High,
        &["pul-"],
        r"\b(?P<secret>pul-[a-f0-9]{40})\b",
    ),
    rule(
        "secrets/doppler-token",
        "Doppler token",
        "`dp.st.`, `dp.sa.`, `dp.ct.`, `dp.pt.`, `dp.scim.` or `dp.audit.` followed by 40 to 44 alphanumerics",
        "Doppler",
        High,
        &[
            "dp.st.",
            "dp.sa.",
            "dp.ct.",
            "dp.pt.",
            "dp.scim.",
            "dp.audit.",
        ],
        r"\b(?P<secret>dp\.(?:st|sa|ct|pt|scim|audit)\.(?:[a-z0-9_-]{2,35}\.)?[A-Za-z0-9]{40,44})\b",
    ),
    rule(
        "secrets/tailscale-key",
        "Tailscale auth or API key",
        "`tskey-<kind>-` followed by a key id, `-` and the key",
        "Tailscale",
        High,
        &["tskey-"],
        r"\b(?P<secret>tskey-(?:auth|api|client|scim|webhook)-[A-Za-z0-9]{6,}-[A-Za-z0-9]{16,})\b",
    ),
    rule(
        "secrets/databricks-token",
        "Databricks personal access token",
        "`dapi` followed by 32 hex characters",
        "Databricks",
        High,
        &["dapi"],
        r"\b(?P<secret>dapi[a-f0-9]{32}(?:-[0-9])?)\b",
    ),
    rule(
        "secrets/grafana-service-account-token",
        "Grafana service-account token",
        "`glsa_`, 32 alphanumerics, `_`, 8 hex characters",
        "Grafana",
        High,
        &["glsa_"],
        r"\b(?P<secret>glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8})\b",
    ),
    rule(
        "secrets/grafana-cloud-token",
        "Grafana Cloud access policy token",
        "`glc_` followed by base64 text",
        "Grafana",
        High,
        &["glc_"],
        r"\b(?P<secret>glc_[A-Za-z0-9+/]{32,400}={0,2})",
    ),
    rule(
        "secrets/new-relic-user-key",
        "New Relic user API key",
        "`NRAK-` followed by 27 upper-case alphanumerics",
        "New Relic",
        High,
        &["NRAK-"],
        r"\b(?P<secret>NRAK-[A-Z0-9]{27})\b",
    ),
    rule(
        "secrets/sentry-auth-token",
        "Sentry auth token",
        "`sntrys_` followed by an encoded payload, or `sntryu_` followed by 64 hex characters",
        "Sentry",
        High,
        &["sntrys_", "sntryu_"],
        r"\b(?P<secret>sntrys_eyJ[A-Za-z0-9+/=_-]{60,400}|sntryu_[a-f0-9]{64})",
    ),
    BuiltinRule {
        keywords_ignore_case: true,
        ..rule(
            "secrets/datadog-api-key",
            "Datadog API key",
            "32 hex characters assigned to a Datadog API key name",
            "Datadog",
            High,
            &["datadog", "dd_api", "dd-api", "ddapi"],
            r#"(?i:(?:datadog|\bdd)[\w.-]{0,24}?api[_-]?key)["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[a-f0-9]{32})\b"#,
        )
    },
    BuiltinRule {
        keywords_ignore_case: true,
        ..rule(
            "secrets/datadog-app-key",
            "Datadog application key",
            "40 hex characters assigned to a Datadog application key name",
            "Datadog",
            High,
            &["datadog", "dd_app", "dd-app", "ddapp"],
            r#"(?i:(?:datadog|\bdd)[\w.-]{0,24}?app(?:lication)?[_-]?key)["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[a-f0-9]{40})\b"#,
        )
    },
    // --- Package registries ---------------------------------------------
    BuiltinRule {
        check: Check::Base62Crc32,
        ..rule(
            "secrets/npm-token",
            "npm access token",
            "`npm_` followed by 36 base62 characters ending in a CRC32 checksum",
            "npm",
            High,
            &["npm_"],
            r"\b(?P<secret>npm_[A-Za-z0-9]{36})\b",
        )
    },
    BuiltinRule {
        yields: true,
        ..rule(
            "secrets/npmrc-auth-token",
            "npm registry credential in .npmrc",
            "an `_authToken=` or `_auth=` value",
            "npm",
            High,
            &["_authToken", "_auth="],
            r"(?:_authToken|_auth)\s*=\s*(?P<secret>[A-Za-z0-9+/=_.:-]{16,512})",
        )
    },
    BuiltinRule {
        check: Check::PypiMacaroon,
        ..rule(
            "secrets/pypi-token",
            "PyPI API token",
            "`pypi-` followed by a base64url macaroon for `pypi.org` or `test.pypi.org`",
            "PyPI",
            High,
            &["pypi-AgE"],
            r"\b(?P<secret>pypi-AgE[A-Za-z0-9_-]{50,})",
        )
    },
    rule(
        "secrets/rubygems-api-key",
        "RubyGems API key",
        "`rubygems_` followed by 48 hex characters",
        "RubyGems",
        High,
        &["rubygems_"],
        r"\b(?P<secret>rubygems_[0-9a-f]{48})\b",
    ),
    // --- AI platforms ---------------------------------------------------
    BuiltinRule {
        context_before: 192,
        ..rule(
            "secrets/openai-api-key",
            "OpenAI API key",
            "`sk-` (optionally `proj-`, `svcacct-` or `admin-`) with the `T3BlbkFJ` marker inside",
            "OpenAI",
            High,
            &["T3BlbkFJ"],
            r"\b(?P<secret>sk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,160}T3BlbkFJ[A-Za-z0-9_-]{20,160})(?:[^A-Za-z0-9_-]|$)",
        )
    },
    rule(
        "secrets/anthropic-api-key",
        "Anthropic API key",
        "`sk-ant-api03-` or `sk-ant-admin01-`, 93 characters, then `AA`",
        "Anthropic",
        High,
        &["sk-ant-"],
        r"\b(?P<secret>sk-ant-(?:api03|admin01)-[A-Za-z0-9_-]{93}AA)(?:[^A-Za-z0-9_-]|$)",
    ),
    BuiltinRule {
        min_entropy: 3.5,
        ..rule(
            "secrets/huggingface-token",
            "Hugging Face access token",
            "`hf_` followed by 34 letters",
            "Hugging Face",
            High,
            &["hf_"],
            r"\b(?P<secret>hf_[A-Za-z]{34})\b",
        )
    },
    rule(
        "secrets/replicate-api-token",
        "Replicate API token",
        "`r8_` followed by 37 alphanumerics",
        "Replicate",
        High,
        &["r8_"],
        r"\b(?P<secret>r8_[A-Za-z0-9]{37})\b",
    ),
    rule(
        "secrets/groq-api-key",
        "Groq API key",
        "`gsk_` followed by 52 alphanumerics",
        "Groq",
        High,
        &["gsk_"],
        r"\b(?P<secret>gsk_[A-Za-z0-9]{52})\b",
    ),
    rule(
        "secrets/perplexity-api-key",
        "Perplexity API key",
        "`pplx-` followed by 48 alphanumerics",
        "Perplexity",
        High,
        &["pplx-"],
        r"\b(?P<secret>pplx-[A-Za-z0-9]{48})\b",
    ),
    // --- Messaging and email --------------------------------------------
    rule(
        "secrets/slack-bot-token",
        "Slack bot token",
        "`xoxb-`, two numeric ids, then 24 or more alphanumerics",
        "Slack",
        High,
        &["xoxb-"],
        r"\b(?P<secret>xoxb-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24,34})\b",
    ),
    rule(
        "secrets/slack-user-token",
        "Slack user or configuration token",
        "`xoxp-` or `xoxe-`, three numeric ids, then 28 or more alphanumerics",
        "Slack",
        High,
        &["xoxp-", "xoxe-"],
        r"\b(?P<secret>xox[pe]-[0-9]{10,13}-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{28,34})\b",
    ),
    rule(
        "secrets/slack-app-token",
        "Slack app-level token",
        "`xapp-`, a digit, an app id, a number, then 64 hex characters",
        "Slack",
        High,
        &["xapp-"],
        r"\b(?P<secret>xapp-[0-9]-[A-Z0-9]{9,12}-[0-9]{10,13}-[a-f0-9]{64})\b",
    ),
    BuiltinRule {
        context_before: 16,
        ..rule(
            "secrets/slack-webhook-url",
            "Slack incoming webhook URL",
            "`https://hooks.slack.com/services/T…/B…/` followed by a 24-character secret",
            "Slack",
            High,
            &["hooks.slack.com"],
            r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<secret>T[A-Z0-9]{8,12}/[AB][A-Z0-9]{8,12}/[A-Za-z0-9]{23,25})\b",
        )
    },
    BuiltinRule {
        context_before: 48,
        ..rule(
            "secrets/discord-webhook-url",
            "Discord webhook URL",
            "`https://discord.com/api/webhooks/<id>/` followed by a 68-character token",
            "Discord",
            High,
            &["/api/webhooks/"],
            r"https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/(?P<secret>[A-Za-z0-9_-]{60,68})(?:[^A-Za-z0-9_-]|$)",
        )
    },
    BuiltinRule {
        context_before: 16,
        min_entropy: 3.5,
        ..rule(
            "secrets/telegram-bot-token",
            "Telegram bot token",
            "a numeric bot id, `:`, then 35 characters starting with `AA`",
            "Telegram",
            High,
            &[":AA"],
            r"(?:^|[^0-9A-Za-z_-])(?P<secret>[0-9]{8,10}:AA[0-9A-Za-z_-]{33})(?:[^0-9A-Za-z_-]|$)",
        )
    },
    rule(
        "secrets/sendgrid-api-key",
        "SendGrid API key",
        "`SG.`, 22 characters, `.`, 43 characters (base64url)",
        "SendGrid",
        High,
        &["SG."],
        r"\b(?P<secret>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
    ),
    BuiltinRule {
        keywords_ignore_case: true,
        ..rule(
            "secrets/twilio-api-key",
            "Twilio API key",
            "`SK` followed by 32 hex characters, near the word Twilio",
            "Twilio",
            High,
            &["twilio"],
            r"(?i:twilio)[\s\S]{0,120}?\b(?P<secret>SK[0-9a-f]{32})\b",
        )
    },
    BuiltinRule {
        keywords_ignore_case: true,
        ..rule(
            "secrets/twilio-auth-token",
            "Twilio auth token",
            "32 hex characters assigned to a Twilio auth-token name",
            "Twilio",
            High,
            &["twilio"],
            r#"(?i:twilio[\w.-]{0,20}auth[_-]?token)["']?\s*(?::=|=>|=|:)\s*["']?(?P<secret>[0-9a-f]{32})\b"#,
        )
    },
    BuiltinRule {
        context_before: 40,
        ..rule(
            "secrets/mailchimp-api-key",
            "Mailchimp API key",
            "32 hex characters, `-us`, then the data-centre number",
            "Mailchimp",
            High,
            &["-us"],
            r"\b(?P<secret>[0-9a-f]{32}-us[0-9]{1,2})\b",
        )
    },
    rule(
        "secrets/mailgun-api-key",
        "Mailgun API key",
        "`key-` followed by 32 hex characters",
        "Mailgun",
        High,
        &["key-"],
        r"\b(?P<secret>key-[0-9a-f]{32})\b",
    ),
    // --- Payments and commerce ------------------------------------------
    rule(
        "secrets/stripe-secret-key",
        "Stripe live secret key",
        "`sk_live_` followed by 24 or more alphanumerics",
        "Stripe",
        Critical,
        &["sk_live_"],
        r"\b(?P<secret>sk_live_[0-9A-Za-z]{24,99})\b",
    ),
    rule(
        "secrets/stripe-restricted-key",
        "Stripe live restricted key",
        "`rk_live_` followed by 24 or more alphanumerics",
        "Stripe",
        High,
        &["rk_live_"],
        r"\b(?P<secret>rk_live_[0-9A-Za-z]{24,99})\b",
    ),
    rule(
        "secrets/stripe-test-key",
        "Stripe test-mode secret key",
        "`sk_test_` or `rk_test_` followed by 24 or more alphanumerics",
        "Stripe",
        Low,
        &["sk_test_", "rk_test_"],
        r"\b(?P<secret>[sr]k_test_[0-9A-Za-z]{24,99})\b",
    ),
    rule(
        "secrets/square-access-token",
        "Square access token or OAuth secret",
        "`EAAA` followed by 60 characters, or `sq0atp-` / `sq0csp-` tokens",
        "Square",
        High,
        &["EAAA", "sq0atp-", "sq0csp-"],
        r"\b(?P<secret>EAAA[A-Za-z0-9_-]{60}|sq0atp-[A-Za-z0-9_-]{22}|sq0csp-[A-Za-z0-9_-]{43})(?:[^A-Za-z0-9_-]|$)",
    ),
    rule(
        "secrets/shopify-access-token",
        "Shopify access token",
        "`shpat_`, `shpca_` or `shppa_` followed by 32 hex characters",
        "Shopify",
        High,
        &["shpat_", "shpca_", "shppa_"],
        r"\b(?P<secret>shp(?:at|ca|pa)_[a-fA-F0-9]{32})\b",
    ),
    rule(
        "secrets/shopify-shared-secret",
        "Shopify app shared secret",
        "`shpss_` followed by 32 hex characters",
        "Shopify",
        High,
        &["shpss_"],
        r"\b(?P<secret>shpss_[a-fA-F0-9]{32})\b",
    ),
    // --- Productivity ---------------------------------------------------
    rule(
        "secrets/linear-api-key",
        "Linear API key",
        "`lin_api_` followed by 40 alphanumerics",
        "Linear",
        High,
        &["lin_api_"],
        r"\b(?P<secret>lin_api_[A-Za-z0-9]{40})\b",
    ),
    rule(
        "secrets/postman-api-key",
        "Postman API key",
        "`PMAK-`, 24 hex characters, `-`, 34 hex characters",
        "Postman",
        High,
        &["PMAK-"],
        r"\b(?P<secret>PMAK-[a-f0-9]{24}-[a-f0-9]{34})\b",
    ),
    rule(
        "secrets/supabase-token",
        "Supabase personal access token",
        "`sbp_` followed by 40 hex characters",
        "Supabase",
        High,
        &["sbp_"],
        r"\b(?P<secret>sbp_[a-f0-9]{40})\b",
    ),
    // --- Keys and tokens of any origin ----------------------------------
    BuiltinRule {
        matcher: Matcher::PrivateKeyBlock,
        ..rule(
            "secrets/private-key",
            "PEM private key",
            "a `-----BEGIN … PRIVATE KEY-----` block (PKCS#1, PKCS#8, SEC1, DSA, encrypted PKCS#8) whose body is base64 DER",
            "the key's",
            Critical,
            &[
                "-----BEGIN RSA PRIVATE KEY-----",
                "-----BEGIN EC PRIVATE KEY-----",
                "-----BEGIN DSA PRIVATE KEY-----",
                "-----BEGIN PRIVATE KEY-----",
                "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            ],
            "",
        )
    },
    BuiltinRule {
        matcher: Matcher::PrivateKeyBlock,
        ..rule(
            "secrets/openssh-private-key",
            "OpenSSH private key",
            "a `-----BEGIN OPENSSH PRIVATE KEY-----` block whose body decodes to `openssh-key-v1`",
            "the key's",
            Critical,
            &["-----BEGIN OPENSSH PRIVATE KEY-----"],
            "",
        )
    },
    BuiltinRule {
        matcher: Matcher::PrivateKeyBlock,
        ..rule(
            "secrets/pgp-private-key",
            "PGP private key block",
            "a `-----BEGIN PGP PRIVATE KEY BLOCK-----` armoured block",
            "the key's",
            Critical,
            &["-----BEGIN PGP PRIVATE KEY BLOCK-----"],
            "",
        )
    },
    BuiltinRule {
        check: Check::Bech32,
        ..rule(
            "secrets/age-secret-key",
            "age secret key",
            "`AGE-SECRET-KEY-1` followed by 58 Bech32 characters with a valid checksum",
            "the key's",
            Critical,
            &["AGE-SECRET-KEY-1"],
            r"\b(?P<secret>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})\b",
        )
    },
    BuiltinRule {
        check: Check::Jwt,
        ..rule(
            "secrets/jwt",
            "JSON Web Token",
            "three base64url parts whose header and payload decode to JSON objects",
            "the token's",
            Medium,
            &["eyJ"],
            r"\b(?P<secret>eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,})",
        )
    },
    BuiltinRule {
        keywords_ignore_case: true,
        min_entropy: 0.0,
        ..rule(
            "secrets/database-url-password",
            "Database URL with a password",
            "a `scheme://user:password@host` URL for a database or message broker",
            "the database's",
            High,
            DATABASE_SCHEMES,
            r#"(?i:postgres(?:ql)?|mysql|mariadb|mongodb(?:\+srv)?|rediss?|amqps?|mssql|sqlserver|clickhouse|cockroachdb)://[^\s:/@'"`]{1,64}:(?P<secret>[^\s@/'"`]{3,128})@[A-Za-z0-9._\[\]-]+"#,
        )
    },
    BuiltinRule {
        keywords_ignore_case: true,
        yields: true,
        generic: true,
        min_entropy: 3.0,
        ..rule(
            "secrets/generic-assignment",
            "Hard-coded secret",
            "a random-looking value assigned to a name like password, secret, token or api_key, in any assignment syntax the assignment grammar knows (quoted or not, calls, XML, headers, connection strings, .netrc, .npmrc, .pgpass, base64 Kubernetes Secret data)",
            "the service's",
            Medium,
            GENERIC_KEYWORDS,
            r#"(?i:(?:password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|auth[_-]?key|credential|private[_-]?key)[a-z0-9_.-]*)["'\]]?\s*(?::=|=>|=|:)\s*["'`](?P<secret>[^"'`\s\\]{8,})["'`]"#,
        )
    },
    BuiltinRule {
        yields: true,
        generic: true,
        min_entropy: 3.0,
        ..rule(
            "secrets/dotenv-assignment",
            "Hard-coded secret in an environment file",
            "an unquoted `NAME=value` line (dotenv, shell `export`, Dockerfile `ENV`/`ARG`) whose upper-case name contains PASSWORD, SECRET, TOKEN or API_KEY",
            "the service's",
            Medium,
            ENV_KEYWORDS,
            r"(?m)^[ \t]*(?:export[ \t]+)?[A-Z0-9_]*(?:PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|ACCESS_?KEY|AUTH_?KEY|CREDENTIAL|PRIVATE_?KEY)[A-Z0-9_]*=(?P<secret>[^\s\x22'`$#\[\](){}<>;,]{8,})[ \t]*\r?$",
        )
    },
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn catalogue_has_forty_or_more_unique_ids() {
        let ids: HashSet<_> = BUILTIN_RULES.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), BUILTIN_RULES.len(), "duplicate rule id");
        assert!(
            BUILTIN_RULES.len() >= 40,
            "only {} rules",
            BUILTIN_RULES.len()
        );
        for rule in BUILTIN_RULES {
            assert!(rule.id.starts_with("secrets/"), "{}", rule.id);
            assert!(!rule.keywords.is_empty(), "{} has no keyword", rule.id);
            assert!(rule.keywords.iter().all(|k| k.len() >= 2), "{}", rule.id);
        }
    }
}
