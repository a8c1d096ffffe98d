#!/usr/bin/env python3
"""IaC detection on an independent labelled corpus: Cordon's native engine,
Checkov and Trivy over the same files, in the same run.

The corpus is not Cordon's own examples and is not in this repository: it
is built from other projects' public test cases (see fetch_corpus.md) into
a directory holding `manifest.jsonl` and `files/`. Each manifest line is one
file:

  {"path": "<check>/vulnerable1/main.tf", "check": "<check>",
   "theme": "encryption-at-rest", "vulnerable": true, "split": "dev",
   "source": {"repo": "...", "path": "...", "commit": "..."}}

A check has one or more vulnerable files and one or more fixed files (the
source project's positive and negative test cases for one rule). `split`
tells apart the checks Cordon's policies were tuned against (`dev`) from
checks added afterwards and measured before any change (`holdout`).

Metrics, per tool:
  right theme     vulnerable files with at least one finding whose theme is
                  the labelled one. Cordon's findings carry their theme;
                  Checkov's and Trivy's do not, so their themes are read
                  from the check's title with the keyword table THEME_WORDS
                  below (the same table for both peers, printed with
                  --explain so it can be audited).
  any finding     vulnerable files with any finding at all.
  told apart      checks for which one rule of the tool fires on every
                  vulnerable file of the check and on none of its fixed
                  files. No mapping between tools' rule ids is needed, so
                  an unrelated rule that happens to differ counts too; the
                  next column also asks that rule to be of the theme.
  fixed flagged   fixed files with a finding under the labelled theme (the
                  fix did not silence the tool on what the check is about);
                  fixed files with any finding are shown too, as an upper
                  bound on noise.
  CPU s           user + system CPU of the tool's process tree.

Checkov is slow, so its and Trivy's raw outputs are cached in --cache and
reused unless --refresh is given; the cached CPU seconds are reported.

Usage:
  python3 bench/iac/corpus.py --corpus DIR [--cache DIR] [--refresh]
      [--engine PATH] [--checkov PATH] [--trivy PATH] [--explain]
"""

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

THEMES = [
    "encryption-at-rest",
    "encryption-in-transit",
    "public-exposure",
    "iam-least-privilege",
    "logging-monitoring",
    "plaintext-secrets",
    "container-privilege",
    "network-segmentation",
    "ci-supply-chain",
]

# Peer check title -> themes. A title may match several themes (a "public
# bucket without encryption" check is about both); first match wins only
# within one theme. Order matters for nothing else. Kept deliberately
# simple and visible: the point is to give the peers the benefit of the
# doubt, not to tune against them.
THEME_WORDS = {
    "encryption-in-transit": r"\btls\b|\bssl\b|https|\bhttp\b|in transit|in-transit|transit encryption|cipher|protocol",
    "encryption-at-rest": r"encrypt|\bkms\b|\bcmk\b|customer managed key|customer-managed key|at rest|rotation",
    "public-exposure": r"public|0\.0\.0\.0|::/0|internet|anonymous|allusers|allauthenticatedusers|anyone|world|unrestricted|open to|exposed|port 22|port 3389|\bssh\b|\brdp\b|ingress from",
    "iam-least-privilege": r"\biam\b|privilege|wildcard|\badmin|full access|\*|passrole|least|assume|principal|role|permissions?\b|rbac|service account",
    "logging-monitoring": r"\blog|monitor|trail|audit|flow log|tracing|x-ray|insights|alarm|healthcheck",
    "plaintext-secrets": r"secret|password|credential|token|access key|hard-?coded|plaintext|plain text|sensitive",
    "container-privilege": r"privileg|\broot\b|\buser\b|host ?network|host ?pid|host ?ipc|hostpath|host path|capabilit|sys_admin|net_raw|limit|request|latest|\btag\b|digest|image|read-?only|seccomp|apparmor|escalat|sudo|healthcheck|mount|docker socket|uid",
    "network-segmentation": r"network ?polic|security group|\bingress\b|\begress\b|firewall|segment|subnet|\bvpc\b|\bnsg\b",
    "ci-supply-chain": r"action|workflow|pinn?ed|commit sha|injection|pull_request_target|untrusted|write-all|github",
}
THEME_PATTERNS = {theme: re.compile(words, re.IGNORECASE) for theme, words in THEME_WORDS.items()}


def themes_of_title(title):
    return {theme for theme, pattern in THEME_PATTERNS.items() if pattern.search(title or "")}


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, **kwargs):
    cpu, wall = children_cpu(), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return done, children_cpu() - cpu, time.monotonic() - wall


def relative(path, root):
    path = str(path)
    for prefix in (str(root) + "/", "./", "/"):
        if path.startswith(prefix):
            return path[len(prefix):]
    return path


