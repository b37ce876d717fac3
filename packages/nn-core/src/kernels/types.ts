/**
 * The kernel contract of nn-core: every hot loop of training goes through one of these functions.
 *
 * Implementations behind this one interface: `js.ts`, the readable TypeScript reference (and the fallback), and
 * `native.ts`, an N-API addon whose GEMM is OpenBLAS or its own built-in packed GEMM (the tiers); `bf16.ts`
 * derives the bfloat16 variants. Tests hold the native kernels against the TypeScript ones, so all must
 * follow these rules exactly:
 * - Matrices are dense and row-major. All array arguments of one call share one dtype
 *   (all Float32Array or all Float64Array); mixing them is a programming error.
 * - Outputs come first, then inputs, then dimensions. Kernels write into caller-given outputs and never
 *   allocate. They do not check shapes: callers check once at API boundaries.
 * - Shapes are in the comments: (rows, cols).
 */
export type FloatArray = Float32Array | Float64Array;

/** Hidden-layer (and output) activation codes shared with the native addon. */
export const Act = { Identity: 0, Sigmoid: 1, Tanh: 2, Relu: 3, LeakyRelu: 4 } as const;
export type Act = (typeof Act)[keyof typeof Act];

/** Output activation + loss pairs that have a fused kernel. */
export const OutLoss = {
  /** sigmoid outputs, binary cross-entropy summed over the outputs (the question's cost) */
  SigmoidBce: 0,
  /** softmax outputs, categorical cross-entropy */
  SoftmaxCe: 1,
  /** identity outputs, squared error: ½ Σ (h - y)² */
  IdentityMse: 2,
  /** sigmoid outputs, squared error: ½ Σ (h - y)² */
  SigmoidMse: 3,
} as const;
export type OutLoss = (typeof OutLoss)[keyof typeof OutLoss];

export type KernelBackend = 'js' | 'native';

/**
 * Which GEMM runs behind the kernels: the native addon linked to OpenBLAS, the native addon with its built-in
 * GEMM (built when OpenBLAS is missing, issue 14), or the TypeScript reference.
 */
export type KernelTier = 'openblas' | 'builtin' | 'typescript';

export interface Kernels {
  readonly backend: KernelBackend;
  readonly tier: KernelTier;
  /** the tier as printed: 'native (OpenBLAS SkylakeX)', 'native (built-in GEMM, AVX-512)' or 'typescript' */
  readonly label: string;

  /**
   * C = alpha · op(A) · op(B) + beta · C. op(A) is (M, K): A is (M, K), or (K, M) when transA.
   * op(B) is (K, N): B is (K, N), or (N, K) when transB. C is (M, N). beta = 0 overwrites C
   * (NaN in C is not propagated).
   */
  gemm(
    transA: boolean, transB: boolean, M: number, N: number, K: number,
    alpha: number, A: FloatArray, B: FloatArray, beta: number, C: FloatArray,
  ): void;

  /**
   * Forward of a hidden layer: Z = act(A · W + b), i.e. gemm(false, false, rows, nOut, nIn, 1, A, W, 0, Z) then
   * biasAct(Z, b, rows, nOut, act, slope), with the same results (the built-in tier runs the bias and a ReLU or
   * identity in the GEMM's epilogue, bit for bit the same operations). The native OpenBLAS tier does the same for
   * float32 on AVX-512 builds, on its built-in GEMM: there the result equals the built-in GEMM + biasAct, not
   * OpenBLAS's gemm + biasAct (buildInfo().fusedF32). Z: (rows, nOut), A: (rows, nIn), W: (nIn, nOut), b: (nOut).
   */
  linearAct(Z: FloatArray, A: FloatArray, W: FloatArray, b: FloatArray, rows: number, nIn: number, nOut: number, act: Act, slope: number): void;

  /**
   * Input gradient of a layer: dA = (dZ · Wᵀ) ⊙ act'(Aprev), i.e. gemm(false, true, rows, nIn, nOut, 1, dZ, W, 0, dA)
   * then actBackward(dA, dA, Aprev, rows·nIn, act, slope), with the same results (a ReLU's mask runs in the GEMM's
   * epilogue where linearAct's does: then over the built-in GEMM, buildInfo().fusedF32). dA: (rows, nIn) (may not alias
   * dZ or W), dZ: (rows, nOut), W: (nIn, nOut), Aprev: (rows, nIn) the activations the layer took as input.
   */
  linearBackward(dA: FloatArray, dZ: FloatArray, W: FloatArray, Aprev: FloatArray, rows: number, nIn: number, nOut: number, act: Act, slope: number): void;

  /**
   * Weight gradient and optimizer step of one layer in one call (mini-batch SGD / momentum training). P: the
   * layer's parameter block [b; W] (nIn + 1, nOut), G: its gradient block [db; dW], V: its velocity block, or an
   * empty array for plain SGD (then mu is unused). Equals, in this order:
   *   colSum(db, dZ, rows, nOut); gemm(true, false, nIn, nOut, rows, 1, Aprev, dZ, 0, dW); axpy(dW, W, nIn·nOut, l2);
   *   momentumStep(P, G, V, (nIn + 1)·nOut, lr, mu, nesterov)   (plain SGD: sgdStep(P, G, (nIn + 1)·nOut, lr, 0))
   * except that dW is left in G only when writeGrad (db always is): the native kernels apply the step in the
   * GEMM's epilogue while the gradient is in registers. Aprev: (rows, nIn), dZ: (rows, nOut).
   */
  weightGradStep(P: FloatArray, G: FloatArray, V: FloatArray, Aprev: FloatArray, dZ: FloatArray, rows: number, nIn: number, nOut: number,
    l2: number, lr: number, mu: number, nesterov: boolean, writeGrad: boolean): void;

