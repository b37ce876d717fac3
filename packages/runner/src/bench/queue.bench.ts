/**
 * Queue benchmark (not a test): what the Redis queue costs and what one coordinator can carry. A redis-server on a
 * loopback port in a temporary directory (AOF on, as in production), worker processes started before timing.
 *
 * 1. Overhead per trial: 200 tiny trials (16-8-3 net, 60 examples, 3 epochs, no gradient check) on the local
 *    piscina pool with 2 threads vs through the queue on 2 worker processes of 1 thread each (the same total
 *    worker count); (queue wall - local wall) / 200. Target: <= 20 ms per trial.
 * 2. Throughput with 1, 2 and 4 worker processes (1 thread each) on 16 MNIST trials (784-128-10, 6000 images,
 *    2 epochs): trials per minute. On a 2-core machine it is expected to be flat past 2 processes.
 * 3. The coordinator's sustained epoch-row write rate: load-generator workers (queue-load-worker.ts) post 32
 *    trials x 501 epochs of real-sized metrics as fast as Redis takes them; the coordinator (QueueExecutor ->
 *    scheduler -> SQLite) records them; rate = rows / (last row - first row). Target: >= 5,000 rows/s.
 * Each figure is the median of `--runs` runs (default 2). Everything runs on this machine: coordinator, Redis and
 * workers share its cores, so the figures are conservative for a coordinator with a machine of its own.
 *
 * Run: node packages/runner/dist/bench/queue.bench.js [--json out.json] [--runs 2] [--quick]
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

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)] ?? NaN;
const queueOf = (redis: RedisServer, name: string): ExecutorFactory => ({ trials, batch }) => new QueueExecutor({ url: redis.url, name, concurrency: trials, ...(batch ? { batch } : {}) });

export async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (k: string) => { const i = args.indexOf(k); return i >= 0 ? args[i + 1] : undefined; };
  const quick = args.includes('--quick');
  const runs = Number(opt('--runs') ?? (quick ? 1 : 2));
  const jsonPath = opt('--json');
  const dir = tempDir('sweeplab-queue-bench-');
  writeTinyIdx(join(dir, 'data'));
  const redis = await startRedis();
  console.log(`queue benchmark: redis-server on 127.0.0.1:${redis.port} (AOF on); cpu ${cpus()[0]?.model ?? '?'} x ${cpus().length}`);
  try {
    // 1. overhead per trial
    const nTiny = quick ? 50 : 200;
    const tiny = join(dir, 'tiny.yaml');
    writeFileSync(tiny, yaml('tiny', [
      'data: { dataset: idx, path: data, train: 60, test: 30 }',
      'model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, init: xavier }',
      'train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 3, dtype: float64 }', seeds(nTiny),
    ]));
    const local: number[] = [];
    const queued: number[] = [];
    const ws = await workers(redis, 'tiny', 2, dir);
    for (let r = 0; r < runs; r++) {
      local.push(await timed(tiny, join(dir, `tiny-local-${r}.db`), ({ trials }) => new PiscinaExecutor({ workers: Math.min(2, trials) }), nTiny));
      queued.push(await timed(tiny, join(dir, `tiny-queue-${r}.db`), queueOf(redis, 'tiny'), nTiny));
      console.log(`  run ${r + 1}: ${nTiny} tiny trials, local pool 2 threads ${local[r]!.toFixed(2)} s, queue 2 worker processes ${queued[r]!.toFixed(2)} s`);
    }
    await stopAll(ws);
    const perTrialMs = ((median(queued) - median(local)) / nTiny) * 1000;
    console.log(`overhead per trial through the queue: ${perTrialMs.toFixed(1)} ms (local ${(median(local) / nTiny * 1000).toFixed(1)} ms/trial, ` +
      `queue ${(median(queued) / nTiny * 1000).toFixed(1)} ms/trial; target <= 20 ms: ${perTrialMs <= 20 ? 'met' : 'MISSED'})`);

    // 2. throughput with 1, 2, 4 worker processes
    const nMnist = quick ? 6 : 16;
    const mnist = join(dir, 'mnist.yaml');
    writeFileSync(mnist, yaml('mnist', [
      'data: { dataset: mnist, train: 6000, test: 1000 }',
      'model: { layers: [784, 128, 10], activation: relu, output: softmax, init: he }',
      'train: { optimizer: sgd, batch: 64, lr: 0.1, epochs: 2, dtype: float32 }', seeds(nMnist),
    ]));
    const got: { sample: EpochMetrics | null } = { sample: null };
    const throughput: Record<number, number> = {};
    for (const n of [1, 2, 4]) {
      const name = `mnist${n}`;
      const wsN = await workers(redis, name, n, dir);
      const times: number[] = [];
      for (let r = 0; r < runs; r++) {
        times.push(await timed(mnist, join(dir, `mnist-${n}-${r}.db`), queueOf(redis, name), nMnist, (e) => {
          if (e.type === 'epoch' && e.metrics.epoch === 2) got.sample ??= e.metrics;
        }));
      }
      await stopAll(wsN);
      throughput[n] = (nMnist / median(times)) * 60;
      console.log(`  ${n} worker process(es): ${median(times).toFixed(2)} s for ${nMnist} MNIST trials = ${throughput[n]!.toFixed(1)} trials/min`);
    }
    console.log(`throughput vs 1 process: 2 -> ${(throughput[2]! / throughput[1]!).toFixed(2)}x, 4 -> ${(throughput[4]! / throughput[1]!).toFixed(2)}x ` +
      `(${cpus().length} cores: flat past ${cpus().length} processes is expected)`);

    // 3. the coordinator's sustained epoch-row write rate
    const sample = got.sample;
    if (sample === null) throw new Error('queue.bench: no epoch metrics sampled');
    const nLoad = quick ? 8 : 32;
    const epochs = 500;
    const load = join(dir, 'load.yaml');
    writeFileSync(load, yaml('load', [
      'data: { dataset: idx, path: data, train: 60, test: 30 }',
      'model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, init: xavier }',
      `train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: ${epochs}, dtype: float64 }`, seeds(nLoad),
    ]));
    const rates: number[] = [];
    const gens = await Promise.all([0, 1].map(() => spawnReady(here('./queue-load-worker.js'), [JSON.stringify({ url: redis.url, name: 'load', concurrency: 16 }), JSON.stringify(sample)])));
    for (let r = 0; r < runs; r++) {
      let first = 0;
      let last = 0;
      let rows = 0;
      await timed(load, join(dir, `load-${r}.db`), queueOf(redis, 'load'), nLoad, (e) => {
        if (e.type !== 'epoch') return;
        last = performance.now();
        if (rows++ === 0) first = last;
      });
      rates.push(rows / ((last - first) / 1000));
      console.log(`  run ${r + 1}: ${rows} epoch rows recorded in ${((last - first) / 1000).toFixed(2)} s = ${rates[r]!.toFixed(0)} rows/s`);
    }
    await stopAll(gens);
    const rate = median(rates);
    const perWorkerEpochsPerS = sample.seconds > 0 ? 1 / (sample.seconds + sample.evalSeconds) : NaN;
    console.log(`coordinator epoch-row write rate: ${rate.toFixed(0)} rows/s (target >= 5000: ${rate >= 5000 ? 'met' : 'MISSED'}); ` +
      `a worker thread on the MNIST trial above sends ${perWorkerEpochsPerS.toFixed(1)} epochs/s, so one coordinator keeps up with ~${Math.floor(rate / perWorkerEpochsPerS)} such threads`);
    if (jsonPath) {
      writeFileSync(jsonPath, `${JSON.stringify({
        queue: {
          tinyTrials: nTiny, localSeconds: median(local), queueSeconds: median(queued), overheadMsPerTrial: perTrialMs,
          throughputTrialsPerMin: throughput, coordinatorRowsPerSecond: rate, mnistEpochSeconds: sample.seconds + sample.evalSeconds, runs,
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
