// Sweep expansion: trials = grid × each zip group × random samples × seeds (first axis outermost, seeds innermost).
// Random draws come from pure-rand's xoroshiro128+ seeded with sweep.random.seed: same file, same trials.
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { DEFAULTS, numericPath, sweepValueSchema } from './schema.js';
import { validateAt, type RawIssue } from './validate.js';
import type { Seg } from './yaml-source.js';

export interface SweepConfig {
  grid?: Record<string, unknown[]>;
  zip?: Record<string, unknown[]>[];
  random?: { samples: number; seed?: number; params: Record<string, Record<string, unknown>> };
  search?: { sampler?: 'random' | 'tpe'; trials: number; seed?: number; startup?: number; params: Record<string, Record<string, unknown>> };
  seeds?: number[];
}

/** One swept value of one trial: the dotted path it sets, the value, and where the value is written in the file. */
export interface SweptValue { path: string; value: unknown; source: Seg[] }

interface Entry { path: string; at: Seg[]; where: string }

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function entries(s: SweepConfig): Entry[] {
  const out: Entry[] = [];
  if (isObj(s.grid)) for (const p of Object.keys(s.grid)) out.push({ path: p, at: ['sweep', 'grid', p], where: 'sweep.grid' });
  if (Array.isArray(s.zip)) s.zip.forEach((g, i) => { if (isObj(g)) for (const p of Object.keys(g)) out.push({ path: p, at: ['sweep', 'zip', i, p], where: `sweep.zip[${i}]` }); });
  if (isObj(s.random) && isObj(s.random.params)) for (const p of Object.keys(s.random.params)) out.push({ path: p, at: ['sweep', 'random', 'params', p], where: 'sweep.random.params' });
  if (isObj(s.search) && isObj(s.search.params)) for (const p of Object.keys(s.search.params)) out.push({ path: p, at: ['sweep', 'search', 'params', p], where: 'sweep.search.params' });
  if (s.seeds !== undefined) out.push({ path: 'train.seed', at: ['sweep', 'seeds'], where: 'sweep.seeds' });
  return out;
}

/** Dotted paths the sweep sets, in expansion order. */
export function sweptPaths(s: SweepConfig | undefined): string[] {
  return s ? entries(s).map((e) => e.path) : [];
}

const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

/**
 * Consistency beyond the schema: each path swept once, zip lists of equal length, sane distribution bounds.
 * Defensive: runs on sweeps the schema rejected too (parts of the wrong shape are skipped), so all errors come at once.
 */
export function checkSweep(s: SweepConfig): RawIssue[] {
  const out: RawIssue[] = [];
  const seen: Entry[] = [];
  for (const e of entries(s)) {
    const prev = seen.find((x) => overlaps(x.path, e.path));
    if (prev) {
      const what = e.where === 'sweep.seeds' ? 'sweep.seeds sets train.seed' : prev.path === e.path ? `${e.path} is swept twice` : `${e.path} overlaps ${prev.path}`;
      out.push({ path: e.at, mode: 'key', message: `${what}, which is also swept in ${prev.where}: sweep each path in one place` });
    } else {
      seen.push(e);
    }
  }
  if (Array.isArray(s.zip)) {
    s.zip.forEach((g, i) => {
      if (!isObj(g)) return;
      const lists = Object.entries(g).filter((kv): kv is [string, unknown[]] => Array.isArray(kv[1]));
      const [k0, l0] = lists[0] ?? [];
      for (const [k, l] of lists.slice(1)) {
        if (l.length !== l0!.length) {
          out.push({ path: ['sweep', 'zip', i, k], mode: 'key', message: `sweep.zip[${i}]: ${k} has ${l.length} values but ${k0} has ${l0!.length}; the lists of a zip group vary together and must have equal lengths` });
        }
      }
    });
  }
  out.push(...searchCombination(s));
  const params = [
    ...(isObj(s.random) && isObj(s.random.params) ? Object.entries(s.random.params).map(([p, d]) => ['random', p, d] as const) : []),
    ...(isObj(s.search) && isObj(s.search.params) ? Object.entries(s.search.params).map(([p, d]) => ['search', p, d] as const) : []),
  ];
  for (const [where, p, d] of params) {
    if (!isObj(d)) continue;
    const kind = Object.keys(d)[0];
    if (kind !== 'loguniform' && kind !== 'uniform' && kind !== 'int') continue;
    const b = d[kind];
    if (!Array.isArray(b) || b.length !== 2 || !isNum(b[0]) || !isNum(b[1])) continue; // the schema reports it
    const [lo, hi] = b;
    const at: Seg[] = ['sweep', where, 'params', p, kind];
    const before = out.length;
    if (kind === 'loguniform' && !(lo > 0)) out.push({ path: [...at, 0], mode: 'value', message: `${p}: loguniform needs 0 < low < high, got low ${lo} (a log scale cannot reach 0 or below)` });
    if ((kind === 'loguniform' || kind === 'uniform') && !(lo < hi)) out.push({ path: [...at, 1], mode: 'value', message: `${p}: ${kind} needs low < high, got [${lo}, ${hi}]` });
    if (kind === 'int' && !(lo <= hi)) out.push({ path: [...at, 1], mode: 'value', message: `${p}: int needs low <= high, got [${lo}, ${hi}]` });
    const target = sweepValueSchema(p);
    if (out.length > before || !target || !numericPath(p)) continue; // a distribution that does not fit the path: the schema reports it
    // both bounds must be valid values of the path (uniform [-1, 1] for a learning rate would draw negative rates)
    [lo, hi].forEach((v, j) => {
      for (const issue of validateAt(target, v, [...at, j])) {
        out.push({ path: issue.path, mode: 'value', message: `${p}: the ${j ? 'high' : 'low'} bound of ${kind} is out of range: ${issue.message.replace(/^\S+/, p)}` });
      }
    });
  }
  return out;
}

