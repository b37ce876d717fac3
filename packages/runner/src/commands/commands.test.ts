import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { InputError } from '@sweeplab/store';
import { runExperiments } from '../run.js';
import { copyDb, runOpts, tempDir, writeTinyIdx } from '../testing/fixtures.js';
import { gradcheckExperiment } from './gradcheck.js';
import { withResults } from './open.js';
import { planExperiment } from './plan.js';
import { reproduceTrial } from './reproduce.js';

const dir = tempDir();
writeTinyIdx(join(dir, 'data'));
const file = join(dir, 'plan.yaml');
writeFileSync(file, `name: plan-test
data: { dataset: idx, path: ./data, train: 60, test: 30 }
model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, loss: cross-entropy, init: xavier }
train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 2, seed: 1 }
gradcheck: { samples: 30 }
sweep:
  grid:
    train.lr: [0.5, 1, 2]
    model.layers: [[16, 8, 3], [16, 4, 3]]
`);

describe('commands', () => {
  // the 6 trials trained once; the tests after plan's work on their own copies of this database
  const trained = join(dir, 'results.db');
  before(async () => {
    assert.equal((await runExperiments([file], runOpts(trained))).exitCode, 0);
  });

  test('plan: trials with swept params, what is done, and the work (epochs x samples)', async () => {
    const db = join(dir, 'plan.db');
    const before = planExperiment(file, { db, workers: 2 });
    assert.equal(before.total, 6);
    assert.equal(before.finished, 0);
    assert.ok(before.trials.every((t) => t.status === 'new'));
    assert.equal(before.sampleEpochs, 6 * 2 * 60);
    assert.deepEqual(before.trials.map((t) => t.params['train.lr']), [0.5, 0.5, 1, 1, 2, 2]);
    const res = await runExperiments([file], runOpts(db));
    assert.equal(res.exitCode, 0);
    // two architectures -> two gradient checks
    assert.equal(res.gradchecks.length, 2);
    const after = planExperiment(file, { db, workers: 2 });
    assert.equal(after.finished, 6);
    assert.equal(after.sampleEpochs, 0);
    assert.match(after.estimateBasis, /measured on the finished trials/);
  });

  test('reading: trials by id prefix, their epochs and links, through the read-only connection', () => {
    const db = copyDb(trained);
    const ro = new Database(db, { readonly: true });
    const id = ro.prepare('SELECT id FROM trials ORDER BY id LIMIT 1').pluck().get() as string;
    ro.close();
    withResults(db, (r) => {
      assert.equal(r.resolveTrialId(id.slice(0, 5)), id);
      assert.deepEqual(r.epochs(id).map((e) => e.epoch), [0, 1, 2]);
      assert.equal(r.trialLinks(id)[0]?.experiment, 'plan-test');
      assert.throws(() => r.resolveTrialId('0123456789abcdef0'), (e: unknown) => e instanceof InputError && e.code === 'UNKNOWN_TRIAL');
    });
  });

  test('reproduce: a trial re-run matches bit for bit; an unfinished one is an input error', () => {
    const db = copyDb(trained);
    const ro = new Database(db, { readonly: true });
    const id = ro.prepare(`SELECT id FROM trials WHERE status = 'done' ORDER BY id LIMIT 1`).pluck().get() as string;
    ro.close();
    const r = reproduceTrial(id, { db });
    assert.equal(r.match, true, JSON.stringify(r.firstMismatch));
    assert.equal(r.epochsCompared, 3);
    const w = new Database(db);
    w.prepare(`UPDATE trials SET status = 'failed' WHERE id = ?`).run(id);
    assert.throws(() => reproduceTrial(id, { db }), (e: unknown) => e instanceof InputError && e.code === 'NOT_FINISHED');
    w.prepare(`UPDATE trials SET status = 'done' WHERE id = ?`).run(id);
    w.close();
  });

  test('reproduce: when the data files changed since the trial ran, it says so and names them instead of re-running', async () => {
    const own = tempDir();
    writeTinyIdx(join(own, 'data'));
    const f = join(own, 'changing.yaml');
    writeFileSync(f, readFileSync(file, 'utf8').replace('name: plan-test', 'name: changing').replace(/sweep:[\s\S]*$/, ''));
    const db = join(own, 'r.db');
    assert.equal((await runExperiments([f], runOpts(db))).exitCode, 0);
    const id = withResults(db, (r) => r.query('SELECT id FROM trials').rows[0]?.[0]) as string;
    assert.equal(reproduceTrial(id, { db }).match, true);
    writeTinyIdx(join(own, 'data'), 63, 30); // other training images and labels
    const r = reproduceTrial(id, { db });
    assert.equal(r.match, false);
    assert.equal(r.reproducedEpochs, 0);
    assert.ok(r.inputsChanged);
    assert.match(r.inputsChanged.detail, /the data files' fingerprint was [0-9a-f]{16}, it is [0-9a-f]{16} now/);
    assert.ok(r.inputsChanged.files.some((p) => p.endsWith('train-images-idx3-ubyte')));
  });

  test('gradcheck: one check per architecture, printed and recorded', () => {
    const db = copyDb(trained);
    const ro = new Database(db, { readonly: true });
    const before = ro.prepare('SELECT count(*) FROM gradchecks').pluck().get() as number;
    ro.close();
    const r = gradcheckExperiment(file, { db });
    assert.equal(r.archs.length, 2);
    assert.equal(r.passed, true);
    assert.deepEqual(r.archs.map((a) => a.label).sort(), ['16-4-3 sigmoid/softmax cross-entropy, l2 0', '16-8-3 sigmoid/softmax cross-entropy, l2 0']);
    const d = new Database(db, { readonly: true });
    assert.equal(d.prepare('SELECT count(*) FROM gradchecks').pluck().get(), before + 8);
    assert.equal(d.prepare('SELECT status FROM environment WHERE run_id = ?').pluck().get(r.runId), 'done');
    d.close();
  });

});
