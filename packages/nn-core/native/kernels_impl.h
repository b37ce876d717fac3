/*
 * The numerical kernels of nn-core, written once for both dtypes: nn_core.c includes this file twice, with
 * T = float, SUF = f32 and with T = double, SUF = f64 (a C "template"). Semantics follow
 * src/kernels/types.ts exactly; src/kernels/js.ts is the reference they are tested against.
 *
 * Rules:
 * - Matrices are dense and row-major; outputs first, then inputs, then dimensions; nothing is allocated.
 * - Nonlinear functions (sigmoid, tanh, losses) load values into double, compute in double and round to T
 *   once on store, like the TypeScript reference (JavaScript numbers are doubles). Single add/compare
 *   loops (identity, ReLU) stay in T, where one operation gives exactly the rounded double result.
 * - The optimizer updates and axpy compute in R (float for f32, double for f64), as PyTorch does: they are
 *   memory-bound loops over all parameters, and float32 arithmetic keeps them so (float64 division and
 *   square root in Adam cost 4x). They differ from the reference by a few float32 roundings.
 * - Sums (losses, sums of squares, bias gradients) are accumulated in double whatever T is.
 * - exp/log1p/tanh come from libm; on x86-64 glibc >= 2.35 nn_core.c declares their SIMD variants (libmvec,
 *   <= 4 ulp), so the `omp simd` loops that call them are vectorised.
 * - No `restrict` where the contract allows aliasing (actBackward's dZ may be dA); gcc versions the loops
 *   with a runtime overlap check and still vectorises them.
 */

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, SUF)

/* ---------------------------------------------------------------------------------------------------------
 * Narrow-output GEMMs: C has at most a few columns (the layers of a few units, e.g. the question's 784-5
 * first layer: Z1 = X·W1 and dW1 = Xᵀ·dZ1 with X streaming from memory), which OpenBLAS runs at ~15 GFLOP/s.
 * Written with GCC/Clang vector extensions: a vector is 64 bytes of T (LANES values), which compiles to
 * AVX-512 with -march=native and to narrower SIMD elsewhere. Measured on the 784-5-5-10 full-batch pass
 * (30000 rows in chunks of 1024, one core, AMD EPYC Zen 4, OpenBLAS 0.3.21 SkylakeX): Z1 f32 14.8 -> 5.2 ms,
 * f64 31 -> 7.8 ms; dW1 f32 8.0 -> 4.3 ms, f64 16.3 -> 6.7 ms. gemm() routes a call here only for shapes
 * where these kernels measured faster than OpenBLAS (see narrow_nn_ok / narrow_tn_ok).
 *
 * Determinism: every load is unaligned (memcpy into a vector), so the order of the additions depends only
 * on the shapes, never on where the arrays live: the same call on the same values gives the same bits run
 * to run, and in a training pass and an evaluation pass alike.
 * ------------------------------------------------------------------------------------------------------- */

typedef T FN(vec) __attribute__((vector_size(64), aligned(sizeof(T))));
#define VEC FN(vec)
#define LANES ((int)(64 / sizeof(T)))
/* packed panel of B in the NN kernel: 32 KB of stack, 6 columns x KP inner indices (KP a multiple of LANES) */
#define NARROW_PACK ((int)(32768 / sizeof(T)))
#define NARROW_KP (NARROW_PACK / 6 / LANES * LANES)

static inline VEC FN(vload)(const T *p)
{
    VEC v;
    memcpy(&v, p, sizeof v);
    return v;
}

/* Sum of the lanes, in a fixed tree order. */
static inline T FN(vsum)(VEC a)
{
    T t[64 / sizeof(T)];
    memcpy(t, &a, sizeof a);
    for (int w = LANES / 2; w >= 1; w /= 2)
        for (int l = 0; l < w; l++) t[l] += t[l + w];
    return t[0];
}

/* *c = alpha · acc + beta · *c (beta = 0 overwrites: NaN in C is not propagated, as with BLAS). */
static inline void FN(store_c)(T *c, T acc, double alpha, double beta)
{
    const T r = alpha == 1.0 ? acc : (T)(alpha * (double)acc);
    if (beta == 0.0) *c = r;
    else if (beta == 1.0) *c = *c + r;
    else *c = (T)((double)r + beta * (double)*c);
}

/* NN: C (M, N) = alpha · A (M, K) · B (K, N) + beta · C. Per group of <= 6 columns and panel of NARROW_KP
 * inner indices, the panel of B is packed transposed on the stack; then 4 rows of A x the group's columns
 * are dot products vectorised along k (24 vector accumulators), reduced in a fixed order. The first panel
 * stores alpha·sum + beta·C, later panels add alpha·sum. */
