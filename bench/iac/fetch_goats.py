#!/usr/bin/env python3
"""Rebuilds the vulnerable-by-design IaC mirror that `goats.py` scores
(TerraGoat, CfnGoat, Kubernetes Goat) from `goats-manifest.jsonl`.

Every manifest line names a repository, a commit and a path, where the file
goes under DEST (`dest`), and the SHA-256 and size of the bytes the labels
were written against. Files are fetched at their pinned commit from
raw.githubusercontent.com, so the mirror is the same wherever it is rebuilt;
a file whose digest differs is reported and the run fails, so a score is
never computed on other bytes than the ones labelled.

The files are other projects' code: they are downloaded, never committed.

Usage:
  python3 bench/iac/fetch_goats.py DEST [--manifest FILE]
      [--base-url https://raw.githubusercontent.com]

DEST receives `files/<repo short name>/<path>`. --base-url can point at a
mirror laid out as <owner>/<repo>/<commit>/<path> (a `file://` URL works).
"""

import argparse
import hashlib
import json
import sys
import urllib.request
from pathlib import Path

from fetch_corpus import source_url

HERE = Path(__file__).resolve().parent


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dest")
    parser.add_argument("--manifest", default=str(HERE / "goats-manifest.jsonl"))
    parser.add_argument("--base-url", default="https://raw.githubusercontent.com")
    args = parser.parse_args()

    files = Path(args.dest) / "files"
    entries = [json.loads(line) for line in Path(args.manifest).read_text().splitlines() if line.strip()]
    failed = []
    for entry in entries:
        target = (files / entry["dest"]).resolve()
        if files.resolve() not in target.parents:
            sys.exit(f"manifest path escapes the mirror: {entry['dest']}")
        url = source_url(args.base_url, entry)
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
        except OSError as error:
            failed.append(f"{entry['dest']}: {url}: {error}")
            continue
        digest = hashlib.sha256(body).hexdigest()
        if digest != entry["sha256"]:
            failed.append(
                f"{entry['dest']}: {len(body)} bytes with sha256 {digest}, "
                f"labelled bytes are {entry['bytes']} with {entry['sha256']}"
            )
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    print(f"{len(entries) - len(failed)}/{len(entries)} files written under {files}")
    if failed:
        print("not written:", *failed, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