/** An adaptive search decides the configurations itself: it takes one seed and no other kind of sweep. */
function searchCombination(s: SweepConfig): RawIssue[] {
  if (!isObj(s.search)) return [];
  const out: RawIssue[] = [];
  for (const k of ['grid', 'zip', 'random'] as const) {
    if (s[k] !== undefined) {
      out.push({ path: ['sweep', k], mode: 'key', message: `sweep.${k} cannot be combined with sweep.search (the search chooses every configuration): move its values into sweep.search.params as { choice: [...] } distributions, or use a separate experiment file` });
    }
  }
  if (Array.isArray(s.seeds) && s.seeds.length > 1) {
    out.push({ path: ['sweep', 'seeds'], mode: 'value', message: `sweep.seeds lists ${s.seeds.length} seeds but a search trains each configuration once: give one seed (seeds: [${String(s.seeds[0])}]), or search train.seed too` });
  }
  return out;
}

/** A trial's swept values before the search adds its own: the single seed of `sweep.seeds`, if any. */
export function searchFixedValues(s: SweepConfig): SweptValue[] {
  return Array.isArray(s.seeds) && s.seeds.length > 0 ? [{ path: 'train.seed', value: s.seeds[0], source: ['sweep', 'seeds', 0] }] : [];
}

/**
 * The configurations that stand for a search space when the file is checked: the first value of every
 * distribution (a choice's first option, a range's low bound), then each other option and bound in turn with the
 * rest at their first, so every value a search can draw is checked (and an error points at it) before anything runs.
 */
export function searchProbeRows(s: SweepConfig): SweptValue[][] {
  if (!isObj(s.search) || !isObj(s.search.params)) return [];
  const fixed = searchFixedValues(s);
  const options = Object.keys(s.search.params).sort().map((p): SweptValue[] => {
    const d = s.search!.params[p]!;
    const base: Seg[] = ['sweep', 'search', 'params', p];
    if (Array.isArray(d.choice)) return d.choice.map((v, i) => ({ path: p, value: v, source: [...base, 'choice', i] }));
    const kind = ['loguniform', 'uniform', 'int'].find((k) => Array.isArray(d[k]));
    if (kind === undefined) return [];
    const b = d[kind] as unknown[];
    return [0, 1].map((j) => ({ path: p, value: b[j], source: [...base, kind, j] }));
  }).filter((o) => o.length > 0);
  const first = options.map((o) => o[0]!);
  const rows: SweptValue[][] = [[...fixed, ...first]];
  options.forEach((o, i) => {
    for (const v of o.slice(1)) rows.push([...fixed, ...first.map((f, j) => (j === i ? v : f))]);
  });
  return rows.map((r) => r.map((x) => ({ ...x, value: structuredClone(x.value) })));
}

/**
 * The parts of a sweep with no reported issue (`issuePaths`: paths of issues under `sweep`), so the trials of the
 * valid parts can still be checked and all errors come at once.
 */
