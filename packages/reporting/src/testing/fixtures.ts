// Test fixtures: epoch series built by hand, modelled on the measured facts of the motivating question,
// and a small synthetic sweep for the report tests. Used only by tests (not exported from the package).
import assert from 'node:assert/strict';
import type { DiagnoseInput, EpochRow, Finding, GradcheckRow, ReportInput, TrialConfigLike, TrialRow } from '../types.js';

/** a[i], asserted to exist (for tests that index their own fixtures). */
export function at<T>(a: readonly T[], i: number): T {
  const v = a[i];
  assert.ok(v !== undefined, `no element ${i} in a list of ${a.length}`);
  return v;
}

/** MNIST training-set class counts (all 60000 images), halved: an approximation of images 5000..34999. */
export const CLASS_COUNTS_30K = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949].map((c) => Math.round(c / 2));
/** MNIST test-set count of digit 1 / 10000: the accuracy of always answering "1". */
export const TEST_FREQ_OF_ONE = 1135 / 10000;

export function epochRow(over: Partial<EpochRow> & { epoch: number }): EpochRow {
  return {
    cost: null, loss: null, l2Term: null, trainAcc: null, testAcc: null, valAcc: null, lr: null,
    outMean: null, outStd: null, seconds: 0, evalSeconds: 0,
    outUnitMean: null, outUnitStd: null, gradNorm: null, updateRatio: null, weightNorm: null, weightMean: null, saturation: null,
    measured: true,
    ...over,
  };
}

export function questionConfig(over: { lr?: number; epochs?: number; l2?: number } = {}): TrialConfigLike {
  return {
    data: { dataset: 'mnist', train: { offset: 5000, count: 30000, sample: 'first', seed: 1 }, test: { offset: 0, count: 10000 }, validation: 0, scale: [-1, 1] },
    model: { layers: [784, 5, 5, 10], activation: 'sigmoid', output: 'sigmoid', loss: 'cross-entropy', init: { uniform: [0, 0.01] } },
    train: { optimizer: 'gd', batch: 'full', lr: over.lr ?? 2, epochs: over.epochs ?? 5, l2: over.l2 ?? 1, dtype: 'float64', seed: 1, schedule: 'constant' },
  };
}

const sigmoid = (z: number) => 1 / (1 + Math.exp(-z));

/**
 * The question's net (784-5-5-10 sigmoid, sigmoid outputs with summed BCE, U(0, 0.01) init, 2x-1 inputs,
 * full-batch GD, λ = 1, N = 30000), modelled where it sits: the hidden activations barely depend on the
 * input (layer 1: z ≈ 0.005·Σx ≈ −2.9, a1 ≈ 0.052; layer 2: z ≈ 0, a2 ≈ 0.5), so each output k is
 * z_k = b_k + Σ_j w_jk·a2 with the same value for every input, and gradient descent moves b_k by
 * −lr·(h_k − p_k) and each of the 5 weights w_jk by −lr·(a2·(h_k − p_k) + λ/N·w_jk). Hidden-layer weights
 * barely move (their gradient is ~1e-4 of the output layer's) and are kept at their init statistics.
 * Checked against the measurements: cost 6.990 at epoch 0, ≈ 3.25 after 5 iterations at lr 2, 6.988 after
 * 5 iterations at lr 1e-4 (the test asserts this).
 */
