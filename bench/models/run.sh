#!/usr/bin/env bash
# The models benchmark: the `cordon` binary next to picklescan, modelscan
# and fickling on one corpus, in the same run.
#
# Usage: run.sh [WORK_DIR] [--cordon PATH] [--no-big] [compare.py options, e.g. --json OUT]
#
# 1. builds the engine's `models_corpus` example (debug; it only writes
#    files) and writes the generated corpus plus two sparse 10 GiB joblib
#    dumps;
# 2. adds files written by the real libraries (real_world.py: NumPy,
#    joblib, scikit-learn, h5py when installed; the models shipped in the
#    silero-vad wheel, fetched from PyPI with `pip download`);
# 3. runs compare.py: cordon over the folder, each peer per file and over
#    the folder, then everyone on the sparse 10 GiB files. The `engine`
#    column is this checkout's engine through the `models_scan` example
#    (debug build, no sandbox): it shows the current source's verdicts when
#    the cordon binary is older.
#
# The cordon binary: --cordon, else $CORDON, else target/release/cordon,
# else `cordon` on PATH (nothing here builds the runner). Peers are looked
# up on PATH: `pip install picklescan[7z] modelscan[h5py] fickling` (and
# numpy, joblib, scikit-learn, lz4 for the real-library files); a missing
# one is reported, not skipped silently. Nothing in the corpus is ever
# loaded: the payloads only name the harmless command `id`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
work="$(mktemp -d)"
if [[ $# -gt 0 && "$1" != --* ]]; then
  work="$1"
  shift
fi
cordon="${CORDON:-}"
big=1
rest=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --cordon) cordon="$2"; shift 2 ;;
    --no-big) big=0; shift ;;
    *) rest+=("$1"); shift ;;
  esac
done
if [[ -z "$cordon" ]]; then
  if [[ -x "$repo/target/release/cordon" ]]; then
    cordon="$repo/target/release/cordon"
  else
    cordon="$(command -v cordon || true)"
  fi
fi
[[ -x "$cordon" ]] || { echo "no cordon binary: pass --cordon PATH" >&2; exit 2; }
python="${PYTHON:-python3}"

mkdir -p "$work"
rm -rf "$work/corpus"
cd "$repo"
CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-1}" cargo build -q -p cordon-models --example models_corpus --example models_scan
target="${CARGO_TARGET_DIR:-$repo/target}/debug/examples"
big_args=()
if [[ $big == 1 ]]; then
  mkdir -p "$work/big"
  "$target/models_corpus" "$work/corpus" --big "$work/big"
  big_args=(--big "$work/big")
else
  "$target/models_corpus" "$work/corpus"
fi
"$python" "$here/real_world.py" "$work/corpus" --repo "$repo"
echo "cordon: $cordon ($("$cordon" --version))" >&2
"$python" "$here/compare.py" --cordon "$cordon" --engine-scan "$target/models_scan" --corpus "$work/corpus" \
  "${big_args[@]}" "${rest[@]}"
if [[ $big == 1 ]]; then
  # The sparse files take no disk space, but a copy of them would.
  rm -rf "$work/big"
fi
