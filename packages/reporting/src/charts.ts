// Charts: vega-lite specs rendered to SVG on the server (vega's headless 'none' renderer, no canvas, no
// browser). Data values are plain numbers or null (non-finite values are mapped to null before they get
// here, so vega filters them and JSON never sees NaN); text from the data is escaped by vega's SVG writer.
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';

/** Shared look of every chart. */
const CONFIG = {
  font: FONT,
  background: 'white',
  padding: 8,
  view: { stroke: '#d0d7de' },
  axis: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', gridColor: '#eaeef2', labelLimit: 160 },
  legend: { labelFontSize: 11, titleFontSize: 12, titleFontWeight: 'normal', labelLimit: 360, titleLimit: 360 },
  title: { fontSize: 13, fontWeight: 'bold', anchor: 'start' },
  line: { strokeWidth: 1.8 },
} as const;

/**
 * The vega spec of a chart with the reports' look (what renderSvg draws; `sweeplab serve` draws the same spec in the
 * browser). vega-lite warnings go to `logger` when given.
 */
export function compileChart(spec: TopLevelSpec, logger?: vega.LoggerInterface): vega.Spec {
  return compile({ ...spec, config: { ...CONFIG, ...(spec.config ?? {}) } }, logger ? { logger } : {}).spec;
}

/** Render a vega-lite spec to SVG; vega and vega-lite warnings are appended to `warnings`. */
export async function renderSvg(spec: TopLevelSpec, name: string, warnings: string[]): Promise<string> {
  const handler = (_method: unknown, level: unknown, input: unknown[]) => {
    warnings.push(`${name}: ${String(level)} ${input.map(String).join(' ')}`);
  };
  const logger = vega.logger(vega.Warn, undefined, handler);
  const vg = compileChart(spec, logger);
  const view = new vega.View(vega.parse(vg), { renderer: 'none', logger });
  try {
    return scopeIds(await view.toSVG(), `c-${name.replace(/[^A-Za-z0-9_-]/g, '_')}`);
  } finally {
    view.finalize();
  }
}

/**
 * Make the ids inside one SVG unique in the page and independent of vega's global counters: every
 * `id="…"` is renamed `<prefix>-<n>` in order of appearance, with its `url(#…)` and `href="#…"` uses.
 * Several inline SVGs in one HTML file would otherwise share `clip1`, `gradient_0`, …
 */