export function questionRun(over: { lr?: number; epochs?: number; l2?: number } = {}): DiagnoseInput {
  const config = questionConfig(over);
  const { lr, epochs, l2 } = config.train;
  const N = 30000;
  const total = CLASS_COUNTS_30K.reduce((a, b) => a + b, 0);
  const p = CLASS_COUNTS_30K.map((c) => c / total);
  const K = 10;
  const H = 5;
  const a1 = sigmoid(-2.9);
  const a2 = 0.5;
  const z0 = 0.0146; // Σ_j w_jk·a2 at init (5 · 0.005 · 0.5 ≈ 0.0125) plus the bias init: gives J(0) = 6.990
  // output unit k: its class frequency p, bias b and the weights w[j] from the H units of layer 2
  const units = p.map((pk) => ({ p: pk, b: z0 - H * 0.005 * a2, w: new Array<number>(H).fill(0.005) }));
  const n1 = 784 * 5;
  const n2 = 5 * 5;
  const n3 = 5 * 10;
  const sq0 = 0.01 * 0.01 / 3; // E[w²] of U(0, 0.01)
  const var0 = 0.01 * 0.01 / 12; // variance of U(0, 0.01): the spread around the mean that w_jk (tracked at the mean) keeps
  const rows: EpochRow[] = [];
  for (let e = 0; e <= epochs; e++) {
    const out = units.map((u) => {
      const hk = sigmoid(u.b + u.w.reduce((s, x) => s + x * a2, 0));
      return { ...u, h: hk, d: hk - u.p };
    });
    const h = out.map((o) => o.h);
    let loss = 0;
    for (const o of out) loss -= o.p * Math.log(o.h) + (1 - o.p) * Math.log(1 - o.h);
    let sumW3sq = 0;
    let sumW3 = 0;
    for (const u of units) for (const x of u.w) { sumW3sq += x * x + var0; sumW3 += x; }
    const l2Term = (l2 / (2 * N)) * ((n1 + n2) * sq0 + sumW3sq);
    const d = out.map((o) => o.d);
    // per-layer gradient norms (derivation in the comment above; x̄² ≈ 0.6 per pixel after 2x-1 scaling)
    const g3 = a2 * Math.sqrt(H * d.reduce((s, x) => s + x * x, 0));
    const dZ2 = Array.from({ length: H }, (_, j) => 0.25 * out.reduce((s, o) => s + at(o.w, j) * o.d, 0));
    const g2 = a1 * Math.sqrt(H * dZ2.reduce((s, x) => s + x * x, 0));
    const dZ1 = 0.005 * dZ2.reduce((s, x) => s + x, 0) * a1 * (1 - a1);
    const g1 = Math.sqrt(784 * 0.6) * Math.sqrt(H) * Math.abs(dZ1);
    const argmax = h.indexOf(Math.max(...h));
    rows.push(epochRow({
      epoch: e, cost: loss + l2Term, loss, l2Term, trainAcc: at(p, argmax), testAcc: argmax === 1 ? TEST_FREQ_OF_ONE : 0.098, valAcc: null,
      lr, outMean: h.reduce((s, x) => s + x, 0) / K, outStd: 0.01,
      outUnitMean: h, outUnitStd: h.map(() => 1e-5),
      gradNorm: [g1, g2, g3],
      updateRatio: e === 0 ? [null, null, null] : [1e-6, 1e-4, 0.5],
      weightNorm: [Math.sqrt(n1 * sq0), Math.sqrt(n2 * sq0), Math.sqrt(sumW3sq)],
      weightMean: [0.005, 0.005, sumW3 / n3],
      saturation: [0, 0],
      seconds: e === 0 ? 0 : 0.05,
    }));
    // one full-batch gradient step
    for (const [k, u] of units.entries()) {
      const dk = at(d, k);
      u.b -= lr * dk;
      u.w = u.w.map((x) => x - lr * (a2 * dk + (l2 / N) * x));
    }
  }
  return { config, epochs: rows, status: 'done', summary: { classCounts: CLASS_COUNTS_30K, updates: epochs, trainSize: N } };
}

