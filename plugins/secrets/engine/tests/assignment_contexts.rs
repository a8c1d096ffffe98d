//! The assignment grammar, one case per syntax: a true positive (a random
//! value in that context must be reported, with exactly that value) and a
//! near miss (a placeholder or reference in the same context must not be).
//! The test prints the recall table so a change's effect can be measured.

mod common;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::fake_tokens::{Rng, cat};
use cordon_secrets::{FileScan, Scanner, ScannerConfig};
use sha2::{Digest, Sha256};

/// Letters, digits and the punctuation passwords commonly hold; no
/// character that ends an unquoted value (`;`, `&`, `,`, quotes, brackets).
const VALUE_CHARS: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789!@%^*-_+";

struct Case {
    context: &'static str,
    path: &'static str,
    /// The text with the secret in it.
    positive: String,
    /// The secret the positive must be reported with (after decoding).
    secret: String,
    /// The same context with a placeholder or reference: not a finding.
    negative: String,
}

fn case(context: &'static str, template: &str, secret: &str, negative: &str) -> Case {
    Case {
        context,
        path: "src/settings.conf",
        positive: template.replace("{v}", secret),
        secret: secret.to_string(),
        negative: template.replace("{v}", negative),
    }
}

fn cases() -> Vec<Case> {
    let mut rng = Rng::new(1207);
    // A leading `%` or `$` reads as a template reference (`%DB_PWD%`), so
    // values start with a letter or digit.
    let mut value = || rng.string(&VALUE_CHARS[..57], 1) + &rng.string(VALUE_CHARS, 19);
    let b64 = |text: &str| STANDARD.encode(text);
    let mut all = vec![
        case(
            "quoted after =",
            "db_password = \"{v}\"\n",
            &value(),
            "${DB_PASSWORD}",
        ),
        case(
            "quoted after :=",
            "apiToken := \"{v}\"\n",
            &value(),
            "<your-api-token>",
        ),
        case(
            "quoted after : (JSON)",
            "{\"client_secret\": \"{v}\"}\n",
            &value(),
            "<your-client-secret>",
        ),
        case(
            "quoted after =>",
            "return ['api_key' => '{v}'];\n",
            &value(),
            "changeme",
        ),
        case(
            "INI unquoted",
            "[database]\npassword = {v}\nport = 5432\n",
            &value(),
            "changeme",
        ),
        case(
            ".properties unquoted",
            "db.password={v}\n",
            &value(),
            "${DB_PASSWORD}",
        ),
        case(
            "YAML unquoted",
            "service:\n  api_token: {v}\n",
            &value(),
            "${API_TOKEN}",
        ),
        case(
            "Go var with type",
            "var apiSecret string = \"{v}\"\n",
            &value(),
            "<api-secret>",
        ),
        case("PHP .=", "$secret .= '{v}';\n", &value(), "%SECRET%"),
        case(
            "Make ?=",
            "API_TOKEN ?= {v}\n",
            &value(),
            "$(shell cat token.txt)",
        ),
        case(
            "Make ::=",
            "SECRET_KEY ::= {v}\n",
            &value(),
            "${SECRET_KEY}",
        ),
        case(
            "Make :::=",
            "AUTH_TOKEN :::= {v}\n",
            &value(),
            "$(AUTH_TOKEN_FROM_ENV)",
        ),
        case(
            "setProperty call",
            "props.setProperty(\"mail.smtp.password\", \"{v}\");\n",
            &value(),
            "${smtp.password}",
        ),
        case(
            "XML value on the next line",
            "<server>\n  <password>\n    {v}\n  </password>\n</server>\n",
            &value(),
            "${env.DEPLOY_PASSWORD}",
        ),
        case(
            "KEY=value inside a JSON string",
            "{\"env\": \"MODE=prod\\nSERVICE_TOKEN={v}\\nDEBUG=0\"}\n",
            &value(),
            "${SERVICE_TOKEN}",
        ),
        case(
            "heredoc",
            "cat > app.ini <<EOF\n[auth]\nclient_secret = {v}\nEOF\n",
            &value(),
            "$CLIENT_SECRET",
        ),
        case(
            "export",
            "export DEPLOY_TOKEN={v}\n",
            &value(),
            "$(vault read -field=token x)",
        ),
        case(
            "Dockerfile ENV",
            "FROM alpine\nENV REGISTRY_PASSWORD={v}\n",
            &value(),
            "${REGISTRY_PASSWORD}",
        ),
        case(
            "Dockerfile ENV (space form)",
            "FROM alpine\nENV REGISTRY_PASSWORD {v}\n",
            &value(),
            "${REGISTRY_PASSWORD}",
        ),
        case(
            "Dockerfile ARG",
            "FROM alpine\nARG NPM_TOKEN={v}\n",
            &value(),
            "$NPM_TOKEN",
        ),
        case(
            ".npmrc _authToken",
            "registry=https://npm.example.com/\n//npm.example.com/:_authToken={v}\n",
            &value(),
            "${NPM_TOKEN}",
        ),
        case(
            ".netrc",
            "machine api.example.com login deploy password {v}\n",
            &value(),
            "<password>",
        ),
        case(
            ".netrc (one token per line)",
            "machine api.example.com\n  login deploy\n  password {v}\n",
            &value(),
            "changeme",
        ),
        case(
            "connection string Password=",
            "\"Server=db;Database=app;User Id=sa;Password={v};\"\n",
            &value(),
            "{0}",
        ),
        case(
            "connection string pwd=",
            "Driver={ODBC Driver 18};Server=db;Uid=app;Pwd={v};\n",
            &value(),
            "%DB_PWD%",
        ),
        case(
            "Authorization: Bearer",
            "curl -H \"Authorization: Bearer {v}\" https://api.example.com/v1\n",
            &value(),
            "$TOKEN",
        ),
        case(
            "Authorization: token",
            "headers = {\"Authorization\": \"token {v}\"}\n",
            &value(),
            "{token}",
        ),
        case(
            "code: keyword argument",
            "client = Client(api_key=\"{v}\")\n",
            &value(),
            "<your-api-key>",
        ),
        case(
            "code: JS object",
            "const config = { secret: '{v}' };\n",
            &value(),
            "REPLACE_WITH_YOUR_SECRET",
        ),
        case(
            "code: Kotlin typed val",
            "val apiKey: String = \"{v}\"\n",
            &value(),
            "your_api_key_here",
        ),
        case(
            "code: .NET appSettings",
            "<add key=\"ApiSecret\" value=\"{v}\" />\n",
            &value(),
            "$(ApiSecret)",
        ),
        case(
            "code: map put",
            "params.put(\"access_token\", \"{v}\");\n",
            &value(),
            "<access-token>",
        ),
    ];

    // Reference forms that are code, not values: not findings.
    let unquoted_code = value();
    all.push(Case {
        context: "code: environment lookup",
        path: "app/settings.py",
        positive: format!("API_KEY = \"{unquoted_code}\"\n"),
        secret: unquoted_code,
        negative: "API_KEY = os.environ[\"API_KEY\"]\nPASSWORD = settings.DB_PASSWORD\n"
            .to_string(),
    });

    // Contexts whose secret is encoded in the file.
    let k8s = value();
    all.push(Case {
        context: "Kubernetes Secret data (base64)",
        path: "deploy/secret.yaml",
        positive: format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: {}\n",
            b64(&k8s)
        ),
        secret: k8s,
        negative: format!(
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  password: {}\n",
            b64("changeme")
        ),
    });
    let basic = b64(&format!("deploy:{}", value()));
    all.push(Case {
        context: "Authorization: Basic",
        path: "scripts/call.sh",
        positive: format!("curl -H 'Authorization: Basic {basic}' https://api.example.com\n"),
        secret: basic,
        negative: "curl -H 'Authorization: Basic <credentials>' https://api.example.com\n"
            .to_string(),
    });
    let npm_auth = b64(&format!("deploy:{}", value()));
    all.push(Case {
        context: ".npmrc _auth",
        path: ".npmrc",
        positive: format!("//npm.example.com/:_auth={npm_auth}\n"),
        secret: npm_auth,
        negative: "//npm.example.com/:_auth=${NPM_AUTH}\n".to_string(),
    });
    // npm keeps `_password` base64-encoded; the password is the secret.
    let npm_password = value();
    all.push(Case {
        context: ".npmrc _password",
        path: ".npmrc",
        positive: format!(
            "//npm.example.com/:username=deploy\n//npm.example.com/:_password={}\n",
            b64(&npm_password)
        ),
        secret: npm_password,
        negative: "//npm.example.com/:_password=${NPM_PASSWORD}\n".to_string(),
    });
    let pgpass = value();
    all.push(Case {
        context: ".pgpass",
        path: "home/.pgpass",
        positive: format!("db.internal:5432:app:app_user:{pgpass}\n"),
        secret: pgpass,
        negative: "db.internal:5432:app:app_user:changeme\n".to_string(),
    });
    // A Kubernetes container `env` entry: the name and the value are
    // sibling fields on consecutive lines.
    let env_entry = value();
    all.push(case(
        "Kubernetes env entry (name and value fields)",
        "env:\n  - name: DEPLOY_TOKEN\n    value: \"{v}\"\n",
        &env_entry,
        "${DEPLOY_TOKEN}",
    ));
    // Its own generator, so the cases above keep the values they were
    // written against.
    let mut scheme_rng = Rng::new(1208);
    let scheme_value =
        scheme_rng.string(&VALUE_CHARS[..57], 1) + &scheme_rng.string(VALUE_CHARS, 19);
    all.push(case(
        "code: accessor returning a literal",
        "func serviceToken() string { return \"{v}\" }\n",
        &(scheme_rng.string(&VALUE_CHARS[..57], 1) + &scheme_rng.string(VALUE_CHARS, 19)),
        "${SERVICE_TOKEN}",
    ));
    all.push(case(
        "Markdown table row",
        "| Variable | Value |\n|---|---|\n| SERVICE_API_KEY | {v} |\n",
        &(scheme_rng.string(&VALUE_CHARS[..57], 1) + &scheme_rng.string(VALUE_CHARS, 19)),
        "<your-api-key>",
    ));
    all.push(case(
        "quoted after :, behind a Bearer scheme",
        "auth_token: \"Bearer {v}\"\n",
        &scheme_value,
        "${AUTH_TOKEN}",
    ));
    all
}

