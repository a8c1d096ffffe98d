#!/usr/bin/env python3
"""Secret-scanning benchmark: Cordon's native engine next to ripsecrets,
detect-secrets, Kingfisher and Betterleaks, on one seeded corpus, in one run.

The corpus is real source text (seeded picks from the local cargo registry,
or generated text when there is none) with fake credentials and decoys
planted at known lines; the ground truth stays outside the scanned folder.

Reported per tool:
  recall        planted credentials reported on their line(s)
  decoy FP      planted decoys (UUIDs, hashes, lockfile integrity values,
                documented example keys, placeholders, public keys,
                low-entropy strings, bad-checksum tokens) that were reported
  other         findings on unplanted lines (the registry's own test keys and
                fixtures; listed, not scored)
  MB/s          corpus bytes / wall-clock seconds of the whole process
                (start-up and file reading included, as a user sees it); for
                Cordon also the in-process scan rate.

Cordon is measured twice: the native engine in-process (the `bench_corpus`
example) and the real `secrets` stage inside the wasmtime sandbox
(`cordon run corpus --only secrets --report json=...`), with a warm
compiled-component cache so Cranelift compilation is not timed; its "scan
only" column is the stage's own `duration_ms` from the JSON report
(instantiation, host calls and scanning, no process start-up).

Usage: python3 bench/secrets/run.py [--seed N] [--size-mb M] [--work DIR]
                                    [--runs N] [--cordon PATH]
Tools that are not installed are reported as missing, not skipped silently.
With --runs N every tool runs N times and the median wall time is reported.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cargo_registry():
    home = Path(os.environ.get("CARGO_HOME", Path.home() / ".cargo"))
    src = home / "registry" / "src"
    return src if src.is_dir() else None


def build_driver(cordon):
    """Builds the corpus driver, and the `cordon` binary unless one is given."""
    env = dict(os.environ)
    packages = ["-p", "cordon-secrets", "--example", "bench_corpus"]
    subprocess.run(["cargo", "build", "--release", "-q"] + packages, cwd=REPO, check=True, env=env)
    target = Path(env.get("CARGO_TARGET_DIR", REPO / "target"))
    if cordon is None:
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "cordon"], cwd=REPO, check=True, env=env)
        cordon = target / "release" / "cordon"
    return target / "release" / "examples" / "bench_corpus", Path(cordon).resolve()


def timed(cmd, cwd):
    started = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, errors="replace")
    return proc, time.perf_counter() - started


def run_cordon(driver, work):
    proc, wall = timed([str(driver), "scan", "corpus"], work)
    if proc.returncode != 0:
        raise SystemExit(f"cordon scan failed: {proc.stderr}")
    report = json.loads(proc.stdout)
    hits = [(f["path"], f["line"], f["end_line"]) for f in report["findings"]]
    return hits, wall, report["bytes"] / report["seconds"] / 1e6


def run_cordon_sandbox(cordon, work, cache):
    """The `secrets` stage in the sandbox; the cache was warmed beforehand."""
    report_path = work / "cordon-report.json"
    proc, wall = timed([str(cordon), "run", "corpus", "--only", "secrets", "--report",
                        f"json={report_path}", "--cache-dir", str(cache), "--quiet"], work)
    # 1: findings at or above fail-on (expected here); 2: a stage did not complete.
    if proc.returncode not in (0, 1):
        raise SystemExit(f"cordon run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    report = json.loads(report_path.read_text())
    hits = []
    stage_ms = 0
    for stage in report["stages"]:
        if stage["findings_truncated"]:
            raise SystemExit("the finding cap truncated the report; raise max-findings")
        if stage["skipped"]:
            print(f"note: cordon skipped {len(stage['skipped'])} file(s)", file=sys.stderr)
        stage_ms += stage["duration_ms"]
        for finding in stage["findings"]:
            location = finding["location"] or {}
            region = location.get("region") or {}
            if "path" in location and region:
                hits.append((location["path"], region["start_line"], region["end_line"]))
    return hits, wall, CORPUS_BYTES[0] / (stage_ms / 1000) / 1e6


# The corpus size, for the sandbox's in-stage rate (set in main).
CORPUS_BYTES = [0]


def run_ripsecrets(work):
    exe = shutil.which("ripsecrets")
    if not exe:
        return None
    proc, wall = timed([exe, "corpus"], work)
    hits = []
    for line in proc.stdout.splitlines():
        match = re.match(r"^(?:\./)?corpus/([^:]+):(\d+):", line)
        if match:
            hits.append((match.group(1), int(match.group(2)), int(match.group(2))))
    return hits, wall, None


def run_detect_secrets(work):
    exe = shutil.which("detect-secrets")
    if not exe:
        return None
    proc, wall = timed([exe, "scan", "--all-files", "corpus"], work)
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr[-2000:]}")
    results = json.loads(proc.stdout)["results"]
    hits = []
    for filename, entries in results.items():
        name = filename.split("corpus/", 1)[-1]
        hits.extend((name, e["line_number"], e["line_number"]) for e in entries)
    return hits, wall, None


def corpus_relative(path):
    return str(path).replace("\\", "/").split("corpus/", 1)[-1]


def run_kingfisher(work):
    exe = shutil.which("kingfisher")
    if not exe:
        return None
    report = work / "kingfisher-report.json"
    # No validation (it calls provider APIs); every occurrence, not one per
    # distinct value, so each planted line can be scored. The compiled rule
    # database is cached in the work folder by an untimed first run.
    cmd = [exe, "scan", "corpus", "--git-history", "none", "--no-validate", "--no-update-check", "--quiet",
           "--no-dedup", "--rule-cache-dir", str(work / "kingfisher-rule-cache"), "--format", "json",
           "--output", str(report)]
    if not (work / "kingfisher-rule-cache").exists():
        (work / "kingfisher-warm-up").mkdir(exist_ok=True)
        subprocess.run(cmd[:2] + [str(work / "kingfisher-warm-up")] + cmd[3:], cwd=work, capture_output=True)
    proc, wall = timed(cmd, work)
    if proc.returncode not in (0, 200, 205):  # 200/205: findings
        raise SystemExit(f"kingfisher failed ({proc.returncode}): {proc.stderr[-2000:]}")
    hits = []
    for entry in json.loads(report.read_text()).get("findings", []):
        finding = entry["finding"]
        hits.append((corpus_relative(finding["path"]), finding["line"], finding["line"]))
    return hits, wall, None


def run_betterleaks(work):
    exe = shutil.which("betterleaks")
    if not exe:
        return None
    report = work / "betterleaks-report.json"
    proc, wall = timed([exe, "fs", "corpus", "--no-banner", "--redact", "--log-level", "error",
                        "--exit-code", "0", "--output", str(report)], work)
    if proc.returncode != 0:
        raise SystemExit(f"betterleaks failed ({proc.returncode}): {proc.stderr[-2000:]}")
    hits = []
    for finding in json.loads(report.read_text()).get("findings") or []:
        location = finding["location"]
        hits.append((corpus_relative(location["path"]), location["start_line"], location["end_line"]))
    return hits, wall, None


def score(hits, truth):
    by_path = defaultdict(list)
    for path, start, end in hits:
        by_path[path].append((start, end))

    def hit(entry):
        return any(s <= entry["line_end"] and entry["line_start"] <= e for s, e in by_path[entry["path"]])

    found = [hit(s) for s in truth["secrets"]]
    flagged = [hit(d) for d in truth["decoys"]]
    planted = defaultdict(list)
    for entry in truth["secrets"] + truth["decoys"]:
        planted[entry["path"]].append((entry["line_start"], entry["line_end"]))
    other = sum(
        1 for path, start, end in hits
        if not any(s <= end and start <= e for s, e in planted[path])
    )
    missed = Counter(s["label"] for s, ok in zip(truth["secrets"], found) if not ok)
    decoy_fp = Counter(d["label"] for d, bad in zip(truth["decoys"], flagged) if bad)
    return {
        "recall": sum(found) / len(found),
        "found": sum(found),
        "secrets": len(found),
        "decoy_fp": sum(flagged),
        "decoys": len(flagged),
        "other": other,
        "missed": missed,
        "decoy_classes": decoy_fp,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--size-mb", type=int, default=32)
    parser.add_argument("--work", type=Path, help="keep the corpus here (default: a temporary folder)")
    parser.add_argument("--runs", type=int, default=1, help="runs per tool; the median wall time is reported")
    parser.add_argument("--cordon", type=Path, help="the cordon binary (default: build it)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here (bench/run-all.py reads it)")
    args = parser.parse_args()

    driver, cordon = build_driver(args.cordon)
    work = args.work or Path(tempfile.mkdtemp(prefix="cordon-secrets-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source = cargo_registry()
    cmd = [str(driver), "generate", str(work), str(args.seed), str(args.size_mb)]
    if source:
        cmd.append(str(source))
    subprocess.run(cmd, check=True)
    truth = json.loads((work / "truth.json").read_text())
    megabytes = truth["bytes"] / 1e6
    CORPUS_BYTES[0] = truth["bytes"]
    # Warm the compiled-component cache (and the page cache) once, untimed.
    cache = work / "cordon-cache"
    warm = subprocess.run([str(cordon), "run", "corpus", "--only", "secrets", "--cache-dir",
                           str(cache), "--quiet"], cwd=work, capture_output=True, text=True)
    if warm.returncode not in (0, 1):
        raise SystemExit(f"cordon run failed: {warm.stderr[-2000:]}")

    print(f"corpus: {megabytes:.1f} MB of {truth['source']} text, seed {args.seed}, "
          f"{len(truth['secrets'])} planted credentials ({len({s['label'] for s in truth['secrets']})} rules), "
          f"{len(truth['decoys'])} decoys\n")
    print("| tool | recall | decoy FP | other findings | MB/s (wall) | MB/s (scan only) |")
    print("|---|---|---|---|---|---|")
    details = {}
    rates = {}
    summary = []
    for name, runner in [
        ("cordon (native engine)", lambda: run_cordon(driver, work)),
        ("cordon (secrets stage, sandbox)", lambda: run_cordon_sandbox(cordon, work, cache)),
        ("ripsecrets", lambda: run_ripsecrets(work)),
        ("detect-secrets", lambda: run_detect_secrets(work)),
        ("kingfisher", lambda: run_kingfisher(work)),
        ("betterleaks", lambda: run_betterleaks(work)),
    ]:
        results = [runner() for _ in range(args.runs)]
        if results[0] is None:
            print(f"| {name} | not installed | | | | |")
            summary.append({"tool": name, "status": "not installed"})
            continue
        # Every run finds the same things; keep the median wall time (and the
        # median in-process rate).
        hits = results[0][0]
        wall = sorted(r[1] for r in results)[len(results) // 2]
        scan_rates = sorted(r[2] for r in results if r[2])
        scan_rate = scan_rates[len(scan_rates) // 2] if scan_rates else None
        s = score(hits, truth)
        details[name] = s
        rates[name] = megabytes / wall
        inner = f"{scan_rate:.0f}" if scan_rate else "n/a"
        summary.append({"tool": name, "status": "ok", "wall_s": wall,
                        "mb_per_s": megabytes / wall, "scan_only_mb_per_s": scan_rate, "recall": s["recall"],
                        "decoy_fp": s["decoy_fp"], "decoys": s["decoys"], "other": s["other"]})
        print(f"| {name} | {s['recall']:.3f} ({s['found']}/{s['secrets']}) | "
              f"{s['decoy_fp'] / s['decoys']:.1%} ({s['decoy_fp']}/{s['decoys']}) | {s['other']} | "
              f"{megabytes / wall:.1f} | {inner} |")
    print()
    for peer in [name for name in rates if not name.startswith("cordon")]:
        print(f"cordon / {peer} wall-clock throughput: "
              f"{rates['cordon (native engine)'] / rates[peer]:.1f}x (native engine), "
              f"{rates['cordon (secrets stage, sandbox)'] / rates[peer]:.1f}x (sandbox)")
    print(f"sandbox / native wall-clock throughput: "
          f"{rates['cordon (secrets stage, sandbox)'] / rates['cordon (native engine)']:.2f}")
    for name, s in details.items():
        if s["missed"]:
            print(f"\n{name} missed: " + ", ".join(f"{k} x{v}" for k, v in sorted(s["missed"].items())))
        if s["decoy_classes"]:
            print(f"{name} reported decoys: " + ", ".join(f"{k} x{v}" for k, v in sorted(s["decoy_classes"].items())))
    if args.json:
        args.json.write_text(json.dumps({"corpus_mb": megabytes, "runs": args.runs, "rows": summary}, indent=2) + "\n")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
