// Validation messages: each bad file must give `file:line:col: message` at the offending key or value.
// Expected positions come from searching the file text (posOf), not from the YAML parser.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ConfigError, loadExperiment, validateFiles, type ConfigIssue } from './index.js';
import { posOf, tmpDir, writeFiles, writeIdxData } from './testing.js';

// a 2x3-pixel, 3-class IDX data set: inputs 6, classes 3, 12 training and 6 test examples
const dir = tmpDir();
writeIdxData(join(dir, 'data'), { train: 12, test: 6, rows: 2, cols: 3, classes: 3 });
after(() => rmSync(dir, { recursive: true, force: true }));

const HEAD = `name: t
data:
  dataset: idx
  path: data
`;

function failing(name: string, text: string): { err: ConfigError; file: string; text: string } {
  const file = join(dir, name);
  writeFiles(dir, { [name]: text });
  try {
    loadExperiment(file);
  } catch (e) {
    assert.ok(e instanceof ConfigError, `expected a ConfigError, got ${String(e)}`);
    return { err: e, file, text };
  }
  assert.fail(`${name} loaded without errors`);
}

/** The issue at the position of `needle` (nth occurrence, plus shift). */
function issueAt(r: { err: ConfigError; file: string; text: string }, needle: string, nth = 1, shift = 0): ConfigIssue {
  const { line, col } = posOf(r.text, needle, nth, shift);
  const hit = r.err.issues.find((i) => i.file === r.file && i.line === line && i.col === col);
  assert.ok(hit, `no issue at ${line}:${col} ("${needle}"); issues:\n${r.err.message}`);
  return hit;
}

