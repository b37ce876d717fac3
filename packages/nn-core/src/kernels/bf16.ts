/**
 * bfloat16 (issue 14, `dtype: 'bfloat16'`): master weights, optimizer state, activations and every sum stay
 * float32; only the GEMM inputs are rounded to bfloat16. A bf16 model's kernels are its float32 kernels with
 * `gemm`, `linearAct` and `linearBackward` replaced by bf16-input versions (bf16Kernels).
 *
 * Native: the addon's AMX kernel (TDPBF16PS) or its AVX512_BF16 one (VDPBF16PS), whichever the CPU has
 * (native/bf16.h). TypeScript: `jsBf16Kernels`, the reference the native ones are tested against; it rounds each
 * input exactly as the hardware conversion does (round to nearest even, float32 denormals to zero) and sums
 * in float64. It is used only when asked for explicitly (kernels 'js'): bfloat16 never falls back silently.
 */
import { jsKernels } from './js.js';
import type { FloatArray, Kernels } from './types.js';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** x rounded to bfloat16 (round to nearest even; |x| < 2^-126 -> signed 0; NaN stays NaN), as a number. */
export function roundBf16(x: number): number {
  f32[0] = x;
  let u = u32[0]!;
  if ((u & 0x7f800000) === 0) u &= 0x80000000; // zero or float32 denormal: signed zero
  else if ((u & 0x7fffffff) > 0x7f800000) return NaN;
  else u = (u + 0x7fff + ((u >>> 16) & 1)) & 0xffff0000;
  u32[0] = u >>> 0;
  return f32[0]!;
}

/** C = alpha · bf16(op(A)) · bf16(op(B)) + beta · C (sums in float64). Shapes as in Kernels.gemm. */
function gemmBf16(
  transA: boolean, transB: boolean, M: number, N: number, K: number,
  alpha: number, A: FloatArray /* (M, K) or (K, M) */, B: FloatArray /* (K, N) or (N, K) */, beta: number, C: FloatArray /* (M, N) */,
): void {
  const a = new Float64Array(K); // one row of op(A), rounded; allocated per call: this is a test reference
  for (let i = 0; i < M; i++) {
    for (let k = 0; k < K; k++) a[k] = roundBf16(transA ? A[k * M + i]! : A[i * K + k]!);
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[k]! * roundBf16(transB ? B[j * K + k]! : B[k * N + j]!);
      const c = i * N + j;
      C[c] = beta === 0 ? alpha * s : alpha * s + beta * C[c]!;
    }
  }
}

/** The bf16 version of a float32 kernel set: its GEMM kernels get bf16 inputs. */
export function withBf16Gemm(base: Kernels, gemm: Kernels['gemm'], linearAct: Kernels['linearAct'], linearBackward: Kernels['linearBackward'],
  weightGradStep: Kernels['weightGradStep'], label: string): Kernels {
  return Object.freeze({ ...base, gemm, linearAct, linearBackward, weightGradStep, label });
}

/** The TypeScript reference for bfloat16 models (slow: for tests and explicit kernels 'js'). */
export const jsBf16Kernels: Kernels = withBf16Gemm(
  jsKernels,
  gemmBf16,
  (Z, A, W, b, rows, nIn, nOut, act, slope) => {
    gemmBf16(false, false, rows, nOut, nIn, 1, A, W, 0, Z);
    jsKernels.biasAct(Z, b, rows, nOut, act, slope);
  },
  (dA, dZ, W, Aprev, rows, nIn, nOut, act, slope) => {
    gemmBf16(false, true, rows, nIn, nOut, 1, dZ, W, 0, dA);
    jsKernels.actBackward(dA, dA, Aprev, rows * nIn, act, slope);
  },
  (P, G, V, Aprev, dZ, rows, nIn, nOut, l2, lr, mu, nesterov) => {
    const n = (nIn + 1) * nOut;
    jsKernels.colSum(G, dZ, rows, nOut);
    const dW = G.subarray(nOut, n);
    gemmBf16(true, false, nIn, nOut, rows, 1, Aprev, dZ, 0, dW);
    if (l2 !== 0) jsKernels.axpy(dW, P.subarray(nOut, n), nIn * nOut, l2);
    if (V.length > 0) jsKernels.momentumStep(P, G, V, n, lr, mu, nesterov);
    else jsKernels.sgdStep(P, G, n, lr, 0);
  },
  'typescript (bfloat16 emulated)',
);
