//! Builds every guest crate of the workspace for `wasm32-wasip2` and embeds the
//! built-in stages (`plugins/*/stage`) in the `cordon` binary.
//!
//! The guests are built by a nested `cargo build` with its own target
//! directory: the outer build holds the lock on the main one, and the guests
//! need a different target anyway. The example and test plugins are built in
//! the same invocation (they are small) so the test suite can load them
//! without building anything itself; their directory is exported as
//! `CORDON_GUEST_WASM_DIR`.
//!
//! Each built-in stage is also precompiled to native code for the build
//! host and embedded beside its component.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

const GUEST_TARGET: &str = "wasm32-wasip2";

/// Directories whose `*/Cargo.toml` are guest crates.
const GUEST_GLOBS: &[(&str, bool)] = &[
    // (directory pattern, is a built-in stage to embed)
    ("plugins/*/stage", true),
    ("examples/*", false),
    ("tests/plugins/*", false),
];

fn main() {
    let manifest_dir = PathBuf::from(env("CARGO_MANIFEST_DIR"));
    let root = manifest_dir
        .parent()
        .expect("runner/ has a parent")
        .to_path_buf();
    let out_dir = PathBuf::from(env("OUT_DIR"));

    for watched in [
        "wit",
        "sdk",
        "plugins",
        "crates",
        "examples",
        "tests/plugins",
        "tests/plugin-support",
        "Cargo.lock",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(watched).display());
    }

    let guests = find_guests(&root);
    // OUT_DIR is <target>/<profile>/build/<pkg>/out (or <target>/<triple>/...);
    // put the guests beside the profile directories.
    let target_dir = out_dir
        .ancestors()
        .nth(4)
        .expect("OUT_DIR has the usual depth")
        .join("wasm-guests");
    if !guests.is_empty() {
        ensure_guest_target();
        build_guests(&root, &target_dir, &guests);
    }
    let wasm_dir = target_dir.join(GUEST_TARGET).join("release");
    println!(
        "cargo:rustc-env=CORDON_GUEST_WASM_DIR={}",
        wasm_dir.display()
    );

    let mut source = String::from("pub static BUILTINS: &[Builtin] = &[\n");
    for guest in guests.iter().filter(|g| g.builtin) {
        let wasm = wasm_dir.join(format!("{}.wasm", guest.package.replace('-', "_")));
        let bytes = std::fs::read(&wasm).unwrap_or_else(|e| {
            panic!(
                "built-in stage {} was not built ({}): {e}",
                guest.package,
                wasm.display()
            )
        });
        let digest = hex::encode(Sha256::digest(&bytes));
        // Embed a private copy of exactly the bytes digested: another build
        // sharing the guest target dir may rewrite the original meanwhile.
        let embedded = out_dir.join(format!("{}.wasm", guest.stage_name));
        std::fs::write(&embedded, &bytes).expect("copy the component into OUT_DIR");
        let precompiled = match precompile(&bytes, &guest.package) {
            Some(code) => {
                let native = out_dir.join(format!("{}.cwasm", guest.stage_name));
                std::fs::write(&native, code).expect("write the precompiled component");
                // Page-aligned, so wasmtime can run the code where it lies
                // in the binary instead of copying it (see `sandbox`).
                format!(
                    "Some(&PageAligned(*include_bytes!({:?})).0)",
                    native.display().to_string()
                )
            }
            None => "None".to_string(),
        };
        let _ = writeln!(
            source,
            "    Builtin {{ name: {:?}, sha256: {:?}, wasm: include_bytes!({:?}), precompiled: {precompiled} }},",
            guest.stage_name,
            digest,
            embedded.display().to_string(),
        );
    }
    source.push_str("];\n");
    std::fs::write(out_dir.join("builtins.rs"), source).expect("write builtins.rs");
}

/// The built-in stage compiled to native code, once per build, with the
/// runner's own engine settings, so no run pays for Cranelift (a cold default
/// pipeline spent seconds compiling). The code is for the build host: a
/// binary built for another target, or run on a CPU without the build host's
/// features, recompiles at run time instead.
#[cfg(feature = "precompiled-builtins")]
fn precompile(component: &[u8], package: &str) -> Option<Vec<u8>> {
    use std::sync::OnceLock;
    static ENGINE: OnceLock<wasmtime::Engine> = OnceLock::new();
    let engine = ENGINE.get_or_init(|| {
        wasmtime::Engine::new(&cordon_engine_config::config())
            .expect("create the wasmtime engine to precompile the built-in stages")
    });
    let code = engine
        .precompile_component(component)
        .unwrap_or_else(|e| panic!("precompile built-in stage {package}: {e:#}"));
    Some(code)
}

#[cfg(not(feature = "precompiled-builtins"))]
fn precompile(_component: &[u8], _package: &str) -> Option<Vec<u8>> {
    None
}

