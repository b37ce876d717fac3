/**
 * A search space: the distributions of sweep.search.params, a seeded generator per suggestion, and independent
 * random draws. Numeric distributions are handled in an internal coordinate (the log of the value for
 * loguniform) where the samplers work; `toValue` maps back and rounds ints.
 */
import { createHash } from 'node:crypto';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import type { Distribution } from '../config/search.js';

/** A numeric dimension in its internal coordinate: [low, high] (log scale for loguniform; ints widened by ±0.5). */
export interface NumericDim { kind: 'numeric'; path: string; low: number; high: number; log: boolean; int: boolean }
export interface ChoiceDim { kind: 'choice'; path: string; choices: readonly unknown[] }
export type Dim = NumericDim | ChoiceDim;

export function dimsOf(params: Readonly<Record<string, Distribution>>): Dim[] {
  return Object.keys(params).sort().map((path): Dim => {
    const d = params[path] as Distribution;
    if ('choice' in d) return { kind: 'choice', path, choices: d.choice };
    if ('loguniform' in d) return { kind: 'numeric', path, low: Math.log(d.loguniform[0]), high: Math.log(d.loguniform[1]), log: true, int: false };
    if ('int' in d) return { kind: 'numeric', path, low: d.int[0] - 0.5, high: d.int[1] + 0.5, log: false, int: true };
    return { kind: 'numeric', path, low: d.uniform[0], high: d.uniform[1], log: false, int: false };
  });
}

/** A uniform [0, 1) source seeded once (pure-rand xoroshiro128+). */
export class Uniform {
  private g: ReturnType<typeof xoroshiro128plus>;
  constructor(seed: number) {
    this.g = xoroshiro128plus(seed);
  }
  next(): number {
    return uniformFloat64(this.g);
  }
  /** a standard normal draw (Box-Muller) */
  normal(): number {
    const u = 1 - this.next(); // (0, 1]
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n));
  }
}

/** The generator of the `index`-th suggestion of a search seeded `seed`: independent of everything else. */
export function suggestionRng(seed: number, index: number, salt = 0): Uniform {
  const h = createHash('sha256').update(`sweeplab-search:${seed}:${index}:${salt}`).digest();
  return new Uniform(h.readUInt32LE(0) ^ (h.readUInt32LE(4) << 1));
}

/** A value of a dimension from its internal coordinate (exp for log scales, rounded and clamped for ints). */
export function toValue(d: NumericDim, x: number): number {
  if (d.log) return Math.min(Math.exp(d.high), Math.max(Math.exp(d.low), Math.exp(x)));
  if (d.int) return Math.min(Math.round(d.high - 0.5), Math.max(Math.round(d.low + 0.5), Math.round(x)));
  return Math.min(d.high, Math.max(d.low, x));
}

/** The internal coordinate of a stored value, or null when it does not belong to this dimension. */
export function toCoord(d: NumericDim, v: unknown): number | null {
  if (typeof v !== 'number' || !Number.isFinite(v)) return null;
  if (d.log) return v > 0 && Math.log(v) >= d.low - 1e-9 && Math.log(v) <= d.high + 1e-9 ? Math.log(v) : null;
  return v >= d.low && v <= d.high ? v : null;
}

/** Index of a stored value among a choice's options (deep equality through JSON), or -1. */
export function choiceIndex(d: ChoiceDim, v: unknown): number {
  const key = JSON.stringify(v);
  return d.choices.findIndex((c) => JSON.stringify(c) === key);
}

/** One independent uniform draw of every dimension. */
export function randomDraw(dims: readonly Dim[], rng: Uniform): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const d of dims) {
    out[d.path] = d.kind === 'choice' ? structuredClone(d.choices[rng.int(d.choices.length)]) : toValue(d, d.low + rng.next() * (d.high - d.low));
  }
  return out;
}
