// Loading: defaults, extends, trial ids, init files.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { encodeNpy } from '@sweeplab/nn-core';
import { ConfigError, canonicalJson, loadExperiment, trialIdOf, type TrialConfig } from './index.js';
import { posOf, tmpDir, writeFiles, writeIdxData } from './testing.js';

const dir = tmpDir();
writeIdxData(join(dir, 'data'), { train: 12, test: 6, rows: 2, cols: 3, classes: 3 });
after(() => rmSync(dir, { recursive: true, force: true }));

const load = (name: string, text: string) => loadExperiment(join(writeFiles(dir, { [name]: text }), name));
const DATA = 'data: { dataset: idx, path: data }\n';

function configError(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e;
  }
  assert.fail('no ConfigError');
}

describe('defaults', () => {
  it('a minimal file resolves every option (the defaults table)', () => {
    const e = load('min.yaml', `${DATA}model: { layers: [6, 3] }\n`);
    assert.equal(e.name, 'min', 'default name: the file name');
    assert.equal(e.kernels, 'auto');
    assert.equal(e.trials.length, 1);
    const expected: TrialConfig = {
      data: {
        dataset: 'idx', path: 'data',
        train: { offset: 0, count: 12, sample: 'first' },
        test: { offset: 0, count: 6, sample: 'first' },
        validation: 0, scale: [0, 1],
      },
      model: { layers: [6, 3], activation: 'relu', output: 'softmax', loss: 'cross-entropy', init: 'auto' },
      train: { optimizer: 'sgd', batch: 64, lr: 0.1, epochs: 10, l2: 0, dtype: 'float32', seed: 1, schedule: 'constant' },
      gradcheck: { enabled: true, samples: 200, threshold: 1e-7, batch: 8 },
    };
    assert.deepEqual(e.trials[0]!.config, expected);
    assert.deepEqual(e.trials[0]!.params, {});
  });

  it('only the options of the chosen optimizer are kept, with their defaults', () => {
    const trainOf = (train: string) => load('opt.yaml', `${DATA}model: { layers: [6, 3] }\ntrain: ${train}\n`).trials[0]!.config.train;
    assert.deepEqual(trainOf('{ optimizer: gd, epochs: 9, schedule: step }'),
      { optimizer: 'gd', batch: 'full', lr: 0.1, epochs: 9, l2: 0, dtype: 'float32', seed: 1, schedule: { step: { every: 3, gamma: 0.1 } } });
    assert.deepEqual(trainOf('{ optimizer: momentum, schedule: cosine }'),
      { optimizer: 'momentum', batch: 64, lr: 0.1, epochs: 10, l2: 0, dtype: 'float32', seed: 1, schedule: { cosine: { min_lr: 0 } }, momentum: 0.9, nesterov: false });
    assert.deepEqual(trainOf('{ optimizer: adam, batch: 32 }'),
      { optimizer: 'adam', batch: 32, lr: 0.001, epochs: 10, l2: 0, dtype: 'float32', seed: 1, schedule: 'constant', beta1: 0.9, beta2: 0.999, eps: 1e-8 });
    assert.deepEqual(trainOf('{ optimizer: adamw, schedule: { step: { every: 2 } } }'),
      { optimizer: 'adamw', batch: 64, lr: 0.001, epochs: 10, l2: 0, dtype: 'float32', seed: 1, schedule: { step: { every: 2, gamma: 0.1 } }, beta1: 0.9, beta2: 0.999, eps: 1e-8, weight_decay: 0.01 });
  });

  it('gradcheck: false, true and a partial map', () => {
    const gc = (g: string) => load('gc.yaml', `${DATA}model: { layers: [6, 3] }\ngradcheck: ${g}\n`).trials[0]!.config.gradcheck;
    assert.deepEqual(gc('false'), { enabled: false, samples: 200, threshold: 1e-7, batch: 8 });
    assert.deepEqual(gc('true'), { enabled: true, samples: 200, threshold: 1e-7, batch: 8 });
    assert.deepEqual(gc('{ samples: 50, eps: 1.0e-6 }'), { enabled: true, samples: 50, threshold: 1e-7, eps: 1e-6, batch: 8 });
  });

  it('a plain subset count and an explicit subset seed', () => {
    const d = load('sub.yaml', 'data: { dataset: idx, path: data, train: { offset: 2, sample: stratified, seed: 9 }, test: 4, validation: 3 }\nmodel: { layers: [6, 3] }\n').trials[0]!.config.data;
    assert.deepEqual(d.train, { offset: 2, count: 10, sample: 'stratified', seed: 9 });
    assert.deepEqual(d.test, { offset: 0, count: 4, sample: 'first' }, 'a first subset carries no seed');
    assert.equal(d.validation, 3);
  });
});

