#!/usr/bin/env python3
"""Check the engine's OSV/PEP 440 matching against an independent reference.

For every package of the OSV PyPI snapshot (../shared/osv/pypi) this builds a
set of probe versions (every listed version, every range bound, and the
bounds' neighbours: `.dev0`, `rc1`, `.post1`), computes which advisories
affect each probe with the OSV evaluation rules on `packaging.version` (the
PyPA's PEP 440 implementation), then pins all probes in requirements files,
runs the `audit_dir` example on them and diffs the (package, version,
advisory) sets.

usage: bench/audit/osv_pypi_reference.py
  needs `packaging` and `PyYAML` (installed into a throw-away virtualenv
  when missing).
"""

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SNAPSHOT = REPO.parent / "shared" / "osv" / "pypi"


def ensure_dependencies():
    try:
        import packaging.version  # noqa: F401
        import yaml  # noqa: F401
    except ImportError:
        if os.environ.get("OSV_REFERENCE_VENV"):
            sys.exit("packaging/PyYAML still missing inside the virtualenv")
        venv = Path(tempfile.mkdtemp(prefix="osv-reference-venv-"))
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        python = venv / "bin" / "python"
        subprocess.run([str(python), "-m", "pip", "install", "-q", "packaging", "PyYAML"], check=True)
        env = dict(os.environ, OSV_REFERENCE_VENV="1")
        os.execve(str(python), [str(python), __file__, *sys.argv[1:]], env)


def normalize(name):
    import re
    return re.sub(r"[-_.]+", "-", name).lower()


def parse(text):
    from packaging.version import InvalidVersion, Version
    try:
        return Version(str(text))
    except InvalidVersion:
        return None


def range_events(events):
    """Sorted (key, kind, version) events, or None when a bound is not PEP 440."""
    parsed = []
    for event in events:
        for kind, value in event.items():
            value = str(value)
            if kind == "limit":
                continue
            if kind == "introduced" and value == "0":
                parsed.append((None, kind, value))
                continue
            version = parse(value)
            if version is None:
                return None
            parsed.append((version, kind, value))
    parsed.sort(key=lambda item: (item[0] is not None, item[0] or parse("0")))
    return parsed


def affected(events, version):
    vulnerable = False
    for bound, kind, _ in events:
        if kind == "introduced" and (bound is None or version >= bound):
            vulnerable = True
        elif kind == "fixed" and version >= bound:
            vulnerable = False
        elif kind == "last_affected" and version > bound:
            vulnerable = False
    return vulnerable


def load_advisories():
    import yaml
    by_package = {}
    for path in sorted(SNAPSHOT.glob("vulns/**/*.yaml")):
        record = yaml.load(path.read_text(), Loader=yaml.BaseLoader)  # every scalar stays a string
        if record.get("withdrawn"):
            continue
        for entry in record.get("affected") or []:
            package = entry.get("package") or {}
            if package.get("ecosystem") != "PyPI":
                continue
            ranges = []
            for rng in entry.get("ranges") or []:
                # GIT ranges are enumerated in `versions`; the PyPI data has no SEMVER ranges.
                if rng.get("type") == "ECOSYSTEM":
                    events = range_events(rng.get("events") or [])
                    if events is not None:
                        ranges.append(events)
            listed = [str(v) for v in entry.get("versions") or []]
            by_package.setdefault(normalize(package["name"]), []).append((record["id"], ranges, listed))
    return by_package


def probes(advisories):
    texts = set()
    for _, ranges, listed in advisories:
        texts.update(listed)
        for events in ranges:
            for bound, _, text in events:
                if bound is not None:
                    texts.update([text, f"{bound.base_version}.dev0", f"{bound.base_version}rc1",
                                  f"{bound.base_version}.post1"])
    return sorted(text for text in texts if parse(text) is not None and "+" not in text)


def expected_hits(name, advisories, versions):
    hits = set()
    for text in versions:
        version = parse(text)
        for advisory_id, ranges, listed in advisories:
            in_list = any((parse(v) == version) if parse(v) is not None else v == text for v in listed)
            if in_list or any(affected(events, version) for events in ranges):
                hits.add((name, text, advisory_id))
    return hits


def main():
    ensure_dependencies()
    by_package = load_advisories()
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    subprocess.run(["nice", "cargo", "build", "--release", "-p", "cordon-audit", "--example", "audit_dir"],
                   cwd=REPO, check=True)
    binary = target / "release" / "examples" / "audit_dir"

    expected, files, pins = set(), [], 0
    with tempfile.TemporaryDirectory(prefix="osv-reference-") as tmp:
        for name, advisories in sorted(by_package.items()):
            versions = probes(advisories)
            if not versions:
                continue
            expected |= expected_hits(name, advisories, versions)
            requirements = Path(tmp) / name / "requirements.txt"
            requirements.parent.mkdir()
            requirements.write_text("".join(f"{name}=={version}\n" for version in versions))
            files.append(str(requirements))
            pins += len(versions)
        result = subprocess.run([str(binary), str(SNAPSHOT), *files], capture_output=True, text=True)
        if result.returncode != 0:
            sys.exit(result.stderr)
    actual = set()
    for line in result.stdout.splitlines():
        finding = json.loads(line)
        actual.add((normalize(finding["package"]), finding["version"], finding["id"]))

    for hit in sorted(expected - actual)[:40]:
        print("only reference:", hit)
    for hit in sorted(actual - expected)[:40]:
        print("only cordon:   ", hit)
    print(f"{len(by_package)} packages, {pins} pinned probe versions, "
          f"{len(expected)} reference hits, {len(actual)} cordon hits, "
          f"{len(expected ^ actual)} differences")
    return 0 if expected == actual else 1


if __name__ == "__main__":
    sys.exit(main())
