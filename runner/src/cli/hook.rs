//! `cordon hook install | uninstall`: a git pre-push hook that runs
//! `cordon pre-push`.
//!
//! The hooks directory is the one git itself will use (`git rev-parse
//! --git-path hooks`): it honours `core.hooksPath` (husky and friends),
//! linked worktrees and submodules. A hook that is already there and not
//! Cordon's is kept and chained: it runs first, with the same arguments and
//! the same stdin, and a failure stops the push. Installing twice changes
//! nothing. The hook calls `cordon` from `PATH`, so no path of the machine
//! that installed it is baked in.

use std::path::{Path, PathBuf};
use std::process::Command;

use super::Fatal;

/// Marks a hook as Cordon's.
const MARKER: &str = "# installed by `cordon hook install`";
/// Where a hook that was there before Cordon's is kept.
const PREVIOUS_SUFFIX: &str = "cordon-previous";

/// The hook script. `$0.cordon-previous` is the chained hook, if any.
fn script() -> String {
    format!(
        r#"#!/bin/sh
{MARKER}: scan the commits being pushed.
input=$(cat)
previous="$0.{PREVIOUS_SUFFIX}"
if [ -x "$previous" ]; then
    printf '%s\n' "$input" | "$previous" "$@" || exit $?
fi
if ! command -v cordon >/dev/null 2>&1; then
    echo "cordon pre-push: cordon is not on PATH (install it with: cargo install --locked --path runner)" >&2
    exit 1
fi
printf '%s\n' "$input" | cordon pre-push "$@"
"#
    )
}

/// The directory git runs hooks from for the repository at `dir`.
fn hooks_dir(dir: &Path) -> Result<PathBuf, Fatal> {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
        .output()
        .map_err(|e| Fatal(format!("cannot run git: {e}")))?;
    if !output.status.success() {
        return Err(Fatal(format!(
            "{} is not in a git repository: {}",
            dir.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )));
    }
    Ok(PathBuf::from(
        String::from_utf8_lossy(&output.stdout).trim().to_string(),
    ))
}

fn is_cordons(path: &Path) -> bool {
    std::fs::read_to_string(path).is_ok_and(|text| text.contains(MARKER))
}

fn previous_of(hook: &Path) -> PathBuf {
    let mut name = hook.as_os_str().to_owned();
    name.push(format!(".{PREVIOUS_SUFFIX}"));
    PathBuf::from(name)
}

pub fn install(dir: &Path) -> Result<String, Fatal> {
    let hooks = hooks_dir(dir)?;
    std::fs::create_dir_all(&hooks)?;
    let hook = hooks.join("pre-push");
    let mut chained = None;
    if hook.exists() && !is_cordons(&hook) {
        let previous = previous_of(&hook);
        if previous.exists() {
            return Err(Fatal(format!(
                "{} exists and so does {}; merge them by hand, then run this again",
                hook.display(),
                previous.display()
            )));
        }
        std::fs::rename(&hook, &previous)?;
        chained = Some(previous);
    }
    std::fs::write(&hook, script())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&hook, std::fs::Permissions::from_mode(0o755))?;
    }
    Ok(match chained {
        Some(previous) => format!(
            "installed {}; the hook that was there runs first, from {}",
            hook.display(),
            previous.display()
        ),
        None => format!("installed {}", hook.display()),
    })
}

pub fn uninstall(dir: &Path) -> Result<String, Fatal> {
    let hook = hooks_dir(dir)?.join("pre-push");
    if !hook.exists() {
        return Ok(format!("no pre-push hook at {}", hook.display()));
    }
    if !is_cordons(&hook) {
        return Err(Fatal(format!(
            "{} is not Cordon's hook; leaving it alone",
            hook.display()
        )));
    }
    std::fs::remove_file(&hook)?;
    let previous = previous_of(&hook);
    if previous.exists() {
        std::fs::rename(&previous, &hook)?;
        return Ok(format!(
            "removed Cordon's hook; restored the previous {}",
            hook.display()
        ));
    }
    Ok(format!("removed {}", hook.display()))
}