static void FN(gemm_nn_narrow)(int M, int N, int K, double alpha, const T *A, const T *B, double beta, T *C)
{
    T bt[32768 / sizeof(T)];
    const int KP = NARROW_KP;
    for (int j0 = 0; j0 < N; j0 += 6) {
        const int jn = N - j0 < 6 ? N - j0 : 6;
        for (int k0 = 0; k0 < K; k0 += KP) {
            const int kw = K - k0 < KP ? K - k0 : KP, kv = kw / LANES * LANES;
            for (int k = 0; k < kw; k++)
                for (int j = 0; j < jn; j++) bt[j * KP + k] = B[(size_t)(k0 + k) * N + j0 + j];
            for (int i = 0; i < M; i += 4) {
                const int rn = M - i < 4 ? M - i : 4;
                /* rows past the end (rn < 4) re-read the block's first row; their sums are not stored */
                const T *a0 = A + (size_t)i * K + k0;
                const T *a1 = rn > 1 ? a0 + K : a0, *a2 = rn > 2 ? a0 + 2 * (size_t)K : a0;
                const T *a3 = rn > 3 ? a0 + 3 * (size_t)K : a0;
                VEC acc[4][6];
                for (int j = 0; j < 6; j++) acc[0][j] = acc[1][j] = acc[2][j] = acc[3][j] = (VEC){0};
                /* the next block's 4 rows, one cache line per row per step: A streams from memory */
                const char *pf = (const char *)(a0 + NNC_PF_ROWS * (size_t)K);
                const int pfo = i + NNC_PF_ROWS + 4 <= M ? (int)(K * sizeof(T)) : 0;
                for (int k = 0; k < kv; k += LANES) {
                    if (pfo) {
                        __builtin_prefetch(pf + k * sizeof(T), 0, 0);
                        __builtin_prefetch(pf + pfo + k * sizeof(T), 0, 0);
                        __builtin_prefetch(pf + 2 * pfo + k * sizeof(T), 0, 0);
                        __builtin_prefetch(pf + 3 * pfo + k * sizeof(T), 0, 0);
                    }
                    const VEC v0 = FN(vload)(a0 + k), v1 = FN(vload)(a1 + k);
                    const VEC v2 = FN(vload)(a2 + k), v3 = FN(vload)(a3 + k);
#define NNC_COL(j)                                                                                  \
    if (j < jn) {                                                                                   \
        const VEC w = FN(vload)(bt + (j) * KP + k);                                                 \
        acc[0][j] += v0 * w;                                                                        \
        acc[1][j] += v1 * w;                                                                        \
        acc[2][j] += v2 * w;                                                                        \
        acc[3][j] += v3 * w;                                                                        \
    }
                    NNC_COL(0) NNC_COL(1) NNC_COL(2) NNC_COL(3) NNC_COL(4) NNC_COL(5)
#undef NNC_COL
                }
                const T *ar[4] = {a0, a1, a2, a3};
                for (int r = 0; r < rn; r++) {
                    for (int j = 0; j < jn; j++) {
                        const T *w = bt + j * KP;
                        T p = FN(vsum)(acc[r][j]);
                        for (int k = kv; k < kw; k++) p += ar[r][k] * w[k];
                        T *c = C + (size_t)(i + r) * N + j0 + j;
                        if (k0 == 0) FN(store_c)(c, p, alpha, beta);
                        else *c = *c + (alpha == 1.0 ? p : (T)(alpha * (double)p));
                    }
                }
            }
        }
    }
}

/* TN: C (M, N) = alpha · Aᵀ · B + beta · C with A (K, M), B (K, N) (a weight gradient: M = inputs, K = rows
 * of the batch). Per group of <= 6 columns and slice of 4 vectors of M, 24 vector accumulators run down
 * all K rows (each lane sums its own output in row order), then are stored. Remaining M: one vector at a
 * time, then scalar. */
static void FN(gemm_tn_narrow)(int M, int N, int K, double alpha, const T *A, const T *B, double beta, T *C)
{
    for (int j0 = 0; j0 < N; j0 += 6) {
        const int jn = N - j0 < 6 ? N - j0 : 6;
        int m0 = 0;
        for (; m0 + 4 * LANES <= M; m0 += 4 * LANES) {
            VEC acc[4][6];
            for (int j = 0; j < 6; j++) acc[0][j] = acc[1][j] = acc[2][j] = acc[3][j] = (VEC){0};
            for (int i = 0; i < K; i++) {
                const T *a = A + (size_t)i * M + m0, *b = B + (size_t)i * N + j0;
                const VEC v0 = FN(vload)(a), v1 = FN(vload)(a + LANES);
                const VEC v2 = FN(vload)(a + 2 * LANES), v3 = FN(vload)(a + 3 * LANES);
#define NNC_COL(j)                                                                                  \
    if (j < jn) {                                                                                   \
        const T w = b[j];                                                                           \
        acc[0][j] += v0 * w;                                                                        \
        acc[1][j] += v1 * w;                                                                        \
        acc[2][j] += v2 * w;                                                                        \
        acc[3][j] += v3 * w;                                                                        \
    }
                NNC_COL(0) NNC_COL(1) NNC_COL(2) NNC_COL(3) NNC_COL(4) NNC_COL(5)
#undef NNC_COL
            }
            for (int q = 0; q < 4; q++) {
                for (int j = 0; j < jn; j++) {
                    T t[64 / sizeof(T)];
                    memcpy(t, &acc[q][j], sizeof t);
                    for (int l = 0; l < LANES; l++) FN(store_c)(C + (size_t)(m0 + q * LANES + l) * N + j0 + j, t[l], alpha, beta);
                }
            }
        }
        for (; m0 + LANES <= M; m0 += LANES) {
            VEC acc[6];
            for (int j = 0; j < 6; j++) acc[j] = (VEC){0};
            for (int i = 0; i < K; i++) {
                const VEC v = FN(vload)(A + (size_t)i * M + m0);
                const T *b = B + (size_t)i * N + j0;
                for (int j = 0; j < jn; j++) acc[j] += v * b[j];
            }
            for (int j = 0; j < jn; j++) {
                T t[64 / sizeof(T)];
                memcpy(t, &acc[j], sizeof t);
                for (int l = 0; l < LANES; l++) FN(store_c)(C + (size_t)(m0 + l) * N + j0 + j, t[l], alpha, beta);
            }
        }
        for (; m0 < M; m0++) {
            for (int j = 0; j < jn; j++) {
                T sum = 0;
                for (int i = 0; i < K; i++) sum += A[(size_t)i * M + m0] * B[(size_t)i * N + j0 + j];
                FN(store_c)(C + (size_t)m0 * N + j0 + j, sum, alpha, beta);
            }
        }
    }
}

