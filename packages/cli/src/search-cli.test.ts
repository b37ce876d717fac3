// `sweeplab run` of an adaptive search with ASHA, killed with SIGKILL in the middle and run again: the rerun
// continues the same search from what SQLite holds. Plus the search's contract at the command line: located
// errors with exit 2 and nothing written, and `plan` showing the space, the sampler, the rungs and the compute.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { tempDir, writeTinyIdx } from '@sweeplab/runner/testing';

const BIN = fileURLToPath(new URL('../bin/sweeplab.js', import.meta.url));
const SLOW_BIN = fileURLToPath(new URL('./testing/slow-bin.js', import.meta.url));

interface Done { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<Done> } {
  const child = spawn(process.execPath, [env.TEST_DELAY_MS !== undefined ? SLOW_BIN : BIN, ...args], {
    env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => { stdout += String(d); });
  child.stderr?.on('data', (d) => { stderr += String(d); });
  return { child, done: new Promise<Done>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr }))) };
}
const sweeplab = (args: string[]) => start(args).done;

const dir = tempDir('sweeplab-search-cli-');
writeTinyIdx(join(dir, 'data'), 90, 30);

function searchFile(name: string, o: { trials: number; epochs: number; extra?: string }): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
data: { dataset: idx, path: ./data, train: 90, test: 30, validation: 30 }
model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, loss: cross-entropy, init: xavier }
train: { optimizer: momentum, batch: 10, lr: 0.5, epochs: ${o.epochs}, seed: 1, dtype: float64 }
gradcheck: { samples: 20 }
sweep:
  search:
    sampler: tpe
    trials: ${o.trials}
    seed: 3
    startup: 3
    params:
      train.lr: { loguniform: [1.0e-3, 3] }
      train.batch: { choice: [5, 10, 30] }
      train.momentum: { uniform: [0.5, 0.95] }
prune:
  asha: { grace: 1, reduction: 2 }
