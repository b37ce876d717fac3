import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../kernels/js.js';
import { AdamOptimizer } from './adam.js';

const oneBlock = (n: number) => [{ offset: 0, size: n, nOut: 1 }]; // (nIn + 1, 1): row 0 = bias = params[0]

test('Adam step 1 with eps = 0 is exactly lr·sign(g) (bias correction undoes the zero start)', () => {
  // t = 1: m = (1−β1)g, v = (1−β2)g², m̂ = m/(1−β1) = g, v̂ = v/(1−β2) = g², update = lr·g/|g|.
  // Without the correction the step would be lr·(1−β1)g/√((1−β2)g²) = lr·0.1/0.0316·sign(g) ≈ 3.16·lr.
  const p = new Float64Array([0.5, -1, 2, 0]);
  const g = new Float64Array([3e-4, -7, 123, -1e-9]);
  const opt = new AdamOptimizer(jsKernels, p, g, oneBlock(4), { beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0 });
  opt.step(0.01);
  const expected = [0.5 - 0.01, -1 + 0.01, 2 - 0.01, 0 + 0.01];
  for (let i = 0; i < 4; i++) assert.ok(Math.abs(p[i] - expected[i]) < 1e-15, `${i}: ${p[i]} vs ${expected[i]}`);
});

test('Adam: two hand-derived steps with gradients 2 then -1 (β1 0.9, β2 0.999, eps 1e-8, lr 0.01)', () => {
  // t=1: m = 0.1·2 = 0.2, v = 0.001·4 = 0.004; bc1 = 0.1, bc2 = 0.001 -> m̂ = 2, v̂ = 4
  //      p = 1 − 0.01·2/(2 + 1e-8)
  // t=2: m = 0.9·0.2 + 0.1·(−1) = 0.08, v = 0.999·0.004 + 0.001·1 = 0.004996
  //      bc1 = 1 − 0.81 = 0.19, bc2 = 1 − 0.998001 = 0.001999 -> m̂ = 0.08/0.19, v̂ = 0.004996/0.001999
  //      p −= 0.01·m̂/(√v̂ + 1e-8)
  const p = new Float64Array([1]);
  const g = new Float64Array([2]);
  const opt = new AdamOptimizer(jsKernels, p, g, oneBlock(1), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 });
  opt.step(0.01);
  const p1 = 1 - (0.01 * 2) / (2 + 1e-8);
  assert.ok(Math.abs(p[0] - p1) < 1e-15);
  g[0] = -1;
  opt.step(0.01);
  const p2 = p1 - (0.01 * (0.08 / 0.19)) / (Math.sqrt(0.004996 / 0.001999) + 1e-8);
  assert.ok(Math.abs(p[0] - p2) < 1e-12, `${p[0]} vs ${p2}`);
  assert.ok(Math.abs(opt.m[0] - 0.08) < 1e-15 && Math.abs(opt.v[0] - 0.004996) < 1e-15);
  assert.equal(opt.steps, 2);
});

test('AdamW decays weights only, decoupled from the moments', () => {
  // Zero gradient: m = v = 0, so the Adam term is 0/(0 + eps) = 0 and only the decay acts:
  // weights p ← p − lr·wd·p = p·(1 − 0.1·0.5) = 0.95·p per step; the bias row (params[0]) is untouched.
  const p = new Float64Array([1, 2, -4]);
  const g = new Float64Array(3);
  const opt = new AdamOptimizer(jsKernels, p, g, oneBlock(3), { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5 });
  opt.step(0.1);
  opt.step(0.1);
  assert.deepEqual(Array.from(p), [1, 2 * 0.95 * 0.95, -4 * 0.95 * 0.95]);
  assert.deepEqual(Array.from(opt.m), [0, 0, 0]); // the decay did not pass through the moments
  // with a gradient, the weight update is the Adam step plus lr·wd·p (decay on the pre-step value)
  const q = new Float64Array([0.3, 0.3]);
  const h = new Float64Array([1, 1]);
  const o2 = new AdamOptimizer(jsKernels, q, h, oneBlock(2), { beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0.5 });
  o2.step(0.1);
  assert.ok(Math.abs(q[0] - (0.3 - 0.1)) < 1e-15); // bias: lr·sign(g) only
  assert.ok(Math.abs(q[1] - (0.3 - 0.1 * (1 + 0.5 * 0.3))) < 1e-15); // weight: lr·(sign(g) + wd·p)
});
