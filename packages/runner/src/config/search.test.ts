// The search keys of an experiment file (objective, prune, sweep.search): defaults, and located errors for
// everything new, so a bad search never starts (exit 2, nothing written: the CLI tests check the exit code).
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadExperiment, type ConfigIssue } from './index.js';
import { ashaRungs, planSuggestion } from './search.js';
import { posOf, tmpDir, writeFiles, writeIdxData } from './testing.js';

const dir = tmpDir();
writeIdxData(join(dir, 'data'), { train: 40, test: 6, rows: 2, cols: 3, classes: 3 });
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = `name: s
data:
  dataset: idx
  path: data
  validation: 10
model:
  layers: [6, 4, 3]
train:
  optimizer: momentum
  epochs: 16
`;

function load(name: string, text: string) {
  writeFiles(dir, { [name]: text });
  return loadExperiment(join(dir, name));
}

function failing(name: string, text: string): { err: ConfigError; text: string; file: string } {
  try {
    load(name, text);
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return { err: e, text, file: join(dir, name) };
  }
  assert.fail(`${name} loaded without errors`);
}

function issueAt(r: { err: ConfigError; text: string; file: string }, needle: string, nth = 1): ConfigIssue {
  const { line, col } = posOf(r.text, needle, nth);
  const hit = r.err.issues.find((i) => i.file === r.file && i.line === line && i.col === col);
  assert.ok(hit, `no issue at ${line}:${col} ("${needle}"); issues:\n${r.err.message}`);
  return hit;
}

const SEARCH = `sweep:
  search:
    sampler: tpe
    trials: 12
    seed: 7
    params:
      train.lr: { loguniform: [1.0e-3, 1] }
      train.batch: { choice: [8, 16] }
      model.layers: { choice: [[6, 4, 3], [6, 8, 3]] }
      train.momentum: { uniform: [0.5, 0.99] }
  seeds: [3]
prune:
  asha: { grace: 1, reduction: 4 }
`;

describe('search settings', () => {
  it('a search has no trials when the file loads; objective defaults to val_acc/max with a validation split, else cost/min', () => {
    const e = load('ok.yaml', HEAD + SEARCH);
    assert.equal(e.trials.length, 0);
    assert.deepEqual(e.objective, { metric: 'val_acc', mode: 'max' });
    assert.deepEqual(e.prune, { rule: 'asha', grace: 1, reduction: 4 });
    assert.equal(e.search?.sampler, 'tpe');
    assert.equal(e.search?.trials, 12);
    assert.equal(e.search?.startup, 10);
    assert.deepEqual(Object.keys(e.search?.params ?? {}), ['model.layers', 'train.batch', 'train.lr', 'train.momentum']);
    assert.deepEqual(e.search?.fixed, [{ path: 'train.seed', value: 3 }]);
    assert.deepEqual(e.sweptPaths, ['train.lr', 'train.batch', 'model.layers', 'train.momentum', 'train.seed']);
    const noVal = load('noval.yaml', HEAD.replace('  validation: 10\n', '') + SEARCH);
    assert.deepEqual(noVal.objective, { metric: 'cost', mode: 'min' });
    assert.deepEqual(load('obj.yaml', `${HEAD}objective: { metric: loss }\n`).objective, { metric: 'loss', mode: 'min' });
  });

  it('a suggestion resolves and hashes like a swept trial of the same values', () => {
    const e = load('sugg.yaml', HEAD + SEARCH);
    const values = { 'model.layers': [6, 8, 3], 'train.batch': 16, 'train.lr': 0.05, 'train.momentum': 0.8 };
    const s = planSuggestion(e.config as Record<string, unknown>, e.baseDir, e.search!, values);
    assert.ok(!('error' in s));
    const grid = load('grid.yaml', `${HEAD}sweep:\n  grid:\n    model.layers: [[6, 8, 3]]\n    train.batch: [16]\n    train.lr: [0.05]\n    train.momentum: [0.8]\n  seeds: [3]\n`);
    assert.equal(s.id, grid.trials[0]?.id);
    assert.deepEqual(s.params, { 'train.seed': 3, ...values });
    const bad = planSuggestion(e.config as Record<string, unknown>, e.baseDir, e.search!, { ...values, 'model.layers': [5, 3] });
    assert.ok('error' in bad && /model.layers starts with 5/.test(bad.error));
  });

  it('ASHA rungs lie below the last epoch', () => {
    assert.deepEqual(ashaRungs({ grace: 1, reduction: 4 }, 16), [1, 4]);
    assert.deepEqual(ashaRungs({ grace: 1, reduction: 2 }, 16), [1, 2, 4, 8]);
    assert.deepEqual(ashaRungs({ grace: 2, reduction: 3 }, 19), [2, 6, 18]);
    assert.deepEqual(ashaRungs({ grace: 5, reduction: 3 }, 5), []);
  });
});

