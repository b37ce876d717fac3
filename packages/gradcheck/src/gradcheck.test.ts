import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMlp, mlpObjective, Rng, type Activation, type LossName, type Objective, type OutputActivation } from '@sweeplab/nn-core';
import { gradcheck, GradcheckError, type GradcheckReport } from './gradcheck.js';

const ACTS: Activation[] = ['sigmoid', 'tanh', 'relu', 'leaky-relu', 'identity'];
const PAIRS: [OutputActivation, LossName][] = [['sigmoid', 'cross-entropy'], ['softmax', 'cross-entropy'], ['identity', 'mse'], ['sigmoid', 'mse']];

/** A tiny float64 net on random data: 4 inputs, hidden 5 and 4, 3 classes, 6 examples. */
function tiny(activation: Activation, output: OutputActivation, loss: LossName, l2: number, seed = 7) {
  const model = createMlp({ layers: [4, 5, 4, 3], activation, output, loss }, { dtype: 'float64', init: { normal: [0, 0.8] }, seed });
  const r = new Rng(seed + 100);
  const n = 6;
  const x = new Float64Array(n * 4).map(() => r.normal());
  const labels = new Uint8Array(n).map(() => r.int(3));
  return { model, obj: mlpObjective(model, { x, labels, n }, l2) };
}

const failing = (rep: GradcheckReport) => rep.layers.filter((l) => !l.passed).map((l) => `${l.layer}:${l.kind}`);

/** obj.layers[i] (0-based), asserted to exist. */
function layerOf(obj: Objective, i: number): Objective['layers'][number] {
  const l = obj.layers[i];
  assert.ok(l, `the objective has no layer ${i}`);
  return l;
}

test('correct nets pass at 1e-7 for every activation x output/loss x l2 (order 4, eps 1e-3, floor 1e-3)', () => {
  let worst = 0;
  for (const a of ACTS) {
    for (const [o, l] of PAIRS) {
      for (const l2 of [0, 0.7]) {
        const { obj } = tiny(a, o, l, l2);
        const rep = gradcheck(obj);
        assert.ok(rep.passed, `${a} ${o}/${l} l2=${l2}: max rel ${rep.maxRelError} at ${JSON.stringify(rep.layers.find((x) => !x.passed))}`);
        assert.equal(rep.checked + rep.skipped, obj.params.length);
        assert.equal(rep.eps, 1e-3);
        assert.equal(rep.order, 4);
        assert.equal(rep.floor, 1e-3);
        assert.equal(rep.threshold, 1e-7);
        worst = Math.max(worst, rep.maxRelError);
      }
    }
  }
  assert.ok(worst <= 1e-7 && worst > 0, `worst ${worst}`); // measured: ~1e-9
});

test('the report is per layer and kind, 1-based, with the worst index in the (nIn + 1, nOut) block', () => {
  const { obj } = tiny('tanh', 'softmax', 'cross-entropy', 0.3);
  const rep = gradcheck(obj);
  assert.deepEqual(rep.layers.map((l) => `${l.layer}:${l.kind}:${l.checked}`), ['1:weights:20', '1:biases:5', '2:weights:20', '2:biases:4', '3:weights:12', '3:biases:3']);
  for (const l of rep.layers) {
    assert.ok(l.worst !== null);
    assert.equal(l.kind === 'biases', l.worst.row === 0);
    const { nOut, offset } = layerOf(obj, l.layer - 1);
    assert.equal(nOut, [5, 4, 3][l.layer - 1]);
    assert.equal(l.worst.index, l.worst.row * nOut + l.worst.col);
    assert.ok(l.worst.col < nOut);
    // the worst entry's analytic value is the gradient at that place
    const g = new Float64Array(obj.params.length);
    obj.gradient(g);
    assert.equal(l.worst.analytic, g[offset + l.worst.index]);
  }
});

test('parameters are restored bit for bit and a seeded sample checks the asked number', () => {
  const { obj } = tiny('sigmoid', 'sigmoid', 'cross-entropy', 1);
  const before = Float64Array.from(obj.params);
  const rep = gradcheck(obj, { samples: 12, seed: 3 });
  assert.deepEqual(obj.params, before);
  assert.equal(rep.checked, 12); // ceil(12 / 6 groups) = 2 per (layer, kind)
  assert.ok(rep.layers.every((l) => l.checked === 2));
  assert.deepEqual(gradcheck(obj, { samples: 12, seed: 3 }).layers.map((l) => l.worst?.index), rep.layers.map((l) => l.worst?.index));
  assert.equal(gradcheck(obj, { samples: 1000 }).checked, obj.params.length); // capped at the group sizes
});

/** Wraps an objective with a deliberately wrong gradient. */
function wrong(obj: Objective, corrupt: (g: Float64Array) => void): Objective {
  const out: Objective = {
    params: obj.params, layers: obj.layers, cost: () => obj.cost(),
    gradient: (g) => { obj.gradient(g); corrupt(g); },
  };
  const signature = obj.kinkSignature?.bind(obj);
  if (signature) out.kinkSignature = signature;
  return out;
}

