import { strict as assert } from 'node:assert';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { reproduceTrial } from './commands/reproduce.js';
import { runLoaded, type RunOptions } from './run.js';
import { copyDb, pool, runOpts, tempDir, testWorker, tinyConfig, tinyExperiment, writeTinyIdx } from './testing/fixtures.js';

const opts = (db: string, extra: Partial<RunOptions> = {}): RunOptions => runOpts(db, extra);

function ro(db: string): Database.Database {
  return new Database(db, { readonly: true });
}

type Row = Record<string, unknown>;

const dir = tempDir();
const dataDir = writeTinyIdx(join(dir, 'data'));

describe('run', () => {
  // one trained database; every test after the first works on its own copy of it
  const trained = join(dir, 'e2e', 'results.db');
  const exp = tinyExperiment(dir, 'tiny-e2e', [
    { config: tinyConfig(dataDir, { train: { lr: 0.5 } }) },
    { config: tinyConfig(dataDir, { train: { lr: 1 } }) },
    { config: tinyConfig(dataDir, { train: { lr: 1, seed: 2 } }), params: { 'train.lr': 1, 'train.seed': 2 } },
  ]);
  const ids = exp.trials.map((t) => t.id);
  let first: Awaited<ReturnType<typeof runLoaded>>;
  before(async () => {
    first = await runLoaded([exp], opts(trained));
  });

  test('trains every trial on 2 workers and records epochs 0..E, final columns, gradcheck and environment', () => {
    const db = copyDb(trained);
    const res = first;
    assert.equal(res.exitCode, 0);
    assert.deepEqual(res.counts, { ran: 3, done: 3, diverged: 0, pruned: 0, failed: 0, interrupted: 0, skipped: 0, elsewhere: 0 });
    const d = ro(db);
    for (const id of ids) {
      const t = d.prepare('SELECT * FROM trials WHERE id = ?').get(id) as Row;
      assert.equal(t.status, 'done');
      const epochs = d.prepare('SELECT * FROM epochs WHERE trial_id = ? ORDER BY epoch').all(id) as Row[];
      assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2, 3]);
      const last = epochs[3]!;
      assert.equal(t.epochs_done, 3);
      assert.equal(t.final_cost, last.cost);
      assert.equal(t.final_train_acc, last.train_acc);
      assert.equal(t.final_test_acc, last.test_acc);
      assert.equal(t.best_test_acc, Math.max(...epochs.map((e) => e.test_acc as number)));
      assert.equal(epochs[0]!.seconds, 0);
      assert.match(String(t.backend), /^(native \((OpenBLAS \w+|built-in GEMM, [\w-]+)\)|typescript)/); // the kernel tier
      // 3 balanced classes: a net that outputs the prior (1/3 each) scores -Σ p ln p = ln 3 per example
      const summary = JSON.parse(t.summary_json as string);
      assert.deepEqual(summary.classCounts, [20, 20, 20]);
      assert.ok(Math.abs(summary.priorCost - Math.log(3)) < 1e-12);
      assert.equal(summary.trainSize, 60);
      assert.equal(summary.numParams, (16 + 1) * 8 + (8 + 1) * 3);
      // 3 epochs of 60 examples in batches of 10
      assert.equal(summary.updates, 18);
      const evalRes = JSON.parse(t.final_eval_json as string);
      assert.equal(evalRes.accuracy, t.final_test_acc);
      assert.equal(evalRes.confusion.flat().reduce((a: number, b: number) => a + b, 0), 30);
      // the untrained net (epoch 0) costs more than the trained one: this data is easy
      assert.ok((epochs[0]!.cost as number) > (last.cost as number));
    }
    // one architecture (lr and seed are not part of it): one gradcheck, 2 layers x (weights, biases)
    const gc = d.prepare('SELECT layer, kind, passed FROM gradchecks ORDER BY layer, kind').all();
    assert.deepEqual(gc, [
      { layer: 1, kind: 'biases', passed: 1 }, { layer: 1, kind: 'weights', passed: 1 },
      { layer: 2, kind: 'biases', passed: 1 }, { layer: 2, kind: 'weights', passed: 1 },
    ]);
    const env = d.prepare('SELECT * FROM environment').all() as Row[];
    assert.equal(env.length, 1);
    assert.equal(env[0]!.status, 'done');
    assert.equal(env[0]!.node_version, process.version);
    assert.deepEqual(JSON.parse(env[0]!.data_fingerprints_json as string), { 'tiny-e2e': exp.dataFingerprint });
    assert.ok(env[0]!.finished_at);
    // the per-experiment view has the swept parameters as columns
    const view = d.prepare('SELECT trial_id, status, train_lr, train_seed FROM trials_tiny_e2e ORDER BY position').all();
    assert.deepEqual(view, [
      { trial_id: ids[0], status: 'done', train_lr: 0.5, train_seed: null },
      { trial_id: ids[1], status: 'done', train_lr: 1, train_seed: null },
      { trial_id: ids[2], status: 'done', train_lr: 1, train_seed: 2 },
    ]);
    d.close();
  });

  test('a second run skips every finished trial', async () => {
    const db = copyDb(trained);
    const before = ro(db).prepare('SELECT id, started_at FROM trials ORDER BY id').all();
    const res = await runLoaded([exp], opts(db));
    assert.equal(res.exitCode, 0);
    assert.equal(res.counts.ran, 0);
    assert.equal(res.counts.skipped, 3);
    assert.deepEqual(ro(db).prepare('SELECT id, started_at FROM trials ORDER BY id').all(), before);
  });

  test('reproduce matches a finished trial bit for bit, and reports the first difference when a value changed', () => {
    const db = copyDb(trained);
    const r = reproduceTrial(ids[1]!.slice(0, 8), { db });
    assert.equal(r.match, true, JSON.stringify(r.firstMismatch));
    assert.equal(r.epochsCompared, 4);
    const w = new Database(db);
    // the smallest possible change of one stored double: its next representable neighbour
    const cost = w.prepare('SELECT cost FROM epochs WHERE trial_id = ? AND epoch = 2').pluck().get(ids[1]) as number;
    const buf = new DataView(new ArrayBuffer(8));
    buf.setFloat64(0, cost);
    buf.setBigUint64(0, buf.getBigUint64(0) + 1n);
    w.prepare('UPDATE epochs SET cost = ? WHERE trial_id = ? AND epoch = 2').run(buf.getFloat64(0), ids[1]);
    const bad = reproduceTrial(ids[1]!, { db });
    assert.equal(bad.match, false);
    assert.deepEqual({ epoch: bad.firstMismatch!.epoch, column: bad.firstMismatch!.column }, { epoch: 2, column: 'cost' });
    assert.equal(bad.firstMismatch!.reproduced, cost);
    w.prepare('UPDATE epochs SET cost = ? WHERE trial_id = ? AND epoch = 2').run(cost, ids[1]);
    w.close();
  });

  test('--force reruns finished trials from scratch', async () => {
    const db = copyDb(trained);
    const before = ro(db).prepare('SELECT id, started_at FROM trials ORDER BY id').all() as Row[];
    const res = await runLoaded([exp], opts(db, { force: true }));
    assert.equal(res.counts.done, 3);
    const after = ro(db).prepare('SELECT id, started_at FROM trials ORDER BY id').all() as Row[];
    for (let i = 0; i < 3; i++) assert.notEqual(after[i]!.started_at, before[i]!.started_at);
    assert.equal(ro(db).prepare('SELECT count(*) FROM epochs').pluck().get(), 12);
  });

  test('resumes failed, dead-owner and reused-pid running trials, and only those', async () => {
    const db = copyDb(trained);
    const w = new Database(db);
    w.prepare(`UPDATE trials SET status = 'failed', error = 'x' WHERE id = ?`).run(ids[0]);
    // a kill -9'd runner on this host: its pid does not exist any more (pids are < 2^22 on Linux)
    w.prepare(`UPDATE trials SET status = 'running', owner = ?, heartbeat_at = ? WHERE id = ?`)
      .run(`${hostname()}:99999999:dead-run`, new Date().toISOString(), ids[2]);
    w.prepare('DELETE FROM epochs WHERE trial_id = ? AND epoch > 1').run(ids[2]);
    // a runner whose pid now belongs to another process (the pid was reused): its start time differs
    w.prepare(`UPDATE trials SET status = 'running', owner = ?, heartbeat_at = ? WHERE id = ?`)
      .run(`${hostname()}:${process.ppid}@1:reused-pid-run`, new Date().toISOString(), ids[1]);
    w.close();
    const res = await runLoaded([exp], opts(db));
    assert.equal(res.exitCode, 0);
    assert.deepEqual(res.trials.map((t) => [t.result, t.status]), [['ran', 'done'], ['ran', 'done'], ['ran', 'done']]);
    const d = ro(db);
    assert.deepEqual(d.prepare('SELECT epoch FROM epochs WHERE trial_id = ? ORDER BY epoch').pluck().all(ids[2]), [0, 1, 2, 3]);
    assert.equal(d.prepare(`SELECT count(*) FROM trials WHERE status = 'done' AND error IS NULL`).pluck().get(), 3);
  });

  test('a running trial of a live owner is left alone', async () => {
    const db = copyDb(trained);
    const w = new Database(db);
    w.prepare(`UPDATE trials SET status = 'running', owner = ?, heartbeat_at = ? WHERE id = ?`)
      .run(`${hostname()}:${process.ppid}:other-run`, new Date().toISOString(), ids[0]);
    w.close();
    const res = await runLoaded([exp], opts(db, { force: true }));
    assert.deepEqual(res.trials.map((t) => t.result), ['elsewhere', 'ran', 'ran']);
    assert.equal(ro(db).prepare('SELECT status FROM trials WHERE id = ?').pluck().get(ids[0]), 'running');
  });
});

