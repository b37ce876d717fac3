#!/usr/bin/env bash
# The main job (README Quick start): build, run the committed experiments into results/sweeplab.db, print the
# top trials by test accuracy, and write the reports (results/reports/<experiment>/) and the committed
# Markdown summaries (results/<experiment>.md). A second run skips every finished trial.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/env.sh
npx --no-install nx run-many -t build --outputStyle=static </dev/null
sweeplab() { node packages/cli/bin/sweeplab.js "$@"; }
experiments=(so-45447740-original so-45447740-answer mnist-baselines)
files=()
for e in "${experiments[@]}"; do files+=("experiments/$e.yaml"); done

sweeplab run "${files[@]}"

echo
echo "Top trials by test accuracy:"
sweeplab query "SELECT s.experiment, substr(s.trial_id, 1, 8) AS trial,
    printf('%.2f%%', 100 * s.final_test_acc) AS test_acc, printf('%.2f%%', 100 * s.final_train_acc) AS train_acc,
    printf('%.4g', s.final_cost) AS cost,
    trim(replace(json_extract(t.config_json, '$.model.layers'), ',', '-'), '[]') AS layers,
    json_extract(t.config_json, '$.model.activation') AS act, json_extract(t.config_json, '$.train.optimizer') AS optimizer,
    json_extract(t.config_json, '$.train.batch') AS batch, json_extract(t.config_json, '$.train.lr') AS lr,
    s.epochs_done AS epochs, s.seed
  FROM trial_summary s JOIN trials t ON t.id = s.trial_id
  WHERE s.experiment NOT LIKE '\_%' ESCAPE '\' AND s.status = 'done'
  ORDER BY s.final_test_acc DESC LIMIT 10"

echo
for e in "${experiments[@]}"; do
  sweeplab report "$e" --summary "results/$e.md"
done

# The summaries are committed so a reader sees the findings without running anything: say whether this run
# reproduced them.
if git rev-parse --is-inside-work-tree >/dev/null 2>&1 && git ls-files --error-unmatch results/so-45447740-original.md >/dev/null 2>&1; then
  if git diff --quiet -- results/*.md; then
    echo "The committed summaries (results/*.md) match what this run produced."
  else
    echo "The summaries this run produced differ from the committed ones: git diff -- results/*.md"
  fi
fi