def cached_run(name, cache, refresh, command, cwd, env=None):
    """Runs a peer once and keeps its stdout and CPU seconds under `cache`."""
    output = cache / f"{name}.json"
    meta = cache / f"{name}.meta.json"
    if not refresh and output.exists() and meta.exists():
        data = json.loads(meta.read_text())
        return output.read_text(), data["cpu"], data["wall"], True
    done, cpu, wall = timed(command, cwd=cwd, env=env)
    output.write_text(done.stdout)
    meta.write_text(json.dumps({"cpu": cpu, "wall": wall, "exit": done.returncode,
                                "stderr_tail": done.stderr[-2000:]}))
    return done.stdout, cpu, wall, False


def run_cordon(engine, files):
    """Findings: path -> list of (rule id, {theme})."""
    done, cpu, wall = timed([str(engine), str(files), "--json"])
    if done.returncode != 0:
        sys.exit(f"cordon engine failed: {done.stderr[-500:]}")
    report = json.loads(done.stdout)
    hits = defaultdict(list)
    not_scanned = {}
    for file in report["files"]:
        for finding in file["findings"]:
            hits[file["path"]].append((finding["rule_id"], {finding["theme"]}))
        if file.get("not_scanned"):
            not_scanned[file["path"]] = file["not_scanned"]
    return hits, cpu, wall, not_scanned


