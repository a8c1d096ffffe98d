//! The README's two commands share one build of wasmtime: `cargo run
//! --release` (the workspace's normal dependencies) and `cargo test
//! --workspace --release` (the same plus dev-dependencies) must resolve the
//! same features for wasmtime and everything it depends on, or each
//! alternation rebuilds it (minutes on two cores). A dev-dependency that
//! turns on a feature of a shared crate breaks this; runner/Cargo.toml's
//! "workspace hack" section is where to ask for the feature instead.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// `package version` -> its feature sets (a package built both for build
/// scripts and for the target may have two), for every package listed.
fn features(edges: &str) -> BTreeMap<String, BTreeSet<String>> {
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let output = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .args([
            "tree",
            "--quiet",
            "--workspace",
            "--edges",
            edges,
            "--prefix",
            "none",
            "--format",
            "{p}|{f}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut features: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some((package, set)) = line.trim_end_matches(" (*)").split_once('|') else {
            continue;
        };
        // `name vX.Y.Z` without the path of a workspace member.
        let package: Vec<&str> = package.split(' ').take(2).collect();
        features
            .entry(package.join(" "))
            .or_default()
            .insert(set.to_string());
    }
    features
}

/// wasmtime and every package it depends on.
fn wasmtime_closure() -> Vec<String> {
    let workspace = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let output = Command::new(env!("CARGO"))
        .current_dir(workspace)
        .args([
            "tree",
            "--quiet",
            "--package",
            "wasmtime",
            "--edges",
            "normal,build",
            "--prefix",
            "none",
            "--format",
            "{p}",
        ])
        .output()
        .expect("cargo tree runs");
    assert!(output.status.success());
    let mut closure: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            line.trim_end_matches(" (*)")
                .split(' ')
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
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
