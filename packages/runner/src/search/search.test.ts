// Adaptive search and stopping rules end to end on a tiny data set with the real worker pool and database: the
// rules decide from what SQLite holds, a search rebuilds itself from it, and a larger `trials` continues a search.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '@sweeplab/store';
import { loadExperiment } from '../config/index.js';
import { runLoaded } from '../run.js';
import { fakeMetrics } from '../testing/fake-executor.js';
import { pool, tempDir, tinyConfig, writeTinyIdx } from '../testing/fixtures.js';
import { AshaRule, MedianRule } from './stopping.js';
import type { TrialCandidate } from './strategy.js';

const dir = tempDir('sweeplab-search-');
writeTinyIdx(join(dir, 'data'), 90, 30);

function searchFile(name: string, o: { trials: number; sampler?: string; prune?: string; epochs?: number; seed?: number }): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, `name: ${name}
data: { dataset: idx, path: ./data, train: 90, test: 30, validation: 30 }
model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, loss: cross-entropy, init: xavier }
train: { optimizer: momentum, batch: 10, lr: 0.5, epochs: ${o.epochs ?? 8}, seed: 1, dtype: float64 }
gradcheck: { samples: 20 }
sweep:
  search:
    sampler: ${o.sampler ?? 'tpe'}
    trials: ${o.trials}
    seed: ${o.seed ?? 7}
    startup: 4
    params:
      train.lr: { loguniform: [1.0e-3, 3] }
      train.batch: { choice: [5, 10, 30] }
      model.layers: { choice: [[16, 4, 3], [16, 16, 3]] }
      train.momentum: { uniform: [0.5, 0.95] }
${o.prune ?? ''}`);
  return file;
}

const ro = (db: string) => new Database(db, { readonly: true, fileMustExist: true });

interface Row { id: string; position: number; params_json: string; status: string; attempt: number }
function rows(db: string, exp: string): Row[] {
  const d = ro(db);
  try {
    return d.prepare(`SELECT t.id, et.position, et.params_json, t.status, t.attempt FROM experiment_trials et JOIN trials t ON t.id = et.trial_id
      WHERE et.experiment = ? ORDER BY et.position`).all(exp) as Row[];
  } finally {
    d.close();
  }
}

const run = (files: string[], db: string, workers = 2) => runLoaded(files.map((f) => loadExperiment(f)), { db, executor: pool({ workers }) });

describe('adaptive search, end to end', () => {
  it('suggests `trials` distinct configurations, registers each before it runs, and a larger `trials` continues the search', async () => {
    const db = join(dir, 'continue.db');
    const res = await run([searchFile('cont', { trials: 8 })], db);
    assert.equal(res.exitCode, 0);
    const first = rows(db, 'cont');
    assert.equal(first.length, 8);
    assert.deepEqual(first.map((r) => r.position), [0, 1, 2, 3, 4, 5, 6, 7]);
    assert.equal(new Set(first.map((r) => r.params_json)).size, 8, 'no configuration suggested twice');
    assert.ok(first.every((r) => r.status === 'done'));
    assert.deepEqual(Object.keys(JSON.parse(first[0]!.params_json) as object).sort(), ['model.layers', 'train.batch', 'train.lr', 'train.momentum']);
    // the same file again: nothing to do
    const again = await run([searchFile('cont', { trials: 8 })], db);
    assert.equal(again.counts.ran, 0);
    // more trials: the 8 stay as they are (history), 4 new ones are suggested after them
    const more = await run([searchFile('cont', { trials: 12 })], db);
    assert.equal(more.counts.ran, 4);
    const after = rows(db, 'cont');
    assert.equal(after.length, 12);
    assert.deepEqual(after.slice(0, 8), first);
    assert.equal(new Set(after.map((r) => r.params_json)).size, 12);
  });

  it('is deterministic: the same file on a fresh database suggests the same configurations in the same order (one worker)', async () => {
    const a = join(dir, 'det-a.db');
    const b = join(dir, 'det-b.db');
    await run([searchFile('det', { trials: 7 })], a, 1);
    await run([searchFile('det', { trials: 7 })], b, 1);
    assert.deepEqual(rows(a, 'det').map((r) => r.params_json), rows(b, 'det').map((r) => r.params_json));
    const other = join(dir, 'det-c.db');
    await run([searchFile('det', { trials: 7, seed: 8 })], other, 1);
    assert.notDeepEqual(rows(a, 'det').map((r) => r.params_json), rows(other, 'det').map((r) => r.params_json));
  });

  it('ASHA prunes at the rungs: pruned trials end at a rung epoch with their decision recorded once', async () => {
    const db = join(dir, 'asha.db');
    const res = await run([searchFile('asha', { trials: 12, prune: 'prune:\n  asha: { grace: 1, reduction: 2 }\n', sampler: 'random' })], db);
    assert.equal(res.exitCode, 0);
    const d = ro(db);
    const pruned = d.prepare(`SELECT id, pruned_epoch, epochs_done, (SELECT max(epoch) FROM epochs e WHERE e.trial_id = t.id) AS last FROM trials t WHERE status = 'pruned'`).all() as Array<{ id: string; pruned_epoch: number; epochs_done: number; last: number }>;
    assert.ok(pruned.length >= 3, `${pruned.length} pruned`);
    for (const p of pruned) {
      assert.ok([1, 2, 4].includes(p.pruned_epoch), `pruned at ${p.pruned_epoch}`);
      assert.equal(p.last, p.pruned_epoch, 'no epoch recorded after the decision');
    }
    const decisions = d.prepare(`SELECT trial_id, epoch, decision FROM rungs WHERE experiment = 'asha'`).all() as Array<{ trial_id: string; epoch: number; decision: string }>;
    for (const p of pruned) assert.deepEqual(decisions.filter((r) => r.trial_id === p.id && r.decision === 'pruned').map((r) => r.epoch), [p.pruned_epoch]);
    // every trial that trained past epoch 1 has a decision at rung 1
    const atRung1 = new Set(decisions.filter((r) => r.epoch === 1).map((r) => r.trial_id));
    assert.equal(atRung1.size, 12);
    d.close();
  });
});

