// The search part of a report (experiments with sweep.search or prune): the search's learning curve (best objective
// so far against the epochs spent), every trial's objective per epoch with the pruned ones ending at their rung, the
// importance of each searched parameter (variance explained: η² of a one-way ANOVA per parameter), and the best
// trial's config as a YAML snippet. Deterministic: the same rows give the same Markdown.
import type { TopLevelSpec } from 'vega-lite';
import type { Prepared } from './analysis.js';
import { pctFormat } from './charts.js';
import { escapeHtml as h, finite, fmtNum, fmtPct } from './format.js';
import type { EpochRow, SearchReportInput, TrialRow } from './types.js';

export interface SearchPoint { order: number; trial: string; epochs: number; cumulative: number; value: number | null; best: number | null; status: string }
export interface Importance { path: string; eta2: number; groups: number; n: number }

/** Fewer trials trained to the end than this: the importance is computed at the first rung instead. */
export const IMPORTANCE_MIN = 8;

export interface SearchView {
  input: SearchReportInput;
  /** finished trials (done, pruned, diverged) in the order they finished */
  points: SearchPoint[];
  /** epochs trained by all trials so far, and what training every trial to the end would take */
  spent: number;
  full: number;
  best: TrialRow | null;
  bestValue: number | null;
  importance: Importance[];
  /** trials the importance is computed over */
  importanceN: number;
  /** null: over the final values of the trials trained to the end; else over every trial's value at this rung epoch */
  importanceEpoch: number | null;
}

const FINISHED = new Set(['done', 'pruned', 'diverged']);
const isAcc = (metric: string) => metric.endsWith('_acc');

export function metricAt(r: EpochRow, metric: string): number | null {
  return finite(metric === 'cost' ? r.cost : metric === 'loss' ? r.loss : metric === 'train_acc' ? r.trainAcc : metric === 'val_acc' ? r.valAcc : r.testAcc);
}

export function fmtObjective(metric: string, v: number | null): string {
  return isAcc(metric) ? fmtPct(v) : fmtNum(v);
}

/** The objective at a trial's last recorded epoch (its final value, or the value at its pruning rung). */
function finalValue(p: Prepared, t: TrialRow, metric: string): number | null {
  const rows = p.epochsOf(t.id);
  const last = rows[rows.length - 1];
  return last ? metricAt(last, metric) : null;
}

function valueAt(p: Prepared, t: TrialRow, metric: string, epoch: number): number | null {
  const row = p.epochsOf(t.id).find((r) => r.epoch === epoch);
  return row ? metricAt(row, metric) : null;
}

/** What the importance was computed over, in words. */
function importanceBasis(v: SearchView): string {
  const { metric } = v.input.objective;
  return v.importanceEpoch === null
    ? `the final ${metric} over the ${v.importanceN} trials trained to the end`
    : `${metric} at epoch ${v.importanceEpoch} (the first rung, which every trial reached) over ${v.importanceN} trials (fewer than ${IMPORTANCE_MIN} trained to the end)`;
}

/** η² of the objective for one parameter: numbers in quartile bins (of their log for log-scale ones), choices as groups. */
function eta2(values: ReadonlyArray<{ x: unknown; y: number }>, kind: 'log' | 'linear' | 'choice'): { eta2: number; groups: number } | null {
  if (values.length < 4) return null;
  const keyOf = (() => {
    if (kind === 'choice') return (x: unknown) => JSON.stringify(x);
    const xs = values.map((v) => (kind === 'log' ? Math.log(Number(v.x)) : Number(v.x))).sort((a, b) => a - b);
    const q = [0.25, 0.5, 0.75].map((f) => xs[Math.min(xs.length - 1, Math.floor(f * xs.length))] as number);
    return (x: unknown) => {
      const v = kind === 'log' ? Math.log(Number(x)) : Number(x);
      return String(q.filter((c) => v >= c).length);
    };
  })();
  const groups = new Map<string, number[]>();
  for (const v of values) {
    const k = keyOf(v.x);
    const g = groups.get(k);
    if (g) g.push(v.y);
    else groups.set(k, [v.y]);
  }
  const mean = values.reduce((s, v) => s + v.y, 0) / values.length;
  const total = values.reduce((s, v) => s + (v.y - mean) ** 2, 0);
  if (total <= 0 || groups.size < 2) return { eta2: 0, groups: groups.size };
  let between = 0;
  for (const g of groups.values()) {
    const m = g.reduce((s, y) => s + y, 0) / g.length;
    between += g.length * (m - mean) ** 2;
  }
  return { eta2: between / total, groups: groups.size };
}

