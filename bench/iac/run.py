#!/usr/bin/env python3
"""IaC misconfiguration benchmark: Cordon's native engine, Checkov and Trivy
over the same labelled corpus, in the same run.

The corpus is every policy's vulnerable and fixed examples, written one per
directory by `plugins/iac/engine/examples/iac_examples_corpus.rs` (file names
any scanner routes: main.tf, template.yaml, manifest.yaml, Dockerfile,
.github/workflows/ci.yml). Labels say which policy and theme each file is
about and whether it is the vulnerable or the fixed variant.

Metrics (see README.md):
  any-finding   vulnerable files with at least one finding / fixed files with
                at least one finding (from any check of the tool);
  labelled      for Cordon, the labelled policy; for Checkov, one of the
                policy's Checkov aliases (only policies that have one):
                vulnerable files it fires on / fixed files it fires on, and
                policies told apart (fires on every vulnerable example and on
                none of the fixed ones);
  CPU s         user + system CPU seconds of the tool's process tree.

Usage:
  python3 bench/iac/run.py [--work DIR] [--checkov PATH] [--trivy PATH]
Missing peers are reported as such, not guessed.
"""

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(command, **kwargs):
    """Runs `command`; returns (completed process, CPU seconds, wall seconds)."""
    cpu, wall = children_cpu(), time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, **kwargs)
    return done, children_cpu() - cpu, time.monotonic() - wall


def build_examples(*names):
    """Builds the engine's examples in release, outside any timing."""
    command = ["cargo", "build", "--quiet", "--release", "-p", "cordon-iac-engine"]
    for name in names:
        command += ["--example", name]
    if subprocess.run(command, cwd=REPO).returncode != 0:
        sys.exit("building the engine examples failed")


def built_example(name):
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "release" / "examples" / name


def normalise(path, root):
    path = str(path)
    root = str(root)
    if path.startswith(root):
        path = path[len(root):]
    return path.lstrip("/")


def run_cordon(corpus):
    binary = built_example("iac_scan")
    done, cpu, wall = timed([str(binary), str(corpus), "--json"])
    if done.returncode != 0:
        return None, cpu, wall, done.stderr[-500:]
    report = json.loads(done.stdout)
    hits = defaultdict(set)  # path -> rule ids
    for file in report["files"]:
        for finding in file["findings"]:
            hits[file["path"]].add(finding["rule_id"])
    return hits, cpu, wall, None


