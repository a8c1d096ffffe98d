//! Workspace-relative paths named inside lockfiles (`-r` includes, a
//! pom's `<relativePath>`), resolved without touching the filesystem.

/// `target` relative to the folder of `from`, normalised; `None` for URLs,
/// absolute paths and paths that climb out of the workspace.
pub fn resolve_relative(from: &str, target: &str) -> Option<String> {
    if target.contains("://") || target.starts_with(['/', '\\']) || target.contains(':') {
        return None;
    }
    let folder = from
        .rsplit_once(['/', '\\'])
        .map_or("", |(folder, _)| folder);
    normalize(&format!("{folder}/{target}"))
}

/// `a/./b/../c` -> `a/c`; `None` when `..` climbs above the start.
pub fn normalize(path: &str) -> Option<String> {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split(['/', '\\']) {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths_stay_inside_the_workspace() {
        assert_eq!(
            resolve_relative("a/b/pom.xml", "../pom.xml").as_deref(),
            Some("a/pom.xml")
        );
        assert_eq!(
            resolve_relative("req/dev.txt", "./base.txt").as_deref(),
            Some("req/base.txt")
        );
        assert_eq!(resolve_relative("pom.xml", "../pom.xml"), None);
        assert_eq!(resolve_relative("a/pom.xml", "/etc/passwd"), None);
        assert_eq!(resolve_relative("a/r.txt", "https://x/r.txt"), None);
        assert_eq!(resolve_relative("a/r.txt", "C:/r.txt"), None);
    }
}