export function searchView(p: Prepared, s: SearchReportInput): SearchView {
  const { metric, mode } = s.objective;
  const better = (a: number, b: number) => (mode === 'max' ? a > b : a < b);
  const finished = p.input.trials.filter((t) => FINISHED.has(t.status))
    .sort((a, b) => ((a.finishedAt ?? '') < (b.finishedAt ?? '') ? -1 : (a.finishedAt ?? '') > (b.finishedAt ?? '') ? 1 : (a.position ?? 0) - (b.position ?? 0)));
  const points: SearchPoint[] = [];
  let cumulative = 0;
  let best: number | null = null;
  let bestTrial: TrialRow | null = null;
  for (const [i, t] of finished.entries()) {
    const epochs = t.epochsDone ?? Math.max(0, (p.epochsOf(t.id).at(-1)?.epoch ?? 0));
    cumulative += epochs;
    const value = t.status === 'diverged' ? null : finalValue(p, t, metric);
    if (t.status === 'done' && value !== null && (best === null || better(value, best))) {
      best = value;
      bestTrial = t;
    }
    points.push({ order: i + 1, trial: t.id, epochs, cumulative, value, best, status: t.status });
  }
  // importance over the trials trained to the end; when a stopping rule left fewer than IMPORTANCE_MIN of them, over
  // every finished trial's value at the first rung (which each of them reached): a lower-fidelity but complete view
  const done = finished.filter((t) => t.status === 'done');
  const firstRung = s.rungs[0];
  const atRung = done.length < IMPORTANCE_MIN && firstRung !== undefined ? firstRung : null;
  const scored = atRung === null ? done : finished.filter((t) => t.status !== 'diverged');
  const valueFor = (t: TrialRow) => (atRung === null ? finalValue(p, t, metric) : valueAt(p, t, metric, atRung));
  const importance: Importance[] = [];
  for (const par of s.params) {
    const vals = scored.map((t) => ({ x: t.params[par.path], y: valueFor(t) }))
      .filter((v): v is { x: unknown; y: number } => v.x !== undefined && v.y !== null);
    const r = eta2(vals, par.kind);
    if (r) importance.push({ path: par.path, ...r, n: vals.length });
  }
  importance.sort((a, b) => b.eta2 - a.eta2 || (a.path < b.path ? -1 : 1));
  const trials = s.trials ?? p.input.trials.length;
  return {
    input: s, points, spent: cumulative, full: trials * s.epochsPerTrial, best: bestTrial, bestValue: best,
    importance, importanceN: importance.length > 0 ? Math.max(...importance.map((i) => i.n)) : done.length, importanceEpoch: atRung,
  };
}

// ---- YAML snippet of the best configuration

function yamlScalar(v: unknown): string {
  if (typeof v === 'string') return /^[A-Za-z_][\w.-]*$/.test(v) && !['true', 'false', 'null', 'yes', 'no', 'on', 'off'].includes(v) ? v : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v).replace(/^(-?\d+)e/, '$1.0e') : '.nan';
  return JSON.stringify(v) ?? 'null';
}

