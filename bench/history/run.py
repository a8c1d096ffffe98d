#!/usr/bin/env python3
"""Git-history secret scanning: `cordon run --git-history --only secrets`
next to Kingfisher and Betterleaks, on one repository, in one run.

The repository is built by build_repo.py from the crate versions in the local
cargo registry cache (thousands of commits, hundreds of MB of blobs; the same
cache gives the same commit ids), or given with --repo.

Every tool scans the whole history reachable from HEAD:
  cordon       cordon run REPO --git-history --only secrets --report json=...
               (warm compiled-component cache: one untimed run on a one-file
               folder fills it first, so Cranelift compilation is not timed)
  kingfisher   kingfisher scan REPO --git-history full --no-validate -f json
               (its compiled rule database is cached by one untimed run first)
  betterleaks  betterleaks git REPO --redact -o report.json

Reported per tool (median wall of --runs runs, tools interleaved per round):
  wall s, CPU s   wall-clock and user+system CPU of the process tree
  commits/s       commits in the history / wall s
  MB/s            distinct blob bytes of the history / wall s (the same
                  denominator for every tool: what the repository holds, not
                  what each tool chose to read; each tool's own count of bytes
                  scanned is listed beside it)
  findings        as each tool reports them (different rule sets: listed,
                  not scored)
and the ratio of each peer's wall and CPU time to Cordon's.

Usage: run.py [--cordon PATH] [--kingfisher PATH] [--betterleaks PATH]
              [--repo DIR | --max-mb M] [--work DIR] [--runs N] [--json OUT]
A peer that is not installed is reported as "not installed", not skipped.
"""

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parents[1]


def default_cordon():
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    return target / "release" / "cordon"