/* Where the narrow kernels measured faster than OpenBLAS: narrow C (NN up to 12 / 16 columns for f32 / f64,
 * TN up to 8 / 12) over a long streamed operand (NN: inner dimension >= 512, e.g. 784 pixels; TN: >= 512
 * outputs per column and >= 256 rows). Measured slower (kept on OpenBLAS): short inner dimensions whose
 * operands sit in cache, e.g. the 128 x 256 -> 10 output layer of a 784-256-256-10 step (BLAS 11 µs per call,
 * narrow 20 µs), and the 5x5 layers. */
static int FN(narrow_nn_ok)(int M, int N, int K)
{
    return N <= (sizeof(T) == 4 ? 12 : 16) && K >= 512 && M >= 16;
}
static int FN(narrow_tn_ok)(int M, int N, int K)
{
    return N <= (sizeof(T) == 4 ? 8 : 12) && M >= 512 && K >= 256;
}

/* C = beta · C for an empty inner dimension (op(A)·op(B) is the zero matrix; CBLAS would reject lda = 0). */
static void FN(scale_c)(T *C, size_t n, double beta)
{
    if (beta == 0.0) {
        for (size_t i = 0; i < n; i++) C[i] = (T)0;
    } else if (beta != 1.0) {
        for (size_t i = 0; i < n; i++) C[i] = (T)(beta * (double)C[i]);
    }
}

/* C = alpha · op(A) · op(B) + beta · C on the built-in GEMM (gemm_impl.h) only, whatever the build: the GEMM of
 * the built-in tier, exported as gemmBuiltin so that tests and benches can compare it with OpenBLAS in one
 * process. Returns 0, or -1 when its packing buffers could not be allocated. */
static int FN(gemm_builtin_full)(int ta, int tb, int M, int N, int K, double alpha, const T *A, const T *B,
                                 double beta, T *C, const FN(epi_t) *e, int skip)
{
    if (M == 0 || N == 0) return 0;
    if (K == 0) {
        FN(scale_c)(C, (size_t)M * (size_t)N, beta);
        return 0;
    }
    return FN(gemm_builtin)(ta, tb, M, N, K, (T)alpha, A, ta ? (size_t)M : (size_t)K, B, tb ? (size_t)K : (size_t)N,
                            (T)beta, C, (size_t)N, e, skip);
}

/* C = alpha · op(A) · op(B) + beta · C. A: (M, K) or (K, M) when ta; B: (K, N) or (N, K) when tb; C: (M, N).
 * Dimensions are < 2^31 (checked by the caller). beta = 0 overwrites C. Narrow shapes go to the kernels
 * above, everything else to CBLAS (OpenBLAS tier) or to the built-in GEMM (built-in tier). Returns 0, or -1
 * when the built-in GEMM could not allocate its buffers (nothing written). */
static int FN(gemm)(int ta, int tb, int M, int N, int K, double alpha, const T *A, const T *B, double beta, T *C)
{
    if (M == 0 || N == 0) return 0;
    if (K == 0) {
        FN(scale_c)(C, (size_t)M * (size_t)N, beta);
        return 0;
    }
    if (!ta && !tb && FN(narrow_nn_ok)(M, N, K)) {
        FN(gemm_nn_narrow)(M, N, K, alpha, A, B, beta, C);
        return 0;
    }
    if (ta && !tb && FN(narrow_tn_ok)(M, N, K)) {
        FN(gemm_tn_narrow)(M, N, K, alpha, A, B, beta, C);
        return 0;
    }
#ifdef NNC_HAVE_OPENBLAS
    BLAS_GEMM(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K,
              (T)alpha, A, ta ? M : K, B, tb ? K : N, (T)beta, C, N);
    return 0;
#else
    return FN(gemm_builtin_full)(ta, tb, M, N, K, alpha, A, B, beta, C, NULL, 1);
#endif
}

/* One block of a flat pass over a narrow layer: vb[e] = z[e] + b[j] for e < m, in double, where the bias index
 * *jb wraps every `cols` values and carries over to the next block. */
