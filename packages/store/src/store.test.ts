import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { openWritable as openDatabase, openReadOnly } from './db.js';
import { InputError, StoreError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { ResultsReader } from './reader.js';
import { Store, type ExperimentRegistration } from './store.js';

type EpochInput = EpochMetrics;

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db${n++}`, 'results.db');

// A second, plain connection to a store's file: the tests look at the tables the way a user's SQL would.
const peeks = new Map<string, Database.Database>();
after(() => { for (const d of peeks.values()) d.close(); });
function peek(store: Store): Database.Database {
  let d = peeks.get(store.path);
  if (!d) peeks.set(store.path, (d = new Database(store.path)));
  return d;
}

// The tables and columns of docs/design.md ("SQLite schema"), typed in from the document.
const DOCUMENTED: Record<string, string[]> = {
  experiments: ['name', 'description', 'file', 'yaml', 'created_at', 'updated_at', 'resolved_json'],
  trials: ['id', 'experiment', 'status', 'config_json', 'seed', 'arch', 'started_at', 'finished_at', 'error',
    'diverged_epoch', 'final_cost', 'final_train_acc', 'final_test_acc', 'best_test_acc', 'epochs_done', 'backend',
    'final_eval_json', 'summary_json', 'owner', 'heartbeat_at', 'created_at', 'attempt', 'pruned_epoch', 'diagnosed_at',
    'weights_path', 'rev'],
  experiment_trials: ['experiment', 'trial_id', 'params_json', 'position'],
  epochs: ['trial_id', 'epoch', 'cost', 'loss', 'l2_term', 'train_acc', 'test_acc', 'val_acc', 'lr', 'out_mean',
    'out_std', 'seconds', 'eval_seconds', 'out_unit_mean_json', 'out_unit_std_json', 'grad_norm_json',
    'update_ratio_json', 'weight_norm_json', 'weight_mean_json', 'saturation_json', 'attempt', 'measured'],
  gradchecks: ['id', 'experiment', 'arch', 'run_id', 'layer', 'kind', 'checked', 'skipped', 'max_rel_error',
    'max_abs_error', 'worst_index', 'analytic', 'numeric', 'eps', 'threshold', 'passed', 'created_at'],
  environment: ['run_id', 'started_at', 'finished_at', 'command', 'sweeplab_version', 'git_commit', 'node_version',
    'platform', 'cpu', 'cores', 'kernel_backend', 'openblas_core', 'data_fingerprints_json', 'status', 'owner',
    'queue_host', 'queue_name'],
  diagnoses: ['trial_id', 'rule', 'severity', 'evidence_json', 'advice', 'created_at'],
  rungs: ['experiment', 'trial_id', 'epoch', 'value', 'decision', 'rule', 'created_at'],
};
const PRIMARY_KEYS: Record<string, string[]> = {
  experiments: ['name'], trials: ['id'], experiment_trials: ['experiment', 'trial_id'], epochs: ['trial_id', 'attempt', 'epoch'],
  gradchecks: ['id'], environment: ['run_id'], diagnoses: ['trial_id', 'rule'], rungs: ['experiment', 'epoch', 'trial_id'],
};

function columns(db: Database.Database, table: string): string[] {
  return (db.prepare(`SELECT name FROM pragma_table_info(?) ORDER BY cid`).pluck().all(table) as string[]);
}

function registration(name: string, file: string, trials: Array<{ id: string; lr: number; seed?: number }>): ExperimentRegistration {
  return {
    name, description: `${name} description`, file, yaml: `name: ${name}\n`, resolvedJson: '{}',
    sweptPaths: ['train.lr', 'model.layers'],
    trials: trials.map((t, i) => ({
      id: t.id, configJson: JSON.stringify({ train: { lr: t.lr } }), seed: t.seed ?? 1, arch: '4-3-2 sigmoid',
      paramsJson: JSON.stringify({ 'train.lr': t.lr, 'model.layers': [4, 3, 2] }), position: i,
    })),
  };
}

function metrics(epoch: number, cost: number, testAcc: number | null): EpochInput {
  return {
    epoch, measured: true, cost, loss: cost - 0.01, l2Term: 0.01, trainAcc: 0.5, testAcc, valAcc: null, lr: 0.1, outMean: 0.1,
    outStd: 0.2, outUnitMean: [0.1, 0.2], outUnitStd: [0.3, 0.4], gradNorm: [1, 2], updateRatio: [epoch ? 0.01 : null, null],
    weightNorm: [3, 4], weightMean: [0, -0.5], saturation: [0.25], seconds: 0.5, evalSeconds: 0.25,
  };
}

const alive = () => true;
const dead = () => false;

describe('migrations', () => {
  test('create exactly the documented tables and columns, and are idempotent', () => {
    const path = freshPath();
    const db = openDatabase(path);
    assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
    const tables = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).pluck().all() as string[]);
    assert.deepEqual(tables, Object.keys(DOCUMENTED).sort());
    for (const [table, cols] of Object.entries(DOCUMENTED)) {
      assert.deepEqual(columns(db, table), cols, table);
      const pk = (db.prepare(`SELECT name FROM pragma_table_info(?) WHERE pk > 0 ORDER BY pk`).pluck().all(table) as string[]);
      assert.deepEqual(pk, PRIMARY_KEYS[table], `${table} primary key`);
    }
    const views = (db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'view' ORDER BY name`).pluck().all() as string[]);
    assert.deepEqual(views, ['best_trials', 'trial_summary']);
    const schemaBefore = db.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all();
    db.close();
    const again = openDatabase(path);
    assert.deepEqual(again.prepare('SELECT type, name, sql FROM sqlite_schema ORDER BY name').all(), schemaBefore);
    assert.equal(again.pragma('user_version', { simple: true }), SCHEMA_VERSION);
    again.close();
  });

  test('status is constrained to the documented values', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('e', '/x/e.yaml', [{ id: 'aa', lr: 1 }])]);
    assert.throws(() => peek(store).prepare(`UPDATE trials SET status = 'finished'`).run(), /CHECK constraint/);
    store.close();
  });

  test('four processes opening one fresh database at once all succeed and migrate it once', async () => {
    const path = freshPath();
    const dbModule = fileURLToPath(new URL('./db.js', import.meta.url));
    const script = `import(${JSON.stringify(dbModule)}).then((m) => { const db = m.openWritable(${JSON.stringify(path)}); ` +
      `process.stdout.write(String(db.pragma('user_version', { simple: true }))); db.close(); })`;
    const codes = await Promise.all([0, 1, 2, 3].map(() => new Promise<[number | null, string]>((res) => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d) => { out += d; });
      child.on('close', (code) => res([code, out]));
    })));
    for (const [code, out] of codes) {
      assert.equal(code, 0);
      assert.equal(out, String(SCHEMA_VERSION));
    }
    const db = openReadOnly(path);
    assert.equal((db.prepare(`SELECT count(*) FROM sqlite_schema WHERE name = 'trials'`).pluck().get()), 1);
    db.close();
  });

  test('a database that is not sweeplab\'s is refused with a clear message', () => {
    const path = freshPath();
    openDatabase(path).close();
    const other = join(dir, 'other.db');
    const raw = new Database(other);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    assert.throws(() => openDatabase(other), /not a sweeplab database/);
    assert.throws(() => openReadOnly(other), /not a sweeplab database/);
  });
});

