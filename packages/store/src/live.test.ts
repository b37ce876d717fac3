// The live reads of `sweeplab serve`: the change counter of migration 4 (what bumps trials.rev and what does not),
// the list rows and overviews, and the read-only query of the SQL box (refusals with a reason, the row cap).
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { InputError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION } from './migrations.js';
import { ResultsReader } from './reader.js';
import { Store, type ExperimentRegistration } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-live-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db${n++}`, 'results.db');
const alive = () => true;

function registration(name: string, trials: Array<{ id: string; lr: number }>, description = `${name} description`): ExperimentRegistration {
  return {
    name, description, file: `/x/${name}.yaml`, yaml: `name: ${name}\n`, resolvedJson: '{}', sweptPaths: ['train.lr'],
    trials: trials.map((t, i) => ({
      id: t.id, configJson: JSON.stringify({ model: { layers: [4, 2] }, train: { lr: t.lr } }), seed: 1, arch: '4-2',
      paramsJson: JSON.stringify({ 'train.lr': t.lr }), position: i,
    })),
  };
}

function metrics(epoch: number, testAcc: number): EpochMetrics {
  return {
    epoch, measured: true, cost: 1 / (epoch + 1), loss: 1 / (epoch + 1), l2Term: 0, trainAcc: testAcc, testAcc, valAcc: null,
    lr: 0.1, outMean: 0.1, outStd: 0.2, outUnitMean: [0.1], outUnitStd: [0.3], gradNorm: [1], updateRatio: [null],
    weightNorm: [3], weightMean: [0], saturation: [], seconds: 0.5, evalSeconds: 0.25,
  };
}

const finish = (acc: number) => ({
  status: 'done' as const, epochsDone: 1, divergedEpoch: null, finalCost: 0.5, finalTrainAcc: acc, finalTestAcc: acc,
  bestTestAcc: acc, backend: 'js', finalEval: null, summary: {},
});

/** The ids of the trials changed since `rev`, in change order, and the new largest rev. */
function changed(r: ResultsReader, rev: number): { ids: string[]; rev: number } {
  const rows = r.trialsChangedSince(rev, 100);
  return { ids: rows.map((t) => t.id), rev: rows.at(-1)?.rev ?? rev };
}

describe('change counter (trials.rev)', () => {
  test('inserts, claims, epochs, finishes, diagnoses and links bump it; heartbeats do not', () => {
    const path = freshPath();
    const store = Store.open(path);
    store.registerExperiments([registration('a', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }])]);
    const r = ResultsReader.open(path);
    let seen = changed(r, 0);
    assert.deepEqual(seen.ids, ['t1', 't2'], 'new trials are changes');
    assert.equal(r.changeMarks().rev, seen.rev);

    store.claimTrial('t2', 'me', { force: false, isAlive: alive });
    store.heartbeat('me');
    seen = changed(r, seen.rev);
    assert.deepEqual(seen.ids, ['t2'], 'the claim, not the heartbeat');
    store.heartbeat('me');
    assert.deepEqual(changed(r, seen.rev).ids, [], 'a heartbeat alone is no change');

    store.insertEpoch('t2', 1, metrics(0, 0.3));
    store.insertEpoch('t2', 1, metrics(1, 0.6));
    const afterEpochs = changed(r, seen.rev);
    assert.deepEqual(afterEpochs.ids, ['t2']);
    assert.deepEqual(r.epochsAfter('t2', 1, 0).map((e) => e.epoch), [1], 'only the epochs after the one seen');
    const row = r.trialsChangedSince(seen.rev, 10)[0];
    assert.equal(row?.epochsDone, 1);
    assert.equal(row?.seconds, 1.5);
    assert.equal(row?.status, 'running');
    seen = afterEpochs;

    store.finishTrial('t2', 1, finish(0.6));
    store.replaceDiagnoses('t2', [{ rule: 'lr-too-small', severity: 'warning', evidence: {}, advice: 'raise lr' }]);
    seen = changed(r, seen.rev);
    assert.deepEqual(seen.ids, ['t2'], 'one trial, its latest state');
    const done = r.trialList(['t2'])[0];
    assert.equal(done?.status, 'done');
    assert.deepEqual(done?.findings, [{ rule: 'lr-too-small', severity: 'warning' }]);

    // a second experiment linking t1: t1 changes (it gained a link); re-registering `a` without t1 unlinks it
    store.registerExperiments([registration('b', [{ id: 't1', lr: 1 }])]);
    seen = changed(r, seen.rev);
    assert.deepEqual(seen.ids, ['t1']);
    assert.deepEqual(r.trialList(['t1'])[0]?.links.map((l) => l.experiment), ['a', 'b']);
    store.registerExperiments([registration('a', [{ id: 't2', lr: 2 }])]);
    const relinked = changed(r, seen.rev);
    assert.ok(relinked.ids.includes('t1'), 'losing a link is a change');
    assert.deepEqual(r.trialList(['t1'])[0]?.links.map((l) => l.experiment), ['b']);
    r.close();
    store.close();
  });

  test('an existing database gets the column at 0 and its next change bumps it above every earlier rev', () => {
    const path = freshPath();
    mkdirSync(dirname(path), { recursive: true });
    const old = new Database(path);
    old.pragma('legacy_alter_table = ON'); // as db.ts applies the table rebuild of migration 2
    for (const m of MIGRATIONS.slice(0, 3)) old.exec(m.sql);
    old.pragma('user_version = 3');
    old.prepare(`INSERT INTO experiments VALUES ('a', '', '/x/a.yaml', '', 'x', 'x', '{}')`).run();
    old.prepare(`INSERT INTO trials (id, experiment, config_json, seed, arch, created_at) VALUES ('t1', 'a', '{}', 1, 'x', 'x')`).run();
    old.close();
    const store = Store.open(path);
    const r = ResultsReader.open(path);
    assert.equal(SCHEMA_VERSION >= 4, true);
    assert.deepEqual(r.changeMarks(), { rev: 0, gradcheckId: 0 });
    store.claimTrial('t1', 'me', { force: false, isAlive: alive });
    assert.deepEqual(changed(r, 0).ids, ['t1']);
    r.close();
    store.close();
  });
});

describe('list rows and overviews', () => {
  test('counts by status, the best finished trial, links with params, marks of every trial', () => {
    const path = freshPath();
    const store = Store.open(path);
    store.registerExperiments([registration('a', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }, { id: 't3', lr: 3 }]), registration('b', [])]);
    for (const [id, acc] of [['t1', 0.7], ['t2', 0.9]] as const) {
      store.claimTrial(id, 'me', { force: false, isAlive: alive });
      store.insertEpoch(id, 1, metrics(0, acc));
      store.finishTrial(id, 1, finish(acc));
    }
    store.replaceDiagnoses('t1', [{ rule: 'lr-too-small', severity: 'warning', evidence: {}, advice: 'raise lr' }]);
    store.replaceDiagnoses('t2', [{ rule: 'lr-too-small', severity: 'warning', evidence: {}, advice: 'raise it' },
      { rule: 'overfitting', severity: 'critical', evidence: {}, advice: 'regularise' }]);
    const r = ResultsReader.open(path);
    assert.deepEqual(r.experimentFindingCounts('a'), [
      { rule: 'overfitting', severity: 'critical', trials: 1, example: { trialId: 't2', advice: 'regularise' } },
      { rule: 'lr-too-small', severity: 'warning', trials: 2, example: { trialId: 't1', advice: 'raise lr' } },
    ]);
    assert.deepEqual(r.experimentHeads().map((e) => e.name), ['a', 'b']);
    const [a, b] = r.experimentOverviews();
    assert.equal(a?.name, 'a');
    assert.deepEqual(a?.counts, { done: 2, pending: 1 });
    assert.equal(a?.trials, 3);
    assert.deepEqual(a?.best, { trialId: 't2', finalTestAcc: 0.9 });
    assert.ok((a?.lastActivity ?? '') >= (a?.updatedAt ?? 'z'));
    assert.deepEqual(b?.counts, {});
    assert.equal(b?.best, null);
    assert.equal(r.experimentOverview('nope'), undefined);
    const list = r.experimentTrialList('a');
    assert.deepEqual(list.map((t) => [t.id, t.status, t.links[0]?.params['train.lr'], t.links[0]?.position]),
      [['t1', 'done', 1, 0], ['t2', 'done', 2, 1], ['t3', 'pending', 3, 2]]);
    assert.deepEqual(r.trialList(['t3', 'zz', 't1']).map((t) => t.id), ['t3', 't1']);
    assert.deepEqual(list.map((t) => t.seconds), [0.75, 0.75, null]);
    assert.deepEqual(r.experimentTrialList('a', { seconds: false }).map((t) => t.seconds), [null, null, null]);
    assert.deepEqual([...r.experimentSeconds('a')], [['t1', 0.75], ['t2', 0.75]]);
    const table = r.experimentTrialTable('a');
    const rows = JSON.parse(table.json) as unknown[][];
    const at = (row: unknown[] | undefined, col: string) => row?.[table.columns.indexOf(col)];
    assert.deepEqual(rows.map((x) => [at(x, 'id'), at(x, 'status'), at(x, 'position'), at(x, 'params'), at(x, 'finalTestAcc')]),
      [['t1', 'done', 0, { 'train.lr': 1 }, 0.7], ['t2', 'done', 1, { 'train.lr': 2 }, 0.9], ['t3', 'pending', 2, { 'train.lr': 3 }, null]]);
    assert.deepEqual(at(rows[1], 'findings'), [['lr-too-small', 'warning'], ['overfitting', 'critical']]);
    assert.equal(r.experimentTrialTable('b').json, '[]');
    const marks = new Map(r.trialMarks().map((m) => [m.id, m]));
    const { diagnosedAt, ...mark } = marks.get('t1') ?? { diagnosedAt: null };
    assert.deepEqual(mark, { id: 't1', attempt: 1, status: 'done', lastEpoch: 1, experiments: ['a'] });
    assert.equal(typeof diagnosedAt, 'string');
    assert.equal(marks.get('t3')?.diagnosedAt, null);
    assert.equal(marks.get('t3')?.lastEpoch, -1);
    assert.deepEqual([...r.epochsOfTrials(['t1', 't2']).keys()], ['t1', 't2']);
    const objects = r.schemaObjects();
    assert.ok(objects.some((o) => o.name === 'trials' && o.type === 'table' && o.columns.includes('rev')));
    assert.ok(objects.some((o) => o.name === 'trials_a' && o.type === 'view' && o.columns.includes('train_lr')));
    r.close();
    store.close();
  });
});

describe('read-only query', () => {
  test('refuses writes, ATTACH and PRAGMA settings with the reason; caps rows', () => {
    const path = freshPath();
    const store = Store.open(path);
    store.registerExperiments([registration('a', [{ id: 't1', lr: 1 }, { id: 't2', lr: 2 }, { id: 't3', lr: 3 }])]);
    store.close();
    const r = ResultsReader.open(path);
    const refused = (sql: string, why: RegExp) => assert.throws(() => r.query(sql),
      (e: unknown) => e instanceof InputError && e.code === 'BAD_SQL' && why.test(e.message), sql);
    refused('DELETE FROM trials', /DELETE is refused.*read-only/);
    refused(`ATTACH DATABASE '${join(dir, 'other.db')}' AS other`, /ATTACH is refused/);
    refused('  -- sneaky\n  PRAGMA query_only = OFF', /PRAGMA query_only with a value is refused/);
    refused('PRAGMA user_version(7)', /PRAGMA user_version with a value is refused/);
    refused('PRAGMA wal_checkpoint', /PRAGMA wal_checkpoint is refused/);
    refused('SELEC 1', /bad SQL/);
    assert.deepEqual(r.query('PRAGMA user_version').rows, [[SCHEMA_VERSION]]);
    assert.ok(r.query('PRAGMA table_info(trials)').rows.length > 20);
    const capped = r.query('SELECT id FROM trials ORDER BY id', { maxRows: 2 });
    assert.deepEqual(capped, { columns: ['id'], rows: [['t1'], ['t2']], truncated: true });
    assert.equal(r.query('SELECT id FROM trials', { maxRows: 3 }).truncated, false);
    r.close();
  });
});