static inline void FN(flat_bias_block)(double *vb, const T *z, const T *b, size_t m, size_t cols, size_t *jb)
{
    size_t j = *jb;
    for (size_t e = 0; e < m; e++) {
        vb[e] = (double)z[e] + (double)b[j];
        if (++j == cols) j = 0;
    }
    *jb = j;
}

/* In place: Z[i, j] = act(Z[i, j] + b[j]). Z: (rows, cols), b: (cols). */
static void FN(bias_act)(T *Z, const T *b, size_t rows, size_t cols, int act, double slope)
{
    switch (act) {
    case ACT_IDENTITY:
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
            for (size_t j = 0; j < cols; j++) z[j] = z[j] + b[j];
        }
        break;
    case ACT_RELU:
        /* branch-free select; NaN propagates (NaN < 0 is false) */
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
            for (size_t j = 0; j < cols; j++) {
                const T v = z[j] + b[j];
                z[j] = v < (T)0 ? (T)0 : v;
            }
        }
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
            for (size_t j = 0; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j];
                z[j] = (T)(v < 0.0 ? slope * v : v);
            }
        }
        break;
    case ACT_SIGMOID:
    case ACT_TANH:
        if (cols < NNC_NARROW_COLS && cols > 0) {
            /* narrow layer: flat blocks, as in output_loss_flat */
            double vb[NNC_FLAT_BLOCK];
            const size_t n = rows * cols;
            size_t jb = 0;
            for (size_t e0 = 0; e0 < n; e0 += NNC_FLAT_BLOCK) {
                const size_t m = n - e0 < NNC_FLAT_BLOCK ? n - e0 : NNC_FLAT_BLOCK;
                FN(flat_bias_block)(vb, Z + e0, b, m, cols, &jb);
                T *z = Z + e0;
                if (act == ACT_SIGMOID) {
#pragma omp simd
                    for (size_t e = 0; e < m; e++) z[e] = (T)nnc_sigmoid(vb[e]);
                } else {
#pragma omp simd
                    for (size_t e = 0; e < m; e++) z[e] = (T)tanh(vb[e]);
                }
            }
            break;
        }
        if (act == ACT_TANH) {
            for (size_t i = 0; i < rows; i++) {
                T *z = Z + i * cols;
#pragma omp simd
                for (size_t j = 0; j < cols; j++) z[j] = (T)tanh((double)z[j] + (double)b[j]);
            }
            break;
        }
        for (size_t i = 0; i < rows; i++) {
            T *z = Z + i * cols;
#pragma omp simd
            for (size_t j = 0; j < cols; j++) z[j] = (T)nnc_sigmoid((double)z[j] + (double)b[j]);
        }
        break;
    }
}

/* dZ[i] = dA[i] · act'(z_i), the derivative written through A = act(z). dZ may alias dA. */
static void FN(act_backward)(T *dZ, const T *dA, const T *A, size_t n, int act, double slope)
{
    switch (act) {
    case ACT_IDENTITY:
        if (dZ != dA) for (size_t i = 0; i < n; i++) dZ[i] = dA[i];
        break;
    case ACT_RELU:
        /* a branch-free select, as the reference: dead units (a <= 0) get exactly 0 */
        for (size_t i = 0; i < n; i++) dZ[i] = A[i] > (T)0 ? dA[i] : (T)0;
        break;
    case ACT_LEAKY_RELU:
        for (size_t i = 0; i < n; i++) dZ[i] = (T)((double)dA[i] * (A[i] > (T)0 ? 1.0 : slope));
        break;
    case ACT_SIGMOID:
        for (size_t i = 0; i < n; i++) {
            const double a = (double)A[i];
            dZ[i] = (T)((double)dA[i] * (a * (1.0 - a)));
        }
        break;
    case ACT_TANH:
        for (size_t i = 0; i < n; i++) {
            const double a = (double)A[i];
            dZ[i] = (T)((double)dA[i] * (1.0 - a * a));
        }
        break;
    }
}

/* Output layer, fused (see types.ts). Z: (rows, cols) logits in, outputs H out; b: (cols); Y: (rows, cols);
 * dZ: (rows, cols), does not alias Z. Returns the loss summed over rows and outputs, in double. */
/* The elementwise output kinds (all but softmax) over rows·cols values taken as one flat array, in blocks of
 * NNC_FLAT_BLOCK: first v = z + b (the bias index wraps every `cols` values) into a stack buffer, then one
 * vectorised loop over the block. For narrow layers (cols < NNC_NARROW_COLS, e.g. 10 outputs) a per-row loop
 * would be shorter than one float32 vector (16 lanes) and run entirely in its scalar remainder. */
