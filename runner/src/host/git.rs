//! `cordon:stage/git`: the commits the run selected (`--git-history`,
//! `pre-push`) and the lines each added, limited to the stage's read grant.

use std::cell::RefCell;
use std::path::PathBuf;

use cordon_workspace::ReadGrant;

use super::StageState;
use super::bindings::cordon::stage::git::{AddedLines, Host};
use super::bindings::cordon::stage::types::AccessError;

/// What the runner selected; shared by every stage granted `git`.
#[derive(Debug, Clone)]
pub struct GitScope {
    /// E.g. `history HEAD` or `pre-push origin/main..HEAD`.
    pub description: String,
    pub repository: PathBuf,
    /// The workspace's place in the repository (`""` at its root, else
    /// `sub/dir`): a stage sees only what commits added under it, with
    /// paths relative to the workspace, as its file reads are.
    pub prefix: String,
    /// Oldest first.
    pub commits: Vec<String>,
}

pub struct GitAccess {
    /// `None` when the stage has no git grant or the run has no git scope.
    pub scope: Option<GitScope>,
    pub grant: ReadGrant,
    /// Upper bound on the text of one commit's added lines handed over.
    pub max_bytes: u64,
    /// Opened lazily, once per stage.
    repository: RefCell<Option<git2::Repository>>,
}

impl GitAccess {
    pub fn new(scope: Option<GitScope>, grant: ReadGrant, max_bytes: u64) -> Self {
        Self {
            scope,
            grant,
            max_bytes,
            repository: RefCell::new(None),
        }
    }

    fn added(&self, commit: &str) -> Result<Vec<AddedLines>, AccessError> {
        let scope = self.scope.as_ref().ok_or_else(|| {
            AccessError::Denied("this run has no git scope for this stage".into())
        })?;
        if !scope.commits.iter().any(|c| c == commit) {
            return Err(AccessError::Denied(format!(
                "commit {commit} is not in this run's scope ({})",
                scope.description
            )));
        }
        let mut slot = self.repository.borrow_mut();
        if slot.is_none() {
            // Objects are read to be scanned, not trusted: re-hashing each
            // one as it is inflated (libgit2's default) cost a tenth of a
            // history scan and decides nothing here.
            git2::opts::strict_hash_verification(false);
            *slot = Some(
                git2::Repository::open(&scope.repository)
                    .map_err(|e| AccessError::Io(e.message().to_string()))?,
            );
        }
        let Some(repo) = slot.as_ref() else {
            return Err(AccessError::Io("repository unavailable".into()));
        };
        added_lines(repo, commit, &scope.prefix, &self.grant, self.max_bytes)
    }
}

/// Lines `commit` added relative to its first parent (everything, for a
/// root commit), under `prefix`, with paths relative to it.
pub fn added_lines(
    repo: &git2::Repository,
    commit: &str,
    prefix: &str,
    grant: &ReadGrant,
    max_bytes: u64,
) -> Result<Vec<AddedLines>, AccessError> {
    let git_error = |e: git2::Error| AccessError::Io(e.message().to_string());
    let oid =
        git2::Oid::from_str(commit).map_err(|e| AccessError::NotFound(e.message().to_string()))?;
    let commit = repo.find_commit(oid).map_err(git_error)?;
    let id = commit.id().to_string();
    let author_time = commit.author().when().seconds();
    let scoped = |tree: git2::Tree<'_>| -> Result<Option<git2::Tree<'_>>, git2::Error> {
        if prefix.is_empty() {
            return Ok(Some(repo.find_tree(tree.id())?));
        }
        match tree.get_path(std::path::Path::new(prefix)) {
            Ok(entry) if entry.kind() == Some(git2::ObjectType::Tree) => {
                Ok(Some(repo.find_tree(entry.id())?))
            }
            _ => Ok(None),
        }
    };
    let Some(tree) = scoped(commit.tree().map_err(git_error)?).map_err(git_error)? else {
        return Ok(Vec::new());
    };
    let parent_tree = match commit.parents().next() {
        Some(parent) => scoped(parent.tree().map_err(git_error)?).map_err(git_error)?,
        None => None,
    };
    let mut changed = Vec::new();
    changed_blobs(repo, parent_tree.as_ref(), &tree, grant, &mut changed).map_err(git_error)?;

    // Only added lines are wanted: no context lines around them.
    let mut options = git2::DiffOptions::new();
    options.context_lines(0).interhunk_lines(0);
    let mut files: Vec<AddedLines> = Vec::new();
    let mut total: u64 = 0;
    let mut over_limit = false;
    for (path, old, new) in changed {
        let new_blob = repo.find_blob(new).map_err(git_error)?;
        let old_blob = match old {
            Some(old) => Some(repo.find_blob(old).map_err(git_error)?),
            None => None,
        };
        let mut lines: Vec<(u32, String)> = Vec::new();
        let result = repo.diff_blobs(
            old_blob.as_ref(),
            None,
            Some(&new_blob),
            None,
            Some(&mut options),
            None,
            None,
            None,
            Some(&mut |_, _, line| {
                if line.origin() != '+' {
                    return true;
                }
                total += line.content().len() as u64;
                if total > max_bytes {
                    over_limit = true;
                    return false;
                }
                let text = String::from_utf8_lossy(line.content())
                    .trim_end_matches(['\n', '\r'])
                    .to_string();
                lines.push((line.new_lineno().unwrap_or(0), text));
                true
            }),
        );
        if over_limit {
            return Err(AccessError::Limit(format!(
                "commit {id} added more than {max_bytes} bytes of granted text"
            )));
        }
        result.map_err(git_error)?;
        if !lines.is_empty() {
            files.push(AddedLines {
                commit: id.clone(),
                author_time,
                path,
                lines,
            });
        }
    }
    Ok(files)
}

