import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMlp } from './model.js';
import { evaluate, predict } from './evaluate.js';
import { mlpObjective } from './objective.js';
import { NnCoreError } from './errors.js';
import { kernelInfo, type KernelChoice } from './kernels/index.js';
import { Rng } from './rng.js';
import { blobs, maxRelDiff, naiveMlp } from './testing/naive.js';
import type { Activation, LossName, ModelSpec, OutputActivation } from './types.js';

const ACTS: Activation[] = ['sigmoid', 'tanh', 'relu', 'leaky-relu', 'identity'];
const PAIRS: [OutputActivation, LossName][] = [['sigmoid', 'cross-entropy'], ['softmax', 'cross-entropy'], ['identity', 'mse'], ['sigmoid', 'mse']];
const BACKENDS: KernelChoice[] = kernelInfo('native').backend === 'native' ? ['js', 'native'] : ['js'];

test('parameter layout: one (nIn+1, nOut) block per layer, bias in row 0, views into the flat buffers', () => {
  const m = createMlp({ layers: [3, 2, 4], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float64', init: 'he', seed: 1 });
  assert.equal(m.numParams, 4 * 2 + 3 * 4);
  assert.deepEqual(m.layers.map((v) => [v.nIn, v.nOut, v.offset, v.size]), [[3, 2, 0, 8], [2, 4, 8, 12]]);
  m.params[8 + 4 + 1 * 4 + 3] = 42; // layer 2, weight from input 1 to unit 3 = row 2, col 3
  assert.equal(m.layers[1].W[1 * 4 + 3], 42);
  m.params[8 + 2] = 7; // layer 2 bias of unit 2 (row 0)
  assert.equal(m.layers[1].b[2], 7);
  m.grads[5] = -1; // layer 1, row 2 (input 1), col 1
  assert.equal(m.layers[0].dW[1 * 2 + 1], -1);
  assert.equal(m.layers[0].b.length, 2);
  assert.equal(m.layers[0].W.length, 6);
});

test('init schemes: ranges, spreads, biases; seeded and reproducible', () => {
  const spec: ModelSpec = { layers: [400, 300, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy' };
  const std = (a: ArrayLike<number>) => { let s = 0, s2 = 0; for (let i = 0; i < a.length; i++) { s += a[i]; s2 += a[i] * a[i]; } const m = s / a.length; return Math.sqrt(s2 / a.length - m * m); };
  const mean = (a: ArrayLike<number>) => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]; return s / a.length; };

  const u = createMlp(spec, { dtype: 'float64', init: { uniform: [0, 0.01] }, seed: 3 });
  assert.ok(u.params.every((v) => v >= 0 && v < 0.01)); // biases included: the question's Theta
  assert.ok(u.layers[0].b.some((v) => v > 0));
  assert.ok(Math.abs(mean(u.params) - 0.005) < 1e-4);

  const n = createMlp(spec, { dtype: 'float64', init: { normal: [1, 0.5] }, seed: 3 });
  assert.ok(Math.abs(mean(n.params) - 1) < 0.01 && Math.abs(std(n.params) - 0.5) < 0.01);

  const xu = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 3 });
  const lim = Math.sqrt(6 / (400 + 300));
  assert.ok(xu.layers[0].W.every((v) => Math.abs(v) <= lim));
  assert.ok(Math.abs(std(xu.layers[0].W) - lim / Math.sqrt(3)) < 0.002); // U(-a, a) has std a/√3
  assert.ok(xu.layers[0].b.every((v) => v === 0));

  const xn = createMlp(spec, { dtype: 'float64', init: 'xavier-normal', seed: 3 });
  assert.ok(Math.abs(std(xn.layers[0].W) - Math.sqrt(2 / 700)) < 0.002);
  const hn = createMlp(spec, { dtype: 'float64', init: 'he-normal', seed: 3 });
  assert.ok(Math.abs(std(hn.layers[0].W) - Math.sqrt(2 / 400)) < 0.002);
  const hu = createMlp(spec, { dtype: 'float64', init: 'he-uniform', seed: 3 });
  assert.ok(hu.layers[0].W.every((v) => Math.abs(v) <= Math.sqrt(6 / 400)));
  assert.ok(Math.abs(std(hu.layers[0].W) - Math.sqrt(2 / 400)) < 0.002);

  // auto: he for relu, xavier for sigmoid
  assert.deepEqual(createMlp(spec, { dtype: 'float64', init: 'auto', seed: 3 }).params, createMlp(spec, { dtype: 'float64', init: 'he', seed: 3 }).params);
  const sig = { ...spec, activation: 'sigmoid' as const };
  assert.deepEqual(createMlp(sig, { dtype: 'float64', init: 'auto', seed: 3 }).params, createMlp(sig, { dtype: 'float64', init: 'xavier', seed: 3 }).params);
  // reproducible; seeds differ; float32 = rounded float64
  assert.deepEqual(createMlp(spec, { dtype: 'float64', init: 'he', seed: 3 }).params, hn.params);
  assert.notDeepEqual(createMlp(spec, { dtype: 'float64', init: 'he', seed: 4 }).params, hn.params);
  assert.deepEqual(createMlp(spec, { dtype: 'float32', init: 'he', seed: 3 }).params, Float32Array.from(hn.params));
});