static double FN(output_loss_flat)(T *restrict dZ, T *restrict Z, const T *b, const T *Y, size_t n, size_t cols,
                                   int kind, double scale)
{
    double vb[NNC_FLAT_BLOCK];
    double loss = 0.0;
    size_t jb = 0;
    for (size_t e0 = 0; e0 < n; e0 += NNC_FLAT_BLOCK) {
        const size_t m = n - e0 < NNC_FLAT_BLOCK ? n - e0 : NNC_FLAT_BLOCK;
        FN(flat_bias_block)(vb, Z + e0, b, m, cols, &jb);
        T *z = Z + e0;
        T *d = dZ + e0;
        const T *y = Y + e0;
        switch (kind) {
        case OUT_SIGMOID_BCE:
#pragma omp simd reduction(+ : loss)
            for (size_t e = 0; e < m; e++) {
                const double v = vb[e], t = (double)y[e];
                const double h = nnc_sigmoid(v);
                loss += nnc_softplus(v) - t * v;
                z[e] = (T)h;
                d[e] = (T)(scale * (h - t));
            }
            break;
        case OUT_IDENTITY_MSE:
#pragma omp simd reduction(+ : loss)
            for (size_t e = 0; e < m; e++) {
                const double h = vb[e], r = h - (double)y[e];
                loss += 0.5 * r * r;
                z[e] = (T)h;
                d[e] = (T)(scale * r);
            }
            break;
        case OUT_SIGMOID_MSE:
#pragma omp simd reduction(+ : loss)
            for (size_t e = 0; e < m; e++) {
                const double h = nnc_sigmoid(vb[e]), r = h - (double)y[e];
                loss += 0.5 * r * r;
                z[e] = (T)h;
                d[e] = (T)(scale * r * (h * (1.0 - h)));
            }
            break;
        }
    }
    return loss;
}

/* Softmax + cross-entropy over narrow rows (cols < NNC_NARROW_COLS, e.g. 10 classes), in blocks of whole rows
 * that fill up to NNC_FLAT_BLOCK values: per row the max m; then v - m for the block as one flat array and ONE
 * vectorised exp per value (a per-row loop of 10 would run in a vector's scalar remainder, with two exps per
 * value); then per row s = Σ e, lse = m + log s, h = e / s, loss Σ y (lse - v), dZ = scale·(h·Σy - y). */
static double FN(softmax_ce_narrow)(T *restrict dZ, T *restrict Z, const T *b, const T *Y, size_t rows, size_t cols,
                                    double scale)
{
    double ex[NNC_FLAT_BLOCK];
    double mx[NNC_FLAT_BLOCK];
    const size_t per = NNC_FLAT_BLOCK / cols;
    double loss = 0.0;
    for (size_t r0 = 0; r0 < rows; r0 += per) {
        const size_t nr = rows - r0 < per ? rows - r0 : per, n = nr * cols;
        const T *z = Z + r0 * cols;
        for (size_t i = 0; i < nr; i++) {
            double m = (double)z[i * cols] + (double)b[0];
            for (size_t j = 1; j < cols; j++) {
                const double v = (double)z[i * cols + j] + (double)b[j];
                if (v > m || v != v) m = v; /* a NaN logit makes the whole row NaN, as in the reference */
            }
            mx[i] = m;
            for (size_t j = 0; j < cols; j++) ex[i * cols + j] = (double)z[i * cols + j] + (double)b[j] - m;
        }
#pragma omp simd
        for (size_t e = 0; e < n; e++) ex[e] = exp(ex[e]);
        for (size_t i = 0; i < nr; i++) {
            const double *e = ex + i * cols;
            const T *y = Y + (r0 + i) * cols;
            T *h = Z + (r0 + i) * cols, *d = dZ + (r0 + i) * cols;
            double sum = 0.0, sy = 0.0, yv = 0.0;
            for (size_t j = 0; j < cols; j++) {
                sum += e[j];
                sy += (double)y[j];
                yv += (double)y[j] * ((double)h[j] + (double)b[j]);
            }
            const double lse = mx[i] + log(sum), inv = 1.0 / sum;
            loss += sy * lse - yv; /* Σ y (lse - v) */
            for (size_t j = 0; j < cols; j++) {
                const double hj = e[j] * inv;
                h[j] = (T)hj;
                d[j] = (T)(scale * (hj * sy - (double)y[j]));
            }
        }
    }
    return loss;
}