/// The fingerprint a finding of `rule` with exactly `secret` would carry.
fn fingerprint(rule: &str, path: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(rule.as_bytes());
    hasher.update([0]);
    hasher.update(path.as_bytes());
    hasher.update([0]);
    hasher.update(Sha256::digest(secret.as_bytes()));
    hex::encode(hasher.finalize())
}

/// Some rule reports exactly `secret`: the generic rules, or a rule for the
/// value's own shape that took it over (an `Authorization: Basic` header).
fn reports_exactly(scan: &FileScan, path: &str, secret: &str) -> bool {
    scan.findings
        .iter()
        .any(|f| fingerprint(&f.rule_id, path, secret) == f.fingerprint)
}

#[test]
fn every_assignment_context_is_found_and_its_near_miss_is_not() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let all = cases();
    let mut missed = Vec::new();
    let mut false_positives = Vec::new();
    for case in &all {
        let found = scanner.scan_file(case.path, case.positive.as_bytes());
        if !reports_exactly(&found, case.path, &case.secret) {
            missed.push(format!("{}: {:#?}", case.context, found.findings));
        }
        let json = serde_json::to_string(&found).unwrap();
        assert!(
            !json.contains(&case.secret),
            "{}: leaked {json}",
            case.context
        );
        let near_miss = scanner.scan_file(case.path, case.negative.as_bytes());
        if !near_miss.findings.is_empty() {
            false_positives.push(format!("{}: {:#?}", case.context, near_miss.findings));
        }
    }
    let found = all.len() - missed.len();
    println!(
        "assignment contexts: {found}/{} found ({:.0}%), {} false positives",
        all.len(),
        100.0 * found as f64 / all.len() as f64,
        false_positives.len()
    );
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
    assert!(
        false_positives.is_empty(),
        "false positives:\n{}",
        false_positives.join("\n")
    );
}

