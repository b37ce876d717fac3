/** `sweeplab show <trial-id>`: a trial's config, status, final metrics and learning curve. */
import type { Command } from 'commander';
import { Document, isScalar, visit } from 'yaml';
import { withResults } from '@sweeplab/runner';
import type { EpochRecord, TrialLink, TrialRecord } from '@sweeplab/store';
import { act, dbOption, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { textTable } from '../format.js';

export interface TrialDetails {
  trial: TrialRecord;
  /** the experiments this trial belongs to, with its swept parameters in each */
  links: TrialLink[];
  epochs: EpochRecord[];
}

/** Looks a trial up by a unique id prefix (InputError UNKNOWN_TRIAL / AMBIGUOUS_TRIAL otherwise). */
export function showTrial(idPrefix: string, db: string): TrialDetails {
  return withResults(db, (r) => r.snapshot(() => {
    const id = r.resolveTrialId(idPrefix);
    const trial = r.trial(id);
    if (!trial) throw new Error(`trial ${id} vanished while reading it`);
    return { trial, links: r.trialLinks(id), epochs: r.epochs(id) };
  }));
}

/** The config as YAML, with lists of plain values on one line (`layers: [784, 5, 5, 10]`). */
export function configYaml(config: unknown): string {
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
  for (const l of d.links) lines.push(`  experiment ${l.experiment} #${l.position}  params ${JSON.stringify(l.params)}`);
  lines.push(`  arch ${t.arch}  seed ${t.seed}  backend ${t.backend ?? '-'}  attempt ${t.attempt}`);
  lines.push(`  started ${t.startedAt ?? '-'}  finished ${t.finishedAt ?? '-'}`);
  if (t.error) lines.push(`  ${t.status === 'pruned' ? 'pruned' : 'error'}: ${t.error}`);
  if (t.divergedEpoch !== null) lines.push(`  diverged at epoch ${t.divergedEpoch}`);
  lines.push(`  final: cost ${f(t.finalCost)}  train ${pct(t.finalTrainAcc)}  test ${pct(t.finalTestAcc)}  ` +
    `best test ${pct(t.bestTestAcc)}  epochs ${t.epochsDone ?? '-'}`);
  const s = t.summary;
  if (s && typeof s.priorCost === 'number') {
    lines.push(`  prior cost ${f(s.priorCost)} (a net that outputs the class frequencies)  train size ${s.trainSize}  ` +
      `parameters ${s.numParams}  updates ${s.updates}`);
  }
  lines.push('', 'config:');
  lines.push(configYaml(t.config).trimEnd().split('\n').map((x) => '  ' + x).join('\n'));
  lines.push('', `learning curve (${d.epochs.length} row${d.epochs.length === 1 ? '' : 's'}; epoch 0 = untrained):`);
  const hasVal = d.epochs.some((e) => e.valAcc !== null);
  const head = ['epoch', 'cost', 'loss', 'train acc', 'test acc', ...(hasVal ? ['val acc'] : []), 'lr', 'out std', 'seconds'];
  const table = textTable(head);
  for (const e of d.epochs) {
    table.push([e.epoch, f(e.cost), f(e.loss), pct(e.trainAcc), pct(e.testAcc), ...(hasVal ? [pct(e.valAcc)] : []),
      f(e.lr, 4), f(e.outStd, 4), e.seconds === null ? '-' : e.seconds.toFixed(3)]);
  }
  lines.push(table.toString());
  return lines.join('\n') + '\n';
}

export function register(program: Command, deps: CliDeps): void {
  program.command('show')
    .description("print a trial's config, final metrics and learning curve")
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .addOption(dbOption())
    .action(act(deps, (id: string, o: { db: string }) => {
      out(renderTrial(showTrial(id, o.db)));
      return 0;
    }));
}
