/**
 * Search benchmark (not a test): what the adaptive search and ASHA buy on MNIST, through the real runner
 * (runExperiments -> 2 worker threads -> SQLite in a temporary directory).
 *
 * A. ASHA vs the full grid: 64 configurations, lr {0.01, 0.03, 0.1, 0.3} × hidden width {32, 64, 128, 256}
 *    (784-w-10 ReLU/softmax) × batch {64, 256} × momentum {0.5, 0.9}, SGD momentum, `--epochs` (16) epochs each, on
 *    the first 10,000 MNIST training images with the last 2,000 of them as the validation split (test: 2,000 test
 *    images). The grid trains every configuration; ASHA (grace 1, reduction 4: rungs at epochs 1 and 4) runs the
 *    same file with `prune`. Figures: the best final validation accuracy of each, the epochs each trained, wall
 *    seconds. Target: ASHA's best within 0.3 percentage points of the grid's, with <= 30 % of its epochs.
 * B. TPE vs random search: the same space as distributions (lr loguniform [0.01, 0.3], width as a choice of the 4
 *    layer lists, batch a choice of {64, 96, 128, 192, 256}, momentum uniform [0.5, 0.9]), `--tpe-epochs` (16) epochs a trial, no pruning,
 *    `--seeds` (5) sampler seeds: TPE with 30 trials (10 random first) and random search with 60 (its first 30 are
 *    random search with 30). Figures: best final validation accuracy after 30 / 60 trials per seed, the medians,
 *    wall seconds and epochs. Target: median of TPE@30 >= median of random@60.
 *
 * The machine's load average is printed before and after: other work on the machine slows the wall times (the
 * accuracies and epoch counts do not depend on it, up to the order in which 2 workers finish trials).
 *
 * Run: node packages/runner/dist/bench/search.bench.js [--part asha|tpe|all] [--epochs 16] [--tpe-epochs 16]
 *      [--seeds 5] [--json out.json] [--quick]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ResultsReader } from '@sweeplab/store';
import { PiscinaExecutor } from '../exec/piscina.js';
import { kernelSummary } from '../kernels.js';
import { runExperiments } from '../run.js';

const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? (args[i + 1] as string) : dflt;
};
const quick = args.includes('--quick');
const part = opt('--part', 'all');
const EPOCHS = Number(opt('--epochs', quick ? '4' : '16'));
const TPE_EPOCHS = Number(opt('--tpe-epochs', quick ? '1' : '16'));
const SEEDS = Number(opt('--seeds', quick ? '1' : '5'));
const WORKERS = 2;

const DATA = 'data: { dataset: mnist, train: 10000, validation: 2000, test: 2000, scale: [0, 1] }';
const LAYERS = '[[784, 32, 10], [784, 64, 10], [784, 128, 10], [784, 256, 10]]';
const BASE = [
  DATA,
  'model: { layers: [784, 64, 10], activation: relu, output: softmax, loss: cross-entropy, init: he }',
  'gradcheck: { enabled: false }',
  'objective: { metric: val_acc, mode: max }',
].join('\n');

export function gridYaml(name: string, epochs: number, prune: boolean): string {
  return `name: ${name}\n${BASE}
train: { optimizer: momentum, momentum: 0.9, lr: 0.1, batch: 64, epochs: ${epochs}, dtype: float32 }
sweep:
  grid:
    train.lr: [0.01, 0.03, 0.1, 0.3]
    model.layers: ${quick ? '[[784, 32, 10], [784, 64, 10]]' : LAYERS}
    train.batch: [64, 256]
    train.momentum: [0.5, 0.9]
${prune ? 'prune:\n  asha: { grace: 1, reduction: 4 }\n' : ''}`;
}

export function searchYaml(name: string, sampler: 'tpe' | 'random', trials: number, seed: number, epochs: number): string {
  return `name: ${name}\n${BASE}
train: { optimizer: momentum, momentum: 0.9, lr: 0.1, batch: 64, epochs: ${epochs}, dtype: float32 }
sweep:
  search:
    sampler: ${sampler}
    trials: ${trials}
    seed: ${seed}
    startup: 10
    params:
      train.lr: { loguniform: [0.01, 0.3] }
      model.layers: { choice: ${LAYERS} }
      train.batch: { choice: [64, 96, 128, 192, 256] }
      train.momentum: { uniform: [0.5, 0.9] }
`;
}

interface Outcome { best: number; bestAfter: (n: number) => number; epochs: number; seconds: number; trials: number; pruned: number }

async function run(dir: string, name: string, yaml: string): Promise<Outcome> {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, yaml);
  const db = join(dir, `${name}.db`);
  const t0 = performance.now();
  const res = await runExperiments([file], { db, keepWeights: 'none', executor: ({ trials }) => new PiscinaExecutor({ workers: Math.min(WORKERS, trials) }) });
  const seconds = (performance.now() - t0) / 1000;
  if (res.exitCode !== 0) throw new Error(`search.bench: ${name} ended with exit code ${res.exitCode}: ${JSON.stringify(res.counts)}`);
  const r = ResultsReader.open(db);
  try {
    const rows = r.searchTrials(name, 'val_acc');
    const done = rows.filter((x) => x.status === 'done');
    const bestAfter = (n: number) => Math.max(...done.filter((x) => x.position < n).map((x) => x.value ?? -Infinity));
    return {
      best: bestAfter(Infinity), bestAfter, epochs: rows.reduce((s, x) => s + (x.lastEpoch ?? 0), 0), seconds, trials: rows.length,
      pruned: rows.filter((x) => x.status === 'pruned').length,
    };
  } finally {
    r.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const h = s.length >> 1;
  return s.length % 2 ? (s[h] as number) : ((s[h - 1] as number) + (s[h] as number)) / 2;
};
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');

async function ashaVsGrid(dir: string): Promise<Record<string, unknown>> {
  console.log(`\n-- A. ASHA vs the full grid: ${quick ? 32 : 64} configurations × ${EPOCHS} epochs, 10,000 MNIST images (2,000 validation), ${WORKERS} workers`);
  const grid = await run(dir, 'grid', gridYaml('grid', EPOCHS, false));
  console.log(`grid: best val_acc ${pct(grid.best)}, ${grid.epochs} epochs, ${grid.seconds.toFixed(1)} s (load ${load()})`);
  const asha = await run(dir, 'asha', gridYaml('asha', EPOCHS, true));
  console.log(`ASHA: best val_acc ${pct(asha.best)}, ${asha.epochs} epochs (${asha.pruned} of ${asha.trials} trials pruned), ${asha.seconds.toFixed(1)} s (load ${load()})`);
  const gap = 100 * (grid.best - asha.best);
  const share = asha.epochs / grid.epochs;
  console.log(`ASHA vs grid: ${gap.toFixed(2)} percentage points below the grid's best (target <= 0.3), ${(100 * share).toFixed(1)} % of its epochs (target <= 30 %), ` +
    `${(grid.seconds / asha.seconds).toFixed(2)}x faster in wall time`);
  return {
    grid: { bestValAcc: grid.best, epochs: grid.epochs, seconds: grid.seconds, trials: grid.trials },
    asha: { bestValAcc: asha.best, epochs: asha.epochs, seconds: asha.seconds, trials: asha.trials, pruned: asha.pruned },
    gapPoints: gap, epochShare: share, speedup: grid.seconds / asha.seconds, targetsMet: gap <= 0.3 && share <= 0.3,
  };
}

async function tpeVsRandom(dir: string): Promise<Record<string, unknown>> {
  console.log(`\n-- B. TPE vs random search: ${SEEDS} seeds, ${TPE_EPOCHS} epochs a trial, ${WORKERS} workers`);
  const rows: Array<{ seed: number; tpe30: number; random30: number; random60: number; tpeSeconds: number; randomSeconds: number; tpeEpochs: number; randomEpochs: number }> = [];
  for (let seed = 1; seed <= SEEDS; seed++) {
    const tpe = await run(dir, `tpe-${seed}`, searchYaml(`tpe-${seed}`, 'tpe', quick ? 12 : 30, seed, TPE_EPOCHS));
    const rnd = await run(dir, `random-${seed}`, searchYaml(`random-${seed}`, 'random', quick ? 24 : 60, seed, TPE_EPOCHS));
    const row = { seed, tpe30: tpe.best, random30: rnd.bestAfter(quick ? 12 : 30), random60: rnd.best, tpeSeconds: tpe.seconds, randomSeconds: rnd.seconds, tpeEpochs: tpe.epochs, randomEpochs: rnd.epochs };
    rows.push(row);
    console.log(`seed ${seed}: TPE@30 ${pct(row.tpe30)} (${tpe.seconds.toFixed(1)} s, ${tpe.epochs} epochs); random@30 ${pct(row.random30)}, random@60 ${pct(row.random60)} (${rnd.seconds.toFixed(1)} s, ${rnd.epochs} epochs) (load ${load()})`);
  }
  const m = { tpe30: median(rows.map((r) => r.tpe30)), random30: median(rows.map((r) => r.random30)), random60: median(rows.map((r) => r.random60)) };
  console.log(`medians over ${SEEDS} seeds: TPE@30 ${pct(m.tpe30)}, random@30 ${pct(m.random30)}, random@60 ${pct(m.random60)}: ` +
    `TPE@30 ${m.tpe30 >= m.random60 ? '>=' : '<'} random@60 (target >=)`);
  return { seeds: rows, medians: m, targetMet: m.tpe30 >= m.random60 };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'sweeplab-search-bench-'));
  const k = kernelSummary('auto');
  console.log(`search.bench: kernels ${k.backend}${k.openblasCore ? ` (OpenBLAS ${k.openblasCore})` : ''}, load average ${load()} at start${quick ? ' (--quick: a smoke run, not figures)' : ''}`);
  const out: Record<string, unknown> = { quick, epochs: EPOCHS, tpeEpochs: TPE_EPOCHS, seeds: SEEDS, workers: WORKERS, loadAtStart: loadavg() };
  try {
    if (part === 'asha' || part === 'all') out.asha = await ashaVsGrid(dir);
    if (part === 'tpe' || part === 'all') out.tpe = await tpeVsRandom(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out.loadAtEnd = loadavg();
  const json = opt('--json', '');
  if (json) writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
}

await main();
