/**
 * Kernel benchmark (not a test): GFLOP/s of the 8 GEMM shapes of one training step of a 784-256-256-10 MLP at
 * batch 128 (3 forward NN, 3 weight-gradient TN, 2 input-gradient NT), float32 and float64, for the native
 * kernels (N-API addon over OpenBLAS) and the TypeScript kernels; each as % of that column's best shape, and
 * the ratio native / TypeScript. Then the per-call overhead of the addon and the elementwise kernels of the
 * same step (bias + activation, activation backward, softmax + CE, bias gradients, optimizer updates).
 *
 * Run: node packages/nn-core/dist/bench/kernels.bench.js [--json out.json] [--quick]
 * It re-executes itself under `taskset -c <last cpu>` (one core) when taskset exists. Times are process CPU
 * time (process.cpuUsage), so other load on the machine inflates them less than wall time would; each figure
 * is the median of repeated samples, each sample long enough (>= 20 ms native, >= 50 ms TypeScript) for the
 * microsecond clock. Results are checked: native and TypeScript C matrices must agree (relErr 1e-5 / 1e-12).
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { jsKernels } from '../kernels/js.js';
import { loadNativeKernels } from '../kernels/native.js';
import { Act, OutLoss, type FloatArray, type Kernels } from '../kernels/types.js';

export type BenchDType = 'float32' | 'float64';

export interface GemmShape {
  /** e.g. "fwd 1" */
  name: string;
  /** what it computes, e.g. "Z1 = X·W1" */
  what: string;
  transA: boolean;
  transB: boolean;
  M: number;
  N: number;
  K: number;
}

/**
 * The 8 GEMMs of one step of an MLP with these layer sizes at this batch (design.md: Z = A_prev·W (NN),
 * dW = A_prevᵀ·dZ (TN), dA_prev = dZ·Wᵀ (NT), the last one skipped for the input layer).
 */
export function mlpStepGemms(layers: readonly number[], batch: number): GemmShape[] {
  const out: GemmShape[] = [];
  const L = layers.length - 1;
  for (let l = 0; l < L; l++) {
    out.push({ name: `fwd ${l + 1}`, what: `Z${l + 1} = A${l}·W${l + 1}`, transA: false, transB: false, M: batch, N: layers[l + 1]!, K: layers[l]! });
  }
  for (let l = L - 1; l >= 0; l--) {
    out.push({ name: `dW ${l + 1}`, what: `dW${l + 1} = A${l}ᵀ·dZ${l + 1}`, transA: true, transB: false, M: layers[l]!, N: layers[l + 1]!, K: batch });
  }
  for (let l = L - 1; l >= 1; l--) {
    out.push({ name: `dA ${l}`, what: `dA${l} = dZ${l + 1}·W${l + 1}ᵀ`, transA: false, transB: true, M: batch, N: layers[l]!, K: layers[l + 1]! });
  }
  return out;
}

const flopsOf = (s: GemmShape) => 2 * s.M * s.N * s.K;

function cpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/**
 * Median CPU seconds of one call of `fn`: calibrates a repetition count so that one sample takes at least
 * `minSample` seconds, then takes `samples` samples.
 */
export function timeCall(fn: () => void, samples: number, minSample: number): number {
  fn(); // warm-up (JIT, caches, OpenBLAS buffers)
  let reps = 1;
  for (;;) {
    const t0 = cpuSeconds();
    for (let r = 0; r < reps; r++) fn();
    const dt = cpuSeconds() - t0;
    if (dt >= minSample) break;
    reps = dt <= 0 ? reps * 10 : Math.min(reps * 10, Math.ceil((reps * minSample * 1.2) / dt));
  }
  const per: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = cpuSeconds();
    for (let r = 0; r < reps; r++) fn();
    per.push((cpuSeconds() - t0) / reps);
  }
  return median(per);
}

function randArray(dtype: BenchDType, n: number, next: () => number, lo = -1, hi = 1): FloatArray {
  const a = dtype === 'float32' ? new Float32Array(n) : new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * next();
  return a;
}

function makeNext(seed: number): () => number {
  const g = xoroshiro128plus(seed);
  return () => uniformFloat64(g);
}

