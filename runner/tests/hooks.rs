//! The pre-push hook as git and the pre-commit framework really run it:
//! real repositories, a real bare remote, `git push`.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

/// A repository with one clean commit pushed to a bare remote.
fn pushed_repo() -> (tempfile::TempDir, PathBuf, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let remote = dir.path().join("remote.git");
    let repo = dir.path().join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    git(
        dir.path(),
        &[
            "init",
            "-q",
            "--bare",
            "-b",
            "main",
            remote.to_str().unwrap(),
        ],
    );
    git(&repo, &["init", "-q", "-b", "main"]);
    git(
        &repo,
        &["remote", "add", "origin", remote.to_str().unwrap()],
    );
    write_files(&repo, &[("README.md", "hello\n")]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "first"]);
    git(&repo, &["push", "-q", "origin", "main"]);
    (dir, repo, remote)
}

/// What a hook run sees: the cordon under test on PATH, the tests' cache
/// and configuration, no colour, no user git configuration.
fn hook_environment(command: &mut Command) -> &mut Command {
    command
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("PATH", path_with_cordon())
        .env("XDG_CONFIG_HOME", config_home())
        .env("CORDON_CACHE_DIR", cache_dir())
        .env("NO_COLOR", "1")
}

fn cordon_bare(dir: &Path, args: &[&str]) -> Output {
    hook_environment(
        Command::new(env!("CARGO_BIN_EXE_cordon"))
            .current_dir(dir)
            .args(args),
    )
    .output()
    .unwrap()
}

/// `git push`, which runs whatever pre-push hook git finds.
fn push(repo: &Path) -> Output {
    hook_environment(
        Command::new("git")
            .current_dir(repo)
            .args(["push", "-q", "origin", "main"]),
    )
    .output()
    .unwrap()
}