describe('located search errors', () => {
  it('unknown sampler, empty choice, bad bounds, trials < 1, unknown searched path', () => {
    const r = failing('bad.yaml', `${HEAD}sweep:
  search:
    sampler: bayes
    trials: 0
    params:
      train.lr: { loguniform: [0, 1] }
      train.batch: { choice: [] }
      train.momentum: { uniform: [0.9, 0.5] }
      train.lrr: { uniform: [0.1, 0.5] }
`);
    assert.match(issueAt(r, 'bayes').message, /sweep.search.sampler must be one of random, tpe, got "bayes"/);
    assert.match(issueAt(r, '0\n    params').message, /trials must be >= 1/);
    assert.match(issueAt(r, '0, 1', 1).message, /train.lr: loguniform needs 0 < low < high/);
    assert.match(issueAt(r, '[]').message, /must have at least 1 item/);
    assert.match(issueAt(r, '0.5] }').message, /train.momentum: uniform needs low < high, got \[0.9, 0.5\]/);
    assert.match(issueAt(r, 'train.lrr').message, /unknown sweep path "train.lrr" in sweep.search.params: did you mean "train.lr"\?/);
  });

  it('a value a search could draw that no trial accepts is an error at that value', () => {
    const r = failing('layers.yaml', `${HEAD}sweep:\n  search:\n    trials: 4\n    params:\n      model.layers: { choice: [[6, 4, 3], [6, 4, 2]] }\n`);
    assert.match(issueAt(r, '2]]').message, /model.layers ends with 2 but the data has 3 classes/);
  });

  it('search with grid or several seeds; prune without a rung below the last epoch; val_acc without validation', () => {
    const r = failing('combo.yaml', `${HEAD}sweep:\n  grid:\n    train.l2: [0, 1]\n  search:\n    trials: 4\n    params:\n      train.lr: { loguniform: [1.0e-3, 1] }\n  seeds: [1, 2]\nprune:\n  asha: { grace: 16 }\n`);
    assert.match(issueAt(r, 'grid').message, /sweep.grid cannot be combined with sweep.search/);
    assert.match(issueAt(r, '[1, 2]').message, /sweep.seeds lists 2 seeds but a search trains each configuration once/);
    assert.match(issueAt(r, '16 }').message, /prune.asha has no rung to stop a trial at: the first rung is at grace = 16 epoch\(s\), but trials train 16/);
    const m = failing('median.yaml', `${HEAD}prune:\n  median: { warmup: 20 }\n`);
    assert.match(issueAt(m, '20').message, /prune.median has no epoch to stop a trial at/);
    const v = failing('val.yaml', `${HEAD.replace('  validation: 10\n', '')}objective: { metric: val_acc }\n`);
    assert.match(issueAt(v, 'val_acc').message, /objective.metric val_acc needs a validation split, and data.validation is 0: set data.validation/);
    const u = failing('prune-kind.yaml', `${HEAD}prune:\n  hyperband: { max: 3 }\n`);
    assert.match(u.err.message, /prune/);
    const o = failing('obj.yaml', `${HEAD}objective: { metric: accuracy, mode: up }\n`);
    assert.match(issueAt(o, 'accuracy').message, /objective.metric must be one of cost, loss, train_acc, val_acc, test_acc/);
    assert.match(issueAt(o, 'up').message, /objective.mode must be one of min, max/);
  });

  it('test_acc works but warns that it tunes on the test set, naming data.validation', () => {
    const e = load('test-acc.yaml', `${HEAD}objective: { metric: test_acc }\n`);
    assert.deepEqual(e.objective, { metric: 'test_acc', mode: 'max' });
    const w = e.warnings.find((x) => /tunes the search on the test set/.test(x.message));
    assert.ok(w && /data.validation/.test(w.message), JSON.stringify(e.warnings));
    assert.equal(w.line, posOf(`${HEAD}objective: { metric: test_acc }\n`, 'test_acc').line);
  });
});
