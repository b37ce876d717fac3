import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { InputError, Store } from '@sweeplab/store';
import { BASELINES_EXPERIMENT, BUILT_IN_FILE, baselineSpec } from './baselines.js';
import { diagnoseTrial } from '../commands/diagnose.js';
import { loadExperiment, type TrialConfig } from '../config/index.js';
import { runLoaded } from '../run.js';
import type { RunEvent } from '../scheduler/events.js';
import { copyDb, events, pool, runOpts, tempDir, tinyConfig, tinyExperiment, writeTinyIdx } from '../testing/fixtures.js';

type TrialConfigInput = TrialConfig;
type BaselinesEvent = Extract<RunEvent, { type: 'baselines' }>;

/** diagnose options on `db` that collect the baselines events. */
function diag(db: string, notes: BaselinesEvent[] = []) {
  return { db, executor: pool(), emit: (e: RunEvent) => { if (e.type === 'baselines') notes.push(e); } };
}

type Row = Record<string, unknown>;

const ro = (db: string) => new Database(db, { readonly: true, fileMustExist: true });
function query<T = Row>(db: string, sql: string, ...args: unknown[]): T[] {
  const d = ro(db);
  try {
    return d.prepare(sql).all(...args) as T[];
  } finally {
    d.close();
  }
}
const one = <T = Row>(db: string, sql: string, ...args: unknown[]) => query<T>(db, sql, ...args)[0];

const SEVERITY_RANK = { critical: 0, warning: 1, info: 2 } as const;

const dir = tempDir();
const dataDir = writeTinyIdx(join(dir, 'data'));

/** The tiny config with the seed a YAML file's seed sweep gives: train.seed and the subsets' (unused) seeds. */
function seeded(c: TrialConfigInput, seed: number): TrialConfigInput {
  const d = c.data as unknown as { train: Row; test: Row };
  return { ...c, data: { ...c.data, train: { ...d.train, seed }, test: { ...d.test, seed } } as TrialConfigInput['data'], train: { ...c.train, seed } };
}

