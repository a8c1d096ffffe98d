#!/usr/bin/env python3
"""Runs the `cordon` binary and the peer scanners over the model corpus and
prints Markdown tables.

Files whose names start with `m` are hostile, `b` benign. Each tool gets a
verdict per file:

- `fail`: a finding that makes the tool exit non-zero (Cordon: high or
  critical, the default `fail-on`; picklescan: "dangerous"; modelscan: any
  issue; fickling: anything but LIKELY_SAFE);
- `report`: a finding that does not fail the run (Cordon: medium;
  picklescan: "suspicious" globals only);
- `clean`, or `error` / `skipped` / `timeout` when the tool gave up without
  a verdict (a parse error, even one it only warns about and exits 0 on; a
  format it does not read; the time limit).

Cordon runs once over the whole folder, as a user runs it
(`cordon run DIR --only models`), and its per-file verdicts come from the
JSON report. The peers run once per file for their verdicts, and once over
the folder (where they can) for their wall time. Then each tool is timed on
sparse 10 GiB files, Cordon with its default options (the host hashes each
model file natively for the inventory) and with `sha256 = false`.
"""
import argparse
import json
import os
import resource
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import zlib

SEVERITIES = ["info", "low", "medium", "high", "critical"]
# Peers scanning a 10 GiB file get at most this much address space, so a
# tool that reads the whole file into memory fails instead of swapping the
# shared machine.
PEER_MEMORY_LIMIT = 8 << 30


def limit_memory():
    resource.setrlimit(resource.RLIMIT_AS, (PEER_MEMORY_LIMIT, PEER_MEMORY_LIMIT))


def run(cmd, timeout, limit=False):
    start = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                              preexec_fn=limit_memory if limit else None)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start
    return proc, time.perf_counter() - start


# --- Cordon ---------------------------------------------------------------

def cordon_run(binary, workspace, pipeline=None, audit=None):
    """One `cordon run` over `workspace`: (stage report, wall seconds)."""
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "report.json")
        cmd = [binary, "run", workspace, "--only", "models", "-q", "--report", f"json={report}"]
        if pipeline:
            cmd += ["--pipeline", pipeline]
        if audit:
            cmd += ["--audit-log", audit]
        start = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - start
        # 0: nothing at or above fail-on, 1: something is. Anything else is
        # a failed run, not a verdict.
        if proc.returncode not in (0, 1):
            sys.exit(f"cordon failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
        with open(report) as f:
            data = json.load(f)
    stage = next(s for s in data["stages"] if s["name"] == "models")
    if stage["status"]["state"] != "completed":
        sys.exit(f"models stage did not complete: {stage['status']}")
    return stage, wall


def cordon_verdicts(stage, names):
    worst = {}
    rules = {}
    for finding in stage["findings"]:
        path = finding["location"]["path"]
        level = SEVERITIES.index(finding["severity"])
        worst[path] = max(worst.get(path, -1), level)
        rules.setdefault(path, set()).add(finding["rule_id"].removeprefix("models/"))
    verdicts = {}
    for name in names:
        level = worst.get(name, -1)
        if level >= SEVERITIES.index("high"):
            verdict = "fail"
        elif level == SEVERITIES.index("medium"):
            verdict = "report"
        else:
            verdict = "clean"
        severity = SEVERITIES[level] if level >= 0 else "-"
        verdicts[name] = (verdict, severity, ",".join(sorted(rules.get(name, ()))))
    return verdicts


# --- Peers ----------------------------------------------------------------

def picklescan(path, timeout, strict=False, limit=False):
    proc, elapsed = run(["picklescan", *(["--strict"] if strict else []), "-p", path], timeout, limit)
    if proc is None:
        return "timeout", elapsed
    out = proc.stdout + proc.stderr
    if "Infected files:" in out and "Infected files: 0" not in out:
        return "fail", elapsed
    # "could not parse ... as pickle" is only a warning (exit 0), but the
    # file went unanalysed.
    if proc.returncode != 0 or "ERROR" in out or "Traceback" in out or "could not parse" in out:
        return "error", elapsed
    if "Suspicious globals:" in out and "Suspicious globals: 0" not in out:
        return "report", elapsed
    if "Scanned files: 0" in out:
        return "skipped", elapsed
    return "clean", elapsed


def picklescan_strict(path, timeout, limit=False):
    return picklescan(path, timeout, strict=True, limit=limit)


def modelscan(path, timeout, limit=False):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "r.json")
        proc, elapsed = run(["modelscan", "-p", path, "-r", "json", "-o", report], timeout, limit)
        if proc is None:
            return "timeout", elapsed
        try:
            with open(report) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return "error", elapsed
    summary = data.get("summary", {})
    if summary.get("total_issues", 0) or data.get("issues"):
        return "fail", elapsed
    if data.get("errors"):
        return "error", elapsed
    if not summary.get("scanned", {}).get("total_scanned", 0):
        return "skipped", elapsed
    return "clean", elapsed


