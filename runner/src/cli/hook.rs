//! `cordon install-hook`: a git pre-push hook that runs `cordon pre-push`.

use std::path::Path;

pub fn install(dir: &Path) -> Result<String, super::Fatal> {
    let repo = git2::Repository::discover(dir)
        .map_err(|e| super::Fatal(format!("not a git repository: {}", e.message())))?;
    let hooks = repo.path().join("hooks");
    std::fs::create_dir_all(&hooks)?;
    let hook = hooks.join("pre-push");
    if hook.exists() {
        let existing = std::fs::read_to_string(&hook).unwrap_or_default();
        if !existing.contains("cordon pre-push") && !existing.contains("pre-push \"$@\"") {
            return Err(super::Fatal(format!(
                "{} already exists and is not Cordon's; add `cordon pre-push \"$@\"` to it yourself",
                hook.display()
            )));
        }
    }
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "cordon".into());
    let script = format!(
        "#!/bin/sh\n# Installed by `cordon install-hook`: scan the commits being pushed.\nexec '{}' pre-push \"$@\"\n",
        exe.replace('\'', "'\\''")
    );
    std::fs::write(&hook, script)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(format!("installed {}", hook.display()))
}
