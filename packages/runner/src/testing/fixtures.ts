// Test-only helpers (not exported from the package): a tiny IDX data set, tiny trial configs and experiments.
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { describeData, writeIdxFile } from '@sweeplab/data';
import type { LoadedExperiment, TrialConfig, TrialPlan } from '../config/index.js';
import { PiscinaExecutor, type PiscinaExecutorOptions } from '../exec/piscina.js';
import type { ExecutorFactory } from '../exec/types.js';
import type { RunOptions } from '../run.js';
import type { RunEvent } from '../scheduler/events.js';

type TrialConfigInput = TrialConfig;

const made: string[] = [];
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under os.tmpdir(), removed when the test process exits. */
export function tempDir(prefix = 'sweeplab-runner-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

export const ROWS = 4;
export const COLS = 4;
export const CLASSES = 3;

/**
 * Writes the four IDX files of a tiny 3-class data set of 4x4 images into `dir`: example i has label i % 3 and
 * its image is bright in row `label` (pixels 180..255) and dark elsewhere (0..60), with deterministic variation
 * (no randomness). So every class has exactly n/3 examples when n is a multiple of 3.
 */
export function writeTinyIdx(dir: string, nTrain = 60, nTest = 30): string {
  mkdirSync(dir, { recursive: true });
  const images = (n: number, salt: number) => {
    const data = new Uint8Array(n * ROWS * COLS);
    for (let i = 0; i < n; i++) {
      const label = i % CLASSES;
      for (let r = 0; r < ROWS; r++) {
        for (let c = 0; c < COLS; c++) {
          const wiggle = (i * 37 + r * 11 + c * 7 + salt * 13) % 61; // 0..60
          data[i * ROWS * COLS + r * COLS + c] = r === label ? 255 - wiggle - (c === (i % COLS) ? 15 : 0) : wiggle;
        }
      }
    }
    return { dims: [n, ROWS, COLS], data };
  };
  const labels = (n: number) => ({ dims: [n], data: Uint8Array.from({ length: n }, (_, i) => i % CLASSES) });
  writeIdxFile(join(dir, 'train-images-idx3-ubyte'), images(nTrain, 1));
  writeIdxFile(join(dir, 'train-labels-idx1-ubyte'), labels(nTrain));
  writeIdxFile(join(dir, 't10k-images-idx3-ubyte'), images(nTest, 2));
  writeIdxFile(join(dir, 't10k-labels-idx1-ubyte'), labels(nTest));
  return dir;
}

export interface TinyOverrides {
  data?: Partial<TrialConfigInput['data']>;
  model?: Partial<TrialConfigInput['model']>;
  train?: Partial<TrialConfigInput['train']>;
  gradcheck?: Partial<TrialConfigInput['gradcheck']>;
}

/** A resolved trial config: 16-8-3 sigmoid/softmax net, SGD batch 10, 3 epochs on 60 training examples. */
export function tinyConfig(dataDir: string, o: TinyOverrides = {}): TrialConfigInput {
  return {
    data: {
      dataset: 'idx', path: dataDir, train: { offset: 0, count: 60, sample: 'first' },
      test: { offset: 0, count: 30, sample: 'first' }, validation: 0, scale: [0, 1], ...o.data,
    },
    model: { layers: [16, 8, 3], activation: 'sigmoid', output: 'softmax', loss: 'cross-entropy', init: 'xavier', ...o.model },
    train: { optimizer: 'sgd', batch: 10, lr: 0.5, epochs: 3, l2: 0, dtype: 'float64', seed: 1, schedule: 'constant', ...o.train },
    gradcheck: { enabled: true, samples: 40, threshold: 1e-6, batch: 6, ...o.gradcheck },
  };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** The architecture key of a config, like the config module's (model spec + l2). */
export function archKey(c: TrialConfigInput): string {
  const { layers, activation, output, loss } = c.model;
  return sha(JSON.stringify({ layers, activation, output, loss, l2: c.train.l2 })).slice(0, 16);
}

/** The data fingerprint of a config's data files ('unreadable' when they cannot be read). */
export function dataFingerprintOf(c: TrialConfigInput): string {
  try {
    return describeData({ dataset: c.data.dataset, ...(c.data.path !== undefined ? { path: c.data.path } : {}) }).fingerprint;
  } catch {
    return 'unreadable';
  }
}

/**
 * A LoadedExperiment as the config module would produce it, built directly (no YAML parsing): one trial per
 * config, ids = hashes of the configs, `params` = the given swept values, fingerprints of the real data files.
 */
export function tinyExperiment(dir: string, name: string, trials: Array<{ config: TrialConfigInput; params?: Record<string, unknown> }>): LoadedExperiment {
  const file = join(dir, `${name}.yaml`);
  const yaml = `name: ${name}\n# built by the test\n`;
  writeFileSync(file, yaml);
  const plans: TrialPlan[] = trials.map((t, i) => ({
    id: sha(JSON.stringify(t.config)).slice(0, 16),
    config: t.config,
    params: t.params ?? { 'train.lr': t.config.train.lr },
    seed: t.config.train.seed,
    arch: archKey(t.config),
    position: i,
    fingerprints: { data: dataFingerprintOf(t.config), init: null },
  }));
  return {
    name, description: `test experiment ${name}`, file, path: file, baseDir: dir, yaml, kernels: 'auto',
    config: { name } as LoadedExperiment['config'], trials: plans, dataFingerprint: plans[0]?.fingerprints.data ?? '',
    sweptPaths: [...new Set(trials.flatMap((t) => Object.keys(t.params ?? { 'train.lr': 0 })))], warnings: [], sources: [file],
    objective: { metric: 'cost', mode: 'min' }, prune: null, search: null,
  };
}

/** A piscina executor factory for tests (2 workers unless told); `workerData` reaches an injected worker. */
export function pool(opts: PiscinaExecutorOptions = {}): ExecutorFactory {
  return ({ trials }) => new PiscinaExecutor({ workers: Math.min(opts.workers ?? 2, trials), ...opts });
}

/** A test worker: the real one, slowed down after each epoch and/or crashing on a trial (see testing/wrapped-worker.ts). */
export function testWorker(data: { delayMs?: number; exitTrial?: string }): Pick<PiscinaExecutorOptions, 'workerUrl' | 'workerData'> {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return { workerUrl: new URL(`./wrapped-worker${ext}`, import.meta.url), workerData: data };
}

/** Collects a run's events. */
export function events(): { emit: (e: RunEvent) => void; all: RunEvent[] } {
  const all: RunEvent[] = [];
  return { emit: (e) => { all.push(e); }, all };
}

/** RunOptions for a test run on `db` with a 2-worker pool. */
export function runOpts(db: string, extra: Partial<RunOptions> = {}): RunOptions {
  return { db, executor: pool(), ...extra };
}

/** A stream that collects what is written to it (run output, progress lines); `text()` reads it back. */
export function sink(): { out: Writable; text: () => string } {
  let buf = '';
  const out = new Writable({ write(chunk, _enc, cb) { buf += String(chunk); cb(); } });
  return { out, text: () => buf };
}

let copies = 0;
/**
 * A private copy of a results database (tests share one expensive setup, then each works on its own copy): a
 * consistent snapshot through SQLite's VACUUM INTO, so readers or a WAL file on the source do not matter.
 */
export function copyDb(src: string): string {
  const dst = join(dirname(src), `copy-${process.pid}-${copies++}-${basename(src)}`);
  const db = new Database(src, { readonly: true, fileMustExist: true });
  try {
    db.prepare('VACUUM INTO ?').run(dst);
  } finally {
    db.close();
  }
  return dst;
}
