#!/usr/bin/env python3
"""Runs every Cordon benchmark with its peers in one go and prints one table
of ratios, with the date, the machine and the load average.

  startup   bench/startup/run.sh      cold (fresh empty cache dir) and warm
                                      start-up on a one-file workspace, and
                                      the secret/dependency scanners there
  secrets   bench/secrets/run.py      a seeded corpus of registry source with
                                      planted credentials and decoys
  models    bench/models/run.sh       hostile and benign model files
  audit     bench/audit/compare.py    the same lockfiles against the same
                                      RustSec snapshot as cargo-audit
  history   bench/history/run.py      `--git-history` on a history rebuilt
                                      from the cargo registry cache

Every sub-benchmark gets the same cordon binary (--cordon; default
target/release/cordon; nothing here builds the runner). The secrets, models and
audit benchmarks build their engine examples in release if needed (cargo;
CARGO_BUILD_JOBS=1 unless set). Peers are looked up on PATH (--peers-bin DIR
puts, e.g., a virtualenv's bin first); a peer that is missing is a
"not installed" row, a sub-benchmark that fails is a "failed" row with its
log, and nothing is left out silently.

Ratios are peer time / Cordon time (or Cordon throughput / peer throughput):
above 1 means Cordon is faster.

Usage: bench/run-all.py [--cordon PATH] [--quick] [--out DIR]
                        [--only startup,secrets,models,audit,history]
                        [--peers-bin DIR]
--quick uses smaller corpora and fewer runs (a few minutes on 2 cores); the
default sizes are what the README's table is made from.
"""

import argparse
import datetime
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
ALL = ["startup", "secrets", "models", "audit", "history"]

# (quick, full) settings per sub-benchmark.
SETTINGS = {
    "startup": {"quick": ["--runs", "2", "--warm-runs", "5"], "full": ["--runs", "3", "--warm-runs", "15"]},
    "secrets": {"quick": ["--size-mb", "8", "--runs", "1"], "full": ["--size-mb", "32", "--runs", "1"]},
    "audit": {"quick": ["--runs", "3"], "full": ["--runs", "5"]},
    "history": {"quick": ["--max-mb", "60"], "full": []},
    # The full run also times six sparse 10 GiB model files (about 15 minutes).
    "models": {"quick": ["--no-big"], "full": []},
}


def machine():
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                memory = f"{int(line.split()[1]) / 1024 / 1024:.0f} GiB"
    except (OSError, ValueError):
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip() or str(os.cpu_count())
    return {"nproc": nproc, "cpu": cpu, "memory": memory, "kernel": platform.release()}


def loadavg():
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def describe_binary(cordon):
    digest = hashlib.sha256(cordon.read_bytes()).hexdigest()[:12]
    version = subprocess.run([str(cordon), "--version"], capture_output=True, text=True).stdout.strip()
    return f"{version or 'cordon'} (sha256 {digest}…)"


class Table:
    def __init__(self):
        self.rows = []

    def add(self, bench, measure, cordon, peer="", peer_value="", ratio=None, note=""):
        ratio_text = "" if ratio is None else f"{ratio:.2f}x"
        self.rows.append((bench, measure, cordon, peer, peer_value, ratio_text, note))

    def missing(self, bench, peer, what="not installed"):
        self.rows.append((bench, "", "", peer, what, "", ""))

    def markdown(self):
        lines = ["| benchmark | measure | cordon | peer | peer value | peer / cordon | note |",
                 "|---|---|---:|---|---:|---:|---|"]
        lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in self.rows]
        return "\n".join(lines)


def run_step(name, cmd, out, env, timeout):
    log = out / f"{name}.log"
    print(f"== {name}: {' '.join(cmd)}", flush=True)
    started = time.perf_counter()
    with open(log, "w") as handle:
        try:
            proc = subprocess.run(cmd, cwd=REPO, stdout=handle, stderr=subprocess.STDOUT, env=env, timeout=timeout)
            code = proc.returncode
        except subprocess.TimeoutExpired:
            code = "timeout"
    elapsed = time.perf_counter() - started
    print(f"   {name}: exit {code} after {elapsed:.0f} s, log {log}", flush=True)
    return code, elapsed


def ms(seconds):
    return f"{seconds * 1000:.0f} ms"