function relErr(a: FloatArray, b: FloatArray): number {
  let d = 0;
  let s = 1;
  for (let i = 0; i < b.length; i++) {
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(b[i]!));
  }
  return d / s;
}

/** One shape: GFLOP/s of the addon's main GEMM and of its built-in GEMM, per dtype, and of the bf16 GEMM. */
export interface TierGemm { shape: GemmShape; f32: { main: number; builtin: number }; f64: { main: number; builtin: number }; bf16: number | null }
let tierSummary: Record<string, unknown> | null = null;

export interface GemmResult { shape: GemmShape; dtype: BenchDType; backend: 'native' | 'js'; seconds: number; gflops: number }

/** GFLOP/s of each shape with these kernels (median CPU time). */
export function measureGemms(k: Kernels, shapes: GemmShape[], dtype: BenchDType, opts: { samples: number; minSample: number; seed?: number }): GemmResult[] {
  const next = makeNext(opts.seed ?? 1);
  return shapes.map((s) => {
    const A = randArray(dtype, s.M * s.K, next); // (M, K) or (K, M) when transA
    const B = randArray(dtype, s.K * s.N, next); // (K, N) or (N, K) when transB
    const C = randArray(dtype, s.M * s.N, next); // (M, N)
    const seconds = timeCall(() => k.gemm(s.transA, s.transB, s.M, s.N, s.K, 1, A, B, 0, C), opts.samples, opts.minSample);
    return { shape: s, dtype, backend: k.backend, seconds, gflops: flopsOf(s) / seconds / 1e9 };
  });
}

/** Native and TypeScript agree on every shape (else the figures would be meaningless). */
function checkAgreement(native: Kernels, shapes: GemmShape[], dtype: BenchDType): number {
  const next = makeNext(99);
  let worst = 0;
  for (const s of shapes) {
    const A = randArray(dtype, s.M * s.K, next);
    const B = randArray(dtype, s.K * s.N, next);
    const Cn = randArray(dtype, s.M * s.N, next);
    const Cj = Cn.slice();
    native.gemm(s.transA, s.transB, s.M, s.N, s.K, 1, A, B, 0, Cn);
    jsKernels.gemm(s.transA, s.transB, s.M, s.N, s.K, 1, A, B, 0, Cj);
    worst = Math.max(worst, relErr(Cn, Cj));
  }
  const tol = dtype === 'float32' ? 1e-5 : 1e-12;
  if (!(worst <= tol)) throw new Error(`kernels.bench: native and TypeScript GEMMs disagree (${dtype}: relErr ${worst} > ${tol})`);
  return worst;
}

export interface ElementwiseResult { name: string; elements: number; perEpoch: number; nativeUs: number | null; jsUs: number }

/**
 * The non-GEMM kernels of one 784-256-256-10 step at batch 128, in µs per call, and how many calls an epoch of
 * 60000 images makes (468.75 steps): 2 biasAct, 2 actBackward, 1 outputLoss, 3 colSum, 1 optimizer update.
 */
