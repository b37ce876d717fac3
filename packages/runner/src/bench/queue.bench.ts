/**
 * Queue benchmark (not a test): what the Redis queue costs and what one coordinator can carry. A redis-server on a
 * loopback port in a temporary directory (AOF on, as in production), worker processes started before timing.
 *
 * 1. Overhead per trial: 200 tiny trials (16-8-3 net, 60 examples, 3 epochs, no gradient check) on the local
 *    piscina pool with 2 threads vs through the queue on 2 worker processes of 1 thread each (the same total
 *    worker count); (queue wall - local wall) / 200. Target: <= 20 ms per trial.
 * 2. Throughput with 1, 2 and 4 worker processes (1 thread each) on 16 MNIST trials (784-256-256-10, 10000
 *    images, 2 epochs), each process warmed up first (its MNIST loaded): trials per minute. On a 2-core machine it
 *    is expected to be flat past 2 processes.
 * 3. The coordinator's sustained epoch-row write rate: 2 load-generator workers (queue-load-worker.ts: real
 *    QueueWorkers, 2 threads each, whose tasks train nothing and post a trial's epochs as fast as they can) send 32
 *    trials x 501 epochs of real-sized metrics; the coordinator (QueueExecutor -> scheduler -> SQLite) records them;
 *    rate = rows / (last row - first row), and rows per CPU second of the coordinator (its capacity with a core of
 *    its own). Target: >= 5,000 rows/s.
 * Each figure is the median of `--runs` runs (default 2). Everything runs on this machine: coordinator, Redis and
 * workers share its cores, so the figures are conservative for a coordinator with a machine of its own.
 *
 * Run: node packages/runner/dist/bench/queue.bench.js [--json out.json] [--runs 2] [--quick] [--only overhead|throughput|rate]
 * (scripts/bench.sh sets OPENBLAS_NUM_THREADS=1, which the worker processes inherit: one core each)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { PiscinaExecutor } from '../exec/piscina.js';
import { QueueExecutor } from '../exec/queue/executor.js';
import type { ExecutorFactory } from '../exec/types.js';
import { runExperiments } from '../run.js';
import type { RunEvent } from '../scheduler/events.js';
import { tempDir, writeTinyIdx } from '../testing/fixtures.js';
import { startRedis, type RedisServer } from '../testing/redis.js';

const here = (f: string) => fileURLToPath(new URL(f, import.meta.url));

function yaml(name: string, lines: string[]): string {
  return [`name: ${name}`, ...lines, 'gradcheck: { enabled: false }', ''].join('\n');
}

const seeds = (n: number) => `sweep: { seeds: [${Array.from({ length: n }, (_, i) => i + 1).join(', ')}] }`;

/** A child process that prints "ready" once it serves the queue. */
async function spawnReady(script: string, args: string[]): Promise<ChildProcess> {
  const c = spawn(process.execPath, [script, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    let buf = '';
    c.stdout?.on('data', (d) => {
      buf += String(d);
      if (buf.includes('ready\n')) res();
    });
    c.once('exit', (code) => rej(new Error(`${script} exited with ${code} before it was ready`)));
  });
  c.stdout?.resume();
  return c;
}

async function stopAll(cs: ChildProcess[]): Promise<void> {
  await Promise.all(cs.map((c) => new Promise<void>((res) => {
    if (c.exitCode !== null) return res();
    c.once('exit', () => res());
    c.kill('SIGTERM');
  })));
}

async function workers(redis: RedisServer, name: string, n: number, dataRoot: string): Promise<ChildProcess[]> {
  const script = here('../testing/queue-worker-main.js');
  return Promise.all(Array.from({ length: n }, () => spawnReady(script, [JSON.stringify({ url: redis.url, name, workers: 1, dataRoot })])));
}

/** Wall seconds of one sweep in a fresh database; checks every trial finished. */
async function timed(file: string, db: string, executor: ExecutorFactory, expect: number, emit?: (e: RunEvent) => void): Promise<number> {
  const t0 = performance.now();
  const res = await runExperiments([file], { db, executor, diagnose: false, keepWeights: 'none', ...(emit ? { emit } : {}) });
  const s = (performance.now() - t0) / 1000;
  if (res.counts.done !== expect) throw new Error(`queue.bench: ${file}: expected ${expect} trials done, got ${JSON.stringify(res.counts)} (${res.trials.find((t) => t.error)?.error ?? ''})`);
  return s;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = (s.length - 1) / 2;
  return ((s[Math.floor(m)] ?? NaN) + (s[Math.ceil(m)] ?? NaN)) / 2;
}
const queueOf = (redis: RedisServer, name: string): ExecutorFactory => ({ trials, batch }) => new QueueExecutor({ url: redis.url, name, concurrency: trials, ...(batch ? { batch } : {}) });