def fickling(path, timeout, limit=False):
    with tempfile.TemporaryDirectory() as tmp:
        report = os.path.join(tmp, "f.json")
        proc, elapsed = run(["fickling", "--check-safety", "--json-output", report, path], timeout, limit)
        if proc is None:
            return "timeout", elapsed
        try:
            with open(report) as f:
                data = json.load(f)
        except (OSError, ValueError):
            return ("clean" if proc.returncode == 0 else "error"), elapsed
    severity = data.get("severity", "")
    analysis = data.get("analysis", "")
    # Files that are not pickles come back as "invalid opcode(s)" or a
    # parse failure: the tool could not analyse them.
    if "invalid opcode" in analysis or "failed to parse" in analysis.lower():
        return "error", elapsed
    if severity in ("", "LIKELY_SAFE"):
        return "clean", elapsed
    return "fail", elapsed


def engine_scan(scanner, corpus, names):
    """The models engine of this checkout, through its `models_scan`
    example (ranged reads from disk, no sandbox): the verdicts of the
    current source when the cordon binary was built from an older one."""
    paths = [os.path.join(corpus, n) for n in names]
    start = time.perf_counter()
    proc = subprocess.run([scanner, *paths], capture_output=True, text=True, check=True)
    wall = time.perf_counter() - start
    verdicts = {}
    for line in proc.stdout.splitlines():
        row = json.loads(line)
        severity = row.get("max_severity")
        level = SEVERITIES.index(severity) if severity else -1
        verdict = "fail" if level >= SEVERITIES.index("high") else "report" if level == 2 else "clean"
        verdicts[os.path.basename(row["path"])] = verdict
    return verdicts, wall


PEERS = {
    "picklescan": (picklescan, "picklescan"),
    "picklescan --strict": (picklescan_strict, "picklescan"),
    "modelscan": (modelscan, "modelscan"),
    "fickling": (fickling, "fickling"),
}
# One process over the whole folder, for the wall-time column.
FOLDER_COMMANDS = {
    "picklescan": lambda d: ["picklescan", "-p", d],
    "picklescan --strict": lambda d: ["picklescan", "--strict", "-p", d],
    "modelscan": lambda d: ["modelscan", "-p", d, "-r", "json", "-o", os.devnull],
}


def version(module):
    try:
        from importlib.metadata import version as v
        return v(module)
    except Exception:
        proc = subprocess.run([shutil.which(module) or module, "--version"], capture_output=True, text=True)
        return proc.stdout.strip() or "?"


# --- Big files ------------------------------------------------------------

def crc32_of_zeros(length, chunk=1 << 24):
    crc, zeros = 0, bytes(chunk)
    while length:
        step = min(length, chunk)
        crc = zlib.crc32(zeros if step == chunk else zeros[:step], crc)
        length -= step
    return crc


