#!/usr/bin/env python3
"""Cordon, Checkov and Trivy on TerraGoat, CfnGoat and Kubernetes Goat,
scored against hand-written labels, in the same run.

The mirror is built by fetch_goats.py (files pinned in goats-manifest.jsonl);
the labels are goats-labels.jsonl, written by reading the files before any
tool was run on them. Each label line is one resource:

  {"file": "terragoat/terraform/aws/s3.tf", "resource": "aws_s3_bucket.data",
   "flagged": {"encryption-at-rest": "why"}, "clean": ["public-exposure"]}

`resource` is a Terraform address (`type.name`, `data.type.name`,
`variable.name`), a CloudFormation logical id, a Kubernetes `Kind/name`, or
`file` for a Dockerfile or workflow that is one unit as a whole. `flagged`
holds the misconfigurations a reviewer would raise, by theme; `clean` the
themes that apply to the resource and were judged right. Themes neither
flagged nor clean are not scored.

A finding is attributed to a resource by line: the labelled resource whose
lines (computed from the file text below, not by any tool) contain the line
the tool reports. Findings that no labelled resource contains are counted
as unattributed.

Per tool:
  found          flagged (resource, theme) pairs with at least one finding
                 of that theme on the resource.
  clean flagged  clean (resource, theme) pairs with a finding of that theme:
                 false positives by the labels.
  CPU s          user + system CPU of the tool's process tree.

Themes: Cordon's findings carry one; Checkov's and Trivy's are read from the
check title with corpus.py's keyword table (THEME_WORDS), the same for both.

Usage:
  python3 bench/iac/goats.py --mirror DIR --engine PATH
      [--checkov PATH] [--trivy PATH] [--cache DIR] [--refresh] [--explain]
"""

import argparse
import json
import os
import re
import shutil
import sys
from collections import defaultdict
from pathlib import Path

from corpus import THEMES, cached_run, relative, themes_of_title, timed

HERE = Path(__file__).resolve().parent

TERRAFORM_TOP = re.compile(r"^(resource|data|variable|output|locals|module|provider|terraform)\b")
TERRAFORM_BLOCK = re.compile(r'^(resource|data)\s+"?([\w-]+)"?\s+"([\w-]+)"')
TERRAFORM_VARIABLE = re.compile(r'^variable\s+"?([\w-]+)"?')
CFN_RESOURCE = re.compile(r"^  ([A-Za-z0-9]+):\s*$")


def terraform_ranges(lines):
    ranges = {}
    current = None
    for number, line in enumerate(lines, 1):
        if TERRAFORM_TOP.match(line):
            if current:
                ranges[current[0]] = (current[1], number - 1)
            current = None
            if block := TERRAFORM_BLOCK.match(line):
                kind, type_, name = block.groups()
                address = f"{type_}.{name}" if kind == "resource" else f"data.{type_}.{name}"
                current = (address, number)
            elif variable := TERRAFORM_VARIABLE.match(line):
                current = (f"variable.{variable.group(1)}", number)
    if current:
        ranges[current[0]] = (current[1], len(lines))
    return ranges


def cloudformation_ranges(lines):
    ranges = {}
    inside = False
    current = None
    for number, line in enumerate(lines, 1):
        if line and not line[0].isspace() and not line.startswith("#"):
            if current:
                ranges[current[0]] = (current[1], number - 1)
                current = None
            inside = line.startswith("Resources:")
            continue
        if inside and (match := CFN_RESOURCE.match(line)):
            if current:
                ranges[current[0]] = (current[1], number - 1)
            current = (match.group(1), number)
    if current:
        ranges[current[0]] = (current[1], len(lines))
    return ranges


