// renderReport: one experiment's rows -> a self-contained HTML report, a Markdown summary and the SVG charts.
import type { TopLevelSpec } from 'vega-lite';
import { curveTrials, MAX_CATEGORIES, MAX_HEATMAPS, prepare, shortPath, TOP_CURVES, trialLabel, type Prepared } from './analysis.js';
import {
  confusionSpec, curvesSpec, effectSpec, heatmapSpec, layersSpec, perClassSpec, renderSvg,
  type CurvePoint, type EffectMean, type EffectPoint, type HeatCell, type LayerPoint,
} from './charts.js';
import { finite, fmtParam, fmtPct, meanSd } from './format.js';
import { renderHtml } from './html.js';
import { renderMarkdown } from './markdown.js';
import { bestSoFarSpec, objectiveCurvesSpec, searchView } from './search.js';
import type { EpochRow, ReportInput, ReportOutput, TrialRow } from './types.js';

export type ChartSection = 'curves' | 'effects' | 'best' | 'search';

export interface ChartDef {
  name: string;
  section: ChartSection;
  caption: string;
  spec: TopLevelSpec;
}

const slug = (s: string) => s.replace(/[^A-Za-z0-9._-]+/g, '_');
const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

function epochAcc(p: Prepared, r: EpochRow): number | null {
  return finite(p.metric === 'test' ? r.testAcc : r.trainAcc);
}

function accTitle(p: Prepared, final: boolean): string {
  return `${final ? 'final ' : ''}${p.metric} accuracy`;
}

function curveCharts(p: Prepared): ChartDef[] {
  const out: ChartDef[] = [];
  const withEpochs = p.ranked.filter((t) => p.epochsOf(t.id).length > 0);
  const top = withEpochs.slice(0, TOP_CURVES);
  if (top.length > 0) {
    const points: CurvePoint[] = [];
    const order: string[] = [];
    for (const t of top) {
      const label = trialLabel(p, t) + (t.status !== 'done' ? ` (${t.status})` : '');
      order.push(label);
      for (const r of p.epochsOf(t.id)) points.push({ series: label, epoch: r.epoch, cost: finite(r.cost), acc: epochAcc(p, r) });
    }
    const more = withEpochs.length > top.length ? ` (the best ${top.length} of ${withEpochs.length} trials with recorded epochs)` : '';
    const gaps = points.some((pt) => pt.cost === null) ? ' Non-finite values (a diverged trial) are left out of the lines.' : '';
    out.push({
      name: 'curves-best', section: 'curves',
      caption: `Learning curves of the best trials by ${accTitle(p, true)}${more}.${gaps}`,
      spec: curvesSpec({ title: 'Best trials', points, seriesOrder: order, legendTitle: 'trial: rank, id, values, seed', accTitle: `${p.metric} accuracy` }),
    });
  }
  for (const path of p.factors) {
    const trials = curveTrials(p, p.ranked);
    const groups = p.groups(path, trials);
    if (groups.length < 2 || groups.length > MAX_CATEGORIES) continue;
    const points: CurvePoint[] = [];
    for (const g of groups) {
      const byEpoch = new Map<number, { cost: number[]; acc: number[] }>();
      for (const t of g.trials) {
        for (const r of p.epochsOf(t.id)) {
          let e = byEpoch.get(r.epoch);
          if (!e) byEpoch.set(r.epoch, (e = { cost: [], acc: [] }));
          const c = finite(r.cost);
          const a = epochAcc(p, r);
          if (c !== null) e.cost.push(c);
          if (a !== null) e.acc.push(a);
        }
      }
      for (const epoch of [...byEpoch.keys()].sort((a, b) => a - b)) {
        const e = byEpoch.get(epoch) as { cost: number[]; acc: number[] };
        points.push({ series: g.label, epoch, cost: meanSd(e.cost)?.mean ?? null, acc: meanSd(e.acc)?.mean ?? null });
      }
    }
    const done = trials.every((t) => t.status === 'done');
    out.push({
      name: `curves-by-${slug(path)}`, section: 'curves',
      caption: `Mean learning curve for each value of ${path}, over the ${done ? 'finished ' : ''}trials with that value (${trials.length} trials; other parameters and seeds averaged).`,
      spec: curvesSpec({ title: `By ${path}`, points, seriesOrder: groups.map((g) => g.label), legendTitle: path, accTitle: `${p.metric} accuracy` }),
    });
  }
  return out;
}

