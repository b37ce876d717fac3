/**
 * The dashboard's charts: vega-lite specs from the reports' builders (@sweeplab/reporting: learning curves, effect
 * of each parameter, confusion matrix, accuracy per class, inside-the-net) plus three of its own (parallel
 * coordinates, best-so-far against compute, learning rate and output statistics), compiled here to vega specs with
 * the reports' look. The browser draws them with vega; a chart that grows live names its dataset and says how an
 * epoch becomes rows of it (`live`), so new epochs are inserted instead of the chart being fetched again.
 */
import {
  compileChart, confusionSpec, curvesSpec, effectSpec, layersSpec, pctFormat, perClassSpec,
  type CurvePoint, type EffectMean, type EffectPoint, type HeatCell, type LayerPoint,
} from '@sweeplab/reporting';
import type { EpochRecord, FinalEval, TrialListRow, TrialRecord } from '@sweeplab/store';

type TopLevelSpec = Parameters<typeof compileChart>[0];

/** How the browser turns a new epoch into rows of a live chart's dataset. */
export type LiveKind = 'curves' | 'splits' | 'lrout' | 'grads' | 'sat';

export interface ChartOut {
  name: string;
  caption: string;
  /** the compiled vega spec */
  spec: unknown;
  /** canvas for charts of many marks, svg otherwise */
  renderer: 'svg' | 'canvas';
  /** dataset -> how epochs become its rows; `series` maps trial ids to their series label, `metric` the accuracy */
  live?: { datasets: Array<{ name: string; kind: LiveKind }>; series?: Record<string, string>; metric?: 'test' | 'train' };
}

const SEED_PATHS = new Set(['train.seed', 'seed']);
const MAX_CATEGORIES = 12;
const CANVAS_MARKS = 1500;

/** Marks a chart of a large experiment draws at most (the rest are summarised; captions say how many are shown). */
const MAX_LINES = 1000;
const MAX_POINTS = 1500;

/** At most `n` items of `xs` (sorted as wanted): the first `head`, then evenly spaced ones from the rest. */
export function thin<T>(xs: readonly T[], n: number, head = 0): T[] {
  if (xs.length <= n) return [...xs];
  const top = xs.slice(0, head);
  const rest = xs.slice(head);
  const k = n - top.length;
  return [...top, ...Array.from({ length: k }, (_, i) => rest[Math.floor((i * rest.length) / k)] as T)];
}

const finite = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

