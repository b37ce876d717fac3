/**
 * Where the time of a training epoch goes (bench only, not a test): every kernel call of one model is timed by a
 * wrapper around its Kernels, for one epoch of training passes (no metrics pass), and for one metrics pass.
 * GEMMs are grouped by shape; what is not inside a kernel call is the TypeScript around them (loop, views,
 * optimizer bookkeeping, the metrics' statistics).
 */
import { createMlp } from '../model.js';
import { train } from '../train.js';
import type { Kernels } from '../kernels/types.js';
import type { DType, InitSpec, LabeledSet, ModelSpec, TrainOptions } from '../types.js';

export interface ProfileRow { what: string; calls: number; seconds: number; gflops: number | null }
export interface Profile { train: { seconds: number; rows: ProfileRow[] }; metrics: { seconds: number; rows: ProfileRow[] } }

const GEMMS = new Set(['gemm', 'linearAct', 'linearBackward', 'weightGradStep']);

/** Kernels that add the time and count of each call (by function, GEMMs by shape) into `acc`. */
function timedKernels(k: Kernels, acc: Map<string, { calls: number; seconds: number; flops: number }>): Kernels {
  const out: Record<string, unknown> = { ...k };
  for (const [name, fn] of Object.entries(k)) {
    if (typeof fn !== 'function' || name === 'alloc') continue; // allocation is setup, not a kernel of the loop
    const f = fn as (...a: unknown[]) => unknown;
    out[name] = (...a: unknown[]) => {
      const t0 = performance.now();
      const r = f(...a);
      const dt = (performance.now() - t0) / 1000;
      let key = name;
      let flops = 0;
      if (name === 'gemm') {
        const [ta, tb, M, N, K] = a as [boolean, boolean, number, number, number];
        key = `gemm ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${M}x${N}x${K}`;
        flops = 2 * M * N * K;
      } else if (name === 'weightGradStep') {
        const [rows, nIn, nOut] = a.slice(5, 8) as [number, number, number];
        key = `weightGradStep ${nIn}x${nOut}x${rows}`;
        flops = 2 * rows * nIn * nOut;
      } else if (name === 'linearAct' || name === 'linearBackward') {
        const [rows, nIn, nOut] = a.slice(4, 7) as [number, number, number];
        key = `${name} ${rows}x${name === 'linearAct' ? `${nOut}x${nIn}` : `${nIn}x${nOut}`}`;
        flops = 2 * rows * nIn * nOut;
      }
      const e = acc.get(key) ?? { calls: 0, seconds: 0, flops: 0 };
      e.calls++;
      e.seconds += dt;
      e.flops += flops;
      acc.set(key, e);
      return r;
    };
  }
  return out as unknown as Kernels;
}

function rowsOf(acc: Map<string, { calls: number; seconds: number; flops: number }>, total: number): ProfileRow[] {
  const rows: ProfileRow[] = [...acc.entries()].map(([what, e]) => ({
    what, calls: e.calls, seconds: e.seconds, gflops: GEMMS.has(what.split(' ')[0]!) ? e.flops / e.seconds / 1e9 : null,
  }));
  rows.sort((a, b) => b.seconds - a.seconds);
  const inside = rows.reduce((s, r) => s + r.seconds, 0);
  rows.push({ what: 'TypeScript around the kernels', calls: 0, seconds: Math.max(0, total - inside), gflops: null });
  return rows;
}

/**
 * Profiles epoch 1 of `opts` (training passes only: metricsEvery 2 leaves it unmeasured) and the metrics pass of
 * epoch 2, on `kernels` (the model's kernels for this dtype).
 */
export function profileTraining(spec: ModelSpec, init: InitSpec, dtype: DType, kernels: Kernels, opts: Omit<TrainOptions, 'epochs' | 'seed'>,
  train_: LabeledSet, test: LabeledSet | null): Profile {
  const acc = new Map<string, { calls: number; seconds: number; flops: number }>();
  const model = createMlp(spec, { dtype, init, seed: 1, kernels: timedKernels(kernels, acc) });
  let trainRows: ProfileRow[] = [];
  let trainSeconds = 0;
  let t = 0;
  train(model, { train: train_, test, numClasses: spec.layers[spec.layers.length - 1]! }, { ...opts, epochs: 2, seed: 1, metricsEvery: 2 }, (e) => {
    if (e.epoch === 0) {
      acc.clear();
      t = performance.now();
    } else if (e.epoch === 1) {
      trainSeconds = (performance.now() - t) / 1000;
      trainRows = rowsOf(acc, trainSeconds);
    }
  });
  // epoch 2's training passes then its metrics pass ran after epoch 1's callback: measure the pass alone
  acc.clear();
  let metricsSeconds = 0;
  train(model, { train: train_, test, numClasses: spec.layers[spec.layers.length - 1]! }, { ...opts, epochs: 0, seed: 1 }, (e) => {
    metricsSeconds = e.evalSeconds;
  });
  return { train: { seconds: trainSeconds, rows: trainRows }, metrics: { seconds: metricsSeconds, rows: rowsOf(acc, metricsSeconds) } };
}

/** Lines for the bench's output. */
export function formatProfile(title: string, p: Profile, top = 12): string[] {
  const out: string[] = [];
  for (const [part, x] of [['training passes of one epoch', p.train], ['one metrics pass', p.metrics]] as const) {
    out.push(`  ${title}: ${part}: ${x.seconds.toFixed(3)} s`);
    for (const r of x.rows.slice(0, top)) {
      out.push(`    ${r.what.padEnd(36)} ${String(r.calls).padStart(6)} calls ${r.seconds.toFixed(4).padStart(8)} s ${(100 * r.seconds / x.seconds).toFixed(1).padStart(5)}%` +
        (r.gflops !== null ? ` ${r.gflops.toFixed(1).padStart(6)} GFLOP/s` : ''));
    }
    const rest = x.rows.slice(top);
    if (rest.length) out.push(`    (${rest.length} more, ${rest.reduce((s, r) => s + r.seconds, 0).toFixed(4)} s)`);
  }
  return out;
}
