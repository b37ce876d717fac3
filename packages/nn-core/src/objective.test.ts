import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMlp } from './model.js';
import { mlpObjective } from './objective.js';
import { NnCoreError } from './errors.js';
import { jsKernels } from './kernels/js.js';
import type { Kernels } from './kernels/types.js';
import { Rng } from './rng.js';
import { ADDONS } from './testing/native-compare.js';

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

// Issue 14: gradient checking is unaffected by the kernel tier. On every addon build (OpenBLAS and built-in GEMM,
// see testing/native-compare.ts) and on the TypeScript kernels, the analytic gradient of a float64 objective
// matches fourth-order central differences (relative error <= 1e-7, the gradcheck default threshold), for a
// smooth net whose layers use every GEMM shape class (several k-blocks: 300 inputs > 256 doubles per block).
test('analytic gradient = finite differences on every kernel tier (float64, several k-blocks)', () => {
  const backends: Array<[string, Kernels]> = [['typescript', jsKernels], ...ADDONS.flatMap((a) => (a.load.kernels ? [[a.name, a.load.kernels] as [string, Kernels]] : []))];
  const rng = new Rng(5);
  const nIn = 300;
  const x = new Float64Array(20 * nIn);
  for (let i = 0; i < x.length; i++) x[i] = rng.normal();
  const data = { x, labels: Uint8Array.from({ length: 20 }, (_, i) => i % 3), n: 20 };
  for (const [name, kernels] of backends) {
    const m = createMlp({ layers: [nIn, 17, 9, 3], activation: 'tanh', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float64', init: 'xavier', seed: 3, kernels });
    const obj = mlpObjective(m, data, 0.3);
    const g = new Float64Array(m.numParams);
    obj.gradient(g);
    let worst = 0;
    for (let s = 0; s < 60; s++) {
      const i = rng.int(m.numParams);
      const p = obj.params[i]!;
      const h = 1e-3 * Math.max(1, Math.abs(p));
      const at = (d: number) => { obj.params[i] = p + d; const c = obj.cost(); obj.params[i] = p; return c; };
      const num = (8 * (at(h) - at(-h)) - (at(2 * h) - at(-2 * h))) / (12 * h);
      worst = Math.max(worst, Math.abs(num - g[i]!) / Math.max(1e-8, Math.abs(num) + Math.abs(g[i]!)));
    }
    assert.ok(worst <= 1e-7, `${name}: max relative error ${worst}`);
  }
});