def measured(cmd, ok_codes, cwd=None):
    """Runs cmd; returns (wall seconds, CPU seconds of its process tree)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, errors="replace")
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode not in ok_codes:
        raise RuntimeError(f"{cmd[0]} exited {proc.returncode}: {proc.stderr.strip()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def tool_version(cmd):
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    words = (proc.stdout or proc.stderr).split()
    return words[-1] if words else "?"


class Cordon:
    name = "cordon"
    ok_codes = (0, 1)  # 1: findings at or above the fail-on severity

    def __init__(self, binary, work):
        self.binary = str(binary)
        self.cache = work / "cordon-cache"
        self.report = work / "cordon-report.json"
        self.version = tool_version([self.binary, "--version"])

    def warm_up(self, tiny):
        subprocess.run([self.binary, "run", str(tiny), "--only", "secrets", "--cache-dir", str(self.cache), "--quiet"],
                       check=False, capture_output=True)

    def command(self, repo):
        return [self.binary, "run", str(repo), "--git-history", "--only", "secrets", "--cache-dir", str(self.cache),
                "--quiet", "--report", f"json={self.report}"]

    def results(self):
        report = json.loads(self.report.read_text())
        stages = [s for s in report["stages"] if s["name"] == "secrets"]
        if not stages or stages[0]["status"]["state"] != "completed":
            raise RuntimeError(f"the secrets stage did not complete: {stages[0]['status'] if stages else 'missing'}")
        stage = stages[0]
        return {"findings": len(stage["findings"]), "own_bytes_scanned": stage.get("bytes_scanned")}


class Kingfisher:
    name = "kingfisher"
    ok_codes = (0, 200, 205)  # 200: findings, 205: validated findings

    def __init__(self, binary, work):
        self.binary = str(binary)
        self.cache = work / "kingfisher-rule-cache"
        self.report = work / "kingfisher-report.json"
        self.version = tool_version([self.binary, "--version"])

    def common(self):
        # No validation: it would call provider APIs, and this machine is offline.
        return ["--git-history", "full", "--no-validate", "--no-update-check", "--quiet",
                "--rule-cache-dir", str(self.cache), "--format", "json", "--output", str(self.report)]

    def warm_up(self, tiny_repo):
        subprocess.run([self.binary, "scan", str(tiny_repo)] + self.common(), check=False, capture_output=True)

    def command(self, repo):
        return [self.binary, "scan", str(repo)] + self.common()

    def results(self):
        report = json.loads(self.report.read_text())
        repos = report.get("audit", {}).get("repositories", [])
        scanned = sum(r.get("stats", {}).get("bytes_scanned", 0) for r in repos) or None
        return {"findings": len(report.get("findings", [])), "own_bytes_scanned": scanned}


class Betterleaks:
    name = "betterleaks"
    ok_codes = (0,)

    def __init__(self, binary, work):
        self.binary = str(binary)
        self.report = work / "betterleaks-report.json"
        self.version = tool_version([self.binary, "--version"])

    def warm_up(self, tiny_repo):
        subprocess.run(self.command(tiny_repo), check=False, capture_output=True)

    def command(self, repo):
        return [self.binary, "git", str(repo), "--no-banner", "--redact", "--log-level", "error",
                "--exit-code", "0", "--output", str(self.report)]

    def results(self):
        report = json.loads(self.report.read_text())
        scan = report.get("scan", {})
        findings = scan.get("num_findings")
        if findings is None:
            findings = len(report.get("findings") or [])
        return {"findings": findings, "own_bytes_scanned": scan.get("bytes_scanned")}


def build_repository(dest, max_mb):
    cmd = [sys.executable, str(HERE / "build_repo.py"), str(dest), "--force"]
    if max_mb is not None:
        cmd += ["--max-mb", str(max_mb)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return json.loads(dest.with_name(dest.name + ".stats.json").read_text())


def repository_stats(repo):
    """Commits reachable from HEAD and the bytes of all distinct blobs."""
    commits = subprocess.run(["git", "-C", str(repo), "rev-list", "--count", "HEAD"],
                             check=True, capture_output=True, text=True).stdout.strip()
    listing = subprocess.run(["git", "-C", str(repo), "rev-list", "--objects", "HEAD"],
                             check=True, capture_output=True, text=True).stdout
    object_ids = "\n".join(line.split(" ", 1)[0] for line in listing.splitlines()) + "\n"
    sizes = subprocess.run(["git", "-C", str(repo), "cat-file", "--batch-check=%(objecttype) %(objectsize)"],
                           input=object_ids, check=True, capture_output=True, text=True).stdout
    blob_bytes = sum(int(size) for kind, size in (line.split() for line in sizes.splitlines()) if kind == "blob")
    head = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"],
                          check=True, capture_output=True, text=True).stdout.strip()
    return {"commits": int(commits), "blob_bytes": blob_bytes, "head": head}


def tiny_repository(path):
    """A one-commit repository: the peers' warm-up target (rebuilt, so a
    second run in the same --work directory works)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    (path / "hello.txt").write_text("hello\n")
    git = ["git", "-C", str(path), "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    subprocess.run(git + ["init", "-q", "-b", "main"], check=True)
    subprocess.run(git + ["add", "-A"], check=True)
    subprocess.run(git + ["commit", "-q", "-m", "hello"], check=True)
    return path


def locate(explicit, name):
    if explicit:
        return explicit if Path(explicit).exists() else None
    return shutil.which(name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cordon", type=Path, default=default_cordon(), help="cordon binary (default: %(default)s)")
    parser.add_argument("--kingfisher", help="kingfisher binary (default: on PATH)")
    parser.add_argument("--betterleaks", help="betterleaks binary (default: on PATH)")
    parser.add_argument("--repo", type=Path, help="scan this repository instead of building one")
    parser.add_argument("--max-mb", type=float, help="build a smaller history: stop at M MB of distinct blobs")
    parser.add_argument("--work", type=Path, help="working directory (default: a temporary one, removed)")
    parser.add_argument("--runs", type=int, default=1, help="runs per tool; the median wall time is reported")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    if not args.cordon.is_file():
        parser.error(f"no cordon binary at {args.cordon} (--cordon PATH)")
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    temporary = None
    if args.work is None:
        temporary = tempfile.TemporaryDirectory(prefix="cordon-history-")
        work = Path(temporary.name)
    else:
        work = args.work.resolve()
        work.mkdir(parents=True, exist_ok=True)
    try:
        results = run(args, work)
    finally:
        if temporary is not None:
            temporary.cleanup()
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")


def run(args, work):
    if args.repo:
        repo = args.repo.resolve()
        origin = "given"
    else:
        repo = work / "history-repo"
        started = time.perf_counter()
        build_repository(repo, args.max_mb)
        origin = f"built from the cargo registry cache in {time.perf_counter() - started:.0f} s"
    stats = repository_stats(repo)
    tiny_dir = tiny_repository(work / "tiny")

    tools, missing = [], []
    tools.append(Cordon(args.cordon.resolve(), work))
    for cls, explicit in ((Kingfisher, args.kingfisher), (Betterleaks, args.betterleaks)):
        binary = locate(explicit, cls.name)
        if binary is None:
            missing.append(cls.name)
        else:
            tools.append(cls(binary, work))

    for tool in tools:
        tool.warm_up(tiny_dir)
    # Read the pack once so the first tool timed does not pay for a cold page cache.
    subprocess.run(["git", "-C", str(repo), "cat-file", "--batch-all-objects", "--batch"],
                   stdout=subprocess.DEVNULL, check=True)

    walls = {t.name: [] for t in tools}
    cpus = {t.name: [] for t in tools}
    extra = {}
    errors = {}
    for _ in range(args.runs):
        for tool in tools:
            if tool.name in errors:
                continue
            try:
                wall, cpu = measured(tool.command(repo), tool.ok_codes)
                extra[tool.name] = tool.results()
            except (RuntimeError, OSError, ValueError, KeyError) as err:
                errors[tool.name] = str(err)
                continue
            walls[tool.name].append(wall)
            cpus[tool.name].append(cpu)

    mb = stats["blob_bytes"] / 1e6
    rows = []
    for tool in tools:
        row = {"tool": tool.name, "version": tool.version}
        if tool.name in errors:
            row["status"] = f"failed: {errors[tool.name]}"
        else:
            wall = statistics.median(walls[tool.name])
            cpu = statistics.median(cpus[tool.name])
            row.update(status="ok", wall_s=wall, cpu_s=cpu, commits_per_s=stats["commits"] / wall,
                       mb_per_s=mb / wall, runs=len(walls[tool.name]), **extra[tool.name])
        rows.append(row)
    for name in missing:
        rows.append({"tool": name, "status": "not installed"})

    cordon = rows[0] if rows[0].get("status") == "ok" else None
    for row in rows[1:]:
        if cordon and row.get("status") == "ok":
            row["wall_ratio"] = row["wall_s"] / cordon["wall_s"]
            row["cpu_ratio"] = row["cpu_s"] / cordon["cpu_s"]

    results = {
        "repository": {**stats, "origin": origin},
        "machine": {"nproc": os.cpu_count(), "platform": platform.platform(), "loadavg": os.getloadavg()},
        "rows": rows,
    }
    print_table(results)
    return results


def print_table(results):
    repo = results["repository"]
    print(f"History: {repo['commits']} commits, {repo['blob_bytes'] / 1e6:.1f} MB of distinct blobs, "
          f"HEAD {repo['head'][:12]} ({repo['origin']}); load average after the run "
          f"{' '.join(f'{x:.2f}' for x in results['machine']['loadavg'])}\n")
    print("| tool | wall s | CPU s | commits/s | MB/s | own bytes scanned (MB) | findings | peer / cordon wall | peer / cordon CPU |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for row in results["rows"]:
        label = f"{row['tool']} {row.get('version', '')}".strip()
        if row["status"] != "ok":
            print(f"| {label} | {row['status']} | | | | | | | |")
            continue
        own = row.get("own_bytes_scanned")
        own_text = f"{own / 1e6:.1f}" if own else "n/a"
        ratio_wall = f"{row['wall_ratio']:.2f}x" if "wall_ratio" in row else ""
        ratio_cpu = f"{row['cpu_ratio']:.2f}x" if "cpu_ratio" in row else ""
        print(f"| {label} | {row['wall_s']:.2f} | {row['cpu_s']:.2f} | {row['commits_per_s']:.0f} | "
              f"{row['mb_per_s']:.1f} | {own_text} | {row['findings']} | {ratio_wall} | {ratio_cpu} |")


if __name__ == "__main__":
    main()
