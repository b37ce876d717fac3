#!/usr/bin/env bash
# Benchmarks (never run as tests): prints figures and ratios, writes results/bench.json.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npx --no-install nx run-many -t build --outputStyle=static </dev/null
for b in packages/*/dist/bench/*.bench.js; do
  [ -e "$b" ] || continue
  echo "== $b"
  node "$b"
done
