import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMlp } from './model.js';
import { evaluate, predict } from './evaluate.js';
import { train } from './train.js';
import { NnCoreError } from './errors.js';
import { Rng } from './rng.js';
import { blobs, maxRelDiff, naiveMlp } from './testing/naive.js';
import { addL2Grad, backward, backwardStep, forward, stepBlocks, Workspace } from './net.js';
import { makeOptimizer } from './optim/index.js';
import type { EpochMetrics, LabeledSet, ModelSpec, OptimizerName, TrainOptions } from './types.js';

const spec: ModelSpec = { layers: [3, 4, 3], activation: 'tanh', output: 'sigmoid', loss: 'cross-entropy' };

function data(n: number, seed: number, dtype: 'float32' | 'float64' = 'float64'): LabeledSet {
  return blobs(new Rng(seed), n, 3, 3, 0.7, dtype);
}

function collect(model: ReturnType<typeof createMlp>, d: { train: LabeledSet; test?: LabeledSet; validation?: LabeledSet }, opts: TrainOptions) {
  const epochs: EpochMetrics[] = [];
  const res = train(model, { ...d, numClasses: 3 }, opts, (m) => { epochs.push(m); });
  return { res, epochs };
}

const base: TrainOptions = { optimizer: 'gd', batch: 'full', lr: 0.5, epochs: 2, l2: 0.4, seed: 1 };
const norm = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));
const weightsOf = (flat: ArrayLike<number>, layers: number[]) => {
  // the W rows (1..nIn) of each (nIn + 1, nOut) block
  const out: number[][] = [];
  let off = 0;
  for (let l = 1; l < layers.length; l++) {
    const size = (layers[l - 1] + 1) * layers[l];
    out.push(Array.from(flat).slice(off + layers[l], off + size));
    off += size;
  }
  return out;
};

test('gd: each epoch is one step p - lr·∇J on the whole subset; metrics follow the naive reference', () => {
  const tr = data(12, 1);
  const m = createMlp(spec, { dtype: 'float64', init: { normal: [0, 0.5] }, seed: 4 });
  const p0 = Array.from(m.params);
  const { res, epochs } = collect(m, { train: tr }, base);
  const r0 = naiveMlp(spec, p0, tr.x, tr.labels, 12, base.l2);
  const p1 = p0.map((v, i) => v - base.lr * r0.grad[i]);
  const r1 = naiveMlp(spec, p1, tr.x, tr.labels, 12, base.l2);
  const p2 = p1.map((v, i) => v - base.lr * r1.grad[i]);
  const r2 = naiveMlp(spec, p2, tr.x, tr.labels, 12, base.l2);
  assert.ok(maxRelDiff(m.params, p2, 1e-9) < 1e-11);
  assert.deepEqual(epochs.map((e) => e.epoch), [0, 1, 2]);
  [r0, r1, r2].forEach((r, e) => {
    assert.ok(Math.abs(epochs[e].cost - r.cost) < 1e-12, `cost ${e}`);
    assert.ok(Math.abs(epochs[e].loss - r.loss) < 1e-12, `loss ${e}`);
    assert.ok(Math.abs(epochs[e].cost - epochs[e].loss - epochs[e].l2Term) < 1e-15);
  });
  // l2Term = λ/(2N) Σ w² (weights only) at p2
  const w2 = weightsOf(p2, spec.layers).flat();
  assert.ok(Math.abs(epochs[2].l2Term - (base.l2 / 24) * w2.reduce((s, v) => s + v * v, 0)) < 1e-15);
  // gradNorm: epoch 0 = gradient of the (only) batch at p0; epoch 1's last step also used ∇J(p0), epoch 2's ∇J(p1)
  const gW0 = weightsOf(r0.grad, spec.layers);
  const gW1 = weightsOf(r1.grad, spec.layers);
  for (let l = 0; l < 2; l++) {
    assert.ok(Math.abs(epochs[0].gradNorm[l] - norm(gW0[l])) < 1e-13);
    assert.ok(Math.abs(epochs[1].gradNorm[l] - norm(gW0[l])) < 1e-13);
    assert.ok(Math.abs(epochs[2].gradNorm[l] - norm(gW1[l])) < 1e-13);
    // updateRatio = ||ΔW|| / ||W before the step|| = lr·||∇W|| / ||W||
    assert.ok(Math.abs((epochs[1].updateRatio[l] as number) - (base.lr * norm(gW0[l])) / norm(weightsOf(p0, spec.layers)[l])) < 1e-12);
    assert.ok(Math.abs(epochs[2].weightNorm[l] - norm(weightsOf(p2, spec.layers)[l])) < 1e-13);
  }
  assert.deepEqual(epochs[0].updateRatio, [null, null]);
  assert.equal(epochs[0].seconds, 0);
  assert.equal(res.status, 'done');
  assert.equal(res.updates, 2);
  assert.equal(res.epochsDone, 2);
  assert.equal(res.last, epochs[2]);
});