test('a sign flip in one layer\'s weight gradient fails at that layer and kind only', () => {
  for (const a of ['tanh', 'relu'] as const) {
    const { obj } = tiny(a, 'softmax', 'cross-entropy', 0.5);
    const L2 = layerOf(obj, 1);
    const rep = gradcheck(wrong(obj, (g) => {
      const weights = g.subarray(L2.offset + L2.nOut, L2.offset + (L2.nIn + 1) * L2.nOut);
      weights.set(weights.map((v) => -v));
    }));
    assert.equal(rep.passed, false);
    assert.deepEqual(failing(rep), ['2:weights'], a);
    const bad = rep.layers.find((l) => !l.passed)!;
    assert.ok(bad.maxRelError > 0.5); // a flipped sign is off by 2|g| -> relative error ~1 (2|g| / |g|, capped by the max)
    assert.ok(bad.worst !== null && bad.worst.row >= 1 && Math.sign(bad.worst.analytic) === -Math.sign(bad.worst.numeric));
  }
});

test('a missing regularization term (gradient with l2 = 0, cost with l2 > 0) fails on weights of every layer, not biases', () => {
  const { model } = tiny('sigmoid', 'sigmoid', 'cross-entropy', 1);
  const set = { x: new Float64Array(24).map((_, i) => Math.sin(i)), labels: new Uint8Array([0, 1, 2, 0, 1, 2]), n: 6 };
  const withL2 = mlpObjective(model, set, 1);
  const noL2 = mlpObjective(model, set, 0);
  const rep = gradcheck({ params: withL2.params, layers: withL2.layers, cost: () => withL2.cost(), gradient: (o) => noL2.gradient(o) });
  assert.equal(rep.passed, false);
  assert.deepEqual(failing(rep), ['1:weights', '2:weights', '3:weights']);
  // the missing part is exactly λ/N·w at the worst place
  for (const l of rep.layers.filter((x) => !x.passed)) {
    assert.ok(l.worst !== null);
    const w = model.params[layerOf(withL2, l.layer - 1).offset + l.worst.index];
    assert.ok(w !== undefined);
    assert.ok(Math.abs(l.worst.numeric - l.worst.analytic - w / 6) < 1e-9);
  }
});

test('an off-by-one bias row (the block read one row down) fails and points at that layer\'s biases', () => {
  const { obj } = tiny('leaky-relu', 'identity', 'mse', 0.2);
  const L3 = layerOf(obj, 2);
  // gradient rows 0..nIn of layer 3 rotated by one: row r gets what belongs to row r + 1 (bias gets weight row 1)
  const rep = gradcheck(wrong(obj, (g) => {
    const block = g.slice(L3.offset, L3.offset + (L3.nIn + 1) * L3.nOut);
    g.set(block.subarray(L3.nOut), L3.offset); // rows 1..nIn -> rows 0..nIn-1
    g.set(block.subarray(0, L3.nOut), L3.offset + L3.nIn * L3.nOut); // row 0 -> row nIn
  }));
  assert.equal(rep.passed, false);
  assert.ok(failing(rep).includes('3:biases'), failing(rep).join());
  assert.ok(failing(rep).every((f) => f.startsWith('3:')), failing(rep).join());
  assert.equal(rep.layers.find((l) => l.layer === 3 && l.kind === 'biases')!.worst!.row, 0);
});