describe('diagnose', () => {
  // one trained database (4 trials, no diagnosis); each test works on its own copy
  const trained = join(dir, 'diag.db');
  // 16-2-3: a hidden layer narrower than the 3 classes, so too-little-capacity must fire (a warning)
  const narrow = tinyConfig(dataDir, { model: { layers: [16, 2, 3] } });
  const narrowSeed2 = seeded(narrow, 2);
  const wide = tinyConfig(dataDir, { train: { lr: 1 } });
  const logistic = tinyConfig(dataDir, { model: { layers: [16, 3] } });
  const exp = tinyExperiment(dir, 'diag', [
    { config: narrow }, { config: narrowSeed2, params: { 'train.lr': 0.5, 'train.seed': 2 } }, { config: wide }, { config: logistic },
  ]);
  const [narrowId, narrowSeed2Id, wideId, logisticId] = exp.trials.map((t) => t.id) as [string, string, string, string];

  before(async () => {
    const res = await runLoaded([exp], runOpts(trained));
    assert.equal(res.counts.done, 4);
    assert.equal(res.diagnosed, 0);
    assert.equal(one<{ n: number }>(trained, 'SELECT count(*) AS n FROM diagnoses')!.n, 0);
  });

  /** A copy in which the narrow trial was diagnosed, so the baseline of the data exists. */
  async function withBaseline(): Promise<{ db: string; baselineId: string }> {
    const db = copyDb(trained);
    const d = await diagnoseTrial(narrowId, diag(db));
    assert.equal(d.baseline?.ran, true);
    return { db, baselineId: d.baseline?.trialId ?? '' };
  }

  test('a logistic-regression trial is its own baseline: nothing is trained for it', async () => {
    const db = copyDb(trained);
    const notes: BaselinesEvent[] = [];
    const d = await diagnoseTrial(logisticId.slice(0, 7), diag(db, notes));
    assert.equal(d.trialId, logisticId);
    assert.equal(d.baseline?.self, true);
    const t = one(db, 'SELECT final_train_acc FROM trials WHERE id = ?', logisticId)!;
    assert.equal(d.baseline?.trainAcc, t.final_train_acc);
    assert.deepEqual(notes, []);
    assert.equal(one(db, 'SELECT name FROM experiments WHERE name = ?', BASELINES_EXPERIMENT), undefined);
    assert.equal(one<{ n: number }>(db, 'SELECT count(*) AS n FROM trials')!.n, 4);
    // with no hidden layer, too-little-capacity has nothing to say
    assert.ok(!d.findings.some((f) => f.rule === 'too-little-capacity'));
  });

  test('stores the findings, replacing the previous rows; trains the baseline once under _baselines', async () => {
    const db = copyDb(trained);
    const w = new Database(db);
    const now = new Date().toISOString();
    const ins = w.prepare('INSERT INTO diagnoses (trial_id, rule, severity, evidence_json, advice, created_at) VALUES (?, ?, ?, ?, ?, ?)');
    ins.run(narrowId, 'stale-rule', 'critical', '{}', 'old advice', now);
    ins.run(narrowId, 'too-little-capacity', 'info', '{}', 'old advice', now);
    w.close();

    const notes: BaselinesEvent[] = [];
    const d = await diagnoseTrial(narrowId, diag(db, notes));
    const cap = d.findings.find((f) => f.rule === 'too-little-capacity');
    assert.ok(cap, 'a 2-unit hidden layer for 3 classes is a bottleneck');
    assert.equal(cap.severity, 'warning');
    assert.equal(cap.evidence.narrowestHidden, 2);
    assert.equal(cap.evidence.outputs, 3);
    const ranks = d.findings.map((f) => SEVERITY_RANK[f.severity]);
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b), 'most severe first');

    // the stored rows are exactly the findings: the stale rule is gone, the capacity row replaced
    const rows = query<{ rule: string; severity: string; evidence_json: string; advice: string }>(db,
      'SELECT rule, severity, evidence_json, advice FROM diagnoses WHERE trial_id = ? ORDER BY rule', narrowId);
    assert.deepEqual(rows.map((r) => r.rule), d.findings.map((f) => f.rule).sort());
    for (const r of rows) {
      const f = d.findings.find((x) => x.rule === r.rule)!;
      assert.equal(r.severity, f.severity);
      assert.equal(r.advice, f.advice);
      assert.deepEqual(JSON.parse(r.evidence_json), JSON.parse(JSON.stringify(f.evidence)));
    }
    assert.ok(!rows.some((r) => r.advice === 'old advice'));

    // the baseline: one trial [16, 3] of the built-in experiment, trained now, passed to the rule
    const b = d.baseline!;
    assert.equal(b.self, false);
    assert.equal(b.ran, true);
    assert.match(b.trialId ?? '', /^[0-9a-f]{16}$/);
    assert.equal(notes.length, 1);
    assert.deepEqual(notes[0]?.trials.map((x) => [x.id, x.layers, x.status]), [[b.trialId, [16, 3], 'done']]);
    const e = one(db, 'SELECT * FROM experiments WHERE name = ?', BASELINES_EXPERIMENT)!;
    assert.equal(e.file, BUILT_IN_FILE);
    assert.match(e.description as string, /logistic-regression/i);
    assert.deepEqual(query(db, 'SELECT trial_id, position FROM experiment_trials WHERE experiment = ?', BASELINES_EXPERIMENT),
      [{ trial_id: b.trialId, position: 0 }]);
    const bt = one(db, 'SELECT * FROM trials WHERE id = ?', b.trialId)!;
    assert.equal(bt.status, 'done');
    const bc = JSON.parse(bt.config_json as string) as TrialConfigInput;
    assert.deepEqual(bc.model.layers, [16, 3]);
    assert.deepEqual(bc.data, narrow.data, 'the data section is the trial\'s (its path is absolute already)');
    assert.equal(bc.train.optimizer, 'adam');
    assert.equal(bc.train.epochs, 5);
    assert.equal(bc.gradcheck.enabled, false);
    assert.equal(b.trainAcc, bt.final_train_acc);
    assert.equal(cap.evidence.baselineTrainAcc, bt.final_train_acc);
    // the baseline is a finished trial too: it got its diagnosis (5 updates of batch 128 on 60 examples is < 100,
    // which too-few-iterations flags unless the net already fits its data)
    if ((bt.final_train_acc as number) < 0.98) {
      assert.ok(query(db, 'SELECT rule FROM diagnoses WHERE trial_id = ?', b.trialId).some((r) => r.rule === 'too-few-iterations'));
    }
    assert.equal(d.position, 0);
    assert.equal(d.experiment, 'diag');
  });

  test('the baseline is reused: by a seed replicate of the same data and by another architecture on it', async () => {
    const { db } = await withBaseline();
    const base = one(db, 'SELECT id, started_at FROM trials WHERE experiment = ?', BASELINES_EXPERIMENT)!;
    const envs = one<{ n: number }>(db, 'SELECT count(*) AS n FROM environment')!.n;
    for (const id of [narrowSeed2Id, wideId, narrowId]) {
      const notes: BaselinesEvent[] = [];
      const d = await diagnoseTrial(id, diag(db, notes));
      assert.equal(d.baseline?.trialId, base.id, id);
      assert.equal(d.baseline?.ran, false);
      assert.deepEqual(notes, []);
    }
    assert.deepEqual(query(db, 'SELECT id, started_at FROM trials WHERE id IN (SELECT trial_id FROM experiment_trials WHERE experiment = ?)', BASELINES_EXPERIMENT), [base]);
    assert.equal(one<{ n: number }>(db, 'SELECT count(*) AS n FROM environment')!.n, envs);
  });

  test('the baseline id is the id of the same config in a YAML file', async () => {
    const { db } = await withBaseline();
    const id = one<{ trial_id: string }>(db, 'SELECT trial_id FROM experiment_trials WHERE experiment = ?', BASELINES_EXPERIMENT)!.trial_id;
    // written by hand from the documented baseline (the defaults fill the rest), in another directory
    const other = tempDir();
    const hand = join(other, 'hand.yaml');
    writeFileSync(hand, [
      'description: the logistic-regression baseline, by hand',
      `data: { dataset: idx, path: ${JSON.stringify(dataDir)}, train: { offset: 0, count: 60 }, test: { offset: 0, count: 30 }, scale: [0, 1] }`,
      'model: { layers: [16, 3], activation: relu, output: softmax, loss: cross-entropy, init: xavier }',
      'train: { optimizer: adam, lr: 0.001, batch: 128, epochs: 5, l2: 0, dtype: float32, seed: 1 }',
      'gradcheck: false',
      '',
    ].join('\n'));
    assert.equal(loadExperiment(hand).trials[0]!.id, id);
    // the YAML stored for _baselines loads to the same trial and the same resolved config
    const stored = join(other, 'stored.yaml');
    writeFileSync(stored, one<{ yaml: string }>(db, 'SELECT yaml FROM experiments WHERE name = ?', BASELINES_EXPERIMENT)!.yaml);
    const loaded = loadExperiment(stored).trials[0]!;
    assert.equal(loaded.id, id);
    assert.deepEqual(loaded.config, JSON.parse(one<{ config_json: string }>(db, 'SELECT config_json FROM trials WHERE id = ?', id)!.config_json));
  });

  test('another data section gets a second baseline; _baselines keeps the first and lists both in its YAML', async () => {
    const { db } = await withBaseline();
    const first = one<{ trial_id: string }>(db, 'SELECT trial_id FROM experiment_trials WHERE experiment = ?', BASELINES_EXPERIMENT)!.trial_id;
    const half = tinyConfig(dataDir, { model: { layers: [16, 2, 3] }, data: { train: { offset: 30, count: 30, sample: 'first', seed: 1 } } });
    const exp2 = tinyExperiment(dir, 'diag-half', [{ config: half }]);
    await runLoaded([exp2], runOpts(db));
    const d = await diagnoseTrial(exp2.trials[0]!.id, diag(db));
    assert.equal(d.baseline?.ran, true);
    assert.notEqual(d.baseline?.trialId, first);
    assert.deepEqual(query(db, 'SELECT trial_id, position FROM experiment_trials WHERE experiment = ? ORDER BY position', BASELINES_EXPERIMENT),
      [{ trial_id: first, position: 0 }, { trial_id: d.baseline!.trialId, position: 1 }]);
    const yaml = one<{ yaml: string }>(db, 'SELECT yaml FROM experiments WHERE name = ?', BASELINES_EXPERIMENT)!.yaml;
    const docs = yaml.split(/^---$/m);
    assert.equal(docs.length, 2);
    assert.match(docs[0]!, new RegExp(`trial ${first}`));
    assert.match(docs[1]!, new RegExp(`trial ${d.baseline!.trialId}`));
    assert.match(docs[1]!, /offset: 30/);
  });

  test('replacing the diagnosis of a trial that does not exist writes nothing', () => {
    const db = copyDb(trained);
    const s = Store.open(db);
    try {
      assert.equal(s.replaceDiagnoses('0000000000000000', [{ rule: 'overfitting', severity: 'info', evidence: {}, advice: 'x' }]), false);
    } finally {
      s.close();
    }
    assert.deepEqual(query(db, `SELECT trial_id FROM diagnoses WHERE trial_id = '0000000000000000'`), []);
  });

  test('relative data paths become absolute in the baseline; the seed of a `first` subset does not matter', () => {
    const relative = tinyConfig('./data');
    const spec = baselineSpec(relative, dir);
    assert.equal(spec.config.data.path, dataDir);
    assert.equal(spec.id, baselineSpec(narrow, '/somewhere/else').id);
    assert.equal(baselineSpec(narrowSeed2, dir).id, spec.id);
    const random = tinyConfig(dataDir, { data: { train: { offset: 0, count: 30, sample: 'random', seed: 5 } } });
    const other = tinyConfig(dataDir, { data: { train: { offset: 0, count: 30, sample: 'random', seed: 6 } } });
    assert.notEqual(baselineSpec(random, dir).id, baselineSpec(other, dir).id, 'a random subset\'s seed selects the data');
  });

  test('an unknown trial id and a missing database are input errors', async () => {
    const db = copyDb(trained);
    await assert.rejects(diagnoseTrial('ffffffffffff', diag(db)), (e: unknown) => e instanceof InputError && e.code === 'UNKNOWN_TRIAL');
    await assert.rejects(diagnoseTrial('abc', diag(join(dir, 'none.db'))), (e: unknown) => e instanceof InputError && e.code === 'NO_DATABASE');
  });
});

