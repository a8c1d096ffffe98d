#!/usr/bin/env python3
"""Cordon's SBOM next to cdxgen and cyclonedx-py, on three real projects, in one run.

Projects (fetched from the package registries, then scanned offline):

- npm: express 4.17.1 as published (`npm pack`), its dependencies and
  devDependencies installed with `npm install --ignore-scripts`, so there is
  a `package-lock.json` and a `node_modules` tree with each package's
  `package.json`;
- PyPI: the openai 1.51.0 sdist, which ships Rye lockfiles; its
  `requirements.lock` (less the editable `-e file:.` line) is written as
  `requirements.txt`, a name every tool reads, and installed with
  `pip install --no-deps` into `.venv` together with openai itself;
- Cargo: this repository (its tracked files), whose crates' sources sit in
  the local cargo registry.

Each tool writes CycloneDX JSON offline:

- cordon: `cordon run --offline --only sbom --report cyclonedx=OUT DIR`;
- cdxgen: `cdxgen -t npm|python|rust --no-install-deps --spec-version 1.6`,
  with `FETCH_LICENSE` and `CDXGEN_FETCH_PKG_METADATA` unset (their defaults:
  no registry look-ups) and `CARGO_NET_OFFLINE=true`;
- cyclonedx-py (Python only): `environment .venv` and
  `requirements requirements.txt`.

Measured per project and tool: components of the project's ecosystem (the
root project itself left out), how many carry a licence, how many of the
packages the lockfile (npm, Cargo) or the installed environment (PyPI)
holds are covered and how many components are in neither, licence
agreement with Cordon on the components both list (matched by purl), the
dependency edges between packages and how many of the lockfile's edges are
present (npm: resolved as Node does from `node_modules` paths; Cargo: the
`dependencies` of every `[[package]]`), and wall time (median of RUNS after
one warm-up).

usage: bench/sbom/peers.py [--runs N] [--work DIR] [--json OUT]
  CORDON=path/to/cordon (default: target/release/cordon)
  CDXGEN=path/to/cdxgen (default: installed with npm into the work directory)
  CYCLONEDX_PY=path/to/cyclonedx-py (default: pip-installed into a venv there)
  CORDON_SBOM_DIR=path/to/sbom_dir (optional: also run the SBOM engine of this
    checkout, `cargo build --release -p cordon-sbom --example sbom_dir`)
Setting up needs the npm registry and PyPI; the scans themselves do not.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
import tomllib
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
NPM_PROJECT = ("express", "4.17.1")
PYPI_PROJECT = ("openai", "1.51.0")
CDXGEN_VERSION = "12.8.4"
CYCLONEDX_BOM_VERSION = "7.5.0"
NICE = ["nice", "-n", "10"]


def run(command, **kwargs):
    return subprocess.run(command, check=True, **kwargs)


# ---------------------------------------------------------------- set-up


def setup_npm(work):
    project = work / "npm-express"
    if (project / "package-lock.json").exists():
        return project
    name, version = NPM_PROJECT
    run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=work, stdout=subprocess.DEVNULL)
    with tarfile.open(work / f"{name}-{version}.tgz") as archive:
        archive.extractall(work / "npm-unpacked", filter="data")
    shutil.move(work / "npm-unpacked" / "package", project)
    run(NICE + ["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=project,
        stdout=subprocess.DEVNULL)
    return project


def setup_pypi(work, python):
    project = work / "py-openai"
    if (project / ".venv").exists():
        return project
    name, version = PYPI_PROJECT
    download = work / "sdists"
    run([python, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:",
         f"{name}=={version}", "-d", str(download)])
    with tarfile.open(download / f"{name}-{version}.tar.gz") as archive:
        archive.extractall(work / "py-unpacked", filter="data")
    shutil.move(work / "py-unpacked" / f"{name}-{version}", project)
    lock = (project / "requirements.lock").read_text()
    (project / "requirements.txt").write_text(
        "".join(line for line in lock.splitlines(keepends=True) if not line.startswith("-e ")))
    run([python, "-m", "venv", str(project / ".venv")])
    run(NICE + [str(project / ".venv" / "bin" / "pip"), "install", "-q", "--no-deps", "-r",
                str(project / "requirements.txt"), f"{name}=={version}"])
    return project


def setup_cargo(work):
    project = work / "cargo-cordon"
    if project.exists():
        shutil.rmtree(project)
    project.mkdir()
    files = run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True).stdout
    with subprocess.Popen(["tar", "--null", "-cf", "-", "-T", "-"], cwd=REPO, stdin=subprocess.PIPE,
                          stdout=subprocess.PIPE) as pack:
        unpack = subprocess.Popen(["tar", "-x", "-C", str(project)], stdin=pack.stdout)
        pack.stdin.write(files)
        pack.stdin.close()
        unpack.wait()
    return project


def find_cdxgen(work):
    if os.environ.get("CDXGEN"):
        return os.environ["CDXGEN"]
    prefix = work / "cdxgen"
    binary = prefix / "node_modules" / ".bin" / "cdxgen"
    if not binary.exists():
        run(NICE + ["npm", "install", "--prefix", str(prefix), "--no-audit", "--no-fund",
                    f"@cyclonedx/cdxgen@{CDXGEN_VERSION}"], stdout=subprocess.DEVNULL)
    return str(binary)


def find_cyclonedx_py(work):
    if os.environ.get("CYCLONEDX_PY"):
        return os.environ["CYCLONEDX_PY"]
    venv = work / "peers"
    binary = venv / "bin" / "cyclonedx-py"
    if not binary.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "pip"), "install", "-q", f"cyclonedx-bom=={CYCLONEDX_BOM_VERSION}"])
    return str(binary)


# ---------------------------------------------------------------- reading SBOMs


def normalize_pypi(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def purl_key(purl):
    """(type, name, version) of a purl, qualifiers and subpath dropped."""
    if not purl or not purl.startswith("pkg:"):
        return None
    body = purl[4:].split("#", 1)[0].split("?", 1)[0]
    kind, _, rest = body.partition("/")
    name, _, version = rest.rpartition("@")
    name = urllib.parse.unquote(name)
    version = urllib.parse.unquote(version)
    if kind == "pypi":
        name = normalize_pypi(name)
    return (kind, name, version)


def licence_text(component):
    """The component's licences as one comparable string, or None."""
    parts = []
    for entry in component.get("licenses") or []:
        if "expression" in entry:
            parts.append(entry["expression"])
        else:
            licence = entry.get("license", {})
            parts.append(licence.get("id") or licence.get("name") or "")
    parts = [p for p in parts if p]
    return " AND ".join(sorted(parts)) if parts else None


