import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMlp } from './model.js';
import { mlpObjective } from './objective.js';
import { NnCoreError } from './errors.js';

const set = { x: new Float64Array([1, -1, 0.5, 2]), labels: new Uint8Array([0, 1]), n: 2 };

test('the objective perturbs the model in place and reports the layer blocks', () => {
  const m = createMlp({ layers: [2, 3, 2], activation: 'tanh', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float64', init: 'xavier', seed: 1 });
  const obj = mlpObjective(m, set, 0.5);
  assert.equal(obj.params, m.params);
  assert.deepEqual(obj.layers, [{ nIn: 2, nOut: 3, offset: 0 }, { nIn: 3, nOut: 2, offset: 9 }]);
  const c0 = obj.cost();
  obj.params[4] += 0.1;
  assert.notEqual(obj.cost(), c0);
  obj.params[4] -= 0.1;
  assert.equal(obj.kinkSignature?.(), 0); // smooth activations: constant signature
});

test('kinkSignature changes exactly when a ReLU pre-activation changes sign', () => {
  // 1 input, 2 ReLU units with zero weights: z_j = b_j for every row; unit 0 bias 0.01
  const m = createMlp({ layers: [2, 2, 2], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float64', init: { uniform: [0, 0] }, seed: 1 });
  m.layers[0].b.set([0.01, 0.5]);
  const obj = mlpObjective(m, set, 0);
  obj.cost();
  const s0 = obj.kinkSignature?.();
  m.layers[0].b[0] = 0.005; // still positive
  obj.cost();
  assert.equal(obj.kinkSignature?.(), s0);
  m.layers[0].b[0] = -0.005; // crossed the kink
  obj.cost();
  assert.notEqual(obj.kinkSignature?.(), s0);
  m.layers[0].b[0] = 0.01;
  obj.cost();
  assert.equal(obj.kinkSignature?.(), s0);
});

test('gradient checking needs a float64 model', () => {
  const m = createMlp({ layers: [2, 2], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float32', init: 'he', seed: 1 });
  assert.throws(() => mlpObjective(m, { ...set, x: new Float32Array(4) }, 0), (e: unknown) => e instanceof NnCoreError && /needs a float64 model/.test(e.message));
});