interface Ctx { dir: string; redis: RedisServer; runs: number; quick: boolean }

/** 1. Overhead per trial: the same tiny sweep on the local pool (2 threads) and through the queue (2 x 1 thread). */
async function overhead(c: Ctx): Promise<{ n: number; local: number; queued: number; perTrialMs: number }> {
  const n = c.quick ? 50 : 200;
  const tiny = join(c.dir, 'tiny.yaml');
  writeFileSync(tiny, yaml('tiny', [
    'data: { dataset: idx, path: data, train: 60, test: 30 }',
    'model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, init: xavier }',
    'train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 3, dtype: float64 }', seeds(n),
  ]));
  const local: number[] = [];
  const queued: number[] = [];
  for (let r = 0; r < c.runs; r++) {
    const name = `tiny${r}`; // a queue per run: no run finds the jobs of another
    const ws = await workers(c.redis, name, 2, c.dir);
    local.push(await timed(tiny, join(c.dir, `tiny-local-${r}.db`), ({ trials }) => new PiscinaExecutor({ workers: Math.min(2, trials) }), n));
    queued.push(await timed(tiny, join(c.dir, `tiny-queue-${r}.db`), queueOf(c.redis, name), n));
    await stopAll(ws);
    console.log(`  run ${r + 1}: ${n} tiny trials, local pool 2 threads ${local[r]!.toFixed(2)} s, queue 2 worker processes ${queued[r]!.toFixed(2)} s`);
  }
  const perTrialMs = ((median(queued) - median(local)) / n) * 1000;
  console.log(`overhead per trial through the queue: ${perTrialMs.toFixed(1)} ms (local ${(median(local) / n * 1000).toFixed(1)} ms/trial, ` +
    `queue ${(median(queued) / n * 1000).toFixed(1)} ms/trial; target <= 20 ms: ${perTrialMs <= 20 ? 'met' : 'MISSED'})`);
  return { n, local: median(local), queued: median(queued), perTrialMs };
}

const MNIST = [
  'data: { dataset: mnist, train: 10000, test: 1000 }',
  'model: { layers: [784, 256, 256, 10], activation: relu, output: softmax, init: he }',
  'train: { optimizer: sgd, batch: 64, lr: 0.1, epochs: 2, dtype: float32 }',
];

/** 2. Trials per minute on 1, 2, 4 worker processes (1 thread each), each process warmed up (data loaded) first. */
async function throughput(c: Ctx): Promise<{ perMin: Record<number, number>; sample: EpochMetrics }> {
  const n = c.quick ? 6 : 16;
  const warm = join(c.dir, 'warm.yaml');
  writeFileSync(warm, yaml('warm', [...MNIST.slice(0, 2), 'train: { optimizer: sgd, batch: 64, lr: 0.1, epochs: 0, dtype: float32 }', seeds(8)]));
  const got: { sample: EpochMetrics | null } = { sample: null };
  const perMin: Record<number, number> = {};
  for (const w of [1, 2, 4]) {
    const times: number[] = [];
    for (let r = 0; r < c.runs; r++) {
      const name = `mnist${w}-${r}`;
      const ws = await workers(c.redis, name, w, c.dir);
      await timed(warm, join(c.dir, `warm-${w}-${r}.db`), queueOf(c.redis, name), 8); // every process loads MNIST once
      const file = join(c.dir, `mnist-${w}-${r}.yaml`);
      writeFileSync(file, yaml(`mnist${w}x${r}`, [...MNIST, seeds(n)]));
      times.push(await timed(file, join(c.dir, `mnist-${w}-${r}.db`), queueOf(c.redis, name), n, (e) => {
        if (e.type === 'epoch' && e.metrics.epoch === 2) got.sample ??= e.metrics;
      }));
      await stopAll(ws);
    }
    perMin[w] = (n / median(times)) * 60;
    console.log(`  ${w} worker process(es): ${median(times).toFixed(2)} s for ${n} MNIST trials = ${perMin[w]!.toFixed(1)} trials/min`);
  }
  console.log(`throughput vs 1 process: 2 -> ${(perMin[2]! / perMin[1]!).toFixed(2)}x, 4 -> ${(perMin[4]! / perMin[1]!).toFixed(2)}x ` +
    `(${cpus().length} cores: flat past ${cpus().length} processes is expected)`);
  if (got.sample === null) throw new Error('queue.bench: no epoch metrics sampled');
  return { perMin, sample: got.sample };
}