/** A healthy run: 784-256-256-10 relu/softmax, he init, SGD batch 128, lr 0.1, 10 epochs on 60000 images, 97 % test. */
export function healthyRun(): DiagnoseInput {
  const costs = [2.33, 0.32, 0.21, 0.155, 0.12, 0.097, 0.08, 0.067, 0.057, 0.05, 0.045];
  const test = [0.09, 0.915, 0.94, 0.951, 0.958, 0.962, 0.965, 0.967, 0.968, 0.9695, 0.97];
  const train = [0.1, 0.91, 0.94, 0.955, 0.965, 0.972, 0.977, 0.981, 0.984, 0.987, 0.989];
  const counts = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
  const p = counts.map((c) => c / 60000);
  const shapes = [[784, 256], [256, 256], [256, 10]] as const; // (fanIn, fanOut) of each layer
  const rows = costs.map((c, e) => epochRow({
    epoch: e, cost: c, loss: c, l2Term: 0, trainAcc: at(train, e), testAcc: at(test, e), lr: 0.1,
    outMean: 0.1, outStd: e === 0 ? 0.02 : 0.29,
    outUnitMean: p, outUnitStd: p.map((pk) => (e === 0 ? 0.01 : Math.sqrt(pk * (1 - pk)))),
    gradNorm: [0.6 - 0.02 * e, 0.5 - 0.02 * e, 0.4 - 0.02 * e],
    updateRatio: e === 0 ? [null, null, null] : [2e-3, 2e-3, 3e-3],
    // he init: zero mean, ‖W‖ ≈ sqrt(n · 2/fanIn)
    weightNorm: shapes.map(([fanIn, fanOut]) => Math.sqrt((fanIn * fanOut * 2) / fanIn) * (1 + 0.02 * e)),
    weightMean: [1e-4, -2e-4, 3e-4],
    saturation: [0.01, 0.02],
    seconds: e === 0 ? 0 : 4,
  }));
  return {
    config: {
      data: { dataset: 'mnist', train: 60000, test: 10000, validation: 0, scale: [0, 1] },
      model: { layers: [784, 256, 256, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy', init: 'he' },
      train: { optimizer: 'sgd', batch: 128, lr: 0.1, epochs: 10, l2: 0, seed: 1 },
    },
    epochs: rows, status: 'done', summary: { classCounts: counts, updates: 10 * Math.ceil(60000 / 128), trainSize: 60000 },
  };
}

/** A copy of a run with its epoch rows transformed. */
export function withRows(input: DiagnoseInput, f: (r: EpochRow, i: number) => Partial<EpochRow>): DiagnoseInput {
  return { ...input, epochs: input.epochs.map((r, i) => ({ ...r, ...f(r, i) })) };
}

export const XSS = '<script>window.__pwned=1</script>';

function trial(id: string, params: Record<string, unknown>, over: Partial<TrialRow> = {}): TrialRow {
  const layers = (params['model.layers'] as number[] | undefined) ?? [784, 30, 10];
  const lr = (params['train.lr'] as number | undefined) ?? 0.1;
  const seed = (params['train.seed'] as number | undefined) ?? 1;
  return {
    id, experiment: 'demo', status: 'done',
    config: {
      data: { dataset: 'mnist', train: 1000, test: 500, validation: 0, scale: [0, 1] },
      model: { layers, activation: 'sigmoid', output: 'softmax', loss: 'cross-entropy', init: 'xavier' },
      train: { optimizer: 'sgd', batch: 32, lr, epochs: 4, l2: 0, seed },
    },
    params, seed, arch: layers.join('-'), startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:10Z', error: null,
    divergedEpoch: null, finalCost: null, finalTrainAcc: null, finalTestAcc: null, bestTestAcc: null, epochsDone: 4,
    backend: 'js', finalEval: null, summary: { classCounts: [100, 110, 95, 105, 98, 92, 101, 104, 96, 99], updates: 4 * 32, trainSize: 1000 },
    position: null, prunedEpoch: null, attempt: 1, owner: null, heartbeatAt: null, diagnosedAt: null, createdAt: '2026-01-01T00:00:00Z',
    ...over,
  };
}

/** A confusion matrix of 500 test images with `acc` accuracy, the errors spread over the next class. */
function confusion(acc: number): { accuracy: number; perClass: number[]; confusion: number[][] } {
  const perClass: number[] = [];
  let correct = 0;
  const m = Array.from({ length: 10 }, (_, k) => {
    const row = new Array<number>(10).fill(0);
    const right = Math.round(50 * (acc - 0.02 + 0.004 * k));
    row[k] = right;
    row[(k + 1) % 10] = 50 - right;
    perClass.push(right / 50);
    correct += right;
    return row;
  });
  const accuracy = correct / 500;
  return { accuracy, perClass, confusion: m };
}

/**
 * A small sweep for the report tests: model.layers × train.lr (2 × 2) × 2 seeds = 8 trials, one of them
 * diverged (NaN/Infinity in its metrics), plus one pending and one failed trial; the description holds a
 * script tag and a swept string value holds `<`, `&` and quotes.
 */
export function syntheticSweep(): ReportInput {
  const trials: TrialRow[] = [];
  const epochs: Record<string, EpochRow[]> = {};
  const diagnoses: Record<string, Finding[]> = {};
  const layerValues = [[784, 30, 10], [784, 5, 10]];
  const lrValues = [0.1, 3];
  let n = 0;
  for (const layers of layerValues) {
    for (const lr of lrValues) {
      for (const seed of [1, 2]) {
        n++;
        const id = `${n.toString(16).padStart(2, '0')}c0ffee${seed}a1b2c3d`;
        const wide = layers[1] === 30;
        const finalAcc = (wide ? 0.9 : 0.8) - (lr === 3 ? 0.05 : 0) + 0.005 * seed;
        const diverged = !wide && lr === 3 && seed === 2;
        const rows: EpochRow[] = [];
        for (let e = 0; e <= 4; e++) {
          const frac = e / 4;
          const acc = 0.1 + (finalAcc - 0.1) * Math.sqrt(frac);
          const bad = diverged && e >= 3;
          rows.push(epochRow({
            epoch: e,
            cost: bad ? (e === 3 ? Infinity : NaN) : 2.3 * Math.exp(-1.5 * frac) + 0.1 * seed,
            loss: bad ? NaN : 2.3 * Math.exp(-1.5 * frac) + 0.1 * seed,
            l2Term: 0, trainAcc: bad ? null : Math.min(1, acc + 0.02), testAcc: bad ? null : acc, lr,
            outUnitMean: new Array(10).fill(0.1), outUnitStd: new Array(10).fill(0.25),
            gradNorm: bad ? [NaN, Infinity] : [0.3, 0.5], updateRatio: e === 0 ? [null, null] : [1e-3, 2e-3],
            weightNorm: [10, 3], weightMean: [0.001, -0.002], saturation: [0.1],
            seconds: e === 0 ? 0 : 1.25, evalSeconds: 0.1,
          }));
        }
        const last = at(rows, rows.length - 1);
        const params = { 'model.layers': layers, 'train.lr': lr, 'train.seed': seed, 'train.optimizer': 'sgd<&"\'>' };
        trials.push(trial(id, params, {
          status: diverged ? 'diverged' : 'done',
          divergedEpoch: diverged ? 3 : null,
          finalCost: diverged ? NaN : last.cost,
          finalTrainAcc: diverged ? null : last.trainAcc,
          finalTestAcc: diverged ? null : last.testAcc,
          bestTestAcc: diverged ? at(rows, 2).testAcc : last.testAcc,
          finalEval: diverged ? null : confusion(last.testAcc as number),
          error: diverged ? 'non-finite cost at epoch 3' : null,
          position: n,
        }));
        epochs[id] = rows;
        diagnoses[id] = diverged
          ? [{ rule: 'lr-too-large', severity: 'critical', evidence: { lr, divergedAt: 3 }, advice: 'Lower train.lr <by> 3–10× & retry' }]
          : [{ rule: 'too-few-iterations', severity: 'info', evidence: { updates: 128, lastRelativeDecrease: 0.05 }, advice: 'Raise train.epochs.' }];
      }
    }
  }
  const pendingId = 'ffff00000000aaaa';
  trials.push(trial(pendingId, { 'model.layers': [784, 5, 10], 'train.lr': 0.1, 'train.seed': 3, 'train.optimizer': 'sgd<&"\'>' }, { status: 'pending', startedAt: null, finishedAt: null, epochsDone: 0 }));
  const failedId = 'eeee00000000bbbb';
  trials.push(trial(failedId, { 'model.layers': [784, 30, 10], 'train.lr': 3, 'train.seed': 3, 'train.optimizer': 'sgd<&"\'>' }, { status: 'failed', error: `worker exited with code 3 ${XSS}`, epochsDone: 0 }));
  const gradchecks: GradcheckRow[] = [];
  for (const arch of ['784-30-10', '784-5-10']) {
    for (const layer of [1, 2]) {
      for (const kind of ['weights', 'biases'] as const) {
        gradchecks.push({
          experiment: 'demo', arch, runId: 'run-1', layer, kind, checked: 50, skipped: 0,
          maxRelError: 1e-9 * layer, maxAbsError: 1e-11, worstIndex: 3, analytic: 0.5, numeric: 0.5, eps: 1e-5, threshold: 1e-7, passed: true,
          id: gradchecks.length + 1, createdAt: '2026-01-01T00:00:00Z',
        });
      }
    }
  }
  return {
    experiment: {
      name: 'demo<&>',
      description: `A sweep whose description holds ${XSS} & "quotes" | pipes`,
      file: 'experiments/demo.yaml',
      yaml: `name: demo\ndescription: ${XSS}\nsweep:\n  grid:\n    model.layers: [[784, 30, 10], [784, 5, 10]]\n    train.lr: [0.1, 3]\n  seeds: [1, 2]\n`,
    },
    environment: {
      runId: 'run-1', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:01:00Z', command: `sweeplab run experiments/demo.yaml`,
      sweeplabVersion: '0.1.0', gitCommit: 'abc123', nodeVersion: 'v20.20.2', platform: 'linux x64', cpu: `Test CPU ${XSS}`, cores: 2,
      kernelBackend: 'js', openblasCore: null, dataFingerprints: { mnist: 'sha256:1234' }, status: 'done',
    },
    trials, epochs, gradchecks, diagnoses,
    sweptPaths: ['model.layers', 'train.lr', 'train.optimizer', 'train.seed'],
    generatedAt: '2026-01-02T03:04:05Z',
  };
}