describe('registration', () => {
  test('writes the experiment, its trials and links, and a per-experiment view with swept columns', () => {
    const store = Store.open(freshPath());
    const [r] = store.registerExperiments([registration('lr-sweep.v2', '/x/a.yaml', [{ id: 'aa01', lr: 0.5 }, { id: 'bb02', lr: 2 }])]);
    assert.deepEqual(r, { name: 'lr-sweep.v2', view: 'trials_lr_sweep_v2', trials: 2, newTrials: 2 });
    const rows = peek(store).prepare('SELECT trial_id, status, train_lr, model_layers FROM trials_lr_sweep_v2').all();
    assert.deepEqual(rows, [
      { trial_id: 'aa01', status: 'pending', train_lr: 0.5, model_layers: '[4,3,2]' },
      { trial_id: 'bb02', status: 'pending', train_lr: 2, model_layers: '[4,3,2]' },
    ]);
    const t = peek(store).prepare('SELECT experiment, status, seed, arch FROM trials WHERE id = ?').get('aa01');
    assert.deepEqual(t, { experiment: 'lr-sweep.v2', status: 'pending', seed: 1, arch: '4-3-2 sigmoid' });
    store.close();
  });

  test('re-registering replaces the links with the current expansion; trial rows are shared by id', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }])]);
    const [r] = store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't2', lr: 2 }, { id: 't3', lr: 3 }])]);
    assert.equal(r!.newTrials, 1);
    assert.deepEqual(peek(store).prepare(`SELECT trial_id FROM experiment_trials WHERE experiment = 'a' ORDER BY position`).pluck().all(), ['t2', 't3']);
    // t1 stays (its results are kept), only the link is gone
    assert.equal(peek(store).prepare('SELECT count(*) FROM trials').pluck().get(), 3);
    // another experiment with the same trial shares its row; the first creator stays in trials.experiment
    const [r2] = store.registerExperiments([registration('b', '/x/b.yaml', [{ id: 't3', lr: 3 }])]);
    assert.equal(r2!.newTrials, 0);
    assert.equal(peek(store).prepare(`SELECT experiment FROM trials WHERE id = 't3'`).pluck().get(), 'a');
    assert.deepEqual(peek(store).prepare(`SELECT experiment FROM trial_summary WHERE trial_id = 't3' ORDER BY experiment`).pluck().all(), ['a', 'b']);
    store.close();
  });

  test('the same name from a different existing file is refused and nothing is written', () => {
    const store = Store.open(freshPath());
    const fileA = join(dir, 'a.yaml');
    writeFileSync(fileA, 'name: same\n');
    store.registerExperiments([registration('same', fileA, [{ id: 't1', lr: 1 }])]);
    assert.throws(
      () => store.registerExperiments([
        registration('fresh', '/x/fresh.yaml', [{ id: 'f1', lr: 1 }]),
        registration('same', join(dir, 'b.yaml'), [{ id: 't9', lr: 9 }]),
      ]),
      (e: unknown) => e instanceof InputError && e.code === 'NAME_CONFLICT' && /already registered/.test(e.message) && e.message.includes(fileA));
    assert.equal(peek(store).prepare(`SELECT count(*) FROM experiments WHERE name = 'fresh'`).pluck().get(), 0);
    assert.equal(peek(store).prepare(`SELECT count(*) FROM trials`).pluck().get(), 1);
    // two files with one name in the same call
    assert.throws(() => store.registerExperiments([
      registration('dup', '/x/1.yaml', [{ id: 'd1', lr: 1 }]), registration('dup', '/x/2.yaml', [{ id: 'd2', lr: 1 }]),
    ]), /also used by/);
    // a file that moved (the old path no longer exists) takes the name over
    store.registerExperiments([registration('moved', '/nonexistent/old.yaml', [{ id: 'm1', lr: 1 }])]);
    store.registerExperiments([registration('moved', '/nonexistent/new.yaml', [{ id: 'm1', lr: 1 }])]);
    assert.equal(peek(store).prepare(`SELECT file FROM experiments WHERE name = 'moved'`).pluck().get(), '/nonexistent/new.yaml');
    store.close();
  });
});