def canonical_licence(text):
    """Order-insensitive form: `MIT OR Apache-2.0` == `Apache-2.0 OR MIT`, `/` as OR."""
    tokens = re.split(r"\s+|[()]", text.replace("/", " OR "))
    return tuple(sorted(t.lower() for t in tokens if t))


def read_sbom(path, ecosystem):
    doc = json.loads(Path(path).read_text())
    by_ref, licences, root_keys = {}, {}, set()

    def walk(component, is_root=False):
        key = purl_key(component.get("purl"))
        if key:
            by_ref[component.get("bom-ref")] = key
            if is_root:
                root_keys.add(key)
            if licence_text(component):
                licences[key] = licence_text(component)
        for sub in component.get("components") or []:
            walk(sub)

    root = doc.get("metadata", {}).get("component")
    if root:
        walk(root, is_root=True)
    for component in doc.get("components") or []:
        walk(component)
    edges = set()
    for dependency in doc.get("dependencies") or []:
        source = by_ref.get(dependency.get("ref"))
        for target in dependency.get("dependsOn") or []:
            if source and by_ref.get(target):
                edges.add((source, by_ref[target]))
    packages = {key for key in by_ref.values() if key[0] == ecosystem} - root_keys
    return {"packages": packages, "licences": licences, "edges": edges, "roots": root_keys}


# ---------------------------------------------------------------- ground truth


def npm_truth(project):
    lock = json.loads((project / "package-lock.json").read_text())
    entries = lock["packages"]
    keys = {}
    for path, entry in entries.items():
        if path == "":
            keys[path] = ("npm", lock["name"], lock["version"])
        elif not entry.get("link"):
            name = entry.get("name") or path.rsplit("node_modules/", 1)[1]
            keys[path] = ("npm", name, entry["version"])

    def resolve(from_path, dependency):
        # Node looks in the package's own node_modules, then each parent's.
        base = from_path
        while True:
            candidate = f"{base}/node_modules/{dependency}" if base else f"node_modules/{dependency}"
            if candidate in keys:
                return keys[candidate]
            if not base:
                return None
            base = base.rsplit("/node_modules/", 1)[0] if "/node_modules/" in base else ""

    edges = set()
    for path, entry in entries.items():
        if path not in keys:
            continue
        wanted = dict(entry.get("dependencies") or {})
        wanted.update(entry.get("optionalDependencies") or {})
        if path == "":
            wanted.update(entry.get("devDependencies") or {})
        for dependency in wanted:
            target = resolve(path, dependency)
            if target:
                edges.add((keys[path], target))
    packages = {key for path, key in keys.items() if path}
    return {"packages": packages, "edges": edges, "source": "package-lock.json"}