function effectCharts(p: Prepared): ChartDef[] {
  const out: ChartDef[] = [];
  const scored = p.ranked.filter((t) => p.accOf(t) !== null);
  const unscored = p.input.trials.length - scored.length;
  const note = unscored > 0 ? ` ${unscored} trial${unscored === 1 ? '' : 's'} without a final accuracy (diverged, failed or unfinished) ${unscored === 1 ? 'is' : 'are'} not shown.` : '';
  const categorical: string[] = [];
  for (const path of p.factors) {
    const groups = p.groups(path, scored);
    if (groups.length < 2) continue;
    const numeric = groups.every((g) => typeof g.value === 'number');
    const quantitative = numeric && groups.length > MAX_CATEGORIES;
    const xs = groups.map((g) => g.value as number);
    const log = quantitative && xs.every((x) => x > 0) && Math.max(...xs) / Math.min(...xs) >= 100;
    if (!quantitative && groups.length <= MAX_CATEGORIES) categorical.push(path);
    if (!numeric && groups.length > MAX_CATEGORIES * 3) continue; // too many distinct non-numeric values to plot
    const points: EffectPoint[] = [];
    const means: EffectMean[] = [];
    for (const g of groups) {
      const accs: number[] = [];
      for (const t of g.trials) {
        const a = p.accOf(t) as number;
        accs.push(a);
        points.push({ value: g.label, x: typeof g.value === 'number' ? g.value : null, acc: a, seed: t.seed === null ? '–' : String(t.seed) });
      }
      const s = meanSd(accs);
      if (s) means.push({ value: g.label, x: typeof g.value === 'number' ? g.value : null, mean: s.mean, lo: s.mean - s.sd, hi: s.mean + s.sd, n: s.n });
    }
    out.push({
      name: `effect-${slug(path)}`, section: 'effects',
      caption: `${capitalize(accTitle(p, true))} for each value of ${path}: one point per trial (seeds side by side)${quantitative ? '' : ', the red tick is the mean and the red bar ± 1 standard deviation'}.${note}`,
      spec: effectSpec({
        title: `Effect of ${path}`, path, accTitle: accTitle(p, true), points, means, order: groups.map((g) => g.label), quantitative, log,
      }),
    });
  }
  // heatmaps for pairs of crossed (grid) parameters
  let made = 0;
  pairs: for (const [i, pa] of categorical.entries()) {
    for (const pb of categorical.slice(i + 1)) {
      if (made >= MAX_HEATMAPS) break pairs;
      const ga = p.groups(pa, scored);
      const gb = p.groups(pb, scored);
      const cells = new Map<string, { a: string; b: string; accs: number[] }>();
      for (const t of scored) {
        const a = fmtParam(p.paramOf(t, pa));
        const b = fmtParam(p.paramOf(t, pb));
        const key = JSON.stringify([a, b]);
        let c = cells.get(key);
        if (!c) cells.set(key, (c = { a, b, accs: [] }));
        c.accs.push(p.accOf(t) as number);
      }
      if (cells.size <= Math.max(ga.length, gb.length)) continue; // zipped (varied together), not crossed
      const means = [...cells.values()].map((c) => ({ ...c, mean: (meanSd(c.accs) as { mean: number }).mean }));
      const lo = Math.min(...means.map((m) => m.mean));
      const hi = Math.max(...means.map((m) => m.mean));
      const heat: HeatCell[] = means.map((m) => ({
        a: m.a, b: m.b, mean: m.mean, label: `${fmtPct(m.mean, 1)}${m.accs.length > 1 ? ` (${m.accs.length})` : ''}`,
        dark: hi > lo ? (m.mean - lo) / (hi - lo) < 0.5 : false,
      }));
      made++;
      out.push({
        name: `heatmap-${slug(pa)}-${slug(pb)}`, section: 'effects',
        caption: `Mean ${accTitle(p, true)} for each pair of values of ${pa} and ${pb} (number of trials in parentheses when more than one).`,
        spec: heatmapSpec({
          title: `${shortPath(pa)} × ${shortPath(pb)}`, pathA: pa, pathB: pb, cells: heat,
          orderA: ga.map((g) => g.label), orderB: gb.map((g) => g.label), accTitle: `mean ${p.metric} acc`,
        }),
      });
    }
  }
  return out;
}

