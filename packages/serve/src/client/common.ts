// Browser side, shared by the pages: DOM building (text only: every value from the database goes in as a text
// node or an attribute, never as HTML), JSON fetches, the live event stream, vega charts and formatting.
import type { View } from 'vega';
declare const vega: typeof import('vega');
/** vega-interpreter's CSP-safe expression evaluator, put on globalThis by /assets/vendor/vega-expr.js (module). */
declare const vegaExpressionInterpreter: object;

export type Status = 'pending' | 'running' | 'done' | 'failed' | 'diverged' | 'interrupted' | 'pruned';

export interface Epoch {
  epoch: number; cost: number | null; loss: number | null; trainAcc: number | null; testAcc: number | null; valAcc: number | null;
  lr: number | null; outMean: number | null; outStd: number | null; seconds: number | null; evalSeconds: number | null;
  gradNorm: Array<number | null> | null; saturation: Array<number | null> | null;
}

export interface Link { experiment: string; position: number; params: Record<string, unknown> }

export interface TrialRow {
  id: string; status: Status; attempt: number; seed: number; arch: string; epochsDone: number | null;
  finalCost: number | null; finalTrainAcc: number | null; finalTestAcc: number | null; bestTestAcc: number | null;
  divergedEpoch: number | null; prunedEpoch: number | null; error: string | null; startedAt: string | null;
  finishedAt: string | null; heartbeatAt: string | null; diagnosedAt: string | null; rev: number; seconds: number | null;
  findings: Array<{ rule: string; severity: string }>; links: Link[];
}

export interface Finding { rule: string; severity: string; evidence: Record<string, unknown>; advice: string }

export interface Delta {
  experiments: Array<{ name: string; description: string; file: string; createdAt: string; updatedAt: string }>;
  removedExperiments: string[];
  trials: Array<{ row: TrialRow; prev: { status: Status; experiments: string[] } | null; findings?: Finding[] }>;
  epochs: Array<{ trialId: string; attempt: number; reset: boolean; epochs: Epoch[] }>;
  gradchecks: Array<Record<string, unknown>>;
}

export interface Snapshot { instance: string; eventId: number; failure: string | null }

export interface Chart {
  name: string; caption: string; spec: object; renderer: 'svg' | 'canvas';
  live?: { datasets: Array<{ name: string; kind: 'curves' | 'splits' | 'lrout' | 'grads' | 'sat' }>; series?: Record<string, string>; metric?: 'test' | 'train' };
}

type Child = Node | string | null | undefined | false;

/** An element with attributes (`class`, `href`, `title`, data-*, …) and children (strings become text nodes). */
export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | number | boolean | null | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function main(): HTMLElement {
  const m = document.getElementById('main');
  if (!m) throw new Error('no #main');
  return m;
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url); // no extra header: a page's preloaded snapshot must match this request
  const body = await res.json() as T & { error?: string };
  if (!res.ok) throw new Error(body.error ?? `${res.status} ${res.statusText}`);
  return body;
}

export function showError(message: string): void {
  main().replaceChildren(el('h1', {}, 'Error'), el('p', { class: 'error' }, message), el('p', {}, el('a', { href: '/' }, 'All experiments')));
}

export function setLive(state: 'live' | 'reconnecting' | 'off', note = ''): void {
  const l = document.getElementById('live');
  if (!l) return;
  l.className = `live ${state}`;
  l.textContent = state === 'live' ? '● live' : state === 'reconnecting' ? '○ reconnecting…' : '○ not live';
  l.title = note || (state === 'live' ? 'changes in the database appear here as they are written' : '');
}

/**
 * Listens to the server's change events for `scope` from event `snap.eventId` on. Deltas are applied once each (by
 * id); a `reset` (the events were dropped, or another server instance answers) calls `reload`.
 */
export function listen(scope: string, snap: Snapshot, apply: (d: Delta) => void, reload: () => void): () => void {
  if (snap.failure) main().prepend(el('p', { class: 'error banner', role: 'alert' }, snap.failure));
  let last = snap.eventId;
  const es = new EventSource(`/events?${scope}&since=${snap.eventId}&instance=${encodeURIComponent(snap.instance)}`);
  es.addEventListener('open', () => setLive('live'));
  es.addEventListener('error', () => setLive('reconnecting'));
  es.addEventListener('delta', (ev) => {
    const e = ev as MessageEvent<string>;
    const id = Number(e.lastEventId);
    if (id <= last) return;
    last = id;
    apply(JSON.parse(e.data) as Delta);
    document.body.dataset.eventId = String(id);
  });
  es.addEventListener('reset', () => {
    es.close();
    reload();
  });
  return () => es.close();
}

// ---- formatting ----

export const MISSING = '–';

