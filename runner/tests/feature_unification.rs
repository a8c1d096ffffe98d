//! The README's two commands share one build of wasmtime: `cargo run
//! --release` (the workspace's normal dependencies) and `cargo test
//! --workspace --release` (the same plus dev-dependencies) must resolve the
//! same features for wasmtime and everything it depends on, or each
//! alternation rebuilds it (minutes on two cores). A dev-dependency that
//! turns on a feature of a shared crate breaks this; runner/Cargo.toml's
//! "workspace hack" section is where to ask for the feature instead.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// The lines `cargo tree ARGS --quiet --prefix none` prints for this workspace.
fn cargo_tree(args: &[&str]) -> Vec<String> {
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let output = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .arg("tree")
        .args(args)
        .args(["--quiet", "--prefix", "none"])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| line.trim_end_matches(" (*)").to_string())
        .collect()
}

/// `name vX.Y.Z` of a `cargo tree` package, without a member's path.
fn package_id(package: &str) -> String {
    package.split(' ').take(2).collect::<Vec<_>>().join(" ")
}

/// `package version` -> its feature sets (a package built both for build
/// scripts and for the target may have two), for every package listed.
fn features(edges: &str) -> BTreeMap<String, BTreeSet<String>> {
    let mut features: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in cargo_tree(&["--workspace", "--edges", edges, "--format", "{p}|{f}"]) {
        if let Some((package, set)) = line.split_once('|') {
            features
                .entry(package_id(package))
                .or_default()
                .insert(set.to_string());
        }
    }
    features
}

/// wasmtime and every package it depends on.
fn wasmtime_closure() -> Vec<String> {
    let mut closure: Vec<String> = cargo_tree(&[
        "--package",
        "wasmtime",
        "--edges",
        "normal,build",
        "--format",
        "{p}",
    ])
    .iter()
    .map(|line| package_id(line))
    .collect();
    closure.sort();
    closure.dedup();
    closure
}

#[test]
fn cargo_run_and_cargo_test_resolve_the_same_features_for_wasmtime() {
    let run = features("normal,build");
    let test = features("normal,build,dev");
    let closure = wasmtime_closure();
    assert!(closure.len() > 20, "{closure:?}");
    let differing: Vec<String> = closure
        .iter()
        .filter(|package| run.get(*package) != test.get(*package))
        .map(|package| {
            format!(
                "{package}: run {:?} / test {:?}",
                run.get(package),
                test.get(package)
            )
        })
        .collect();
    assert!(
        differing.is_empty(),
        "these would rebuild wasmtime when the README's commands alternate:\n{}",
        differing.join("\n")
    );
}
