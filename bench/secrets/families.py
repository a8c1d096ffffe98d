#!/usr/bin/env python3
"""Recall and false positives per provider family: Cordon next to Kingfisher
and detect-secrets (and Betterleaks when installed), on one labelled set, in
one run.

The labelled set is built from the examples every built-in rule carries
(`plugins/secrets/engine/rules/*.toml`), whose formats come from each
provider's public documentation: every true positive and every near miss
(bad checksum, wrong length, wrong prefix, placeholder, a value beside an
unrelated name) becomes its own file, expanded with a seed by the
`family_set` example, with the labels kept outside the scanned folder.

    python3 bench/secrets/families.py [--seed N] [--work DIR]
        [--since REV] [--all] [--json OUT] [--examples-dir DIR]

  recall   true-positive files whose credential line a tool reported
  FP       near-miss files a provider rule reported (a false positive);
           "+N generic": near misses only a generic rule reported (an
           assignment to a credential name, a high-entropy string), which
           may still be secrets of another shape, counted apart

Per family, the table lists the families of the rules added since `--since`
(a git revision; the families this round added) or, with `--all`, every
family; the totals are always over the whole set. Peers run as in
`run.py` (Kingfisher without validation, every occurrence); a peer that is
not on PATH is reported as missing. The set is Cordon's own rule examples,
so it measures what a peer knows of these formats, not the reverse: read
Cordon's column as a consistency check and the peers' as coverage.
"""

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import run as bench  # noqa: E402  (the peer runners and their output parsing)

REPO = bench.REPO
RULES = "plugins/secrets/engine/rules"


def build_examples(prebuilt):
    if prebuilt:
        prebuilt = prebuilt.resolve()
        return prebuilt / "bench_corpus", prebuilt / "family_set"
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "cordon-secrets",
                    "--example", "bench_corpus", "--example", "family_set"], cwd=REPO, check=True)
    target = REPO / "target" / "release" / "examples"
    return target / "bench_corpus", target / "family_set"


def rule_ids_at(rev):
    """The rule ids in the rule files at git revision `rev`."""
    listing = subprocess.run(["git", "ls-tree", "--name-only", rev, RULES + "/"], cwd=REPO,
                             capture_output=True, text=True, check=True).stdout.split()
    ids = set()
    for name in listing:
        if name.endswith(".toml"):
            text = subprocess.run(["git", "show", f"{rev}:{name}"], cwd=REPO,
                                  capture_output=True, text=True, check=True).stdout
            ids.update(re.findall(r"""^id\s*=\s*['"]([^'"]+)['"]""", text, re.M))
    return ids


# Findings of rules that know no provider: an assignment to a credential
# name, a high-entropy string. A near miss they report (a key of the wrong
# length beside `API_KEY`) may well still be a secret, so they are counted
# apart from provider rules, whose report of a near miss is a false positive.
GENERIC_RULE = re.compile(r"generic|dotenv-assignment|secret keyword|high entropy", re.I)


def cordon_hits(driver, work):
    proc, _ = bench.timed([str(driver), "scan", "corpus"], work)
    if proc.returncode != 0:
        raise SystemExit(f"cordon scan failed: {proc.stderr[-2000:]}")
    return [(f["path"], f["line"], f["end_line"], f["rule"]) for f in json.loads(proc.stdout)["findings"]]


def kingfisher_hits(work):
    if bench.run_kingfisher(work) is None:
        return None
    report = json.loads((work / "kingfisher-report.json").read_text())
    return [(bench.corpus_relative(e["finding"]["path"]), e["finding"]["line"], e["finding"]["line"],
             e["rule"]["id"]) for e in report.get("findings", [])]


def betterleaks_hits(work):
    if bench.run_betterleaks(work) is None:
        return None
    report = json.loads((work / "betterleaks-report.json").read_text())
    return [(bench.corpus_relative(f["location"]["path"]), f["location"]["start_line"],
             f["location"]["end_line"], f["rule_id"]) for f in report.get("findings") or []]


def detect_secrets_hits(work):
    exe = shutil.which("detect-secrets")
    if not exe:
        return None
    proc, _ = bench.timed([exe, "scan", "--all-files", "corpus"], work)
    if proc.returncode != 0:
        raise SystemExit(f"detect-secrets failed: {proc.stderr[-2000:]}")
    hits = []
    for filename, entries in json.loads(proc.stdout)["results"].items():
        name = filename.split("corpus/", 1)[-1]
        hits.extend((name, e["line_number"], e["line_number"], e["type"]) for e in entries)
    return hits