describe('trial lifecycle', () => {
  test('claims are exclusive; each claim is a new attempt and a dead owner\'s running trial restarts from scratch', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }])]);
    assert.deepEqual(store.claimTrial('t1', 'host:1:A', { force: false, isAlive: alive }), { claimed: true, attempt: 1, previous: 'pending' });
    assert.deepEqual(store.claimTrial('t1', 'host:2:B', { force: true, isAlive: alive }), { claimed: false, reason: 'elsewhere', status: 'running' });
    assert.equal(store.insertEpoch('t1', 1, metrics(0, 3.2, 0.1)), 'written');
    assert.equal(store.insertEpoch('t1', 1, metrics(1, 2.5, 0.3)), 'written');
    assert.equal(peek(store).prepare(`SELECT epochs_done FROM trials WHERE id = 't1'`).pluck().get(), 1);
    // owner A died: B takes it over as attempt 2 and the old epoch rows go
    assert.deepEqual(store.claimTrial('t1', 'host:2:B', { force: false, isAlive: dead }), { claimed: true, attempt: 2, previous: 'running' });
    assert.equal(store.epochs('t1').length, 0);
    // A's late epoch (attempt 1) is refused; B's goes in
    assert.equal(store.insertEpoch('t1', 1, metrics(2, 2.0, 0.4)), 'stale');
    assert.equal(store.finishTrial('t1', 1, { status: 'done', epochsDone: 2, divergedEpoch: null, finalCost: 2, finalTrainAcc: 1,
      finalTestAcc: 1, bestTestAcc: 1, backend: 'js', finalEval: null, summary: {} }), false);
    assert.equal(store.insertEpoch('t1', 2, metrics(0, 3.1, 0.1)), 'written');
    assert.deepEqual(peek(store).prepare(`SELECT attempt, epoch FROM epochs WHERE trial_id = 't1'`).all(), [{ attempt: 2, epoch: 0 }]);
    store.close();
  });

  test('epoch writes are idempotent: a redelivered epoch is a no-op and keeps the first row', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }])]);
    store.claimTrial('t1', 'o', { force: false, isAlive: alive });
    assert.equal(store.insertEpoch('t1', 1, metrics(0, 3.25, 0.1)), 'written');
    assert.equal(store.insertEpoch('t1', 1, metrics(1, 2.5, 0.2)), 'written');
    assert.equal(store.insertEpoch('t1', 1, metrics(0, 99, 0.9)), 'duplicate');
    assert.equal(store.insertEpoch('t1', 1, metrics(1, 2.5, 0.2)), 'duplicate');
    assert.deepEqual(store.epochs('t1').map((e) => [e.epoch, e.cost]), [[0, 3.25], [1, 2.5]]);
    // epochs_done never goes back when an older epoch arrives late
    assert.equal(peek(store).prepare(`SELECT epochs_done FROM trials WHERE id = 't1'`).pluck().get(), 1);
    store.close();
  });

  test('epoch rows keep every metric; finishing writes the final columns; done is skipped unless forced', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }])]);
    store.claimTrial('t1', 'o', { force: false, isAlive: alive });
    store.insertEpoch('t1', 1, metrics(0, 3.25, 0.1));
    store.insertEpoch('t1', 1, { ...metrics(1, NaN, 0.2), updateRatio: [NaN, 0.5] });
    const rows = store.rawEpochs('t1');
    assert.equal(rows[0]?.cost, 3.25);
    assert.equal(rows[0]?.update_ratio_json, '[null,null]');
    assert.equal(rows[0]?.saturation_json, '[0.25]');
    assert.equal(rows[1]?.cost, null); // NaN is stored as NULL
    assert.deepEqual(store.epochs('t1')[1]?.updateRatio, [null, 0.5]);
    assert.equal(store.finishTrial('t1', 1, {
      status: 'diverged', epochsDone: 1, divergedEpoch: 1, finalCost: NaN, finalTrainAcc: 0.5, finalTestAcc: 0.2,
      bestTestAcc: 0.2, backend: 'js', finalEval: { accuracy: 0.2 }, summary: { priorCost: 3.25 },
    }), true);
    const t = peek(store).prepare(`SELECT status, diverged_epoch, final_cost, final_test_acc, summary_json, finished_at IS NOT NULL AS fin FROM trials`).get();
    assert.deepEqual(t, { status: 'diverged', diverged_epoch: 1, final_cost: null, final_test_acc: 0.2, summary_json: '{"priorCost":3.25}', fin: 1 });
    assert.deepEqual(store.claimTrial('t1', 'o2', { force: false, isAlive: alive }), { claimed: false, reason: 'finished', status: 'diverged' });
    assert.deepEqual(store.claimTrial('t1', 'o2', { force: true, isAlive: alive }), { claimed: true, attempt: 2, previous: 'diverged' });
    const reset = peek(store).prepare(`SELECT status, final_test_acc, diverged_epoch, finished_at FROM trials`).get();
    assert.deepEqual(reset, { status: 'running', final_test_acc: null, diverged_epoch: null, finished_at: null });
    assert.equal(store.failTrial('t1', 2, 'interrupted', 'interrupted by SIGINT'), true);
    assert.equal(store.failTrial('t1', 2, 'failed', 'again'), false); // no longer running
    assert.deepEqual(store.claimTrial('t1', 'o3', { force: false, isAlive: alive }), { claimed: true, attempt: 3, previous: 'interrupted' });
    store.close();
  });

  test('pruning ends a trial at an epoch: a finished status, later epochs removed, not claimable without force', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }])]);
    store.claimTrial('t1', 'o', { force: false, isAlive: alive });
    for (let e = 0; e <= 3; e++) store.insertEpoch('t1', 1, metrics(e, 3 - e / 2, 0.1 * e));
    assert.equal(store.pruneTrial('t1', 1, { epoch: 2, finalCost: 2, finalTrainAcc: 0.5, finalTestAcc: 0.2, bestTestAcc: 0.2,
      backend: 'js', summary: {}, reason: 'pruned at rung 2' }), true);
    assert.deepEqual(store.epochs('t1').map((e) => e.epoch), [0, 1, 2]);
    const t = store.trial('t1');
    assert.deepEqual([t?.status, t?.prunedEpoch, t?.epochsDone, t?.error], ['pruned', 2, 2, 'pruned at rung 2']);
    assert.equal(store.insertEpoch('t1', 1, metrics(4, 1, 0.5)), 'stale');
    assert.deepEqual(store.claimTrial('t1', 'o2', { force: false, isAlive: dead }), { claimed: false, reason: 'finished', status: 'pruned' });
    assert.equal(peek(store).prepare(`SELECT pruned_epoch FROM trial_summary WHERE trial_id = 't1'`).pluck().get(), 2);
    store.close();
  });

  test('a search adds trials to a registered experiment and reads them back with their objective; rung decisions are taken once', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([{ ...registration('s', '/x/s.yaml', []), appendOnly: true }]);
    assert.throws(() => store.addTrials('nope', []), (e: unknown) => e instanceof InputError && e.code === 'UNKNOWN_EXPERIMENT');
    const reg = (id: string, position: number, lr: number) => ({ id, configJson: '{"train":{"lr":1}}', seed: 1, arch: 'a', paramsJson: JSON.stringify({ 'train.lr': lr }), position });
    assert.equal(store.addTrials('s', [reg('t1', 0, 0.1)]), 1);
    assert.equal(store.addTrials('s', [reg('t2', 1, 0.2), reg('t1', 0, 0.1)]), 1);
    store.claimTrial('t1', 'o', { force: false, isAlive: alive });
    for (let e = 0; e <= 2; e++) store.insertEpoch('t1', 1, { ...metrics(e, 3 - e, 0.1 * e), valAcc: 0.2 * e });
    const rows = store.searchTrials('s', 'val_acc');
    assert.deepEqual(rows.map((r) => [r.id, r.position, r.params['train.lr'], r.status, r.lastEpoch, r.value]),
      [['t1', 0, 0.1, 'running', 2, 0.4], ['t2', 1, 0.2, 'pending', null, null]]);
    assert.deepEqual(store.metricAtEpoch('s', 'cost', 1), [{ trialId: 't1', status: 'running', value: 2 }]);
    assert.deepEqual(store.metricAtEpoch('s', 'cost', 1, 't1'), []);
    assert.throws(() => store.searchTrials('s', 'cost; DROP TABLE trials' as 'cost'), /unknown metric/);
    // a decision at a rung is kept: asking again (a restarted trial) returns the first one
    assert.equal(store.recordRung({ experiment: 's', trialId: 't1', epoch: 1, value: 0.2, decision: 'pruned', rule: 'asha' }), 'pruned');
    assert.equal(store.recordRung({ experiment: 's', trialId: 't1', epoch: 1, value: 0.9, decision: 'continued', rule: 'asha' }), 'pruned');
    assert.deepEqual(store.experimentRungs('s').map((r) => [r.trialId, r.epoch, r.value, r.decision]), [['t1', 1, 0.2, 'pruned']]);
    store.setWeightsPath('t1', 'weights/t1.npz');
    assert.equal(store.trial('t1')?.weightsPath, 'weights/t1.npz');
    store.close();
  });

  test('a diagnosis with zero findings still marks the trial diagnosed; a new attempt clears it', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }])]);
    for (const id of ['t1', 't2']) {
      store.claimTrial(id, 'o', { force: false, isAlive: alive });
      store.insertEpoch(id, 1, metrics(0, 3, 0.1));
      store.finishTrial(id, 1, { status: 'done', epochsDone: 0, divergedEpoch: null, finalCost: 3, finalTrainAcc: 0.1,
        finalTestAcc: 0.1, bestTestAcc: 0.1, backend: 'js', finalEval: null, summary: {} });
    }
    assert.deepEqual(store.undiagnosedTrials(['a']), ['t1', 't2']);
    assert.equal(store.replaceDiagnoses('t1', []), true);
    assert.equal(store.replaceDiagnoses('t2', [{ rule: 'poor-init', severity: 'warning', evidence: { x: 1 }, advice: 'do y' }]), true);
    assert.deepEqual(store.undiagnosedTrials(['a']), []);
    assert.deepEqual(store.trialDiagnoses('t2'), [{ rule: 'poor-init', severity: 'warning', evidence: { x: 1 }, advice: 'do y' }]);
    assert.ok(store.trial('t1')?.diagnosedAt);
    store.claimTrial('t2', 'o', { force: true, isAlive: alive });
    assert.equal(store.trial('t2')?.diagnosedAt, null);
    assert.deepEqual(store.trialDiagnoses('t2'), []);
    store.close();
  });

  test('summary views: total seconds, and the best finished trial per experiment', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }, { id: 't3', lr: 3 }])]);
    const finish = (id: string, acc: number, status: 'done' | 'diverged' = 'done') => {
      store.claimTrial(id, 'o', { force: false, isAlive: alive });
      store.insertEpoch(id, 1, metrics(0, 3, 0.1));
      store.insertEpoch(id, 1, metrics(1, 2, acc));
      store.finishTrial(id, 1, { status, epochsDone: 1, divergedEpoch: null, finalCost: 2, finalTrainAcc: acc,
        finalTestAcc: acc, bestTestAcc: acc, backend: 'js', finalEval: null, summary: {} });
    };
    finish('t1', 0.5);
    finish('t2', 0.9, 'diverged'); // not a candidate: only done trials rank
    finish('t3', 0.7);
    assert.equal(peek(store).prepare(`SELECT total_seconds FROM trial_summary WHERE trial_id = 't1'`).pluck().get(), 1.5);
    assert.deepEqual(peek(store).prepare('SELECT experiment, trial_id, final_test_acc FROM best_trials').all(),
      [{ experiment: 'a', trial_id: 't3', final_test_acc: 0.7 }]);
    store.close();
  });
});