static double FN(output_loss)(T *restrict dZ, T *restrict Z, const T *b, const T *Y, size_t rows, size_t cols,
                              int kind, double scale)
{
    if (kind != OUT_SOFTMAX_CE && cols < NNC_NARROW_COLS && cols > 0) {
        return FN(output_loss_flat)(dZ, Z, b, Y, rows * cols, cols, kind, scale);
    }
    if (kind == OUT_SOFTMAX_CE && cols < NNC_NARROW_COLS && cols > 0) return FN(softmax_ce_narrow)(dZ, Z, b, Y, rows, cols, scale);
    double loss = 0.0;
    for (size_t i = 0; i < rows; i++) {
        T *z = Z + i * cols;
        T *d = dZ + i * cols;
        const T *y = Y + i * cols;
        switch (kind) {
        case OUT_SIGMOID_BCE:
#pragma omp simd reduction(+ : loss)
            for (size_t j = 0; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j], t = (double)y[j];
                const double h = nnc_sigmoid(v);
                loss += nnc_softplus(v) - t * v; /* = -[t log h + (1-t) log(1-h)] without log(0) */
                z[j] = (T)h;
                d[j] = (T)(scale * (h - t));
            }
            break;
        case OUT_SOFTMAX_CE: {
            if (cols == 0) break;
            double m = (double)z[0] + (double)b[0];
            for (size_t j = 1; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j];
                if (v > m || v != v) m = v; /* a NaN logit makes the whole row NaN, as in the reference */
            }
            double s = 0.0, sy = 0.0;
#pragma omp simd reduction(+ : s, sy)
            for (size_t j = 0; j < cols; j++) {
                s += exp((double)z[j] + (double)b[j] - m);
                sy += (double)y[j];
            }
            const double lse = m + log(s);
            double row = 0.0;
#pragma omp simd reduction(+ : row)
            for (size_t j = 0; j < cols; j++) {
                const double v = (double)z[j] + (double)b[j], t = (double)y[j];
                const double h = exp(v - lse);
                row += t * (lse - v);
                z[j] = (T)h;
                d[j] = (T)(scale * (h * sy - t)); /* exact ∂/∂z of Σ_k y_k (lse - z_k); = h - y for one-hot */
            }
            loss += row;
            break;
        }
        case OUT_IDENTITY_MSE:
#pragma omp simd reduction(+ : loss)
            for (size_t j = 0; j < cols; j++) {
                const double h = (double)z[j] + (double)b[j], r = h - (double)y[j];
                loss += 0.5 * r * r;
                z[j] = (T)h;
                d[j] = (T)(scale * r);
            }
            break;
        case OUT_SIGMOID_MSE:
#pragma omp simd reduction(+ : loss)
            for (size_t j = 0; j < cols; j++) {
                const double h = nnc_sigmoid((double)z[j] + (double)b[j]), r = h - (double)y[j];
                loss += 0.5 * r * r;
                z[j] = (T)h;
                d[j] = (T)(scale * r * (h * (1.0 - h)));
            }
            break;
        }
    }
    return loss;
}

/* A shuffled mini-batch: Xb[i, :] = X[r, :], Y[i, :] = one-hot(labels[r]) with r = idx[i], i < rows.
 * Xb: (rows, cols), Y: (rows, K), X: (n, cols); idx is already offset by the caller's `start`. The caller has
 * checked every idx[i] < n and labels[idx[i]] < K. */
static void FN(gather_batch)(T *restrict Xb, T *restrict Y, const T *restrict X, const uint8_t *labels,
                             const uint32_t *idx, size_t rows, size_t cols, size_t K, size_t n,
                             const uint32_t *next_idx, size_t next_rows)
{
    for (size_t i = 0; i < rows * K; i++) Y[i] = (T)0;
    const size_t bytes = cols * sizeof(T);
    for (size_t i = 0; i < rows; i++) {
        /* the rows are scattered over the whole set (out of cache): prefetch the row NNC_GATHER_AHEAD rows
         * ahead while this one is copied, so the memory latency of one row overlaps the copy of another. Into
         * L2 (locality 2), not as non-temporal (0): at batch 128 x 784 floats the non-temporal prefetch two rows
         * ahead made the gather slower than no prefetch at all (0.046 against 0.032-0.039 s per epoch in a C
         * harness that evicts the caches between batches); 8 rows ahead into L2 took it to 0.027-0.031 s per
         * epoch in training (from 0.042-0.044, lockstep in one process). */
        if (i + NNC_GATHER_AHEAD < rows) {
            const char *next = (const char *)(X + (size_t)idx[i + NNC_GATHER_AHEAD] * cols);
            for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(next + o, 0, 2);
        }
        const size_t r = idx[i];
        memcpy(Xb + i * cols, X + r * cols, bytes);
        Y[i * K + labels[r]] = (T)1;
    }
    /* Small batches: prefetch the rows of the NEXT batch (idx[start + rows ...]), a hint that changes no
     * result: they arrive in cache while this step's GEMMs run, so the next gather copies from cache instead of
     * waiting on memory row by row (784-30-10 at batch 10: 0.136 -> 0.131 s per epoch). Not for big batches:
     * 400 KB of rows (batch 128 x 784 floats) pulled into L2 evicted the GEMMs' data (784-256-256-10:
     * 0.83 -> 0.85-0.89 s per epoch). */
    if (next_rows * bytes > NNC_PREFETCH_MAX_BYTES) next_rows = 0;
    for (size_t i = 0; i < next_rows; i++) {
        if (next_idx[i] >= n) continue;
        const char *p = (const char *)(X + (size_t)next_idx[i] * cols);
        for (size_t o = 0; o < bytes; o += 64) __builtin_prefetch(p + o, 0, 2);
    }
}

/* db[j] = Σ_i dZ[i, j]. dZ: (rows, cols), db: (cols). Accumulated in double, NNC_COLSUM_CHUNK columns at a
 * time in a stack buffer so that dZ is still read row by row. */
static void FN(col_sum)(T *db, const T *dZ, size_t rows, size_t cols)
{
    double acc[NNC_COLSUM_CHUNK];
    for (size_t j0 = 0; j0 < cols; j0 += NNC_COLSUM_CHUNK) {
        const size_t w = cols - j0 < NNC_COLSUM_CHUNK ? cols - j0 : NNC_COLSUM_CHUNK;
        for (size_t j = 0; j < w; j++) acc[j] = 0.0;
        for (size_t i = 0; i < rows; i++) {
            const T *r = dZ + i * cols + j0;
            for (size_t j = 0; j < w; j++) acc[j] += (double)r[j];
        }
        for (size_t j = 0; j < w; j++) db[j0 + j] = (T)acc[j];
    }
}

