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
    let tree = commit.tree().map_err(git_error)?;
    let parent_tree = match commit.parents().next() {
        Some(parent) => Some(parent.tree().map_err(git_error)?),
        None => None,
    };
    // Only added lines are wanted: no context lines around them, and no
    // walk of trees outside the workspace's place in the repository.
    let mut options = git2::DiffOptions::new();
    options
        .context_lines(0)
        .interhunk_lines(0)
        .ignore_submodules(true);
    if !prefix.is_empty() {
        options.pathspec(format!("{prefix}/"));
    }
    let diff = repo
        .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut options))
        .map_err(git_error)?;
    let id = commit.id().to_string();
    let author_time = commit.author().when().seconds();
    let mut files: Vec<AddedLines> = Vec::new();
    let mut total: u64 = 0;
    let mut over_limit = false;
    diff.foreach(
        &mut |_, _| true,
        None,
        None,
        Some(&mut |delta, _hunk, line| {
            if line.origin() != '+' {
                return true;
            }
            let Some(path) = delta.new_file().path().and_then(|p| p.to_str()) else {
                return true;
            };
            let path = if prefix.is_empty() {
                path
            } else {
                match path
                    .strip_prefix(prefix)
                    .and_then(|rest| rest.strip_prefix('/'))
                {
                    Some(inside) => inside,
                    None => return true,
                }
            };
            if !grant.allows(path) {
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
            let number = line.new_lineno().unwrap_or(0);
            match files.last_mut() {
                Some(file) if file.path == path => file.lines.push((number, text)),
                _ => files.push(AddedLines {
                    commit: id.clone(),
                    author_time,
                    path: path.to_string(),
                    lines: vec![(number, text)],
                }),
            }
            true
        }),
    )
    .or_else(|e| {
        if over_limit {
            Ok(())
        } else {
            Err(git_error(e))
        }
    })?;
    if over_limit {
        return Err(AccessError::Limit(format!(
            "commit {id} added more than {max_bytes} bytes of granted text"
        )));
    }
    Ok(files)
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