describe('migration 1 -> 2', () => {
  test('an old database keeps its rows: attempts numbered, epochs re-keyed, diagnosed trials marked, views rebuilt', () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const v1 = new Database(path);
    const first = MIGRATIONS[0];
    assert.ok(first);
    v1.exec(first.sql);
    v1.pragma('user_version = 1');
    v1.exec(`
      INSERT INTO experiments VALUES ('old', '', '/x/old.yaml', 'name: old', 't', 't', '{}');
      INSERT INTO trials (id, experiment, status, config_json, seed, arch, created_at, final_test_acc)
        VALUES ('done1', 'old', 'done', '{}', 1, 'a', 't', 0.9), ('pend1', 'old', 'pending', '{}', 1, 'a', 't', NULL);
      INSERT INTO experiment_trials VALUES ('old', 'done1', '{}', 0), ('old', 'pend1', '{}', 1);
      INSERT INTO epochs (trial_id, epoch, cost) VALUES ('done1', 0, 3), ('done1', 1, 2);
      INSERT INTO diagnoses VALUES ('done1', 'poor-init', 'warning', '{}', 'x', '2026-01-01');
      CREATE VIEW trials_old AS SELECT s.trial_id FROM trial_summary s WHERE s.experiment = 'old';`);
    v1.close();
    const store = Store.open(path);
    assert.deepEqual(peek(store).prepare('SELECT id, attempt, diagnosed_at FROM trials ORDER BY id').all(), [
      { id: 'done1', attempt: 1, diagnosed_at: '2026-01-01' }, { id: 'pend1', attempt: 0, diagnosed_at: null },
    ]);
    assert.deepEqual(store.epochs('done1').map((e) => [e.epoch, e.cost]), [[0, 3], [1, 2]]);
    assert.equal(peek(store).prepare('SELECT count(*) FROM trials_old').pluck().get(), 2);
    assert.deepEqual(peek(store).prepare('SELECT trial_id FROM best_trials').pluck().all(), ['done1']);
    assert.deepEqual(peek(store).pragma('foreign_key_check'), []);
    assert.equal(peek(store).pragma('foreign_keys', { simple: true }), 1);
    // the cascade still works after the rebuild
    peek(store).prepare(`DELETE FROM trials WHERE id = 'done1'`).run();
    assert.equal(peek(store).prepare('SELECT count(*) FROM epochs').pluck().get(), 0);
    store.close();
  });
});