export function sanitizeSweep(s: SweepConfig, issuePaths: readonly Seg[][]): SweepConfig {
  const hit = (prefix: Seg[]) => issuePaths.some((p) => {
    const n = Math.min(p.length, prefix.length);
    for (let k = 0; k < n; k++) if (String(p[k]) !== String(prefix[k])) return false;
    return true; // the issue is at, under or above prefix
  });
  const out: SweepConfig = {};
  if (isObj(s.grid)) {
    const grid = Object.fromEntries(Object.entries(s.grid).filter(([p, v]) => Array.isArray(v) && !hit(['sweep', 'grid', p])));
    if (Object.keys(grid).length) out.grid = grid;
  }
  if (Array.isArray(s.zip)) {
    const zip = s.zip.filter((g, i) => isObj(g) && Object.keys(g).length > 0 && !hit(['sweep', 'zip', i]));
    if (zip.length) out.zip = zip;
  }
  if (isObj(s.random) && !hit(['sweep', 'random'])) out.random = s.random;
  if (isObj(s.search) && !hit(['sweep', 'search'])) out.search = s.search;
  if (Array.isArray(s.seeds) && !hit(['sweep', 'seeds'])) out.seeds = s.seeds;
  return out;
}

/**
 * The trials of a (valid) sweep: one list of swept values per trial, in order. No sweep: one trial with none. A
 * search has no trials when the file loads (see searchProbeRows for what is checked instead).
 */
export function expandSweep(s: SweepConfig | undefined): SweptValue[][] {
  const axes: SweptValue[][][] = [];
  if (s && isObj(s.search)) return [];
  if (s) {
    for (const [p, values] of Object.entries(s.grid ?? {})) axes.push(values.map((v, i) => [{ path: p, value: v, source: ['sweep', 'grid', p, i] }]));
    (s.zip ?? []).forEach((g, gi) => {
      const keys = Object.keys(g);
      axes.push(g[keys[0]!]!.map((_, i) => keys.map((p) => ({ path: p, value: g[p]![i], source: ['sweep', 'zip', gi, p, i] }))));
    });
    if (s.random) axes.push(drawRandom(s.random));
    if (s.seeds) axes.push(s.seeds.map((v, i) => [{ path: 'train.seed', value: v, source: ['sweep', 'seeds', i] }]));
  }
  let rows: SweptValue[][] = [[]];
  for (const axis of axes) rows = rows.flatMap((r) => axis.map((opt) => [...r, ...opt]));
  return rows.map((r) => r.map((x) => ({ ...x, value: structuredClone(x.value) })));
}

/** `samples` draws; within a draw the paths are drawn in sorted order, so key order in the file does not matter. */
function drawRandom(r: NonNullable<SweepConfig['random']>): SweptValue[][] {
  const rng = xoroshiro128plus(r.seed ?? DEFAULTS.randomSeed);
  const paths = Object.keys(r.params).sort();
  const rows: SweptValue[][] = [];
  for (let s = 0; s < r.samples; s++) {
    rows.push(paths.map((p) => {
      const d = r.params[p]!;
      const base: Seg[] = ['sweep', 'random', 'params', p];
      if ('choice' in d) {
        const list = d.choice as unknown[];
        const i = uniformInt(rng, 0, list.length - 1);
        return { path: p, value: list[i], source: [...base, 'choice', i] };
      }
      if ('int' in d) {
        const [lo, hi] = d.int as [number, number];
        return { path: p, value: uniformInt(rng, lo, hi), source: base };
      }
      const u = uniformFloat64(rng); // [0, 1)
      if ('loguniform' in d) {
        const [lo, hi] = d.loguniform as [number, number];
        return { path: p, value: Math.min(hi, Math.max(lo, Math.exp(Math.log(lo) + u * (Math.log(hi) - Math.log(lo))))), source: base };
      }
      const [lo, hi] = d.uniform as [number, number];
      return { path: p, value: lo + u * (hi - lo), source: base };
    }));
  }
  return rows;
}

/** The default largest number of trials a sweep may expand to (`--max-trials N` raises it). */
export const DEFAULT_MAX_TRIALS = 100_000;

/**
 * How many trials a static sweep expands to, computed from the list lengths without expanding anything, and the
 * axes that multiply to it (e.g. `train.lr: 10`, `sweep.zip[0]: 4`, `random: 50 samples`, `seeds: 3`).
 */
export function sweepTrialCount(s: SweepConfig): { count: number; axes: string[] } {
  let count = 1;
  const axes: string[] = [];
  for (const [p, values] of Object.entries(s.grid ?? {})) {
    if (!Array.isArray(values)) continue;
    count *= values.length;
    axes.push(`${p}: ${values.length}`);
  }
  (s.zip ?? []).forEach((g, i) => {
    const first = Object.values(g).find(Array.isArray);
    if (!first) return;
    count *= first.length;
    axes.push(`sweep.zip[${i}]: ${first.length}`);
  });
  if (isObj(s.random) && typeof s.random.samples === 'number') {
    count *= s.random.samples;
    axes.push(`random: ${s.random.samples} samples`);
  }
  if (Array.isArray(s.seeds)) {
    count *= s.seeds.length;
    axes.push(`seeds: ${s.seeds.length}`);
  }
  return { count, axes };
}
