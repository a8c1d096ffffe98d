#!/usr/bin/env bash
# Generates the model corpus with the engine's example and compares
# Cordon's models engine with picklescan, modelscan and fickling on it.
# Needs: cargo, python3, and `pip install picklescan modelscan fickling`
# (tools that are missing are reported as such, not skipped silently).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
# Extra arguments after WORK_DIR go to compare.py (e.g. --json OUT).
work="${1:-$(mktemp -d)}"
shift || true
mkdir -p "$work"
cd "$repo"
cargo build --release -q -p cordon-models --example models_corpus --example models_scan
target="${CARGO_TARGET_DIR:-$repo/target}/release/examples"
"$target/models_corpus" "$work/corpus"
python3 "$here/compare.py" --scanner "$target/models_scan" --corpus "$work/corpus" --big "$work/big" "$@"
# Files written by the real libraries, when they are installed.
if python3 -c "import numpy" 2>/dev/null; then
  python3 "$here/real_world.py" "$target/models_scan" "$work/real"
fi