def per_family(hits, examples):
    by_path = defaultdict(list)
    for path, start, end, rule in hits:
        by_path[path].append((start, end, bool(GENERIC_RULE.search(rule))))
    table = defaultdict(lambda: {"tp": 0, "found": 0, "fp_files": 0, "fp": 0, "fp_generic": 0})
    for example in examples:
        row = table[example["family"]]
        spans = by_path[example["path"]]
        if example["kind"] == "tp":
            row["tp"] += 1
            row["found"] += any(s <= example["line_end"] and example["line_start"] <= e for s, e, _ in spans)
        else:
            row["fp_files"] += 1
            if any(not generic for _, _, generic in spans):
                row["fp"] += 1
            elif spans:
                row["fp_generic"] += 1
    return table


def cell(row):
    recall = f"{row['found']}/{row['tp']}" if row["tp"] else "–"
    generic = f" (+{row['fp_generic']} generic)" if row["fp_generic"] else ""
    return f"{recall} · FP {row['fp']}/{row['fp_files']}{generic}"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--work", type=Path, help="keep the set here (default: a temporary folder)")
    parser.add_argument("--since", default="HEAD", help="list the families of rules added since this git revision")
    parser.add_argument("--all", action="store_true", help="list every family")
    parser.add_argument("--json", type=Path, help="also write the per-family rows as JSON here")
    parser.add_argument("--examples-dir", type=Path,
                        help="use the bench_corpus and family_set examples built here instead of building them")
    args = parser.parse_args()

    driver, family_set = build_examples(args.examples_dir)
    work = args.work or Path(tempfile.mkdtemp(prefix="cordon-secrets-families-"))
    if (work / "corpus").exists():
        shutil.rmtree(work / "corpus")
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([str(family_set), "generate", str(work), str(args.seed)], check=True)
    examples = json.loads((work / "truth.json").read_text())["examples"]

    tools = {}
    for name, runner in [
        ("cordon", lambda: cordon_hits(driver, work)),
        ("kingfisher", lambda: kingfisher_hits(work)),
        ("detect-secrets", lambda: detect_secrets_hits(work)),
        ("betterleaks", lambda: betterleaks_hits(work)),
    ]:
        hits = runner()
        tools[name] = None if hits is None else per_family(hits, examples)

    if args.all:
        families = sorted({e["family"] for e in examples})
    else:
        new_ids = {e["rule"] for e in examples} - rule_ids_at(args.since)
        families = sorted({e["family"] for e in examples if e["rule"] in new_ids})
    present = [name for name, table in tools.items() if table is not None]
    missing = [name for name, table in tools.items() if table is None]

    print(f"labelled set: {sum(e['kind'] == 'tp' for e in examples)} true positives and "
          f"{sum(e['kind'] == 'fp' for e in examples)} near misses over "
          f"{len({e['family'] for e in examples})} families, seed {args.seed}\n")
    print("| family | " + " | ".join(present) + " |")
    print("|---|" + "---|" * len(present))
    for family in families:
        print(f"| {family} | " + " | ".join(cell(tools[name][family]) for name in present) + " |")
    totals = {}
    for name in present:
        total = {"tp": 0, "found": 0, "fp_files": 0, "fp": 0, "fp_generic": 0}
        for row in tools[name].values():
            for key in total:
                total[key] += row[key]
        totals[name] = total
    print("| **all families** | " + " | ".join(cell(totals[name]) for name in present) + " |")
    print()
    for name in present:
        t = totals[name]
        full = sum(1 for row in tools[name].values() if row["tp"] and row["found"] == row["tp"])
        print(f"{name}: recall {t['found'] / t['tp']:.1%} ({t['found']}/{t['tp']}), "
              f"near misses reported by a provider rule {t['fp'] / t['fp_files']:.1%} ({t['fp']}/{t['fp_files']}), "
              f"only by a generic rule {t['fp_generic'] / t['fp_files']:.1%}, "
              f"{full} families fully found")
    for name in missing:
        print(f"{name}: not installed")
    if args.json:
        rows = {name: {family: tools[name][family] for family in families} for name in present}
        args.json.write_text(json.dumps({"seed": args.seed, "families": rows, "totals": totals,
                                         "missing": missing}, indent=2) + "\n")
    if not args.work:
        shutil.rmtree(work)


if __name__ == "__main__":
    sys.exit(main())
