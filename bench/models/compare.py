#!/usr/bin/env python3
"""Runs each scanner on every corpus file and prints a Markdown report.

Files named m* are hostile, b* benign. A tool "detects" a file when it
reports a finding; "errors" (the tool gave up) are counted separately,
since a scanner that errors out on a file has not said it is malicious.
"""
import argparse
import json
import os
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time


def run(cmd):
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    return proc, time.perf_counter() - start


def cordon(scanner, files):
    proc, elapsed = run([scanner, *files])
    results = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        sev = row.get("max_severity")
        results[row["path"]] = {
            "verdict": "detected" if sev in ("medium", "high", "critical") else ("low" if sev else "clean"),
            "seconds": row["micros"] / 1e6,
            "detail": ",".join(sorted({r.split(":")[0].removeprefix("models/") for r in row["rules"]})),
        }
    return results, elapsed


def picklescan(path):
    proc, elapsed = run(["picklescan", "-p", path])
    out = proc.stdout + proc.stderr
    infected = "Infected files: 0" not in out and "Infected files:" in out
    if infected:
        verdict = "detected"
    elif proc.returncode not in (0,) or "ERROR" in out or "Scan error" in out:
        verdict = "error"
    else:
        verdict = "clean"
    return verdict, elapsed


def modelscan(path):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        proc, elapsed = run(["modelscan", "-p", path, "-r", "json", "-o", report])
        try:
            with open(report) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return "error", elapsed
    issues = data.get("summary", {}).get("total_issues", 0) or len(data.get("issues", []))
    errors = data.get("errors", [])
    skipped = data.get("summary", {}).get("skipped", {}).get("total_skipped", 0)
    scanned = data.get("summary", {}).get("scanned", {}).get("total_scanned", 0)
    if issues:
        return "detected", elapsed
    if errors:
        return "error", elapsed
    if skipped and not scanned:
        return "skipped", elapsed
    return "clean", elapsed


def fickling(path):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "f.json")
        proc, elapsed = run(["fickling", "--check-safety", "--json-output", report, path])
        try:
            with open(report) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return ("clean" if proc.returncode == 0 else "error"), elapsed
    severity = data.get("severity", "")
    analysis = data.get("analysis", "")
    # Files that are not pickles at all come back as "invalid opcode(s)" or
    # a parse failure: the tool could not analyse them.
    if "invalid opcode" in analysis or "failed to parse" in analysis.lower():
        return "error", elapsed
    if severity in ("", "LIKELY_SAFE"):
        return "clean", elapsed
    return "detected", elapsed


TOOLS = {"picklescan": picklescan, "modelscan": modelscan, "fickling": fickling}


def make_big(big_dir):
    """Sparse 10 GiB safetensors and GGUF files: only headers are real."""
    os.makedirs(big_dir, exist_ok=True)
    size = 10 << 30
    header = json.dumps({"w": {"dtype": "F16", "shape": [(size - 8 - 256) // 2], "data_offsets": [0, size - 8 - 256]}}).encode()
    header += b" " * (256 - len(header))
    st = os.path.join(big_dir, "big.safetensors")
    with open(st, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.truncate(size)
    g = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 1, 1))
    key, val = b"general.architecture", b"llama"
    g += struct.pack("<Q", len(key)) + key + struct.pack("<I", 8) + struct.pack("<Q", len(val)) + val
    name = b"w"
    g += struct.pack("<Q", len(name)) + name + struct.pack("<I", 1) + struct.pack("<Q", (size - 4096) // 4) + struct.pack("<IQ", 0, 0)
    gg = os.path.join(big_dir, "big.gguf")
    with open(gg, "wb") as f:
        f.write(bytes(g))
        f.truncate(size)
    return [st, gg]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--scanner", required=True)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--big", required=True)
    ap.add_argument("--json", help="also write the summary as JSON here (bench/run-all.py reads it)")
    args = ap.parse_args()
    files = sorted(os.path.join(args.corpus, f) for f in os.listdir(args.corpus))
    tools = {name: fn for name, fn in TOOLS.items() if shutil.which(name)}
    for name in TOOLS:
        if name not in tools:
            print(f"note: {name} is not installed; its column is missing", file=sys.stderr)
    cordon_results, cordon_wall = cordon(args.scanner, files)
    table = {f: {"cordon": cordon_results[f]["verdict"]} for f in files}
    times = {"cordon": sum(r["seconds"] for r in cordon_results.values())}
    for name, fn in tools.items():
        total = 0.0
        for f in files:
            verdict, elapsed = fn(f)
            table[f][name] = verdict
            total += elapsed
        times[name] = total
    names = ["cordon", *tools]
    print("| file | " + " | ".join(names) + " | cordon rules |")
    print("|---|" + "---|" * (len(names) + 1))
    for f in files:
        base = os.path.basename(f)
        print(f"| {base} | " + " | ".join(table[f][n] for n in names) + f" | {cordon_results[f]['detail']} |")
    mal = [f for f in files if os.path.basename(f).startswith("m")]
    ben = [f for f in files if os.path.basename(f).startswith("b")]
    print()
    print("| tool | hostile detected | hostile errored/skipped | benign flagged (FP) | benign errored/skipped | total time (s) |")
    print("|---|---|---|---|---|---|")
    for n in names:
        det = sum(table[f][n] == "detected" for f in mal)
        mal_err = sum(table[f][n] in ("error", "skipped") for f in mal)
        fp = sum(table[f][n] == "detected" for f in ben)
        ben_err = sum(table[f][n] in ("error", "skipped") for f in ben)
        print(f"| {n} | {det}/{len(mal)} | {mal_err} | {fp}/{len(ben)} | {ben_err} | {times[n]:.3f} |")
    if args.json:
        rows = []
        for n in names:
            rows.append({"tool": n, "status": "ok",
                         "hostile_detected": sum(table[f][n] == "detected" for f in mal), "hostile": len(mal),
                         "benign_flagged": sum(table[f][n] == "detected" for f in ben), "benign": len(ben),
                         "errored": sum(table[f][n] in ("error", "skipped") for f in files),
                         "total_s": times[n]})
        rows[0]["process_wall_s"] = cordon_wall
        rows += [{"tool": n, "status": "not installed"} for n in TOOLS if n not in tools]
        with open(args.json, "w") as out:
            json.dump({"files": len(files), "rows": rows}, out, indent=2)
    print()
    print(f"cordon: one process for all {len(files)} files took {cordon_wall:.3f} s wall "
          f"(in-engine sum {times['cordon'] * 1000:.2f} ms, median per file "
          f"{statistics.median(r['seconds'] for r in cordon_results.values()) * 1e6:.0f} µs); "
          "the Python tools are started once per file.")
    big = make_big(args.big)
    big_results, _ = cordon(args.scanner, big)
    for f in big:
        r = big_results[f]
        print(f"cordon header-only check of 10 GiB {os.path.basename(f)}: {r['seconds'] * 1000:.3f} ms, verdict {r['verdict']}")


if __name__ == "__main__":
    main()
