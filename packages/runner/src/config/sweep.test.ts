// Sweep expansion: grid = cartesian product, zip = varied together, random = seeded and within bounds, seeds replicate.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadExperiment } from './index.js';
import { expandSweep, type SweepConfig, type SweptValue } from './sweep.js';
import { tmpDir, writeFiles, writeIdxData } from './testing.js';

const asObj = (row: SweptValue[]) => Object.fromEntries(row.map((v) => [v.path, v.value]));

describe('expandSweep', () => {
  it('no sweep: one trial with no swept values', () => {
    assert.deepEqual(expandSweep(undefined), [[]]);
    assert.deepEqual(expandSweep({}), [[]]);
  });

  it('grid: every combination, first key outermost', () => {
    const rows = expandSweep({ grid: { 'train.lr': [2, 0.5, 0.1], 'model.layers': [[784, 5, 5, 10], [784, 256, 256, 10]] } });
    assert.equal(rows.length, 3 * 2);
    assert.deepEqual(rows.map(asObj), [
      { 'train.lr': 2, 'model.layers': [784, 5, 5, 10] }, { 'train.lr': 2, 'model.layers': [784, 256, 256, 10] },
      { 'train.lr': 0.5, 'model.layers': [784, 5, 5, 10] }, { 'train.lr': 0.5, 'model.layers': [784, 256, 256, 10] },
      { 'train.lr': 0.1, 'model.layers': [784, 5, 5, 10] }, { 'train.lr': 0.1, 'model.layers': [784, 256, 256, 10] },
    ]);
    assert.deepEqual(rows[3]!.map((v) => v.source), [['sweep', 'grid', 'train.lr', 1], ['sweep', 'grid', 'model.layers', 1]]);
  });

  it('zip: values vary together (not crossed); two groups are crossed with each other', () => {
    const one = expandSweep({ zip: [{ 'train.optimizer': ['gd', 'adam'], 'train.batch': ['full', 128] }] });
    assert.deepEqual(one.map(asObj), [{ 'train.optimizer': 'gd', 'train.batch': 'full' }, { 'train.optimizer': 'adam', 'train.batch': 128 }]);
    const two = expandSweep({ zip: [{ 'train.optimizer': ['gd', 'adam'], 'train.batch': ['full', 128] }, { 'train.lr': [1, 2, 3], 'train.epochs': [4, 5, 6] }] });
    assert.equal(two.length, 2 * 3);
    for (const r of two.map(asObj)) {
      assert.equal(r['train.batch'], r['train.optimizer'] === 'gd' ? 'full' : 128);
      assert.equal(r['train.epochs'], (r['train.lr'] as number) + 3);
    }
  });

  it('random: seeded, deterministic, within bounds, independent of key order', () => {
    const params = {
      'train.lr': { loguniform: [1e-4, 1] }, 'train.momentum': { uniform: [0.5, 0.99] },
      'train.epochs': { int: [1, 4] }, 'model.activation': { choice: ['relu', 'tanh', 'sigmoid'] },
    };
    const s: SweepConfig = { random: { samples: 40, seed: 7, params } };
    const rows = expandSweep(s).map(asObj);
    assert.equal(rows.length, 40);
    assert.deepEqual(expandSweep(s).map(asObj), rows, 'same seed, same draws');
    const reversed = Object.fromEntries(Object.entries(params).reverse());
    assert.deepEqual(expandSweep({ random: { samples: 40, seed: 7, params: reversed } }).map(asObj), rows, 'key order does not matter');
    assert.notDeepEqual(expandSweep({ random: { samples: 40, seed: 8, params } }).map(asObj), rows, 'another seed, other draws');
    for (const r of rows) {
      const lr = r['train.lr'] as number;
      assert.ok(lr >= 1e-4 && lr <= 1, `lr ${lr}`);
      const m = r['train.momentum'] as number;
      assert.ok(m >= 0.5 && m < 0.99, `momentum ${m}`);
      assert.ok([1, 2, 3, 4].includes(r['train.epochs'] as number));
      assert.ok(['relu', 'tanh', 'sigmoid'].includes(r['model.activation'] as string));
    }
    // log-uniform over 4 decades: draws land on both sides of the geometric middle 1e-2
    assert.ok(rows.some((r) => (r['train.lr'] as number) < 1e-2) && rows.some((r) => (r['train.lr'] as number) > 1e-2));
    assert.equal(new Set(rows.map((r) => r['train.epochs'])).size, 4, 'every integer of [1, 4] is drawn in 40 samples');
  });

  it('seeds replicate every configuration (innermost)', () => {
    const rows = expandSweep({ grid: { 'train.lr': [1, 2] }, seeds: [1, 2, 3] }).map(asObj);
    assert.deepEqual(rows, [1, 2].flatMap((lr) => [1, 2, 3].map((seed) => ({ 'train.lr': lr, 'train.seed': seed }))));
  });

  it('all kinds combined: grid × zip × random × seeds', () => {
    const rows = expandSweep({
      grid: { 'train.lr': [1, 2], 'train.l2': [0, 1, 2] },
      zip: [{ 'train.optimizer': ['sgd', 'adam'], 'train.batch': [16, 32] }],
      random: { samples: 4, params: { 'train.momentum': { uniform: [0.1, 0.9] } } },
      seeds: [5, 6, 7],
    });
    assert.equal(rows.length, 2 * 3 * 2 * 4 * 3);
    const keys = new Set(rows.map((r) => JSON.stringify(asObj(r))));
    assert.equal(keys.size, rows.length, 'all combinations differ');
  });
});

