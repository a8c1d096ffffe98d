#!/usr/bin/env bash
# Compares Cordon's SBOM engine with cargo-cyclonedx on one Cargo workspace:
# component coverage of the Cargo.lock packages, hashes, dependency edges
# and wall time.
#
#   bench/sbom/compare.sh [WORKSPACE_DIR] [RUNS]
#
# WORKSPACE_DIR defaults to this repository (its files as checked out,
# ignored ones left out, copied to a temporary directory because
# cargo-cyclonedx writes one BOM file beside every Cargo.toml). Needs cargo-cyclonedx (`cargo install cargo-cyclonedx`)
# and python3. cargo-cyclonedx runs `cargo metadata`, which downloads any
# crate missing from the local cache (for `--target all` that includes
# crates of other platforms); a warm-up run before timing does that.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
source_dir="${1:-$repo_root}"
runs="${2:-5}"
export SOURCE_DATE_EPOCH=1700000000

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
if git -C "$source_dir" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    (cd "$source_dir" && git ls-files -z --cached --others --exclude-standard \
        | tar --null --ignore-failed-read -cf - -T - 2>/dev/null) | tar -x -C "$work"
else
    cp -r "$source_dir"/. "$work"
fi

echo "building the native engine example (release)..." >&2
(cd "$repo_root" && nice cargo build --quiet --release -p cordon-sbom --example sbom_dir)
target_dir="${CARGO_TARGET_DIR:-$repo_root/target}"
cordon_bin="$target_dir/release/examples/sbom_dir"

cargo cyclonedx --version >&2

python3 - "$work" "$cordon_bin" "$runs" <<'PY'
import glob, json, os, statistics, subprocess, sys, time, tomllib

work, cordon_bin, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])

def timed(cmd, **kw):
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, **kw)
        samples.append(time.perf_counter() - start)
    return statistics.median(samples), min(samples)

# What the lockfile says: every package, its checksum, its edges.
lock = tomllib.load(open(os.path.join(work, "Cargo.lock"), "rb"))
packages = {(p["name"], p["version"]): p for p in lock.get("package", [])}
by_name = {}
for name, version in packages:
    by_name.setdefault(name, []).append(version)
lock_edges = set()
for (name, version), p in packages.items():
    for dep in p.get("dependencies", []):
        parts = dep.split(" ")
        dep_version = parts[1] if len(parts) > 1 else by_name[parts[0]][0]
        lock_edges.add(((name, version), (parts[0], dep_version)))
with_checksum = {k for k, p in packages.items() if "checksum" in p}

def purl_key(purl):
    # pkg:cargo/name@version?qualifiers -> (name, version)
    body = purl.split("?", 1)[0].split("/", 1)[1]
    name, _, version = body.rpartition("@")
    return (name, version.replace("%2B", "+"))

def summarize(docs):
    components, hashed, edges = {}, set(), set()
    def walk(c):
        if c.get("purl", "").startswith("pkg:cargo/"):
            key = purl_key(c["purl"])
            components[c["bom-ref"]] = key
            if c.get("hashes"):
                hashed.add(key)
        for sub in c.get("components", []):
            walk(sub)
    for doc in docs:
        walk(doc["metadata"].get("component", {}))
        for c in doc.get("components", []):
            walk(c)
    for doc in docs:
        for d in doc.get("dependencies", []):
            src = components.get(d["ref"])
            for target in d.get("dependsOn", []):
                dst = components.get(target)
                if src and dst:
                    edges.add((src, dst))
    covered = set(components.values()) & set(packages)
    return {
        "spec": sorted({doc["specVersion"] for doc in docs}),
        "documents": len(docs),
        "lockfile packages covered": f"{len(covered)}/{len(packages)}",
        "packages with checksum that carry a hash": f"{len(hashed & with_checksum)}/{len(with_checksum)}",
        "lockfile edges present": f"{len(edges & lock_edges)}/{len(lock_edges)}",
    }

results = {}

# cargo-cyclonedx: one BOM per workspace member, all targets.
cdx_cmd = ["cargo", "cyclonedx", "--format", "json", "--spec-version", "1.5", "--target", "all", "--all"]
subprocess.run(cdx_cmd, cwd=work, check=True, stdout=subprocess.DEVNULL)  # warm-up
median, best = timed(cdx_cmd, cwd=work)
docs = [json.load(open(p)) for p in glob.glob(os.path.join(work, "**", "*.cdx.json"), recursive=True)]
results["cargo-cyclonedx --target all"] = {**summarize(docs), "median s": round(median, 3), "best s": round(best, 3)}
twice = []
for _ in range(2):
    subprocess.run(cdx_cmd, cwd=work, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    twice.append(b"".join(open(p, "rb").read() for p in sorted(glob.glob(os.path.join(work, "**", "*.cdx.json"), recursive=True))))
results["cargo-cyclonedx --target all"]["byte-identical reruns"] = twice[0] == twice[1]
for p in glob.glob(os.path.join(work, "**", "*.cdx.json"), recursive=True):
    os.remove(p)

# Cordon's engine (native build of the same code the wasm stage runs).
out = os.path.join(work, "..", os.path.basename(work) + "-cordon.cdx.json")
subprocess.run([cordon_bin, work, out], check=True, stderr=subprocess.DEVNULL)  # warm-up
median, best = timed([cordon_bin, work, out])
doc = json.load(open(out))
results["cordon (native engine)"] = {**summarize([doc]), "median s": round(median, 3), "best s": round(best, 3)}
first = open(out, "rb").read()
subprocess.run([cordon_bin, work, out], check=True, stderr=subprocess.DEVNULL)
results["cordon (native engine)"]["byte-identical reruns"] = first == open(out, "rb").read()
os.remove(out)

print(json.dumps(results, indent=2))
PY
