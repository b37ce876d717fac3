/**
 * Gradient checking by central finite differences against an Objective's analytic gradient.
 *
 * Two central-difference formulas (h = eps, e_i the i-th unit vector, J the objective's cost):
 *   order 4 (default, five-point stencil): numeric_i = [8(J(p+h·e_i) − J(p−h·e_i)) − (J(p+2h·e_i) − J(p−2h·e_i))] / 12h
 *   order 2 (the textbook check):          numeric_i = (J(p+h·e_i) − J(p−h·e_i)) / ((p_i+h) − (p_i−h))
 *   relErr_i = |analytic_i − numeric_i| / max(|analytic_i|, |numeric_i|, floor)      (0 when both are equal)
 * (order 2 divides by the exactly representable step (p_i+h) − (p_i−h) rather than 2h.)
 *
 * Why order 4 with eps = 1e-3 by default: the error of a difference quotient is truncation + rounding.
 * Rounding is ~δJ/h, where δJ, the float64 noise of the cost itself, is a few ulps of J (1e-15..1e-14 for
 * J ~ 1..40: a perturbation changes the rounding of every downstream sum). Truncation is h²·J⁽³⁾/6 for
 * order 2 and h⁴·J⁽⁵⁾/30 for order 4. Measured on this project's nets (the question's 784-5-5-10 sigmoid net
 * with λ = 1, and 4-5-4-3 nets of every activation × output/loss × λ): order 2 leaves absolute errors up to
 * 2e-9 at h = 1e-5 and 9e-9 at h = 1e-6 (rounding-bound), which needs a floor of 1e-2 to pass 1e-7 with a 2x
 * margin; order 4 at h = 1e-3 leaves 8e-12 on the question's net and relative errors ≤ 2e-8 everywhere with
 * floor 1e-3. It costs 4 evaluations of J per parameter instead of 2.
 *
 * Why a floor (default 1e-3): a parameter whose true derivative is ~0 (a dead or saturated unit, a weight
 * from an always-zero input) has |analytic| and |numeric| at noise level, and their plain relative
 * difference is O(1) though nothing is wrong. With floor f and threshold t, a gradient component smaller
 * than f passes iff its absolute error is ≤ t·f (1e-10 by default: the question's user reports < 1e-10
 * absolute), above the order-4 noise; a real bug larger than that (a sign flip, a missing λ/N·w, a shifted
 * row) still fails. `floor: 0` gives the pure relative error.
 *
 * Kinks: when the objective has kinkSignature(), a parameter whose perturbed evaluations change the
 * signature (a ReLU pre-activation changed sign within p_i ± 2h, or ± h for order 2) is skipped and
 * counted: across a kink the difference quotient is not the derivative.
 */
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { uniformInt } from 'pure-rand/distribution/uniformInt';
import type { Objective } from '@sweeplab/nn-core';

/** Every option may be left out or given as `undefined` for its default. */
export interface GradcheckOptions {
  /** finite-difference step h (default 1e-3 with order 4, 1e-5 with order 2) */
  eps?: number | undefined;
  /** accuracy order of the central difference: 4 (five-point stencil, default) or 2 (two-point) */
  order?: 2 | 4 | undefined;
  /** max relative error that passes (default 1e-7) */
  threshold?: number | undefined;
  /** 'all' (default) or how many parameters to check, split evenly over each layer's weights and biases */
  samples?: number | 'all' | undefined;
  /** seed of the parameter sample (default 0) */
  seed?: number | undefined;
  /** floor of the relative error's denominator (default 1e-3, see the module comment) */
  floor?: number | undefined;
}

export interface LayerCheck {
  /** 1-based, as W1..WL */
  layer: number;
  kind: 'weights' | 'biases';
  checked: number;
  /** parameters whose perturbation crossed a ReLU kink */
  skipped: number;
  maxRelError: number;
  maxAbsError: number;
  /**
   * the parameter with the largest relative error: index = row·nOut + col into the layer's (nIn + 1, nOut)
   * block (the flat index into Wl.npy), row 0 = bias
   */
  worst: { index: number; row: number; col: number; analytic: number; numeric: number } | null;
  passed: boolean;
}

export interface GradcheckReport {
  passed: boolean;
  eps: number;
  /** the central-difference order used (2 or 4) */
  order: 2 | 4;
  threshold: number;
  floor: number;
  maxRelError: number;
  checked: number;
  skipped: number;
  layers: LayerCheck[];
  seconds: number;
}

export const GRADCHECK_DEFAULTS = {
  order: 4, eps: 1e-3, epsOrder2: 1e-5, threshold: 1e-7, floor: 1e-3, samples: 'all', seed: 0,
} as const;

export class GradcheckError extends Error {
  override readonly name = 'GradcheckError';
  constructor(readonly code: 'BAD_OPTIONS' | 'BAD_OBJECTIVE', message: string) {
    super(message);
  }
}

interface Group { layer: number; kind: 'weights' | 'biases'; from: number; to: number; offset: number; nOut: number }

function groupsOf(obj: Objective): Group[] {
  const groups: Group[] = [];
  obj.layers.forEach((l, i) => {
    const size = (l.nIn + 1) * l.nOut;
    if (!(l.offset >= 0 && l.offset + size <= obj.params.length)) {
      throw new GradcheckError('BAD_OBJECTIVE', `gradcheck: layer ${i + 1}'s block [${l.offset}, ${l.offset + size}) lies outside params (length ${obj.params.length}); fix the objective's layers`);
    }
    groups.push({ layer: i + 1, kind: 'weights', from: l.offset + l.nOut, to: l.offset + size, offset: l.offset, nOut: l.nOut });
    groups.push({ layer: i + 1, kind: 'biases', from: l.offset, to: l.offset + l.nOut, offset: l.offset, nOut: l.nOut });
  });
  return groups;
}