def startup_rows(table, out_dir):
    results = {}
    for part in ["cold", "warm", "nocache", "peers"]:
        path = out_dir / f"{part}.json"
        if path.exists():
            for r in json.loads(path.read_text())["results"]:
                results[r["command"]] = r
    median = {k: r["median"] for k, r in results.items()}
    cpu = {k: r["user"] + r["system"] for k, r in results.items()}
    for kind in ["secrets", "default pipeline"]:
        cold, warm = median.get(f"{kind}, cold cache"), median.get(f"{kind}, warm cache")
        if cold is None or warm is None:
            table.add("startup", kind, "missing from the results")
            continue
        table.add("startup", f"{kind}, cold (empty cache dir), wall", ms(cold),
                  note=f"CPU {ms(cpu[f'{kind}, cold cache'])}; cold / warm {cold / warm:.1f}x")
        table.add("startup", f"{kind}, warm, wall", ms(warm), note=f"CPU {ms(cpu[f'{kind}, warm cache'])}")
    plain = "default pipeline, warm cache, database a plain directory"
    if plain in median:
        table.add("startup", "default pipeline, warm, database a plain directory (not a git checkout), wall",
                  ms(median[plain]), note=f"CPU {ms(cpu[plain])}")
    warm_secrets = median.get("secrets, warm cache")
    for name, value in median.items():
        if "cache" in name or warm_secrets is None:
            continue
        table.add("startup", "one-file workspace, wall (vs secrets warm)", ms(warm_secrets), name, ms(value),
                  value / warm_secrets)
    missing_file = out_dir / "missing.txt"
    if missing_file.exists():
        for name in missing_file.read_text().splitlines():
            if name.strip():
                table.missing("startup", name.strip())


def secrets_rows(table, data):
    rows = {r["tool"]: r for r in data["rows"]}
    sandbox = rows.get("cordon (secrets stage, sandbox)")
    native = rows.get("cordon (native engine)")
    corpus = f"{data['corpus_mb']:.1f} MB corpus"
    if native and native["status"] == "ok":
        table.add("secrets", f"native engine, {corpus}, MB/s", f"{native['mb_per_s']:.1f}",
                  note=f"recall {native['recall']:.3f}, decoy FP {native['decoy_fp']}/{native['decoys']}")
    if not sandbox or sandbox["status"] != "ok":
        table.add("secrets", "sandbox", "missing from the results")
        return
    table.add("secrets", f"secrets stage (sandbox), {corpus}, MB/s", f"{sandbox['mb_per_s']:.1f}",
              note=f"recall {sandbox['recall']:.3f}, decoy FP {sandbox['decoy_fp']}/{sandbox['decoys']}")
    for tool, row in rows.items():
        if tool.startswith("cordon"):
            continue
        if row["status"] != "ok":
            table.missing("secrets", tool, row["status"])
            continue
        table.add("secrets", "MB/s, whole process (sandbox vs peer)", f"{sandbox['mb_per_s']:.1f}", tool,
                  f"{row['mb_per_s']:.1f}", sandbox["mb_per_s"] / row["mb_per_s"],
                  f"peer recall {row['recall']:.3f}, decoy FP {row['decoy_fp']}/{row['decoys']}")


def models_rows(table, data):
    rows = {r["tool"]: r for r in data["rows"]}
    cordon = rows["cordon"]
    wall = cordon["process_wall_s"]
    table.add("models", f"{data['files']} files, one process, wall", f"{wall:.3f} s",
              note=f"hostile {cordon['hostile_detected']}/{cordon['hostile']}, "
                   f"benign flagged {cordon['benign_flagged']}/{cordon['benign']}")
    for tool, row in rows.items():
        if tool == "cordon":
            continue
        if row["status"] != "ok":
            table.missing("models", tool, row["status"])
            continue
        table.add("models", "all files, total wall (peer started per file)", f"{wall:.3f} s", tool,
                  f"{row['total_s']:.2f} s", row["total_s"] / wall,
                  f"peer hostile {row['hostile_detected']}/{row['hostile']}, benign flagged "
                  f"{row['benign_flagged']}/{row['benign']}, errored {row['errored']}")


def audit_rows(table, data):
    cold, cached = data["cordon_cold"]["median_s"], data["cordon_cached"]["median_s"]
    table.add("audit", f"{data['lockfiles']} lockfiles, median wall per lockfile", f"{cached:.3f} s",
              note=f"cached index; a cold index parse takes {cold:.3f} s")
    peer = data["cargo_audit"]
    if peer["status"] != "ok":
        table.missing("audit", "cargo-audit", peer["status"])
        return
    table.add("audit", "median wall per lockfile (cached index)", f"{cached:.3f} s", peer["version"],
              f"{peer['median_s']:.3f} s", peer["median_s"] / cached,
              f"parity {data['identical']}/{data['lockfiles']} lockfiles identical")
    table.add("audit", "median wall per lockfile (cold index)", f"{cold:.3f} s", peer["version"],
              f"{peer['median_s']:.3f} s", peer["median_s"] / cold)


