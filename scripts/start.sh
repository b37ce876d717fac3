#!/usr/bin/env bash
# The main job (README Quick start): build, run the committed experiments into results/sweeplab.db, print the
# top trials by test accuracy, and write the reports (results/reports/<experiment>/) and the committed
# Markdown summaries (results/<experiment>.md). A second run skips every finished trial.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npx --no-install nx run-many -t build --outputStyle=static </dev/null
sweeplab() { node packages/runner/bin/sweeplab.js "$@"; }
experiments=(so-45447740-original so-45447740-answer mnist-baselines)
files=()
for e in "${experiments[@]}"; do files+=("experiments/$e.yaml"); done

sweeplab run "${files[@]}"

echo
echo "Top trials by test accuracy:"
sweeplab query "SELECT experiment, substr(trial_id, 1, 8) AS trial, status,
    printf('%.2f%%', 100 * final_test_acc) AS test_acc, printf('%.2f%%', 100 * final_train_acc) AS train_acc,
    printf('%.4f', final_cost) AS cost, epochs_done AS epochs, params_json AS params
  FROM trial_summary WHERE experiment NOT LIKE '\_%' ESCAPE '\' AND status = 'done'
  ORDER BY final_test_acc DESC LIMIT 10"

echo
for e in "${experiments[@]}"; do
  sweeplab report "$e" --summary "results/$e.md"
done