describe('stopping rules decide from the database', () => {
  const candidate = (id: string, epochs = 16): TrialCandidate => ({
    id, experiment: 'rules', position: 0, config: tinyConfig(dir, { train: { epochs } }), arch: 'a', params: {},
    fingerprints: { data: 'd', init: null }, baseDir: dir, kernels: 'js',
  });
  const at = (epoch: number, valAcc: number) => ({ ...fakeMetrics(epoch), valAcc });

  let stores = 0;
  function store(ids: string[]): Store {
    const s = Store.open(join(dir, `rules-${stores++}.db`));
    s.registerExperiments([{ name: 'rules', description: '', file: join(dir, 'rules.yaml'), yaml: '', resolvedJson: '{}', sweptPaths: [],
      trials: ids.map((id, i) => ({ id, configJson: '{}', seed: 1, arch: 'a', paramsJson: '{}', position: i })) }]);
    return s;
  }

  it('ASHA keeps the top 1/η at each rung (at least the best), and a trial reaching a rung again gets its first decision', () => {
    const ids = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'];
    const s = store(ids);
    const rule = new AshaRule(s, 'rules', { metric: 'val_acc', mode: 'max' }, { grace: 1, reduction: 4 });
    assert.equal(rule.shouldStop(candidate('a'), at(2, 0.1)), null, 'not a rung');
    assert.equal(rule.shouldStop(candidate('a'), at(16, 0.1)), null, 'the last epoch is not a rung');
    assert.equal(rule.shouldStop(candidate('a'), { ...at(1, 0), measured: false }), null, 'an unmeasured epoch decides nothing');
    assert.equal(s.experimentRungs('rules').length, 0);
    const accs = [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.65, 0.1];
    const decided = ids.map((id, i) => rule.shouldStop(candidate(id), at(1, accs[i]!)) === null);
    // a: first, best so far; b: 2 reached, keep 1 (a=0.5) -> pruned; c: best -> kept; d: pruned; e: best -> kept;
    // f: pruned; g: 7 reached, keep 1 (e=0.7) -> pruned; h: 8 reached, keep 2 (0.7, 0.65) -> pruned
    assert.deepEqual(decided, [true, false, true, false, true, false, false, false]);
    assert.match(rule.shouldStop(candidate('h'), at(1, 0.1)) ?? '', /ASHA: val_acc 10.00% at rung epoch 1 is not in the top 1\/4/);
    // b restarted and now scores 0.99 at rung 1: the decision stands (taken once, in the database)
    assert.notEqual(rule.shouldStop(candidate('b'), at(1, 0.99)), null);
    // a fresh rule over the same database (a rerun) sees the same rung membership
    const again = new AshaRule(s, 'rules', { metric: 'val_acc', mode: 'max' }, { grace: 1, reduction: 4 });
    assert.equal(again.shouldStop(candidate('a'), at(4, 0.8)), null);
    assert.equal(s.experimentRungs('rules', 1).length, 8);
    s.close();
  });

  it('median stopping: worse than the median of the other trials at that epoch, once min_trials reached it', () => {
    const s = store(['a', 'b', 'c', 'd']);
    const rule = new MedianRule(s, 'rules', { metric: 'cost', mode: 'min' }, { warmup: 2, minTrials: 3 });
    for (const [id, cost] of [['a', 1], ['b', 2], ['c', 3]] as const) {
      s.claimTrial(id, 'o', { force: false, isAlive: () => true });
      for (let e = 0; e <= 3; e++) s.insertEpoch(id, 1, fakeMetrics(e, cost + 1 / (e + 1)));
    }
    assert.equal(rule.shouldStop(candidate('d'), fakeMetrics(1, 100)), null, 'warmup');
    assert.equal(rule.shouldStop(candidate('d'), fakeMetrics(2, 2.3)), null, 'at the median 2.33');
    assert.match(rule.shouldStop(candidate('d'), fakeMetrics(3, 2.5)) ?? '', /median rule: cost 2.500 at epoch 3 is worse than the median 2.250 of 3 other trials/);
    const few = new MedianRule(s, 'rules', { metric: 'cost', mode: 'min' }, { warmup: 1, minTrials: 4 });
    assert.equal(few.shouldStop(candidate('d'), fakeMetrics(3, 99)), null, 'fewer than min_trials reached epoch 3');
    s.close();
  });
});
