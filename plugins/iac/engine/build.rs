//! Turns the policy files (`policies/*.toml`) into one JSON document without
//! their examples, which `builtin_policies` embeds. Parsing the TOML, the
//! examples and all, was most of the `iac` stage's start-up, paid in
//! `describe()` and again in every run; the JSON reads in a tenth of the
//! time. The tests still read the TOML (examples included) and check that
//! both give the same policies.
//!
//! It also writes `policy_files.rs`, the list behind `POLICY_FILES`: every
//! `*.toml` in `policies/`, by name, so a new policy file needs no edit
//! anywhere else.

use std::path::PathBuf;

fn main() {
    let dir =
        PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets it")).join("policies");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.expect("policies/ lists").file_name())
        .filter_map(|name| name.into_string().ok())
        .filter(|name| name.ends_with(".toml"))
        .collect();
    names.sort();
    let mut files = Vec::new();
    let mut list = String::from("&[\n");
    for name in &names {
        let path = dir.join(name);
        list.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
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
    list.push(']');
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets it"));
    let json = serde_json::to_string(&files).expect("policies serialise");
    for (name, text) in [("policies.json", json), ("policy_files.rs", list)] {
        let out = out_dir.join(name);
        std::fs::write(&out, text).unwrap_or_else(|error| panic!("{}: {error}", out.display()));
    }
}
