#!/usr/bin/env python3
"""Compare Cordon's audit engine with cargo-audit on the same lockfiles.

Both read the RustSec snapshot beside the repository (../shared/advisory-db);
cargo-audit gets it as a throw-away local git repository (`--db`, `--no-fetch`,
`--stale`, `--no-yanked`: yanked checks need the live crates.io index). The
findings of each tool are reduced to (package, version, advisory id) sets and
diffed; wall times are the median of several runs.

usage: bench/audit/compare.py [--runs N] [--corpus DIR] [LOCKFILE ...]
  default lockfiles: the engine's Cargo.lock fixtures and the repo's Cargo.lock
  --corpus DIR adds every Cargo.lock below DIR (e.g. ~/.cargo/registry/src,
  where published crates ship theirs)
  CARGO_AUDIT=/path/to/cargo-audit to use a given binary (else PATH, else
  `cargo install cargo-audit --locked`).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO.parent / "shared" / "advisory-db"
FIXTURES = REPO / "plugins" / "audit" / "engine" / "tests" / "fixtures"
NICE = ["nice", "-n", "19"]


def find_cargo_audit(install):
    explicit = os.environ.get("CARGO_AUDIT")
    if explicit:
        return explicit
    found = shutil.which("cargo-audit")
    if found:
        return found
    if not install:
        return None
    subprocess.run(NICE + ["cargo", "install", "cargo-audit", "--locked"], check=True)
    return shutil.which("cargo-audit") or str(Path.home() / ".cargo" / "bin" / "cargo-audit")


def build_cordon():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    subprocess.run(
        NICE + ["cargo", "build", "--release", "-p", "cordon-audit", "--example", "audit_dir"],
        cwd=REPO,
        check=True,
    )
    return target / "release" / "examples" / "audit_dir"


def git_copy_of_snapshot(workdir):
    db = workdir / "advisory-db"
    shutil.copytree(SNAPSHOT, db)
    git = ["git", "-C", str(db), "-c", "user.name=bench", "-c", "user.email=bench@localhost"]
    subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "advisory-db snapshot"], check=True)
    return db


def timed(command):
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    return time.perf_counter() - started, result


def cargo_audit_findings(cargo_audit, db, lockfile):
    command = [cargo_audit, "audit", "--db", str(db), "--no-fetch", "--stale", "--no-yanked",
               "--json", "-f", str(lockfile)]
    elapsed, result = timed(command)
    if not result.stdout.strip():
        return elapsed, RuntimeError(result.stderr.strip().splitlines()[-1:] or ["no output"])
    report = json.loads(result.stdout)
    found = set()
    for vulnerability in report["vulnerabilities"]["list"]:
        package = vulnerability["package"]
        found.add((package["name"], package["version"], vulnerability["advisory"]["id"]))
    for kind, warnings in report.get("warnings", {}).items():
        for warning in warnings:
            if warning.get("advisory"):
                package = warning["package"]
                found.add((package["name"], package["version"], warning["advisory"]["id"]))
    return elapsed, found


def cordon_findings(binary, db, lockfile, cache=None):
    command = [str(binary)]
    if cache:
        command += ["--index-cache", str(cache)]
    command += [str(db), str(lockfile)]
    elapsed, result = timed(command)
    if result.returncode != 0:
        return elapsed, RuntimeError(result.stderr.strip().splitlines()[-1:] or ["no output"])
    found = set()
    for line in result.stdout.splitlines():
        finding = json.loads(line)
        found.add((finding["package"], finding["version"], finding["id"]))
    return elapsed, found


def cordon_only(binary, lockfiles, args):
    """Without cargo-audit: Cordon's times alone, and the peer reported missing."""
    print(f"cargo-audit: not installed; timing Cordon alone on {len(lockfiles)} lockfiles, {args.runs} run(s) each")
    cold_medians, warm_medians = [], []
    with tempfile.TemporaryDirectory(prefix="cordon-audit-bench-") as tmp:
        cache = Path(tmp) / "index.bin"
        cordon_findings(binary, SNAPSHOT, FIXTURES / "cargo-v1" / "Cargo.lock", cache)
        for lockfile in lockfiles:
            cold = [cordon_findings(binary, SNAPSHOT, lockfile)[0] for _ in range(args.runs)]
            warm = [cordon_findings(binary, SNAPSHOT, lockfile, cache)[0] for _ in range(args.runs)]
            cold_medians.append(statistics.median(cold))
            warm_medians.append(statistics.median(warm))
    print(f"median over {len(lockfiles)} lockfiles: cordon cold {statistics.median(cold_medians):.3f} s, "
          f"cached {statistics.median(warm_medians):.3f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "lockfiles": len(lockfiles), "runs": args.runs,
            "cargo_audit": {"status": "not installed"},
            "cordon_cold": {"median_s": statistics.median(cold_medians)},
            "cordon_cached": {"median_s": statistics.median(warm_medians)},
        }, indent=2) + "\n")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--corpus", type=Path)
    parser.add_argument("--no-install", action="store_true",
                        help="without cargo-audit, time Cordon alone and report cargo-audit as not installed")
    parser.add_argument("--json", type=Path, help="also write a summary as JSON here (bench/run-all.py reads it)")
    parser.add_argument("lockfiles", nargs="*", type=Path)
    args = parser.parse_args()
    lockfiles = args.lockfiles or sorted(FIXTURES.glob("cargo-*/Cargo.lock")) + [REPO / "Cargo.lock"]
    if args.corpus:
        lockfiles += sorted(args.corpus.expanduser().glob("**/Cargo.lock"))

    cargo_audit = find_cargo_audit(install=not args.no_install)
    binary = build_cordon()
    if cargo_audit is None:
        return cordon_only(binary, lockfiles, args)
    version = subprocess.run([cargo_audit, "audit", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"cargo-audit: {version}; {len(lockfiles)} lockfiles, {args.runs} run(s) each")

    rows, differing, failures, findings = [], 0, [], 0
    with tempfile.TemporaryDirectory(prefix="cordon-audit-bench-") as tmp:
        workdir = Path(tmp)
        db = git_copy_of_snapshot(workdir)
        cache = workdir / "index.bin"
        # Fill the cache once, as the first run of the stage would.
        cordon_findings(binary, SNAPSHOT, FIXTURES / "cargo-v1" / "Cargo.lock", cache)
        for lockfile in lockfiles:
            name = os.path.relpath(lockfile, REPO) if lockfile.is_relative_to(REPO) else str(lockfile)
            ca_times, cold_times, warm_times = [], [], []
            for _ in range(args.runs):
                elapsed, expected = cargo_audit_findings(cargo_audit, db, lockfile)
                ca_times.append(elapsed)
                elapsed, cold = cordon_findings(binary, SNAPSHOT, lockfile)
                cold_times.append(elapsed)
                elapsed, warm = cordon_findings(binary, SNAPSHOT, lockfile, cache)
                warm_times.append(elapsed)
            if isinstance(expected, Exception) or isinstance(cold, Exception):
                failures.append((name, expected if isinstance(expected, Exception) else None,
                                 cold if isinstance(cold, Exception) else None))
                continue
            findings += len(expected)
            if not (expected == cold == warm):
                differing += 1
                print(f"\n{name}: {len(expected)} cargo-audit findings, {len(cold)} cordon findings: DIFFERENT")
                for only in sorted(expected - cold):
                    print(f"  only cargo-audit: {only}")
                for only in sorted(cold - expected):
                    print(f"  only cordon:      {only}")
                if warm != cold:
                    print("  the cached index gave other findings than a fresh one")
            rows.append((name, len(expected), statistics.median(ca_times), statistics.median(cold_times),
                         statistics.median(warm_times)))

    for name, ca_error, cordon_error in failures:
        print(f"\n{name}: not compared")
        if ca_error:
            print(f"  cargo-audit: {ca_error}")
        if cordon_error:
            print(f"  cordon:      {cordon_error}")

    print(f"\nmedian wall time per lockfile of {args.runs} run(s), seconds")
    print(f"{'lockfile':60} {'findings':>8} {'cargo-audit':>12} {'cordon cold':>12} {'cordon cached':>14}")
    for name, count, ca, cold, warm in rows[:12]:
        print(f"{name[-60:]:60} {count:8} {ca:12.3f} {cold:12.3f} {warm:14.3f}")
    if len(rows) > 12:
        print(f"... {len(rows) - 12} more")
    if rows:
        columns = list(zip(*rows))
        print(f"{'median over ' + str(len(rows)) + ' lockfiles':60} {'':8} {statistics.median(columns[2]):12.3f} "
              f"{statistics.median(columns[3]):12.3f} {statistics.median(columns[4]):14.3f}")
    print(f"\nparity: {len(rows) - differing} of {len(rows)} lockfiles identical "
          f"({findings} cargo-audit findings), {len(failures)} not compared")
    if args.json:
        columns = list(zip(*rows)) if rows else [[], [], [], [], []]
        median = (lambda xs: statistics.median(xs) if xs else None)
        args.json.write_text(json.dumps({
            "lockfiles": len(rows), "runs": args.runs, "identical": len(rows) - differing,
            "not_compared": len(failures), "findings": findings,
            "cargo_audit": {"status": "ok", "version": version, "median_s": median(columns[2])},
            "cordon_cold": {"median_s": median(columns[3])}, "cordon_cached": {"median_s": median(columns[4])},
        }, indent=2) + "\n")
    return 0 if differing == 0 and not failures else 1


if __name__ == "__main__":
    sys.exit(main())
