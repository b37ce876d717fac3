import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { COMPILER_HINT, fallbackLine, getKernels, kernelInfo, NATIVE_HINT, selectKernels, tierInfo, type NativeStatus } from './index.js';
import { jsKernels } from './js.js';
import { NnCoreError } from '../errors.js';
import type { Kernels } from './types.js';

const fakeNative = { ...jsKernels, backend: 'native', tier: 'openblas' } as Kernels;
const fakeBuiltin = { ...jsKernels, backend: 'native', tier: 'builtin' } as Kernels;
const available = (): NativeStatus => ({
  kernels: fakeNative, reason: '', openblasCore: 'SkylakeX', build: { gemm: 'openblas', isa: 'AVX-512', march: 'native', compiler: 'gcc', fusedF32: 'builtin', fusedF64: 'openblas' },
});
const builtin = (): NativeStatus => ({
  kernels: fakeBuiltin, reason: '', openblasCore: null, build: { gemm: 'builtin', isa: 'AVX2+FMA', march: 'native', compiler: 'gcc', fusedF32: 'builtin', fusedF64: 'builtin' },
});
const missing = (): NativeStatus => ({ kernels: null, reason: 'the addon was not built', openblasCore: null });

test('explicit choices win; SWEEPLAB_KERNELS replaces auto and the default', () => {
  const none = () => assert.fail('no fallback expected');
  assert.equal(selectKernels('js', 'native', available, none).kernels, jsKernels);
  assert.equal(selectKernels('native', 'js', available, none).kernels, fakeNative);
  assert.equal(selectKernels(undefined, 'js', available, none).kernels, jsKernels);
  assert.equal(selectKernels('auto', 'js', available, none).kernels, jsKernels);
  assert.equal(selectKernels('auto', undefined, available, none).kernels, fakeNative);
  assert.equal(selectKernels(undefined, '', available, none).kernels, fakeNative);
  assert.deepEqual(selectKernels('auto', 'native', available, none).info, {
    backend: 'native', reason: '', openblasCore: 'SkylakeX', tier: 'native (OpenBLAS SkylakeX)', tierId: 'openblas', next: null, isa: 'AVX-512',
  });
  assert.throws(() => selectKernels(undefined, 'blas', available, none), /SWEEPLAB_KERNELS='blas' is not a kernel choice; set it to js, native or auto/);
  assert.throws(() => selectKernels('gpu' as 'js', undefined, available, none), /kernels: 'gpu' is not a kernel choice/);
});

test("'native' without the addon throws a typed error with the reason and the fix", () => {
  for (const [choice, env, via] of [['native', undefined, "kernels: 'native'"], [undefined, 'native', 'SWEEPLAB_KERNELS=native']] as const) {
    assert.throws(() => selectKernels(choice, env, missing, () => {}), (e: unknown) => {
      assert.ok(e instanceof NnCoreError);
      assert.equal(e.code, 'NATIVE_UNAVAILABLE');
      assert.ok(e.message.startsWith(`${via} was requested`), e.message);
      assert.ok(e.message.includes('the addon was not built') && e.message.includes(COMPILER_HINT));
      return true;
    });
  }
});

test("'auto' without the addon falls back to js and reports why", () => {
  const reasons: string[] = [];
  const r = selectKernels('auto', undefined, missing, (why, next) => reasons.push(`${why} | ${next}`));
  assert.equal(r.kernels, jsKernels);
  assert.deepEqual(r.info, {
    backend: 'js', reason: 'the addon was not built', openblasCore: null, tier: 'typescript', tierId: 'typescript', next: COMPILER_HINT, isa: null,
  });
  assert.deepEqual(reasons, [`the addon was not built | ${COMPILER_HINT}`]);
  assert.equal(fallbackLine('x'), `sweeplab: using the TypeScript kernels (x); for the native kernels: ${COMPILER_HINT}\n`);
});

test('tiers: labels and the next tier up for OpenBLAS, built-in GEMM and TypeScript', () => {
  const none = () => assert.fail('no fallback expected');
  const b = selectKernels('auto', undefined, builtin, none).info;
  assert.equal(b.tier, 'native (built-in GEMM, AVX2+FMA)');
  assert.equal(b.tierId, 'builtin');
  assert.equal(b.next, NATIVE_HINT);
  assert.equal(b.openblasCore, null);
  assert.equal(NATIVE_HINT, 'apt-get install libopenblas-dev && npm run install -w @sweeplab/nn-core');
  assert.equal(selectKernels('native', undefined, available, none).info.tier, 'native (OpenBLAS SkylakeX)');
  assert.equal(selectKernels('native', undefined, available, none).info.next, null);
  // js asked for while the addon is built: the next tier is just a setting away
  const js = selectKernels('js', undefined, available, none).info;
  assert.equal(js.tier, 'typescript');
  assert.match(js.next ?? '', /kernels 'auto'/);
  // js because nothing was built: a compiler gives the built-in tier
  assert.equal(tierInfo(missing(), false, 'x').next, COMPILER_HINT);
  assert.equal(COMPILER_HINT, 'apt-get install build-essential && npm run install -w @sweeplab/nn-core');
});

test('in this process: getKernels/kernelInfo agree, js is always available', () => {
  assert.equal(getKernels('js'), jsKernels);
  assert.equal(kernelInfo('js').backend, 'js');
  assert.equal(getKernels('auto').backend, kernelInfo('auto').backend); // both follow SWEEPLAB_KERNELS if set
  const info = kernelInfo('native'); // never throws
  if (info.backend === 'native') {
    assert.equal(info.reason, '');
    assert.equal(getKernels('native').backend, 'native');
    assert.equal(getKernels('native').tier, info.tierId);
    assert.match(info.tier, /^native \((OpenBLAS \S+|built-in GEMM, (AVX-512|AVX2\+FMA|SSE2|NEON|plain C))\)$/);
  } else {
    assert.notEqual(info.reason, '');
    assert.throws(() => getKernels('native'), /native kernels are unavailable/);
  }
});

test('the fallback line is printed once per process, in the main thread only', () => {
  const mod = JSON.stringify(fileURLToPath(new URL('./index.js', import.meta.url)));
  const run = (code: string) => spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  const main = run(`import { warnFallback } from ${mod}; warnFallback('no addon'); warnFallback('no addon'); warnFallback('other');`);
  assert.equal(main.status, 0, main.stderr);
  assert.equal(main.stderr, `sweeplab: using the TypeScript kernels (no addon); for the native kernels: ${COMPILER_HINT}\n`);
  const worker = run(`import { Worker } from 'node:worker_threads';
    const w = new Worker(\`import { warnFallback } from \${JSON.stringify(${mod})}; warnFallback('in a worker'); console.log('worker ran');\`, { eval: true, type: 'module' });
    w.on('exit', (c) => process.exit(c));`);
  assert.equal(worker.status, 0, worker.stderr);
  assert.equal(worker.stdout, 'worker ran\n');
  assert.equal(worker.stderr, '');
});