function measureElementwise(native: Kernels | null, dtype: BenchDType, quick: boolean): ElementwiseResult[] {
  const next = makeNext(7);
  const B = 128;
  const H = 256;
  const nParams = (784 + 1) * 256 + (256 + 1) * 256 + (256 + 1) * 10; // 269,322
  const Z = randArray(dtype, B * H, next, -1, 1); // (B, H)
  const Zwork = Z.slice();
  const b = randArray(dtype, H, next); // (H)
  const A = randArray(dtype, B * H, next, -1, 1).map((v) => Math.max(v, 0)); // (B, H) post-ReLU
  const dA = randArray(dtype, B * H, next); // (B, H)
  const dZ = randArray(dtype, B * H, next); // (B, H)
  const db = randArray(dtype, H, next); // (H)
  const Zo = randArray(dtype, B * 10, next, -3, 3); // (B, 10)
  const Zo2 = Zo.slice();
  const bo = randArray(dtype, 10, next); // (10)
  const Y = randArray(dtype, B * 10, next, 0, 0); // (B, 10) one-hot
  for (let i = 0; i < B; i++) Y[i * 10 + (i % 10)] = 1;
  const dZo = randArray(dtype, B * 10, next); // (B, 10)
  const p = randArray(dtype, nParams, next, -0.05, 0.05); // (nParams) flat parameters
  const g = randArray(dtype, nParams, next, -1e-3, 1e-3); // (nParams) gradient
  const v = randArray(dtype, nParams, next, 0, 0); // (nParams) velocity / 2nd moment
  const m = randArray(dtype, nParams, next, 0, 0); // (nParams) 1st moment
  const cases: Array<{ name: string; elements: number; perEpoch: number; run: (k: Kernels) => void }> = [
    { name: 'biasAct relu 128x256', elements: B * H, perEpoch: 2, run: (k) => { Zwork.set(Z); k.biasAct(Zwork, b, B, H, Act.Relu, 0); } },
    { name: 'biasAct sigmoid 128x256', elements: B * H, perEpoch: 0, run: (k) => { Zwork.set(Z); k.biasAct(Zwork, b, B, H, Act.Sigmoid, 0); } },
    { name: 'actBackward relu 128x256', elements: B * H, perEpoch: 2, run: (k) => k.actBackward(dZ, dA, A, B * H, Act.Relu, 0) },
    { name: 'outputLoss softmax-CE 128x10', elements: B * 10, perEpoch: 1, run: (k) => { Zo2.set(Zo); k.outputLoss(dZo, Zo2, bo, Y, B, 10, OutLoss.SoftmaxCe, 1 / B); } },
    { name: 'colSum 128x256', elements: B * H, perEpoch: 3, run: (k) => k.colSum(db, dZ, B, H) },
    { name: 'sgdStep 269,322', elements: nParams, perEpoch: 0, run: (k) => k.sgdStep(p, g, nParams, 1e-9, 0) },
    { name: 'momentumStep 269,322', elements: nParams, perEpoch: 1, run: (k) => k.momentumStep(p, g, v, nParams, 1e-9, 0.9, false) },
    { name: 'adamStep 269,322', elements: nParams, perEpoch: 0, run: (k) => k.adamStep(p, g, m, v, nParams, 1e-9, 0.9, 0.999, 1e-8, 0.1, 0.01, 0) },
    { name: 'sumSq 269,322', elements: nParams, perEpoch: 0, run: (k) => { k.sumSq(p, nParams); } },
  ];
  const samples = quick ? 3 : 9;
  return cases.map((c) => ({
    name: c.name,
    elements: c.elements,
    perEpoch: c.perEpoch,
    nativeUs: native ? timeCall(() => c.run(native), samples, 0.02) * 1e6 : null,
    jsUs: timeCall(() => c.run(jsKernels), samples, 0.02) * 1e6,
  }));
}

/** Per-call overhead of the addon: the cheapest calls (n = 1), against the same TypeScript calls. */
function measureOverhead(native: Kernels | null, dtype: BenchDType): Array<{ name: string; nativeNs: number | null; jsNs: number }> {
  const one = dtype === 'float32' ? () => new Float32Array(1).fill(0.5) : () => new Float64Array(1).fill(0.5);
  const [x, y, A, B, C] = [one(), one(), one(), one(), one()];
  const cases: Array<{ name: string; run: (k: Kernels) => void }> = [
    { name: 'axpy n=1', run: (k) => k.axpy(y, x, 1, 0) },
    { name: 'sumSq n=1', run: (k) => { k.sumSq(x, 1); } },
    { name: 'gemm 1x1x1', run: (k) => k.gemm(false, false, 1, 1, 1, 1, A, B, 0, C) },
  ];
  return cases.map((c) => ({
    name: c.name,
    nativeNs: native ? timeCall(() => c.run(native), 7, 0.02) * 1e9 : null,
    jsNs: timeCall(() => c.run(jsKernels), 7, 0.02) * 1e9,
  }));
}

const pad = (s: string | number, w: number) => String(s).padStart(w);
const padR = (s: string, w: number) => s.padEnd(w);
const fmt = (x: number | null, d = 1) => (x === null ? '-' : x.toFixed(d));