function bestCharts(p: Prepared, best: TrialRow): ChartDef[] {
  const out: ChartDef[] = [];
  const ev = best.finalEval;
  if (ev && Array.isArray(ev.confusion) && ev.confusion.length > 0) {
    const k = ev.confusion.length;
    const classes = Array.from({ length: k }, (_, i) => String(i));
    const cells: HeatCell[] = [];
    for (const [a, actual] of classes.entries()) {
      const row: ReadonlyArray<number> = ev.confusion[a] ?? [];
      const total = row.reduce((s: number, x: number) => s + (finite(x) ?? 0), 0);
      for (const [pr, predicted] of classes.entries()) {
        const n = finite(row[pr]) ?? 0;
        const rate = total > 0 ? n / total : 0;
        cells.push({ a: predicted, b: actual, mean: rate, label: String(n), dark: rate > 0.55 });
      }
    }
    out.push({
      name: 'best-confusion', section: 'best',
      caption: 'Confusion matrix of the best trial on the test set (counts; shading = share of the actual class).',
      spec: confusionSpec({ title: 'Confusion matrix (test set)', cells, classes }),
    });
    const rows = classes.map((cls, i) => ({ cls, acc: finite(ev.perClass?.[i]) }));
    out.push({
      name: 'best-per-class', section: 'best',
      caption: 'Accuracy per class of the best trial; the dashed line is the overall accuracy.',
      spec: perClassSpec({ title: 'Accuracy per class (test set)', rows, overall: finite(ev.accuracy) }),
    });
  }
  const rows = p.epochsOf(best.id);
  const grads: LayerPoint[] = [];
  const sat: LayerPoint[] = [];
  for (const r of rows) {
    (r.gradNorm ?? []).forEach((g, l) => {
      const v = finite(g);
      grads.push({ epoch: r.epoch, layer: `layer ${l + 1}`, value: v !== null && v > 0 ? v : null });
    });
    (r.saturation ?? []).forEach((s, l) => sat.push({ epoch: r.epoch, layer: `hidden ${l + 1}`, value: finite(s) }));
  }
  if (grads.some((g) => g.value !== null) || sat.some((s) => s.value !== null)) {
    const act = best.config.model.activation;
    const dead = act === 'relu' || act === 'leaky-relu';
    out.push({
      name: 'best-layers', section: 'best',
      caption: `Per-layer gradient norms and ${dead ? 'dead-unit fractions' : 'saturation (share of |z| > 5)'} of the best trial, per epoch: the evidence behind the vanishing-gradient, saturation and dead-relu rules.`,
      spec: layersSpec({ title: 'Inside the net', grads, sat, satTitle: dead ? 'dead units' : 'saturated (|z| > 5)' }),
    });
  }
  return out;
}

/** Plan every chart of the report (specs only; rendering is async). */
export function planCharts(p: Prepared): ChartDef[] {
  return [...curveCharts(p), ...effectCharts(p), ...(p.best ? bestCharts(p, p.best) : []), ...searchCharts(p)];
}

function searchCharts(p: Prepared): ChartDef[] {
  if (!p.input.search) return [];
  const v = searchView(p, p.input.search);
  const { metric } = p.input.search.objective;
  return [
    { name: 'search-best-so-far', section: 'search', caption: `The search's learning curve: the best ${metric} of the trials trained to the end so far (line) against the epochs all trials have trained, and each trial's ${metric} when it finished (points; pruned trials at their rung).`, spec: bestSoFarSpec(v) },
    { name: 'search-curves', section: 'search', caption: `${metric} at every epoch of every trial: pruned trials end at the rung where they were stopped.`, spec: objectiveCurvesSpec(p, v) },
  ];
}

/**
 * Render one experiment's report: a self-contained HTML file (inline CSS and SVG, no external requests,
 * a tiny inline sort script allowed by its hash in the page's Content-Security-Policy), a deterministic
 * Markdown summary to commit, and every chart as SVG text. Async because vega renders asynchronously.
 * Findings come from `input.diagnoses`; a finished trial without stored findings is diagnosed here.
 */
export async function renderReport(input: ReportInput): Promise<ReportOutput> {
  const p = prepare(input);
  const defs = planCharts(p);
  const warnings: string[] = [];
  const charts: Record<string, string> = {};
  for (const d of defs) charts[d.name] = await renderSvg(d.spec, d.name, warnings);
  return { html: renderHtml(p, defs, charts), markdown: renderMarkdown(p), charts, warnings };
}