export function pct(x: number | null | undefined, digits = 2): string {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(digits)}%` : MISSING;
}

export function num(x: number | null | undefined): string {
  if (typeof x !== 'number' || !Number.isFinite(x)) return MISSING;
  if (x !== 0 && (Math.abs(x) < 1e-3 || Math.abs(x) >= 1e5)) return x.toExponential(3);
  return String(Number(x.toPrecision(4)));
}

export function fmtValue(v: unknown): string {
  if (v === undefined || v === null) return MISSING;
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(4)));
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

export function when(iso: string | null | undefined): string {
  if (!iso) return MISSING;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

export function statusBadge(status: string, title?: string | null): HTMLElement {
  return el('span', { class: `st st-${status.replace(/[^a-z]/g, '')}`, title: title ?? null }, status);
}

export function severityBadge(f: { rule: string; severity: string }): HTMLElement {
  return el('span', { class: `badge sev-${f.severity.replace(/[^a-z]/g, '')}`, title: f.severity }, f.rule);
}

export const STATUSES: Status[] = ['running', 'pending', 'done', 'pruned', 'diverged', 'failed', 'interrupted'];

// ---- charts ----

export interface DrawnChart { chart: Chart; view: View; figure: HTMLElement }

let vegaLoaded: Promise<void> | null = null;

/**
 * Loads vega (its browser build, then the module that puts its CSP-safe expression interpreter on globalThis) the
 * first time a chart is drawn, so a page's tables paint without waiting for half a megabyte of charting code.
 */
export function loadVega(): Promise<void> {
  const add = (attrs: Record<string, string>) => new Promise<void>((resolve, reject) => {
    const s = el('script', attrs);
    s.addEventListener('load', () => resolve());
    s.addEventListener('error', () => reject(new Error(`could not load ${attrs.src ?? 'a script'}`)));
    document.head.append(s);
  });
  vegaLoaded ??= add({ src: '/assets/vendor/vega.min.js' }).then(() => add({ type: 'module', src: '/assets/vendor/vega-expr.js' }));
  return vegaLoaded;
}

/** Draws a compiled vega spec into a new figure (with its caption) appended to `parent`. */
export async function drawChart(parent: HTMLElement, chart: Chart): Promise<DrawnChart> {
  await loadVega();
  const box = el('div', { class: 'vega' });
  const figure = el('figure', { class: 'chart', 'data-chart': chart.name }, box, el('figcaption', {}, chart.caption));
  parent.append(figure);
  const runtime = vega.parse(chart.spec as import('vega').Spec, undefined, { ast: true });
  const view = new vega.View(runtime, { expr: vegaExpressionInterpreter, renderer: chart.renderer, container: box, hover: true });
  await view.runAsync();
  const drawn = { chart, view, figure };
  figure.dataset.points = String(countPoints(drawn));
  figure.dataset.ready = '1';
  return drawn;
}

export function curvePoint(series: string, e: Epoch, metric: 'test' | 'train') {
  const f = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  return { series, epoch: e.epoch, cost: f(e.cost), acc: f(metric === 'test' ? e.testAcc : e.trainAcc) };
}

function splitPoints(e: Epoch) {
  const f = (x: number | null) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  const pts = [{ series: 'train', epoch: e.epoch, cost: f(e.cost), acc: f(e.trainAcc) }];
  if (e.testAcc !== null) pts.push({ series: 'test', epoch: e.epoch, cost: null, acc: f(e.testAcc) });
  if (e.valAcc !== null) pts.push({ series: 'validation', epoch: e.epoch, cost: null, acc: f(e.valAcc) });
  return pts;
}

function rowsFor(kind: string, e: Epoch, series: string | undefined, metric: 'test' | 'train'): object[] {
  const f = (x: number | null | undefined) => (typeof x === 'number' && Number.isFinite(x) ? x : null);
  switch (kind) {
    case 'curves': return series === undefined ? [] : [curvePoint(series, e, metric)];
    case 'splits': return splitPoints(e);
    case 'lrout': {
      const m = f(e.outMean);
      const s = f(e.outStd);
      return [{ epoch: e.epoch, lr: f(e.lr), mean: m, lo: m !== null && s !== null ? m - s : null, hi: m !== null && s !== null ? m + s : null }];
    }
    case 'grads': return (e.gradNorm ?? []).map((g, l) => ({ epoch: e.epoch, layer: `layer ${l + 1}`, value: f(g) !== null && (g as number) > 0 ? g : null }));
    case 'sat': return (e.saturation ?? []).map((s, l) => ({ epoch: e.epoch, layer: `hidden ${l + 1}`, value: f(s) }));
    default: return [];
  }
}

/** Inserts a trial's new epochs into a live chart (true when the chart shows that trial). */
export function insertEpochs(c: DrawnChart, trialId: string, epochs: readonly Epoch[]): boolean {
  const live = c.chart.live;
  if (!live || epochs.length === 0) return false;
  const series = live.series?.[trialId];
  if (live.series && series === undefined) return false;
  const metric = live.metric ?? 'test';
  for (const d of live.datasets) {
    const rows = epochs.flatMap((e) => rowsFor(d.kind, e, series, metric));
    if (rows.length > 0) c.view.change(d.name, vega.changeset().insert(rows));
  }
  c.view.runAsync().then(() => { c.figure.dataset.points = String(countPoints(c)); }, () => undefined);
  return true;
}

/** Rows in a live chart's datasets (what a test watches grow). */
export function countPoints(c: DrawnChart): number {
  return (c.chart.live?.datasets ?? []).reduce((n, d) => n + (c.view.data(d.name) as unknown[]).length, 0);
}

/** Calls `fn` at most once every `ms`: the first call of a burst schedules it, later ones in the burst join it. */
export function throttle(fn: () => void, ms: number): () => void {
  let t: ReturnType<typeof setTimeout> | null = null;
  return () => {
    t ??= setTimeout(() => { t = null; fn(); }, ms);
  };
}
