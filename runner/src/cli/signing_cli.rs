//! `cordon plugin keygen | sign | verify | inspect`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::Fatal;
use crate::config::PluginSource;
use crate::plugins;
use crate::trust::{files, signing};

fn read_text(path: &Path, what: &'static str) -> Result<String, Fatal> {
    let bytes = files::read_regular(path, what, 4096)?;
    Ok(String::from_utf8_lossy(&bytes).trim().to_string())
}

fn with_extension(prefix: &Path, extension: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(format!(".{extension}"));
    PathBuf::from(name)
}

fn digest_of(plugin: &Path) -> Result<String, Fatal> {
    let bytes = files::read_regular(plugin, "plugin", files::MAX_PLUGIN_BYTES)?;
    Ok(plugins::sha256_hex(&bytes))
}

pub fn keygen(prefix: &Path) -> Result<ExitCode, Fatal> {
    let (secret, public) = signing::generate().map_err(Fatal)?;
    let secret_path = with_extension(prefix, "key");
    let public_path = with_extension(prefix, "pub");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    use std::io::Write;
    options
        .open(&secret_path)
        .and_then(|mut f| f.write_all(format!("{secret}\n").as_bytes()))
        .map_err(|e| Fatal(format!("cannot create {}: {e}", secret_path.display())))?;
    std::fs::write(&public_path, format!("{public}\n"))
        .map_err(|e| Fatal(format!("cannot write {}: {e}", public_path.display())))?;
    println!(
        "wrote {} (secret: keep it out of the repository) and {}\npublic key: {public}\ntrust it in a policy: trusted-keys = [\"{public}\"]",
        secret_path.display(),
        public_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn sign(plugin: &Path, key: &Path) -> Result<ExitCode, Fatal> {
    let secret = signing::parse_secret_key(&read_text(key, "key")?).map_err(Fatal)?;
    let digest = digest_of(plugin)?;
    let signature_path = signing::default_signature_path(plugin);
    std::fs::write(
        &signature_path,
        format!("{}\n", signing::sign(&secret, &digest)),
    )
    .map_err(|e| Fatal(format!("cannot write {}: {e}", signature_path.display())))?;
    println!(
        "signed {} (sha256 {digest}): {}",
        plugin.display(),
        signature_path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The signature status of `plugin` under `keys`: `Ok(key)` or why not.
fn signature_status(plugin: &Path, digest: &str, keys: &[PathBuf]) -> Result<String, String> {
    let trusted = keys
        .iter()
        .map(|k| read_text(k, "key").map_err(|e| e.0))
        .collect::<Result<Vec<_>, _>>()?;
    let signature_path = signing::default_signature_path(plugin);
    let signature = read_text(&signature_path, "signature")
        .map_err(|e| format!("no usable signature: {}", e.0))?;
    signing::verify(&signature, digest, &trusted)
}

pub fn verify(plugin: &Path, keys: &[PathBuf]) -> Result<ExitCode, Fatal> {
    let digest = digest_of(plugin)?;
    match signature_status(plugin, &digest, keys) {
        Ok(key) => {
            println!(
                "{}: valid signature by {key} (sha256 {digest})",
                plugin.display()
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(reason) => Err(Fatal(format!("{}: {reason}", plugin.display()))),
    }
}

pub fn inspect(plugin: &Path, keys: &[PathBuf]) -> Result<ExitCode, Fatal> {
    let digest = digest_of(plugin)?;
    let verified = plugins::load(
        &PluginSource::Path {
            path: plugin.to_path_buf(),
            sha256: digest.clone(),
            beneath: None,
        },
        &[],
    )?;
    let inspection = crate::run::inspect(&verified).map_err(Fatal)?;
    let signature = if keys.is_empty() {
        "not checked (pass --key NAME.pub)".to_string()
    } else {
        match signature_status(plugin, &digest, keys) {
            Ok(key) => format!("valid, by {key}"),
            Err(reason) => format!("NOT VALID: {reason}"),
        }
    };
    let info = &inspection.info;
    let requests = &info.requests;
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_string()
        } else {
            items.join(", ")
        }
    };
    println!("plugin:      {}", plugin.display());
    println!("sha256:      {digest}");
    println!("signature:   {signature}");
    println!("name:        {} {}", info.name, info.version);
    println!("description: {}", info.description);
    println!("imports:");
    for import in &inspection.imports {
        println!("  {import}");
    }
    println!("requests:");
    println!("  workspace:       {}", requests.workspace);
    println!("  data sets:       {}", list(&requests.data));
    println!("  artifacts read:  {}", list(&requests.artifacts_read));
    println!("  artifacts write: {}", list(&requests.artifacts_write));
    println!("rules:       {}", info.rules.len());
    Ok(ExitCode::SUCCESS)
}
