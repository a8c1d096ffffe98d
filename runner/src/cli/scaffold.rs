//! `cordon plugin new NAME`: a new stage crate, made from the
//! `examples/hello-stage` plugin (its code and tests, renamed), so the
//! scaffold is always the example the test suite builds and runs.

use std::path::{Path, PathBuf};

use super::Fatal;

const LIB: &str = include_str!("../../../examples/hello-stage/src/lib.rs");
const TESTS: &str = include_str!("../../../examples/hello-stage/src/tests.rs");
const REPOSITORY: &str = env!("CARGO_PKG_REPOSITORY");

/// What to do after `plugin new`, printed by the command and in the README.
pub fn next_steps(dir: &Path, name: &str) -> String {
    let crate_name = name.replace('-', "_");
    format!(
        "created {dir}\n\
         next:\n  \
         cd {dir}\n  \
         cargo test                                      # native, with the SDK's test harness\n  \
         cargo build --release --target wasm32-wasip2    # the component\n  \
         cordon plugin pin target/wasm32-wasip2/release/{crate_name}.wasm\n  \
         cordon run --pipeline cordon.toml .",
        dir = dir.display()
    )
}

/// Creates `parent/NAME` and returns its path.
pub fn new_plugin(name: &str, parent: &Path, sdk_path: Option<&Path>) -> Result<PathBuf, Fatal> {
    if name.is_empty()
        || !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        || name.starts_with('-')
    {
        return Err(Fatal(format!(
            "plugin name `{name}` must be lowercase letters, digits and `-`"
        )));
    }
    let dir = parent.join(name);
    if dir.exists() {
        return Err(Fatal(format!("{} already exists", dir.display())));
    }
    let sdk = match sdk_path {
        Some(path) => {
            let path = path
                .canonicalize()
                .map_err(|e| Fatal(format!("--sdk-path {}: {e}", path.display())))?;
            format!("{{ path = {:?} }}", path.display().to_string())
        }
        None => format!("{{ git = {REPOSITORY:?} }}"),
    };
    let camel: String = name
        .split('-')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect();
    let rename = |text: &str| {
        text.replace("\"hello/todo\"", &format!("\"{name}/todo\""))
            .replace("\"hello-report\"", &format!("\"{name}-report\""))
            .replace("\"hello\"", &format!("\"{name}\""))
            .replace("Hello", &camel)
            .replace(
                "`hello`: the template Cordon plugin.",
                &format!("`{name}`: a Cordon stage, made from the template plugin."),
            )
    };
    let crate_name = name.replace('-', "_");
    let files = [
        (
            "Cargo.toml",
            format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n\n\
                 [lib]\ncrate-type = [\"cdylib\"]\n\n\
                 [dependencies]\ncordon-sdk = {sdk}\nserde = {{ version = \"1\", features = [\"derive\"] }}\nserde_json = \"1\"\n\n\
                 [dev-dependencies]\ntempfile = \"3\"\n\n\
                 # A crate of its own, not a member of an enclosing workspace.\n[workspace]\n"
            ),
        ),
        ("src/lib.rs", rename(LIB)),
        ("src/tests.rs", rename(TESTS)),
        (
            "cordon.toml",
            format!(
                "# Run with: cordon run --pipeline cordon.toml .\n\
                 [stages.{name}]\nplugin = \"target/wasm32-wasip2/release/{crate_name}.wasm\"\n\
                 # After each build: cordon plugin pin target/wasm32-wasip2/release/{crate_name}.wasm\n\
                 sha256 = \"{zeros}\"\n\
                 [stages.{name}.grants]\nread = [\"src/**\"]\n\
                 # What the template reads (the sbom artifact, when an sbom stage runs) and writes.\n\
                 artifacts = {{ read = [\"sbom\"], write = [\"{name}-report\"] }}\n",
                zeros = "0".repeat(64)
            ),
        ),
        (
            "README.md",
            format!(
                "# {name}\n\nA Cordon stage.\n\n```sh\ncargo test                                          # native, with cordon_sdk::testing::Harness\n\
                 cargo build --release --target wasm32-wasip2        # the component\n\
                 cordon plugin pin target/wasm32-wasip2/release/{crate_name}.wasm   # its sha256 into cordon.toml\n\
                 cordon run --pipeline cordon.toml .\n```\n"
            ),
        ),
    ];
    for (path, text) in files {
        let path = dir.join(path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, text)
            .map_err(|e| Fatal(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(dir)
}
