import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../kernels/js.js';
import { SgdOptimizer } from './gd-sgd.js';

// Tiny problem: f(p) = ½ Σ c_i p_i², so ∂f/∂p_i = c_i p_i. Gradient descent with rate lr:
//   p_i ← p_i − lr·c_i·p_i = (1 − lr·c_i)·p_i, hence after t steps p_i = (1 − lr·c_i)^t · p_i(0).
test('gradient descent on a quadratic: p_t = (1 - lr·c)^t · p_0, for float64 and float32', () => {
  for (const make of [(a: number[]) => new Float64Array(a), (a: number[]) => new Float32Array(a)]) {
    const c = [1, 4, 0.5];
    const p0 = [1, -2, 3];
    const p = make(p0);
    const g = make([0, 0, 0]);
    const opt = new SgdOptimizer(jsKernels, p, g);
    const lr = 0.1;
    for (let t = 1; t <= 3; t++) {
      for (let i = 0; i < 3; i++) g[i] = c[i] * p[i];
      opt.step(lr);
      for (let i = 0; i < 3; i++) {
        const expected = Math.pow(1 - lr * c[i], t) * p0[i];
        assert.ok(Math.abs(p[i] - expected) < (p instanceof Float64Array ? 1e-15 : 1e-6), `t=${t} i=${i}: ${p[i]} vs ${expected}`);
      }
    }
    assert.equal(opt.steps, 3);
    // by hand for t = 1: [0.9, -2 + 0.8, 3 - 0.15] -> checked above through the closed form; spot value at t = 3:
    // p_1(3) = (1 - 0.4)^3 · (-2) = -0.432
  }
});