describe('sweeps in experiment files', () => {
  const dir = tmpDir();
  writeIdxData(join(dir, 'data'), { train: 12, test: 6, rows: 2, cols: 3, classes: 3 });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trial count is the product, values are substituted, seeds set train.seed and the random subset seeds', () => {
    writeFiles(dir, { 'e.yaml': `name: e
data: { dataset: idx, path: data, train: { count: 10, sample: random } }
model: { layers: [6, 3] }
train: { optimizer: adam, lr: 0.5 }
sweep:
  grid: { train.lr: [0.1, 0.01], model.layers: [[6, 3], [6, 4, 3]] }
  zip: [{ train.epochs: [1, 2, 3], train.l2: [0, 0.5, 1] }]
  seeds: [11, 12]
` });
    const e = loadExperiment(join(dir, 'e.yaml'));
    assert.equal(e.trials.length, 2 * 2 * 3 * 2);
    assert.deepEqual(e.sweptPaths, ['train.lr', 'model.layers', 'train.epochs', 'train.l2', 'train.seed']);
    assert.deepEqual(e.trials.map((t) => t.position), e.trials.map((_, i) => i));
    for (const t of e.trials) {
      assert.equal(t.config.train.lr, t.params['train.lr']);
      assert.deepEqual(t.config.model.layers, t.params['model.layers']);
      assert.equal(t.config.train.epochs, t.params['train.epochs']);
      assert.equal(t.config.train.seed, t.params['train.seed']);
      assert.equal(t.seed, t.params['train.seed']);
      assert.equal(t.config.data.train.seed, t.params['train.seed'], 'the subset draw follows train.seed unless set');
      assert.equal(t.config.data.test.seed, undefined, 'the first-n test subset draws nothing: no seed, one data cache entry');
    }
    assert.equal(new Set(e.trials.map((t) => t.id)).size, e.trials.length);
  });

  it('random sweeps give the same trials on every load', () => {
    writeFiles(dir, { 'r.yaml': `name: r
data: { dataset: idx, path: data }
model: { layers: [6, 3] }
sweep: { random: { samples: 5, seed: 3, params: { train.lr: { loguniform: [1.0e-3, 1] } } } }
` });
    const a = loadExperiment(join(dir, 'r.yaml'));
    const b = loadExperiment(join(dir, 'r.yaml'));
    assert.equal(a.trials.length, 5);
    assert.deepEqual(a.trials.map((t) => t.id), b.trials.map((t) => t.id));
  });

  it('configurations that resolve to the same trial run once, with a warning', () => {
    writeFiles(dir, { 'd.yaml': `name: d
data: { dataset: idx, path: data }
model: { layers: [6, 3] }
train: { optimizer: sgd }
sweep: { grid: { train.beta1: [0.9, 0.95], train.lr: [0.1, 0.2] } }
` });
    const e = loadExperiment(join(dir, 'd.yaml'));
    assert.equal(e.trials.length, 2, 'beta1 does not apply to sgd');
    assert.match(e.warnings.map((w) => w.message).join('\n'), /2 of the 4 swept configurations resolve to the same trial/);
    assert.match(e.warnings.map((w) => w.message).join('\n'), /train\.beta1 only applies to optimizers adam and adamw: ignored with sgd \(2 of 4 trials\)/);
  });
});