test('mini-batches: reshuffled each epoch from seed stream 1, last partial batch included, (1/B)Σ∇loss + (λ/N)W', () => {
  const N = 10, B = 4, lr = 0.3, l2 = 0.5;
  const tr = data(N, 2);
  const m = createMlp(spec, { dtype: 'float64', init: { normal: [0, 0.5] }, seed: 5 });
  let p = Array.from(m.params);
  const opts: TrainOptions = { optimizer: 'sgd', batch: B, lr, epochs: 2, l2, seed: 77 };
  const { res } = collect(m, { train: tr }, opts);
  // replay by hand: stream 1 of the seed shuffles 0..N-1 at the start of every epoch
  const shuffler = new Rng(77).fork(1);
  for (let e = 0; e < 2; e++) {
    const perm = Uint32Array.from({ length: N }, (_, i) => i);
    shuffler.shuffle(perm);
    for (let s = 0; s < N; s += B) {
      const idx = Array.from(perm.subarray(s, Math.min(N, s + B)));
      const bx = idx.flatMap((i) => Array.from(tr.x.subarray(i * 3, i * 3 + 3)));
      const bl = idx.map((i) => tr.labels[i]);
      // naiveMlp scales the L2 gradient by l2/n with n = batch rows; pass l2·rows/N to get λ/N
      const r = naiveMlp(spec, p, bx, bl, idx.length, (l2 * idx.length) / N);
      p = p.map((v, i) => v - lr * r.grad[i]);
    }
  }
  assert.ok(maxRelDiff(m.params, p, 1e-9) < 1e-11, `${maxRelDiff(m.params, p, 1e-9)}`);
  assert.equal(res.updates, 2 * 3); // ceil(10 / 4) = 3 steps per epoch
});

test('epoch metrics: output statistics, accuracies, saturation and schedule', () => {
  const tr = data(40, 3);
  const te = data(15, 4);
  const va = data(9, 5);
  const m = createMlp({ ...spec, activation: 'sigmoid' }, { dtype: 'float64', init: 'xavier', seed: 2 });
  const { res, epochs } = collect(m, { train: tr, test: te, validation: va }, { ...base, optimizer: 'momentum', batch: 8, epochs: 3, schedule: { step: { every: 2, gamma: 0.5 } } });
  const last = epochs[3];
  assert.deepEqual(epochs.map((e) => e.lr), [0.5, 0.5, 0.5, 0.25]);
  // per-unit mean and std across inputs, and overall, from predict()
  const H = predict(m, tr.x, 40);
  let all = 0, all2 = 0;
  for (let j = 0; j < 3; j++) {
    const col = Array.from({ length: 40 }, (_, i) => H[i * 3 + j]);
    const mean = col.reduce((a, b) => a + b, 0) / 40;
    const sd = Math.sqrt(col.reduce((a, b) => a + (b - mean) ** 2, 0) / 40);
    assert.ok(Math.abs(last.outUnitMean[j] - mean) < 1e-14 && Math.abs(last.outUnitStd[j] - sd) < 1e-13, `unit ${j}`);
    all += col.reduce((a, b) => a + b, 0);
    all2 += col.reduce((a, b) => a + b * b, 0);
  }
  const mu = all / 120;
  assert.ok(Math.abs(last.outMean - mu) < 1e-14);
  assert.ok(Math.abs(last.outStd - Math.sqrt(all2 / 120 - mu * mu)) < 1e-12);
  assert.equal(last.trainAcc, evaluate(m, tr).accuracy);
  assert.equal(last.testAcc, evaluate(m, te).accuracy);
  assert.equal(last.valAcc, evaluate(m, va).accuracy);
  assert.deepEqual(res.testEval, (({ accuracy, perClass, confusion }) => ({ accuracy, perClass, confusion }))(evaluate(m, te)));
  assert.equal(res.bestTestAcc, Math.max(...epochs.map((e) => e.testAcc as number)));
  assert.ok(epochs.slice(1).every((e) => e.seconds >= 0 && e.evalSeconds >= 0));
  // weightMean is the mean of W only
  const W1 = m.layers[0].W;
  assert.ok(Math.abs(last.weightMean[0] - Array.from(W1).reduce((a, b) => a + b, 0) / W1.length) < 1e-15);
});