describe('extends', () => {
  const base = `${DATA}model:\n  layers: [6, 4, 3]\n  activation: sigmoid\n  output: sigmoid\ntrain:\n  optimizer: gd\n  lr: 2\n  epochs: 5\nsweep:\n  seeds: [1, 2]\n`;

  it('overrides keys, deep-merges maps, replaces lists, does not inherit the name, null removes', () => {
    writeFiles(dir, { 'base.yaml': `name: base\ndescription: the base\n${base}` });
    const e = load('child.yaml', 'extends: base.yaml\nmodel:\n  layers: [6, 3]\ntrain:\n  lr: 0.5\n');
    assert.equal(e.name, 'child');
    assert.equal(e.description, '');
    assert.equal(e.trials.length, 2, 'the sweep is inherited');
    const c = e.trials[0]!.config;
    assert.deepEqual(c.model.layers, [6, 3], 'lists replace');
    assert.equal(c.model.activation, 'sigmoid', 'maps merge');
    assert.deepEqual([c.train.optimizer, c.train.lr, c.train.epochs], ['gd', 0.5, 5]);
    assert.deepEqual(e.sources, [join(dir, 'child.yaml'), join(dir, 'base.yaml')]);
    const single = load('child2.yaml', 'extends: base.yaml\nsweep: null\n');
    assert.equal(single.trials.length, 1);
  });

  it('the same trial from the base and from a file extending it has the same id', () => {
    writeFiles(dir, { 'base.yaml': `name: base\n${base}` });
    const a = loadExperiment(join(dir, 'base.yaml'));
    const b = load('same.yaml', 'extends: base.yaml\nname: same\ndescription: other words\nkernels: js\n');
    assert.deepEqual(b.trials.map((t) => t.id), a.trials.map((t) => t.id));
  });

  it('paths in a base file elsewhere stay valid (rewritten relative to the extending file)', () => {
    writeFiles(dir, { 'bases/deep.yaml': 'data: { dataset: idx, path: ../data }\nmodel: { layers: [6, 3] }\n' });
    const e = load('rebased.yaml', 'extends: bases/deep.yaml\n');
    assert.equal(e.trials[0]!.config.data.path, 'data');
  });

  it('a missing base file is an error at the extends value', () => {
    const text = 'name: x\nextends: nope.yaml\n';
    const err = configError(() => load('missing-base.yaml', text));
    assert.equal(err.issues.length, 1);
    assert.deepEqual({ ...err.issues[0], message: '' }, { file: join(dir, 'missing-base.yaml'), ...posOf(text, 'nope.yaml'), message: '' });
    assert.match(err.issues[0]!.message, /^extends: cannot read "nope\.yaml" \(.*nope\.yaml\): no such file/);
  });

  it('a cycle is an error at the extends that closes it', () => {
    writeFiles(dir, { 'cyc-a.yaml': 'extends: cyc-b.yaml\n', 'cyc-b.yaml': `${DATA}extends: cyc-a.yaml\n` });
    const err = configError(() => loadExperiment(join(dir, 'cyc-a.yaml')));
    const a = join(dir, 'cyc-a.yaml');
    const b = join(dir, 'cyc-b.yaml');
    assert.deepEqual(err.issues, [{ file: b, ...posOf(`${DATA}extends: cyc-a.yaml\n`, 'cyc-a.yaml'), message: `extends cycle: ${a} -> ${b} -> ${a}; a file cannot extend itself, directly or through others` }]);
  });

  it('errors in a base file name the base file', () => {
    const baseText = `${DATA}model: { layers: [6, 3] }\ntrain:\n  epoch: 3\n`;
    writeFiles(dir, { 'bad-base.yaml': baseText });
    const child = 'extends: bad-base.yaml\ntrain: { lr: fast }\n';
    const err = configError(() => load('uses-bad.yaml', child));
    assert.deepEqual(err.issues.map((i) => [i.file, i.line, i.col]), [
      [join(dir, 'uses-bad.yaml'), posOf(child, 'fast').line, posOf(child, 'fast').col],
      [join(dir, 'bad-base.yaml'), posOf(baseText, 'epoch').line, posOf(baseText, 'epoch').col],
    ]);
    assert.equal(err.issues[1]!.message, 'unknown key "epoch" in train: did you mean "epochs"?');
  });
});