test('bad specs and options are rejected with the field and the fix', () => {
  const base: ModelSpec = { layers: [4, 3], activation: 'relu', output: 'softmax', loss: 'cross-entropy' };
  const bad = (spec: ModelSpec, init: unknown, re: RegExp) => assert.throws(
    () => createMlp(spec, { dtype: 'float64', init: init as 'he', seed: 1 }),
    (e: unknown) => e instanceof NnCoreError && re.test(e.message),
  );
  bad({ ...base, layers: [4] }, 'he', /layers must list at least/);
  bad({ ...base, layers: [4, 0] }, 'he', /layers\[1\] = 0 is not a positive integer/);
  bad({ ...base, output: 'softmax', loss: 'mse' }, 'he', /output 'softmax' cannot go with loss 'mse'; use output identity or sigmoid/);
  bad({ ...base, output: 'identity', loss: 'cross-entropy' }, 'he', /use output sigmoid or softmax/);
  bad({ ...base, activation: 'gelu' as Activation }, 'he', /activation 'gelu' is unknown/);
  bad(base, 'lecun', /init: 'lecun' is unknown/);
  bad(base, { uniform: [1, 0] }, /uniform: \[1, 0\] needs finite bounds/);
});

test('forward, cost and gradient of every activation x output/loss pair match a naive scalar reference', () => {
  const r = new Rng(21);
  const n = 7;
  const data = blobs(r, n, 4, 3);
  for (const kernels of BACKENDS) {
    for (const activation of ACTS) {
      for (const [output, loss] of PAIRS) {
        for (const l2 of [0, 0.3]) {
          const spec: ModelSpec = { layers: [4, 5, 4, 3], activation, output, loss, leakySlope: 0.1 };
          const m = createMlp(spec, { dtype: 'float64', init: { normal: [0, 0.6] }, seed: 8, kernels });
          const ref = naiveMlp(spec, m.params, data.x, data.labels, n, l2);
          const what = `${kernels} ${activation} ${output}/${loss} l2=${l2}`;
          assert.ok(maxRelDiff(predict(m, data.x, n), ref.outputs.flat()) < 1e-12, `outputs ${what}`);
          const obj = mlpObjective(m, data, l2);
          // 1e-10: the naive log(1 - h) loses ~1e-11 relative when h is near 1; the kernels use softplus
          assert.ok(Math.abs(obj.cost() - ref.cost) < 1e-10 * ref.cost, `cost ${what}: ${obj.cost()} vs ${ref.cost}`);
          const g = new Float64Array(m.numParams);
          obj.gradient(g);
          assert.ok(maxRelDiff(g, ref.grad, 1e-6) < 1e-10, `gradient ${what}: ${maxRelDiff(g, ref.grad, 1e-6)}`);
          assert.ok(Math.abs(evaluate(m, data).loss - ref.loss) < 1e-10 * ref.loss, `evaluate loss ${what}`);
        }
      }
    }
  }
});

test('evaluate: accuracy, per-class accuracy and confusion matrix counted by hand', () => {
  // 1 input, identity output, 3 classes: output k = w_k·x + b_k; with W = [1, 0, -1] and b = 0, x > 0 predicts
  // class 0, x < 0 class 2, x = 0 ties -> first max = class 0
  const m = createMlp({ layers: [1, 3], activation: 'identity', output: 'identity', loss: 'mse' }, { dtype: 'float64', init: { uniform: [0, 0] }, seed: 1 });
  m.layers[0].W.set([1, 0, -1]);
  const x = new Float64Array([2, -1, 0, 3, -2]);
  const labels = new Uint8Array([0, 2, 1, 1, 1]);
  const ev = evaluate(m, { x, labels, n: 5 });
  // predictions: 0, 2, 0, 0, 2 -> correct at rows 0, 1
  assert.equal(ev.accuracy, 2 / 5);
  assert.deepEqual(ev.confusion, [[1, 0, 0], [2, 0, 1], [0, 0, 1]]);
  assert.deepEqual(ev.perClass, [1, 0, 1]);
  // loss: ½ Σ (h - y)² per row, averaged: rows (h) [2,0,-2] y e0 -> ½(1+0+4); [-1,0,1] y e2 -> ½(1+0+0);
  // [0,0,0] y e1 -> ½; [3,0,-3] y e1 -> ½(9+1+9); [-2,0,2] y e1 -> ½(4+1+4)
  assert.ok(Math.abs(ev.loss - (2.5 + 0.5 + 0.5 + 9.5 + 4.5) / 5) < 1e-15);
  // absent class -> NaN
  assert.ok(Number.isNaN(evaluate(m, { x, labels: new Uint8Array([0, 0, 0, 0, 0]), n: 5 }).perClass[1]));
});

test('data that does not fit the model is rejected once, at the boundary', () => {
  const m = createMlp({ layers: [4, 3], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float32', init: 'he', seed: 1 });
  assert.throws(() => evaluate(m, { x: new Float64Array(8), labels: new Uint8Array(2), n: 2 }), /x is float64 but the model is float32; fix: load the data with dtype 'float32'/);
  assert.throws(() => evaluate(m, { x: new Float32Array(9), labels: new Uint8Array(3), n: 3 }), /x holds 9 values, fewer than n·inputs = 3·4/);
  assert.throws(() => evaluate(m, { x: new Float32Array(8), labels: new Uint8Array([0, 3]), n: 2 }), /label 3 at row 1 is not below the 3 outputs/);
});