/** Re-runs this script pinned to one core with taskset; returns true when it did (the caller then exits). */
function pinToOneCore(): { pinned: string; reexeced: boolean; status: number } {
  if (process.env.SWEEPLAB_BENCH_PINNED) return { pinned: process.env.SWEEPLAB_BENCH_PINNED, reexeced: false, status: 0 };
  const cpu = String(Math.max(0, availableParallelism() - 1));
  const probe = spawnSync('taskset', ['-c', cpu, 'true']);
  if (probe.error || probe.status !== 0) return { pinned: '', reexeced: false, status: 0 };
  const r = spawnSync('taskset', ['-c', cpu, process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SWEEPLAB_BENCH_PINNED: `CPU ${cpu} (taskset)` },
  });
  return { pinned: cpu, reexeced: true, status: r.status ?? 1 };
}

function main(): void {
  const pin = pinToOneCore();
  if (pin.reexeced) process.exit(pin.status);
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const jsonAt = args.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? args[jsonAt + 1] : undefined;

  const load = loadNativeKernels();
  const native = load.kernels;
  console.log('nn-core kernel benchmark');
  console.log(`  pinned: ${pin.pinned || 'no (taskset not available): figures may include migrations between cores'}`);
  console.log(`  native: ${native ? 'loaded' : `UNAVAILABLE (${load.reason})`}; OpenBLAS core ${load.openblasCore ?? '-'}` +
    ` (OPENBLAS_CORETYPE=${load.coretype ?? 'unset'}, ${load.coretypeSource ?? '?'}), threads ${load.openblasThreads ?? '-'}`);
  if (load.openblasConfig) console.log(`  ${load.openblasConfig}`);
  if (load.notice) console.log(`  NOTICE: ${load.notice}`);

  const shapes = mlpStepGemms([784, 256, 256, 10], 128);
  const samples = { native: quick ? 5 : 15, js: quick ? 3 : 5 };
  const results: Record<string, GemmResult[]> = {};
  const dtypes: BenchDType[] = ['float32', 'float64'];
  for (const dt of dtypes) {
    if (native) checkAgreement(native, shapes, dt);
    if (native) results[`native ${dt}`] = measureGemms(native, shapes, dt, { samples: samples.native, minSample: 0.02 });
    results[`js ${dt}`] = measureGemms(jsKernels, shapes, dt, { samples: samples.js, minSample: 0.05 });
  }

  const stepFlops = shapes.reduce((s, x) => s + flopsOf(x), 0);
  const stepsPerEpoch = 60000 / 128;
  console.log(`\nGEMM shapes of one 784-256-256-10 step at batch 128: GFLOP/s (median CPU time; % = of the column's best shape)`);
  const head = `${padR('shape', 7)} ${padR('computes', 17)} ${pad('M', 4)} ${pad('N', 4)} ${pad('K', 4)} ${padR('op', 3)}`;
  const cols = dtypes.flatMap((dt) => [`native ${dt}`, `js ${dt}`]);
  const colHead = dtypes.map((dt) => `| ${pad(`native ${dt.slice(5)}`, 9)} ${pad('%', 4)}  ${pad(`TS ${dt.slice(5)}`, 6)} ${pad('%', 4)}  ${pad('ratio', 6)} `).join('');
  console.log(`${head} ${colHead}`);
  const best = Object.fromEntries(cols.map((c) => [c, Math.max(...(results[c]?.map((r) => r.gflops) ?? [0]))]));
  shapes.forEach((s, i) => {
    let line = `${padR(s.name, 7)} ${padR(s.what, 17)} ${pad(s.M, 4)} ${pad(s.N, 4)} ${pad(s.K, 4)} ${padR(`${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`, 3)}`;
    for (const dt of dtypes) {
      const n = results[`native ${dt}`]?.[i]?.gflops ?? null;
      const j = results[`js ${dt}`]![i]!.gflops;
      const pct = (x: number | null, c: string) => (x === null ? '-' : `${Math.round((100 * x) / best[c]!)}%`);
      line += ` | ${pad(fmt(n), 9)} ${pad(pct(n, `native ${dt}`), 4)}  ${pad(fmt(j, 2), 6)} ${pad(pct(j, `js ${dt}`), 4)}  ${pad(n === null ? '-' : `${fmt(n / j, 0)}x`, 6)} `;
    }
    console.log(line);
  });
  let totals = padR('whole step (8 GEMMs)', 44);
  const epoch: Record<string, number> = {};
  for (const dt of dtypes) {
    const sec = (c: string) => results[c]?.reduce((s, r) => s + r.seconds, 0) ?? null;
    const n = sec(`native ${dt}`);
    const j = sec(`js ${dt}`)!;
    if (n !== null) epoch[`native ${dt}`] = n * stepsPerEpoch;
    epoch[`js ${dt}`] = j * stepsPerEpoch;
    totals += ` | ${pad(fmt(n === null ? null : stepFlops / n / 1e9), 9)} ${pad('', 4)}  ${pad(fmt(stepFlops / j / 1e9, 2), 6)} ${pad('', 4)}  ${pad(n === null ? '-' : `${fmt(j / n, 0)}x`, 6)} `;
  }
  console.log(totals);
  console.log(`GEMM seconds per epoch (60000 images = ${stepsPerEpoch} steps, ${(stepFlops * stepsPerEpoch / 1e9).toFixed(1)} GFLOP): ` +
    Object.entries(epoch).map(([k, v]) => `${k.replace('js', 'TS')} ${v.toFixed(2)} s`).join(', '));

  // issue 14: the built-in GEMM (the addon's gemmBuiltin) against the addon's main GEMM (OpenBLAS when linked),
  // shape by shape, measured alternately in this one process; and the bfloat16 GEMM (AMX / AVX512_BF16)
  const tiers: TierGemm[] = [];
  if (native && load.gemmBuiltin) {
    const builtin: Kernels = { ...native, gemm: load.gemmBuiltin };
    const both = [...shapes, { name: 'eval 1', what: 'Z1 (metrics pass)', transA: false, transB: false, M: 1024, N: 256, K: 784 }];
    console.log(`\nBuilt-in GEMM vs ${load.build?.gemm === 'openblas' ? `OpenBLAS (${load.openblasCore})` : 'the main GEMM (also built-in: no OpenBLAS here)'}, ` +
      `same shapes, alternating samples (GFLOP/s; target: built-in >= 60 % of OpenBLAS on the (a) shapes)`);
    console.log(`  ${padR('shape', 7)} ${pad('M', 5)} ${pad('N', 4)} ${pad('K', 4)} ${padR('op', 3)} | ${pad('f32 main', 9)} ${pad('built-in', 9)} ${pad('ratio', 6)} | ${pad('f64 main', 9)} ${pad('built-in', 9)} ${pad('ratio', 6)}` +
      (load.bf16Kernels ? ` | ${pad(`bf16 ${load.bf16?.kernel}`, 11)}` : ''));
    const sums: Record<string, number> = {};
    for (const s of both) {
      const row: TierGemm = { shape: s, f32: { main: 0, builtin: 0 }, f64: { main: 0, builtin: 0 }, bf16: null };
      for (const dt of dtypes) {
        const a1 = measureGemms(native, [s], dt, { samples: samples.native, minSample: 0.02 })[0]!;
        const b1 = measureGemms(builtin, [s], dt, { samples: samples.native, minSample: 0.02 })[0]!;
        const a2 = measureGemms(native, [s], dt, { samples: samples.native, minSample: 0.02 })[0]!;
        const main = Math.min(a1.seconds, a2.seconds);
        row[dt === 'float32' ? 'f32' : 'f64'] = { main: flopsOf(s) / main / 1e9, builtin: b1.gflops };
        if (s.name !== 'eval 1') {
          sums[`${dt} main`] = (sums[`${dt} main`] ?? 0) + main;
          sums[`${dt} builtin`] = (sums[`${dt} builtin`] ?? 0) + b1.seconds;
        }
      }
      if (load.bf16Kernels) {
        const r = measureGemms(load.bf16Kernels, [s], 'float32', { samples: samples.native, minSample: 0.02 })[0]!;
        row.bf16 = r.gflops;
        if (s.name !== 'eval 1') sums.bf16 = (sums.bf16 ?? 0) + r.seconds;
      }
      tiers.push(row);
      console.log(`  ${padR(s.name, 7)} ${pad(s.M, 5)} ${pad(s.N, 4)} ${pad(s.K, 4)} ${padR(`${s.transA ? 'T' : 'N'}${s.transB ? 'T' : 'N'}`, 3)} | ` +
        `${pad(fmt(row.f32.main), 9)} ${pad(fmt(row.f32.builtin), 9)} ${pad(`${Math.round((100 * row.f32.builtin) / row.f32.main)}%`, 6)} | ` +
        `${pad(fmt(row.f64.main), 9)} ${pad(fmt(row.f64.builtin), 9)} ${pad(`${Math.round((100 * row.f64.builtin) / row.f64.main)}%`, 6)}` +
        (row.bf16 !== null ? ` | ${pad(fmt(row.bf16), 11)}` : ''));
    }
    const g = (k: string) => stepFlops / sums[k]! / 1e9;
    console.log(`  whole (a) step (8 GEMMs): f32 main ${fmt(g('float32 main'))}, built-in ${fmt(g('float32 builtin'))} GFLOP/s = ` +
      `${Math.round((100 * g('float32 builtin')) / g('float32 main'))}% (target >= 60%: ${g('float32 builtin') >= 0.6 * g('float32 main') ? 'met' : 'MISSED'}); ` +
      `f64 ${fmt(g('float64 main'))} vs ${fmt(g('float64 builtin'))} = ${Math.round((100 * g('float64 builtin')) / g('float64 main'))}%` +
      (sums.bf16 ? `; bf16 ${fmt(g('bf16'))} GFLOP/s (inputs converted to bf16 in the call)` : ''));
    tierSummary = {
      mainGemm: load.build?.gemm ?? null, isa: load.build?.isa ?? null, f32Main: g('float32 main'), f32Builtin: g('float32 builtin'),
      f32Ratio: g('float32 builtin') / g('float32 main'), f64Main: g('float64 main'), f64Builtin: g('float64 builtin'),
      f64Ratio: g('float64 builtin') / g('float64 main'), bf16: sums.bf16 ? g('bf16') : null, bf16Kernel: load.bf16?.kernel ?? null,
    };
  }

  const over = measureOverhead(native, 'float32');
  console.log('\nPer-call cost of the smallest calls (ns, float32):');
  for (const o of over) console.log(`  ${padR(o.name, 12)} native ${pad(fmt(o.nativeNs, 0), 6)}   TS ${pad(fmt(o.jsNs, 0), 6)}`);

  const elem: Record<string, ElementwiseResult[]> = {};
  for (const dt of dtypes) {
    elem[dt] = measureElementwise(native, dt, quick);
    console.log(`\nElementwise kernels of the same step, ${dt} (µs per call; per-epoch = calls per step x 468.75 steps):`);
    console.log(`  ${padR('kernel', 30)} ${pad('native µs', 10)} ${pad('TS µs', 10)} ${pad('ratio', 7)} ${pad('native ns/el', 13)} ${pad('TS ns/el', 9)}`);
    let nSum = 0;
    let jSum = 0;
    for (const e of elem[dt]!) {
      console.log(`  ${padR(e.name, 30)} ${pad(fmt(e.nativeUs, 2), 10)} ${pad(fmt(e.jsUs, 2), 10)} ${pad(e.nativeUs === null ? '-' : `${fmt(e.jsUs / e.nativeUs, 1)}x`, 7)} ` +
        `${pad(e.nativeUs === null ? '-' : fmt((e.nativeUs * 1e3) / e.elements, 2), 13)} ${pad(fmt((e.jsUs * 1e3) / e.elements, 2), 9)}`);
      nSum += (e.nativeUs ?? 0) * e.perEpoch;
      jSum += e.jsUs * e.perEpoch;
    }
    console.log(`  elementwise seconds per epoch (SGD-momentum step): native ${native ? (nSum * stepsPerEpoch / 1e6).toFixed(3) : '-'} s, TS ${(jSum * stepsPerEpoch / 1e6).toFixed(3)} s`);
  }

  if (jsonPath) {
    const plain = Object.fromEntries(Object.entries(results).map(([k, rs]) => [k, rs.map((r) => ({ shape: r.shape, gflops: r.gflops, seconds: r.seconds }))]));
    writeFileSync(jsonPath, `${JSON.stringify({
      openblasCore: load.openblasCore, openblasConfig: load.openblasConfig ?? null, pinned: pin.pinned || null,
      gemm: plain, gemmEpochSeconds: epoch, overheadNs: over, elementwise: elem, tiers, tierSummary,
    }, null, 2)}\n`);
    console.log(`\nwrote ${jsonPath}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
