#!/usr/bin/env bash
# Builds every package with nx (cached), then runs ALL compiled tests in ONE node --test process, so that a
# single TAP summary is the last thing printed. Fails when a test fails or when no test ran.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npx --no-install nx run-many -t build --outputStyle=static </dev/null
log=$(mktemp)
set +e
node --test --test-reporter=tap --test-timeout=600000 packages/*/dist/ </dev/null 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
if ! grep -Eq '^# tests [1-9]' "$log"; then echo "no tests ran"; exit 1; fi
exit "$rc"