/* y[i] += a · x[i]. */
static void FN(axpy)(T *y, const T *x, size_t n, double a)
{
    const R ar = (R)a;
    for (size_t i = 0; i < n; i++) y[i] = (T)((R)y[i] + ar * (R)x[i]);
}

/* Σ x[i]², accumulated in double (vectorised by the omp simd reduction, no -ffast-math needed). */
static double FN(sum_sq)(const T *x, size_t n)
{
    double s = 0.0;
#pragma omp simd reduction(+ : s)
    for (size_t i = 0; i < n; i++) {
        const double v = (double)x[i];
        s += v * v;
    }
    return s;
}

/* p -= lr · (g + decay · p). */
static void FN(sgd_step)(T *p, const T *g, size_t n, double lr, double decay)
{
    const R lr_ = (R)lr, decay_ = (R)decay;
    if (decay == 0.0) {
        for (size_t i = 0; i < n; i++) p[i] = (T)((R)p[i] - lr_ * (R)g[i]);
    } else {
        for (size_t i = 0; i < n; i++) {
            const R w = (R)p[i];
            p[i] = (T)(w - lr_ * ((R)g[i] + decay_ * w));
        }
    }
}

/* v = mu · v + g; p -= lr · v (or with nesterov: p -= lr · (g + mu · v), with the updated v). */
static void FN(momentum_step)(T *p, const T *g, T *v, size_t n, double lr, double mu, int nesterov)
{
    const R lr_ = (R)lr, mu_ = (R)mu;
    if (nesterov) {
        for (size_t i = 0; i < n; i++) {
            const R gi = (R)g[i];
            const R vi = mu_ * (R)v[i] + gi;
            v[i] = FN(flush_tiny)((T)vi); /* subnormal state stored as 0: see flush_tiny (gemm_impl.h) */
            p[i] = (T)((R)p[i] - lr_ * (gi + mu_ * vi));
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const R vi = mu_ * (R)v[i] + (R)g[i];
            v[i] = FN(flush_tiny)((T)vi);
            p[i] = (T)((R)p[i] - lr_ * vi);
        }
    }
}

/* Adam / AdamW: m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p -= lr · ((m/bc1) / (sqrt(v/bc2) + eps) + wd·p).
 * The divisions by bc1 and bc2 are multiplications by their reciprocals (one rounding of difference). */
static void FN(adam_step)(T *p, const T *g, T *m, T *v, size_t n, double lr, double b1, double b2, double eps,
                          double bc1, double bc2, double wd)
{
    const R b1_ = (R)b1, b2_ = (R)b2, c1 = (R)(1.0 - b1), c2 = (R)(1.0 - b2), eps_ = (R)eps;
    const R lr_ = (R)lr, wd_ = (R)wd, ibc1 = (R)(1.0 / bc1), ibc2 = (R)(1.0 / bc2);
    for (size_t i = 0; i < n; i++) {
        const R gi = (R)g[i];
        const R mi = b1_ * (R)m[i] + c1 * gi;
        const R vi = b2_ * (R)v[i] + c2 * gi * gi;
        m[i] = FN(flush_tiny)((T)mi); /* subnormal state stored as 0: see flush_tiny (gemm_impl.h) */
        v[i] = FN(flush_tiny)((T)vi);
        const R w = (R)p[i];
        p[i] = (T)(w - lr_ * ((mi * ibc1) / (R_SQRT(vi * ibc2) + eps_) + wd_ * w));
    }
}


/* Whether linear_act, linear_backward (ReLU) and weight_grad_step run on the built-in GEMM with their epilogues:
 * NNC_FUSED_BUILTIN_F32/F64 (gemm_isa.h, reported by buildInfo()). */
#define FUSED_ON_BUILTIN (sizeof(T) == sizeof(float) ? NNC_FUSED_BUILTIN_F32 : NNC_FUSED_BUILTIN_F64)

/* Forward of a hidden layer: Z (rows, nOut) = act(A (rows, nIn) · W (nIn, nOut) + b (nOut)) = gemm + bias_act.
 * On the built-in GEMM (FUSED_ON_BUILTIN), ReLU or identity: the bias and the activation run in the GEMM's
 * epilogue, with the same operations as bias_act, so the result is the built-in GEMM + bias_act bit for bit;
 * otherwise gemm, then bias_act. */
static int FN(linear_act)(T *Z, const T *A, const T *W, const T *b, size_t rows, size_t nIn, size_t nOut, int act,
                          double slope)
{
    if (rows == 0 || nOut == 0) return 0;
    if (FUSED_ON_BUILTIN && nIn > 0 && (act == ACT_RELU || act == ACT_IDENTITY) &&
        !FN(narrow_nn_ok)((int)rows, (int)nOut, (int)nIn)) {
        const FN(epi_t) e = {.kind = act == ACT_RELU ? EPI_BIAS_RELU : EPI_BIAS, .bias = b};
        return FN(gemm_builtin_full)(0, 0, (int)rows, (int)nOut, (int)nIn, 1.0, A, W, 0.0, Z, &e, 1);
    }
    const int rc = FN(gemm)(0, 0, (int)rows, (int)nOut, (int)nIn, 1.0, A, W, 0.0, Z);
    if (rc) return rc;
    FN(bias_act)(Z, b, rows, nOut, act, slope);
    return 0;
}

