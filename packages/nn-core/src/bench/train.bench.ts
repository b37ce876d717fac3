/**
 * Training benchmark (not a test): seconds per epoch of whole trainings through train(), on the native and the
 * TypeScript kernels, for the four setups of issue 6, next to the issue's targets and (when given) PyTorch and
 * numpy peers measured on the same machine by scripts/peers/*.py.
 *
 *   (a) 784-256-256-10 ReLU/softmax/CE, he init, SGD momentum 0.9, lr 0.1, batch 128, float32, 5 epochs
 *   (a16) (a) in bfloat16 (issue 14): float32 master weights, bf16 GEMM inputs on AMX / AVX512_BF16 (skipped
 *       where bf16Support() says no); target <= 0.6x (a)'s seconds and >= 97.5 % test accuracy
 *   (b) the same with Adam, lr 1e-3
 *   (c) 784-30-10 sigmoid/sigmoid/MSE, init normal(0, 1), SGD lr 3, batch 10 (Nielsen's book), float32, 5 epochs
 *   (d) the question's 784-5-5-10 sigmoid/sigmoid/CE, U(0, 0.01), gd lr 2, L2 λ = 1, full batch on images
 *       5000..34999 scaled 2x-1: one epoch = one full-batch iteration; float32 and float64, 20 iterations
 * (a)-(c): the 60000 training images scaled to [0, 1]; every setup reports test accuracy on the 10000 test
 * images after its last epoch.
 *
 * Figures: `seconds` = median of EpochMetrics.seconds (wall seconds of the training passes only) over the
 * epochs after the first; `eval` = median of EpochMetrics.evalSeconds over the same epochs (the per-epoch
 * metrics passes: whole training set + test set; not part of `seconds`). TypeScript kernels: after a short
 * warm-up run (1 epoch on 2000 images, to compile the hot loops), ONE timed epoch on the full set for
 * (a)-(c) (they take 40-70 s each) and 5 iterations for (d), median after the first; their test accuracy is
 * after that one epoch.
 *
 * Issue 14: every setup also runs on the built-in GEMM tier (build-builtin/Release/nn_core.node, when the main
 * addon is OpenBLAS), the ratios of the issue are printed (a / PyTorch, a16 / a), the share of the metrics pass,
 * and a per-kernel profile of an epoch of (a) on each tier (bench/profile.ts): where the time beyond the GEMM
 * floor goes.
 *
 * Alternating rounds (--torch <python3>): the ratios of issue 14 again, from rounds that each run PyTorch's (a)
 * (scripts/peers/torch_mlp.py --only a, by default and with --flush-denormal), then sweeplab's (a) in float32 and
 * in bfloat16, one after the other on the same core; the median of the per-round ratios. On a shared machine the
 * load changes over minutes, and a ratio of two figures taken minutes apart (the peers' step, then this one)
 * moves with it.
 *
 * Paired epochs (--torch): finer still. sweeplab's (a) trains 10 epochs in one train() call, and after each of
 * its epochs two PyTorch processes (by default and with --flush-denormal; started once, each waiting on a FIFO:
 * torch_mlp.py --serve; each trains a warm-up epoch first) train one epoch of (a) each, on the same core. Each
 * pair of epochs is a few seconds apart, so the host's load weighs on both alike; the ratio is the median over
 * the pairs after the first.
 *
 * Run: node packages/nn-core/dist/bench/train.bench.js [--json out.json] [--peers a.json,b.json] [--quick]
 *        [--only a,a16,b,c,d32,d64] [--no-js] [--torch /usr/bin/python3] [--rounds 3]
 * It re-executes itself under `taskset -c 0` (one core) with OPENBLAS_NUM_THREADS=1 when taskset exists.
 * --quick: 2 native epochs, (d) 5 iterations, no TypeScript runs for (a)/(b) (for a fast look, not for figures).
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadData, type LoadedData } from '@sweeplab/data';
import { kernelInfo } from '../kernels/index.js';
import { builtinAddonPath, loadNativeAddon, loadNativeKernels } from '../kernels/native.js';
import type { Kernels } from '../kernels/types.js';
import { bf16Support } from '../kernels/index.js';
import { formatProfile, profileTraining, type Profile } from './profile.js';
import { createMlp, storageDtype } from '../model.js';
import { train } from '../train.js';
import type { DType, EpochMetrics, InitSpec, LabeledSet, ModelSpec, TrainOptions } from '../types.js';
import { measureGemms, mlpStepGemms } from './kernels.bench.js';

export type SetupId = 'a' | 'a16' | 'b' | 'c' | 'd32' | 'd64';

interface Setup {
  id: SetupId;
  title: string;
  spec: ModelSpec;
  init: InitSpec;
  dtype: DType;
  opts: Omit<TrainOptions, 'epochs' | 'seed'>;
  data: 'full' | 'question';
  /** native epochs (full benchmark) */
  epochs: number;
  /** TypeScript epochs after the warm-up */
  jsEpochs: number;
  /** the issue's target, seconds per epoch */
  target: number;
  /** the issue's target test accuracy after the native epochs, if any */
  targetAcc?: number;
  /** the issue's peer figures (measured on its machine: Sapphire Rapids, one thread, OpenBLAS SkylakeX) */
  issuePeers: { pytorch?: number; numpy?: number };
}