  /** In place: Z[i, j] = act(Z[i, j] + b[j]). Z: (rows, cols), b: (cols). slope is leaky-relu's negative slope. */
  biasAct(Z: FloatArray, b: FloatArray, rows: number, cols: number, act: Act, slope: number): void;

  /**
   * dZ[i] = dA[i] · act'(z_i), with the derivative written in terms of the activation A = act(z):
   * sigmoid a(1-a), tanh 1-a², relu (a > 0), leaky (a > 0 ? 1 : slope), identity 1. dZ may alias dA. n = rows·cols.
   */
  actBackward(dZ: FloatArray, dA: FloatArray, A: FloatArray, n: number, act: Act, slope: number): void;

  /**
   * Output layer, fused. On entry Z holds the pre-bias logits (rows, cols); on exit Z holds the outputs
   * H = out(Z + b). Y: (rows, cols) targets (one-hot for classification). Writes dZ = scale · ∂loss/∂z
   * (dZ: (rows, cols), may not alias Z) and returns the loss SUMMED over rows and outputs (not divided):
   * - SigmoidBce: Σ softplus(z) - y·z   (= -[y log h + (1-y) log(1-h)], no log(0), no exp overflow); dZ = scale·(h - y)
   * - SoftmaxCe:  Σ_k y_k (logsumexp(z) - z_k);                                                   dZ = scale·(h·Σy - y) (= h - y for one-hot)
   * - IdentityMse: ½ Σ (h - y)²;                                                                  dZ = scale·(h - y)
   * - SigmoidMse:  ½ Σ (h - y)²;                                                                  dZ = scale·(h - y)·h(1-h)
   * Accumulate the returned sum in float64 whatever the dtype.
   */
  outputLoss(
    dZ: FloatArray, Z: FloatArray, b: FloatArray, Y: FloatArray,
    rows: number, cols: number, kind: OutLoss, scale: number,
  ): number;

  /**
   * A shuffled mini-batch: for i < rows, with r = idx[start + i]: Xb[i, :] = X[r, :] and Y[i, :] = one-hot of
   * labels[r] (Y[i, c] = 1 for c = labels[r], else 0). Xb: (rows, cols), Y: (rows, K), X: (n, cols),
   * labels: (n), idx: (>= start + rows) row numbers < n. Xb, Y and X share one dtype. Callers guarantee
   * idx[...] < n and labels[...] < K (the native kernel checks both and throws a RangeError otherwise).
   */
  gatherBatch(
    Xb: FloatArray, Y: FloatArray, X: FloatArray, labels: Uint8Array, idx: Uint32Array,
    start: number, rows: number, cols: number, K: number,
  ): void;

  /**
   * A new zeroed array of n values of `dtype` for the hot buffers (parameters, gradients, optimizer state,
   * activations). The native kernels start it on a 64-byte boundary (a view into a slightly longer buffer), so
   * their vector loads never straddle two cache lines; the TypeScript kernels allocate it plainly.
   */
  alloc(dtype: 'float32' | 'float64', n: number): FloatArray;

  /** db[j] = Σ_i dZ[i, j] (overwrites). dZ: (rows, cols), db: (cols). */
  colSum(db: FloatArray, dZ: FloatArray, rows: number, cols: number): void;

  /** y[i] += a · x[i] for i < n. */
  axpy(y: FloatArray, x: FloatArray, n: number, a: number): void;

  /** Σ x[i]² for i < n, accumulated in float64. */
  sumSq(x: FloatArray, n: number): number;

  /**
   * Plain gradient step over a segment: p -= lr · (g + decay · p).
   * decay is a coupled decay folded into the step (0 for none; L2 normally enters through the gradient).
   */
  sgdStep(p: FloatArray, g: FloatArray, n: number, lr: number, decay: number): void;

  /**
   * Heavy-ball momentum over a segment (PyTorch convention): v = mu · v + g; p -= lr · v,
   * or with nesterov: p -= lr · (g + mu · v) using the updated v. A stored v below the smallest normal number
   * of its type is stored as 0 (subnormal state is slow on x86; the step itself uses the value before that).
   */
  momentumStep(p: FloatArray, g: FloatArray, v: FloatArray, n: number, lr: number, mu: number, nesterov: boolean): void;

  /**
   * Adam / AdamW over a segment: m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²;
   * p -= lr · ( (m / bc1) / (sqrt(v / bc2) + eps) + wd · p ), where bc1 = 1 - b1^t and bc2 = 1 - b2^t are
   * computed by the caller for step t (1-based), and wd is AdamW's decoupled weight decay (0 for Adam).
   * Stored m and v below the smallest normal number of their type are stored as 0, as in momentumStep.
   */
  adamStep(
    p: FloatArray, g: FloatArray, m: FloatArray, v: FloatArray, n: number,
    lr: number, b1: number, b2: number, eps: number, bc1: number, bc2: number, wd: number,
  ): void;
}
