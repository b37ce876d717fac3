// The Markdown summary: compact and deterministic (the same rows give the same bytes), so a committed
// summary can be compared with a regenerated one. It holds no wall times, no environment details and no
// timestamp other than the caller's `generatedAt`.
import { type Prepared } from './analysis.js';
import { RULE_IDS } from './diagnose.js';
import { searchMarkdown, searchView } from './search.js';
import { escapeMd as e, finite, fmtMeanSd, fmtNum, fmtParam, fmtPct, MISSING, mdCode } from './format.js';
import type { StoredFinding } from '@sweeplab/store';
import type { Finding } from './types.js';

/** Trials listed in the Markdown summary. */
export const MD_TOP_TRIALS = 10;

function table(head: string[], rows: string[][], align?: Array<'l' | 'r'>): string {
  const sep = head.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

function evidenceMd(ev: StoredFinding['evidence']): string {
  return Object.entries(ev)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${typeof v === 'number' ? fmtNum(v) : String(v)}`)
    .join(', ');
}

export function renderMarkdown(p: Prepared): string {
  const { experiment, trials } = p.input;
  const file = experiment.file ?? `experiments/${experiment.name}.yaml`;
  const out: string[] = [];
  out.push(`# sweeplab report: ${e(experiment.name)}`, '');
  if (experiment.description) out.push(`> ${e(experiment.description)}`, '');
  const status = p.statusCounts.map(([s, n]) => `${n} ${e(s)}`).join(', ');
  out.push(`${trials.length} trial${trials.length === 1 ? '' : 's'}${trials.length ? ` (${status})` : ''}, ranked by final ${p.metric} accuracy.`, '');
  if (p.inProgress) out.push('**The sweep is still running**: this summary shows what was recorded so far.', '');
  out.push(`Reproduce: ${mdCode(`sweeplab run ${file}`)}${p.best ? `, then ${mdCode(`sweeplab reproduce ${p.best.id}`)} to re-run the best trial` : ''}; the full report: ${mdCode(`sweeplab report ${experiment.name}`)}.`, '');

  // best trial
  const best = p.best;
  if (best) {
    const vals = p.factors.map((f) => `${mdCode(f)} = ${mdCode(fmtParam(p.paramOf(best, f)))}`);
    out.push('## Best trial', '');
    out.push(`${mdCode(best.id)}${vals.length ? ` (${vals.join(', ')}${best.seed !== null ? `, seed ${best.seed}` : ''})` : best.seed !== null ? ` (seed ${best.seed})` : ''}: `
      + `test accuracy **${fmtPct(best.finalTestAcc)}**, train ${fmtPct(best.finalTrainAcc)}, final cost ${fmtNum(best.finalCost)} after ${best.epochsDone ?? MISSING} epochs `
      + `(${e(best.config.model.layers.join('-'))} ${e(best.config.model.activation)}, ${e(best.config.train.optimizer)}, batch ${e(best.config.train.batch)}, lr ${fmtNum(best.config.train.lr)}).`, '');
  }

  if (p.input.search) out.push(...searchMarkdown(p, searchView(p, p.input.search)));

  // top trials
  if (p.ranked.length) {
    const top = p.ranked.slice(0, MD_TOP_TRIALS);
    out.push(`## Top trials${p.ranked.length > top.length ? ` (${top.length} of ${p.ranked.length})` : ''}`, '');
    const head = ['#', 'trial', ...p.factors.map((f) => mdCode(f, true)), 'seed', 'status', 'final cost', 'train acc', 'test acc', 'epochs', 'diagnosis'];
    const rows = top.map((t) => [
      String(p.rank.get(t.id)), mdCode(t.id, true), ...p.factors.map((f) => mdCode(fmtParam(p.paramOf(t, f)), true)),
      t.seed === null ? MISSING : String(t.seed), e(t.status), fmtNum(t.finalCost), fmtPct(t.finalTrainAcc), fmtPct(t.finalTestAcc),
      String(t.epochsDone ?? MISSING),
      p.findingsOf(t.id).filter((f) => f.severity !== 'info').map((f) => `${f.rule}${f.severity === 'critical' ? ' (!)' : ''}`).join(', ') || MISSING,
    ]);
    const align: Array<'l' | 'r'> = ['r', 'l', ...p.factors.map((): 'l' => 'l'), 'r', 'l', 'r', 'r', 'r', 'r', 'l'];
    out.push(table(head, rows, align), '', '(!) = critical finding.', '');
  } else {
    out.push('No trials recorded yet.', '');
  }

  // per-parameter effects
  const effectTables: string[] = [];
  for (const f of p.factors) {
    const groups = p.groups(f);
    if (groups.length < 2) continue;
    const rows = groups.map((g) => {
      const accs = g.trials.map((t) => p.accOf(t)).filter((a): a is number => a !== null);
      const missing = g.trials.length - accs.length;
      return [mdCode(g.label, true), String(g.trials.length), fmtMeanSd(accs, true), accs.length ? fmtPct(Math.min(...accs)) : MISSING, accs.length ? fmtPct(Math.max(...accs)) : MISSING, String(missing)];
    });
    effectTables.push(`### ${mdCode(f)}`, '', table(['value', 'trials', `final ${p.metric} acc (mean ± sd)`, 'min', 'max', 'no result'], rows, ['l', 'r', 'r', 'r', 'r', 'r']), '');
  }
  if (effectTables.length) {
    out.push('## Effect of each swept parameter', '', `Final ${p.metric} accuracy over all trials with each value (other parameters and seeds pooled); "no result" counts diverged, failed and unfinished trials.`, '', ...effectTables);
  }

  // diagnosis of the best trial
  if (best) {
    const fs = p.findingsOf(best.id);
    out.push('## Diagnosis of the best trial', '');
    if (p.findingsComputed(best.id)) out.push('(computed by the report: no stored diagnosis)', '');
    if (fs.length === 0) out.push('No rule fired.', '');
    else out.push(table(['severity', 'rule', 'evidence', 'suggested change'], fs.map((f) => [f.severity, mdCode(f.rule, true), e(evidenceMd(f.evidence)), e(f.advice)])), '');
  }

  // rule counts across trials
  const counts = new Map<string, [number, number, number]>();
  for (const t of trials) {
    for (const f of p.findingsOf(t.id)) {
      const c = counts.get(f.rule) ?? [0, 0, 0];
      c[f.severity === 'critical' ? 0 : f.severity === 'warning' ? 1 : 2]++;
      counts.set(f.rule, c);
    }
  }
  if (counts.size && trials.length > 1) {
    const rules = [...counts.keys()].sort((a, b) => RULE_IDS.indexOf(a as Finding['rule']) - RULE_IDS.indexOf(b as Finding['rule']));
    out.push('## Diagnosis across trials', '', table(['rule', 'critical', 'warning', 'info'], rules.map((r) => {
      const c = counts.get(r) as [number, number, number];
      return [mdCode(r, true), String(c[0]), String(c[1]), String(c[2])];
    }), ['l', 'r', 'r', 'r']), '');
  }

  // gradient check
  out.push('## Gradient check', '');
  const gc = p.input.gradchecks;
  if (gc.length === 0) out.push('No gradient check recorded.', '');
  else {
    const archs = [...new Set(gc.map((g) => g.arch ?? MISSING))].sort();
    const failed = gc.filter((g) => !g.passed);
    const rel = gc.map((g) => finite(g.maxRelError)).filter((x): x is number => x !== null);
    const thr = gc.map((g) => finite(g.threshold)).filter((x): x is number => x !== null);
    const maxRel = rel.length ? Math.max(...rel) : null;
    const line = failed.length === 0
      ? `Passed: ${archs.length} architecture${archs.length === 1 ? '' : 's'} (${archs.map((a) => mdCode(a)).join(', ')}), ${gc.length} layer checks, max relative error ${fmtNum(maxRel, 3)}${thr.length ? ` (threshold ${fmtNum(Math.min(...thr), 3)})` : ''}.`
      : `**Failed** in ${failed.length} of ${gc.length} layer checks: ${failed.map((g) => `${mdCode(g.arch ?? MISSING)} layer ${g.layer} ${e(g.kind)} (max relative error ${fmtNum(g.maxRelError, 3)})`).join('; ')}.`;
    out.push(line, '');
  }
  return out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n';
}