const MLP_A: ModelSpec = { layers: [784, 256, 256, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy' };
const QUESTION: ModelSpec = { layers: [784, 5, 5, 10], activation: 'sigmoid', output: 'sigmoid', loss: 'cross-entropy' };
const QUESTION_OPTS = { optimizer: 'gd', batch: 'full', lr: 2, l2: 1 } as const;

export const SETUPS: Setup[] = [
  {
    id: 'a', title: '(a) 784-256-256-10 momentum B128 f32', spec: MLP_A, init: 'he', dtype: 'float32',
    opts: { optimizer: 'momentum', momentum: 0.9, lr: 0.1, batch: 128, l2: 0 }, data: 'full', epochs: 5, jsEpochs: 1,
    target: 0.65, targetAcc: 0.975, issuePeers: { pytorch: 1.09, numpy: 0.91 },
  },
  {
    id: 'a16', title: '(a) in bfloat16 (AMX / AVX512_BF16)', spec: MLP_A, init: 'he', dtype: 'bfloat16',
    opts: { optimizer: 'momentum', momentum: 0.9, lr: 0.1, batch: 128, l2: 0 }, data: 'full', epochs: 5, jsEpochs: 0,
    target: 0.6 * 0.65, targetAcc: 0.975, issuePeers: {},
  },
  {
    id: 'b', title: '(b) the same with Adam, lr 1e-3', spec: MLP_A, init: 'he', dtype: 'float32',
    opts: { optimizer: 'adam', lr: 1e-3, batch: 128, l2: 0 }, data: 'full', epochs: 5, jsEpochs: 1,
    target: 0.9, issuePeers: { pytorch: 1.46 },
  },
  {
    id: 'c', title: '(c) 784-30-10 sigmoid/MSE SGD B10 f32',
    spec: { layers: [784, 30, 10], activation: 'sigmoid', output: 'sigmoid', loss: 'mse' }, init: { normal: [0, 1] }, dtype: 'float32',
    opts: { optimizer: 'sgd', lr: 3, batch: 10, l2: 0 }, data: 'full', epochs: 5, jsEpochs: 1,
    target: 0.25, issuePeers: { pytorch: 1.36, numpy: 0.39 },
  },
  {
    id: 'd32', title: '(d) 784-5-5-10 full batch 30000, f32', spec: QUESTION, init: { uniform: [0, 0.01] }, dtype: 'float32',
    opts: QUESTION_OPTS, data: 'question', epochs: 20, jsEpochs: 5, target: 0.03, issuePeers: { pytorch: 0.035 },
  },
  {
    id: 'd64', title: '(d) the same, f64', spec: QUESTION, init: { uniform: [0, 0.01] }, dtype: 'float64',
    opts: QUESTION_OPTS, data: 'question', epochs: 20, jsEpochs: 5, target: 0.06, issuePeers: { pytorch: 0.072 },
  },
];

export interface RunFigures {
  /** the kernel tier, e.g. 'native (OpenBLAS SkylakeX)' */
  backend: string;
  epochs: number;
  /** median EpochMetrics.seconds over the epochs after the first (the only epoch when there is one) */
  seconds: number;
  /** median EpochMetrics.evalSeconds over the same epochs */
  evalSeconds: number;
  /** all epochs' training seconds, epoch 1 first */
  perEpoch: number[];
  testAcc: number | null;
  finalCost: number;
  status: string;
  note: string;
}

export interface PeerFigures {
  peer: string;
  version?: string;
  setups: Partial<Record<SetupId, { seconds: number; testAcc?: number | null; epochs?: number; note?: string }>>;
  skipped?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** The first n rows of a set, as views (no copy). */
function head(set: LabeledSet, n: number, nIn: number): LabeledSet {
  const k = Math.min(n, set.n);
  return { x: set.x.subarray(0, k * nIn), labels: set.labels.subarray(0, k), n: k };
}

function runOnce(s: Setup, data: LoadedData, backend: 'native' | 'js' | Kernels, epochs: number, warmup: boolean): RunFigures {
  const nIn = s.spec.layers[0]!;
  if (warmup) {
    const w = createMlp(s.spec, { dtype: s.dtype, init: s.init, seed: 2, kernels: backend });
    train(w, { train: head(data.train, 2000, nIn), test: null, numClasses: 10 }, { ...s.opts, epochs: 1, seed: 2 });
  }
  const model = createMlp(s.spec, { dtype: s.dtype, init: s.init, seed: 1, kernels: backend });
  const rows: EpochMetrics[] = [];
  const res = train(model, { train: data.train, test: data.test, numClasses: 10 }, { ...s.opts, epochs, seed: 1 }, (m) => { rows.push(m); });
  const timed = rows.slice(1); // epoch 0 is the untrained net (no training pass)
  const after = timed.length > 1 ? timed.slice(1) : timed;
  return {
    backend: model.kernels.label, epochs: res.epochsDone,
    seconds: median(after.map((m) => m.seconds)),
    evalSeconds: median(after.map((m) => m.evalSeconds)),
    perEpoch: timed.map((m) => m.seconds),
    testAcc: res.last.testAcc, finalCost: res.last.cost, status: res.status,
    note: timed.length > 1 ? `median of epochs 2..${timed.length}` : warmup ? '1 epoch after a warm-up epoch on 2000 images' : '1 epoch',
  };
}

/** Re-runs this script pinned to CPU 0 with one OpenBLAS thread; returns whether it did (the caller exits). */
function pinToOneCore(): { pinned: string; reexeced: boolean; status: number } {
  if (process.env.SWEEPLAB_BENCH_PINNED) return { pinned: process.env.SWEEPLAB_BENCH_PINNED, reexeced: false, status: 0 };
  const probe = spawnSync('taskset', ['-c', '0', 'true']);
  if (probe.error || probe.status !== 0) return { pinned: '', reexeced: false, status: 0 };
  const r = spawnSync('taskset', ['-c', '0', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, OPENBLAS_NUM_THREADS: '1', SWEEPLAB_BENCH_PINNED: 'CPU 0 (taskset)' },
  });
  return { pinned: '0', reexeced: true, status: r.status ?? 1 };
}

const fmtS = (x: number | null | undefined, d = 3) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
const fmtPct = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(2)}%`);
const fmtX = (x: number | null | undefined) => (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${x.toFixed(2)}x`);
/** An issue-14 ratio against its target (<= 0.60x); `none`: what to say when it was not measured. */
const verdict = (x: number | null, none = 'not measured') => (x === null ? none : x <= 0.6 ? 'met' : 'MISSED');
const pad = (s: string, w: number) => s.padStart(w);
const padR = (s: string, w: number) => s.padEnd(w);

function argValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

function readPeers(list: string | undefined): PeerFigures[] {
  if (!list) return [];
  const out: PeerFigures[] = [];
  for (const f of list.split(',').filter(Boolean)) {
    try {
      out.push(JSON.parse(readFileSync(f, 'utf8')) as PeerFigures);
    } catch (e) {
      console.log(`  (peer file ${f} unreadable: ${(e as Error).message})`);
    }
  }
  return out;
}

export interface Round {
  /** PyTorch's (a) as it runs by default, and with torch.set_flush_denormal(True) (like sweeplab's optimizer state) */
  pytorch: number | null; pytorchFlush: number | null;
  a: number; a16: number | null;
  aOverPytorch: number | null; aOverPytorchFlush: number | null; bf16OverF32: number | null;
}

/** The PyTorch peer (this file is dist/bench/train.bench.js of packages/nn-core). */
const TORCH_PEER = fileURLToPath(new URL('../../../../scripts/peers/torch_mlp.py', import.meta.url));

/** PyTorch's seconds per epoch of (a), from one run of scripts/peers/torch_mlp.py --only a (null when it failed). */
function torchA(python: string, quick: boolean, flushDenormal: boolean): number | null {
  const dir = mkdtempSync(join(tmpdir(), 'sweeplab-bench-'));
  try {
    const out = join(dir, 'a.json');
    const extra = [...(quick ? ['--quick'] : []), ...(flushDenormal ? ['--flush-denormal'] : [])];
    const r = spawnSync(python, [TORCH_PEER, '--only', 'a', '--json', out, ...extra], { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
    if (r.status !== 0) {
      console.log(`  (PyTorch round failed: ${(r.stderr || String(r.error)).trim().split('\n').pop()})`);
      return null;
    }
    return readPeers(out)[0]?.setups.a?.seconds ?? null;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface Paired {
  /** seconds of each epoch: sweeplab (a) float32, then PyTorch (a) by default and with flush-denormal right after it */
  sweeplab: number[]; pytorch: number[]; pytorchFlush: number[];
  /** medians over the pairs after the first of sweeplab / PyTorch (by default, with flush-denormal) */
  aOverPytorch: number | null; aOverPytorchFlush: number | null;
}

/** Sleeps the thread (the PyTorch server runs on this core meanwhile). */
function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * A PyTorch (a) that trains one epoch per call: torch_mlp.py --serve behind two FIFOs. The request FIFO is opened
 * read-write and the reply FIFO read-only non-blocking, so neither open waits for Python; a reply is polled for
 * (every 5 ms, up to `timeoutS`), so a Python that died gives null instead of a hang.
 */
function torchServer(python: string, dir: string, name: string, flushDenormal: boolean, timeoutS = 300): { epoch(): number | null; close(): void } {
  const req = join(dir, `${name}.req`);
  const rep = join(dir, `${name}.rep`);
  for (const f of [req, rep]) {
    const r = spawnSync('mkfifo', [f]);
    if (r.status !== 0) throw new Error(`mkfifo ${f} failed: ${(r.stderr?.toString() || String(r.error)).trim()}`);
  }
  const reqFd = openSync(req, constants.O_RDWR);
  const repFd = openSync(rep, constants.O_RDONLY | constants.O_NONBLOCK);
  const child = spawn(python, [TORCH_PEER, '--serve', req, rep, '--only', 'a', ...(flushDenormal ? ['--flush-denormal'] : [])], { stdio: 'ignore' });
  const buf = Buffer.alloc(256);
  let pending = '';
  return {
    epoch(): number | null {
      writeSync(reqFd, 'epoch\n');
      const t0 = Date.now();
      while (Date.now() - t0 < timeoutS * 1000) {
        let n = 0;
        try {
          n = readSync(repFd, buf, 0, buf.length, null);
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
        }
        if (n > 0) pending += buf.toString('utf8', 0, n);
        const nl = pending.indexOf('\n');
        if (nl >= 0) {
          const line = pending.slice(0, nl);
          pending = pending.slice(nl + 1);
          const v = Number(line);
          return Number.isFinite(v) ? v : null;
        }
        sleepMs(5);
      }
      return null;
    },
    close(): void {
      closeSync(reqFd); // the server reads EOF and exits
      closeSync(repFd);
      child.kill();
    },
  };
}

/** Paired epochs of (a): see the file comment. null when a PyTorch server gave no answer. */
function pairedEpochs(python: string, data: LoadedData, epochs: number): Paired | null {
  const a = SETUPS.find((s) => s.id === 'a')!;
  const dir = mkdtempSync(join(tmpdir(), 'sweeplab-paired-'));
  const servers = [torchServer(python, dir, 'default', false), torchServer(python, dir, 'flush', true)];
  const out: Paired = { sweeplab: [], pytorch: [], pytorchFlush: [], aOverPytorch: null, aOverPytorchFlush: null };
  let failed = false;
  try {
    // one epoch each first: waits until both have started (torch and the data loaded, on this core) and warms them up
    if (servers.some((sv) => sv.epoch() === null)) return null;
    const model = createMlp(a.spec, { dtype: a.dtype, init: a.init, seed: 1, kernels: 'native' });
    train(model, { train: data.train, test: data.test, numClasses: 10 }, { ...a.opts, epochs, seed: 1, metricsEvery: epochs }, (m) => {
      if (m.epoch === 0) return undefined;
      const p = servers[0]!.epoch();
      const pf = servers[1]!.epoch();
      if (p === null || pf === null) {
        failed = true;
        return 'stop';
      }
      out.sweeplab.push(m.seconds);
      out.pytorch.push(p);
      out.pytorchFlush.push(pf);
      process.stdout.write(` ${m.epoch}`);
      return undefined;
    });
  } finally {
    for (const sv of servers) sv.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (failed || out.sweeplab.length < 2) return null;
  const pairRatio = (peer: number[]) => median(out.sweeplab.slice(1).map((x, i) => x / peer[i + 1]!));
  out.aOverPytorch = pairRatio(out.pytorch);
  out.aOverPytorchFlush = pairRatio(out.pytorchFlush);
  return out;
}

/**
 * Alternating rounds: PyTorch (a) by default, PyTorch (a) with flush-denormal, sweeplab (a) float32, sweeplab (a)
 * bfloat16 (when the CPU has it), `n` times.
 */
function alternatingRounds(n: number, python: string, data: LoadedData, epochs: number, quick: boolean, withBf16: boolean): Round[] {
  const a = SETUPS.find((s) => s.id === 'a')!;
  const a16 = SETUPS.find((s) => s.id === 'a16')!;
  const rounds: Round[] = [];
  for (let i = 0; i < n; i++) {
    process.stdout.write(`  round ${i + 1}/${n}: PyTorch (a)...`);
    const pytorch = torchA(python, quick, false);
    process.stdout.write(' with flush-denormal...');
    const pytorchFlush = torchA(python, quick, true);
    process.stdout.write(' sweeplab (a)...');
    const f32 = runOnce(a, data, 'native', epochs, false).seconds;
    let bf: number | null = null;
    if (withBf16) {
      process.stdout.write(' (a) bfloat16...');
      bf = runOnce(a16, data, 'native', epochs, false).seconds;
    }
    const r: Round = {
      pytorch, pytorchFlush, a: f32, a16: bf, aOverPytorch: pytorch ? f32 / pytorch : null,
      aOverPytorchFlush: pytorchFlush ? f32 / pytorchFlush : null, bf16OverF32: bf !== null ? bf / f32 : null,
    };
    rounds.push(r);
    console.log(` PyTorch ${fmtS(pytorch)} s, with flush-denormal ${fmtS(pytorchFlush)} s; (a) ${fmtS(f32)} s ` +
      `(${fmtX(r.aOverPytorch)}, ${fmtX(r.aOverPytorchFlush)})${bf !== null ? `; bfloat16 ${fmtS(bf)} s (${fmtX(r.bf16OverF32)})` : ''}`);
  }
  return rounds;
}

function main(): void {
  const pin = pinToOneCore();
  if (pin.reexeced) process.exit(pin.status);
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const noJs = args.includes('--no-js');
  const only = argValue(args, '--only')?.split(',') ?? null;
  const jsonPath = argValue(args, '--json');
  const peers = readPeers(argValue(args, '--peers'));
  const torchPython = argValue(args, '--torch');
  const nRounds = Math.max(1, Number(argValue(args, '--rounds') ?? (quick ? 1 : 3)));

  const load = loadNativeKernels();
  const info = kernelInfo('auto');
  // issue 14: the built-in GEMM tier side by side, from build-builtin/ (OpenBLAS hidden), when the main addon is OpenBLAS
  const bload = load.build?.gemm === 'openblas' ? loadNativeAddon(builtinAddonPath()) : null;
  const builtin: Kernels | null = bload?.kernels ?? null;
  const bf16 = bf16Support();
  const cpu = cpus()[0]?.model ?? 'unknown';
  console.log('nn-core training benchmark (issue 6 and 14 setups)');
  console.log(`  cpu: ${cpu}; pinned: ${pin.pinned ? pin.pinned : 'no (taskset not available)'}; node ${process.version}`);
  console.log(`  kernels: ${info.tier}${load.kernels ? `, OpenBLAS threads ${load.openblasThreads ?? '-'}` : ` (${load.reason})`}`);
  console.log(`  built-in tier: ${builtin ? builtin.label : load.build?.gemm === 'builtin' ? 'the main addon is the built-in tier' : `not measured (${bload?.reason ?? 'no native addon'}; build it with npm run build:builtin -w @sweeplab/nn-core)`}`);
  console.log(`  bfloat16: ${bf16.supported ? `${bf16.kernel} kernel` : `unsupported here (${bf16.reason})`}`);

  const setups = SETUPS.filter((s) => (only === null || only.includes(s.id)) && (s.dtype !== 'bfloat16' || bf16.supported));
  const full = setups.some((s) => s.data === 'full') ? loadData({ dataset: 'mnist', scale: [0, 1] }, { dtype: 'float32' }) : null;
  const question: Partial<Record<DType, LoadedData>> = {};
  const dataFor = (s: Setup): LoadedData => {
    if (s.data === 'full') return full!;
    question[s.dtype] ??= loadData({ dataset: 'mnist', train: { offset: 5000, count: 30000 }, test: 10000, scale: [-1, 1] }, { dtype: storageDtype(s.dtype) });
    return question[s.dtype]!;
  };

  // the GEMM floor of (a) on this machine: its 8 GEMMs per step at the main GEMM's measured speed, x 468.75 steps
  let gemmFloorA: number | null = null;
  if (load.kernels && setups.some((s) => s.id === 'a')) {
    const g = measureGemms(load.kernels, mlpStepGemms([784, 256, 256, 10], 128), 'float32', { samples: quick ? 3 : 7, minSample: 0.02 });
    gemmFloorA = g.reduce((t, r) => t + r.seconds, 0) * (60000 / 128);
    console.log(`  (a)'s 8 GEMMs per step at this machine's measured ${load.build?.gemm === 'openblas' ? 'OpenBLAS' : 'built-in'} speed: ${gemmFloorA.toFixed(3)} s per epoch ` +
      '(the floor for (a) here with dense inputs; MNIST\'s zero pixels let the first layer skip about half its work)');
  }

  interface Row { setup: Setup; native: RunFigures | null; builtin: RunFigures | null; js: RunFigures | null }
  const rows: Row[] = [];
  for (const s of setups) {
    const data = dataFor(s);
    const epochs = quick ? (s.data === 'question' ? 5 : 2) : s.epochs;
    process.stdout.write(`  running ${s.id}: native ${epochs} epochs...`);
    const native = load.kernels ? runOnce(s, data, 'native', epochs, false) : null;
    let bi: RunFigures | null = null;
    if (builtin && s.dtype !== 'bfloat16') {
      process.stdout.write(' built-in GEMM tier...');
      bi = runOnce(s, data, builtin, epochs, false);
    }
    let js: RunFigures | null = null;
    const jsSkip = noJs || s.jsEpochs === 0 || (quick && s.data === 'full' && s.id !== 'c');
    if (!jsSkip) {
      process.stdout.write(` TypeScript ${s.jsEpochs} epoch(s)...`);
      js = runOnce(s, data, 'js', s.jsEpochs, true);
    }
    process.stdout.write(' done\n');
    rows.push({ setup: s, native, builtin: bi, js });
  }

  const peerOf = (name: string, id: SetupId) => peers.find((p) => p.peer === name)?.setups?.[id]?.seconds ?? null;
  const peerNames = peers.filter((p) => !p.skipped).map((p) => p.peer);

  console.log('\nSeconds per epoch (training passes only; median over the epochs after the first), one core:');
  const head1 = `${padR('setup', 38)} ${pad('native', 8)} ${pad('eval', 7)} ${pad('test acc', 9)} ${pad('built-in', 9)} ${pad('bi/nat', 7)} ${pad('TS', 8)} ${pad('TS/nat', 7)} ${pad('target', 7)} ${padR(' met?', 12)}` +
    peerNames.map((p) => `${pad(p, 9)} ${pad('vs', 6)}`).join(' ');
  console.log(head1);
  for (const r of rows) {
    const n = r.native;
    const met = n === null ? '-' : n.seconds <= r.setup.target ? ' met' : ` MISSED ${((n.seconds / r.setup.target - 1) * 100).toFixed(0)}%`;
    let line = `${padR(r.setup.title, 38)} ${pad(fmtS(n?.seconds), 8)} ${pad(fmtS(n?.evalSeconds), 7)} ${pad(fmtPct(n?.testAcc), 9)} ` +
      `${pad(fmtS(r.builtin?.seconds), 9)} ${pad(fmtX(r.builtin && n ? r.builtin.seconds / n.seconds : null), 7)} ` +
      `${pad(fmtS(r.js?.seconds, 2), 8)} ${pad(fmtX(r.js && n ? r.js.seconds / n.seconds : null), 7)} ${pad(fmtS(r.setup.target, 3), 7)} ${padR(met, 12)}`;
    for (const p of peerNames) {
      const ps = peerOf(p, r.setup.id);
      line += `${pad(fmtS(ps), 9)} ${pad(fmtX(ps !== null && n ? ps / n.seconds : null), 6)} `;
    }
    console.log(line);
  }
  console.log(`  'vs' = peer seconds / sweeplab native seconds (> 1: sweeplab is faster). 'eval' = metrics pass per epoch (not in 'native'). ` +
    `'built-in' = the same training on the built-in GEMM tier (build-builtin/), 'bi/nat' its time over the main tier's.`);
  for (const r of rows) {
    if (r.setup.targetAcc !== undefined && r.native) {
      const ok = (r.native.testAcc ?? 0) >= r.setup.targetAcc;
      console.log(`  ${r.setup.id}: test accuracy after ${r.native.epochs} epochs ${fmtPct(r.native.testAcc)} (target >= ${fmtPct(r.setup.targetAcc)}: ${ok ? 'met' : 'MISSED'})`);
    }
    if (r.setup.id === 'c' && r.native) console.log(`  c: ${(1e6 * r.native.seconds / 6000).toFixed(1)} µs per step of 10 images (6000 steps per epoch)`);
    if (r.js) console.log(`  ${r.setup.id} TypeScript: ${r.js.note}; test accuracy ${fmtPct(r.js.testAcc)} after ${r.js.epochs} epoch(s)`);
  }

  // issue 14's ratios, side by side in this run
  const A = rows.find((r) => r.setup.id === 'a')?.native ?? null;
  const A16 = rows.find((r) => r.setup.id === 'a16')?.native ?? null;
  const ptA = peerOf('pytorch', 'a');
  const ratios: Record<string, number | null> = {
    aOverPytorch: A && ptA ? A.seconds / ptA : null,
    bf16OverF32: A && A16 ? A16.seconds / A.seconds : null,
    builtinOverMainA: A && rows.find((r) => r.setup.id === 'a')?.builtin ? rows.find((r) => r.setup.id === 'a')!.builtin!.seconds / A.seconds : null,
  };
  console.log('\nIssue 14 targets, measured in this run:');
  console.log(`  (a) float32 / PyTorch seconds per epoch: ${fmtX(ratios.aOverPytorch)} (target <= 0.60x: ${verdict(ratios.aOverPytorch, 'not measured (no PyTorch here)')})`);
  if (A16) {
    console.log(`  (a) bfloat16 / float32 seconds per epoch: ${fmtX(ratios.bf16OverF32)} (target <= 0.60x: ${verdict(ratios.bf16OverF32, 'MISSED')}); ` +
      `test accuracy ${fmtPct(A16.testAcc)} after ${A16.epochs} epochs (target >= 97.50%: ${(A16.testAcc ?? 0) >= 0.975 ? 'met' : 'MISSED'})`);
  } else {
    console.log(`  (a) bfloat16: not measured (${bf16.supported ? 'not selected' : bf16.reason})`);
  }
  if (ratios.builtinOverMainA !== null) console.log(`  (a) on the built-in GEMM tier / on ${info.tier}: ${fmtX(ratios.builtinOverMainA)}`);
  // the same two ratios from alternating rounds (the figures to judge the targets by on a shared machine)
  const torchSideBySide = torchPython && full && load.kernels && setups.some((s) => s.id === 'a') ? { python: torchPython, data: full } : null;
  let rounds: Round[] = [];
  if (torchSideBySide) {
    console.log(`  alternating rounds on this core (PyTorch (a) by default and with flush-denormal, then sweeplab (a)${load.bf16Kernels ? ' in float32 and bfloat16' : ''}), ${nRounds} round(s):`);
    rounds = alternatingRounds(nRounds, torchSideBySide.python, torchSideBySide.data, quick ? 2 : 5, quick, !!load.bf16Kernels);
    const med = (xs: (number | null)[]) => { const v = xs.filter((x): x is number => x !== null); return v.length ? median(v) : null; };
    ratios.aOverPytorchRounds = med(rounds.map((r) => r.aOverPytorch));
    ratios.aOverPytorchFlushRounds = med(rounds.map((r) => r.aOverPytorchFlush));
    ratios.bf16OverF32Rounds = med(rounds.map((r) => r.bf16OverF32));
    console.log(`  median of the rounds: (a) float32 / PyTorch ${fmtX(ratios.aOverPytorchRounds)} (target <= 0.60x: ${verdict(ratios.aOverPytorchRounds)})` +
      (ratios.bf16OverF32Rounds !== null ? `; (a) bfloat16 / float32 ${fmtX(ratios.bf16OverF32Rounds)} (target <= 0.60x: ${verdict(ratios.bf16OverF32Rounds)})` : ''));
    console.log(`  like for like, against PyTorch with torch.set_flush_denormal(True) (sweeplab stores optimizer state below the smallest ` +
      `normal float as 0; PyTorch by default computes with subnormals, which slows its later epochs): (a) float32 / PyTorch ${fmtX(ratios.aOverPytorchFlushRounds)}` +
      ` (${verdict(ratios.aOverPytorchFlushRounds)})`);
  }
  // the same ratios from paired epochs (a few seconds apart: the least exposed to the host's changing load)
  let paired: Paired | null = null;
  if (torchSideBySide) {
    const n = quick ? 3 : 10;
    process.stdout.write(`  paired epochs on this core (after each of ${n} epochs of sweeplab's (a), one of PyTorch's by default and one with flush-denormal):`);
    paired = pairedEpochs(torchSideBySide.python, torchSideBySide.data, n);
    console.log('');
    ratios.aOverPytorchPaired = paired?.aOverPytorch ?? null;
    ratios.aOverPytorchFlushPaired = paired?.aOverPytorchFlush ?? null;
    if (paired === null) {
      console.log('  (paired epochs failed: a PyTorch server gave no answer)');
    } else {
      const list = (xs: number[]) => xs.map((x) => x.toFixed(3)).join(' ');
      console.log(`    sweeplab (a)              ${list(paired.sweeplab)}`);
      console.log(`    PyTorch (a)               ${list(paired.pytorch)}`);
      console.log(`    PyTorch, flush-denormal   ${list(paired.pytorchFlush)}`);
      console.log(`  median over pairs 2..${paired.sweeplab.length}: (a) float32 / PyTorch ${fmtX(paired.aOverPytorch)} (target <= 0.60x: ${verdict(paired.aOverPytorch)}); ` +
        `like for like, with flush-denormal: ${fmtX(paired.aOverPytorchFlush)} (target <= 0.60x: ${verdict(paired.aOverPytorchFlush)})`);
    }
  }
  // metrics pass: its share of a measured epoch, and with metricsEvery 5
  console.log('  metrics pass share of an epoch (eval / (training + eval)); with metricsEvery 5 it runs on 1 epoch in 5:');
  const shares: Record<string, { every1: number; every5: number }> = {};
  for (const r of rows) {
    const n = r.native;
    if (!n || !(n.seconds > 0)) continue;
    const every1 = n.evalSeconds / (n.seconds + n.evalSeconds);
    const every5 = n.evalSeconds / 5 / (n.seconds + n.evalSeconds / 5);
    shares[r.setup.id] = { every1, every5 };
    console.log(`    ${padR(r.setup.id, 4)} ${fmtPct(every1).padStart(7)} of the epoch (${(100 * n.evalSeconds / n.seconds).toFixed(0)}% of its training time); every 5 epochs: ${fmtPct(every5)}`);
  }

  // where the time of (a) goes, beyond the GEMM floor
  const profiles: Record<string, Profile> = {};
  if (full && setups.some((s) => s.id === 'a') && load.kernels) {
    const a = SETUPS.find((s) => s.id === 'a')!;
    const test = full.test;
    console.log('\nWhere an epoch of (a) goes (each kernel call timed; GEMMs by shape, "TypeScript around" = the rest):');
    const variants: Array<[string, Kernels, DType]> = [[info.tier, load.kernels, 'float32']];
    if (builtin) variants.push([builtin.label, builtin, 'float32']);
    if (load.bf16Kernels) variants.push([load.bf16Kernels.label, load.bf16Kernels, 'bfloat16']);
    for (const [title, k, dtype] of variants) {
      const p = profileTraining(a.spec, a.init, dtype, k, a.opts, full.train, test);
      profiles[title] = p;
      for (const line of formatProfile(title, p, quick ? 6 : 10)) console.log(line);
    }
    if (gemmFloorA !== null && A) {
      const main = profiles[info.tier]!;
      const gemm = main.train.rows.filter((r) => r.gflops !== null || r.what.startsWith('weightGradStep')).reduce((t, r) => t + r.seconds, 0);
      console.log(`  a: GEMM floor here ${gemmFloorA.toFixed(3)} s; in training the GEMM calls took ${gemm.toFixed(3)} s ` +
        (gemm >= gemmFloorA ? `(+${(gemm - gemmFloorA).toFixed(3)} s: cache misses, packing, the fused steps)`
          : `(${(gemmFloorA - gemm).toFixed(3)} s below it: the built-in GEMM skips the k where a micro-panel of the input is all zero)`) +
        `; everything else ${(main.train.seconds - gemm).toFixed(3)} s ` +
        `(${main.train.rows.filter((r) => r.gflops === null && !r.what.startsWith('weightGradStep')).slice(0, 4).map((r) => `${r.what} ${r.seconds.toFixed(3)}`).join(', ')})`);
    }
  }
  console.log('\nThe issue\'s reference figures (measured on ITS machine: Sapphire Rapids, one thread, OpenBLAS SkylakeX):');
  for (const s of setups) {
    const ip = s.issuePeers;
    console.log(`  ${padR(s.title, 38)} PyTorch ${fmtS(ip.pytorch ?? null)}  numpy ${fmtS(ip.numpy ?? null)}  target ${fmtS(s.target)}`);
  }
  if (peers.length === 0) console.log('  (PyTorch / numpy were not re-measured on this machine: no peer results given)');
  for (const p of peers) if (p.skipped) console.log(`  ${p.peer}: not measured here (${p.skipped})`);

  if (jsonPath) {
    writeFileSync(jsonPath, `${JSON.stringify({
      cpu, node: process.version, pinned: pin.pinned || null, openblasCore: load.openblasCore, openblasConfig: load.openblasConfig ?? null,
      tier: info.tier, builtinTier: builtin?.label ?? null, bf16: bf16, quick, gemmFloorA, ratios, rounds, paired, metricsShare: shares, profiles,
      setups: rows.map((r) => ({
        id: r.setup.id, title: r.setup.title, target: r.setup.target, targetAcc: r.setup.targetAcc ?? null,
        issuePeers: r.setup.issuePeers, native: r.native, builtin: r.builtin, js: r.js,
        tsOverNative: r.js && r.native ? r.js.seconds / r.native.seconds : null,
        builtinOverNative: r.builtin && r.native ? r.builtin.seconds / r.native.seconds : null,
        met: r.native ? r.native.seconds <= r.setup.target : null,
        peers: Object.fromEntries(peerNames.map((p) => [p, peerOf(p, r.setup.id)])),
      })),
      peers,
    }, null, 2)}\n`);
    console.log(`\nwrote ${jsonPath}`);
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