fn commit_token(repo: &Path) {
    write_files(
        repo,
        &[(
            "deploy.sh",
            &format!("export GITHUB_TOKEN={}\n", fake_github_token()),
        )],
    );
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "oops"]);
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[test]
fn the_hook_goes_where_core_hooks_path_points_and_chains_the_one_there() {
    let (_dir, repo, remote) = pushed_repo();
    // A husky-style hooks directory with a hook of its own, which records
    // its stdin so the test can see it was chained with the same input.
    let hooks = repo.join(".husky");
    std::fs::create_dir_all(&hooks).unwrap();
    let seen = repo.join("seen-by-previous-hook");
    let previous = format!("#!/bin/sh\ncat > '{}'\nexit 0\n", seen.display());
    std::fs::write(hooks.join("pre-push"), previous).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(
        hooks.join("pre-push"),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    git(&repo, &["config", "core.hooksPath", ".husky"]);

    for _ in 0..2 {
        let install = cordon_bare(&repo, &["hook", "install"]);
        assert!(install.status.success(), "{}", text(&install));
    }
    assert!(!repo.join(".git/hooks/pre-push").exists());
    let installed = std::fs::read_to_string(hooks.join("pre-push")).unwrap();
    assert!(installed.contains("cordon pre-push"), "{installed}");
    assert!(
        !installed.contains(env!("CARGO_BIN_EXE_cordon")),
        "the hook bakes in a path of this machine"
    );
    assert!(hooks.join("pre-push.cordon-previous").exists());

    commit_token(&repo);
    let blocked = push(&repo);
    assert!(
        !blocked.status.success(),
        "the push with a token went through"
    );
    assert!(text(&blocked).contains("deploy.sh"), "{}", text(&blocked));
    assert!(!text(&blocked).contains(&fake_github_token()));
    let stdin_seen = std::fs::read_to_string(&seen).unwrap();
    assert!(stdin_seen.contains("refs/heads/main"), "{stdin_seen:?}");
    assert_ne!(
        git(&remote, &["rev-parse", "main"]),
        git(&repo, &["rev-parse", "HEAD"])
    );

    let uninstall = cordon_bare(&repo, &["hook", "uninstall"]);
    assert!(uninstall.status.success(), "{}", text(&uninstall));
    let restored = std::fs::read_to_string(hooks.join("pre-push")).unwrap();
    assert!(restored.contains("seen-by-previous-hook"), "{restored}");
}

#[test]
fn a_linked_worktree_gets_the_hook_git_runs() {
    let (dir, repo, _remote) = pushed_repo();
    let worktree = dir.path().join("wt");
    git(
        &repo,
        &[
            "worktree",
            "add",
            "-q",
            worktree.to_str().unwrap(),
            "-b",
            "side",
        ],
    );
    let install = cordon_bare(&worktree, &["hook", "install"]);
    assert!(install.status.success(), "{}", text(&install));
    let hooks = PathBuf::from(git(
        &worktree,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
    ));
    assert!(hooks.join("pre-push").exists(), "{}", hooks.display());
}

#[test]
fn pre_push_with_nothing_to_scan_is_an_error_not_a_pass() {
    let (_dir, repo, _remote) = pushed_repo();
    let run = Command::new(env!("CARGO_BIN_EXE_cordon"))
        .current_dir(&repo)
        .arg("pre-push")
        .env("XDG_CONFIG_HOME", config_home())
        .env("CORDON_CACHE_DIR", cache_dir())
        .env_remove("PRE_COMMIT_FROM_REF")
        .env_remove("PRE_COMMIT_TO_REF")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(text(&run).contains("nothing to scan"), "{}", text(&run));
}

/// The pre-commit framework, installed into the target directory on first use.
fn pre_commit() -> PathBuf {
    let venv = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-venv");
    let binary = venv.join("bin/pre-commit");
    if binary.is_file() {
        return binary;
    }
    let lock = std::fs::File::create(venv.with_extension("lock")).unwrap();
    lock.lock().unwrap();
    if !binary.is_file() {
        let made = Command::new("python3")
            .arg("-m")
            .arg("venv")
            .arg(&venv)
            .status()
            .unwrap();
        assert!(made.success(), "python3 -m venv failed");
        let installed = Command::new(venv.join("bin/pip"))
            .args(["install", "--quiet", "pre-commit==4.2.0"])
            .status()
            .unwrap();
        assert!(installed.success(), "pip install pre-commit failed");
    }
    binary
}

#[test]
fn the_pre_commit_framework_runs_the_published_hook() {
    let (_dir, repo, remote) = pushed_repo();
    // The hook repository is this checkout's .pre-commit-hooks.yaml, as a
    // git repository of its own (pre-commit clones hook repositories).
    let hooks_repo = tempfile::tempdir().unwrap();
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.pre-commit-hooks.yaml");
    std::fs::copy(&manifest, hooks_repo.path().join(".pre-commit-hooks.yaml")).unwrap();
    git(hooks_repo.path(), &["init", "-q", "-b", "main"]);
    git(hooks_repo.path(), &["add", "."]);
    git(hooks_repo.path(), &["commit", "-q", "-m", "hooks"]);
    let rev = git(hooks_repo.path(), &["rev-parse", "HEAD"]);
    write_files(
        &repo,
        &[(
            ".pre-commit-config.yaml",
            &format!(
                "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: cordon-pre-push\n",
                hooks_repo.path().display()
            ),
        )],
    );
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "pre-commit config"]);
    git(&repo, &["push", "-q", "origin", "main"]);
    let framework = pre_commit();
    let install = Command::new(&framework)
        .current_dir(&repo)
        .args(["install", "--hook-type", "pre-push"])
        .env(
            "PRE_COMMIT_HOME",
            Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home"),
        )
        .output()
        .unwrap();
    assert!(install.status.success(), "{}", text(&install));

    let with_framework = |repo: &Path| {
        Command::new("git")
            .current_dir(repo)
            .args(["push", "-q", "origin", "main"])
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("PATH", path_with_cordon())
            .env(
                "PRE_COMMIT_HOME",
                Path::new(env!("CARGO_TARGET_TMPDIR")).join("pre-commit-home"),
            )
            .env("XDG_CONFIG_HOME", config_home())
            .env("CORDON_CACHE_DIR", cache_dir())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    write_files(&repo, &[("notes.txt", "nothing secret\n")]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "-q", "-m", "clean"]);
    let clean = with_framework(&repo);
    assert!(
        clean.status.success(),
        "a clean push was refused: {}",
        text(&clean)
    );

    commit_token(&repo);
    let blocked = with_framework(&repo);
    assert!(
        !blocked.status.success(),
        "the push with a token went through: {}",
        text(&blocked)
    );
    assert!(text(&blocked).contains("deploy.sh"), "{}", text(&blocked));
    assert!(!text(&blocked).contains(&fake_github_token()));
    assert_ne!(
        git(&remote, &["rev-parse", "main"]),
        git(&repo, &["rev-parse", "HEAD"])
    );
}