def run_checkov(checkov, files, cache, refresh):
    command = [
        checkov, "-d", ".", "-o", "json", "--quiet", "--compact", "--skip-download",
        "--framework", "terraform", "cloudformation", "kubernetes", "dockerfile", "github_actions",
    ]
    env = {**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    text, cpu, wall, reused = cached_run("checkov", cache, refresh, command, files, env)
    reports = json.loads(text) if text.strip() else []
    if isinstance(reports, dict):
        reports = [reports]
    hits = defaultdict(list)
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            path = relative(check["file_path"], files)
            hits[path].append((check["check_id"], themes_of_title(check.get("check_name", ""))))
    return hits, cpu, wall, reused


def run_trivy(trivy, files, cache, refresh):
    command = [
        trivy, "config", "--format", "json", "--quiet", "--skip-check-update",
        "--cache-dir", str(cache / "trivy-db"), ".",
    ]
    text, cpu, wall, reused = cached_run("trivy", cache, refresh, command, files)
    report = json.loads(text) if text.strip() else {}
    hits = defaultdict(list)
    for result in report.get("Results") or []:
        for misconfiguration in result.get("Misconfigurations") or []:
            if misconfiguration.get("Status", "FAIL") != "FAIL":
                continue
            title = " ".join(
                misconfiguration.get(key, "") for key in ("Title", "Description")
            )
            hits[relative(result["Target"], files)].append(
                (misconfiguration["ID"], themes_of_title(title))
            )
    return hits, cpu, wall, reused


def score(hits, labels):
    by_check = defaultdict(list)
    for label in labels:
        by_check[label["check"]].append(label)
    vulnerable = [label for label in labels if label["vulnerable"]]
    fixed = [label for label in labels if not label["vulnerable"]]

    def on_theme(label):
        return [rule for rule, themes in hits.get(label["path"], []) if label["theme"] in themes]

    right_theme = sum(1 for label in vulnerable if on_theme(label))
    any_finding = sum(1 for label in vulnerable if hits.get(label["path"]))
    fixed_on_theme = sum(1 for label in fixed if on_theme(label))
    fixed_any = sum(1 for label in fixed if hits.get(label["path"]))
    apart = []
    apart_on_theme = []
    for check, cases in sorted(by_check.items()):
        rules_on = [{rule for rule, _ in hits.get(case["path"], [])} for case in cases]
        vulnerable_sets = [rules for rules, case in zip(rules_on, cases) if case["vulnerable"]]
        fixed_union = set().union(*[rules for rules, case in zip(rules_on, cases) if not case["vulnerable"]])
        common = set.intersection(*vulnerable_sets) if vulnerable_sets else set()
        telling = common - fixed_union
        if telling:
            apart.append(check)
        # The stricter reading: the rule that tells the files apart is about
        # the labelled theme, not an unrelated check that happens to differ.
        theme = cases[0]["theme"]
        themes_of_rule = defaultdict(set)
        for case in cases:
            for rule, themes in hits.get(case["path"], []):
                themes_of_rule[rule] |= themes
        if any(theme in themes_of_rule[rule] for rule in telling):
            apart_on_theme.append(check)
    return {
        "right_theme": right_theme,
        "any_finding": any_finding,
        "vulnerable": len(vulnerable),
        "fixed_on_theme": fixed_on_theme,
        "fixed_any": fixed_any,
        "fixed": len(fixed),
        "apart": apart,
        "apart_on_theme": apart_on_theme,
        "checks": len(by_check),
    }


def percent(part, whole):
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", required=True, help="directory with manifest.jsonl and files/")
    parser.add_argument("--cache", help="where peer outputs are kept (default: <corpus>/peer-cache)")
    parser.add_argument("--refresh", action="store_true", help="re-run the peers even if cached")
    parser.add_argument("--engine", help="built iac_scan example (default: build it in release)")
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--trivy", default=shutil.which("trivy"))
    parser.add_argument("--explain", action="store_true", help="per-check detail and the theme table")
    parser.add_argument("--json", help="also write the per-file hits and scores here")
    parser.add_argument(
        "--split",
        help="score only the checks of this split (manifest field `split`, e.g. dev or holdout); "
        "every file is still scanned",
    )
    args = parser.parse_args()

    corpus = Path(args.corpus).resolve()
    files = corpus / "files"
    cache = Path(args.cache).resolve() if args.cache else corpus / "peer-cache"
    cache.mkdir(parents=True, exist_ok=True)
    labels = [json.loads(line) for line in (corpus / "manifest.jsonl").read_text().splitlines() if line.strip()]
    if args.split:
        labels = [label for label in labels if label.get("split") == args.split]
        if not labels:
            sys.exit(f"no file of split {args.split!r} in the manifest")

    engine = Path(args.engine) if args.engine else None
    if engine is None:
        build = ["cargo", "build", "--quiet", "--release", "-p", "cordon-iac-engine", "--example", "iac_scan"]
        if subprocess.run(build, cwd=REPO).returncode != 0:
            sys.exit("building the engine example failed")
        target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
        engine = target / "release" / "examples" / "iac_scan"

    vulnerable = sum(1 for label in labels if label["vulnerable"])
    print(
        f"corpus: {len(labels)} files ({vulnerable} vulnerable, {len(labels) - vulnerable} fixed), "
        f"{len({label['check'] for label in labels})} checks, "
        f"{len({label['source']['repo'] for label in labels})} source repositories"
    )

    results = []
    hits, cpu, wall, not_scanned = run_cordon(engine, files)
    results.append(("cordon (native engine)", hits, cpu, wall, ""))
    if not_scanned:
        print(f"cordon: {len(not_scanned)} files not scanned:")
        for path, why in sorted(not_scanned.items()):
            print(f"  {path}: {why}")
    for name, runner, tool in (("checkov", run_checkov, args.checkov), ("trivy", run_trivy, args.trivy)):
        if not tool:
            results.append((name, None, 0.0, 0.0, "not installed"))
            continue
        hits, cpu, wall, reused = runner(tool, files, cache, args.refresh)
        results.append((name, hits, cpu, wall, " (cached run)" if reused else ""))

    print()
    print("| tool | vulnerable files flagged under the right theme | vulnerable files with any finding | checks told apart | told apart by a rule of the theme | fixed files flagged under the labelled theme | fixed files with any finding | CPU s | wall s |")
    print("|---|---|---|---|---|---|---|---|---|")
    scores = {}
    for name, hits, cpu, wall, note in results:
        if hits is None:
            print(f"| {name} | {note} | | | | | | | |")
            continue
        s = score(hits, labels)
        scores[name] = s
        print(
            f"| {name} | {percent(s['right_theme'], s['vulnerable'])} | "
            f"{percent(s['any_finding'], s['vulnerable'])} | {len(s['apart'])}/{s['checks']} | "
            f"{len(s['apart_on_theme'])}/{s['checks']} | "
            f"{percent(s['fixed_on_theme'], s['fixed'])} | {percent(s['fixed_any'], s['fixed'])} | "
            f"{cpu:.2f}{note} | {wall:.2f} |"
        )

    if args.explain:
        print("\nper check (vulnerable files on theme / fixed files on theme; * = told apart):")
        checks = sorted({label["check"] for label in labels})
        names = [name for name, hits, *_ in results if hits is not None]
        print("| check | theme | " + " | ".join(names) + " |")
        print("|---|---|" + "---|" * len(names))
        for check in checks:
            cases = [label for label in labels if label["check"] == check]
            cells = []
            for name, hits, *_ in results:
                if hits is None:
                    continue
                vuln = [c for c in cases if c["vulnerable"]]
                fix = [c for c in cases if not c["vulnerable"]]
                on = lambda c: any(c["theme"] in themes for _, themes in hits.get(c["path"], []))
                mark = "*" if check in scores[name]["apart"] else ""
                cells.append(f"{sum(map(on, vuln))}/{len(vuln)} · {sum(map(on, fix))}/{len(fix)}{mark}")
            print(f"| {check} | {cases[0]['theme']} | " + " | ".join(cells) + " |")
        print("\npeer title -> theme keywords:")
        for theme, words in THEME_WORDS.items():
            print(f"  {theme}: {words}")

    if args.json:
        Path(args.json).write_text(json.dumps({
            name: {"hits": {path: [[rule, sorted(themes)] for rule, themes in found] for path, found in hits.items()},
                   "score": scores.get(name), "cpu": cpu}
            for name, hits, cpu, wall, note in results if hits is not None
        }, indent=1))


if __name__ == "__main__":
    main()
