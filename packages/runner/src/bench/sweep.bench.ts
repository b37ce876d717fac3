/**
 * Sweep benchmark (not a test): throughput of a sweep of 8 trials of identical size through the real runner
 * (runExperiments -> PiscinaExecutor -> worker threads -> SQLite in a temporary directory), on 1 worker and
 * on 2 workers, and the scaling efficiency throughput(2) / throughput(1) (issue 6's target: >= 1.9x on 2 cores).
 *
 * The sweep: 784-256-256-10 ReLU/softmax, SGD momentum 0.9, lr 0.1, batch 128, float32, 2 epochs on the full
 * 60000 MNIST training images (about 3 s a trial), test on 2000, seeds 1..8 (so 8 distinct trials); gradient
 * check off (it runs once per architecture, not per trial). A run has a fixed start-up cost (pool start, each
 * worker's first data load: about 0.4 s) that does not shrink with more workers; with tiny trials it dominates
 * (`--train 10000`: 0.6 s trials, 1.67x measured), so the default trial is a real training run. Each run starts a fresh pool and database, so a figure includes what a
 * user waits for: pool start, data loading in each worker, training, per-epoch metrics, the SQLite writes.
 * Figures: wall seconds per run, median of 2 runs per worker count (runs alternate 1, 2, 1, 2, ...).
 *
 * Reference on the same machine: the same 8 trials trained by plain train() calls (no runner) in one process,
 * vs two independent processes of 4 trials each at the same time, wall time and training time alone (no
 * process start or data loading): the scaling the hardware allows for this work (memory bandwidth, shared
 * caches, clock) and how much of the loss is fixed start-up cost, which the runner's figure can be read against.
 *
 * Run: node packages/runner/dist/bench/sweep.bench.js [--json out.json] [--runs 2] [--train 60000] [--epochs 2]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadData } from '@sweeplab/data';
import { createMlp, train } from '@sweeplab/nn-core';
import { PiscinaExecutor } from '../exec/piscina.js';
import { kernelSummary } from '../kernels.js';
import { runExperiments } from '../run.js';

const TRIALS = 8;

export function sweepYaml(train = 10000, epochs = 2): string {
  return [
    'name: sweep-bench',
    'description: 8 identical-size trials (seeds 1..8) for the runner throughput benchmark',
    `data: { dataset: mnist, train: ${train}, test: 2000, scale: [0, 1] }`,
    'model: { layers: [784, 256, 256, 10], activation: relu, output: softmax, loss: cross-entropy, init: he }',
    `train: { optimizer: momentum, momentum: 0.9, lr: 0.1, batch: 128, epochs: ${epochs}, dtype: float32 }`,
    'gradcheck: { enabled: false }',
    `sweep: { seeds: [${Array.from({ length: TRIALS }, (_, i) => i + 1).join(', ')}] }`,
    '',
  ].join('\n');
}

/** Wall seconds of one run of the sweep with `workers` threads, in a fresh database. */
async function runOnce(file: string, dir: string, workers: number, k: number): Promise<number> {
  const db = join(dir, `run-${workers}-${k}.db`);
  const t0 = performance.now();
  const res = await runExperiments([file], { db, executor: ({ trials }) => new PiscinaExecutor({ workers: Math.min(workers, trials) }) });
  const seconds = (performance.now() - t0) / 1000;
  if (res.counts.done !== TRIALS) {
    throw new Error(`sweep.bench: expected ${TRIALS} trials done, got ${JSON.stringify(res.counts)} (${res.trials.find((t) => t.error)?.error ?? ''})`);
  }
  return seconds;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

/** Child mode: trains trials `from`..`to` (seeds) of the sweep with plain train() calls; prints wall seconds. */
function childTrials(from: number, to: number, trainN: number, epochs: number): void {
  const t0 = performance.now();
  const d = loadData({ dataset: 'mnist', train: trainN, test: 2000, scale: [0, 1] }, { dtype: 'float32' });
  const t1 = performance.now();
  for (let seed = from; seed <= to; seed++) {
    const m = createMlp({ layers: [784, 256, 256, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float32', init: 'he', seed });
    train(m, { train: d.train, test: d.test, numClasses: 10 }, { optimizer: 'momentum', momentum: 0.9, lr: 0.1, batch: 128, epochs, l2: 0, seed });
  }
  const t2 = performance.now();
  process.stdout.write(`${JSON.stringify({ total: (t2 - t0) / 1000, trials: (t2 - t1) / 1000 })}\n`);
}

/**
 * `procs` independent processes, each training TRIALS / procs trials, started together: wall seconds of the
 * whole (process start and data loading included) and the longest process's seconds of training alone.
 */
async function independent(procs: number, trainN: number, epochs: number): Promise<{ wall: number; trials: number }> {
  const per = TRIALS / procs;
  const t0 = performance.now();
  const trials = await Promise.all(Array.from({ length: procs }, (_, p) => new Promise<number>((res, rej) => {
    const c = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', String(p * per + 1), String((p + 1) * per), String(trainN), String(epochs)],
      { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, OPENBLAS_NUM_THREADS: '1' } });
    let out = '';
    c.stdout.on('data', (b: Buffer) => { out += b.toString(); });
    c.on('error', rej);
    c.on('exit', (code) => (code === 0 ? res((JSON.parse(out) as { trials: number }).trials) : rej(new Error(`sweep.bench child exited with ${code}`))));
  })));
  return { wall: (performance.now() - t0) / 1000, trials: Math.max(...trials) };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === '--child') return childTrials(Number(args[1]), Number(args[2]), Number(args[3]), Number(args[4]));
  const jsonAt = args.indexOf('--json');
  const jsonPath = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
  const runsAt = args.indexOf('--runs');
  const runs = runsAt >= 0 ? Math.max(1, Number(args[runsAt + 1])) : 2;
  const opt = (name: string, dflt: number) => (args.includes(name) ? Number(args[args.indexOf(name) + 1]) : dflt);
  const trainN = opt('--train', 60000);
  const epochs = opt('--epochs', 2);
  const cores = availableParallelism();
  const k = kernelSummary();
  console.log(`runner sweep benchmark: 8 trials of 784-256-256-10, ${epochs} epochs on ${trainN} images, through runExperiments`);
  console.log(`  cpu: ${cpus()[0]?.model ?? 'unknown'} x ${cores}; kernels: ${JSON.stringify(k)}`);
  if (cores < 2) console.log('  NOTE: fewer than 2 cores: the 2-worker figure cannot scale');

  const dir = mkdtempSync(join(tmpdir(), 'sweeplab-sweep-bench-'));
  try {
    const file = join(dir, 'sweep-bench.yaml');
    writeFileSync(file, sweepYaml(trainN, epochs));
    const seconds: Record<1 | 2, number[]> = { 1: [], 2: [] };
    for (let r = 0; r < runs; r++) {
      for (const w of [1, 2] as const) {
        const s = await runOnce(file, dir, w, r);
        seconds[w].push(s);
        console.log(`  run ${r + 1}/${runs}, ${w} worker${w > 1 ? 's' : ''}: ${s.toFixed(2)} s`);
      }
    }
    const ref: Record<1 | 2, number[]> = { 1: [], 2: [] };
    const refTrials: Record<1 | 2, number[]> = { 1: [], 2: [] };
    for (let r = 0; r < runs; r++) {
      for (const p of [1, 2] as const) {
        const x = await independent(p, trainN, epochs);
        ref[p].push(x.wall);
        refTrials[p].push(x.trials);
      }
    }
    const r1 = median(ref[1]);
    const r2 = median(ref[2]);
    const rt1 = median(refTrials[1]);
    const rt2 = median(refTrials[2]);
    console.log(`  reference without the runner: 8 trials in 1 process ${r1.toFixed(2)} s, in 2 independent processes ${r2.toFixed(2)} s; ` +
      `training alone (no process start, no data loading) ${rt1.toFixed(2)} s vs ${rt2.toFixed(2)} s (medians of ${runs})`);
    const m1 = median(seconds[1]);
    const m2 = median(seconds[2]);
    const tpm1 = (TRIALS / m1) * 60;
    const tpm2 = (TRIALS / m2) * 60;
    const scaling = tpm2 / tpm1;
    console.log('\nworkers  seconds (median)  trials/min');
    console.log(`      1  ${m1.toFixed(2).padStart(16)}  ${tpm1.toFixed(1).padStart(10)}`);
    console.log(`      2  ${m2.toFixed(2).padStart(16)}  ${tpm2.toFixed(1).padStart(10)}`);
    console.log(`scaling efficiency (throughput 2 / throughput 1): ${scaling.toFixed(3)}x (target >= 1.90x: ${scaling >= 1.9 ? 'met' : 'MISSED'})`);
    const refScaling = r1 / r2;
    const trialScaling = rt1 / rt2;
    console.log(`the same 8 trials without the runner (plain train(), 1 process vs 2 independent processes): ${refScaling.toFixed(2)}x; ` +
      `their training alone: ${trialScaling.toFixed(2)}x (what 2 cores give this work once start-up costs are excluded)`);
    console.log(`runner time per trial on 1 worker: ${(m1 / TRIALS).toFixed(2)} s (plain train(): ${(r1 / TRIALS).toFixed(2)} s)`);
    if (jsonPath) {
      writeFileSync(jsonPath, `${JSON.stringify({
        trials: TRIALS, trainImages: trainN, epochs, runs, cores, kernels: k, seconds, medianSeconds: { 1: m1, 2: m2 },
        trialsPerMinute: { 1: tpm1, 2: tpm2 }, scaling, target: 1.9, met: scaling >= 1.9,
        independentProcesses: {
          seconds: ref, medianSeconds: { 1: r1, 2: r2 }, scaling: refScaling,
          trainingSeconds: refTrials, medianTrainingSeconds: { 1: rt1, 2: rt2 }, trainingScaling: trialScaling,
        },
      }, null, 2)}\n`);
      console.log(`wrote ${jsonPath}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