export function fmtValue(v: unknown): string {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

function compareValues(a: unknown, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return fmtValue(a).localeCompare(fmtValue(b), 'en', { numeric: true });
}

/** Names the top-level dataset of a spec built from inline values (so the browser can insert into it). */
function named(spec: TopLevelSpec, name: string): TopLevelSpec {
  const s = spec as { data?: { values?: unknown[]; name?: string } };
  if (s.data && Array.isArray(s.data.values)) s.data = { ...s.data, name };
  return spec;
}

function out(name: string, caption: string, spec: TopLevelSpec, marks: number, live?: ChartOut['live']): ChartOut {
  return { name, caption, spec: compileChart(spec), renderer: marks > CANVAS_MARKS ? 'canvas' : 'svg', ...(live ? { live } : {}) };
}

/** The accuracy an experiment is judged by: test if any trial has one, else train. */
export function metricOf(rows: readonly TrialListRow[]): 'test' | 'train' {
  return rows.some((t) => finite(t.finalTestAcc) !== null) ? 'test' : 'train';
}

const accOf = (t: TrialListRow, metric: 'test' | 'train') => finite(metric === 'test' ? t.finalTestAcc : t.finalTrainAcc);

/** The swept paths of an experiment: the keys of its trials' params, in order of first appearance. */
export function sweptPathsOf(rows: readonly TrialListRow[], experiment: string): string[] {
  const paths: string[] = [];
  for (const t of rows) {
    const link = t.links.find((l) => l.experiment === experiment);
    for (const k of Object.keys(link?.params ?? {})) if (!paths.includes(k)) paths.push(k);
  }
  return paths;
}

const paramsOf = (t: TrialListRow, experiment: string) => t.links.find((l) => l.experiment === experiment)?.params ?? {};

/** A trial's series label: id prefix, the values of the parameters that vary, and its status when not done. */
export function seriesLabel(t: TrialListRow, experiment: string, varying: readonly string[]): string {
  const p = paramsOf(t, experiment);
  const parts = varying.map((path) => `${path.slice(path.lastIndexOf('.') + 1)}=${fmtValue(p[path])}`);
  const label = `${t.id.slice(0, 6)}${parts.length ? ' ' + parts.join(' ') : ''}${t.status === 'done' ? '' : ` (${t.status})`}`;
  return label.length > 60 ? label.slice(0, 59) + '…' : label;
}

/** Parameters (not the seed) with more than one value among the rows. */
export function varyingPaths(rows: readonly TrialListRow[], experiment: string): string[] {
  return sweptPathsOf(rows, experiment).filter((path) => !SEED_PATHS.has(path) &&
    new Set(rows.map((t) => JSON.stringify(paramsOf(t, experiment)[path] ?? null))).size > 1);
}

/** The trials an experiment's live curves show: every running trial and the best finished ones. */
export function curveTrialIds(rows: readonly TrialListRow[], best = 5): string[] {
  const metric = metricOf(rows);
  const running = rows.filter((t) => t.status === 'running');
  const done = rows.filter((t) => t.status === 'done' && accOf(t, metric) !== null)
    .sort((a, b) => (accOf(b, metric) ?? 0) - (accOf(a, metric) ?? 0)).slice(0, best);
  return [...running, ...done].slice(0, 16).map((t) => t.id);
}

export function curvePoint(series: string, e: EpochRecord, metric: 'test' | 'train'): CurvePoint {
  return { series, epoch: e.epoch, cost: finite(e.cost), acc: finite(metric === 'test' ? e.testAcc : e.trainAcc) };
}

/** Learning curves (cost and accuracy per epoch) of the given trials: reporting's curvesSpec, live. */
export function curvesChart(name: string, title: string, caption: string, trials: readonly TrialListRow[],
  labels: Map<string, string>, epochs: ReadonlyMap<string, readonly EpochRecord[]>, metric: 'test' | 'train'): ChartOut {
  const points: CurvePoint[] = [];
  const series: Record<string, string> = {};
  for (const t of trials) {
    const label = labels.get(t.id) ?? t.id.slice(0, 6);
    series[t.id] = label;
    for (const e of epochs.get(t.id) ?? []) points.push(curvePoint(label, e, metric));
  }
  const spec = curvesSpec({ title, points, seriesOrder: Object.values(series), legendTitle: 'trial', accTitle: `${metric} accuracy` });
  return out(name, caption, named(spec, 'points'), points.length, { datasets: [{ name: 'points', kind: 'curves' }], series, metric });
}

/** Final accuracy for each value of each swept parameter: reporting's effectSpec, one chart per parameter. */
export function effectCharts(rows: readonly TrialListRow[], experiment: string, metric: 'test' | 'train'): ChartOut[] {
  const scored = rows.filter((t) => t.status === 'done' && accOf(t, metric) !== null);
  const charts: ChartOut[] = [];
  for (const path of varyingPaths(rows, experiment)) {
    const groups = new Map<string, { value: unknown; trials: TrialListRow[] }>();
    for (const t of scored) {
      const v = paramsOf(t, experiment)[path];
      const key = JSON.stringify(v ?? null);
      const g = groups.get(key) ?? { value: v, trials: [] };
      g.trials.push(t);
      groups.set(key, g);
    }
    const sorted = [...groups.values()].sort((a, b) => compareValues(a.value, b.value));
    if (sorted.length < 2) continue;
    const numeric = sorted.every((g) => typeof g.value === 'number');
    if (!numeric && sorted.length > MAX_CATEGORIES * 3) continue;
    const quantitative = numeric && sorted.length > MAX_CATEGORIES;
    const xs = sorted.map((g) => g.value as number);
    const log = quantitative && xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) >= 100;
    const points: EffectPoint[] = [];
    const means: EffectMean[] = [];
    const perGroup = Math.max(20, Math.ceil(MAX_POINTS / sorted.length));
    for (const g of sorted) {
      const label = fmtValue(g.value);
      const x = typeof g.value === 'number' ? g.value : null;
      const accs = g.trials.map((t) => accOf(t, metric) as number);
      const ranked = [...g.trials].sort((a, b) => (accOf(b, metric) ?? 0) - (accOf(a, metric) ?? 0));
      for (const t of thin(ranked, perGroup)) points.push({ value: label, x, acc: accOf(t, metric) as number, seed: String(t.seed) });
      const mean = accs.reduce((a, b) => a + b, 0) / accs.length;
      const sd = accs.length > 1 ? Math.sqrt(accs.reduce((a, b) => a + (b - mean) ** 2, 0) / (accs.length - 1)) : 0;
      means.push({ value: label, x, mean, lo: mean - sd, hi: mean + sd, n: accs.length });
    }
    const spec = effectSpec({
      title: `Effect of ${path}`, path, accTitle: `final ${metric} accuracy`, points, means, order: sorted.map((g) => fmtValue(g.value)),
      quantitative, log,
    });
    const shown = points.length < scored.length ? ` (${points.length} of them drawn, evenly by rank within each value; the mean and bar use all)` : '';
    charts.push(out(`effect-${path}`, `Final ${metric} accuracy for each value of ${path} over the ${scored.length} finished trials: one point per trial${shown}${quantitative ? '' : ', the red tick is the mean and the bar ± 1 standard deviation'}.`, spec, points.length));
  }
  return charts;
}