describe('run diagnoses what it finished', () => {
  const narrowA = tinyConfig(dataDir, { model: { layers: [16, 2, 3] } });
  const narrowB = tinyConfig(dataDir, { model: { layers: [16, 2, 3] }, train: { lr: 1 } });

  test('after training the baseline of their data once; a second run has nothing to diagnose', async () => {
    const db = join(dir, 'run-diag.db');
    const exp = tinyExperiment(dir, 'run-diag', [{ config: narrowA }, { config: narrowB }]);
    const ev = events();
    const res = await runLoaded([exp], runOpts(db, { emit: ev.emit, diagnose: true }));
    assert.equal(res.exitCode, 0);
    assert.equal(res.diagnosed, 2);
    const trained = ev.all.filter((e): e is BaselinesEvent => e.type === 'baselines');
    assert.deepEqual(trained.map((e) => e.trials.map((t) => t.layers)), [[[16, 3]]]);
    assert.deepEqual(ev.all.filter((e) => e.type === 'diagnosed').map((e) => e.type === 'diagnosed' && e.trials), [2]);
    const base = query<{ id: string; status: string; final_train_acc: number }>(db,
      'SELECT t.id, t.status, t.final_train_acc FROM trials t JOIN experiment_trials et ON et.trial_id = t.id WHERE et.experiment = ?',
      BASELINES_EXPERIMENT);
    assert.equal(base.length, 1);
    assert.equal(base[0]!.status, 'done');
    for (const t of exp.trials) {
      const cap = one<{ severity: string; evidence_json: string }>(db,
        `SELECT severity, evidence_json FROM diagnoses WHERE trial_id = ? AND rule = 'too-little-capacity'`, t.id);
      assert.equal(cap?.severity, 'warning', t.id);
      assert.equal(JSON.parse(cap!.evidence_json).baselineTrainAcc, base[0]!.final_train_acc);
    }
    const again = events();
    const res2 = await runLoaded([exp], runOpts(db, { emit: again.emit, diagnose: true }));
    assert.equal(res2.counts.skipped, 2);
    assert.equal(res2.diagnosed, 0);
    assert.ok(!again.all.some((e) => e.type === 'baselines' || e.type === 'diagnosed'));
    assert.equal(one<{ n: number }>(db, 'SELECT count(*) AS n FROM trials')!.n, 3);
  });

  test('diagnose: false leaves the diagnoses table empty and trains no baseline', async () => {
    const db = join(dir, 'run-nodiag.db');
    const exp = tinyExperiment(dir, 'run-nodiag', [{ config: narrowA }]);
    const res = await runLoaded([exp], runOpts(db, { diagnose: false }));
    assert.equal(res.counts.done, 1);
    assert.equal(res.diagnosed, 0);
    assert.equal(one<{ n: number }>(db, 'SELECT count(*) AS n FROM diagnoses')!.n, 0);
    assert.equal(one(db, 'SELECT name FROM experiments WHERE name = ?', BASELINES_EXPERIMENT), undefined);
  });
});
