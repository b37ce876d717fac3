/** `sweeplab show <trial-id>`: a trial's config, status, final metrics and learning curve. */
import { Document, isScalar, visit } from 'yaml';
import { DEFAULT_DB_PATH, openReadOnly } from './store/db.js';
import { getEpochs, getTrial, getTrialLinks, resolveTrialId, type EpochRow, type TrialLink, type TrialRow } from './store/read.js';
import { textTable } from './format.js';

export interface TrialDetails {
  trial: TrialRow;
  /** the experiments this trial belongs to, with its swept parameters in each */
  links: TrialLink[];
  epochs: EpochRow[];
  config: unknown;
  summary: unknown;
  finalEval: unknown;
}

/** Looks a trial up by a unique id prefix (InputError UNKNOWN_TRIAL / AMBIGUOUS_TRIAL otherwise). */
export function showTrial(idPrefix: string, opts: { db?: string } = {}): TrialDetails {
  const db = openReadOnly(opts.db ?? DEFAULT_DB_PATH);
  try {
    const id = resolveTrialId(db, idPrefix);
    const trial = getTrial(db, id)!;
    return {
      trial,
      links: getTrialLinks(db, id),
      epochs: getEpochs(db, id),
      config: JSON.parse(trial.config_json),
      summary: trial.summary_json ? JSON.parse(trial.summary_json) : null,
      finalEval: trial.final_eval_json ? JSON.parse(trial.final_eval_json) : null,
    };
  } finally {
    db.close();
  }
}

/** The config as YAML, with lists of plain values on one line (`layers: [784, 5, 5, 10]`). */
function configYaml(config: unknown): string {
  const doc = new Document(config);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  return doc.toString({ indent: 2 });
}

const f = (x: number | null, digits = 6) => (x === null ? '-' : Number.isInteger(x) ? String(x) : x.toPrecision(digits));
const pct = (x: number | null) => (x === null ? '-' : `${(100 * x).toFixed(2)}%`);

export function renderTrial(d: TrialDetails): string {
  const t = d.trial;
  const lines: string[] = [];
  lines.push(`trial ${t.id}  (${t.status})`);
  for (const l of d.links) lines.push(`  experiment ${l.experiment} #${l.position}  params ${l.params_json}`);
  lines.push(`  arch ${t.arch}  seed ${t.seed}  backend ${t.backend ?? '-'}`);
  lines.push(`  started ${t.started_at ?? '-'}  finished ${t.finished_at ?? '-'}`);
  if (t.error) lines.push(`  error: ${t.error}`);
  if (t.diverged_epoch !== null) lines.push(`  diverged at epoch ${t.diverged_epoch}`);
  lines.push(`  final: cost ${f(t.final_cost)}  train ${pct(t.final_train_acc)}  test ${pct(t.final_test_acc)}  ` +
    `best test ${pct(t.best_test_acc)}  epochs ${t.epochs_done ?? '-'}`);
  const s = d.summary as { priorCost?: number; trainSize?: number; numParams?: number; updates?: number } | null;
  if (s && typeof s.priorCost === 'number') {
    lines.push(`  prior cost ${f(s.priorCost)} (a net that outputs the class frequencies)  train size ${s.trainSize}  ` +
      `parameters ${s.numParams}  updates ${s.updates}`);
  }
  lines.push('', 'config:');
  lines.push(configYaml(d.config).trimEnd().split('\n').map((x) => '  ' + x).join('\n'));
  lines.push('', `learning curve (${d.epochs.length} row${d.epochs.length === 1 ? '' : 's'}; epoch 0 = untrained):`);
  const hasVal = d.epochs.some((e) => e.val_acc !== null);
  const head = ['epoch', 'cost', 'loss', 'train acc', 'test acc', ...(hasVal ? ['val acc'] : []), 'lr', 'out std', 'seconds'];
  const table = textTable(head);
  for (const e of d.epochs) {
    table.push([e.epoch, f(e.cost), f(e.loss), pct(e.train_acc), pct(e.test_acc), ...(hasVal ? [pct(e.val_acc)] : []),
      f(e.lr, 4), f(e.out_std, 4), e.seconds === null ? '-' : e.seconds.toFixed(3)]);
  }
  lines.push(table.toString());
  return lines.join('\n') + '\n';
}