test('saturation: sigmoid |z| > 5 fraction and dead-ReLU fraction, per hidden layer', () => {
  const tr = data(20, 6);
  const first = (s: ModelSpec, set: (m: ReturnType<typeof createMlp>) => void) => {
    const m = createMlp(s, { dtype: 'float64', init: { uniform: [0, 0] }, seed: 1 });
    set(m);
    const { epochs } = collect(m, { train: tr }, { ...base, epochs: 0 });
    return epochs[0].saturation;
  };
  const deep: ModelSpec = { layers: [3, 4, 2, 3], activation: 'sigmoid', output: 'softmax', loss: 'cross-entropy' };
  // layer 1 biases ±10: every z is ±10 -> all saturated; layer 2 biases 0 and inputs in (0,1)·0 -> z = 0 -> none
  assert.deepEqual(first(deep, (m) => m.layers[0].b.set([10, -10, 10, -10])), [1, 0]);
  // two of layer 1's four units at z = 10, two at z = 0 -> half of the (input, unit) pairs
  assert.deepEqual(first(deep, (m) => m.layers[0].b.set([10, 0, -10, 0])), [0.5, 0]);
  // ReLU: biases -1 with zero weights -> z = -1 for every input -> dead; +1 -> alive
  const relu = { ...deep, activation: 'relu' as const };
  assert.deepEqual(first(relu, (m) => { m.layers[0].b.set([-1, 1, -1, -1]); m.layers[1].b.set([1, 1]); }), [0.75, 0]);
  // tanh uses |z| > 5 as well
  assert.deepEqual(first({ ...deep, activation: 'tanh' }, (m) => m.layers[0].b.set([6, -6, 4, 0])), [0.5, 0]);
});

test('divergence: a huge lr stops with status diverged at the first non-finite epoch', () => {
  // One linear unit (layers [1, 1], identity output, MSE), one example x = 1 with target y = 1, w = b = 1 at start.
  // s = w·x + b − y = 1; ∂J/∂w = ∂J/∂b = s; one gd step maps s -> s(1 − 2·lr). With lr = 5e19, s_t ≈ (−1e20)^t.
  // float64: J_t = ½ s_t² is finite up to t = 7 (5e279) and overflows at t = 8 (½·1e320), params still finite.
  // float32: params w_2 ≈ lr·s_1 = 5e39 > 3.4e38 overflow at t = 2 (J_1 = 5e39 is still finite: summed in float64).
  for (const [dtype, at] of [['float64', 8], ['float32', 2]] as const) {
    const m = createMlp({ layers: [1, 1], activation: 'identity', output: 'identity', loss: 'mse' }, { dtype, init: { uniform: [1, 1] }, seed: 1 });
    const x = dtype === 'float64' ? new Float64Array([1]) : new Float32Array([1]);
    const epochs: EpochMetrics[] = [];
    const res = train(m, { train: { x, labels: new Uint8Array([0]), n: 1 }, numClasses: 1 }, { ...base, lr: 5e19, l2: 0, epochs: 20 }, (e) => { epochs.push(e); });
    assert.equal(res.status, 'diverged', dtype);
    assert.equal(res.divergedAt, at, dtype);
    assert.equal(res.epochsDone, at);
    assert.equal(epochs.length, at + 1); // epochs 0..at emitted, nothing after
    assert.ok(epochs.slice(0, at).every((e) => Number.isFinite(e.cost)));
    assert.ok(!Number.isFinite(epochs[at].cost), `${dtype} cost at ${at}: ${epochs[at].cost}`);
    assert.equal(res.last, epochs[at]);
  }
});

