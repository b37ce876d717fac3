/** The per-experiment SQL views `trials_<name>`: the trial summary with one column per swept parameter. */

/** `trials_<name>`: the per-experiment view's name (characters outside [A-Za-z0-9_] become `_`). */
export function experimentViewName(name: string): string {
  return `trials_${name.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** SQL column name of a swept dotted path in `trials_<name>` (`train.lr` -> `train_lr`). */
export function paramColumnName(path: string): string {
  return path.replace(/[^A-Za-z0-9_]/g, '_');
}

const VIEW_FIXED_COLUMNS = [
  'trial_id', 'position', 'status', 'seed', 'epochs_done', 'final_cost', 'final_train_acc', 'final_test_acc',
  'best_test_acc', 'diverged_epoch', 'backend', 'error', 'total_seconds', 'params_json', 'pruned_epoch',
];

export const quoteIdent = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const quoteText = (s: string) => `'${s.replace(/'/g, "''")}'`;

/** The CREATE VIEW statement of `trials_<name>`. */
export function experimentViewSql(name: string, sweptPaths: readonly string[]): string {
  const used = new Set(VIEW_FIXED_COLUMNS);
  const paramCols = sweptPaths.map((p) => {
    let col = paramColumnName(p);
    while (used.has(col)) col += '_';
    used.add(col);
    return `json_extract(s.params_json, ${quoteText(`$.${JSON.stringify(p)}`)}) AS ${quoteIdent(col)}`;
  });
  const cols = [
    's.trial_id', 's.position', 's.status', ...paramCols, 's.seed', 's.epochs_done', 's.final_cost', 's.final_train_acc',
    's.final_test_acc', 's.best_test_acc', 's.diverged_epoch', 's.backend', 's.error', 's.total_seconds', 's.params_json',
    's.pruned_epoch',
  ];
  return `CREATE VIEW ${quoteIdent(experimentViewName(name))} AS SELECT ${cols.join(', ')} ` +
    `FROM trial_summary s WHERE s.experiment = ${quoteText(name)} ORDER BY s.position`;
}
