// bfloat16 (issue 14): the rounding of the reference (roundBf16), the native bf16 GEMMs (AMX and AVX512_BF16)
// against the TypeScript emulation (jsBf16Kernels) on every addon, the fused bf16 layer kernels against their
// composition bit for bit, the support rule, and bfloat16 models end to end. Native tests are skipped with the
// reason when this CPU (or build) has no bfloat16 kernel.
//
// Error measure as in testing/native-compare.ts (relErr against the TypeScript result, bound 1e-5: both sides
// multiply the same bfloat16-rounded values; they differ only in float32 vs float64 summation).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { NnCoreError } from '../errors.js';
import { createMlp } from '../model.js';
import { Rng } from '../rng.js';
import { blobs } from '../testing/naive.js';
import { train } from '../train.js';
import type { DType, KernelChoice, ModelSpec } from '../types.js';
import { jsBf16Kernels, roundBf16 } from './bf16.js';
import { bf16Support, bf16SupportFrom, COMPILER_HINT } from './index.js';
import { jsKernels } from './js.js';
import { ADDONS, assertClose, makeRng, rand } from '../testing/native-compare.js';
import { Act, type Kernels } from './types.js';

test('roundBf16: round to nearest even on the 8-bit mantissa, denormals to signed zero, NaN/Inf kept', () => {
  assert.equal(roundBf16(1), 1);
  assert.equal(roundBf16(1 + 2 ** -8), 1); // halfway between 1 and 1 + 2^-7: to even (1)
  assert.equal(roundBf16(1 + 3 * 2 ** -8), 1 + 2 ** -6); // halfway between 1 + 2^-7 (odd) and 1 + 2^-6: to even
  assert.equal(roundBf16(1 + 2 ** -8 + 2 ** -20), 1 + 2 ** -7); // above halfway: up
  assert.equal(roundBf16(-3.14159), -3.140625);
  assert.equal(roundBf16(1e-40), 0); // a float32 denormal
  assert.ok(Object.is(roundBf16(-1e-40), -0));
  assert.ok(Number.isNaN(roundBf16(NaN)));
  assert.equal(roundBf16(Infinity), Infinity);
  assert.equal(roundBf16(2 ** 127 * 1.999), Infinity); // rounds past the largest bfloat16
});

/** Every loaded addon whose CPU has a bfloat16 kernel, as bf16 Kernels (the addon's bf16Kernels). */
const BF16: Array<{ name: string; k: Kernels; kernel: string }> = ADDONS.flatMap((a) =>
  a.load.bf16Kernels ? [{ name: a.name, k: a.load.bf16Kernels, kernel: a.load.bf16!.kernel! }] : []);
const SKIP = BF16.length === 0 ? `no bfloat16 kernel here (${bf16Support().reason})` : false;

const MS = [1, 15, 16, 17, 33];
const NS = [1, 10, 16, 17, 40];
const KS = [1, 31, 32, 33, 100];

test('gemm with bfloat16 inputs: native (each addon) = TypeScript emulation for every tile edge, all transposes, alpha/beta', { skip: SKIP }, () => {
  const rnd = makeRng(31);
  for (const { name, k, kernel } of BF16) {
    let v = 0;
    for (const m of MS) for (const n of NS) for (const kk of KS) for (const ta of [false, true]) for (const tb of [false, true]) {
      const [alpha, beta] = ([[1, 0], [0.5, 1], [-2, 0.25]] as const)[v++ % 3]!;
      const A = rand('f32', m * kk, rnd); // (m, kk) or (kk, m)
      const B = rand('f32', kk * n, rnd); // (kk, n) or (n, kk)
      const C0 = beta === 0 ? new Float32Array(m * n).fill(NaN) : rand('f32', m * n, rnd);
      const Cn = C0.slice();
      const Cj = C0.slice();
      k.gemm(ta, tb, m, n, kk, alpha, A, B, beta, Cn);
      jsBf16Kernels.gemm(ta, tb, m, n, kk, alpha, A, B, beta, Cj);
      assertClose('f32', Cn, Cj, `${name} (${kernel}) ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${m}x${n}x${kk} alpha ${alpha} beta ${beta}`);
    }
  }
});