test("onEpoch returning 'stop' ends training early with status stopped", () => {
  const m = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 1 });
  const seen: number[] = [];
  const res = train(m, { train: data(10, 1), numClasses: 3 }, { ...base, epochs: 5 }, (e) => { seen.push(e.epoch); return e.epoch === 2 ? 'stop' : undefined; });
  assert.deepEqual(seen, [0, 1, 2]);
  assert.equal(res.status, 'stopped');
  assert.equal(res.epochsDone, 2);
  assert.equal(res.updates, 2);
  const m2 = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 1 });
  assert.equal(train(m2, { train: data(10, 1), numClasses: 3 }, { ...base, epochs: 2 }, (e) => (e.epoch === 2 ? 'stop' : undefined)).status, 'done');
});

const OPTIMIZERS: OptimizerName[] = ['gd', 'sgd', 'momentum', 'adam', 'adamw'];
const optsFor = (optimizer: OptimizerName): TrainOptions => ({
  optimizer, batch: optimizer === 'gd' ? 'full' : 16, lr: optimizer.startsWith('adam') ? 0.01 : 0.3, epochs: 12, l2: 0.01, seed: 3,
  nesterov: true,
});

test('float32 and float64 both train: every optimizer learns separable blobs', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const tr = data(120, 9, dtype);
    for (const optimizer of OPTIMIZERS) {
      const m = createMlp({ ...spec, layers: [3, 8, 3], activation: 'relu', output: 'softmax' }, { dtype, init: 'auto', seed: 2 });
      const { res, epochs } = collect(m, { train: tr }, optsFor(optimizer));
      assert.equal(res.status, 'done');
      assert.ok(res.last.cost < 0.6 * epochs[0].cost, `${dtype} ${optimizer}: cost ${epochs[0].cost} -> ${res.last.cost}`);
      assert.ok(res.last.trainAcc >= 0.9, `${dtype} ${optimizer}: acc ${res.last.trainAcc}`);
    }
  }
});

test('determinism: same spec + seed + dtype + backend gives bit-identical params and metrics', () => {
  const strip = (e: EpochMetrics) => ({ ...e, seconds: 0, evalSeconds: 0 });
  for (const dtype of ['float64', 'float32'] as const) {
    for (const optimizer of OPTIMIZERS) {
      const run = (seed: number) => {
        const m = createMlp({ ...spec, activation: 'relu' }, { dtype, init: 'he', seed });
        const { res, epochs } = collect(m, { train: data(50, 10, dtype), test: data(20, 11, dtype) }, { ...optsFor(optimizer), seed, epochs: 3, batch: optimizer === 'gd' ? 'full' : 7 });
        return { params: m.params, epochs: epochs.map(strip), status: res.status };
      };
      const a = run(5), b = run(5);
      assert.deepEqual(a.params, b.params, `${dtype} ${optimizer}`);
      assert.deepEqual(a.epochs, b.epochs);
      assert.notDeepEqual(run(6).params, a.params); // the seed matters
    }
  }
});

test('bad options and mismatched data are rejected before training', () => {
  const m = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 1 });
  const d = { train: data(10, 1), numClasses: 3 };
  const rejects = (o: Partial<TrainOptions>, re: RegExp) => assert.throws(() => train(m, d, { ...base, ...o } as TrainOptions), (e: unknown) => e instanceof NnCoreError && re.test(e.message));
  rejects({ optimizer: 'rmsprop' as 'sgd' }, /train\.optimizer 'rmsprop' is unknown/);
  rejects({ batch: 0 }, /train\.batch 0 must be a whole number >= 1 or 'full'/);
  rejects({ lr: -1 }, /train\.lr -1 must be a positive number/);
  rejects({ epochs: 1.5 }, /train\.epochs 1\.5/);
  rejects({ l2: -0.1 }, /train\.l2 -0\.1/);
  rejects({ beta2: 1 }, /train\.beta2 1 must be in \[0, 1\)/);
  assert.throws(() => train(m, { ...d, numClasses: 4 }, base), /data\.train: the data has 4 classes but the model has 3 outputs/);
  assert.throws(() => train(m, { ...d, test: data(5, 2, 'float32') }, base), /data\.test: x is float32 but the model is float64/);
  assert.throws(() => train(m, { train: { x: new Float64Array(0), labels: new Uint8Array(0), n: 0 }, numClasses: 3 }, base), /training subset is empty/);
});