test('parameters whose perturbation crosses a ReLU kink are skipped and counted', () => {
  // A ReLU unit whose pre-activation for one example sits within 2·eps of zero: perturbing its bias crosses it.
  const model = createMlp({ layers: [1, 2, 2], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, { dtype: 'float64', init: { uniform: [0.2, 0.6] }, seed: 1 });
  const [first] = model.layers;
  assert.ok(first);
  first.W.set([1, 1]);
  first.b.set([-0.9995, 0.3]); // x = 1 -> z_0 = 5e-4 for example 0; x = 3 -> 2.0005 for example 1
  const set = { x: new Float64Array([1, 3]), labels: new Uint8Array([0, 1]), n: 2 };
  const obj = mlpObjective(model, set, 0);
  const rep = gradcheck(obj);
  assert.ok(rep.passed, `max rel ${rep.maxRelError}`);
  const b1 = rep.layers.find((l) => l.layer === 1 && l.kind === 'biases')!;
  const w1 = rep.layers.find((l) => l.layer === 1 && l.kind === 'weights')!;
  assert.equal(b1.skipped, 1); // unit 0's bias
  assert.equal(w1.skipped, 1); // unit 0's weight (x = 1 moves z_0 by ±eps)
  assert.equal(rep.skipped, 2);
  // without the signature the same check compares a difference quotient across the kink and fails there
  const blind = gradcheck({ params: obj.params, layers: obj.layers, cost: () => obj.cost(), gradient: (o) => obj.gradient(o) });
  assert.equal(blind.passed, false);
  assert.deepEqual(failing(blind).sort(), ['1:biases', '1:weights']);
});

test('difference formulas: order 2 has error exactly eps², order 4 is exact on a cubic', () => {
  // J(p) = Σ p_i³ with gradient 3p_i²: (J(p+h) − J(p−h))/2h = 3p² + h², and the five-point stencil is exact
  // for polynomials up to degree 4. One "layer" (nIn = 1, nOut = 2) holds the 4 parameters.
  const params = new Float64Array([0.5, -1, 2, 0.25]);
  const cubic: Objective = {
    params, layers: [{ nIn: 1, nOut: 2, offset: 0 }],
    cost: () => params.reduce((s, p) => s + p ** 3, 0),
    gradient: (o) => o.set(params.map((p) => 3 * p ** 2)),
  };
  const r2 = gradcheck(cubic, { order: 2, eps: 1e-2, floor: 0 });
  for (const l of r2.layers) assert.ok(Math.abs(l.maxAbsError - 1e-4) < 1e-9, `order 2 ${l.maxAbsError}`);
  assert.equal(r2.passed, false);
  const r4 = gradcheck(cubic, { order: 4, eps: 1e-2, floor: 0 });
  assert.ok(r4.maxRelError < 1e-12, `order 4 ${r4.maxRelError}`);
  assert.ok(r4.passed);
  // a NaN gradient never passes
  const nan = gradcheck({ ...cubic, gradient: (o) => o.fill(NaN) });
  assert.equal(nan.passed, false);
  assert.equal(nan.maxRelError, Infinity);
});

test('the floor keeps noise on near-zero gradients from failing, and floor 0 shows it', () => {
  // J = 5 + 1e-3·(p0² + p1²), p0 (the bias) = 1e-9: the true derivative is 2e-12, but J(p0 ± h) differ by
  // 4e-17, below the ulp of 5 (8.9e-16), so the order-2 quotient reads 0 or ±ulp/2h: a relative error ~1 that is
  // pure rounding noise. With the default floor 1e-3 it reads |2e-12 − numeric| / 1e-3 ≲ 5e-8 and passes.
  const params = new Float64Array([1e-9, 0]);
  const obj: Objective = {
    params, layers: [{ nIn: 1, nOut: 1, offset: 0 }],
    cost: () => {
      const [p0 = NaN, p1 = NaN] = params;
      return 5 + 1e-3 * p0 ** 2 + 1e-3 * p1 ** 2;
    },
    gradient: (o) => o.set(params.map((p) => 2e-3 * p)),
  };
  assert.ok(gradcheck(obj, { order: 2 }).passed);
  const noFloor = gradcheck(obj, { order: 2, floor: 0 });
  assert.equal(noFloor.passed, false);
  assert.deepEqual(failing(noFloor), ['1:biases']);
  const biases = noFloor.layers[1];
  assert.ok(biases !== undefined && biases.maxRelError > 0.5, JSON.stringify(biases));
});

test('bad options are typed errors', () => {
  const { obj } = tiny('tanh', 'softmax', 'cross-entropy', 0);
  for (const [o, re] of [[{ eps: 0 }, /eps 0 must be a positive number/], [{ samples: 0 }, /samples 0 must be 'all'/], [{ order: 3 }, /order 3 must be 2 or 4/], [{ floor: -1 }, /floor -1/]] as const) {
    assert.throws(() => gradcheck(obj, o as never), (e: unknown) => e instanceof GradcheckError && e.code === 'BAD_OPTIONS' && re.test(e.message));
  }
  assert.throws(() => gradcheck({ ...obj, layers: [{ nIn: 100, nOut: 3, offset: 0 }] }), (e: unknown) => e instanceof GradcheckError && e.code === 'BAD_OBJECTIVE');
});

test("the question's 784-5-5-10 sigmoid net (U(0, 0.01), λ = 1) passes, as its author's check did", () => {
  // 20 inputs in [-1, 1] shaped like scaled MNIST (mostly -1 background), 200 sampled parameters
  const model = createMlp({ layers: [784, 5, 5, 10], activation: 'sigmoid', output: 'sigmoid', loss: 'cross-entropy' }, { dtype: 'float64', init: { uniform: [0, 0.01] }, seed: 1 });
  const r = new Rng(5);
  const n = 20;
  const x = new Float64Array(n * 784).map(() => (r.uniform() < 0.8 ? -1 : 2 * r.uniform() - 1));
  const labels = new Uint8Array(n).map(() => r.int(10));
  const rep = gradcheck(mlpObjective(model, { x, labels, n }, 1), { samples: 200, seed: 1 });
  assert.ok(rep.passed, `max rel ${rep.maxRelError}`);
  // ceil(200 / 6) = 34 per (layer, kind), capped by the group size: W1 34, b1 5, W2 25 (5x5), b2 5, W3 34, b3 10
  assert.deepEqual(rep.layers.map((l) => l.checked), [34, 5, 25, 5, 34, 10]);
  assert.ok(rep.layers.every((l) => l.maxAbsError < 1e-10), JSON.stringify(rep.layers.map((l) => l.maxAbsError)));
});