function yamlFlow(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(yamlFlow).join(', ')}]`;
  if (v !== null && typeof v === 'object') return `{ ${Object.entries(v).map(([k, x]) => `${k}: ${yamlFlow(x)}`).join(', ')} }`;
  return yamlScalar(v);
}

/** The model and train sections of a resolved trial config as YAML to paste into an experiment file. */
export function configYaml(t: TrialRow): string {
  const out: string[] = [];
  for (const section of ['model', 'train'] as const) {
    const sec = t.config[section] as Record<string, unknown> | undefined;
    if (!sec) continue;
    out.push(`${section}:`);
    for (const [k, v] of Object.entries(sec)) out.push(`  ${k}: ${yamlFlow(v)}`);
  }
  return out.join('\n');
}

// ---- charts

/** The search's learning curve: the best objective so far against the cumulative epochs, each trial's final value as a point. */
export function bestSoFarSpec(v: SearchView): TopLevelSpec {
  const { metric } = v.input.objective;
  const values = v.points.map((pt) => ({ cumulative: pt.cumulative, best: pt.best, value: pt.value, status: pt.status, trial: pt.trial.slice(0, 8) }));
  const yAxis = isAcc(metric) ? { format: pctFormat(values.map((x) => x.value)) } : {};
  return {
    title: `Best ${metric} so far against the epochs spent`,
    data: { values },
    width: 560, height: 240,
    layer: [
      {
        mark: { type: 'point', filled: true, size: 28, opacity: 0.7 },
        encoding: {
          x: { field: 'cumulative', type: 'quantitative', title: 'cumulative epochs trained (all trials)' },
          y: { field: 'value', type: 'quantitative', title: `${metric} (final, or at the pruning rung)`, scale: { zero: false }, axis: yAxis },
          color: { field: 'status', type: 'nominal', title: 'trial', scale: { domain: ['done', 'pruned', 'diverged'], range: ['#1f77b4', '#ff7f0e', '#d62728'] } },
          tooltip: [{ field: 'trial' }, { field: 'status' }, { field: 'value', format: '.4f' }],
        },
      },
      {
        mark: { type: 'line', interpolate: 'step-after', color: '#2ca02c' },
        encoding: {
          x: { field: 'cumulative', type: 'quantitative' },
          y: { field: 'best', type: 'quantitative' },
        },
      },
    ],
  };
}

/** Every trial's objective per epoch: pruned trials end at their rung. */
export function objectiveCurvesSpec(p: Prepared, v: SearchView): TopLevelSpec {
  const { metric } = v.input.objective;
  const values: Array<{ trial: string; epoch: number; value: number | null; status: string }> = [];
  for (const t of p.input.trials) {
    if (!FINISHED.has(t.status) && t.status !== 'running') continue;
    for (const r of p.epochsOf(t.id)) values.push({ trial: t.id, epoch: r.epoch, value: metricAt(r, metric), status: t.status });
  }
  const rungs = v.input.rungs;
  return {
    title: `${metric} per epoch of every trial${rungs.length ? ` (rungs at epochs ${rungs.join(', ')})` : ''}`,
    width: 560, height: 240,
    layer: [
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1, opacity: 0.55 },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', axis: { tickMinStep: 1, format: 'd' } },
          y: { field: 'value', type: 'quantitative', title: metric, scale: { zero: false }, axis: isAcc(metric) ? { format: pctFormat(values.map((x) => x.value)) } : {} },
          detail: { field: 'trial', type: 'nominal' },
          color: { field: 'status', type: 'nominal', title: 'trial', scale: { domain: ['done', 'pruned', 'diverged', 'running'], range: ['#1f77b4', '#ff7f0e', '#d62728', '#7f7f7f'] } },
        },
      },
      ...(rungs.length ? [{
        data: { values: rungs.map((epoch) => ({ epoch })) },
        mark: { type: 'rule' as const, strokeDash: [4, 4], color: '#999' },
        encoding: { x: { field: 'epoch', type: 'quantitative' as const } },
      }] : []),
    ],
  };
}

// ---- Markdown

function table(head: string[], rows: string[][], align: Array<'l' | 'r'>): string {
  const sep = head.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  return [head, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n');
}

/** A one-line account of the search: what ran, how many trials ended how, the compute spent. */
export function searchLine(v: SearchView): string {
  const s = v.input;
  const counts = new Map<string, number>();
  for (const pt of v.points) counts.set(pt.status, (counts.get(pt.status) ?? 0) + 1);
  const what = s.sampler ? `${s.sampler === 'tpe' ? 'TPE' : 'Random'} search of ${s.trials ?? '?'} trials` : 'Sweep';
  const ended = ['done', 'pruned', 'diverged'].filter((k) => counts.has(k)).map((k) => `${counts.get(k)} ${k}`).join(', ');
  const share = v.full > 0 ? ` (${(100 * v.spent / v.full).toFixed(1)} %)` : '';
  return `${what} on ${s.objective.metric} (${s.objective.mode})${s.prune ? `, ${s.prune}` : ''}: ${v.points.length} trials finished (${ended || 'none'}), ` +
    `${v.spent} epochs trained of the ${v.full} that training every trial to the end takes${share}.`;
}

export function searchMarkdown(p: Prepared, v: SearchView): string[] {
  const { metric } = v.input.objective;
  const out: string[] = ['## Search', '', searchLine(v), ''];
  const steps = v.points.filter((pt, i) => pt.best !== null && (i === 0 || pt.best !== v.points[i - 1]?.best));
  if (steps.length) {
    out.push(`Best ${metric} so far, at each improvement (trials in the order they finished):`, '');
    out.push(table(['trials finished', 'epochs spent', `best ${metric}`, 'trial'],
      steps.map((pt) => [String(pt.order), String(pt.cumulative), fmtObjective(metric, pt.best), `\`${pt.trial}\``]), ['r', 'r', 'r', 'l']), '');
  }
  out.push('### Parameter importance', '');
  if (v.importance.length === 0) out.push(`Not enough trials (${v.importanceN}) to compare parameters.`, '');
  else {
    out.push(`Share of the variance of ${importanceBasis(v)} explained by each searched parameter alone `
      + '(η² of a one-way ANOVA; numbers grouped into quartiles, on a log scale for loguniform ones). Parameters interact and trials are few: read it as a ranking.', '');
    out.push(table(['parameter', 'η²', 'groups'], v.importance.map((i) => [`\`${i.path}\``, i.eta2.toFixed(3), String(i.groups)]), ['l', 'r', 'r']), '');
  }
  if (v.best) {
    out.push(`### Best configuration (by ${metric})`, '', `Trial \`${v.best.id}\`: ${metric} ${fmtObjective(metric, v.bestValue)}, test accuracy ${fmtPct(v.best.finalTestAcc)} after ${v.best.epochsDone ?? '?'} epochs. Its model and train sections, to paste into an experiment file:`, '');
    out.push('```yaml', configYaml(v.best), '```', '');
  }
  return out;
}