test('metricsEvery N: measured at epoch 0, every N-th and the last epoch; the others carry NaN/null/empty and real lr/seconds', () => {
  for (const optimizer of ['gd', 'momentum'] as const) {
    const opts: TrainOptions = { ...optsFor(optimizer), epochs: 7, batch: optimizer === 'gd' ? 'full' : 9, schedule: 'cosine' };
    const every = collect(createMlp({ ...spec, activation: 'relu' }, { dtype: 'float64', init: 'he', seed: 4 }), { train: data(60, 12), test: data(20, 13) }, opts);
    const m = createMlp({ ...spec, activation: 'relu' }, { dtype: 'float64', init: 'he', seed: 4 });
    const sparse = collect(m, { train: data(60, 12), test: data(20, 13) }, { ...opts, metricsEvery: 3 });
    assert.deepEqual(sparse.epochs.map((e) => e.epoch), [0, 1, 2, 3, 4, 5, 6, 7], optimizer); // onEpoch after EVERY epoch
    assert.deepEqual(sparse.epochs.map((e) => e.measured), [true, false, false, true, false, false, true, true], optimizer);
    assert.ok(every.epochs.every((e) => e.measured));
    for (const [i, e] of sparse.epochs.entries()) {
      const ref = every.epochs[i]!;
      assert.equal(e.lr, ref.lr); // real, whether measured or not
      assert.ok(e.seconds >= 0 && (i === 0 || e.seconds > 0));
      if (e.measured) {
        // the same numbers as measuring every epoch: training does not depend on metricsEvery
        const strip = (x: EpochMetrics) => ({ ...x, seconds: 0, evalSeconds: 0 });
        assert.deepEqual(strip(e), strip(ref), `${optimizer} epoch ${i}`);
      } else {
        for (const k of ['cost', 'loss', 'l2Term', 'trainAcc', 'outMean', 'outStd'] as const) assert.ok(Number.isNaN(e[k]), `${k} NaN`);
        assert.equal(e.testAcc, null);
        assert.equal(e.valAcc, null);
        for (const k of ['outUnitMean', 'outUnitStd', 'gradNorm', 'updateRatio', 'weightNorm', 'weightMean', 'saturation'] as const) assert.deepEqual(e[k], []);
        assert.equal(e.evalSeconds, 0);
      }
    }
    assert.equal(sparse.res.last, sparse.epochs[7]);
    assert.ok(sparse.res.last.measured);
    assert.deepEqual(m.params, (() => { const r = createMlp({ ...spec, activation: 'relu' }, { dtype: 'float64', init: 'he', seed: 4 }); collect(r, { train: data(60, 12), test: data(20, 13) }, opts); return r.params; })());
  }
});

test("metricsEvery: a 'stop' after an unmeasured epoch measures it and emits it once more, so last is measured", () => {
  for (const optimizer of ['gd', 'sgd'] as const) {
    const m = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 1 });
    const seen: Array<[number, boolean]> = [];
    const res = train(m, { train: data(30, 1), numClasses: 3 }, { ...base, optimizer, batch: optimizer === 'gd' ? 'full' : 8, epochs: 9, metricsEvery: 4 }, (e) => {
      seen.push([e.epoch, e.measured]);
      return e.epoch === 2 ? 'stop' : undefined;
    });
    assert.deepEqual(seen, [[0, true], [1, false], [2, false], [2, true]], optimizer);
    assert.equal(res.status, 'stopped');
    assert.equal(res.epochsDone, 2);
    assert.ok(res.last.measured && res.last.epoch === 2 && Number.isFinite(res.last.cost));
  }
});