describe('failures', () => {
  test('a throwing trial, a diverging trial and a crashing worker are recorded; the others finish', async () => {
    const db = join(dir, 'failures', 'results.db');
    const good = tinyConfig(dataDir);
    // data that disappeared after validation: loading throws in the worker (gradcheck off so the arch stays clean)
    const missing = tinyConfig(join(dir, 'vanished'), { gradcheck: { enabled: false } });
    // MSE on identity outputs with a huge step overflows within a few updates
    const diverging = tinyConfig(dataDir, {
      model: { activation: 'relu', output: 'identity', loss: 'mse' }, train: { lr: 1e10 }, gradcheck: { enabled: false },
    });
    const crashing = tinyConfig(dataDir, { train: { seed: 7 } });
    const exp = tinyExperiment(dir, 'failures', [
      { config: good }, { config: missing }, { config: diverging }, { config: crashing },
    ]);
    const [goodId, missingId, divId, crashId] = exp.trials.map((t) => t.id);
    const res = await runLoaded([exp], opts(db, { executor: pool(testWorker({ exitTrial: crashId! })) }));
    assert.equal(res.exitCode, 1);
    const d = ro(db);
    const row = (id: string) => d.prepare('SELECT status, error, diverged_epoch, epochs_done FROM trials WHERE id = ?').get(id) as Row;
    assert.equal(row(goodId!).status, 'done');
    assert.equal(row(missingId!).status, 'failed');
    assert.match(row(missingId!).error as string, /vanished/);
    const div = row(divId!);
    assert.equal(div.status, 'diverged');
    assert.ok(typeof div.diverged_epoch === 'number' && div.diverged_epoch >= 1 && div.diverged_epoch <= 3);
    const divEpochs = d.prepare('SELECT epoch, cost FROM epochs WHERE trial_id = ? ORDER BY epoch').all(divId) as Row[];
    assert.equal(divEpochs.at(-1)!.epoch, div.diverged_epoch);
    const lastCost = divEpochs.at(-1)!.cost as number | null; // NaN is stored as NULL, Inf as Inf
    const cost0 = divEpochs[0]!.cost as number;
    // a NaN/Inf (the worker's check) or a cost 1000x its epoch-0 value (the coordinator's)
    assert.ok(lastCost === null || !Number.isFinite(lastCost) || lastCost >= 1000 * cost0, `cost ${lastCost}`);
    assert.ok(divEpochs.slice(0, -1).every((e) => Number.isFinite(e.cost)));
    const crash = row(crashId!);
    assert.equal(crash.status, 'failed');
    assert.match(crash.error as string, /worker thread died \(exit code 3\)/);
    // epoch 0 was posted before the thread died and is kept
    assert.ok((d.prepare('SELECT count(*) FROM epochs WHERE trial_id = ?').pluck().get(crashId) as number) >= 1);
    assert.equal(d.prepare('SELECT status FROM environment').pluck().get(), 'failed');
    d.close();
    // without the hook the crashed trial reruns and finishes; the diverged one is a result and is skipped
    const again = await runLoaded([exp], opts(db));
    assert.deepEqual(again.trials.map((t) => t.result), ['skipped', 'ran', 'skipped', 'ran']);
    assert.equal(ro(db).prepare('SELECT status FROM trials WHERE id = ?').pluck().get(crashId), 'done');
  });

  test('a failing gradient check stops its architecture\'s trials and is recorded; other architectures train', async () => {
    const db = join(dir, 'gradcheck', 'results.db');
    // a threshold no float64 finite difference meets: the check fails on a correct backprop
    const strict = tinyConfig(dataDir, { gradcheck: { threshold: 1e-300 } });
    const other = tinyConfig(dataDir, { model: { layers: [16, 5, 3] } });
    const exp = tinyExperiment(dir, 'gc', [{ config: strict }, { config: { ...strict, train: { ...strict.train, lr: 2 } } }, { config: other }]);
    const res = await runLoaded([exp], opts(db));
    assert.equal(res.exitCode, 1);
    assert.deepEqual(res.trials.map((t) => [t.result, t.status]), [['gradcheck-failed', 'failed'], ['gradcheck-failed', 'failed'], ['ran', 'done']]);
    const d = ro(db);
    assert.match(d.prepare('SELECT error FROM trials WHERE id = ?').pluck().get(exp.trials[0]!.id) as string, /gradient check failed/);
    assert.equal(d.prepare('SELECT count(*) FROM epochs WHERE trial_id = ?').pluck().get(exp.trials[0]!.id), 0);
    const gc = d.prepare('SELECT arch, min(passed) AS ok, count(*) AS n FROM gradchecks GROUP BY arch ORDER BY ok').all() as Row[];
    assert.deepEqual(gc.map((g) => [g.arch, g.ok, g.n]), [[exp.trials[0]!.arch, 0, 4], [exp.trials[2]!.arch, 1, 4]]);
    d.close();
  });

  test('aborting (Ctrl-C) marks running trials interrupted, keeps their epochs, and the next run resumes', async () => {
    const db = join(dir, 'abort', 'results.db');
    const exp = tinyExperiment(dir, 'abort', [{ config: tinyConfig(dataDir, { train: { epochs: 100 } }) }]);
    const id = exp.trials[0]!.id;
    const ac = new AbortController();
    // abort once two epochs are recorded (the run's own events say when)
    const res = await runLoaded([exp], opts(db, {
      signal: ac.signal, executor: pool(testWorker({ delayMs: 50 })),
      emit: (e) => { if (e.type === 'epoch' && e.metrics.epoch >= 1) ac.abort('SIGINT'); },
    }));
    assert.equal(res.exitCode, 130);
    assert.equal(res.interrupted, true);
    const d = ro(db);
    const t = d.prepare('SELECT status, error FROM trials WHERE id = ?').get(id) as Row;
    assert.equal(t.status, 'interrupted');
    assert.match(t.error as string, /interrupted \(SIGINT\)/);
    const kept = d.prepare('SELECT count(*) FROM epochs WHERE trial_id = ?').pluck().get(id) as number;
    assert.ok(kept >= 2 && kept < 101, `kept ${kept} epoch rows`);
    assert.equal(d.prepare('SELECT status FROM environment').pluck().get(), 'interrupted');
    d.close();
    const again = await runLoaded([exp], opts(db));
    assert.equal(again.exitCode, 0);
    assert.equal(ro(db).prepare('SELECT count(*) FROM epochs WHERE trial_id = ?').pluck().get(id), 101);
  });
});