describe('located validation errors', () => {
  it('YAML syntax errors name the file, line and column', () => {
    const r = failing('syntax.yaml', `${HEAD}train:\n  lr: 2: 3\n`);
    assert.equal(r.err.code, 'YAML');
    const i = issueAt(r, '2: 3');
    assert.match(i.message, /^YAML syntax error: /);
    const dup = failing('dup.yaml', `${HEAD}train:\n  lr: 1\n  lr: 2\n`);
    assert.equal(issueAt(dup, 'lr: 2').message, 'YAML syntax error: duplicate key: each key may appear once in a map');
    assert.match(dup.err.message, new RegExp(`^${dup.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:${posOf(dup.text, 'lr: 2').line}:3: `));
  });

  it('unknown keys suggest the closest valid one, at the top level and nested', () => {
    const r = failing('unknown.yaml', `${HEAD}modle:\n  layers: [6, 3]\ntrain:\n  epoch: 3\n  optimiser: sgd\n  learning_rate: 0.1\n`);
    assert.equal(r.err.code, 'INVALID');
    assert.equal(issueAt(r, 'modle').message, 'unknown key "modle" at the top level: did you mean "model"?');
    assert.equal(issueAt(r, 'epoch').message, 'unknown key "epoch" in train: did you mean "epochs"?');
    assert.equal(issueAt(r, 'optimiser').message, 'unknown key "optimiser" in train: did you mean "optimizer"?');
    assert.equal(issueAt(r, 'learning_rate').message, 'unknown key "learning_rate" in train: did you mean "lr"?');
  });

  it('a key with nothing close lists the allowed keys', () => {
    const r = failing('far.yaml', `${HEAD}model:\n  layers: [6, 3]\n  zzzzzz: 1\n`);
    assert.equal(issueAt(r, 'zzzzzz').message, 'unknown key "zzzzzz" in model; allowed: layers, activation, output, loss, init');
  });

  it('wrong types say what was expected and what was found', () => {
    const r = failing('type.yaml', `${HEAD}model:\n  layers: [6, 3]\ntrain:\n  lr: fast\n  epochs: 2.5\n  nesterov: maybe\n`);
    assert.equal(issueAt(r, 'fast').message, 'train.lr must be a number > 0, got "fast"');
    assert.equal(issueAt(r, '2.5').message, 'train.epochs must be an integer >= 0, got 2.5');
    assert.equal(issueAt(r, 'maybe').message, 'train.nesterov must be true or false, got "maybe"');
  });

  it('bad enum values list the allowed ones and suggest the closest', () => {
    const r = failing('enum.yaml', `${HEAD}model:\n  layers: [6, 3]\n  activation: sigmoud\ntrain:\n  optimizer: rmsprop\n`);
    assert.equal(issueAt(r, 'sigmoud').message, 'model.activation must be one of sigmoid, tanh, relu, leaky-relu, identity, got "sigmoud": did you mean "sigmoid"?');
    assert.equal(issueAt(r, 'rmsprop').message, 'train.optimizer must be one of gd, sgd, momentum, adam, adamw, got "rmsprop"');
  });

  it('union keys (init, batch, scale, gradcheck) give one useful message', () => {
    const r = failing('union.yaml', `${HEAD}  scale: [-1]\nmodel:\n  layers: [6, 3]\n  init: { unifrom: [0, 0.01] }\ntrain:\n  batch: fulll\ngradcheck: yes\n`);
    assert.equal(issueAt(r, 'unifrom').message, 'unknown key "unifrom" in model.init: did you mean "uniform"?');
    assert.equal(issueAt(r, 'fulll').message, 'train.batch must be "full" or an integer >= 1, got "fulll": did you mean "full"?');
    assert.equal(issueAt(r, '[-1]').message, 'data.scale must be [number, number] or "standardize", got [-1]');
    assert.equal(issueAt(r, 'yes').message, 'gradcheck must be true, false or a map { enabled, samples, threshold, eps, batch }, got "yes"');
    assert.equal(r.err.issues.length, 4, r.err.message);
  });

  it('the first layer must match the input size and the last the number of classes', () => {
    const r = failing('layers.yaml', `${HEAD}model:\n  layers: [784, 5, 10]\n`);
    assert.equal(issueAt(r, '784').message, 'model.layers starts with 784 but the data has 6 inputs per example: make the first layer 6');
    assert.equal(issueAt(r, '10]').message, 'model.layers ends with 10 but the data has 3 classes: make the last layer 3');
  });

  it('MNIST: 784 inputs and 10 classes', () => {
    const r = failing('mnist.yaml', 'name: m\ndata:\n  dataset: mnist\nmodel:\n  layers: [28, 5, 9]\n');
    assert.equal(issueAt(r, '28').message, 'model.layers starts with 28 but the data has 784 inputs per example: make the first layer 784');
    assert.equal(issueAt(r, '9]').message, 'model.layers ends with 9 but the data has 10 classes: make the last layer 10');
  });

  it('subsets must lie within the data set, validation within the training subset', () => {
    const r = failing('subset.yaml', `${HEAD}  train: { offset: 4, count: 10 }\n  test: 7\n  validation: 10\nmodel:\n  layers: [6, 3]\n`);
    assert.equal(issueAt(r, 'count: 10', 1, 'count: '.length).message, 'data.train: offset 4 + count 10 = 14 exceeds the 12 training examples in the data: use count <= 8');
    assert.equal(issueAt(r, 'test: 7', 1, 'test: '.length).message, 'data.test 7 exceeds the 6 test examples in the data: use count <= 6');
    const v = failing('validation.yaml', `${HEAD}  train: 5\n  validation: 5\nmodel:\n  layers: [6, 3]\n`);
    assert.equal(issueAt(v, 'validation: 5', 1, 'validation: '.length).message, 'data.validation 5 must be smaller than the training subset (5 examples): it is carved from its end, and training keeps the rest');
  });

  it('output/loss pairs that do not exist, and gd with a mini-batch size', () => {
    const r = failing('pairs.yaml', `${HEAD}model:\n  layers: [6, 3]\n  output: softmax\n  loss: mse\ntrain:\n  optimizer: gd\n  batch: 4\n`);
    assert.equal(issueAt(r, 'mse').message, 'model.loss mse does not pair with output softmax: use loss cross-entropy with softmax, or output sigmoid or identity with mse');
    assert.equal(issueAt(r, 'batch: 4', 1, 'batch: '.length).message, 'train.batch 4 does not apply to optimizer gd (full-batch gradient descent): use optimizer sgd for mini-batches of 4, or batch: full');
    const id = failing('pairs2.yaml', `${HEAD}model:\n  layers: [6, 3]\n  output: identity\n`);
    assert.match(issueAt(id, 'model:').message, /^model\.loss cross-entropy does not pair with output identity/); // loss is the default: points at the model section
  });

  it('missing init files, at the npy value', () => {
    const r = failing('init.yaml', `${HEAD}model:\n  layers: [6, 3]\n  init: { npy: weights/ }\n`);
    const i = issueAt(r, 'weights/');
    assert.match(i.message, /^model\.init\.npy: "weights\/" not found \(looked for .*weights\); give a directory with W1\.npy or an \.npz file/);
  });

  it('sweep: zip lists of unequal length, unknown paths, invalid values, bad bounds', () => {
    const r = failing('sweep.yaml', `${HEAD}model:\n  layers: [6, 3]\nsweep:
  grid:
    train.lr: [0.1, fast]
    train.epoch: [1, 2]
    model.layer: [[6, 3]]
  zip:
    - { train.optimizer: [sgd, adam], train.batch: [8, 16, 32] }
  random: { samples: 3, params: { train.l2: { loguniform: [0, 1] }, train.momentum: { uniform: [0.5, 0.2] } } }
`);
    assert.equal(issueAt(r, 'fast').message, 'train.lr must be a number > 0, got "fast"');
    assert.equal(issueAt(r, 'train.epoch').message, 'unknown sweep path "train.epoch" in sweep.grid: did you mean "train.epochs"?');
    assert.equal(issueAt(r, 'model.layer:').message, 'unknown sweep path "model.layer" in sweep.grid: did you mean "model.layers"?');
    assert.equal(issueAt(r, 'train.batch').message, 'sweep.zip[0]: train.batch has 3 values but train.optimizer has 2; the lists of a zip group vary together and must have equal lengths');
    assert.equal(issueAt(r, '0, 1]').message, 'train.l2: loguniform needs 0 < low < high, got low 0 (a log scale cannot reach 0 or below)');
    assert.equal(issueAt(r, '0.2]').message, 'train.momentum: uniform needs low < high, got [0.5, 0.2]');
    assert.equal(r.err.issues.length, 6, r.err.message);
  });

  it('a swept value that breaks a check points at the value inside the sweep', () => {
    const text = `${HEAD}model:\n  layers: [6, 3]\nsweep:\n  grid:\n    model.layers: [[6, 4, 3], [6, 4, 5]]\n    model.loss: [cross-entropy, mse]\n  random: { samples: 4, params: { train.lr: { uniform: [-1, 1] } } }\n`;
    const r = failing('swept.yaml', text);
    assert.equal(issueAt(r, '5]]').message, 'model.layers ends with 5 but the data has 3 classes: make the last layer 3');
    assert.equal(issueAt(r, '-1').message, 'train.lr: the low bound of uniform is out of range: train.lr must be > 0, got -1');
    // layers [6, 4, 3] with softmax + mse: the loss is the swept value
    assert.equal(issueAt(r, 'mse').message, 'model.loss mse does not pair with output softmax: use loss cross-entropy with softmax, or output sigmoid or identity with mse');
  });

  it('reports several errors of one file together, sorted by position', () => {
    const r = failing('many.yaml', `${HEAD}  train: 100\nmodel:\n  layers: [6, 3]\n  activation: rleu\ntrain:\n  epoch: 3\n  lr: -1\n`);
    assert.deepEqual(r.err.issues.map((i) => [i.line, i.col]), [posOf(r.text, '100'), posOf(r.text, 'rleu'), posOf(r.text, 'epoch'), posOf(r.text, '-1')].map((p) => [p.line, p.col]));
    assert.equal(r.err.message.split('\n').length, 4);
    for (const line of r.err.message.split('\n')) assert.match(line, new RegExp(`^${r.file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+: \\S`));
  });

  it('a missing file is NOT_FOUND; duplicate names across files are reported at the second name', () => {
    assert.throws(() => loadExperiment(join(dir, 'nope.yaml')), (e: unknown) => e instanceof ConfigError && e.code === 'NOT_FOUND' && /nope\.yaml: cannot read the experiment file: no such file/.test(e.message));
    writeFiles(dir, { 'one.yaml': `${HEAD}model:\n  layers: [6, 3]\n`, 'two.yaml': `# same name\n${HEAD}model:\n  layers: [6, 3]\n` });
    const { ok, errors } = validateFiles([join(dir, 'one.yaml'), join(dir, 'two.yaml')]);
    assert.equal(ok.length, 1);
    assert.equal(errors.length, 1);
    const text = `# same name\n${HEAD}`;
    assert.deepEqual(errors[0]!.issues[0], { file: join(dir, 'two.yaml'), ...posOf(text, 'name: t', 1, 'name: '.length), message: `experiment name "t" is also used by ${join(dir, 'one.yaml')}: names must be unique` });
  });
});

describe('reserved experiment names', () => {
  it('refuses a default name from a file name starting with _ (reserved for built-ins such as _baselines)', () => {
    const r = failing('_baselines.yaml', HEAD.replace('name: t\n', '') + 'model:\n  layers: [6, 3]\n');
    assert.equal(r.err.issues.length, 1);
    assert.deepEqual([r.err.issues[0]!.line, r.err.issues[0]!.col], [1, 1]);
    assert.match(r.err.issues[0]!.message, /"_baselines".*set name:/);
  });
  it('accepts the same file once it sets a name', () => {
    writeFiles(dir, { '_ok.yaml': HEAD.replace('name: t', 'name: ok') + 'model:\n  layers: [6, 3]\n' });
    assert.equal(loadExperiment(join(dir, '_ok.yaml')).name, 'ok');
  });
});