def kubernetes_ranges(lines):
    ranges = {}
    start = 1
    documents = []
    for number, line in enumerate(lines, 1):
        if line.startswith("---"):
            documents.append((start, number - 1))
            start = number + 1
    documents.append((start, len(lines)))
    for first, last in documents:
        kind = name = None
        in_metadata = False
        for line in lines[first - 1:last]:
            if match := re.match(r"^kind:\s*(\S+)", line):
                kind = match.group(1)
            if line.startswith("metadata:"):
                in_metadata = True
            elif line and not line[0].isspace():
                in_metadata = False
            elif in_metadata and name is None and (match := re.match(r"^  name:\s*(\S+)", line)):
                name = match.group(1)
        if kind and name:
            ranges[f"{kind}/{name}"] = (first, last)
    return ranges


def resource_ranges(path, text):
    """Labelled resource -> (first line, last line), from the file text."""
    lines = text.splitlines()
    if path.endswith(".tf"):
        return terraform_ranges(lines)
    # A template may open with `Resources:` and no format version line.
    if "AWSTemplateFormatVersion" in text or text.startswith("Resources:") or "\nResources:" in text:
        return cloudformation_ranges(lines)
    if path.endswith((".yaml", ".yml")) and "apiVersion:" in text:
        return kubernetes_ranges(lines)
    return {}


def run_cordon(engine, files):
    done, cpu, wall = timed([str(engine), str(files), "--json"])
    if done.returncode != 0:
        sys.exit(f"cordon engine failed: {done.stderr[-500:]}")
    report = json.loads(done.stdout)
    findings = []
    for file in report["files"]:
        for finding in file["findings"]:
            line = finding["location"]["line"]
            findings.append((file["path"], line, line, finding["rule_id"], {finding["theme"]}))
    return findings, cpu, wall, False


def run_checkov(checkov, files, cache, refresh):
    command = [
        checkov, "-d", ".", "-o", "json", "--quiet", "--compact", "--skip-download",
        "--framework", "terraform", "cloudformation", "kubernetes", "dockerfile", "github_actions",
    ]
    env = {**os.environ, "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false"}
    text, cpu, wall, reused = cached_run("checkov-goats", cache, refresh, command, files, env)
    reports = json.loads(text) if text.strip() else []
    if isinstance(reports, dict):
        reports = [reports]
    findings = []
    for report in reports:
        for check in report.get("results", {}).get("failed_checks", []):
            first, last = (check.get("file_line_range") or [0, 0])[:2]
            findings.append((relative(check["file_path"], files), first, last, check["check_id"],
                             themes_of_title(check.get("check_name", ""))))
    return findings, cpu, wall, reused


def run_trivy(trivy, files, cache, refresh):
    command = [
        trivy, "config", "--format", "json", "--quiet", "--skip-check-update",
        "--cache-dir", str(cache / "trivy-db"), ".",
    ]
    text, cpu, wall, reused = cached_run("trivy-goats", cache, refresh, command, files)
    report = json.loads(text) if text.strip() else {}
    findings = []
    for result in report.get("Results") or []:
        for misconfiguration in result.get("Misconfigurations") or []:
            if misconfiguration.get("Status", "FAIL") != "FAIL":
                continue
            cause = misconfiguration.get("CauseMetadata") or {}
            title = " ".join(misconfiguration.get(key, "") for key in ("Title", "Description"))
            findings.append((relative(result["Target"], files), cause.get("StartLine", 0),
                             cause.get("EndLine", 0), misconfiguration["ID"], themes_of_title(title)))
    return findings, cpu, wall, reused


def attribute(findings, ranges_by_file, labelled_files):
    """(file, resource) -> set of themes; plus the findings no labelled resource holds."""
    hits = defaultdict(set)
    rules = defaultdict(set)
    unattributed = []
    for path, first, last, rule, themes in findings:
        ranges = ranges_by_file.get(path)
        if ranges is None:
            if path in labelled_files:
                hits[(path, "file")] |= themes
                rules[(path, "file")].add(rule)
            else:
                unattributed.append((path, first, rule))
            continue
        holder = next((name for name, (a, b) in ranges.items() if a <= first <= b), None)
        if holder is None and last:
            holder = next((name for name, (a, b) in ranges.items() if first <= b and a <= last), None)
        if holder is None:
            unattributed.append((path, first, rule))
            continue
        hits[(path, holder)] |= themes
        rules[(path, holder)].add(rule)
    return hits, rules, unattributed