/* Input gradient of a layer: dA (rows, nIn) = (dZ (rows, nOut) · Wᵀ) ⊙ act'(Aprev), with W (nIn, nOut) and
 * Aprev (rows, nIn) the activations the layer took as input = gemm NT + act_backward. On the built-in GEMM
 * (FUSED_ON_BUILTIN), ReLU: the mask (Aprev > 0) runs in the GEMM's epilogue, as act_backward does it (the
 * built-in GEMM + act_backward bit for bit). */
static int FN(linear_backward)(T *dA, const T *dZ, const T *W, const T *Aprev, size_t rows, size_t nIn, size_t nOut,
                               int act, double slope)
{
    if (rows == 0 || nIn == 0) return 0;
    if (FUSED_ON_BUILTIN && nOut > 0 && act == ACT_RELU) {
        const FN(epi_t) e = {.kind = EPI_MASK_POS, .mask = Aprev};
        return FN(gemm_builtin_full)(0, 1, (int)rows, (int)nIn, (int)nOut, 1.0, dZ, W, 0.0, dA, &e, 1);
    }
    const int rc = FN(gemm)(0, 1, (int)rows, (int)nIn, (int)nOut, 1.0, dZ, W, 0.0, dA);
    if (rc) return rc;
    FN(act_backward)(dA, dA, Aprev, rows * nIn, act, slope);
    return 0;
}


/* Weight gradient and optimizer step of one layer in one pass (mini-batch SGD / momentum), for the layer's block
 * P = [b; W] (nIn + 1, nOut), its gradient block G = [db; dW] and velocity block V (NULL: plain SGD, mu unused):
 * db = colSum(dZ), dW = Aprevᵀ · dZ + l2 · W (the L2 term on the weights only), then the step on b (with db) and
 * on W (with dW) as momentum_step / sgd_step do it. = col_sum + gemm TN + axpy + momentum_step on the block.
 * On the built-in GEMM (FUSED_ON_BUILTIN; in the OpenBLAS tier only for layers wider than one vector: for a
 * 10-unit output layer OpenBLAS + the pass is faster): the weights' update runs in the GEMM's epilogue
 * (EPI_STEP) while the gradient tile is in registers, and dW reaches G only when write_g (the trainer's last
 * step of an epoch, for its gradient norms). Otherwise gemm into G, then the step on the layer (its weights
 * still in cache).
 * Aprev: (rows, nIn), dZ: (rows, nOut). Returns 0, or -1 (no memory for the GEMM's buffers). */
static int FN(weight_grad_step)(T *P, T *G, T *V, const T *Aprev, const T *dZ, size_t rows, size_t nIn, size_t nOut,
                                double l2, double lr, double mu, int nesterov, int write_g)
{
    if (nOut == 0) return 0;
    FN(col_sum)(G, dZ, rows, nOut);
    if (V) FN(momentum_step)(P, G, V, nOut, lr, mu, nesterov);
    else FN(sgd_step)(P, G, nOut, lr, 0.0);
    if (nIn == 0) return 0;
    T *dW = G + nOut;
    if (rows == 0) {
        /* no rows: dW = l2 · W, then the plain kernels */
        const size_t n = nIn * nOut;
        FN(scale_c)(dW, n, 0.0);
        if (l2 != 0.0) FN(axpy)(dW, P + nOut, n, l2);
        if (V) FN(momentum_step)(P + nOut, dW, V + nOut, n, lr, mu, nesterov);
        else FN(sgd_step)(P + nOut, dW, n, lr, 0.0);
        return 0;
    }
#ifdef NNC_HAVE_OPENBLAS
    const int fused = FUSED_ON_BUILTIN && nOut * sizeof(T) > (size_t)NNC_VBYTES;
#else
    const int fused = 1;
#endif
    if (fused) {
        const FN(epi_t) e = {.kind = EPI_STEP, .w = P + nOut, .v = V ? V + nOut : NULL, .l2 = (T)l2, .lr = (T)lr,
                             .mu = (T)mu, .nesterov = nesterov, .write_g = write_g};
        return FN(gemm_builtin_full)(1, 0, (int)nIn, (int)nOut, (int)rows, 1.0, Aprev, dZ, 0.0, dW, &e, 1);
    }
    const int rc = FN(gemm)(1, 0, (int)nIn, (int)nOut, (int)rows, 1.0, Aprev, dZ, 0.0, dW);
    if (rc) return rc;
    const size_t n = nIn * nOut;
    if (l2 != 0.0) FN(axpy)(dW, P + nOut, n, l2);
    if (V) FN(momentum_step)(P + nOut, dW, V + nOut, n, lr, mu, nesterov);
    else FN(sgd_step)(P + nOut, dW, n, lr, 0.0);
    return 0;
}

#undef FUSED_ON_BUILTIN
#undef VEC
#undef LANES
#undef NARROW_PACK
#undef NARROW_KP
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