export function scopeIds(svg: string, prefix: string): string {
  const map = new Map<string, string>();
  for (const [, id] of svg.matchAll(/\sid="([^"]+)"/g)) if (id !== undefined && !map.has(id)) map.set(id, `${prefix}-${map.size + 1}`);
  if (map.size === 0) return svg;
  return svg
    .replace(/(\sid=")([^"]+)(")/g, (m, a: string, id: string, c: string) => (map.has(id) ? a + map.get(id) + c : m))
    .replace(/url\(#([^)]+)\)/g, (m, id: string) => (map.has(id) ? `url(#${map.get(id)})` : m))
    .replace(/(href=")#([^"]+)(")/g, (m, a: string, id: string, c: string) => (map.has(id) ? `${a}#${map.get(id)}${c}` : m));
}

/** A d3 percent format with enough decimals that the ticks of a span of fractions stay distinct. */
export function pctFormat(values: ReadonlyArray<number | null>): string {
  const v = values.filter((x): x is number => x !== null);
  const span = v.length ? Math.max(...v) - Math.min(...v) : 1;
  return span >= 0.1 ? '.0%' : span >= 0.01 ? '.1%' : '.2%';
}

export interface CurvePoint { series: string; epoch: number; cost: number | null; acc: number | null }

/** Two panels: cost per epoch (log scale when every cost is positive) and accuracy per epoch. */
export function curvesSpec(opts: {
  title: string; points: CurvePoint[]; seriesOrder: string[]; legendTitle: string; accTitle: string;
}): TopLevelSpec {
  const costs = opts.points.map((p) => p.cost).filter((c): c is number => c !== null);
  // log scale only when the costs span more than a decade (a niced log axis wastes space otherwise)
  const logCost = costs.length > 0 && costs.every((c) => c > 0) && Math.max(...costs) / Math.min(...costs) > 10;
  const maxEpoch = Math.max(0, ...opts.points.map((p) => p.epoch));
  const withPoints = maxEpoch <= 40;
  const color = {
    field: 'series', type: 'nominal', title: opts.legendTitle, sort: opts.seriesOrder,
    scale: { scheme: opts.seriesOrder.length > 10 ? 'category20' : 'tableau10' },
  };
  // Runs of very different lengths (5 vs 1500 epochs) on a linear axis squeeze the short ones into a sliver at
  // 0: a symlog axis (linear near 0, so epoch 0 stays) keeps every run readable.
  const lastEpoch = new Map<string, number>();
  for (const p of opts.points) lastEpoch.set(p.series, Math.max(lastEpoch.get(p.series) ?? 0, p.epoch));
  const shortest = Math.max(1, Math.min(...lastEpoch.values()));
  const logX = maxEpoch / shortest >= 20;
  const x = {
    field: 'epoch', type: 'quantitative', title: logX ? 'epoch (symlog scale)' : 'epoch',
    axis: { tickMinStep: 1, format: 'd' }, ...(logX ? { scale: { type: 'symlog' } } : {}),
  };
  const mark = { type: 'line', point: withPoints ? { size: 18 } : false, interpolate: 'linear' };
  return {
    title: opts.title,
    data: { values: opts.points },
    hconcat: [
      {
        width: 330, height: 220, mark,
        encoding: {
          x, color,
          y: { field: 'cost', type: 'quantitative', title: `cost J (training set${logCost ? ', log scale' : ''})`, scale: logCost ? { type: 'log' } : { zero: false } },
        },
      },
      {
        width: 330, height: 220, mark,
        encoding: {
          x, color,
          y: { field: 'acc', type: 'quantitative', title: opts.accTitle, axis: { format: pctFormat(opts.points.map((p) => p.acc)) }, scale: { zero: false } },
        },
      },
    ],
    resolve: { scale: { color: 'shared' } },
  } as TopLevelSpec;
}

export interface EffectPoint { value: string; x: number | null; acc: number; seed: string }
export interface EffectMean { value: string; x: number | null; mean: number; lo: number; hi: number; n: number }

/** Final accuracy per value of one parameter: one point per trial, the mean as a tick and ± 1 sd as a rule. */
export function effectSpec(opts: {
  title: string; path: string; accTitle: string; points: EffectPoint[]; means: EffectMean[]; order: string[];
  quantitative: boolean; log: boolean;
}): TopLevelSpec {
  const x = opts.quantitative
    ? { field: 'x', type: 'quantitative', title: opts.path, scale: opts.log ? { type: 'log' } : { zero: false } }
    : { field: 'value', type: 'ordinal', title: opts.path, sort: opts.order, axis: { labelAngle: opts.order.some((s) => s.length > 8) ? -30 : 0 } };
  const y = { field: 'acc', type: 'quantitative', title: opts.accTitle, axis: { format: pctFormat(opts.points.map((p) => p.acc)) }, scale: { zero: false } };
  const layers: unknown[] = [
    {
      data: { values: opts.points },
      mark: { type: 'circle', size: 46, opacity: 0.75, color: '#4c78a8' },
      encoding: {
        x, y,
        ...(opts.quantitative ? {} : { xOffset: { field: 'seed', type: 'nominal', scale: { paddingOuter: 0.6 } } }),
        tooltip: [{ field: 'value', title: opts.path }, { field: 'seed' }, { field: 'acc', format: '.2%' }],
      },
    },
  ];
  if (!opts.quantitative) {
    layers.push(
      {
        data: { values: opts.means.filter((m) => m.n >= 2) },
        mark: { type: 'rule', color: '#e45756', strokeWidth: 1.5 },
        encoding: { x, y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
      },
      {
        data: { values: opts.means },
        mark: { type: 'tick', color: '#e45756', thickness: 2.5, size: 26 },
        encoding: { x, y: { field: 'mean', type: 'quantitative' } },
      },
    );
  }
  const width = opts.quantitative ? 380 : Math.max(180, 64 * opts.order.length);
  return { title: opts.title, width, height: 220, layer: layers } as TopLevelSpec;
}

export interface HeatCell { a: string; b: string; mean: number; label: string; dark: boolean }

/** Mean final accuracy for each pair of values of two parameters, with the value written in each cell. */
export function heatmapSpec(opts: {
  title: string; pathA: string; pathB: string; cells: HeatCell[]; orderA: string[]; orderB: string[]; accTitle: string; scheme?: string;
  legendFormat?: string;
}): TopLevelSpec {
  const x = { field: 'a', type: 'ordinal', title: opts.pathA, sort: opts.orderA, axis: { labelAngle: opts.orderA.some((s) => s.length > 8) ? -30 : 0 } };
  const y = { field: 'b', type: 'ordinal', title: opts.pathB, sort: opts.orderB };
  return {
    title: opts.title,
    data: { values: opts.cells },
    width: Math.max(160, 56 * opts.orderA.length),
    height: Math.max(100, 32 * opts.orderB.length),
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: {
          x, y,
          color: { field: 'mean', type: 'quantitative', title: opts.accTitle, scale: { scheme: opts.scheme ?? 'viridis' }, legend: { format: opts.legendFormat ?? pctFormat(opts.cells.map((c) => c.mean)) } },
        },
      },
      {
        mark: { type: 'text', fontSize: 11 },
        encoding: {
          x, y, text: { field: 'label' },
          color: { condition: { test: 'datum.dark', value: 'white' }, value: 'black' },
        },
      },
    ],
  } as TopLevelSpec;
}

/** Confusion matrix: counts per (actual, predicted), shaded by the row-normalised rate. */
export function confusionSpec(opts: { title: string; cells: HeatCell[]; classes: string[] }): TopLevelSpec {
  const x = { field: 'a', type: 'ordinal', title: 'predicted class', sort: opts.classes, axis: { orient: 'top', labelAngle: 0 } };
  const y = { field: 'b', type: 'ordinal', title: 'actual class', sort: opts.classes };
  const size = Math.max(200, 30 * opts.classes.length);
  return {
    title: opts.title,
    data: { values: opts.cells },
    width: size, height: size,
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 1 },
        encoding: { x, y, color: { field: 'mean', type: 'quantitative', title: 'share of row', scale: { scheme: 'blues', domain: [0, 1] }, legend: { format: '.0%' } } },
      },
      {
        mark: { type: 'text', fontSize: 10 },
        encoding: { x, y, text: { field: 'label' }, color: { condition: { test: 'datum.dark', value: 'white' }, value: '#24292f' } },
      },
    ],
  } as TopLevelSpec;
}

