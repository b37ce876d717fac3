// Test-only helpers shared by the native-vs-TypeScript kernel tests (kernels/native*.test.ts); not exported
// from the package. Error measure, stated once: relErr(a, b) = max_i |a_i - b_i| / max(1, max_i |b_i|), with
// b the TypeScript result; bounds 1e-5 for Float32Array and 1e-12 for Float64Array.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { uniformFloat64 } from 'pure-rand/distribution/uniformFloat64';
import { xoroshiro128plus } from 'pure-rand/generator/xoroshiro128plus';
import { builtinAddonPath, loadNativeAddon, loadNativeKernels, type NativeLoad } from '../kernels/native.js';
import type { FloatArray, Kernels } from '../kernels/types.js';

/** The main addon (build/Release): the one getKernels('native') uses. */
export const load = loadNativeKernels();

/**
 * Every native addon the kernel tests run on (issue 14: all tiers in CI):
 * - 'build': build/Release/nn_core.node, OpenBLAS when the machine has it, else the built-in GEMM;
 * - 'build-builtin': build-builtin/Release/nn_core.node, the built-in GEMM with OpenBLAS hidden
 *   (scripts/build-builtin.cjs, run by scripts/test.sh);
 * - more .node files from SWEEPLAB_TEST_ADDONS (comma-separated paths), e.g. builds for other -march values.
 * A missing file skips that addon's tests with the reason.
 */
export interface AddonUnderTest { name: string; load: NativeLoad }
export const ADDONS: AddonUnderTest[] = [
  { name: 'build', load },
  { name: 'build-builtin', load: loadNativeAddon(builtinAddonPath()) },
  ...(process.env.SWEEPLAB_TEST_ADDONS ?? '').split(',').filter(Boolean).map((p) => ({ name: p, load: loadNativeAddon(p) })),
];

/**
 * Registers one test per addon in ADDONS, named `${title} [${addon}]`, that gets the addon's kernels, or is
 * skipped with the loader's reason when that addon is unavailable.
 */
export function forEachAddon(title: string, fn: (t: TestContext, K: Kernels, a: AddonUnderTest) => void | Promise<void>): void {
  for (const a of ADDONS) {
    test(`${title} [${a.name}]`, (t) => {
      if (a.load.kernels === null) {
        t.skip(`${a.name} addon unavailable: ${a.load.reason}`);
        return;
      }
      return fn(t, a.load.kernels, a);
    });
  }
}
export const TOL = { f32: 1e-5, f64: 1e-12 } as const;
export type DT = keyof typeof TOL;
export const DTYPES: DT[] = ['f32', 'f64'];

/** The native kernels, or skip the test with the loader's reason. */
export function nativeOrSkip(t: TestContext): Kernels | null {
  if (load.kernels === null) {
    t.skip(`native addon unavailable: ${load.reason}`);
    return null;
  }
  return load.kernels;
}

export function makeRng(seed: number): () => number {
  const g = xoroshiro128plus(seed);
  return () => uniformFloat64(g);
}

export function alloc(dt: DT, n: number): FloatArray {
  return dt === 'f32' ? new Float32Array(n) : new Float64Array(n);
}

/** n values uniform in [lo, hi). */
export function rand(dt: DT, n: number, rnd: () => number, lo = -1, hi = 1): FloatArray {
  const a = alloc(dt, n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rnd();
  return a;
}

export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    // a NaN anywhere is a failure unless both sides have it at the same place
    if (Number.isNaN(a[i]!) !== Number.isNaN(b[i]!)) return Infinity;
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

export function assertClose(dt: DT, a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  const e = relErr(a, b);
  assert.ok(e <= TOL[dt], `${what}: relErr ${e} > ${TOL[dt]}`);
}