describe('trial ids', () => {
  it('canonical JSON sorts keys at every level and keeps list order', () => {
    assert.equal(canonicalJson({ b: 1, a: [{ d: 1, c: 2 }, 3], e: undefined }), '{"a":[{"c":2,"d":1},3],"b":1}');
  });

  it('16 hex of sha256 over {config, data, init}; any of the three changes it', () => {
    const config = load('id.yaml', `${DATA}model: { layers: [6, 3] }\n`).trials[0]!.config;
    const id = trialIdOf(config, { data: 'd1', init: null });
    assert.equal(id, createHash('sha256').update(canonicalJson({ config, data: 'd1', init: null })).digest('hex').slice(0, 16));
    assert.notEqual(trialIdOf(config, { data: 'd2', init: null }), id);
    assert.notEqual(trialIdOf(config, { data: 'd1', init: 'w' }), id);
    assert.notEqual(trialIdOf({ ...config, train: { ...config.train, seed: 2 } }, { data: 'd1', init: null }), id);
  });

  it('stable across key order and files; kernels, name and description are not part of it; the seed is', () => {
    const a = load('ka.yaml', `name: ka\n${DATA}model: { layers: [6, 3], activation: tanh }\ntrain: { lr: 0.3, epochs: 2 }\nkernels: js\n`);
    const b = load('kb.yaml', `train: { epochs: 2, lr: 0.3 }\nkernels: native\nmodel: { activation: tanh, layers: [6, 3] }\ndescription: hello\n${DATA}name: kb\n`);
    assert.equal(a.trials[0]!.id, b.trials[0]!.id);
    assert.match(a.trials[0]!.id, /^[0-9a-f]{16}$/);
    const c = load('kc.yaml', `${DATA}model: { layers: [6, 3], activation: tanh }\ntrain: { lr: 0.3, epochs: 2, seed: 2 }\n`);
    assert.notEqual(c.trials[0]!.id, a.trials[0]!.id);
    assert.equal(a.dataFingerprint, c.dataFingerprint);
    assert.equal(c.trials[0]!.arch, a.trials[0]!.arch, 'same architecture and l2: one gradient check');
    const d = load('kd.yaml', `${DATA}model: { layers: [6, 3], activation: tanh }\ntrain: { lr: 0.3, epochs: 2, l2: 1 }\n`);
    assert.notEqual(d.trials[0]!.arch, a.trials[0]!.arch);
  });

  it('init files: their content is in the id; a file that does not fit the layers is an error at the npy value', () => {
    const w = (fill: number) => encodeNpy(new Float64Array(7 * 3).fill(fill), [7, 3]); // layer 1 of [6, 3]: (6 + 1, 3), bias row first
    mkdirSync(join(dir, 'w'), { recursive: true });
    writeFileSync(join(dir, 'w', 'W1.npy'), w(0.5));
    const text = `${DATA}model: { layers: [6, 3], init: { npy: w } }\n`;
    const first = load('npy.yaml', text).trials[0]!;
    assert.equal(first.fingerprints.init, createHash('sha256').update('W1.npy\0').update(createHash('sha256').update(w(0.5)).digest('hex')).update('\0').digest('hex'));
    writeFileSync(join(dir, 'w', 'W1.npy'), w(0.25));
    const second = load('npy.yaml', text).trials[0]!;
    assert.notEqual(second.id, first.id);
    assert.deepEqual(second.config, first.config, 'the path is kept as written');

    const wrong = `${DATA}model: { layers: [6, 4, 3], init: { npy: w } }\n`;
    const err = configError(() => load('npy-wrong.yaml', wrong));
    assert.equal(err.issues.length, 1);
    assert.deepEqual([err.issues[0]!.line, err.issues[0]!.col], [posOf(wrong, 'w }').line, posOf(wrong, 'w }').col]);
    assert.match(err.issues[0]!.message, /^model\.init\.npy: .*W2/);
  });
});