test('metricsEvery: divergence is caught on an unmeasured epoch, which is then measured', () => {
  // the divergence test's setup (float64 overflows at epoch 8), metrics every 5 epochs: 8 is not a multiple
  const m = createMlp({ layers: [1, 1], activation: 'identity', output: 'identity', loss: 'mse' }, { dtype: 'float64', init: { uniform: [1, 1] }, seed: 1 });
  for (const optimizer of ['gd', 'sgd'] as const) {
    m.params.fill(1);
    const epochs: EpochMetrics[] = [];
    const res = train(m, { train: { x: new Float64Array([1]), labels: new Uint8Array([0]), n: 1 }, numClasses: 1 },
      { ...base, optimizer, batch: optimizer === 'gd' ? 'full' : 1, lr: 5e19, l2: 0, epochs: 20, metricsEvery: 5 }, (e) => { epochs.push(e); });
    assert.equal(res.status, 'diverged', optimizer);
    assert.ok(res.divergedAt !== null && res.divergedAt % 5 !== 0, `${optimizer}: diverged at ${res.divergedAt}`);
    assert.equal(res.last.epoch, res.divergedAt);
    assert.ok(res.last.measured);
    assert.ok(!Number.isFinite(res.last.cost));
    assert.equal(epochs.length, res.divergedAt! + 1);
  }
});

test('metricsEvery must be a whole number >= 1; the result names the kernel tier', () => {
  const m = createMlp(spec, { dtype: 'float64', init: 'xavier', seed: 1 });
  assert.throws(() => train(m, { train: data(10, 1), numClasses: 3 }, { ...base, metricsEvery: 0 }), /train\.metricsEvery 0 must be a whole number >= 1/);
  assert.throws(() => train(m, { train: data(10, 1), numClasses: 3 }, { ...base, metricsEvery: 1.5 }), /metricsEvery 1\.5/);
  const res = train(m, { train: data(10, 1), numClasses: 3 }, base);
  assert.equal(res.tier, m.kernels.label);
  assert.equal(res.backend, m.kernels.backend);
  assert.ok(['typescript', 'native (OpenBLAS', 'native (built-in GEMM'].some((p) => res.tier.startsWith(p)), res.tier);
});

test('SGD / momentum steps inside the backward pass (backwardStep) = backward + L2 + the optimizer step, bit for bit on the TypeScript kernels', () => {
  for (const optimizer of ['sgd', 'momentum'] as const) {
    for (const nesterov of [false, true]) {
      const sp: ModelSpec = { layers: [3, 7, 5, 3], activation: 'tanh', output: 'softmax', loss: 'cross-entropy' };
      const make = () => createMlp(sp, { dtype: 'float64', init: 'xavier', seed: 8, kernels: 'js' });
      const a = make(), b = make();
      const tr = data(40, 14);
      const ws = [new Workspace(a, 10), new Workspace(b, 10)];
      const oa = makeOptimizer(a, { ...base, optimizer, momentum: 0.8, nesterov }), ob = makeOptimizer(b, { ...base, optimizer, momentum: 0.8, nesterov });
      const blocks = stepBlocks(b, ob.fused!.velocity);
      for (let s = 0; s < 4; s++) {
        const x = tr.x.subarray(s * 10 * 3, (s + 1) * 10 * 3);
        for (const [m, w] of [[a, ws[0]!], [b, ws[1]!]] as const) {
          w.setTargets(tr.labels, s * 10, 10, 3);
          forward(m, w, x, 10, 1 / 10);
        }
        backward(a, ws[0]!, x, 10, false);
        addL2Grad(a, 0.01);
        oa.step(0.3);
        backwardStep(b, ws[1]!, x, 10, blocks, 0.01, 0.3, ob.fused!.mu, ob.fused!.nesterov, true);
        ob.fused!.countStep();
        assert.deepEqual(b.params, a.params, `${optimizer} nesterov ${nesterov} step ${s}`);
        assert.deepEqual(b.grads, a.grads);
      }
      assert.equal(ob.steps, oa.steps);
    }
  }
});