// ---- HTML

/** The search section of the HTML report; `figures` is the section's charts, already rendered. */
export function searchHtml(v: SearchView, figures: string): string {
  const { metric } = v.input.objective;
  const imp = v.importance.length === 0
    ? `<p>Not enough trials (${v.importanceN}) to compare parameters.</p>`
    : `<p>Share of the variance of ${h(importanceBasis(v))} explained by each searched parameter alone (η² of a one-way ANOVA; numbers grouped into quartiles, on a log scale for loguniform ones).</p>`
      + `<table><thead><tr><th>parameter</th><th>η²</th><th>groups</th></tr></thead><tbody>${v.importance.map((i) => `<tr><td class="mono">${h(i.path)}</td><td class="num">${i.eta2.toFixed(3)}</td><td class="num">${i.groups}</td></tr>`).join('')}</tbody></table>`;
  const best = v.best
    ? `<h3>Best configuration (by ${h(metric)})</h3><p>Trial <span class="mono">${h(v.best.id)}</span>: ${h(metric)} ${h(fmtObjective(metric, v.bestValue))}, test accuracy ${h(fmtPct(v.best.finalTestAcc))}. Its model and train sections, to paste into an experiment file:</p><pre>${h(configYaml(v.best))}</pre>`
    : '';
  return `<section id="search"><h2>Search</h2><p>${h(searchLine(v))}</p>${figures}<h3>Parameter importance</h3>${imp}${best}</section>`;
}
