//! Turns the policy files (`policies/*.toml`) into one JSON document without
//! their examples, which `builtin_policies` embeds. Parsing the TOML, the
//! examples and all, was most of the `iac` stage's start-up, paid in
//! `describe()` and again in every run; the JSON reads in a tenth of the
//! time. The tests still read the TOML (examples included) and check that
//! both give the same policies.

use std::path::PathBuf;

/// In the order of `POLICY_FILES` in `src/policy.rs`.
const FILES: [&str; 5] = [
    "terraform.toml",
    "cloudformation.toml",
    "kubernetes.toml",
    "dockerfile.toml",
    "github-actions.toml",
];

fn main() {
    let dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("policies");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files = Vec::new();
    for name in FILES {
        let path = dir.join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        let mut content: toml::Table =
            toml::from_str(&text).unwrap_or_else(|error| panic!("policies/{name}: {error}"));
        if let Some(toml::Value::Array(policies)) = content.get_mut("policy") {
            for policy in policies.iter_mut().filter_map(toml::Value::as_table_mut) {
                policy.remove("examples");
            }
        }
        files.push(serde_json::json!({ "file": name, "content": content }));
    }
    let out = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it")).join("policies.json");
    let json = serde_json::to_string(&files).expect("policies serialise");
    std::fs::write(&out, json).unwrap_or_else(|error| panic!("{}: {error}", out.display()));
}