/** One real MNIST epoch's metrics (the size of what a worker sends per epoch), trained locally. */
async function sampleMetrics(c: Ctx): Promise<EpochMetrics> {
  const file = join(c.dir, 'sample.yaml');
  writeFileSync(file, yaml('sample', [...MNIST, seeds(1)]));
  const got: { sample: EpochMetrics | null } = { sample: null };
  await timed(file, join(c.dir, 'sample.db'), ({ trials }) => new PiscinaExecutor({ workers: trials }), 1, (e) => {
    if (e.type === 'epoch' && e.metrics.epoch === 2) got.sample = e.metrics;
  });
  if (got.sample === null) throw new Error('queue.bench: no epoch metrics sampled');
  return got.sample;
}

/** 3. Epoch rows per second the coordinator records, fed by load generators faster than training would. */
async function writeRate(c: Ctx, sample: EpochMetrics): Promise<{ rate: number; capacity: number }> {
  const n = c.quick ? 8 : 32;
  const epochs = 500;
  const load = join(c.dir, 'load.yaml');
  writeFileSync(load, yaml('load', [
    'data: { dataset: idx, path: data, train: 60, test: 30 }',
    'model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, init: xavier }',
    `train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: ${epochs}, dtype: float64 }`, seeds(n),
  ]));
  const rates: number[] = [];
  const capacities: number[] = [];
  for (let r = 0; r < c.runs; r++) {
    const name = `load${r}`;
    const gens = await Promise.all([0, 1].map(() => spawnReady(here('./queue-load-worker.js'),
      [JSON.stringify({ url: c.redis.url, name, workers: 2, dataRoot: c.dir }), JSON.stringify(sample)])));
    let first = 0;
    let last = 0;
    let rows = 0;
    let cpu0 = process.cpuUsage();
    let cpu = process.cpuUsage(cpu0);
    await timed(load, join(c.dir, `load-${r}.db`), queueOf(c.redis, name), n, (e) => {
      if (e.type !== 'epoch') return;
      last = performance.now();
      if (rows++ === 0) {
        first = last;
        cpu0 = process.cpuUsage();
      }
      cpu = process.cpuUsage(cpu0);
    });
    await stopAll(gens);
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    rates.push(rows / ((last - first) / 1000));
    capacities.push(rows / cpuSeconds);
    console.log(`  run ${r + 1}: ${rows} epoch rows recorded in ${((last - first) / 1000).toFixed(2)} s = ${rates[r]!.toFixed(0)} rows/s; ` +
      `the coordinator used ${cpuSeconds.toFixed(2)} CPU s = ${capacities[r]!.toFixed(0)} rows per CPU second`);
  }
  const rate = median(rates);
  const capacity = median(capacities);
  const epochsPerS = 1 / (sample.seconds + sample.evalSeconds);
  console.log(`coordinator epoch-row write rate: ${rate.toFixed(0)} rows/s sustained here, sharing ${cpus().length} cores with Redis and ` +
    `the load generators (target >= 5000: ${rate >= 5000 ? 'met' : 'MISSED'}); with a core of its own: ${capacity.toFixed(0)} rows per CPU second`);
  console.log(`a worker thread on the MNIST trial above sends ${epochsPerS.toFixed(1)} epochs/s, so one coordinator keeps up with ` +
    `~${Math.floor(rate / epochsPerS)} such threads (~${Math.floor(capacity / epochsPerS)} with a core of its own)`);
  return { rate, capacity };
}

export async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
  const quick = args.includes('--quick');
  const only = opt('--only');
  const jsonPath = opt('--json');
  const dir = tempDir('sweeplab-queue-bench-');
  writeTinyIdx(join(dir, 'data'));
  const redis = await startRedis();
  const c: Ctx = { dir, redis, quick, runs: Number(opt('--runs') ?? (quick ? 1 : 2)) };
  console.log(`queue benchmark: redis-server on 127.0.0.1:${redis.port} (AOF on); cpu ${cpus()[0]?.model ?? '?'} x ${cpus().length}; ` +
    `OPENBLAS_NUM_THREADS=${process.env.OPENBLAS_NUM_THREADS ?? '(unset)'}`);
  try {
    const o = only === undefined || only === 'overhead' ? await overhead(c) : null;
    const t = only === undefined || only === 'throughput' ? await throughput(c) : null;
    const rate = only === undefined || only === 'rate' ? await writeRate(c, t?.sample ?? await sampleMetrics(c)) : null;
    if (jsonPath) {
      writeFileSync(jsonPath, `${JSON.stringify({
        queue: {
          runs: c.runs, overhead: o, throughputTrialsPerMin: t?.perMin ?? null, coordinatorRowsPerSecond: rate?.rate ?? null,
          coordinatorRowsPerCpuSecond: rate?.capacity ?? null,
          mnistEpochSeconds: t ? t.sample.seconds + t.sample.evalSeconds : null,
        },
      }, null, 2)}\n`);
      console.log(`wrote ${jsonPath}`);
    }
  } finally {
    await redis.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().then(() => process.exit(0), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
