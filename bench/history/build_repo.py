#!/usr/bin/env python3
"""Builds a git repository with a long, real history from the crate versions
in the local cargo registry cache, deterministically.

Every `NAME-VERSION.crate` under `$CARGO_HOME/registry/cache/*/` is one
release. Releases are replayed in (name, version) order into `crates/NAME/`:
the files a release adds, changes or removes relative to the previous release
of the same crate become commits of at most --files-per-commit files each
(so a large release is several commits, as a real series of changes would
be). Author, committer, dates and messages are fixed, so the same registry
cache gives the same commit ids on every machine.

The history is written with `git fast-import` (no working tree is checked
out: scanners read the history, not files on disk). A JSON summary is printed
and written beside it to DEST.stats.json:

  commits           number of commits
  releases          crate versions replayed
  blob_bytes        bytes of all distinct blobs in the history, which is what
                    a history scanner has to read at least once
  changed_bytes     bytes of every added or modified file, summed over commits
  head              the commit id of HEAD (same cache -> same id)

Usage: build_repo.py DEST [--registry DIR] [--files-per-commit N]
                          [--max-mb M] [--force]
--max-mb stops adding releases once the distinct blob bytes reach M MB
(for a quicker run); releases are never cut in half.
"""

import argparse
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from pathlib import Path

# A crate file name is NAME-VERSION.crate; crate names never contain a
# hyphen followed by a full MAJOR.MINOR.PATCH, so the first such split is it.
CRATE_FILE = re.compile(r"^(?P<name>.+?)-(?P<version>\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.+-]*)?)\.crate$")
AUTHOR = "Bench History <bench-history@example.invalid>"
FIRST_COMMIT_EPOCH = 1_500_000_000  # 2017-07-14, an arbitrary fixed start
SECONDS_BETWEEN_COMMITS = 3_600


def default_registry():
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    return home / "registry" / "cache"


def version_key(version):
    """Semver precedence, close enough for ordering releases: numeric core,
    and a pre-release sorts before its release."""
    core, _, build_and_pre = version.partition("-")
    core = core.split("+")[0]
    numbers = tuple(int(part) for part in core.split("."))
    pre = build_and_pre.split("+")[0]
    pre_key = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split(".")) if pre else None
    return numbers, (1,) if pre_key is None else (0, pre_key)


def find_releases(registry):
    releases = []
    for crate_file in sorted(registry.glob("*/*.crate")):
        match = CRATE_FILE.match(crate_file.name)
        if match is None:
            print(f"skipping {crate_file.name}: not NAME-VERSION.crate", file=sys.stderr)
            continue
        releases.append((match["name"], match["version"], crate_file))
    releases.sort(key=lambda r: (r[0], version_key(r[1]), r[1]))
    return releases


def safe_relative(path):
    """The path inside the crate (without the NAME-VERSION/ prefix), or None
    for what must not become a path in the repository."""
    parts = path.split("/")[1:]
    if not parts or any(p in ("", ".", "..", ".git") for p in parts):
        return None
    relative = "/".join(parts)
    # fast-import reads an unquoted path up to the end of the line.
    if "\n" in relative or relative.startswith('"'):
        return None
    return relative


def read_release(crate_file):
    """{relative path: (mode, bytes)} of the regular files of one .crate."""
    files = {}
    try:
        with tarfile.open(crate_file, mode="r:gz") as archive:
            for member in archive:
                if not member.isfile():
                    continue
                relative = safe_relative(member.name)
                if relative is None:
                    continue
                handle = archive.extractfile(member)
                if handle is None:
                    continue
                mode = "100755" if member.mode & 0o111 else "100644"
                files[relative] = (mode, handle.read())
    except (tarfile.TarError, OSError, EOFError, gzip.BadGzipFile) as err:
        print(f"skipping {crate_file.name}: {err}", file=sys.stderr)
        return None
    return files


def git_blob_id(data):
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def build(dest, registry, files_per_commit, max_bytes):
    releases = find_releases(registry)
    if not releases:
        raise SystemExit(f"no .crate files under {registry}/*/")
    subprocess.run(["git", "init", "-q", "-b", "main", str(dest)], check=True)
    importer = subprocess.Popen(
        ["git", "-C", str(dest), "fast-import", "--quiet", "--done"],
        stdin=subprocess.PIPE,
    )
    out = importer.stdin
    trees = {}  # crate name -> {relative path: (mode, blob id)}
    seen_blobs = set()
    commits = 0
    replayed = 0
    blob_bytes = 0
    changed_bytes = 0
    for name, version, crate_file in releases:
        if max_bytes is not None and blob_bytes >= max_bytes:
            break
        files = read_release(crate_file)
        if files is None:
            continue
        replayed += 1
        before = trees.get(name, {})
        after = {path: (mode, git_blob_id(data)) for path, (mode, data) in files.items()}
        changes = [(path, "M") for path in sorted(after) if before.get(path) != after[path]]
        changes += [(path, "D") for path in sorted(set(before) - set(after))]
        changes.sort()
        trees[name] = after
        if not changes:
            continue
        chunks = [changes[i : i + files_per_commit] for i in range(0, len(changes), files_per_commit)]
        for index, chunk in enumerate(chunks, 1):
            when = FIRST_COMMIT_EPOCH + commits * SECONDS_BETWEEN_COMMITS
            message = f"{name} {version}" + (f" (part {index} of {len(chunks)})" if len(chunks) > 1 else "")
            message = message.encode() + b"\n"
            out.write(b"commit refs/heads/main\n")
            out.write(f"author {AUTHOR} {when} +0000\ncommitter {AUTHOR} {when} +0000\n".encode())
            out.write(b"data %d\n" % len(message) + message)
            for path, kind in chunk:
                full_path = f"crates/{name}/{path}".encode()
                if kind == "D":
                    out.write(b"D " + full_path + b"\n")
                    continue
                mode, data = files[path]
                blob_id = after[path][1]
                if blob_id not in seen_blobs:
                    seen_blobs.add(blob_id)
                    blob_bytes += len(data)
                changed_bytes += len(data)
                out.write(f"M {mode} inline ".encode() + full_path + b"\n")
                out.write(b"data %d\n" % len(data) + data + b"\n")
            out.write(b"\n")
            commits += 1
    out.write(b"done\n")
    out.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    head = subprocess.run(["git", "-C", str(dest), "rev-parse", "HEAD"], check=True, capture_output=True, text=True)
    return {
        "commits": commits,
        "releases": replayed,
        "crates": len(trees),
        "blob_bytes": blob_bytes,
        "changed_bytes": changed_bytes,
        "head": head.stdout.strip(),
        "files_per_commit": files_per_commit,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("dest", type=Path, help="where to create the repository (must not exist, unless --force)")
    parser.add_argument("--registry", type=Path, default=default_registry(), help="cargo registry cache (default: %(default)s)")
    parser.add_argument("--files-per-commit", type=int, default=12)
    parser.add_argument("--max-mb", type=float, help="stop after this many MB of distinct blobs")
    parser.add_argument("--force", action="store_true", help="replace DEST if it exists")
    args = parser.parse_args()
    if args.files_per_commit < 1:
        parser.error("--files-per-commit must be at least 1")
    if args.dest.exists():
        if not args.force:
            parser.error(f"{args.dest} exists (use --force to replace it)")
        shutil.rmtree(args.dest)
    max_bytes = None if args.max_mb is None else int(args.max_mb * 1e6)
    stats = build(args.dest, args.registry, args.files_per_commit, max_bytes)
    text = json.dumps(stats, indent=2)
    args.dest.with_name(args.dest.name + ".stats.json").write_text(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
