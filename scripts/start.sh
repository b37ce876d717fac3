#!/usr/bin/env bash
# The main job (README Quick start): build, then run the committed experiments and report on them.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npx --no-install nx run-many -t build --outputStyle=static </dev/null
echo "sweeplab: the runner is not built yet (issue 4). This command will run experiments/so-45447740-original.yaml,"
echo "then experiments/so-45447740-answer.yaml, into results/sweeplab.db and print the top trials by test accuracy."