def history_rows(table, data):
    repo = data["repository"]
    shape = f"{repo['commits']} commits, {repo['blob_bytes'] / 1e6:.0f} MB of blobs"
    rows = data["rows"]
    cordon = rows[0]
    if cordon["status"] != "ok":
        table.add("history", shape, cordon["status"])
        return
    table.add("history", f"{shape}: wall", f"{cordon['wall_s']:.1f} s",
              note=f"{cordon['commits_per_s']:.0f} commits/s, {cordon['mb_per_s']:.1f} MB/s, "
                   f"CPU {cordon['cpu_s']:.1f} s, {cordon['findings']} findings")
    for row in rows[1:]:
        label = f"{row['tool']} {row.get('version', '')}".strip()
        if row["status"] != "ok":
            table.missing("history", label, row["status"])
            continue
        table.add("history", "wall", f"{cordon['wall_s']:.1f} s", label, f"{row['wall_s']:.1f} s", row["wall_ratio"],
                  f"{row['commits_per_s']:.0f} commits/s, {row['mb_per_s']:.1f} MB/s, {row['findings']} findings")
        table.add("history", "CPU", f"{cordon['cpu_s']:.1f} s", label, f"{row['cpu_s']:.1f} s", row["cpu_ratio"])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    parser.add_argument("--cordon", type=Path, default=target / "release" / "cordon",
                        help="the cordon binary every sub-benchmark uses (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="smaller corpora and fewer runs")
    parser.add_argument("--out", type=Path, help="logs and results (default: a new temporary directory, kept)")
    parser.add_argument("--only", default=",".join(ALL), help="comma-separated subset of " + ",".join(ALL))
    parser.add_argument("--peers-bin", type=Path, help="a directory of peer tools to put first on PATH")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per sub-benchmark (default: %(default)s)")
    args = parser.parse_args()

    selected = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = [s for s in selected if s not in ALL]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if not args.cordon.is_file():
        parser.error(f"no cordon binary at {args.cordon} (build it: cargo build --release -p cordon, or --cordon PATH)")
    cordon = args.cordon.resolve()
    out = (args.out or Path(tempfile.mkdtemp(prefix="cordon-bench-all-"))).resolve()
    out.mkdir(parents=True, exist_ok=True)

    env = dict(os.environ)
    env.setdefault("CARGO_BUILD_JOBS", "1")
    if args.peers_bin:
        env["PATH"] = f"{args.peers_bin.resolve()}{os.pathsep}{env.get('PATH', '')}"
    mode = "quick" if args.quick else "full"

    started_at = datetime.datetime.now(datetime.timezone.utc)
    host = machine()
    header = [
        f"Date: {started_at:%Y-%m-%d %H:%M} UTC; mode: {mode}",
        f"Machine: {host['nproc']} CPUs ({host['cpu']}), {host['memory']} RAM, Linux {host['kernel']}",
        f"Cordon: {describe_binary(cordon)}",
        f"Load average (1/5/15 min) at the start: {loadavg()}",
    ]
    print("\n".join(header), flush=True)

    table = Table()
    loads = []
    for name in selected:
        load_before = loadavg()
        json_out = out / f"{name}.json"
        if name == "startup":
            cmd = [str(BENCH / "startup" / "run.sh"), "--cordon", str(cordon), "--out", str(out / "startup")]
        elif name == "secrets":
            cmd = [sys.executable, str(BENCH / "secrets" / "run.py"), "--cordon", str(cordon), "--json", str(json_out)]
        elif name == "models":
            cmd = [str(BENCH / "models" / "run.sh"), str(out / "models-work"), "--cordon", str(cordon),
                   "--json", str(json_out)]
        elif name == "audit":
            cmd = [sys.executable, str(BENCH / "audit" / "compare.py"), "--no-install", "--json", str(json_out)]
        else:
            cmd = [sys.executable, str(BENCH / "history" / "run.py"), "--cordon", str(cordon),
                   "--work", str(out / "history-work"), "--json", str(json_out)]
        cmd += SETTINGS.get(name, {}).get(mode, [])
        code, elapsed = run_step(name, cmd, out, env, args.timeout)
        loads.append(f"{name} {load_before} -> {loadavg()} ({elapsed:.0f} s)")
        try:
            if name == "startup":
                if code != 0:
                    raise RuntimeError(f"exit {code}")
                startup_rows(table, out / "startup")
            else:
                if not json_out.exists():
                    raise RuntimeError(f"exit {code}, no results")
                data = json.loads(json_out.read_text())
                {"secrets": secrets_rows, "models": models_rows, "audit": audit_rows,
                 "history": history_rows}[name](table, data)
        except (RuntimeError, KeyError, ValueError, TypeError) as err:
            table.add(name, "failed", f"{err}; see {name}.log")

    text = "\n".join(f"- {line}" for line in header) + "\n\n" + table.markdown() + "\n\nLoad average (1/5/15 min) before -> after each:\n"
    text += "\n".join(f"- {line}" for line in loads) + "\n"
    (out / "summary.md").write_text(text)
    print("\n" + text)
    print(f"logs and results in {out}")
    # Not zero when a sub-benchmark failed, so a CI job notices.
    return 1 if any(row[1] == "failed" for row in table.rows) else 0


if __name__ == "__main__":
    sys.exit(main())