/** Accuracy per class as bars, with the overall accuracy as a dashed rule. */
export function perClassSpec(opts: { title: string; rows: Array<{ cls: string; acc: number | null }>; overall: number | null }): TopLevelSpec {
  const layers: unknown[] = [
    {
      mark: { type: 'bar', color: '#4c78a8' },
      encoding: {
        x: { field: 'cls', type: 'ordinal', title: 'class', sort: opts.rows.map((r) => r.cls), axis: { labelAngle: 0 } },
        y: { field: 'acc', type: 'quantitative', title: 'accuracy', axis: { format: '.0%' }, scale: { domain: [0, 1] } },
      },
    },
  ];
  if (opts.overall !== null) {
    layers.push({ mark: { type: 'rule', color: '#e45756', strokeDash: [5, 3], strokeWidth: 1.5 }, encoding: { y: { datum: opts.overall } } });
  }
  return { title: opts.title, data: { values: opts.rows }, width: Math.max(200, 28 * opts.rows.length), height: 220, layer: layers } as TopLevelSpec;
}

export interface LayerPoint { epoch: number; layer: string; value: number | null }

/** Two panels over epochs: per-layer gradient norms (log scale) and per-hidden-layer saturation/dead fraction. */
export function layersSpec(opts: { title: string; grads: LayerPoint[]; sat: LayerPoint[]; satTitle: string }): TopLevelSpec {
  const x = { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } };
  const panels: unknown[] = [];
  const maxEpoch = Math.max(0, ...opts.grads.map((p) => p.epoch), ...opts.sat.map((p) => p.epoch));
  const mark = { type: 'line', point: maxEpoch <= 40 ? { size: 18 } : false };
  if (opts.grads.some((p) => p.value !== null)) {
    panels.push({
      data: { values: opts.grads }, width: 300, height: 200, mark,
      encoding: {
        x, y: { field: 'value', type: 'quantitative', title: '‖dW‖ (log scale)', scale: { type: 'log' } },
        color: { field: 'layer', type: 'nominal', title: 'weight layer', scale: { scheme: 'tableau10' } },
      },
    });
  }
  if (opts.sat.some((p) => p.value !== null)) {
    panels.push({
      data: { values: opts.sat }, width: 300, height: 200, mark,
      encoding: {
        x, y: { field: 'value', type: 'quantitative', title: opts.satTitle, axis: { format: '.0%' }, scale: { domain: [0, 1] } },
        color: { field: 'layer', type: 'nominal', title: 'hidden layer', scale: { scheme: 'dark2' } },
      },
    });
  }
  return { title: opts.title, hconcat: panels, resolve: { scale: { color: 'independent' } } } as TopLevelSpec;
}