describe('metrics every N epochs, and bfloat16', () => {
  test('metrics: { every: 3 } measures epoch 0, every third and the last; the others are stored unmeasured', async () => {
    const db = join(dir, 'every', 'results.db');
    const every = tinyConfig(dataDir, { train: { epochs: 7 } });
    const exp = tinyExperiment(dir, 'every', [{ config: { ...every, metrics: { every: 3 } } }, { config: every }]);
    assert.notEqual(exp.trials[0]!.id, exp.trials[1]!.id, 'metrics.every is part of the trial id');
    const res = await runLoaded([exp], opts(db));
    assert.equal(res.exitCode, 0);
    const d = ro(db);
    const rows = d.prepare('SELECT epoch, measured, cost, lr FROM epochs WHERE trial_id = ? ORDER BY epoch').all(exp.trials[0]!.id) as Row[];
    assert.deepEqual(rows.map((r) => r.measured), [1, 0, 0, 1, 0, 0, 1, 1]);
    assert.ok(rows.every((r) => (r.measured === 1) === (r.cost !== null)), 'unmeasured epochs have no cost');
    assert.ok(rows.every((r) => typeof r.lr === 'number'), 'every epoch has its lr');
    // the measured epochs are the same numbers as the every-epoch trial's (the parameters do not depend on N)
    const full = d.prepare('SELECT epoch, cost FROM epochs WHERE trial_id = ? ORDER BY epoch').all(exp.trials[1]!.id) as Row[];
    for (const r of rows.filter((x) => x.measured === 1)) assert.equal(r.cost, full[r.epoch as number]!.cost, `epoch ${r.epoch}`);
    assert.equal(d.prepare('SELECT final_cost FROM trials WHERE id = ?').pluck().get(exp.trials[0]!.id), full[7]!.cost);
    d.close();
  });

  test('train.dtype bfloat16 trains with float32 master weights (emulated on the TypeScript kernels) and is its own trial', async () => {
    const db = join(dir, 'bf16', 'results.db');
    const f32 = tinyConfig(dataDir, { train: { dtype: 'float32', epochs: 3 }, gradcheck: { enabled: false } });
    const bf16 = { ...f32, train: { ...f32.train, dtype: 'bfloat16' as const } };
    const exp = { ...tinyExperiment(dir, 'bf16', [{ config: f32 }, { config: bf16 }]), kernels: 'js' as const };
    const res = await runLoaded([exp], opts(db));
    assert.equal(res.exitCode, 0, JSON.stringify(res.trials));
    const d = ro(db);
    const t = d.prepare('SELECT id, final_train_acc, backend FROM trials ORDER BY id').all() as Row[];
    assert.equal(t.length, 2);
    for (const r of t) assert.ok((r.final_train_acc as number) > 0.9, `${r.id} ${r.backend}: train ${r.final_train_acc}`);
    const costs = d.prepare('SELECT trial_id, cost FROM epochs WHERE epoch = 3 ORDER BY trial_id').all() as Row[];
    assert.notEqual(costs[0]!.cost, costs[1]!.cost, 'bfloat16 rounds the GEMM inputs: other bits than float32');
    d.close();
  });
});