/**
 * Parallel coordinates: one line per finished trial through its swept parameters (each axis scaled to its range;
 * a log axis when a numeric parameter spans 100x or more; categories evenly spaced) to the objective, coloured by
 * the objective.
 */
export function parallelChart(rows: readonly TrialListRow[], experiment: string, metric: 'test' | 'train'): ChartOut | null {
  const paths = varyingPaths(rows, experiment);
  const scored = rows.filter((t) => accOf(t, metric) !== null && (t.status === 'done' || t.status === 'pruned'));
  if (paths.length === 0 || scored.length < 2) return null;
  const objective = `${metric} acc`;
  const dims: Array<{ key: string; pos: (t: TrialListRow) => number | null; ticks: Array<{ value: number; label: string }> }> = [];
  for (const path of paths) {
    const values = scored.map((t) => paramsOf(t, experiment)[path]);
    if (values.every((v) => typeof v === 'number')) {
      const xs = values as number[];
      const log = xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) >= 100;
      const f = (x: number) => (log ? Math.log10(x) : x);
      const lo = Math.min(...xs.map(f));
      const hi = Math.max(...xs.map(f));
      const norm = (x: number) => (hi > lo ? (f(x) - lo) / (hi - lo) : 0.5);
      const ticks = [...new Set([Math.min(...xs), Math.max(...xs)])].map((x) => ({ value: norm(x), label: fmtValue(x) }));
      dims.push({ key: path, pos: (t) => { const v = paramsOf(t, experiment)[path]; return typeof v === 'number' ? norm(v) : null; }, ticks });
    } else {
      const cats = [...new Set(values.map((v) => JSON.stringify(v ?? null)))].sort((a, b) => compareValues(JSON.parse(a), JSON.parse(b)));
      const pos = (key: string) => (cats.length > 1 ? cats.indexOf(key) / (cats.length - 1) : 0.5);
      dims.push({
        key: path, pos: (t) => pos(JSON.stringify(paramsOf(t, experiment)[path] ?? null)),
        ticks: cats.length <= MAX_CATEGORIES ? cats.map((c) => ({ value: pos(c), label: fmtValue(JSON.parse(c)) })) : [],
      });
    }
  }
  const accs = scored.map((t) => accOf(t, metric) as number);
  const aLo = Math.min(...accs);
  const aHi = Math.max(...accs);
  dims.push({
    key: objective, pos: (t) => { const a = accOf(t, metric) as number; return aHi > aLo ? (a - aLo) / (aHi - aLo) : 0.5; },
    ticks: [...new Set([aLo, aHi])].map((a) => ({ value: aHi > aLo ? (a - aLo) / (aHi - aLo) : 0.5, label: `${(a * 100).toFixed(1)}%` })),
  });
  const lines: Array<{ trial: string; dim: string; y: number; acc: number; status: string }> = [];
  const drawn = thin([...scored].sort((a, b) => (accOf(b, metric) ?? 0) - (accOf(a, metric) ?? 0)), MAX_LINES, MAX_LINES / 4);
  for (const t of drawn) {
    for (const d of dims) {
      const y = d.pos(t);
      if (y !== null) lines.push({ trial: t.id, dim: d.key, y, acc: accOf(t, metric) as number, status: t.status });
    }
  }
  const ticks = dims.flatMap((d) => d.ticks.map((k) => ({ dim: d.key, y: k.value, label: k.label })));
  const order = dims.map((d) => d.key);
  const x = { field: 'dim', type: 'ordinal', sort: order, title: null, axis: { orient: 'top', labelAngle: 0, domain: false, ticks: false } };
  const spec = {
    title: 'Swept parameters → objective',
    width: Math.max(320, 150 * order.length), height: 260,
    layer: [
      { data: { values: order.map((dim) => ({ dim })) }, mark: { type: 'rule', color: '#8c959f' }, encoding: { x } },
      {
        data: { values: lines },
        mark: { type: 'line', strokeWidth: 1, opacity: drawn.length > 500 ? 0.25 : 0.6 },
        encoding: {
          x, y: { field: 'y', type: 'quantitative', axis: null, scale: { domain: [0, 1] } }, detail: { field: 'trial' },
          color: { field: 'acc', type: 'quantitative', title: `final ${objective}`, scale: { scheme: 'viridis' }, legend: { format: pctFormat(accs) } },
          strokeDash: { condition: { test: "datum.status === 'pruned'", value: [3, 2] }, value: [1, 0] },
        },
      },
      {
        data: { values: ticks },
        mark: { type: 'text', align: 'left', dx: 4, fontSize: 10, color: '#59636e' },
        encoding: { x, y: { field: 'y', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  } as unknown as TopLevelSpec;
  const left = rows.length - scored.length;
  const sample = drawn.length < scored.length ? ` ${drawn.length} of the ${scored.length} trials with a score are drawn: the best ${MAX_LINES / 4} and others evenly by rank (axes span all).` : '';
  return out('parallel', `Each line is one finished trial (dashed: pruned) through its swept parameters to its final ${metric} accuracy.${sample}${left > 0 ? ` ${left} trial(s) without a final accuracy (pending, running, failed, diverged) are not drawn.` : ''}`, spec, lines.length);
}

/** The best objective so far against the compute spent, trials in the order they finished. */
export function bestSoFarChart(rows: readonly TrialListRow[], metric: 'test' | 'train'): ChartOut | null {
  const finished = rows.filter((t) => t.finishedAt !== null && t.status !== 'running' && t.status !== 'pending')
    .sort((a, b) => ((a.finishedAt ?? '') < (b.finishedAt ?? '') ? -1 : (a.finishedAt ?? '') > (b.finishedAt ?? '') ? 1 : 0));
  if (finished.length < 2) return null;
  let compute = 0;
  let best: number | null = null;
  const values: Array<{ seconds: number; acc: number | null; best: number | null; trial: string; status: string }> = [];
  for (const t of finished) {
    compute += t.seconds ?? 0;
    const a = t.status === 'done' ? accOf(t, metric) : null;
    if (a !== null && (best === null || a > best)) best = a;
    values.push({ seconds: compute, acc: a, best, trial: t.id.slice(0, 10), status: t.status });
  }
  const steps = values.filter((v, i) => i === 0 || i === values.length - 1 || v.best !== values[i - 1]?.best);
  const dots = thin(values.filter((v) => v.acc !== null), MAX_POINTS);
  const fmt = pctFormat(values.map((v) => v.acc));
  const x = { field: 'seconds', type: 'quantitative', title: 'compute (training + evaluation seconds, summed)' };
  const spec = {
    title: 'Best so far against compute', width: 420, height: 220,
    layer: [
      { data: { values: dots }, mark: { type: 'circle', size: 14, opacity: 0.35, color: '#8c959f' }, encoding: { x, y: { field: 'acc', type: 'quantitative', title: `final ${metric} accuracy`, axis: { format: fmt }, scale: { zero: false } }, tooltip: [{ field: 'trial' }, { field: 'status' }, { field: 'acc', format: '.2%' }] } },
      { data: { values: steps }, mark: { type: 'line', interpolate: 'step-after', color: '#e45756', strokeWidth: 2 }, encoding: { x, y: { field: 'best', type: 'quantitative' } } },
    ],
  } as unknown as TopLevelSpec;
  const sampled = dots.length < values.filter((v) => v.acc !== null).length ? ` (${dots.length} of them drawn, evenly in finishing order)` : '';
  return out('best-so-far', `The best final ${metric} accuracy so far (red) as trials finish, against the compute spent; grey points are single trials${sampled} (failed, diverged and pruned ones add compute but no score).`, spec, dots.length + steps.length);
}

/** One trial's accuracy splits (train, test, validation) and cost per epoch: reporting's curvesSpec, live. */
export function splitsChart(epochs: readonly EpochRecord[]): ChartOut {
  const points = epochs.flatMap(splitPoints);
  const spec = curvesSpec({ title: 'Learning curves', points, seriesOrder: ['train', 'test', 'validation'], legendTitle: 'split', accTitle: 'accuracy' });
  return out('splits', 'Cost J on the training set (left) and accuracy on each split (right), per epoch.', named(spec, 'points'), points.length,
    { datasets: [{ name: 'points', kind: 'splits' }] });
}

export function splitPoints(e: EpochRecord): CurvePoint[] {
  const pts: CurvePoint[] = [{ series: 'train', epoch: e.epoch, cost: finite(e.cost), acc: finite(e.trainAcc) }];
  if (e.testAcc !== null) pts.push({ series: 'test', epoch: e.epoch, cost: null, acc: finite(e.testAcc) });
  if (e.valAcc !== null) pts.push({ series: 'validation', epoch: e.epoch, cost: null, acc: finite(e.valAcc) });
  return pts;
}

export function lroutRow(e: EpochRecord): { epoch: number; lr: number | null; mean: number | null; lo: number | null; hi: number | null } {
  const m = finite(e.outMean);
  const s = finite(e.outStd);
  return { epoch: e.epoch, lr: finite(e.lr), mean: m, lo: m !== null && s !== null ? m - s : null, hi: m !== null && s !== null ? m + s : null };
}

/** Learning rate per epoch, and the output mean ± std over the training inputs (collapse shows as a flat band). */
export function lroutChart(epochs: readonly EpochRecord[]): ChartOut {
  const values = epochs.map(lroutRow);
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } };
  const spec = {
    title: 'Learning rate and outputs', data: { name: 'epochs', values },
    hconcat: [
      { width: 300, height: 200, mark: { type: 'line', point: values.length <= 40 }, encoding: { x, y: { field: 'lr', type: 'quantitative', title: 'learning rate', scale: { zero: false } } } },
      {
        width: 300, height: 200,
        layer: [
          { mark: { type: 'area', opacity: 0.25, color: '#4c78a8' }, encoding: { x, y: { field: 'lo', type: 'quantitative', title: 'output mean ± std' }, y2: { field: 'hi' } } },
          { mark: { type: 'line', color: '#4c78a8' }, encoding: { x, y: { field: 'mean', type: 'quantitative' } } },
        ],
      },
    ],
  } as unknown as TopLevelSpec;
  return out('lrout', 'The learning rate used in each epoch (left); the mean of the outputs over all training inputs with ± 1 standard deviation (right).', spec, values.length * 2,
    { datasets: [{ name: 'epochs', kind: 'lrout' }] });
}

export function layerRows(e: EpochRecord): { grads: LayerPoint[]; sat: LayerPoint[] } {
  const grads = (e.gradNorm ?? []).map((g, l) => ({ epoch: e.epoch, layer: `layer ${l + 1}`, value: finite(g) !== null && (g as number) > 0 ? g : null }));
  const sat = (e.saturation ?? []).map((s, l) => ({ epoch: e.epoch, layer: `hidden ${l + 1}`, value: finite(s) }));
  return { grads, sat };
}

/** Per-layer gradient norms and saturation / dead units: reporting's layersSpec, live. */
export function layersChart(epochs: readonly EpochRecord[], activation: string): ChartOut | null {
  const rows = epochs.map(layerRows);
  const grads = rows.flatMap((r) => r.grads);
  const sat = rows.flatMap((r) => r.sat);
  if (!grads.some((g) => g.value !== null) && !sat.some((s) => s.value !== null)) return null;
  const dead = activation === 'relu' || activation === 'leaky-relu';
  const spec = layersSpec({ title: 'Inside the net', grads, sat, satTitle: dead ? 'dead units' : 'saturated (|z| > 5)' }) as { hconcat?: Array<{ data?: { values?: unknown[]; name?: string } }> };
  const datasets: Array<{ name: string; kind: LiveKind }> = [];
  for (const panel of spec.hconcat ?? []) {
    const name = panel.data?.values === grads ? 'grads' : 'sat';
    if (panel.data) panel.data = { ...panel.data, name };
    datasets.push({ name, kind: name === 'grads' ? 'grads' : 'sat' });
  }
  return out('layers', `Per-layer gradient norms and ${dead ? 'dead-unit fractions' : 'saturation (share of |z| > 5)'} per epoch: the evidence behind the vanishing-gradient, saturation and dead-relu rules.`,
    spec as TopLevelSpec, grads.length + sat.length, { datasets });
}

/** The confusion matrix and the accuracy per class of a trial's final evaluation: reporting's specs. */
export function evalCharts(ev: FinalEval | null): ChartOut[] {
  if (!ev || !Array.isArray(ev.confusion) || ev.confusion.length === 0) return [];
  const classes = ev.confusion.map((_, i) => String(i));
  const cells: HeatCell[] = [];
  for (const [a, actual] of classes.entries()) {
    const row: ReadonlyArray<number> = ev.confusion[a] ?? [];
    const total = row.reduce((s, x) => s + (finite(x) ?? 0), 0);
    for (const [p, predicted] of classes.entries()) {
      const n = finite(row[p]) ?? 0;
      const rate = total > 0 ? n / total : 0;
      cells.push({ a: predicted, b: actual, mean: rate, label: String(n), dark: rate > 0.55 });
    }
  }
  return [
    out('confusion', 'Confusion matrix on the test set (counts; shading = share of the actual class).', confusionSpec({ title: 'Confusion matrix (test set)', cells, classes }), cells.length),
    out('per-class', 'Accuracy per class on the test set; the dashed line is the overall accuracy.',
      perClassSpec({ title: 'Accuracy per class (test set)', rows: classes.map((cls, i) => ({ cls, acc: finite(ev.perClass?.[i]) })), overall: finite(ev.accuracy) }), classes.length),
  ];
}

/** The charts of one trial's page. */
export function trialCharts(t: TrialRecord, epochs: readonly EpochRecord[]): ChartOut[] {
  const charts = [splitsChart(epochs), lroutChart(epochs)];
  const layers = layersChart(epochs, t.config.model.activation);
  if (layers) charts.push(layers);
  return [...charts, ...evalCharts(t.finalEval)];
}
