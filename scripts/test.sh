#!/usr/bin/env bash
# Builds every package with nx (cached), lints, then runs ALL compiled tests in ONE node --test process, so that a
# single TAP summary is the last thing printed. Fails when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npx --no-install nx run-many -t build --outputStyle=static </dev/null
# nn-core's built-in GEMM tier: a second addon build with OpenBLAS hidden (build-builtin/, skipped when up to date),
# so the nn-core tests cover all three kernel tiers (OpenBLAS, built-in GEMM, TypeScript). Never fails.
npm run -s build:builtin -w @sweeplab/nn-core </dev/null || true
# Lint after the build (type-aware rules read other packages' types from their dist/) and before the tests, so
# that the tests' TAP summary stays the last thing printed. A lint error fails the run here.
npx --no-install eslint --max-warnings=0 . </dev/null
echo "eslint: no problems"
log=$(mktemp)
set +e
node --test --test-reporter=tap --test-timeout=600000 packages/*/dist/ </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if ! grep -Eq '^# tests [1-9]' "$log"; then echo "no tests ran"; exit 1; fi
exit "$rc"