def torch_zip64(path, data_pkl, storage_len, storage_crc, pickle_last):
    """A `torch.save` zip (zip64, members stored) whose one tensor storage
    is `storage_len` zero bytes, left as a hole in the file. With
    `pickle_last`, data.pkl comes after the storage: a loader finds it
    through the central directory, whatever the order."""
    small = [("archive/byteorder", b"little"), ("archive/version", b"3\n")]
    pickle_member = ("archive/data.pkl", data_pkl)
    order = [None, *small, pickle_member] if pickle_last else [pickle_member, None, *small]
    central = []
    with open(path, "wb") as f:
        for member in order:
            offset = f.tell()
            if member is None:
                name, size, crc = b"archive/data/0", storage_len, storage_crc
            else:
                name, size, crc = member[0].encode(), len(member[1]), zlib.crc32(member[1])
            # Sizes live in the zip64 extra field (id 1); the header's are 0xffffffff.
            extra = struct.pack("<HHQQ", 1, 16, size, size)
            f.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                                len(name), len(extra)) + name + extra)
            if member is None:
                f.seek(size, os.SEEK_CUR)
            else:
                f.write(member[1])
            central.append((name, size, crc, offset))
        directory = f.tell()
        for name, size, crc, offset in central:
            extra = struct.pack("<HHQQQ", 1, 24, size, size, offset)
            f.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0x21, crc, 0xFFFFFFFF,
                                0xFFFFFFFF, len(name), len(extra), 0, 0, 0, 0, 0xFFFFFFFF) + name + extra)
        end = f.tell()
        f.write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(central), len(central),
                            end - directory, directory))
        f.write(struct.pack("<IIQI", 0x07064B50, 0, end, 1))
        f.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0))


