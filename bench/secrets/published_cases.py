#!/usr/bin/env python3
"""Scores Cordon and its peers on the same published test cases, in one run.

    python3 bench/secrets/gitleaks_cases.py   MIRROR > /tmp/cases/gitleaks.jsonl
    python3 bench/secrets/trufflehog_cases.py MIRROR > /tmp/cases/trufflehog.jsonl
    PATH=/tmp/peers/bin:$PATH python3 bench/secrets/published_cases.py \\
        --cordon target/release/cordon /tmp/cases/gitleaks.jsonl /tmp/cases/trufflehog.jsonl

`peer_recall` scores the engine alone; this writes every case to a file of
its own (under the file name the case names, if any), runs the `cordon`
binary's secrets stage, Betterleaks, Kingfisher and detect-secrets over
the folder, each the way `run.py` runs it, and counts a case as reported
when a tool reports anything in its file. Cases that must be found give
the recall; cases marked `"expect": "none"` (a scanner's own negatives)
give how many each tool reports anyway. A tool that is not installed is
listed as such. Nothing it writes belongs in this repository.
"""

import argparse
import importlib.util
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("secrets_run", HERE / "run.py")
run = importlib.util.module_from_spec(spec)
spec.loader.exec_module(run)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cordon", required=True, type=Path)
    parser.add_argument("--out", type=Path, help="write the scores as JSON here")
    parser.add_argument("cases", nargs="+", type=Path)
    args = parser.parse_args()

    cases = []
    for path in args.cases:
        cases.extend(json.loads(line) for line in path.read_text().splitlines() if line.strip())
    work = Path(tempfile.mkdtemp(prefix="published-cases-"))
    corpus = work / "corpus"
    total = 0
    for number, case in enumerate(cases):
        name = Path(case.get("path") or "case.txt").name or "case.txt"
        folder = corpus / f"{number:05d}"
        folder.mkdir(parents=True)
        data = case["text"].encode()
        (folder / name).write_bytes(data)
        total += len(data)
    run.CORPUS_BYTES[0] = total
    cache = work / "cordon-cache"
    # Warm the compiled-code cache, as run.py does, so no tool is timed cold.
    run.run_cordon_sandbox(args.cordon.resolve(), work, cache)

    tools = [
        ("cordon", lambda: run.run_cordon_sandbox(args.cordon.resolve(), work, cache)),
        ("betterleaks", lambda: run.run_betterleaks(work)),
        ("kingfisher", lambda: run.run_kingfisher(work)),
        ("detect-secrets", lambda: run.run_detect_secrets(work)),
    ]
    sources = sorted({case["source"] for case in cases})
    scores = {}
    for name, call in tools:
        result = call()
        if result is None:
            print(f"{name}: not installed", file=sys.stderr)
            continue
        hits, _, _ = result
        reported = {int(path.split("/", 1)[0]) for path, _, _ in hits if path.split("/", 1)[0].isdigit()}
        per_source = {}
        for source in sources:
            must = [i for i, c in enumerate(cases) if c["source"] == source and c.get("expect") != "none"]
            negatives = [i for i, c in enumerate(cases) if c["source"] == source and c.get("expect") == "none"]
            found = sum(1 for i in must if i in reported)
            flagged = sum(1 for i in negatives if i in reported)
            missed = Counter(cases[i]["family"] for i in must if i not in reported)
            per_source[source] = {
                "must_find": len(must),
                "found": found,
                "negatives": len(negatives),
                "negatives_reported": flagged,
                "missed_families": dict(missed.most_common()),
            }
        scores[name] = per_source

    print("| tool | " + " | ".join(f"{s}: found" for s in sources) + " | "
          + " | ".join(f"{s}: negatives reported" for s in sources) + " |")
    print("|---|" + "---:|" * (2 * len(sources)))
    for name, per_source in scores.items():
        found = [f"{v['found']}/{v['must_find']} ({100 * v['found'] / max(v['must_find'], 1):.1f}%)"
                 for v in per_source.values()]
        flagged = [f"{v['negatives_reported']}/{v['negatives']}" for v in per_source.values()]
        print(f"| {name} | " + " | ".join(found + flagged) + " |")
    if args.out:
        args.out.write_text(json.dumps(scores, indent=1))


if __name__ == "__main__":
    main()