/// The granted files (path, old blob, new blob) that differ between `old`
/// and `new`, found by walking only the subtrees whose ids differ: a commit
/// that touches one directory of a large tree costs that directory, not the
/// whole tree (libgit2's tree-to-tree diff compared every entry of both, most
/// of a history scan's time). An explicit stack, not recursion: a scanned
/// repository chooses how deep its trees nest.
fn changed_blobs(
    repo: &git2::Repository,
    old: Option<&git2::Tree<'_>>,
    new: &git2::Tree<'_>,
    grant: &ReadGrant,
    out: &mut Vec<(String, Option<git2::Oid>, git2::Oid)>,
) -> Result<(), git2::Error> {
    let mut pending = vec![(String::new(), old.map(|t| t.id()), new.id())];
    while let Some((base, old, new)) = pending.pop() {
        let new = repo.find_tree(new)?;
        let old = old.map(|id| repo.find_tree(id)).transpose()?;
        for entry in new.iter() {
            let Ok(name) = std::str::from_utf8(entry.name_bytes()) else {
                continue;
            };
            let before = old
                .as_ref()
                .and_then(|tree| tree.get_name_bytes(entry.name_bytes()));
            if before.as_ref().is_some_and(|b| b.id() == entry.id()) {
                continue;
            }
            let path = if base.is_empty() {
                name.to_string()
            } else {
                format!("{base}/{name}")
            };
            let kind_before = before.as_ref().and_then(|b| b.kind());
            match entry.kind() {
                Some(git2::ObjectType::Tree) => {
                    let old_subtree = before
                        .filter(|_| kind_before == Some(git2::ObjectType::Tree))
                        .map(|b| b.id());
                    pending.push((path, old_subtree, entry.id()));
                }
                Some(git2::ObjectType::Blob) if grant.allows(&path) => {
                    let old_blob = before
                        .filter(|_| kind_before == Some(git2::ObjectType::Blob))
                        .map(|b| b.id());
                    out.push((path, old_blob, entry.id()));
                }
                // Submodule commits, and files outside the grant.
                _ => {}
            }
        }
    }
    // In path order, as a diff lists them.
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(())
}

impl Host for StageState {
    fn scope(&mut self) -> Option<String> {
        self.git.scope.as_ref().map(|s| s.description.clone())
    }

    fn commits(&mut self) -> Result<Vec<String>, AccessError> {
        let result = self
            .git
            .scope
            .as_ref()
            .map(|s| s.commits.clone())
            .ok_or_else(|| AccessError::Denied("this run has no git scope for this stage".into()));
        self.calls.record("git.commits", "", 0, result)
    }

    fn added(&mut self, commit: String) -> Result<Vec<AddedLines>, AccessError> {
        let result = self.git.added(&commit);
        let bytes = result.as_ref().map_or(0, |files| {
            files
                .iter()
                .flat_map(|f| &f.lines)
                .map(|(_, l)| l.len() as u64)
                .sum()
        });
        self.calls.record("git.added", &commit, bytes, result)
    }
}