def make_big(big_dir, corpus, gib):
    """Sparse `gib` GiB files: safetensors and GGUF (only headers are real),
    and PyTorch checkpoints (zip64) with one storage that size, one clean and
    one whose data.pkl, after the storage, is the corpus's os.system
    pickle. The joblib ones come from the models_corpus example."""
    os.makedirs(big_dir, exist_ok=True)
    size = gib << 30
    storage_crc = crc32_of_zeros(size)
    with open(os.path.join(corpus, "b01_state_dict.pkl"), "rb") as f:
        state_dict = f.read()
    with open(os.path.join(corpus, "m01_os_system.pkl"), "rb") as f:
        payload = f.read()
    torch_zip64(os.path.join(big_dir, "b_big_torch_zip64.pt"), state_dict, size, storage_crc, False)
    torch_zip64(os.path.join(big_dir, "m_big_torch_zip64_pickle_last.pt"), payload, size, storage_crc, True)
    header = json.dumps({"w": {"dtype": "F16", "shape": [(size - 8 - 256) // 2], "data_offsets": [0, size - 8 - 256]}}).encode()
    header += b" " * (256 - len(header))
    st = os.path.join(big_dir, "b_big.safetensors")
    with open(st, "wb") as f:
        f.write(struct.pack("<Q", len(header)) + header)
        f.truncate(size)
    g = bytearray(b"GGUF" + struct.pack("<IQQ", 3, 1, 1))
    key, val = b"general.architecture", b"llama"
    g += struct.pack("<Q", len(key)) + key + struct.pack("<I", 8) + struct.pack("<Q", len(val)) + val
    name = b"w"
    g += struct.pack("<Q", len(name)) + name + struct.pack("<I", 1) + struct.pack("<Q", (size - 4096) // 4) + struct.pack("<IQ", 0, 0)
    gg = os.path.join(big_dir, "b_big.gguf")
    with open(gg, "wb") as f:
        f.write(bytes(g))
        f.truncate(size)


NO_DIGEST_PIPELINE = """\
[stages.models]
plugin = "builtin:models"
options = { sha256 = false }
[stages.models.grants]
read = ["**"]
artifacts = { write = ["model-inventory"] }
"""


def big_files(args, tools):
    make_big(args.big, args.corpus, args.big_gib)
    files = sorted(f for f in os.listdir(args.big)
                   if f[0] in "mb" and os.path.isfile(os.path.join(args.big, f)))
    pipeline = os.path.join(args.big, "no-digest.toml")
    with open(pipeline, "w") as f:
        f.write(NO_DIGEST_PIPELINE)
    rows = []
    for name in files:
        path = os.path.join(args.big, name)
        # Cordon scans folders: give each file its own (a hard link, so the
        # file stays sparse and nothing is copied).
        alone = os.path.join(args.big, "alone", name)
        os.makedirs(alone, exist_ok=True)
        link = os.path.join(alone, name)
        if not os.path.exists(link):
            os.link(path, link)
        row = {"file": name, "size": os.path.getsize(path), "on_disk": os.stat(path).st_blocks * 512}
        audit = os.path.join(args.big, "audit.jsonl")
        stage, wall = cordon_run(args.cordon, alone, audit=audit)
        with open(audit) as f:
            hashed = sum(json.loads(line)["call"] == "workspace.sha256" for line in f)
        os.remove(audit)
        verdict = cordon_verdicts(stage, [name])[name]
        row["cordon"] = {"verdict": verdict[0], "severity": verdict[1], "wall_s": wall,
                         "stage_cpu_ms": stage["resources"]["cpu_ms"], "host_hashed": hashed,
                         "bytes_read": stage["resources"]["bytes_read"]}
        stage, wall = cordon_run(args.cordon, alone, pipeline=pipeline)
        row["cordon sha256=false"] = {"verdict": cordon_verdicts(stage, [name])[name][0], "wall_s": wall,
                                      "bytes_read": stage["resources"]["bytes_read"]}
        start = time.perf_counter()
        subprocess.run(["sha256sum", path], capture_output=True)
        row["sha256sum"] = {"wall_s": time.perf_counter() - start}
        for tool in tools:
            fn = PEERS[tool][0]
            verdict, elapsed = fn(path, args.big_timeout, limit=True)
            row[tool] = {"verdict": verdict, "wall_s": elapsed}
        rows.append(row)
        print(f"big: {name} done", file=sys.stderr)
    return rows


# --- Report ---------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cordon", required=True, help="the cordon binary")
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--big", help="folder for the sparse 10 GiB files (the joblib ones are already there)")
    ap.add_argument("--engine-scan", help="the models_scan example: adds an `engine` column with this "
                    "checkout's engine (native, no sandbox)")
    ap.add_argument("--timeout", type=float, default=120, help="seconds per peer and file")
    ap.add_argument("--big-gib", type=int, default=10, help="size of the sparse files compare.py writes")
    ap.add_argument("--big-timeout", type=float, default=600, help="seconds per peer and 10 GiB file")
    ap.add_argument("--json", help="also write all results as JSON here")
    args = ap.parse_args()

    names = sorted(n for n in os.listdir(args.corpus) if n[0] in "mb")
    hostile = [n for n in names if n.startswith("m")]
    benign = [n for n in names if n.startswith("b")]
    tools = [t for t, (_, exe) in PEERS.items() if shutil.which(exe)]
    for t, (_, exe) in PEERS.items():
        if t not in tools:
            print(f"note: {exe} is not installed; its column is missing", file=sys.stderr)

    # Cordon: three runs over the folder, verdicts from the last, median wall.
    walls = []
    for _ in range(3):
        stage, wall = cordon_run(args.cordon, args.corpus)
        walls.append(wall)
    cordon = cordon_verdicts(stage, names)
    table = {n: {"cordon": cordon[n][0]} for n in names}
    per_file_s = {"cordon": None}
    folder_s = {"cordon": statistics.median(walls)}
    folder_note = {}
    if args.engine_scan:
        engine, engine_wall = engine_scan(args.engine_scan, args.corpus, names)
        for n in names:
            table[n]["engine"] = engine[n]
        per_file_s["engine"], folder_s["engine"] = None, engine_wall
    for tool in tools:
        fn = PEERS[tool][0]
        total = 0.0
        for n in names:
            verdict, elapsed = fn(os.path.join(args.corpus, n), args.timeout)
            table[n][tool] = verdict
            total += elapsed
        per_file_s[tool] = total
        if tool in FOLDER_COMMANDS:
            proc, folder_s[tool] = run(FOLDER_COMMANDS[tool](args.corpus), timeout=None)
            # picklescan stops a folder scan at the first unhandled exception
            # (a broken zip): that time is not a whole scan.
            if proc is not None and "Traceback" in proc.stdout + proc.stderr:
                folder_note[tool] = "aborted"
        else:
            folder_s[tool] = None
        print(f"{tool}: done", file=sys.stderr)

    columns = ["cordon", *(["engine"] if args.engine_scan else []), *tools]
    print("| file | " + " | ".join(columns) + " | cordon severity: rules |")
    print("|---|" + "---|" * (len(columns) + 1))
    for n in names:
        print(f"| {n} | " + " | ".join(table[n][c] for c in columns) + f" | {cordon[n][1]}: {cordon[n][2] or '-'} |")

    summary = []
    for c in columns:
        def count(files, *verdicts):
            return sum(table[n][c] in verdicts for n in files)
        summary.append({
            "tool": c,
            "version": version(PEERS[c][1]) if c in PEERS else None,
            "hostile": len(hostile), "benign": len(benign),
            "hostile_fail": count(hostile, "fail"),
            "hostile_noted": count(hostile, "report"),
            "hostile_gave_up": count(hostile, "error", "skipped", "timeout"),
            "benign_fail": count(benign, "fail"),
            "benign_noted": count(benign, "report"),
            "benign_gave_up": count(benign, "error", "skipped", "timeout"),
            "per_file_s": per_file_s[c], "folder_s": folder_s[c], "folder_note": folder_note.get(c),
        })
    print()
    print("| tool | hostile: fails the run (detected) | hostile: only noted | hostile: gave up | "
          "benign: fails the run (FP) | benign: only noted | benign: gave up | "
          "one run over the folder (s) | one run per file, total (s) |")
    print("|---|---|---|---|---|---|---|---|---|")
    for s in summary:
        def fmt(v):
            return "—" if v is None else f"{v:.2f}"
        print(f"| {s['tool']} | {s['hostile_fail']}/{s['hostile']} | {s['hostile_noted']} | {s['hostile_gave_up']} | "
              f"{s['benign_fail']}/{s['benign']} ({100 * s['benign_fail'] / len(benign):.1f} %) | "
              f"{s['benign_noted']} | {s['benign_gave_up']} | {fmt(s['folder_s'])}{folder_note.get(s['tool'], '') and ' (aborted: unhandled exception)'} | "
              f"{fmt(s['per_file_s'])} |")
    res = stage["resources"]
    print(f"\ncordon: {stage['files_scanned']} files, {stage['bytes_scanned']} bytes; "
          f"runs of {', '.join(f'{w:.3f}' for w in walls)} s wall; stage {res['wall_ms']} ms wall, "
          f"{res['cpu_ms']} ms CPU, peak guest memory {res['peak_memory_bytes'] >> 20} MiB; notes: {stage['notes']}")

    big = []
    if args.big:
        big = big_files(args, tools)
        print()
        print("| sparse file (GiB) | cordon (default: digest on) | cordon `sha256 = false` | sha256sum | "
              + " | ".join(tools) + " |")
        print("|---|---|---|---|" + "---|" * len(tools))
        for row in big:
            c, n = row["cordon"], row["cordon sha256=false"]
            cells = [f"{c['verdict']} ({c['severity']}), {c['wall_s']:.1f} s, hashed by host: {c['host_hashed']}",
                     f"{n['verdict']}, {n['wall_s']:.3f} s, {n['bytes_read']} B read",
                     f"{row['sha256sum']['wall_s']:.1f} s"]
            cells += [f"{row[t]['verdict']}, {row[t]['wall_s']:.1f} s" for t in tools]
            print(f"| {row['file']} ({row['size'] / (1 << 30):.0f}) | " + " | ".join(cells) + " |")

    if args.json:
        # `rows` keeps the shape bench/run-all.py reads; the rest is detail.
        rows = [{"tool": s["tool"], "status": "ok", "hostile_detected": s["hostile_fail"],
                 "hostile": s["hostile"], "benign_flagged": s["benign_fail"], "benign": s["benign"],
                 "errored": s["hostile_gave_up"] + s["benign_gave_up"],
                 "total_s": s["per_file_s"] if s["per_file_s"] is not None else s["folder_s"]}
                for s in summary if s["tool"] != "engine"]
        rows[0]["process_wall_s"] = folder_s["cordon"]
        rows += [{"tool": t, "status": "not installed"} for t in PEERS if t not in tools]
        with open(args.json, "w") as out:
            json.dump({"files": len(names), "rows": rows, "summary": summary, "verdicts": table,
                       "cordon_detail": cordon, "cordon_walls": walls, "cordon_resources": res,
                       "big": big}, out, indent=2)


if __name__ == "__main__":
    main()
