//! Which commits a run looks at, and the git facts reports carry.

use std::path::Path;

use cordon_report::VersionControl;

use crate::host::git::GitScope;

/// Every commit of `range` (`A..B`, or a single revision meaning everything
/// reachable from it), oldest first.
pub fn history(root: &Path, range: &str) -> Result<GitScope, String> {
    let repo = git2::Repository::discover(root)
        .map_err(|e| format!("--git-history needs a git repository: {}", e.message()))?;
    let mut walk = repo.revwalk().map_err(|e| e.message().to_string())?;
    if range.contains("..") {
        walk.push_range(range)
            .map_err(|e| format!("bad range `{range}`: {}", e.message()))?;
    } else {
        let object = repo
            .revparse_single(range)
            .map_err(|e| format!("bad revision `{range}`: {}", e.message()))?;
        walk.push(object.id())
            .map_err(|e| e.message().to_string())?;
    }
    scope(root, &repo, walk, format!("history {range}"))
}

/// The commits a `git push` is sending, from the hook's stdin lines
/// `<local ref> <local sha> <remote ref> <remote sha>`: each local commit
/// not already on the remote (or, for a new branch, on any remote-tracking
/// branch).
pub fn pre_push(root: &Path, stdin: &str) -> Result<GitScope, String> {
    let repo = git2::Repository::discover(root)
        .map_err(|e| format!("pre-push needs a git repository: {}", e.message()))?;
    let mut walk = repo.revwalk().map_err(|e| e.message().to_string())?;
    let mut pushed = Vec::new();
    for line in stdin.lines().filter(|l| !l.trim().is_empty()) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [local_ref, local_sha, _remote_ref, remote_sha] = fields[..] else {
            return Err(format!("unexpected pre-push input line: {line:?}"));
        };
        if local_sha.bytes().all(|b| b == b'0') {
            continue; // a branch deletion sends nothing
        }
        let local = git2::Oid::from_str(local_sha).map_err(|e| e.message().to_string())?;
        walk.push(local).map_err(|e| e.message().to_string())?;
        if remote_sha.bytes().all(|b| b == b'0') {
            // A new branch: hide what the remote already has on any branch.
            for reference in repo
                .references_glob("refs/remotes/*")
                .map_err(|e| e.message().to_string())?
                .flatten()
            {
                if let Some(oid) = reference.target() {
                    let _ = walk.hide(oid);
                }
            }
        } else if let Ok(remote) = git2::Oid::from_str(remote_sha) {
            // The remote commit may be unknown locally (force push over
            // someone else's work); then there is nothing to hide by it.
            let _ = walk.hide(remote);
        }
        pushed.push(local_ref.to_string());
    }
    scope(root, &repo, walk, format!("pre-push {}", pushed.join(" ")))
}

fn scope(
    root: &Path,
    repo: &git2::Repository,
    mut walk: git2::Revwalk<'_>,
    description: String,
) -> Result<GitScope, String> {
    walk.set_sorting(git2::Sort::TOPOLOGICAL | git2::Sort::TIME | git2::Sort::REVERSE)
        .map_err(|e| e.message().to_string())?;
    let commits = walk
        .map(|oid| oid.map(|o| o.to_string()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.message().to_string())?;
    let repository = repo.path().to_path_buf();
    Ok(GitScope {
        description,
        repository,
        prefix: workspace_prefix(repo, root).unwrap_or_default(),
        commits,
    })
}

/// `root` relative to the repository's work tree, `/`-separated (`""` at
/// the top); `None` for a bare repository or a root outside the work tree.
fn workspace_prefix(repo: &git2::Repository, root: &Path) -> Option<String> {
    let workdir = repo.workdir()?.canonicalize().ok()?;
    let inside = root.strip_prefix(&workdir).ok()?;
    Some(
        inside
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join("/"),
    )
}

/// HEAD, branch and remote of the workspace, when it is a git repository.
pub fn version_control(root: &Path) -> Option<VersionControl> {
    let repo = git2::Repository::discover(root).ok()?;
    let head = repo.head().ok()?;
    let revision = head.peel_to_commit().ok()?.id().to_string();
    let branch = head
        .is_branch()
        .then(|| head.shorthand().map(str::to_string))
        .flatten();
    let repository_uri = repo
        .find_remote("origin")
        .ok()
        .and_then(|remote| remote.url().map(strip_credentials));
    Some(VersionControl {
        repository_uri,
        revision,
        branch,
    })
}

/// `https://user:token@host/x?access_token=t#f` -> `https://host/x`: a token
/// in a remote URL (in its user info, query or fragment) must never reach a
/// report.
pub fn strip_credentials(url: &str) -> String {
    let url = url.split(['?', '#']).next().unwrap_or(url);
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_once('/').map_or((rest, ""), |(a, p)| (a, p));
            let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
            if path.is_empty() {
                format!("{scheme}://{host}")
            } else {
                format!("{scheme}://{host}/{path}")
            }
        }
        None => url.to_string(),
    }
}

/// The files git's index tracks under `root`, relative to it; `None`
/// outside a repository (or when the index cannot be read, in which case
/// the walk's ignore rules alone decide).
pub fn tracked_files(root: &Path) -> Option<std::collections::BTreeSet<String>> {
    let repo = git2::Repository::discover(root).ok()?;
    let prefix = workspace_prefix(&repo, root)?;
    let index = repo.index().ok()?;
    let mut tracked = std::collections::BTreeSet::new();
    for entry in index.iter() {
        let Ok(path) = String::from_utf8(entry.path) else {
            continue;
        };
        let relative = if prefix.is_empty() {
            Some(path.as_str())
        } else {
            path.strip_prefix(&prefix)
                .and_then(|rest| rest.strip_prefix('/'))
        };
        if let Some(relative) = relative {
            tracked.insert(relative.to_string());
        }
    }
    Some(tracked)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_and_fragment_tokens_are_stripped() {
        assert_eq!(
            strip_credentials("https://host/o/r.git?access_token=ghp_abc&x=1"),
            "https://host/o/r.git"
        );
        assert_eq!(
            strip_credentials("https://u:p@host/r#token=abc"),
            "https://host/r"
        );
    }

    #[test]
    fn credentials_are_stripped() {
        assert_eq!(
            strip_credentials("https://x-access-token:ghp_abc@github.com/o/r.git"),
            "https://github.com/o/r.git"
        );
        assert_eq!(
            strip_credentials("https://github.com/o/r"),
            "https://github.com/o/r"
        );
        assert_eq!(
            strip_credentials("git@github.com:o/r.git"),
            "git@github.com:o/r.git"
        );
    }
}