/// Prose and code around the keywords that must stay quiet.
#[test]
fn prose_and_code_near_keywords_are_not_findings() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let quiet = [
        "The password is required when the token expires.\n",
        "if password == confirm_password: return True\n",
        "password = getpass.getpass(prompt='Password: ')\n",
        "token = response.json()[\"access_token\"]\n",
        "max_tokens = 4096\n",
        "password_min_length: 12\n",
        "TOKEN_URL=https://auth.example.com/oauth/token\n",
        "secret_name: database-credentials-prod\n",
        "  tokenizer: WordPieceTokenizer\n",
        "const token = await getToken(user);\n",
        "password: !vault |\n",
        &cat(&["api_key: ", "${{ secrets.API_KEY }}", "\n"]),
        "Authorization: Bearer ${ACCESS_TOKEN}\n",
        "machine example.com login anonymous password guest\n",
    ];
    for text in quiet {
        let found = scanner.scan_file("src/notes.txt", text.as_bytes());
        assert!(found.findings.is_empty(), "{text:?}: {:#?}", found.findings);
    }
}

/// Keyword-anchored provider rules (`NAME = VALUE` regexes) find their
/// pair in every syntax of the grammar, and still demand their value shape.
#[test]
fn keyword_anchored_rules_follow_the_grammar() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let mut rng = Rng::new(88);
    let aws = rng.string(common::fake_tokens::B64, 40);
    let datadog = rng.string(common::fake_tokens::HEX, 32);
    let cases = [
        (
            "secrets/aws-secret-access-key",
            aws.as_str(),
            "props.setProperty(\"aws.secretAccessKey\", \"{v}\");\n",
        ),
        (
            "secrets/aws-secret-access-key",
            aws.as_str(),
            "<SecretAccessKey>\n  {v}\n</SecretAccessKey>\n",
        ),
        (
            "secrets/aws-secret-access-key",
            aws.as_str(),
            "FROM alpine\nENV AWS_SECRET_ACCESS_KEY {v}\n",
        ),
        (
            "secrets/datadog-api-key",
            datadog.as_str(),
            "<add key=\"DatadogApiKey\" value=\"{v}\" />\n",
        ),
        (
            "secrets/datadog-api-key",
            datadog.as_str(),
            "var datadogApiKey string = \"{v}\"\n",
        ),
    ];
    for (rule, value, template) in cases {
        let text = template.replace("{v}", value);
        let found = scanner.scan_file("conf/app.xml", text.as_bytes());
        let expected = fingerprint(rule, "conf/app.xml", value);
        assert!(
            found.findings.iter().any(|f| f.fingerprint == expected),
            "{text}: {:#?}",
            found.findings
        );
        // One character short is not the provider's shape.
        let short = template.replace("{v}", &value[1..]);
        let found = scanner.scan_file("conf/app.xml", short.as_bytes());
        assert!(
            found.findings.iter().all(|f| f.rule_id != rule),
            "{short}: {:#?}",
            found.findings
        );
    }
}

