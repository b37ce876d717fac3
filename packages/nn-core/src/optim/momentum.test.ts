import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsKernels } from '../kernels/js.js';
import { MomentumOptimizer } from './momentum.js';

const close = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-14, `${what}: ${a} vs ${b}`);

// f(p) = ½ p², g = p; p0 = 1, lr = 0.1, μ = 0.9.
// Heavy ball (v ← μv + g; p ← p − lr·v):
//   t=1: g = 1,    v = 1,                p = 1 − 0.1           = 0.9
//   t=2: g = 0.9,  v = 0.9 + 0.9  = 1.8,  p = 0.9 − 0.18        = 0.72
//   t=3: g = 0.72, v = 1.62 + 0.72 = 2.34, p = 0.72 − 0.234      = 0.486
// Nesterov (v ← μv + g; p ← p − lr·(g + μv)):
//   t=1: g = 1,    v = 1,                    p = 1 − 0.1·(1 + 0.9)          = 0.81
//   t=2: g = 0.81, v = 0.9 + 0.81   = 1.71,  p = 0.81 − 0.1·(0.81 + 1.539)  = 0.5751
//   t=3: g = 0.5751, v = 1.539 + 0.5751 = 2.1141, p = 0.5751 − 0.1·(0.5751 + 1.90269) = 0.5751 − 0.247779 = 0.327321
test('heavy-ball momentum: three hand-derived steps on ½p²', () => {
  const p = new Float64Array([1]);
  const g = new Float64Array(1);
  const opt = new MomentumOptimizer(jsKernels, p, g, 0.9, false);
  for (const [expP, expV] of [[0.9, 1], [0.72, 1.8], [0.486, 2.34]]) {
    g[0] = p[0];
    opt.step(0.1);
    close(p[0], expP, 'p');
    close(opt.velocity[0], expV, 'v');
  }
});

test('Nesterov momentum: three hand-derived steps on ½p²', () => {
  const p = new Float64Array([1]);
  const g = new Float64Array(1);
  const opt = new MomentumOptimizer(jsKernels, p, g, 0.9, true);
  for (const [expP, expV] of [[0.81, 1], [0.5751, 1.71], [0.327321, 2.1141]]) {
    g[0] = p[0];
    opt.step(0.1);
    close(p[0], expP, 'p');
    close(opt.velocity[0], expV, 'v');
  }
});
