#!/usr/bin/env python3
"""Compare Cordon's audit engine with cargo-audit on the same lockfiles.

Both read the RustSec snapshot beside the repository (../shared/advisory-db);
cargo-audit gets it as a throw-away local git repository (`--db`, `--no-fetch`,
`--stale`, `--no-yanked`: yanked checks need the live crates.io index). The
findings of each tool are reduced to (package, version, advisory id) sets and
diffed; wall times are the median of several runs.

usage: bench/audit/compare.py [--runs N] [LOCKFILE ...]
  default lockfiles: the engine's Cargo.lock fixtures and the repo's Cargo.lock
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


def find_cargo_audit():
    explicit = os.environ.get("CARGO_AUDIT")
    if explicit:
        return explicit
    found = shutil.which("cargo-audit")
    if found:
        return found
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
        sys.exit(f"cargo-audit failed on {lockfile}:\n{result.stderr}")
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
        sys.exit(f"audit_dir failed on {lockfile}:\n{result.stderr}")
    found = set()
    for line in result.stdout.splitlines():
        finding = json.loads(line)
        found.add((finding["package"], finding["version"], finding["id"]))
    return elapsed, found


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("lockfiles", nargs="*", type=Path)
    args = parser.parse_args()
    lockfiles = args.lockfiles or sorted(FIXTURES.glob("cargo-*/Cargo.lock")) + [REPO / "Cargo.lock"]

    cargo_audit = find_cargo_audit()
    binary = build_cordon()
    version = subprocess.run([cargo_audit, "audit", "--version"], capture_output=True, text=True).stdout.strip()
    print(f"cargo-audit: {version}")

    all_equal = True
    rows = []
    with tempfile.TemporaryDirectory(prefix="cordon-audit-bench-") as tmp:
        workdir = Path(tmp)
        db = git_copy_of_snapshot(workdir)
        cache = workdir / "index.bin"
        # Fill the cache once, as the first run of the stage would.
        cordon_findings(binary, SNAPSHOT, lockfiles[0], cache)
        for lockfile in lockfiles:
            ca_times, cold_times, warm_times = [], [], []
            for _ in range(args.runs):
                elapsed, expected = cargo_audit_findings(cargo_audit, db, lockfile)
                ca_times.append(elapsed)
                elapsed, cold = cordon_findings(binary, SNAPSHOT, lockfile)
                cold_times.append(elapsed)
                elapsed, warm = cordon_findings(binary, SNAPSHOT, lockfile, cache)
                warm_times.append(elapsed)
            name = os.path.relpath(lockfile, REPO)
            equal = expected == cold == warm
            all_equal &= equal
            print(f"\n{name}: {len(expected)} cargo-audit findings, {len(cold)} cordon findings -> "
                  f"{'identical' if equal else 'DIFFERENT'}")
            for only in sorted(expected - cold):
                print(f"  only cargo-audit: {only}")
            for only in sorted(cold - expected):
                print(f"  only cordon:      {only}")
            if warm != cold:
                print("  cached index gave different findings!")
            rows.append((name, statistics.median(ca_times), statistics.median(cold_times),
                         statistics.median(warm_times)))

    print(f"\nmedian wall time of {args.runs} runs (seconds)")
    print(f"{'lockfile':45} {'cargo-audit':>12} {'cordon cold':>12} {'cordon cached':>14}")
    for name, ca, cold, warm in rows:
        print(f"{name:45} {ca:12.3f} {cold:12.3f} {warm:14.3f}")
    print("\nparity:", "identical findings on every lockfile" if all_equal else "DIFFERENCES (see above)")
    return 0 if all_equal else 1


if __name__ == "__main__":
    sys.exit(main())