/// Generic secrets in source code, one line per language idiom: each must
/// be found with exactly its value, and the same line holding a
/// placeholder must not be.
#[test]
fn generic_secrets_in_code() {
    let scanner = Scanner::new(ScannerConfig::default()).unwrap();
    let templates = [
        (
            "python keyword argument",
            "app.py",
            "conn = connect(host=\"db\", password=\"{v}\")\n",
        ),
        (
            "python dict",
            "app.py",
            "CONFIG = {\"db_password\": \"{v}\", \"port\": 5432}\n",
        ),
        (
            "python setdefault",
            "app.py",
            "os.environ.setdefault(\"API_TOKEN\", \"{v}\")\n",
        ),
        ("javascript const", "app.js", "const apiKey = \"{v}\";\n"),
        (
            "javascript header",
            "app.js",
            "fetch(url, { headers: { \"X-Api-Key\": \"{v}\" } });\n",
        ),
        (
            "typescript typed field",
            "app.ts",
            "private readonly clientSecret: string = '{v}';\n",
        ),
        (
            "java constant",
            "App.java",
            "private static final String DB_PASSWORD = \"{v}\";\n",
        ),
        (
            "java map put",
            "App.java",
            "props.put(\"password\", \"{v}\");\n",
        ),
        (
            "c# connection string",
            "App.cs",
            "var cs = \"Server=db;User Id=sa;Password={v};\";\n",
        ),
        ("go const", "main.go", "const apiToken = \"{v}\"\n"),
        (
            "go struct literal",
            "main.go",
            "cfg := Config{User: \"app\", Password: \"{v}\"}\n",
        ),
        ("rust let", "main.rs", "let api_key = \"{v}\";\n"),
        (
            "rust typed const",
            "main.rs",
            "const SECRET_KEY: &str = \"{v}\";\n",
        ),
        (
            "ruby attribute",
            "app.rb",
            "config.secret_key_base = \"{v}\"\n",
        ),
        ("php define", "app.php", "define('DB_PASSWORD', '{v}');\n"),
        ("php array", "app.php", "$config['api_key'] = '{v}';\n"),
        (
            "shell inline env",
            "run.sh",
            "DEPLOY_TOKEN=\"{v}\" ./deploy.sh\n",
        ),
        ("swift let", "App.swift", "let apiKey = \"{v}\"\n"),
        (
            "c pointer",
            "main.c",
            "static const char *password = \"{v}\";\n",
        ),
        ("sql", "init.sql", "ALTER USER app WITH PASSWORD '{v}';\n"),
    ];
    let mut rng = Rng::new(2020);
    let mut missed = Vec::new();
    let mut false_positives = Vec::new();
    for (context, path, template) in templates {
        let value = rng.string(&VALUE_CHARS[..57], 1) + &rng.string(VALUE_CHARS, 19);
        let found = scanner.scan_file(path, template.replace("{v}", &value).as_bytes());
        if !reports_exactly(&found, path, &value) {
            missed.push(format!("{context}: {:#?}", found.findings));
        }
        let placeholder = template.replace("{v}", "your-secret-here");
        if !scanner
            .scan_file(path, placeholder.as_bytes())
            .findings
            .is_empty()
        {
            false_positives.push(context);
        }
    }
    let found = templates.len() - missed.len();
    println!(
        "generic secrets in code: {found}/{} found, {} false positives",
        templates.len(),
        false_positives.len()
    );
    assert!(missed.is_empty(), "missed:\n{}", missed.join("\n"));
    assert!(false_positives.is_empty(), "{false_positives:?}");
}
