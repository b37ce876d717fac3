import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { InputError } from './errors.js';
import { gradcheckExperiment, renderGradcheck } from './gradcheck-cmd.js';
import { planExperiment, renderPlan } from './plan.js';
import { formatDuration, PlainProgress } from './progress.js';
import { formatQueryResult } from './query.js';
import { runExperiments } from './run.js';
import { renderTrial, showTrial } from './show.js';
import { sink, tempDir, writeTinyIdx } from './testing/fixtures.js';

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
  const db = join(dir, 'results.db');

  test('plan: trials with swept params, what is done, and the work (epochs x samples)', async () => {
    const before = planExperiment(file, { db, workers: 2 });
    assert.equal(before.total, 6);
    assert.equal(before.finished, 0);
    assert.ok(before.trials.every((t) => t.status === 'new'));
    assert.equal(before.sampleEpochs, 6 * 2 * 60);
    assert.deepEqual(before.trials.map((t) => t.params['train.lr']), [0.5, 0.5, 1, 1, 2, 2]);
    assert.match(renderPlan(before), /6 trial\(s\), 0 already finished/);
    const res = await runExperiments([file], { db, workers: 2, progress: 'none', out: sink().out });
    assert.equal(res.exitCode, 0);
    // two architectures -> two gradient checks
    assert.equal(res.gradchecks.length, 2);
    const after = planExperiment(file, { db, workers: 2 });
    assert.equal(after.finished, 6);
    assert.equal(after.sampleEpochs, 0);
    assert.match(after.estimateBasis, /measured on the finished trials/);
  });

  test('show: config and learning curve of a trial by id prefix', () => {
    const ro = new Database(db, { readonly: true });
    const id = ro.prepare('SELECT id FROM trials ORDER BY id LIMIT 1').pluck().get() as string;
    ro.close();
    const d = showTrial(id.slice(0, 5), { db });
    assert.equal(d.trial.id, id);
    assert.deepEqual(d.epochs.map((e) => e.epoch), [0, 1, 2]);
    assert.equal(d.links[0]!.experiment, 'plan-test');
    const text = renderTrial(d);
    assert.match(text, /learning curve \(3 rows/);
    assert.match(text, /optimizer: sgd/);
    assert.throws(() => showTrial('0123456789abcdef0', { db }), (e: unknown) => e instanceof InputError && e.code === 'UNKNOWN_TRIAL');
  });

  test('gradcheck: one check per architecture, printed and recorded', () => {
    const ro = new Database(db, { readonly: true });
    const before = ro.prepare('SELECT count(*) FROM gradchecks').pluck().get() as number;
    ro.close();
    const r = gradcheckExperiment(file, { db });
    assert.equal(r.archs.length, 2);
    assert.equal(r.passed, true);
    assert.match(renderGradcheck(r), /16-8-3 sigmoid\/softmax cross-entropy, l2 0 \(arch [0-9a-f]+\): passed/);
    const d = new Database(db, { readonly: true });
    assert.equal(d.prepare('SELECT count(*) FROM gradchecks').pluck().get(), before + 8);
    assert.equal(d.prepare('SELECT status FROM environment WHERE run_id = ?').pluck().get(r.runId), 'done');
    d.close();
  });

  test('query result formats', () => {
    const r = { columns: ['a', 'b'], rows: [[1, 'x,y'], [null, 'q"r']] };
    assert.equal(formatQueryResult(r, 'csv'), 'a,b\r\n1,"x,y"\r\n,"q""r"\r\n');
    assert.deepEqual(JSON.parse(formatQueryResult(r, 'json')), [{ a: 1, b: 'x,y' }, { a: null, b: 'q"r' }]);
    assert.match(formatQueryResult(r, 'table'), /NULL/);
  });
});

describe('plain progress', () => {
  test('prints one line per finished trial and no line per epoch', () => {
    const { out, text: printed } = sink();
    const p = new PlainProgress(out, 3_600_000);
    p.start({ total: 1, work: 100, skipped: 0, workers: 1 });
    p.trialStarted({ id: 'abc', label: 'x #0', epochs: 500, work: 100 });
    for (let e = 0; e <= 500; e++) p.epoch('abc', e, 1 / (e + 1));
    p.trialFinished('abc', 'done', 'trial abc done');
    p.stop();
    assert.deepEqual(printed().trim().split('\n'), ['running 1 trial(s) on 1 worker(s)', 'trial abc done']);
  });

  test('durations', () => {
    assert.equal(formatDuration(5), '0:05');
    assert.equal(formatDuration(125), '2:05');
    assert.equal(formatDuration(3725), '1:02:05');
    assert.equal(formatDuration(NaN), '?');
  });
});