def run_checkov(checkov, corpus):
    if not checkov:
        return None, 0.0, 0.0, "not installed"
    done, cpu, wall = timed(
        [
            checkov, "-d", str(corpus), "-o", "json", "--quiet", "--compact",
            "--skip-download", "--framework", "terraform", "cloudformation",
            "kubernetes", "dockerfile", "github_actions",
        ],
        env={**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"},
    )
    text = done.stdout.strip()
    if not text:
        return None, cpu, wall, f"no output (exit {done.returncode}): {done.stderr[-300:]}"
    reports = json.loads(text)
    if isinstance(reports, dict):
        reports = [reports]
    hits = defaultdict(set)
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            hits[normalise(check["file_path"], corpus)].add(check["check_id"])
    return hits, cpu, wall, None


def run_trivy(trivy, corpus, cache):
    if not trivy:
        return None, 0.0, 0.0, "not installed"
    done, cpu, wall = timed(
        [
            trivy, "config", "--format", "json", "--quiet", "--skip-check-update",
            "--cache-dir", str(cache), str(corpus),
        ]
    )
    if done.returncode != 0 or not done.stdout.strip():
        return None, cpu, wall, f"exit {done.returncode}: {done.stderr[-300:]}"
    report = json.loads(done.stdout)
    hits = defaultdict(set)
    for result in report.get("Results") or []:
        for misconfiguration in result.get("Misconfigurations") or []:
            if misconfiguration.get("Status", "FAIL") == "FAIL":
                hits[normalise(result["Target"], corpus)].add(misconfiguration["ID"])
    return hits, cpu, wall, None


def any_finding(hits, labels):
    vulnerable = [label for label in labels if label["vulnerable"]]
    fixed = [label for label in labels if not label["vulnerable"]]
    found = sum(1 for label in vulnerable if hits.get(label["path"]))
    flagged = sum(1 for label in fixed if hits.get(label["path"]))
    return found, len(vulnerable), flagged, len(fixed)


def labelled(hits, labels, checks_of):
    """Per policy: does the labelled check fire on its vulnerable files and
    stay quiet on its fixed ones? `checks_of(policy)` gives the tool's ids
    for the policy (empty: the tool has no counterpart, policy left out)."""
    by_policy = defaultdict(list)
    for label in labels:
        by_policy[label["policy"]].append(label)
    found = vulnerable = flagged = fixed = apart = policies = 0
    for policy, cases in by_policy.items():
        ids = checks_of(policy)
        if not ids:
            continue
        policies += 1
        fires = [bool(hits.get(case["path"], set()) & ids) for case in cases]
        vulnerable_fires = [f for f, case in zip(fires, cases) if case["vulnerable"]]
        fixed_fires = [f for f, case in zip(fires, cases) if not case["vulnerable"]]
        found += sum(vulnerable_fires)
        vulnerable += len(vulnerable_fires)
        flagged += sum(fixed_fires)
        fixed += len(fixed_fires)
        if all(vulnerable_fires) and not any(fixed_fires):
            apart += 1
    return found, vulnerable, flagged, fixed, apart, policies


def policy_aliases():
    """Checkov aliases of every policy, read from the policy data."""
    import tomllib

    aliases = {}
    for file in sorted((REPO / "plugins/iac/engine/policies").glob("*.toml")):
        data = tomllib.loads(file.read_text())
        for policy in data.get("policy", []):
            aliases[policy["id"]] = {a for a in policy.get("aliases", []) if a.startswith("CKV")}
    return aliases


def percent(part, whole):
    return f"{part}/{whole} ({100 * part / whole:.0f}%)" if whole else "n/a"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--work", help="working directory (default: a temp dir, removed)")
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--trivy", default=shutil.which("trivy"))
    args = parser.parse_args()

    work = Path(args.work) if args.work else Path(tempfile.mkdtemp(prefix="cordon-iac-bench-"))
    corpus = work / "corpus"
    if corpus.exists():
        shutil.rmtree(corpus)
    corpus.mkdir(parents=True)

    build_examples("iac_examples_corpus", "iac_scan")
    done = subprocess.run(
        [str(built_example("iac_examples_corpus")), str(corpus)], capture_output=True, text=True
    )
    if done.returncode != 0:
        sys.exit(f"corpus generation failed: {done.stderr[-500:]}")
    labels = json.loads(done.stdout)
    vulnerable = sum(1 for label in labels if label["vulnerable"])
    print(
        f"corpus: {len(labels)} files ({vulnerable} vulnerable, {len(labels) - vulnerable} fixed), "
        f"{len({label['policy'] for label in labels})} policies"
    )

    aliases = policy_aliases()
    tools = [
        ("cordon (native engine)", run_cordon(corpus), lambda policy: {policy}),
        ("checkov", run_checkov(args.checkov, corpus), lambda policy: aliases.get(policy, set())),
        ("trivy", run_trivy(args.trivy, corpus, work / "trivy-cache"), None),
    ]

    print()
    print("| tool | vulnerable files with a finding | fixed files with a finding | labelled check: vulnerable found | labelled check: fixed flagged | policies told apart | CPU s | wall s |")
    print("|---|---|---|---|---|---|---|---|")
    for name, (hits, cpu, wall, error), checks_of in tools:
        if hits is None:
            print(f"| {name} | {error} | | | | | {cpu:.2f} | {wall:.2f} |")
            continue
        found, vulnerable_total, flagged, fixed_total = any_finding(hits, labels)
        if checks_of:
            l_found, l_vuln, l_flagged, l_fixed, apart, policies = labelled(hits, labels, checks_of)
            labelled_cells = (
                f"{percent(l_found, l_vuln)} | {percent(l_flagged, l_fixed)} | {apart}/{policies}"
            )
        else:
            labelled_cells = "no id mapping | | "
        print(
            f"| {name} | {percent(found, vulnerable_total)} | {percent(flagged, fixed_total)} | "
            f"{labelled_cells} | {cpu:.2f} | {wall:.2f} |"
        )

    # The same policies, for Cordon, restricted to those Checkov has a
    # counterpart for: a like-for-like row.
    hits, *_ = tools[0][1]
    if hits is not None:
        found, vuln, flagged, fixed, apart, policies = labelled(
            hits, labels, lambda policy: {policy} if aliases.get(policy) else set()
        )
        print(
            f"| cordon on the policies with a Checkov alias | | | {percent(found, vuln)} | "
            f"{percent(flagged, fixed)} | {apart}/{policies} | | |"
        )
    if not args.work:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