test('the AVX512_BF16 kernel (forced on an AMX CPU with SWEEPLAB_BF16_KERNEL=avx512bf16) = TypeScript emulation', { skip: SKIP }, () => {
  const code = `
    const [{ loadNativeAddon }, { jsBf16Kernels }] = await Promise.all([import(${JSON.stringify(new URL('./native.js', import.meta.url).href)}), import(${JSON.stringify(new URL('./bf16.js', import.meta.url).href)})]);
    const out = [];
    for (const path of ${JSON.stringify(ADDONS.filter((a) => a.load.bf16Kernels).map((a) => a.load.addonPath))}) {
      const l = loadNativeAddon(path);
      let worst = 0;
      for (const [ta, tb, m, n, k] of [[false, false, 37, 45, 70], [true, false, 13, 17, 33], [false, true, 50, 10, 130], [true, true, 5, 3, 1]]) {
        const A = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.7));
        const B = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.3));
        const Cn = new Float32Array(m * n).fill(NaN), Cj = new Float32Array(m * n);
        l.bf16Kernels.gemm(ta, tb, m, n, k, 1, A, B, 0, Cn);
        jsBf16Kernels.gemm(ta, tb, m, n, k, 1, A, B, 0, Cj);
        let d = 0, s = 1;
        for (let i = 0; i < Cj.length; i++) { d = Math.max(d, Math.abs(Cn[i] - Cj[i])); s = Math.max(s, Math.abs(Cj[i])); }
        worst = Math.max(worst, Number.isNaN(d) ? Infinity : d / s);
      }
      out.push({ kernel: l.bf16.kernel, worst });
    }
    console.log(JSON.stringify(out));`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { env: { ...process.env, SWEEPLAB_BF16_KERNEL: 'avx512bf16' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Array<{ kernel: string; worst: number }>;
  assert.ok(out.length > 0);
  for (const o of out) {
    assert.equal(o.kernel, 'avx512bf16');
    assert.ok(o.worst <= 1e-5, `relErr ${o.worst}`);
  }
});

test('bfloat16 linearAct / linearBackward: the bf16 GEMM + biasAct / actBackward, bit for bit (fused epilogue)', { skip: SKIP }, () => {
  const rnd = makeRng(32);
  for (const { name, k } of BF16) {
    for (const [rows, nIn, nOut] of [[7, 10, 3], [33, 40, 17], [128, 100, 64]] as const) {
      for (const act of [Act.Identity, Act.Sigmoid, Act.Tanh, Act.Relu, Act.LeakyRelu]) {
        const what = `${name} act ${act} ${rows}x${nIn}x${nOut}`;
        const A = rand('f32', rows * nIn, rnd); // (rows, nIn)
        const W = rand('f32', nIn * nOut, rnd); // (nIn, nOut)
        const b = rand('f32', nOut, rnd);
        const Z = new Float32Array(rows * nOut);
        const Zc = new Float32Array(rows * nOut);
        k.linearAct(Z, A, W, b, rows, nIn, nOut, act, 0.1);
        k.gemm(false, false, rows, nOut, nIn, 1, A, W, 0, Zc);
        jsKernels.biasAct(Zc, b, rows, nOut, act, 0.1);
        assert.deepEqual(Z, Zc, `linearAct ${what}`);
        const dZ = rand('f32', rows * nOut, rnd);
        const dA = new Float32Array(rows * nIn);
        const dAc = new Float32Array(rows * nIn);
        k.linearBackward(dA, dZ, W, A, rows, nIn, nOut, act, 0.1);
        k.gemm(false, true, rows, nIn, nOut, 1, dZ, W, 0, dAc);
        jsKernels.actBackward(dAc, dAc, A, rows * nIn, act, 0.1);
        assert.deepEqual(dA, dAc, `linearBackward ${what}`);
      }
    }
  }
});

test('bf16Support: supported with a kernel, or what is missing and a one-line reason (never both)', () => {
  const s = bf16Support();
  if (s.supported) {
    assert.ok(s.kernel === 'amx' || s.kernel === 'avx512bf16');
    assert.equal(s.missing, null);
    assert.equal(s.reason, '');
  } else {
    assert.equal(s.kernel, null);
    assert.ok(s.missing !== null && s.reason.includes(s.missing));
  }
  const fake = jsKernels;
  const noCpu = bf16SupportFrom({ kernels: fake, reason: '', bf16: { kernel: null, missing: 'AVX512_BF16' } }, false);
  assert.deepEqual(noCpu, {
    supported: false, kernel: null, missing: 'AVX512_BF16',
    reason: 'dtype bfloat16 needs a CPU with AVX512_BF16 (Intel Cooper Lake, Sapphire Rapids or later Xeon, AMD Zen 4 or later); this CPU does not have it: use dtype float32',
  });
  const noAddon = bf16SupportFrom({ kernels: null, reason: 'the addon was not built (no C compiler at install time)', bf16: null }, true);
  assert.equal(noAddon.missing, 'the native addon');
  assert.ok(noAddon.reason.includes(COMPILER_HINT) && noAddon.reason.includes('no C compiler'));
  assert.deepEqual(bf16SupportFrom({ kernels: fake, reason: '', bf16: { kernel: 'amx', missing: null } }, true),
    { supported: true, kernel: 'amx', missing: null, reason: '' });
});

test('bfloat16 models: float32 storage; native bf16 kernels, or the TypeScript emulation only when js is asked for', () => {
  const spec: ModelSpec = { layers: [3, 8, 3], activation: 'relu', output: 'softmax', loss: 'cross-entropy' };
  const js = createMlp(spec, { dtype: 'bfloat16', init: 'he', seed: 1, kernels: 'js' });
  assert.ok(js.params instanceof Float32Array);
  assert.equal(js.kernels, jsBf16Kernels);
  if (bf16Support().supported) {
    const n = createMlp(spec, { dtype: 'bfloat16', init: 'he', seed: 1, kernels: 'native' });
    assert.match(n.kernels.label, /bfloat16 (AMX|AVX512_BF16)$/);
    assert.deepEqual(n.params, js.params); // same init
  } else {
    assert.throws(() => createMlp(spec, { dtype: 'bfloat16', init: 'he', seed: 1 }), (e: unknown) => e instanceof NnCoreError && e.code === 'BF16_UNSUPPORTED');
  }
});

test('bfloat16 training learns like float32 and differs from it (the GEMM inputs are rounded)', () => {
  const spec: ModelSpec = { layers: [3, 16, 3], activation: 'relu', output: 'softmax', loss: 'cross-entropy' };
  const tr = blobs(new Rng(4), 300, 3, 3, 0.7, 'float32');
  const opts = { optimizer: 'momentum', batch: 20, lr: 0.1, epochs: 8, l2: 0, seed: 2 } as const;
  const runs: Array<[DType, KernelChoice]> = [['float32', 'auto'], ['bfloat16', 'js'], ...(bf16Support().supported ? [['bfloat16', 'native'] as [DType, KernelChoice]] : [])];
  const res = runs.map(([dtype, kernels]) => {
    const m = createMlp(spec, { dtype, init: 'he', seed: 3, kernels });
    return { m, r: train(m, { train: tr, numClasses: 3 }, opts) };
  });
  for (const { m, r } of res) {
    assert.equal(r.status, 'done');
    assert.ok(r.last.trainAcc >= 0.9, `${m.kernels.label}: ${r.last.trainAcc}`);
  }
  assert.notDeepEqual(res[1]!.m.params, res[0]!.m.params);
  if (res[2]) {
    // native bf16 vs its TypeScript emulation: the same rounded products, summed in float32 vs float64
    const a = res[2].m.params, b = res[1]!.m.params;
    let d = 0;
    for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i]! - b[i]!));
    assert.ok(d < 0.05, `max |native - emulated| ${d}`);
    assert.ok(Math.abs(res[2].r.last.cost - res[1]!.r.last.cost) < 0.05 * res[1]!.r.last.cost);
  }
});

