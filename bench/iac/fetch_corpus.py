#!/usr/bin/env python3
"""Rebuilds the independent IaC corpus that `corpus.py` scores, from
`corpus-manifest.jsonl`: every line names a public repository, a commit and
a path, and says where the file goes and how it is labelled.

The corpus is other projects' test files, so it is downloaded, never
committed here. Each file is fetched at the commit the manifest pins, so
the corpus is the same wherever it is rebuilt.

Usage:
  python3 bench/iac/fetch_corpus.py DEST [--manifest FILE]
      [--base-url https://raw.githubusercontent.com]

DEST receives `manifest.jsonl` (a copy of the manifest) and `files/`.
--base-url can point at a mirror laid out as <repo>/<commit>/<path>
(a `file://` URL works too).
"""

import argparse
import json
import shutil
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
    args = parser.parse_args()

    dest = Path(args.dest)
    files = dest / "files"
    entries = [json.loads(line) for line in Path(args.manifest).read_text().splitlines() if line.strip()]
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
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(args.manifest, dest / "manifest.jsonl")
    print(f"{len(entries) - len(failed)}/{len(entries)} files written under {files}")
    if failed:
        print("not fetched:", *failed, sep="\n  ")
        sys.exit(1)


if __name__ == "__main__":
    main()