/** Indices to check in [from, to): all, or `count` distinct ones drawn with `next` (partial Fisher-Yates). */
function pick(from: number, to: number, count: number | 'all', next: (n: number) => number): number[] {
  const size = to - from;
  const all = Array.from({ length: size }, (_, i) => from + i);
  if (count === 'all' || count >= size) return all;
  for (let i = 0; i < count; i++) swap(all, i, i + next(size - i));
  return all.slice(0, count).sort((a, b) => a - b);
}

function swap(a: number[], i: number, j: number): void {
  const ai = a[i];
  const aj = a[j];
  if (ai === undefined || aj === undefined) throw new RangeError(`gradcheck: swap(${i}, ${j}) outside [0, ${a.length})`);
  a[i] = aj;
  a[j] = ai;
}

/**
 * Checks obj.gradient against central differences of obj.cost, per layer and kind (weights / biases).
 * obj.params is perturbed in place and restored bit for bit after each parameter.
 */
export function gradcheck(obj: Objective, opts: GradcheckOptions = {}): GradcheckReport {
  const t0 = performance.now();
  const bad = (msg: string): never => { throw new GradcheckError('BAD_OPTIONS', `gradcheck: ${msg}`); };
  const order = opts.order ?? GRADCHECK_DEFAULTS.order;
  if (order !== 2 && order !== 4) bad(`order ${String(order)} must be 2 or 4`);
  const eps = opts.eps ?? (order === 4 ? GRADCHECK_DEFAULTS.eps : GRADCHECK_DEFAULTS.epsOrder2);
  const threshold = opts.threshold ?? GRADCHECK_DEFAULTS.threshold;
  const floor = opts.floor ?? GRADCHECK_DEFAULTS.floor;
  const samples = opts.samples ?? GRADCHECK_DEFAULTS.samples;
  if (!(Number.isFinite(eps) && eps > 0)) bad(`eps ${eps} must be a positive number (e.g. 1e-3)`);
  if (!(Number.isFinite(threshold) && threshold >= 0)) bad(`threshold ${threshold} must be a number >= 0 (e.g. 1e-7)`);
  if (!(Number.isFinite(floor) && floor >= 0)) bad(`floor ${floor} must be a number >= 0`);
  if (!(samples === 'all' || (Number.isInteger(samples) && samples >= 1))) bad(`samples ${JSON.stringify(samples)} must be 'all' or a whole number >= 1`);

  const p = obj.params;
  const groups = groupsOf(obj);
  const perGroup = samples === 'all' ? 'all' : Math.ceil(samples / groups.length);
  const rng = xoroshiro128plus((opts.seed ?? GRADCHECK_DEFAULTS.seed) | 0);
  const next = (n: number): number => uniformInt(rng, 0, n - 1);

  const analytic = new Float64Array(p.length);
  obj.gradient(analytic);
  obj.cost();
  const sig0 = obj.kinkSignature?.();

  const layers: LayerCheck[] = [];
  for (const g of groups) {
    const res: LayerCheck = { layer: g.layer, kind: g.kind, checked: 0, skipped: 0, maxRelError: 0, maxAbsError: 0, worst: null, passed: true };
    for (const i of pick(g.from, g.to, perGroup, next)) {
      const orig = p[i];
      const a = analytic[i];
      if (orig === undefined || a === undefined) { // groupsOf checked every block against params.length
        throw new GradcheckError('BAD_OBJECTIVE', `gradcheck: parameter ${i} lies outside params (length ${p.length})`);
      }
      let kink = false;
      /** J at p_i = orig + d, then p_i restored; notes a changed kink signature */
      const at = (d: number): number => {
        p[i] = orig + d;
        const f = obj.cost();
        if (sig0 !== undefined && obj.kinkSignature?.() !== sig0) kink = true;
        p[i] = orig;
        return f;
      };
      let numeric: number;
      if (order === 2) {
        const fp = at(eps);
        const fm = at(-eps);
        numeric = (fp - fm) / ((orig + eps) - (orig - eps));
      } else {
        const d1 = at(eps) - at(-eps);
        const d2 = at(2 * eps) - at(-2 * eps);
        numeric = (8 * d1 - d2) / (12 * eps);
      }
      if (kink) {
        res.skipped++;
        continue;
      }
      let abs = Math.abs(a - numeric);
      let rel = abs === 0 ? 0 : abs / Math.max(Math.abs(a), Math.abs(numeric), floor);
      if (Number.isNaN(rel)) { rel = Infinity; abs = Infinity; } // a NaN gradient or cost never passes
      res.checked++;
      if (abs > res.maxAbsError) res.maxAbsError = abs;
      if (res.worst === null || rel > res.maxRelError) {
        res.maxRelError = rel;
        const index = i - g.offset;
        res.worst = { index, row: Math.floor(index / g.nOut), col: index % g.nOut, analytic: a, numeric };
      }
    }
    res.passed = res.maxRelError <= threshold;
    layers.push(res);
  }
  obj.cost(); // leave the objective's cached state (e.g. its kink signature) at the unperturbed params
  return {
    passed: layers.every((l) => l.passed),
    eps, order, threshold, floor,
    maxRelError: layers.reduce((m, l) => Math.max(m, l.maxRelError), 0),
    checked: layers.reduce((s, l) => s + l.checked, 0),
    skipped: layers.reduce((s, l) => s + l.skipped, 0),
    layers,
    seconds: (performance.now() - t0) / 1000,
  };
}
