// Learning tests on real MNIST (read through @sweeplab/data, a test-only dependency of nn-core).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadData } from '@sweeplab/data';
import { createMlp } from './model.js';
import { predict } from './evaluate.js';
import { train } from './train.js';
import type { EpochMetrics } from './types.js';

test("the question's network collapses to the class prior: 784-5-5-10 sigmoid, U(0, 0.01), lr 2, λ = 1, 5 gd iterations", () => {
  const d = loadData({ dataset: 'mnist', train: { count: 2000 }, test: { count: 100 }, scale: [-1, 1] }, { dtype: 'float64' });
  assert.equal(d.train.n, 2000);
  // class frequencies of this subset, counted here from its labels
  const counts = new Array(10).fill(0);
  for (let i = 0; i < d.train.n; i++) counts[d.train.labels[i]]++;
  const p = counts.map((c) => c / d.train.n);
  // cost of predicting h_k = p_k for every input: -Σ_k [p_k log p_k + (1 - p_k) log(1 - p_k)]
  const priorCost = -p.reduce((s, pk) => s + pk * Math.log(pk) + (1 - pk) * Math.log(1 - pk), 0);
  assert.ok(Math.abs(priorCost - 3.249) < 0.01, `prior cost ${priorCost}`);

  const model = createMlp(
    { layers: [784, 5, 5, 10], activation: 'sigmoid', output: 'sigmoid', loss: 'cross-entropy' },
    { dtype: 'float64', init: { uniform: [0, 0.01] }, seed: 1 },
  );
  const epochs: EpochMetrics[] = [];
  const res = train(model, { train: d.train, test: d.test, numClasses: 10 },
    { optimizer: 'gd', batch: 'full', lr: 2, epochs: 5, l2: 1, seed: 1 }, (m) => { epochs.push(m); });
  assert.equal(res.status, 'done');
  assert.equal(res.updates, 5);
  // untrained: every output ≈ sigmoid(small) ≈ 0.5, cost ≈ 10·log 2 ≈ 6.93
  assert.ok(Math.abs(epochs[0].cost - 10 * Math.log(2)) < 0.2, `epoch 0 cost ${epochs[0].cost}`);
  const final = res.last.cost;
  assert.ok(Math.abs(final - priorCost) <= 0.02, `final cost ${final} vs prior cost ${priorCost}`);
  // every output of every training input sits at its class frequency: the net ignores its input
  const H = predict(model, d.train.x, d.train.n);
  let worst = 0;
  for (let i = 0; i < d.train.n; i++) for (let k = 0; k < 10; k++) worst = Math.max(worst, Math.abs(H[i * 10 + k] - p[k]));
  assert.ok(worst <= 0.05, `max |h - p_k| = ${worst}`);
  // and the metrics show it: per-unit spread across inputs ~ 0
  assert.ok(res.last.outUnitStd.every((s) => s < 1e-3), `outUnitStd ${res.last.outUnitStd}`);
});

test('a 784-64-10 ReLU/softmax net with Adam reaches >= 90% test accuracy within 2 epochs on 10000 images', () => {
  const d = loadData({ dataset: 'mnist', train: { count: 10000 }, test: { count: 10000 }, scale: 'standardize' }, { dtype: 'float32' });
  const model = createMlp(
    { layers: [784, 64, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy' },
    { dtype: 'float32', init: 'he', seed: 1 },
  );
  const res = train(model, { train: d.train, test: d.test, numClasses: 10 },
    { optimizer: 'adam', batch: 64, lr: 2e-3, epochs: 2, l2: 0, seed: 1 });
  assert.equal(res.status, 'done');
  assert.equal(res.updates, 2 * Math.ceil(10000 / 64));
  assert.ok((res.last.testAcc as number) >= 0.9, `test accuracy ${res.last.testAcc}`);
  assert.ok(res.testEval !== null);
  assert.equal(res.testEval.confusion.flat().reduce((a, b) => a + b, 0), 10000);
});