def pypi_truth(project):
    packages = set()
    for metadata in (project / ".venv").glob("lib/python*/site-packages/*.dist-info/METADATA"):
        fields = dict(re.findall(r"^(Name|Version): (.+)$", metadata.read_text(errors="replace"), re.M))
        packages.add(("pypi", normalize_pypi(fields["Name"].strip()), fields["Version"].strip()))
    return {"packages": packages, "edges": None, "source": "installed .venv (*.dist-info)"}


def cargo_truth(project):
    packages, edges = set(), set()
    for lockfile in project.rglob("Cargo.lock"):
        lock = tomllib.loads(lockfile.read_text())
        entries = lock.get("package", [])
        versions = {}
        for entry in entries:
            versions.setdefault(entry["name"], []).append(entry["version"])
        for entry in entries:
            source = ("cargo", entry["name"], entry["version"])
            packages.add(source)
            for dependency in entry.get("dependencies", []):
                name, *rest = dependency.split(" ")
                edges.add((source, ("cargo", name, rest[0] if rest else versions[name][0])))
    return {"packages": packages, "edges": edges, "source": "every Cargo.lock"}


# ---------------------------------------------------------------- running


def timed(command, runs, env=None):
    run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)  # warm-up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def offline_env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("FETCH_LICENSE", "CDXGEN_FETCH_PKG_METADATA", "GITHUB_TOKEN")}
    env.update(extra)
    return env


def tools_for(name, project, out, cordon, cdxgen, cyclonedx_py, cache):
    cdxgen_type = {"npm": "npm", "pypi": "python", "cargo": "rust"}[name]
    tools = {
        "cordon": ([cordon, "run", "--offline", "--only", "sbom", "-q",
                    "--report", f"cyclonedx={out}/cordon.json", str(project)],
                   offline_env(CORDON_CACHE_DIR=str(cache)), f"{out}/cordon.json"),
        "cdxgen": ([cdxgen, "-t", cdxgen_type, "--no-install-deps", "--spec-version", "1.6",
                    "--no-validate", "-o", f"{out}/cdxgen.json", str(project)],
                   offline_env(CARGO_NET_OFFLINE="true"), f"{out}/cdxgen.json"),
    }
    engine = os.environ.get("CORDON_SBOM_DIR")
    if engine:
        # The engine as built from this checkout (the `sbom_dir` example walks
        # the directory as the stage does), to show changes that a prebuilt
        # `cordon` does not have yet.
        tools["cordon engine (sbom_dir, this checkout)"] = (
            [engine, str(project), f"{out}/cordon-engine.json"], offline_env(), f"{out}/cordon-engine.json")
    if name == "pypi":
        tools["cyclonedx-py environment"] = (
            [cyclonedx_py, "environment", "--spec-version", "1.6", "-o", f"{out}/cdxpy-env.json",
             str(project / ".venv")], offline_env(), f"{out}/cdxpy-env.json")
        tools["cyclonedx-py requirements"] = (
            [cyclonedx_py, "requirements", "--spec-version", "1.6", "-o", f"{out}/cdxpy-req.json",
             str(project / "requirements.txt")], offline_env(), f"{out}/cdxpy-req.json")
    return tools


def fraction(part, whole):
    return f"{len(part)}/{len(whole)}"