describe('read side', () => {
  test('a read-only connection refuses every write, PRAGMA changes included, and resolves id prefixes', () => {
    const path = freshPath();
    const store = Store.open(path);
    store.registerExperiments([registration('a', '/x/a.yaml', [{ id: 'abc123', lr: 1 }, { id: 'abd456', lr: 2 }])]);
    store.close();
    const reader = ResultsReader.open(path);
    for (const sql of [`DELETE FROM trials`, `CREATE TABLE x (y)`, `PRAGMA user_version = 9`]) {
      assert.throws(() => reader.query(sql), (e: unknown) => e instanceof InputError && e.code === 'BAD_SQL', sql);
    }
    assert.deepEqual(reader.query('SELECT count(*) AS n FROM trials'), { columns: ['n'], rows: [[2]] });
    assert.equal(reader.resolveTrialId('abc'), 'abc123');
    assert.throws(() => reader.resolveTrialId('ab'), (e: unknown) => e instanceof InputError && e.code === 'AMBIGUOUS_TRIAL');
    assert.throws(() => reader.resolveTrialId('ff'), (e: unknown) => e instanceof InputError && e.code === 'UNKNOWN_TRIAL');
    reader.close();
    const raw = openReadOnly(path);
    assert.throws(() => raw.prepare(`DELETE FROM trials`).run(), /readonly|query_only|attempt to write/i);
    raw.close();
    assert.throws(() => openReadOnly(join(dir, 'nope.db')), (e: unknown) => e instanceof InputError && e.code === 'NO_DATABASE');
  });

  test('a read-only open of an older schema says so and changes nothing', () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const v1 = new Database(path);
    const first = MIGRATIONS[0];
    assert.ok(first);
    v1.exec(first.sql);
    v1.pragma('user_version = 1');
    v1.close();
    assert.throws(() => ResultsReader.open(path), (e: unknown) => e instanceof StoreError && e.code === 'SCHEMA_OLD');
    const check = new Database(path, { readonly: true });
    assert.equal(check.pragma('user_version', { simple: true }), 1);
    check.close();
  });
});

