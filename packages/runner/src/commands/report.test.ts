import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import type { EpochRow, Finding, ReportInput } from '@sweeplab/reporting';
import { InputError } from '@sweeplab/store';
import { BASELINES_EXPERIMENT, BUILT_IN_FILE } from '../pipeline/baselines.js';
import { runExperiments } from '../run.js';
import { copyDb, runOpts, tempDir, writeTinyIdx } from '../testing/fixtures.js';
import { loadReportInput, reportExperiment } from './report.js';

type Row = Record<string, unknown>;

/** loadReportInput gives Maps. */
const epochsOf = (input: ReportInput, id: string) => (input.epochs as ReadonlyMap<string, readonly EpochRow[]>).get(id) ?? [];
const diagnosesOf = (input: ReportInput) => input.diagnoses as ReadonlyMap<string, readonly Finding[]>;

const dir = tempDir();
writeTinyIdx(join(dir, 'data'));
const DESCRIPTION = '<script>alert("pwned")</script> & <b>bold</b>';
const file = join(dir, 'rep.yaml');
writeFileSync(file, `name: rep
description: '${DESCRIPTION}'
data: { dataset: idx, path: ./data, train: 60, test: 30 }
model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, loss: cross-entropy, init: xavier }
train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 3, seed: 1 }
gradcheck: { samples: 30 }
sweep:
  grid:
    train.lr: [0.5, 1]
  seeds: [1, 2]
`);
const trained = join(dir, 'results.db');

function query<T = Row>(db: string, sql: string, ...args: unknown[]): T[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return d.prepare(sql).all(...args) as T[];
  } finally {
    d.close();
  }
}