struct Guest {
    package: String,
    /// For built-ins: the directory name under `plugins/`, which is the stage name.
    stage_name: String,
    builtin: bool,
}

fn find_guests(root: &Path) -> Vec<Guest> {
    let mut guests = Vec::new();
    for (pattern, builtin) in GUEST_GLOBS {
        let (parent, rest) = pattern.split_once("/*").expect("pattern has /*");
        let Ok(entries) = std::fs::read_dir(root.join(parent)) else {
            continue;
        };
        let mut dirs: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
        dirs.sort();
        for dir in dirs {
            let manifest = dir.join(rest.trim_start_matches('/')).join("Cargo.toml");
            let Ok(text) = std::fs::read_to_string(&manifest) else {
                continue;
            };
            let Some(package) = package_name(&text) else {
                continue;
            };
            let stage_name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            guests.push(Guest {
                package,
                stage_name,
                builtin: *builtin,
            });
        }
    }
    guests
}

/// The `name` of the `[package]` table. A full TOML parser is not needed for
/// the manifests of this repository, which all start with `[package]`.
fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
            continue;
        }
        if in_package
            && let Some(value) = line.strip_prefix("name")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            return Some(value.trim().trim_matches('"').to_string());
        }
    }
    None
}

fn build_guests(root: &Path, target_dir: &Path, guests: &[Guest]) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut command = Command::new(cargo);
    command
        .current_dir(root)
        .args([
            "build",
            "--release",
            "--target",
            GUEST_TARGET,
            "--target-dir",
        ])
        .arg(target_dir)
        .args(["--config", "profile.release.debug=false"]);
    for guest in guests {
        command.args(["-p", &guest.package]);
    }
    // The outer build's settings are for the host, not the guests. Keep
    // CARGO_HOME (registry) and CARGO_MAKEFLAGS (share the outer jobserver
    // so two cores are not oversubscribed).
    for (key, _) in std::env::vars_os() {
        let Some(key) = key.to_str() else { continue };
        let host_only =
            (key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_MAKEFLAGS")
                || matches!(
                    key,
                    "RUSTFLAGS"
                        | "RUSTC"
                        | "RUSTDOC"
                        | "RUSTC_LINKER"
                        | "TARGET"
                        | "HOST"
                        | "PROFILE"
                        | "OPT_LEVEL"
                        | "DEBUG"
                        | "OUT_DIR"
                        | "NUM_JOBS"
                );
        if host_only {
            command.env_remove(key);
        }
    }
    // Wasm SIMD: memchr and the secrets engine's prefilter use it, and
    // wasmtime compiles it to native vector instructions.
    command.env(
        "CARGO_TARGET_WASM32_WASIP2_RUSTFLAGS",
        "-C target-feature=+simd128",
    );
    let output = command.output().expect("run cargo for the wasm guests");
    if !output.status.success() {
        panic!(
            "building the wasm32-wasip2 guests failed (is the target installed? rust-toolchain.toml lists it):\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The guests need the standard library for `wasm32-wasip2`. A toolchain
/// installed without it (and rustup's auto-install switched off, as on many
/// CI images) would otherwise fail deep in the nested build with "can't find
/// crate for `std`": add it through rustup, saying so, or stop with the exact
/// command to run.
fn ensure_guest_target() {
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let sysroot = Command::new(&rustc)
        .args(["--print", "sysroot"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let installed = |sysroot: &Path| {
        sysroot
            .join("lib/rustlib")
            .join(GUEST_TARGET)
            .join("lib")
            .is_dir()
    };
    if sysroot.as_deref().is_some_and(installed) {
        return;
    }
    let toolchain = std::env::var("RUSTUP_TOOLCHAIN").ok();
    let mut rustup = Command::new("rustup");
    rustup.args(["target", "add", GUEST_TARGET]);
    if let Some(toolchain) = &toolchain {
        rustup.args(["--toolchain", toolchain]);
    }
    let command = format!(
        "rustup target add {GUEST_TARGET}{}",
        toolchain
            .as_deref()
            .map(|t| format!(" --toolchain {t}"))
            .unwrap_or_default()
    );
    println!("cargo:warning=the {GUEST_TARGET} target is missing; running `{command}`");
    match rustup.output() {
        Ok(output) if output.status.success() => {}
        Ok(output) => panic!(
            "the {GUEST_TARGET} target is not installed and `{command}` failed:\n{}\nInstall it with `{command}` and build again.",
            String::from_utf8_lossy(&output.stderr)
        ),
        Err(error) => panic!(
            "the {GUEST_TARGET} target is not installed and rustup could not be run ({error}). \
             Install the target for this toolchain (with rustup: `{command}`) and build again."
        ),
    }
}

fn env(key: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| panic!("cargo sets {key} for build scripts"))
}
