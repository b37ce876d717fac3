// Subset selection: which rows of a file a split uses, in which order. Pure functions of the spec and labels.
import { DataSpecError } from './errors.js';
import { countClasses } from './preprocess.js';
import { seededRng, type IntRng } from './rng.js';
import { byteAt, u32At } from './typed.js';
import type { SubsetSpec } from './types.js';

export type SampleKind = 'first' | 'random' | 'stratified';

export interface ResolvedSubset {
  offset: number;
  count: number;
  sample: SampleKind;
  seed: number;
}

export const DEFAULT_SEED = 1;
const SAMPLES: readonly SampleKind[] = ['first', 'random', 'stratified'];
const SUBSET_KEYS = ['offset', 'count', 'sample', 'seed'];

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v) ?? String(v));

/**
 * Normalises a `train`/`test` spec against a file of `total` examples and checks its range.
 * @param key `data.train` or `data.test`; @param noun e.g. `training images`.
 */
export function resolveSubset(spec: number | SubsetSpec | undefined, total: number, key: string, noun: string): ResolvedSubset {
  let obj: SubsetSpec;
  if (spec === undefined) obj = {};
  else if (typeof spec === 'number') obj = { count: spec };
  else if (typeof spec === 'object' && spec !== null && !Array.isArray(spec)) obj = spec;
  else throw new DataSpecError('BAD_SUBSET', key, `${show(spec)} is not a count or an object {offset, count, sample, seed}`);

  for (const k of Object.keys(obj)) {
    if (!SUBSET_KEYS.includes(k)) throw new DataSpecError('BAD_SUBSET', `${key}.${k}`, `unknown key; use ${SUBSET_KEYS.join(', ')}`);
  }
  const countKey = typeof spec === 'number' ? key : `${key}.count`;
  const offset = obj.offset ?? 0;
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new DataSpecError('BAD_SUBSET', `${key}.offset`, `${show(obj.offset)} must be an integer >= 0 (index of the first of the ${total} ${noun})`);
  }
  if (offset >= total) {
    throw new DataSpecError('OUT_OF_RANGE', key, `offset ${offset} is past the last of the ${total} ${noun}; use offset <= ${total - 1}`);
  }
  const count = obj.count ?? total - offset;
  if (!Number.isSafeInteger(count) || count < 1) {
    throw new DataSpecError('BAD_SUBSET', countKey, `${show(obj.count)} must be an integer >= 1 (number of ${noun})`);
  }
  if (offset + count > total) {
    throw new DataSpecError('OUT_OF_RANGE', key, `offset ${offset} + count ${count} exceeds the ${total} ${noun}; use count <= ${total - offset}`);
  }
  const sample = obj.sample ?? 'first';
  if (!SAMPLES.includes(sample)) {
    throw new DataSpecError('BAD_SUBSET', `${key}.sample`, `${show(obj.sample)} is not one of ${SAMPLES.join(', ')}`);
  }
  const seed = obj.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DataSpecError('BAD_SUBSET', `${key}.seed`, `${show(obj.seed)} must be an integer in 0..4294967295`);
  }
  return { offset, count, sample, seed };
}

/** Checks `validation` against the selected training count; returns the number of examples carved off. */
export function resolveValidation(v: number | undefined, trainCount: number): number {
  const n = v ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new DataSpecError('BAD_VALIDATION', 'data.validation', `${show(v)} must be an integer >= 0 (examples carved from the end of the training subset)`);
  }
  if (n >= trainCount) {
    throw new DataSpecError('BAD_VALIDATION', 'data.validation',
      `${n} must be less than the ${trainCount} selected training images (training keeps the rest); use validation <= ${trainCount - 1} or a larger data.train`);
  }
  return n;
}

/**
 * Splits `count` over classes in proportion to `available` (largest remainder; ties go to the lower class).
 * Requires count <= sum(available); each share is <= its class's availability and the shares sum to count.
 */
export function stratifiedQuotas(available: readonly number[], count: number): number[] {
  const total = available.reduce((a, b) => a + b, 0);
  const quotas = available.map((a) => Math.floor((count * a) / total));
  const left = count - quotas.reduce((a, b) => a + b, 0); // < number of classes
  const plusOne = new Set(
    available
      .map((a, c) => ({ c, rem: (count * a) % total }))
      .sort((p, q) => q.rem - p.rem || p.c - q.c)
      .slice(0, left)
      .map(({ c }) => c),
  );
  return quotas.map((q, c) => (plusOne.has(c) ? q + 1 : q));
}

/** Moves `k` uniformly drawn elements of `pool` to its front (partial Fisher-Yates), in place. */
function drawFront(pool: Uint32Array, k: number, rng: IntRng): void {
  const m = pool.length;
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(m - i);
    const t = u32At(pool, i);
    pool[i] = u32At(pool, j);
    pool[j] = t;
  }
}

/**
 * Row indices (into the file) of a subset, in split order.
 * @param labels (total) the file's labels, used by `stratified`.
 */
export function selectIndices(sub: ResolvedSubset, labels: Uint8Array, numClasses: number): Uint32Array {
  const { offset, count, sample } = sub;
  const total = labels.length;
  if (sample === 'first') {
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = offset + i;
    return out;
  }
  const rng = seededRng(sub.seed);
  if (sample === 'random') {
    const pool = new Uint32Array(total - offset);
    for (let i = 0; i < pool.length; i++) pool[i] = offset + i;
    drawFront(pool, count, rng);
    return pool.slice(0, count);
  }
  // stratified: per-class pools in file order, a share drawn from each, then the union shuffled. The pools are the
  // runs of one array holding [offset, total) sorted by class (a counting sort, stable: file order within a class).
  const available = countClasses(labels.subarray(offset), numClasses);
  const quotas = stratifiedQuotas(available, count);
  const byClass = new Uint32Array(total - offset);
  const end = new Uint32Array(numClasses); // write cursor of each class's run; after the fill, where the run ends
  let runStart = 0;
  for (const [c, a] of available.entries()) {
    end[c] = runStart;
    runStart += a;
  }
  for (let i = offset; i < total; i++) {
    const c = byteAt(labels, i);
    const w = u32At(end, c);
    byClass[w] = i;
    end[c] = w + 1;
  }
  const out = new Uint32Array(count);
  let o = 0;
  let from = 0;
  for (const [c, quota] of quotas.entries()) {
    const pool = byClass.subarray(from, u32At(end, c));
    drawFront(pool, quota, rng);
    out.set(pool.subarray(0, quota), o);
    o += quota;
    from += pool.length;
  }
  drawFront(out, count, rng);
  return out;
}