${o.extra ?? ''}`);
  return file;
}

function read<T>(db: string, fn: (d: Database.Database) => T): T {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return fn(d);
  } finally {
    d.close();
  }
}

async function until(cond: () => boolean, what: string, timeoutMs = 90_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

interface TrialRow { id: string; position: number; params_json: string; status: string; attempt: number; epochs: number }
const trials = (db: string): TrialRow[] => read(db, (d) => d.prepare(`
  SELECT t.id, et.position, et.params_json, t.status, t.attempt, (SELECT count(*) FROM epochs e WHERE e.trial_id = t.id) AS epochs
  FROM experiment_trials et JOIN trials t ON t.id = et.trial_id ORDER BY et.position`).all() as TrialRow[]);
const rungs = (db: string) => read(db, (d) => d.prepare('SELECT trial_id, epoch, value, decision FROM rungs ORDER BY trial_id, epoch').all());
const finished = (s: string) => s === 'done' || s === 'pruned' || s === 'diverged';

function countFinished(db: string): number {
  if (!existsSync(db)) return 0;
  try {
    return trials(db).filter((t) => finished(t.status)).length;
  } catch {
    return 0; // not migrated yet
  }
}

describe('sweeplab run: a search with ASHA survives kill -9', () => {
  test('the rerun continues the same search: no suggestion repeated or re-drawn, no pruned or finished trial resumed, no decision lost', async () => {
    const db = join(dir, 'kill.db');
    const file = searchFile('killed', { trials: 10, epochs: 12 });
    const { child, done } = start(['run', file, '--db', db, '--workers', '2', '--no-diagnose'], { TEST_DELAY_MS: '40' });
    await until(() => countFinished(db) >= 4, 'four finished trials');
    child.kill('SIGKILL');
    assert.equal((await done).signal, 'SIGKILL');
    const before = trials(db);
    const rungsBefore = rungs(db);
    assert.ok(before.length < 10, `the search was cut short (${before.length} suggested)`);
    assert.ok(before.some((t) => t.status === 'running'), 'a trial was running when the runner died');

    const again = await sweeplab(['run', file, '--db', db, '--workers', '2', '--no-diagnose']);
    assert.equal(again.code, 0, again.stderr);
    const after = trials(db);
    assert.equal(after.length, 10, 'exactly `trials` suggestions in all');
    assert.equal(new Set(after.map((t) => t.params_json)).size, 10, 'no suggestion repeated');
    assert.deepEqual(after.map((t) => t.position), [...Array(10).keys()]);
    assert.ok(after.every((t) => finished(t.status)), JSON.stringify(after.map((t) => t.status)));
    for (const b of before) {
      const a = after.find((t) => t.id === b.id);
      assert.ok(a, `suggestion ${b.position} kept`);
      assert.equal(a.params_json, b.params_json, 'a pending suggestion is offered again, not drawn again');
      assert.equal(a.position, b.position);
      if (finished(b.status)) assert.deepEqual([a.status, a.attempt, a.epochs], [b.status, b.attempt, b.epochs], `finished trial ${b.id} untouched`);
      else assert.equal(a.attempt, b.attempt + 1, `the killed trial ${b.id} restarted once`);
    }
    // every decision taken before the kill is still there, unchanged; each pruned trial ends at its pruning rung
    const rungsAfter = rungs(db) as Array<{ trial_id: string; epoch: number; decision: string }>;
    for (const r of rungsBefore) assert.ok(rungsAfter.some((x) => JSON.stringify(x) === JSON.stringify(r)), `decision ${JSON.stringify(r)} kept`);
    const pruned = read(db, (d) => d.prepare(`SELECT id, pruned_epoch FROM trials WHERE status = 'pruned'`).all() as Array<{ id: string; pruned_epoch: number }>);
    for (const p of pruned) {
      assert.deepEqual(rungsAfter.filter((r) => r.trial_id === p.id && r.decision === 'pruned').map((r) => r.epoch), [p.pruned_epoch]);
    }
    // and a third run has nothing to do
    const third = await sweeplab(['run', file, '--db', db, '--workers', '2', '--no-diagnose']);
    assert.equal(third.code, 0, third.stderr);
    assert.match(third.stdout, /^0 trial\(s\)/m);
  });
});

describe('search files at the command line', () => {
  test('a bad search is located errors, exit 2, and nothing written', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, `name: bad
data: { dataset: idx, path: ./data, train: 90, test: 30 }
model: { layers: [16, 8, 3] }
train: { epochs: 4 }
objective: { metric: val_acc }
sweep:
  search:
    sampler: bayesian
    trials: 5
    params:
      train.lr: { loguniform: [0, 1] }
prune:
  asha: { grace: 4 }
`);
    const db = join(dir, 'bad.db');
    for (const args of [['validate', file], ['run', file, '--db', db]]) {
      const r = await sweeplab(args);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`bad.yaml:5:\\d+: objective.metric val_acc needs a validation split`));
      assert.match(r.stderr, /bad.yaml:8:14: sweep.search.sampler must be one of random, tpe, got "bayesian"/);
      assert.match(r.stderr, /bad.yaml:11:\d+: train.lr: loguniform needs 0 < low < high/);
      assert.match(r.stderr, /bad.yaml:13:\d+: prune.asha has no rung to stop a trial at/);
    }
    assert.equal(existsSync(db), false, 'no database was created');
  });

  test('plan shows the search space, the sampler, the rung schedule and the maximum compute', async () => {
    const file = searchFile('planned', { trials: 20, epochs: 16 });
    const r = await sweeplab(['plan', file, '--db', join(dir, 'plan.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /search: tpe, 20 trials \(seed 3; 3 random before the model takes over\), objective val_acc \(max\)/);
    assert.match(r.stdout, /train\.lr\s+│ loguniform \[0\.001, 3\]/);
    assert.match(r.stdout, /train\.batch\s+│ choice \[5, 10, 30\]/);
    assert.match(r.stdout, /prune: ASHA, grace 1, reduction 2: rungs at epochs 1, 2, 4, 8 of 16/);
    assert.match(r.stdout, /maximum compute: 320 epochs \(20 trials × 16, nothing pruned\); ~60 if every rung keeps exactly 1\/2/);
  });
});