def score(hits, labels):
    found, missed, clean_flagged, clean_quiet = [], [], [], []
    for label in labels:
        key = (label["file"], label["resource"])
        for theme in label["flagged"]:
            (found if theme in hits.get(key, ()) else missed).append((key, theme))
        for theme in label["clean"]:
            (clean_flagged if theme in hits.get(key, ()) else clean_quiet).append((key, theme))
    return found, missed, clean_flagged, clean_quiet


def repository_of(path):
    return path.split("/", 1)[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mirror", required=True, help="directory fetch_goats.py wrote (holds files/)")
    parser.add_argument("--labels", default=str(HERE / "goats-labels.jsonl"))
    parser.add_argument("--engine", required=True, help="built iac_scan example of cordon-iac-engine")
    parser.add_argument("--checkov", default=shutil.which("checkov"))
    parser.add_argument("--trivy", default=shutil.which("trivy"))
    parser.add_argument("--cache", help="where peer outputs are kept (default: <mirror>/peer-cache)")
    parser.add_argument("--refresh", action="store_true", help="re-run the peers even if cached")
    parser.add_argument("--explain", action="store_true", help="every label with each tool's verdict")
    parser.add_argument("--json", help="also write the attributed hits and scores here")
    parser.add_argument(
        "--split",
        help="score only the labels of this split (`dev`: the files Cordon's policies were changed "
        "against; `holdout`, `holdout2`, `holdout3`: later batches, each labelled and measured before "
        "any change of its own; `other-goats`: 35 files from other vulnerable-by-design projects, "
        "labelled the same way; `other-goats2`: 12 more, labelled after the other-goats fixes; "
        "`other-goats3`: 39 more from further projects, labelled before any tool ran on them; "
        "`other-goats4`: 40 more from eight further projects, labelled the same way); every file in "
        "the mirror is still scanned, and the mirror needs to hold only this split's files",
    )
    args = parser.parse_args()

    mirror = Path(args.mirror).resolve()
    files = mirror / "files"
    cache = Path(args.cache).resolve() if args.cache else mirror / "peer-cache"
    cache.mkdir(parents=True, exist_ok=True)
    labels = [json.loads(line) for line in Path(args.labels).read_text().splitlines() if line.strip()]
    labelled_files = {label["file"] for label in labels}
    if args.split:
        labels = [label for label in labels if label.get("split") == args.split]
        if not labels:
            sys.exit(f"no label of split {args.split!r}")
    scored_files = {label["file"] for label in labels}

    ranges_by_file = {}
    for path in sorted(labelled_files):
        if not (files / path).is_file():
            # With --split, a mirror may hold only that batch; a scored file must be there.
            if path in scored_files:
                sys.exit(f"{path} is labelled but not in the mirror (run fetch_goats.py)")
            continue
        text = (files / path).read_text(encoding="utf-8")
        ranges = resource_ranges(path, text)
        if ranges:
            ranges_by_file[path] = ranges
    for label in labels:
        if label["resource"] != "file" and label["resource"] not in ranges_by_file.get(label["file"], {}):
            sys.exit(f"label names {label['resource']} which {label['file']} does not define")

    flagged_total = sum(len(label["flagged"]) for label in labels)
    clean_total = sum(len(label["clean"]) for label in labels)
    print(f"goats: {len(scored_files)} files, {len(labels)} labelled resources, "
          f"{flagged_total} labelled misconfigurations, {clean_total} clean (resource, theme) pairs")

    results = []
    for name, runner, tool in (
        ("cordon (native engine)", lambda: run_cordon(args.engine, files), args.engine),
        ("checkov", lambda: run_checkov(args.checkov, files, cache, args.refresh), args.checkov),
        ("trivy", lambda: run_trivy(args.trivy, files, cache, args.refresh), args.trivy),
    ):
        if not tool:
            results.append((name, None, 0.0, 0.0, "not installed"))
            continue
        findings, cpu, wall, reused = runner()
        results.append((name, findings, cpu, wall, " (cached run)" if reused else ""))

    repositories = sorted({repository_of(label["file"]) for label in labels})
    print()
    print("| tool | labelled misconfigurations found | " + " | ".join(repositories)
          + " | clean pairs flagged (false positives) | findings | unattributed | CPU s | wall s |")
    print("|---|---|" + "---|" * len(repositories) + "---|---|---|---|---|")
    verdicts = {}
    for name, findings, cpu, wall, note in results:
        if findings is None:
            print(f"| {name} | {note} |" + " |" * (len(repositories) + 5))
            continue
        hits, rules, unattributed = attribute(findings, ranges_by_file, labelled_files)
        found, missed, clean_flagged, clean_quiet = score(hits, labels)
        verdicts[name] = (hits, rules, set(found), set(clean_flagged), unattributed)
        per_repo = []
        for repository in repositories:
            got = sum(1 for (key, _) in found if repository_of(key[0]) == repository)
            of = got + sum(1 for (key, _) in missed if repository_of(key[0]) == repository)
            per_repo.append(f"{got}/{of}")
        print(f"| {name} | {len(found)}/{flagged_total} ({100 * len(found) / flagged_total:.0f}%) | "
              + " | ".join(per_repo)
              + f" | {len(clean_flagged)}/{clean_total} | {len(findings)} | {len(unattributed)} | "
              f"{cpu:.2f}{note} | {wall:.2f} |")

    print("\nby theme (found / labelled; clean pairs flagged / clean pairs):")
    names = list(verdicts)
    print("| theme | labelled | " + " | ".join(names) + " |")
    print("|---|---|" + "---|" * len(names))
    for theme in THEMES:
        labelled = sum(1 for label in labels if theme in label["flagged"])
        clean = sum(1 for label in labels if theme in label["clean"])
        if not labelled and not clean:
            continue
        cells = []
        for name in names:
            _, _, found, clean_flagged, _ = verdicts[name]
            got = sum(1 for (_, t) in found if t == theme)
            noisy = sum(1 for (_, t) in clean_flagged if t == theme)
            cells.append(f"{got}/{labelled} · {noisy}/{clean}")
        print(f"| {theme} | {labelled} | " + " | ".join(cells) + " |")

    if args.explain:
        print("\nevery label (+ found, - missed; for clean pairs ! flagged, . quiet):")
        print("| file | resource | theme | " + " | ".join(names) + " |")
        print("|---|---|---|" + "---|" * len(names))
        for label in labels:
            key = (label["file"], label["resource"])
            for theme in label["flagged"]:
                cells = ["+" if (key, theme) in verdicts[name][2] else "-" for name in names]
                print(f"| {label['file']} | {label['resource']} | {theme} | " + " | ".join(cells) + " |")
            for theme in label["clean"]:
                cells = ["!" if (key, theme) in verdicts[name][3] else "." for name in names]
                print(f"| {label['file']} | {label['resource']} | clean: {theme} | " + " | ".join(cells) + " |")
        for name in names:
            unattributed = verdicts[name][4]
            if unattributed:
                print(f"\n{name}: {len(unattributed)} findings outside every labelled resource:")
                for path, line, rule in sorted(unattributed)[:40]:
                    print(f"  {path}:{line} {rule}")

    if args.json:
        Path(args.json).write_text(json.dumps({
            name: {
                "found": sorted([list(key) + [theme] for key, theme in found]),
                "clean_flagged": sorted([list(key) + [theme] for key, theme in clean_flagged]),
                "rules": {f"{key[0]}#{key[1]}": sorted(rule_set) for key, rule_set in rules.items()},
                "unattributed": unattributed,
            }
            for name, (hits, rules, found, clean_flagged, unattributed) in verdicts.items()
        }, indent=1))


if __name__ == "__main__":
    main()
