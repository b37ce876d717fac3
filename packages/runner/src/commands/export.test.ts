// Getting the model out: `run --keep-weights` keeps the best trial's weights (recorded in the database), `export`
// copies them or retrains the trial bit for bit, and an exported file loaded through `model.init` reproduces the
// trial's final test accuracy exactly.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InputError, ResultsReader } from '@sweeplab/store';
import { loadWeights } from '@sweeplab/nn-core';
import { loadExperiment } from '../config/index.js';
import { modelSpecOf } from '../exec/tasks.js';
import { runLoaded } from '../run.js';
import { pool, tempDir, writeTinyIdx } from '../testing/fixtures.js';
import { exportTrial } from './export.js';
import type { KeepWeights } from '../pipeline/weights.js';

const dir = tempDir('sweeplab-export-');
writeTinyIdx(join(dir, 'data'), 90, 30);

const BASE = `data: { dataset: idx, path: ./data, train: 90, test: 30 }
model: { layers: [16, 8, 3], activation: tanh, output: softmax, loss: cross-entropy, init: xavier }
gradcheck: false
`;

function file(name: string, text: string): string {
  const f = join(dir, `${name}.yaml`);
  writeFileSync(f, `name: ${name}\n${text}`);
  return f;
}

const run = (f: string, db: string, keepWeights: KeepWeights) => runLoaded([loadExperiment(f)], { db, executor: pool({ workers: 2 }), keepWeights });

function trialsOf(db: string, exp: string) {
  const r = ResultsReader.open(db);
  try {
    return r.experimentTrials(exp);
  } finally {
    r.close();
  }
}

/** Loads `weights` through model.init with 0 epochs: the test accuracy at epoch 0 is what the weights give. */
async function reloadedTestAcc(weights: string, name: string): Promise<number | null> {
  const f = file(name, `${BASE.replace('init: xavier', `init: { npy: ${weights} }`)}train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 0 }\n`);
  const db = join(dir, `${name}.db`);
  await run(f, db, 'none');
  return trialsOf(db, name)[0]?.finalTestAcc ?? null;
}

describe('export and --keep-weights', () => {
  const sweep = `${BASE}train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 5 }\nsweep:\n  grid:\n    train.lr: [0.05, 0.5, 2]\n`;

  it('--keep-weights best keeps one file per experiment, the best by the objective, recorded in the database; none keeps nothing', async () => {
    const db = join(dir, 'keep', 'results.db');
    const res = await run(file('keep', sweep), db, 'best');
    assert.equal(res.exitCode, 0);
    const trials = trialsOf(db, 'keep');
    const best = [...trials].sort((a, b) => (a.finalCost ?? Infinity) - (b.finalCost ?? Infinity))[0]!; // objective: cost (no validation split)
    assert.deepEqual(readdirSync(join(dir, 'keep', 'weights')), [`${best.id}.npz`]);
    assert.deepEqual(trials.map((t) => t.weightsPath ?? null), trials.map((t) => (t.id === best.id ? `weights/${best.id}.npz` : null)));
    const none = join(dir, 'none', 'results.db');
    await run(file('keep', sweep), none, 'none');
    assert.equal(existsSync(join(dir, 'none', 'weights')), false);
    // the kept file is what export writes, whether it copies it or retrains the trial
    const kept = exportTrial(best.id, { db, out: join(dir, 'kept.npz') });
    const fresh = exportTrial(best.id.slice(0, 8), { db: none, out: join(dir, 'fresh.npz') });
    assert.deepEqual([kept.source, fresh.source], ['kept', 'retrained']);
    const spec = modelSpecOf(loadExperiment(join(dir, 'keep.yaml')).trials[0]!.config);
    assert.deepEqual(loadWeights(join(dir, 'kept.npz'), spec, 'float32'), loadWeights(join(dir, 'fresh.npz'), spec, 'float32'));
  });

  it('an exported .npz or W1.npy..WL.npy directory loads back through model.init and gives the trial\'s final test accuracy exactly', async () => {
    const db = join(dir, 'exp.db');
    await run(file('exp', sweep), db, 'none');
    const t = trialsOf(db, 'exp')[1]!;
    const r = exportTrial(t.id, { db, out: join(dir, 'model.npz') });
    assert.equal(r.source, 'retrained');
    assert.equal(r.epoch, 5);
    assert.equal(await reloadedTestAcc('model.npz', 'reload-npz'), t.finalTestAcc);
    exportTrial(t.id, { db, out: join(dir, 'model-dir') });
    assert.deepEqual(readdirSync(join(dir, 'model-dir')).sort(), ['W1.npy', 'W2.npy']);
    assert.equal(await reloadedTestAcc('model-dir', 'reload-dir'), t.finalTestAcc);
  });

  it('a pruned trial exports its weights at the epoch it was pruned; a diverged one is refused', async () => {
    const db = join(dir, 'pruned.db');
    const f = file('pruned', `${BASE}data: { dataset: idx, path: ./data, train: 90, test: 30, validation: 30 }
train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 8 }
sweep:
  grid:
    train.lr: [1.0e-4, 0.5, 1.0e-3, 1, 2.0e-4, 0.3]
prune:
  asha: { grace: 2, reduction: 3 }
`.replace(/^data: \{ dataset: idx, path: \.\/data, train: 90, test: 30 \}\n/, ''));
    await run(f, db, 'none');
    const pruned = trialsOf(db, 'pruned').find((x) => x.status === 'pruned');
    assert.ok(pruned, 'a trial was pruned');
    const r = exportTrial(pruned.id, { db, out: join(dir, 'pruned.npz') });
    assert.equal(r.epoch, pruned.prunedEpoch);
    const reader = ResultsReader.open(db);
    const atRung = reader.epochs(pruned.id).find((e) => e.epoch === pruned.prunedEpoch)?.testAcc;
    reader.close();
    assert.equal(await reloadedTestAcc('pruned.npz', 'reload-pruned'), atRung);

    const ddb = join(dir, 'diverged.db');
    await run(file('diverged', `${BASE}train: { optimizer: sgd, batch: 10, lr: 1.0e+30, epochs: 3 }\n`), ddb, 'none');
    const d = trialsOf(ddb, 'diverged')[0]!;
    assert.equal(d.status, 'diverged');
    assert.throws(() => exportTrial(d.id, { db: ddb, out: join(dir, 'x.npz') }), (e: unknown) => e instanceof InputError && /diverged/.test(e.message));
    assert.equal(existsSync(join(dir, 'x.npz')), false);
  });
});