describe('report', () => {
  // one diagnosed sweep of 2 learning rates x 2 seeds; each test reads or changes its own copy
  before(async () => {
    const res = await runExperiments([file], runOpts(trained, { diagnose: true }));
    assert.equal(res.counts.done, 4);
    assert.equal(res.diagnosed, 4);
  });

  test('the input: trials in position order with params, epochs, gradchecks, diagnoses, swept paths', () => {
    const db = copyDb(trained);
    const input = loadReportInput('rep', { db });
    const links = query<{ trial_id: string; params_json: string }>(db,
      `SELECT trial_id, params_json FROM experiment_trials WHERE experiment = 'rep' ORDER BY position`);
    assert.deepEqual(input.trials.map((t) => t.id), links.map((l) => l.trial_id));
    assert.deepEqual(input.trials.map((t) => t.params), links.map((l) => JSON.parse(l.params_json)));
    assert.deepEqual(input.trials.map((t) => [t.params['train.lr'], t.params['train.seed']]), [[0.5, 1], [0.5, 2], [1, 1], [1, 2]]);
    assert.deepEqual(input.sweptPaths, ['train.lr', 'train.seed']);
    assert.match(input.generatedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(input.experiment.description, DESCRIPTION);
    assert.equal(input.experiment.file, relative(process.cwd(), file));
    assert.ok(input.environment?.dataFingerprints && 'rep' in input.environment.dataFingerprints);
    for (const t of input.trials) {
      assert.equal(t.status, 'done');
      assert.deepEqual(t.config.model.layers, [16, 8, 3]);
      assert.ok(t.summary && Array.isArray(t.summary.classCounts));
      const epochs = epochsOf(input, t.id);
      assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2, 3]);
      assert.ok(Array.isArray(epochs[0]!.outUnitStd) && (epochs[0]!.outUnitStd as unknown[]).length === 3);
    }
    // one architecture: its latest check of 2 layers x (weights, biases)
    assert.deepEqual(input.gradchecks.map((g) => [g.layer, g.kind]), [[1, 'biases'], [1, 'weights'], [2, 'biases'], [2, 'weights']]);
    const stored = query<{ n: number }>(db,
      `SELECT count(*) AS n FROM diagnoses WHERE trial_id IN (SELECT trial_id FROM experiment_trials WHERE experiment = 'rep')`)[0]!.n;
    const given = [...diagnosesOf(input).values()].reduce((s, l) => s + l.length, 0);
    assert.ok(stored > 0);
    assert.equal(given, stored);
  });

  test('writes index.html and summary.md (and --summary), the description escaped, the summary deterministic', async () => {
    const db = copyDb(trained);
    const out = join(dir, 'out');
    const summary = join(dir, 'committed', 'rep.md');
    const r = await reportExperiment('rep', { db, out, summary });
    assert.equal(r.htmlPath, join(out, 'index.html'));
    assert.equal(r.markdownPath, join(out, 'summary.md'));
    assert.deepEqual(r.statuses, { done: 4 });
    const html = readFileSync(r.htmlPath, 'utf8');
    const md = readFileSync(r.markdownPath, 'utf8');
    assert.ok(!html.includes('<script>alert'), 'the description must not become a script element');
    assert.ok(html.includes('&lt;script&gt;alert'), 'the description shows as text');
    assert.ok(!html.includes('<b>bold</b>'));
    assert.match(html, /<svg/);
    assert.equal(readFileSync(summary, 'utf8'), md);
    assert.match(md, /^# sweeplab report: rep$/m);
    for (const t of query<{ trial_id: string }>(db, `SELECT trial_id FROM experiment_trials WHERE experiment = 'rep'`)) {
      assert.ok(md.includes(t.trial_id), t.trial_id);
    }
    assert.equal(r.summaryPath, summary);
    assert.equal(r.trials, 4);
    const again = await reportExperiment('rep', { db, out: join(dir, 'out2') });
    assert.equal(readFileSync(again.markdownPath, 'utf8'), md);
  });

  test('an unknown experiment: one line listing the known ones (not _baselines, which works when asked)', () => {
    const db = copyDb(trained);
    assert.ok(query(db, `SELECT name FROM experiments WHERE name = ?`, BASELINES_EXPERIMENT).length === 1);
    assert.throws(() => loadReportInput('nope', { db }), (e: unknown) => {
      assert.ok(e instanceof InputError);
      assert.equal(e.code, 'UNKNOWN_EXPERIMENT');
      assert.equal(e.message.split('\n').length, 1);
      assert.match(e.message, /no experiment "nope" .*; known experiments: rep$/);
      return true;
    });
    const base = loadReportInput(BASELINES_EXPERIMENT, { db });
    assert.equal(base.experiment.file, BUILT_IN_FILE);
    assert.equal(base.trials.length, 1);
    assert.deepEqual(base.trials[0]!.config.model.layers, [16, 3]);
    assert.throws(() => loadReportInput('rep', { db: join(dir, 'missing.db') }), (e: unknown) => e instanceof InputError && e.code === 'NO_DATABASE');
  });

  test('reads while another connection holds a write transaction, seeing the last committed state', async () => {
    const db = copyDb(trained);
    const w = new Database(db);
    w.pragma('busy_timeout = 0');
    w.exec('BEGIN IMMEDIATE');
    try {
      w.prepare(`UPDATE experiments SET description = 'uncommitted' WHERE name = 'rep'`).run();
      const r = await reportExperiment('rep', { db, out: join(dir, 'during-write') });
      const md = readFileSync(r.markdownPath, 'utf8');
      assert.ok(!md.includes('uncommitted'));
      assert.ok(md.includes('&lt;script&gt;'), md.slice(0, 300));
    } finally {
      w.exec('ROLLBACK');
      w.close();
    }
  });

  test('a sweep still running: pending and running trials are shown as such', async () => {
    const db = copyDb(trained);
    const w = new Database(db);
    const t0 = query<{ config_json: string; arch: string }>(db, `SELECT config_json, arch FROM trials LIMIT 1`)[0]!;
    const now = new Date().toISOString();
    const addTrial = w.prepare(`INSERT INTO trials (id, experiment, status, config_json, seed, arch, started_at, created_at, owner, heartbeat_at, attempt)
      VALUES (@id, 'rep', @status, @config, 3, @arch, @started, @now, @owner, @now, 1)`);
    const link = w.prepare(`INSERT INTO experiment_trials (experiment, trial_id, params_json, position) VALUES ('rep', @id, @params, @pos)`);
    addTrial.run({ id: 'aaaa000000000001', status: 'running', config: t0.config_json, arch: t0.arch, started: now, now, owner: 'elsewhere:1:x' });
    addTrial.run({ id: 'aaaa000000000002', status: 'pending', config: t0.config_json, arch: t0.arch, started: null, now, owner: null });
    link.run({ id: 'aaaa000000000001', params: JSON.stringify({ 'train.lr': 2, 'train.seed': 3 }), pos: 4 });
    link.run({ id: 'aaaa000000000002', params: JSON.stringify({ 'train.lr': 2, 'train.seed': 4 }), pos: 5 });
    const epoch = query<Row>(db, `SELECT * FROM epochs WHERE epoch <= 1 ORDER BY trial_id, epoch LIMIT 2`);
    const cols = Object.keys(epoch[0]!);
    const ins = w.prepare(`INSERT INTO epochs (${cols.join(', ')}) VALUES (${cols.map((c) => `@${c}`).join(', ')})`);
    for (const e of epoch) ins.run({ ...e, trial_id: 'aaaa000000000001' });
    w.close();

    const input = loadReportInput('rep', { db });
    assert.deepEqual(input.trials.map((t) => t.status), ['done', 'done', 'done', 'done', 'running', 'pending']);
    assert.equal(epochsOf(input, 'aaaa000000000001').length, 2);
    const r = await reportExperiment('rep', { db, out: join(dir, 'running') });
    assert.deepEqual(r.statuses, { done: 4, running: 1, pending: 1 });
    const md = readFileSync(r.markdownPath, 'utf8');
    assert.match(md, /still running/);
    assert.match(md, /`aaaa000000000001` .*\| running \|/);
    assert.match(md, /`aaaa000000000002` .*\| pending \|/);
    assert.ok(existsSync(r.htmlPath));
  });
});
