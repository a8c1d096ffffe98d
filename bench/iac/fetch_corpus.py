#!/usr/bin/env python3
"""Rebuilds the independent IaC corpus that `corpus.py` scores, from
`corpus-manifest.jsonl`: every line names a public repository, a commit and
a path, and says where the file goes and how it is labelled.

The corpus is other projects' test files, so it is downloaded, never
committed here. Each file is fetched at the commit the manifest pins, so
the corpus is the same wherever it is rebuilt.

Usage:
  python3 bench/iac/fetch_corpus.py DEST [--manifest FILE] [--split NAME]
      [--base-url https://raw.githubusercontent.com]

DEST receives `manifest.jsonl` (the manifest's lines that were fetched) and
`files/`. --split fetches only the checks of one batch (e.g. holdout8).
--base-url can point at a mirror laid out as <repo>/<commit>/<path>
(a `file://` URL works too). A line that pins `sha256` is checked against
the bytes received, so a mirror cannot silently change a file.
"""

import argparse
import hashlib
import json
import sys
import urllib.parse
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def source_url(base, source):
    path = urllib.parse.quote(source["path"])
    return f"{base.rstrip('/')}/{source['repo']}/{source['commit']}/{path}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("dest")
    parser.add_argument("--manifest", default=str(HERE / "corpus-manifest.jsonl"))
    parser.add_argument("--base-url", default="https://raw.githubusercontent.com")
    parser.add_argument("--split", help="fetch only the lines whose `split` is this")
    args = parser.parse_args()

    dest = Path(args.dest)
    files = dest / "files"
    lines = [line for line in Path(args.manifest).read_text().splitlines() if line.strip()]
    if args.split:
        lines = [line for line in lines if json.loads(line).get("split") == args.split]
        if not lines:
            sys.exit(f"no line of split {args.split!r} in {args.manifest}")
    entries = [json.loads(line) for line in lines]
    failed = []
    for entry in entries:
        target = (files / entry["path"]).resolve()
        if files.resolve() not in target.parents:
            sys.exit(f"manifest path escapes the corpus: {entry['path']}")
        url = source_url(args.base_url, entry["source"])
        try:
            with urllib.request.urlopen(url, timeout=30) as response:
                body = response.read()
        except OSError as error:
            failed.append(f"{entry['path']}: {url}: {error}")
            continue
        pinned = entry.get("sha256")
        if pinned and hashlib.sha256(body).hexdigest() != pinned:
            failed.append(f"{entry['path']}: {url}: sha256 differs from the pinned {pinned[:12]}")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "manifest.jsonl").write_text("\n".join(lines) + "\n")
    print(f"{len(entries) - len(failed)}/{len(entries)} files written under {files}")
    if failed:
        print("not fetched:", *failed, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