test('bfloat16 weightGradStep (gradient with bf16 inputs + SGD/momentum step) = its TypeScript emulation', { skip: SKIP }, () => {
  const rnd = makeRng(33);
  for (const { name, k } of BF16) {
    for (const [rows, nIn, nOut, mu] of [[7, 10, 3, -1], [33, 40, 17, 0.9], [128, 100, 64, 0.9], [0, 4, 3, 0.9]] as const) {
      const n = (nIn + 1) * nOut;
      const P0 = rand('f32', n, rnd);
      const V0 = mu < 0 ? new Float32Array(0) : rand('f32', n, rnd, -0.1, 0.1);
      const Ap = rand('f32', rows * nIn, rnd);
      const dZ = rand('f32', rows * nOut, rnd);
      const [Pn, Pj, Vn, Vj, Gn, Gj] = [P0.slice(), P0.slice(), V0.slice(), V0.slice(), new Float32Array(n), new Float32Array(n)];
      k.weightGradStep(Pn, Gn, Vn, Ap, dZ, rows, nIn, nOut, 0.01, 0.05, mu, false, true);
      jsBf16Kernels.weightGradStep(Pj, Gj, Vj, Ap, dZ, rows, nIn, nOut, 0.01, 0.05, mu, false, true);
      const what = `${name} ${rows}x${nIn}x${nOut} mu ${mu}`;
      assertClose('f32', Gn, Gj, `G ${what}`);
      assertClose('f32', Pn, Pj, `P ${what}`);
      assertClose('f32', Vn, Vj, `V ${what}`);
    }
  }
});