def compare(name, truth, tools, runs, baseline):
    results = {}
    for tool, (command, env, path) in tools.items():
        seconds = timed(command, runs, env)
        results[tool] = {"sbom": read_sbom(path, name), "seconds": seconds}
    cordon = results[baseline]["sbom"]
    table = {}
    for tool, result in results.items():
        sbom = result["sbom"]
        licensed = {k for k in sbom["packages"] if k in sbom["licences"]}
        shared = sbom["packages"] & cordon["packages"]
        both_licensed = {k for k in shared if k in sbom["licences"] and k in cordon["licences"]}
        agree = {k for k in both_licensed
                 if canonical_licence(sbom["licences"][k]) == canonical_licence(cordon["licences"][k])}
        row = {
            "components": len(sbom["packages"]),
            "with licence": len(licensed),
            f"{truth['source']} packages covered": fraction(sbom["packages"] & truth["packages"],
                                                           truth["packages"]),
            "components not in it": len(sbom["packages"] - truth["packages"]),
            f"shared with {baseline} (purl)": len(shared),
            f"licence agrees with {baseline} (both have one)": fraction(agree, both_licensed),
            "dependency edges": len({e for e in sbom["edges"] if e[0] not in sbom["roots"]}),
            "edges incl. from the root project": len(sbom["edges"]),
            "median s": round(result["seconds"], 3),
        }
        if tool != "cdxgen":
            peer = results["cdxgen"]["sbom"]
            both = {k for k in sbom["packages"] & peer["packages"]
                    if k in sbom["licences"] and k in peer["licences"]}
            same = {k for k in both
                    if canonical_licence(sbom["licences"][k]) == canonical_licence(peer["licences"][k])}
            row["licence agrees with cdxgen (both have one)"] = fraction(same, both)
        if truth["edges"] is not None:
            row["lockfile edges present"] = fraction(sbom["edges"] & truth["edges"], truth["edges"])
        table[tool] = row
        if tool != baseline:
            disagree = sorted(both_licensed - agree)[:5]
            if disagree:
                row["licence disagreements (first 5)"] = [
                    f"{k[1]}@{k[2]}: cordon {cordon['licences'][k]!r} vs {sbom['licences'][k]!r}"
                    for k in disagree]
    return table


def markdown(all_tables):
    lines = []
    for project, table in all_tables.items():
        tools = list(table)
        rows = []
        for row in table[tools[0]]:
            if row == "licence disagreements (first 5)":
                continue
            rows.append(row)
        for tool in tools:
            for row in table[tool]:
                if row not in rows and row != "licence disagreements (first 5)":
                    rows.append(row)
        lines.append(f"\n{project}\n")
        lines.append("| | " + " | ".join(tools) + " |")
        lines.append("| --- |" + " ---: |" * len(tools))
        for row in rows:
            lines.append(f"| {row} | " + " | ".join(str(table[t].get(row, "n/a")) for t in tools) + " |")
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--work", type=Path, default=Path("/tmp/cordon-sbom-peers"),
                        help="set-up projects and peers are kept here between runs")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    work = args.work.resolve()

    cordon = os.environ.get("CORDON") or str(REPO / "target" / "release" / "cordon")
    cdxgen = find_cdxgen(work)
    cyclonedx_py = find_cyclonedx_py(work)
    versions = {
        "cordon": run([cordon, "--version"], capture_output=True, text=True).stdout.strip(),
        "cdxgen": run([cdxgen, "--version"], capture_output=True, text=True).stdout.split("\n")[0],
        "cyclonedx-py": run([cyclonedx_py, "--version"], capture_output=True, text=True).stdout.strip(),
    }
    print(json.dumps(versions), file=sys.stderr)
    projects = {
        "npm: express 4.17.1 (package-lock.json + node_modules)": ("npm", setup_npm(work), npm_truth),
        "PyPI: openai 1.51.0 (requirements.lock as requirements.txt + .venv)":
            ("pypi", setup_pypi(work, sys.executable), pypi_truth),
        "Cargo: this repository": ("cargo", setup_cargo(work), cargo_truth),
    }
    cache = work / "cordon-cache"
    tables = {}
    for title, (name, project, truth_of) in projects.items():
        out = work / "out" / name
        out.mkdir(parents=True, exist_ok=True)
        truth = truth_of(project)
        tools = tools_for(name, project, out, cordon, cdxgen, cyclonedx_py, cache)
        baseline = "cordon"
        if name == "pypi":
            # Cordon's stages walk the workspace without hidden directories,
            # so `.venv` is not read; the same project with the environment
            # at `venv/` shows what it reads when it can see it, and is the
            # baseline for licence agreement.
            visible = project.parent / "py-openai-visible-venv"
            if not visible.exists():
                shutil.copytree(project, visible, symlinks=True,
                                ignore=shutil.ignore_patterns(".venv"))
                shutil.copytree(project / ".venv", visible / "venv", symlinks=True)
            command, env, _ = tools_for(name, visible, out, cordon, cdxgen, cyclonedx_py, cache)["cordon"]
            command[command.index(f"cyclonedx={out}/cordon.json")] = f"cyclonedx={out}/cordon-venv.json"
            tools["cordon, venv/ instead of .venv/"] = (command, env, f"{out}/cordon-venv.json")
            baseline = "cordon, venv/ instead of .venv/"
        tables[title] = compare(name, truth, tools, args.runs, baseline)
    print(json.dumps({"versions": versions, "tables": tables}, indent=2, default=list))
    print(markdown(tables))
    if args.json:
        args.json.write_text(json.dumps({"versions": versions, "tables": tables}, indent=2, default=list))


if __name__ == "__main__":
    main()
