#!/bin/sh
# Cordon on any CI agent: exit 0 clean, 1 findings, 2 incomplete.
# Reports land in $CORDON_OUT (default ./cordon-reports).
set -eu
out="${CORDON_OUT:-cordon-reports}"
mkdir -p "$out"
command -v cordon >/dev/null 2>&1 || cargo install --locked --git https://github.com/cordon-sec/cordon cordon
status=0
cordon run . \
    --report sarif="$out/cordon.sarif" \
    --report junit="$out/cordon-junit.xml" \
    --report json="$out/cordon.json" || status=$?
echo "cordon exited $status; reports in $out"
exit "$status"