describe('databases that are not ours, and runs that died', () => {
  test('a file that is not SQLite, or a device, is refused naming it; another program\'s database is left unchanged (no WAL switch)', () => {
    const path = join(dir, 'text.db');
    writeFileSync(path, 'hello, not a database');
    assert.throws(() => Store.open(path), (e: unknown) => e instanceof StoreError && e.code === 'NOT_SQLITE' && e.message.startsWith(path));
    assert.throws(() => Store.open('/dev/null'), (e: unknown) => e instanceof StoreError && e.code === 'NOT_SQLITE' && /character device/.test(e.message));
    const other = join(dir, 'theirs.db');
    const raw = new Database(other);
    raw.exec('CREATE TABLE t (x)');
    raw.close();
    assert.throws(() => Store.open(other), (e: unknown) => e instanceof StoreError && e.code === 'NOT_SWEEPLAB');
    const check = new Database(other, { readonly: true });
    assert.equal(check.pragma('journal_mode', { simple: true }), 'delete');
    assert.equal(check.pragma('user_version', { simple: true }), 0);
    check.close();
  });

  test('experiment names whose views would collide (case, or - vs _) are refused at registration', () => {
    const store = Store.open(freshPath());
    store.registerExperiments([registration('lr-sweep', '/x/a.yaml', [{ id: 't1', lr: 1 }])]);
    for (const name of ['lr_sweep', 'LR-sweep', 'lr.sweep']) {
      assert.throws(() => store.registerExperiments([registration(name, `/x/${name}.yaml`, [{ id: 't2', lr: 2 }])]),
        (e: unknown) => e instanceof InputError && e.code === 'NAME_CONFLICT' && /trials_lr_sweep/i.test(e.message) && /"lr-sweep"/.test(e.message), name);
    }
    assert.equal(peek(store).prepare('SELECT count(*) FROM experiments').pluck().get(), 1);
    store.close();
  });

  test('environment rows of runs that died are closed as interrupted; live ones stay running', () => {
    const store = Store.open(freshPath());
    const env = (runId: string, owner: string | null) => ({
      runId, owner, startedAt: '2026-01-01T00:00:00Z', command: 'run x', sweeplabVersion: '0', gitCommit: null, nodeVersion: 'v20',
      platform: 'linux', cpu: null, cores: 2, kernelBackend: 'js', openblasCore: null, dataFingerprints: {},
    });
    store.startEnvironment(env('dead-run', 'host:1:dead-run'));
    store.startEnvironment(env('live-run', 'host:2:live-run'));
    store.startEnvironment(env('old-run', null)); // written before owners were recorded, no trial running
    store.startEnvironment(env('done-run', 'host:1:done-run'));
    store.finishEnvironment('done-run', 'done');
    assert.deepEqual(store.closeDeadEnvironments((o) => o === 'host:2:live-run').sort(), ['dead-run', 'old-run']);
    assert.deepEqual(peek(store).prepare('SELECT run_id, status FROM environment ORDER BY run_id').all(), [
      { run_id: 'dead-run', status: 'interrupted' }, { run_id: 'done-run', status: 'done' },
      { run_id: 'live-run', status: 'running' }, { run_id: 'old-run', status: 'interrupted' },
    ]);
    store.close();
  });
});
