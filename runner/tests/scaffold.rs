//! `cordon plugin new` makes a crate that passes its own tests, builds to a
//! component, and runs under the real runner once pinned.

mod common;

use std::process::Command;

use common::*;

fn cargo(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO"))
        .current_dir(dir)
        .args(args)
        // A target dir shared between test runs, so the SDK builds once.
        .env(
            "CARGO_TARGET_DIR",
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold-target"),
        )
        .env_remove("RUSTFLAGS")
        .output()
        .expect("cargo runs")
}

#[test]
fn a_scaffolded_plugin_tests_builds_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let sdk = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdk");
    let created = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .current_dir(dir.path())
        .args(["plugin", "new", "todo-finder", "--sdk-path", sdk])
        .output()
        .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let printed = String::from_utf8_lossy(&created.stdout);
    assert!(
        printed.contains("cargo build --release --target wasm32-wasip2")
            && printed.contains("cordon plugin pin target/wasm32-wasip2/release/todo_finder.wasm"),
        "{printed}"
    );
    let plugin = dir.path().join("todo-finder");
    let lib = std::fs::read_to_string(plugin.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains("\"todo-finder/todo\"") && lib.contains("struct TodoFinder;"),
        "{lib}"
    );

    let test = cargo(&plugin, &["test", "--quiet"]);
    assert!(
        test.status.success(),
        "{}{}",
        String::from_utf8_lossy(&test.stdout),
        String::from_utf8_lossy(&test.stderr)
    );

    let build = cargo(
        &plugin,
        &["build", "--release", "--target", "wasm32-wasip2", "--quiet"],
    );
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    let wasm = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scaffold-target/wasm32-wasip2/release/todo_finder.wasm");
    let pipeline = std::fs::read_to_string(plugin.join("cordon.toml"))
        .unwrap()
        .replace(
            "target/wasm32-wasip2/release/todo_finder.wasm",
            &wasm.display().to_string(),
        )
        .replace(&"0".repeat(64), &sha256_file(&wasm));
    std::fs::write(plugin.join("cordon.toml"), pipeline).unwrap();
    write_files(&plugin, &[("src/extra.rs", "// TODO: one\n")]);
    let run = cordon(&plugin, &["run", ".", "--pipeline", "cordon.toml"]);
    assert_eq!(
        run.state("todo-finder"),
        "completed",
        "{}",
        run.stage("todo-finder")
    );
    assert_eq!(
        run.report.as_ref().unwrap()["artifacts"][0]["name"],
        "todo-finder-report"
    );
    let paths: Vec<&str> = run.stage("todo-finder")["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["location"]["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"src/extra.rs"), "{paths:?}");
    // The template's pipeline grants what the template asks for: no call
    // of its first run is refused.
    assert_eq!(
        run.stage("todo-finder")["denied"],
        serde_json::json!([]),
        "{}",
        run.stage("todo-finder")
    );
}
