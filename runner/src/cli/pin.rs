//! `cordon plugin pin PLUGIN`: write the plugin's current sha256 into the
//! pipeline file, for every stage that loads it, keeping the file's
//! comments and layout (toml_edit).

use std::path::Path;
use std::process::ExitCode;

use super::Fatal;
use crate::plugins;
use crate::trust::files;

pub fn pin(plugin: &Path, pipeline: &Path) -> Result<ExitCode, Fatal> {
    let bytes = files::read_regular(plugin, "plugin", files::MAX_PLUGIN_BYTES)?;
    let digest = plugins::sha256_hex(&bytes);
    let text = files::read_regular(pipeline, "pipeline", files::MAX_CONFIG_BYTES)?;
    let text = String::from_utf8(text)
        .map_err(|_| Fatal(format!("{} is not UTF-8 text", pipeline.display())))?;
    let mut document: toml_edit::DocumentMut = text
        .parse()
        .map_err(|e| Fatal(format!("{}: {e}", pipeline.display())))?;
    let base = pipeline.parent().unwrap_or(Path::new("."));
    let wanted = plugin.canonicalize()?;
    let mut pinned = Vec::new();
    if let Some(stages) = document
        .get_mut("stages")
        .and_then(|s| s.as_table_like_mut())
    {
        for (name, stage) in stages.iter_mut() {
            let Some(stage) = stage.as_table_like_mut() else {
                continue;
            };
            let Some(path) = stage.get("plugin").and_then(|p| p.as_str()) else {
                continue;
            };
            if path.starts_with("builtin:") {
                continue;
            }
            if base.join(path).canonicalize().ok().as_ref() != Some(&wanted) {
                continue;
            }
            stage.insert("sha256", toml_edit::value(digest.clone()));
            pinned.push(name.get().to_string());
        }
    }
    if pinned.is_empty() {
        return Err(Fatal(format!(
            "no stage of {} loads {}",
            pipeline.display(),
            plugin.display()
        )));
    }
    std::fs::write(pipeline, document.to_string())
        .map_err(|e| Fatal(format!("cannot write {}: {e}", pipeline.display())))?;
    println!(
        "pinned {} (sha256 {digest}) for stage(s) {} in {}",
        plugin.display(),
        pinned.join(", "),
        pipeline.display()
    );
    Ok(ExitCode::SUCCESS)
}
