/*
 * The built-in GEMM (issue 14): C = alpha · op(A) · op(B) + beta · C for row-major float/double, all four
 * transpose pairs, written once for both dtypes (nn_core.c includes this file with T = float, SUF = f32 and
 * with T = double, SUF = f64). It is the GEMM of the addon when OpenBLAS is missing at build time, and the
 * GEMM behind the fused kernels (bias + activation in the epilogue) in every build.
 *
 * Structure (the classic Goto/BLIS scheme, learned from BLIS and OpenBLAS, written here from scratch):
 *   for each block of NC columns of C:
 *     for each block of KC along k:           pack op(B)[k-block, column block] into panels of NR columns
 *                                             (not when B is row-major in whole panels: then read in place)
 *       for each MR rows of C:                pack op(A)[rows, k-block] into one MR x KC micro-panel (L1)
 *         for each panel of NR columns:       micro-kernel: an MR x NR tile of C held in registers
 * The micro-kernel broadcasts one value of A and multiplies it with the NR/LANES vectors of B at each k
 * (vector extensions; sizes in gemm_isa.h, chosen at build time). Packing also transposes, so the same
 * micro-kernel serves NN, TN, NT and TT. Buffers: one per thread, allocated once and reused (no allocation
 * per call after the first).
 *
 * Determinism: every C element is one sum along k, in increasing k, in the register of its tile; the
 * k-blocks (their split depends on K only) are added to C in order. So the summation order depends only on
 * the shapes, never on alignment, on the data or on how the work is split into calls. Zero skipping (compact_a)
 * leaves out the k whose values of A are zero in all rows of a micro-panel: it drops zero products only, so the
 * sums and their bits stay those of the full loop (up to the sign of an all-zero sum, see compact_a).
 *
 * Epilogues (on the last k-block, in registers): EPI_BIAS_RELU gives C = max(C + b, 0) with exactly the
 * operations of bias_act (so a fused forward equals gemm + biasAct bit for bit), EPI_BIAS gives C + b, and
 * EPI_MASK_POS gives C = (M > 0 ? C : 0) for a mask matrix M laid out like C (ReLU backward: act_backward).
 * EPI_STEP treats the final C as a weight gradient g and applies the optimizer step to the weights W (laid out
 * like C) right there: g += l2·W; momentum v = mu·v + g, W -= lr·v (Nesterov: W -= lr·(g + mu·v)); plain SGD
 * (mu < 0): W -= lr·g; C receives g only when write_g (else only the partial sums of earlier k-blocks).
 */

#define NNC_CAT2(a, b) a##_##b
#define NNC_CAT(a, b) NNC_CAT2(a, b)
#define FN(name) NNC_CAT(name, SUF)

#if NNC_VBYTES > 0
typedef T FN(gv) __attribute__((vector_size(NNC_VBYTES), aligned(NNC_VBYTES)));
typedef T FN(gvu) __attribute__((vector_size(NNC_VBYTES), aligned(sizeof(T))));
#define GLANES ((int)(NNC_VBYTES / sizeof(T)))
#else
typedef T FN(gv);
typedef T FN(gvu);
#define GLANES 1
#endif
#define GV FN(gv)
#define GVU FN(gvu)
#define GNR (NNC_NV * GLANES)
#define GKC ((int)(NNC_KC_BYTES / sizeof(T)))

/* Splits n into ceil(n / max) nearly equal blocks of at most max (a multiple of `unit`); returns the block. */
static inline int FN(gblock)(int n, int max, int unit)
{
    const int nb = (n + max - 1) / max;
    int b = (n + nb - 1) / nb;
    b = (b + unit - 1) / unit * unit;
    return b < max ? b : max;
}

/* Packs op(A)[i0 .. i0+mr, k0 .. k0+kc) into ap (kc x MR, k-major; rows past mr are 0).
 * A is (M, K) with leading dimension lda, or (K, M) when ta. */
static void FN(pack_a)(T *restrict ap, const T *restrict A, size_t lda, int ta, int i0, int mr, int k0, int kc)
{
    if (!ta) {
        for (int r = 0; r < mr; r++) {
            const T *a = A + (size_t)(i0 + r) * lda + k0;
            for (int k = 0; k < kc; k++) ap[k * NNC_MR + r] = a[k];
        }
        for (int r = mr; r < NNC_MR; r++)
            for (int k = 0; k < kc; k++) ap[k * NNC_MR + r] = (T)0;
    } else {
        for (int k = 0; k < kc; k++) {
            const T *a = A + (size_t)(k0 + k) * lda + i0;
            T *d = ap + k * NNC_MR;
            int r = 0;
            for (; r < mr; r++) d[r] = a[r];
            for (; r < NNC_MR; r++) d[r] = (T)0;
        }
    }
}

#if defined(__AVX512F__) && !defined(NNC_GEMM_PLAIN)
#include <immintrin.h>
#endif

/* Zero skipping. A k of a packed micro-panel whose MR values of op(A) are all zero (+0 or -0) adds nothing to the
 * tile: each product is a zero, and acc + (±0) = acc for every acc but -0 (-0 + +0 = +0). compact_a drops those k
 * from the panel (the kept ones stay in increasing k order, their indices in kidx) and the micro-kernel reads the
 * rows of B by index, so every element of C is the same sum over the same nonzero terms in the same order: the
 * same bits as without skipping, given a finite B (0 · Inf and 0 · NaN are NaN: with a non-finite value anywhere
 * in op(B) the call does not skip). The one difference left is the sign of a zero: a sum that is exactly -0 after
 * a product underflowed to -0 (|a·b| < 2^-150 for float) stays -0 where adding a +0 product would make it +0.
 * Inputs such as MNIST's (81 % zero pixels) leave about half the k of the first layer's tiles, forward and
 * weight gradient, all zero at batch 128. compact_a copies the kept k of the packed micro-panel ap into as (ap
 * stays whole: a panel with few zero k runs on it, without the indexed reads). Returns the number kept. */
static int FN(compact_a)(T *restrict as, int *restrict kidx, const T *restrict ap, int kc)
{
    int n = 0;
#if defined(__AVX512F__) && !defined(NNC_GEMM_PLAIN) && NNC_MR == 12
    if (sizeof(T) == sizeof(float)) {
        const __m512 z = _mm512_setzero_ps();
        for (int k = 0; k < kc; k++) {
            const __m512 v = _mm512_maskz_loadu_ps(0x0fff, (const float *)ap + (size_t)k * NNC_MR);
            if (!_mm512_cmp_ps_mask(v, z, _CMP_NEQ_UQ)) continue; /* NaN: kept */
            _mm512_mask_storeu_ps((float *)as + (size_t)n * NNC_MR, 0x0fff, v);
            kidx[n++] = k;
        }
    } else {
        const __m512d z = _mm512_setzero_pd();
        for (int k = 0; k < kc; k++) {
            const double *p = (const double *)ap + (size_t)k * NNC_MR;
            const __m512d v0 = _mm512_loadu_pd(p), v1 = _mm512_maskz_loadu_pd(0x0f, p + 8);
            if (!(_mm512_cmp_pd_mask(v0, z, _CMP_NEQ_UQ) | _mm512_cmp_pd_mask(v1, z, _CMP_NEQ_UQ))) continue;
            double *d = (double *)as + (size_t)n * NNC_MR;
            _mm512_storeu_pd(d, v0);
            _mm512_mask_storeu_pd(d + 8, 0x0f, v1);
            kidx[n++] = k;
        }
    }
#else
    for (int k = 0; k < kc; k++) {
        const T *p = ap + (size_t)k * NNC_MR;
        int nz = 0;
        for (int r = 0; r < NNC_MR; r++) nz |= p[r] != (T)0; /* NaN != 0: kept */
        if (!nz) continue;
        memcpy(as + (size_t)n * NNC_MR, p, NNC_MR * sizeof(T));
        kidx[n++] = k;
    }
#endif
    return n;
}

/* Whether every value of op(B) (rows x cols of a row-major matrix with leading dimension ld) is finite. */
static int FN(all_finite)(const T *B, size_t ld, int rows, int cols)
{
    for (int i = 0; i < rows; i++) {
        const T *b = B + (size_t)i * ld;
        T s = (T)0;
#pragma omp simd reduction(+ : s)
        for (int j = 0; j < cols; j++) s += b[j] * (T)0; /* 0 for a finite value, NaN for Inf or NaN */
        if (s != (T)0) return 0;
    }
    return 1;
}

#if defined(__AVX512F__) && !defined(NNC_GEMM_PLAIN) && !defined(NNC_TR16_DEFINED)
#define NNC_TR16_DEFINED
/* d[k·ld + c] = s[c·ls + k] for c, k < 16: a 16x16 float transpose in registers (4 stages of shuffles), the
 * transposed packing of B (NT GEMMs: the input gradient dZ·Wᵀ) on AVX-512. */
static inline void nnc_tr16_f32(const float *s, size_t ls, float *d, size_t ld)
{
    __m512 r[16], t[16];
    for (int i = 0; i < 16; i++) r[i] = _mm512_loadu_ps(s + (size_t)i * ls);
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        const __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
        const __m512d c = _mm512_castps_pd(t[i + 2]), e = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, e));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, e));
    }
    for (int i = 0; i < 16; i += 8)
        for (int j = 0; j < 4; j++) {
            t[i + j] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0x88);
            t[i + j + 4] = _mm512_shuffle_f32x4(r[i + j], r[i + j + 4], 0xdd);
        }
    for (int j = 0; j < 8; j++) {
        _mm512_storeu_ps(d + (size_t)j * ld, _mm512_shuffle_f32x4(t[j], t[j + 8], 0x88));
        _mm512_storeu_ps(d + (size_t)(j + 8) * ld, _mm512_shuffle_f32x4(t[j], t[j + 8], 0xdd));
    }
}
#endif

/* Packs op(B)[k0 .. k0+kc, j0 .. j0+nc) into panels of pw columns: panel p at bp + p*kc*pw, k-major;
 * columns past nc are 0. B is (K, N) with leading dimension ldb, or (N, K) when tb. */
static void FN(pack_b)(T *restrict bp, const T *restrict B, size_t ldb, int tb, int k0, int kc, int j0, int nc,
                       const int pw)
{
    for (int p = 0; p * pw < nc; p++) {
        const int jb = j0 + p * pw, w = nc - p * pw < pw ? nc - p * pw : pw;
        T *d = bp + (size_t)p * kc * pw;
        if (!tb) {
            for (int k = 0; k < kc; k++) {
                const T *b = B + (size_t)(k0 + k) * ldb + jb;
                T *dk = d + k * pw;
                if (w == pw) {
                    for (int c = 0; c < pw; c++) dk[c] = b[c];
                } else {
                    int c = 0;
                    for (; c < w; c++) dk[c] = b[c];
                    for (; c < pw; c++) dk[c] = (T)0;
                }
            }
        } else if (w == pw) {
            /* transposed, whole panel: k outer, so the writes are contiguous while pw rows of B are read as pw
             * sequential streams (16 values of k per pass over them, a cache line each); k inner scattered the
             * writes pw values apart and made this packing as slow as the GEMM of a 128x256x256 step */
            const T *b0 = B + (size_t)jb * ldb + k0;
            int k = 0;
#ifdef NNC_TR16_DEFINED
            if (sizeof(T) == sizeof(float) && pw % 16 == 0) /* copies only: the same values as the loop below */
                for (; k + 16 <= kc; k += 16)
                    for (int c = 0; c < pw; c += 16)
                        nnc_tr16_f32((const float *)(b0 + (size_t)c * ldb + k), ldb, (float *)(d + (size_t)k * pw + c), (size_t)pw);
#endif
            for (; k + 16 <= kc; k += 16)
                for (int kk = 0; kk < 16; kk++)
                    for (int c = 0; c < pw; c++) d[(k + kk) * pw + c] = b0[(size_t)c * ldb + k + kk];
            for (; k < kc; k++)
                for (int c = 0; c < pw; c++) d[k * pw + c] = b0[(size_t)c * ldb + k];
        } else {
            for (int c = 0; c < w; c++) {
                const T *b = B + (size_t)(jb + c) * ldb + k0;
                for (int k = 0; k < kc; k++) d[k * pw + c] = b[k];
            }
            for (int c = w; c < pw; c++)
                for (int k = 0; k < kc; k++) d[k * pw + c] = (T)0;
        }
    }
}

typedef struct {
    int kind;
    const T *bias; /* (N) for EPI_BIAS / EPI_BIAS_RELU */
    const T *mask; /* like C (same ldc) for EPI_MASK_POS */
    /* EPI_STEP: weights and velocity laid out like C (v NULL for plain SGD), coefficients, whether C gets g */
    T *w;
    T *v;
    T l2, lr, mu;
    int nesterov, write_g;
} FN(epi_t);

/* Optimizer state below the smallest normal number of T is stored as 0 (the TypeScript kernels do the same).
 * A velocity or moment that decays geometrically (momentum on a weight whose gradient became 0: an unused pixel,
 * a dead unit) otherwise turns subnormal and stays so for thousands of steps, and every step on a subnormal
 * costs a microcode assist of ~100 cycles on x86: 784-256-256-10 with momentum slowed from 0.76 to 0.87 s per
 * epoch over 5 epochs as ~6,600 velocities went subnormal. The weights get the same update as without the flush
 * (it only changes what the NEXT step starts from, by less than 2^-126 for float32). */
static inline T FN(flush_tiny)(T x)
{
    const T tiny = sizeof(T) == sizeof(float) ? (T)FLT_MIN : (T)DBL_MIN;
    return x < tiny && x > -tiny ? (T)0 : x;
}

/* EPI_STEP on n consecutive values g[0..n) of C at offset off (W, v at the same offset); cg: where C's values
 * are (written only when write_g). The arithmetic of axpy + momentum_step / sgd_step, in T; v stored through
 * flush_tiny. */
static inline __attribute__((always_inline)) void FN(epi_step)(const FN(epi_t) *e, size_t off, const T *g, int n, T *cg)
{
    T *w = e->w + off;
    const T l2 = e->l2, lr = e->lr, mu = e->mu;
    if (e->v) {
        T *v = e->v + off;
        for (int i = 0; i < n; i++) {
            const T gi = l2 != (T)0 ? g[i] + l2 * w[i] : g[i];
            if (e->write_g) cg[i] = gi;
            const T vi = mu * v[i] + gi;
            v[i] = FN(flush_tiny)(vi);
            w[i] = e->nesterov ? w[i] - lr * (gi + mu * vi) : w[i] - lr * vi;
        }
    } else {
        for (int i = 0; i < n; i++) {
            const T gi = l2 != (T)0 ? g[i] + l2 * w[i] : g[i];
            if (e->write_g) cg[i] = gi;
            w[i] = w[i] - lr * gi;
        }
    }
}

static inline GV FN(gload)(const T *p)
{
    GVU v;
    memcpy(&v, p, sizeof v);
    return (GV)v;
}
static inline void FN(gstore)(T *p, GV v)
{
    memcpy(p, &v, sizeof v);
}

#if NNC_VBYTES > 0
/* epi_step on one whole vector of g (GLANES values at offset off), with the same operations lane by lane (the
 * scalar loop did not vectorise: w, v and cg may alias for the compiler): 12 % of a 784x256x128 weight step. */
static inline __attribute__((always_inline)) void FN(epi_step_v)(const FN(epi_t) *e, size_t off, GV g, T *cg)
{
    T *w = e->w + off;
    const T l2 = e->l2, lr = e->lr, mu = e->mu;
    GV wv = FN(gload)(w);
    const GV gi = l2 != (T)0 ? g + l2 * wv : g;
    if (e->write_g) FN(gstore)(cg, gi);
    if (e->v) {
        T *v = e->v + off;
        const GV vi = mu * FN(gload)(v) + gi;
        const T tiny = sizeof(T) == sizeof(float) ? (T)FLT_MIN : (T)DBL_MIN;
        /* flush_tiny: |vi| < tiny stored as 0 (NaN compares false: kept) */
        __typeof__(vi < vi) small = (vi < tiny) & (vi > -tiny);
        __typeof__(small) bits;
        memcpy(&bits, &vi, sizeof bits);
        bits &= ~small;
        GV vs;
        memcpy(&vs, &bits, sizeof vs);
        FN(gstore)(v, vs);
        wv = e->nesterov ? wv - lr * (gi + mu * vi) : wv - lr * vi;
    } else {
        wv = wv - lr * gi;
    }
    FN(gstore)(w, wv);
}
#endif

#if NNC_VBYTES > 0
#define GZERO ((GV){0})
#else
#define GZERO ((T)0)
#endif

/* s · x, never fused by the compiler with the add that follows it (alpha · acc + C, acc + beta · C): the
 * inlined copies of the micro-kernel (dense, skipping zero k, narrow) may contract such an expression into an FMA
 * in one copy and not in another, which rounds differently. A call keeps the product rounded on its own in all of
 * them. Only for alpha != 1 and beta != 0 (the trainer's GEMMs use alpha 1, beta 0 or 1). */
static __attribute__((noinline)) GV FN(gscale)(T s, GV x)
{
    return s * x;
}
#if NNC_VBYTES > 0
static __attribute__((noinline)) T FN(sscale)(T s, T x)
{
    return s * x;
}
#else
#define sscale_f32 gscale_f32
#define sscale_f64 gscale_f64
#endif

/* One value of the epilogue, scalar: exactly the operations of bias_act / act_backward. */
static inline T FN(epi1)(T c, const FN(epi_t) *e, size_t off, int j)
{
    switch (e->kind) {
    case EPI_BIAS: return c + e->bias[j];
    case EPI_BIAS_RELU: {
        const T v = c + e->bias[j];
        return v < (T)0 ? (T)0 : v;
    }
    case EPI_MASK_POS: return e->mask[off] > (T)0 ? c : (T)0;
    default: return c;
    }
}

/* The micro-kernel: an MR x (nv·LANES) tile of C in registers over kc steps of k (nv is a constant: the
 * function is always inlined into one caller per variant). a(r, k) = ap[r·rs + k·cs] (packed: rs = 1,
 * cs = MR; read in place: the strides of A, with rows past mr pointing at row 0: computed, never stored);
 * bp: the panel of B (kc x nv·LANES), row k at bp + k·bs (packed: bs = nv·LANES; in place: bs = ldb).
 * kidx (not NULL): packed A holds only kc kept values of k (zero skipping), whose rows of B are kidx[0..kc).
 * Only mr rows and nr columns are stored: first k-block: C = alpha·acc + beta·C (beta 0: C = alpha·acc); later
 * blocks: C = C + alpha·acc; on the last block the epilogue `e` (when not NULL) follows. */
static inline __attribute__((always_inline)) void FN(ukr)(const int nv, const int apacked, int mr, int kc, const T *restrict ap,
                                                          size_t rs, size_t cs, const T *restrict bp, size_t bs,
                                                          T *restrict c, size_t ldc, int nr, int first, T alpha,
                                                          T beta, const FN(epi_t) *e, int j0c, size_t c_off,
                                                          const int *kidx)
{
    size_t ro[NNC_MR]; /* offset of row r of A */
    /* packed A has zeros in the rows past mr, so its offsets are the constants r (no registers spent on them);
     * A read in place points them at row 0 (never past the end of A) */
    for (int r = 0; r < NNC_MR; r++) ro[r] = (apacked || r < mr ? (size_t)r : 0) * rs;
    GV acc[NNC_MR][NNC_NV];
    for (int r = 0; r < NNC_MR; r++)
        for (int v = 0; v < NNC_NV; v++) acc[r][v] = GZERO;
    /* EPI_STEP reads and writes the tile's weights and velocities after the k-loop: rows ldc apart, usually not
     * in L1/L2 (a 784x256 layer's W and v are 1.6 MB). Prefetch them one row-vector per k step while the FMAs
     * run, so the epilogue does not wait on L3 for each of them. */
    const int npf = e && e->kind == EPI_STEP ? mr * nv : 0;
#pragma GCC unroll 2
    for (int k = 0; k < kc; k++) {
        if (k < npf) {
            const size_t o = c_off + (size_t)(k / nv) * ldc + (size_t)(k % nv) * GLANES;
            __builtin_prefetch(e->w + o, 1, 3);
            if (e->v) __builtin_prefetch(e->v + o, 1, 3);
        }
        /* kidx (zero skipping, see compact_a): the packed k-th value of A belongs to row kidx[k] of the panel */
        const T *brow = bp + (size_t)(kidx ? kidx[k] : k) * bs;
        GV b[NNC_NV];
        for (int v = 0; v < nv; v++) b[v] = FN(gload)(brow + v * GLANES);
        const T *a = ap + (size_t)k * cs;
        for (int r = 0; r < NNC_MR; r++) {
            const T ar = a[ro[r]];
            for (int v = 0; v < nv; v++) acc[r][v] += ar * b[v];
        }
    }
    if (nr == nv * GLANES) {
        for (int r = 0; r < NNC_MR; r++) {
            if (r >= mr) break;
            T *cr = c + (size_t)r * ldc;
            for (int v = 0; v < nv; v++) {
                GV x = acc[r][v];
                if (alpha != (T)1) x = FN(gscale)(alpha, x);
                if (first) {
                    if (beta != (T)0) x = x + FN(gscale)(beta, FN(gload)(cr + v * GLANES));
                } else {
                    x = FN(gload)(cr + v * GLANES) + x;
                }
                if (e && e->kind == EPI_STEP) {
#if NNC_VBYTES > 0
                    FN(epi_step_v)(e, c_off + (size_t)r * ldc + v * GLANES, x, cr + v * GLANES);
#else
                    T g[GLANES];
                    memcpy(g, &x, sizeof g);
                    FN(epi_step)(e, c_off + (size_t)r * ldc + v * GLANES, g, GLANES, cr + v * GLANES);
#endif
                    continue;
                }
                if (e) {
#if NNC_VBYTES > 0
                    if (e->kind == EPI_BIAS || e->kind == EPI_BIAS_RELU) {
                        x = x + FN(gload)(e->bias + j0c + v * GLANES);
                        if (e->kind == EPI_BIAS_RELU) {
                            /* v < 0 ? 0 : v, as bias_act: NaN stays NaN */
                            __typeof__(x < x) neg = x < GZERO;
                            __typeof__(neg) bits;
                            memcpy(&bits, &x, sizeof bits);
                            bits &= ~neg;
                            memcpy(&x, &bits, sizeof bits);
                        }
                    } else if (e->kind == EPI_MASK_POS) {
                        const GV m = FN(gload)(e->mask + c_off + (size_t)r * ldc + v * GLANES);
                        __typeof__(x < x) pos = m > GZERO;
                        __typeof__(pos) bits;
                        memcpy(&bits, &x, sizeof bits);
                        bits &= pos;
                        memcpy(&x, &bits, sizeof bits);
                    }
#else
                    x = FN(epi1)(x, e, c_off + (size_t)r * ldc + v, j0c + v);
#endif
                }
                FN(gstore)(cr + v * GLANES, x);
            }
        }
    } else {
        for (int r = 0; r < NNC_MR; r++) {
            if (r >= mr) break;
            T t[NNC_NV * GLANES];
            memcpy(t, acc[r], sizeof t);
            T *cr = c + (size_t)r * ldc;
            for (int j = 0; j < nr; j++) {
                T x = t[j];
                if (alpha != (T)1) x = FN(sscale)(alpha, x);
                if (first) {
                    if (beta != (T)0) x = x + FN(sscale)(beta, cr[j]);
                } else {
                    x = cr[j] + x;
                }
                if (e && e->kind == EPI_STEP) {
                    t[j] = x;
                    continue;
                }
                if (e) x = FN(epi1)(x, e, c_off + (size_t)r * ldc + j, j0c + j);
                cr[j] = x;
            }
            if (e && e->kind == EPI_STEP) FN(epi_step)(e, c_off + (size_t)r * ldc, t, nr, cr);
        }
    }
}

/* The six variants: tiles of NNC_NV vectors or of one (narrow C), A packed (constant strides) or in place, and
 * packed A with skipped zero k (rows of B by index). B: a packed panel (bs = its width) or the rows of B itself
 * (bs = ldb). */
static void FN(ukr_packed)(int mr, int kc, const T *ap, const T *bp, size_t bs, T *c, size_t ldc, int nr, int first,
                           T alpha, T beta, const FN(epi_t) *e, int j0c, size_t c_off)
{
    FN(ukr)(NNC_NV, 1, mr, kc, ap, 1, NNC_MR, bp, bs, c, ldc, nr, first, alpha, beta, e, j0c, c_off, NULL);
}
static void FN(ukr_packed1)(int mr, int kc, const T *ap, const T *bp, size_t bs, T *c, size_t ldc, int nr, int first,
                            T alpha, T beta, const FN(epi_t) *e, int j0c, size_t c_off)
{
    FN(ukr)(1, 1, mr, kc, ap, 1, NNC_MR, bp, bs, c, ldc, nr, first, alpha, beta, e, j0c, c_off, NULL);
}
static void FN(ukr_skip)(int mr, int kc, const T *ap, const T *bp, size_t bs, T *c, size_t ldc, int nr, int first,
                         T alpha, T beta, const FN(epi_t) *e, int j0c, size_t c_off, const int *kidx)
{
    FN(ukr)(NNC_NV, 1, mr, kc, ap, 1, NNC_MR, bp, bs, c, ldc, nr, first, alpha, beta, e, j0c, c_off, kidx);
}
static void FN(ukr_skip1)(int mr, int kc, const T *ap, const T *bp, size_t bs, T *c, size_t ldc, int nr, int first,
                          T alpha, T beta, const FN(epi_t) *e, int j0c, size_t c_off, const int *kidx)
{
    FN(ukr)(1, 1, mr, kc, ap, 1, NNC_MR, bp, bs, c, ldc, nr, first, alpha, beta, e, j0c, c_off, kidx);
}
static void FN(ukr_direct)(int mr, int kc, const T *ap, size_t rs, size_t cs, const T *bp, size_t bs, T *c,
                           size_t ldc, int nr, int first, T alpha, T beta, const FN(epi_t) *e, int j0c, size_t c_off)
{
    FN(ukr)(NNC_NV, 0, mr, kc, ap, rs, cs, bp, bs, c, ldc, nr, first, alpha, beta, e, j0c, c_off, NULL);
}
static void FN(ukr_direct1)(int mr, int kc, const T *ap, size_t rs, size_t cs, const T *bp, size_t bs, T *c,
                            size_t ldc, int nr, int first, T alpha, T beta, const FN(epi_t) *e, int j0c, size_t c_off)
{
    FN(ukr)(1, 0, mr, kc, ap, rs, cs, bp, bs, c, ldc, nr, first, alpha, beta, e, j0c, c_off, NULL);
}

/* Per-thread packing buffers, allocated on the first call in a thread and kept for the next calls. Freed by
 * gbuf_release(), which nn_core.c runs from an N-API environment cleanup hook on the thread whose environment
 * goes away (a worker thread's addon may be unloaded when the worker ends, so no pthread-key destructor may
 * point into it). */
typedef struct {
    T *ap; /* MR x KC */
    T *bp; /* KC x (NC rounded up to a whole panel) */
    T *as; /* MR x KC: ap without its all-zero k (zero skipping) */
    int *kidx; /* KC: the k kept in as */
} FN(gbuf_t);

static _Thread_local FN(gbuf_t) FN(gbuf_tls);

static void FN(gbuf_release)(void)
{
    free(FN(gbuf_tls).ap);
    free(FN(gbuf_tls).bp);
    free(FN(gbuf_tls).kidx);
    free(FN(gbuf_tls).as);
    FN(gbuf_tls).as = NULL;
    FN(gbuf_tls).ap = NULL;
    FN(gbuf_tls).bp = NULL;
    FN(gbuf_tls).kidx = NULL;
}

static FN(gbuf_t) *FN(gbuf)(void)
{
    FN(gbuf_t) *g = &FN(gbuf_tls);
    if (g->ap && g->bp && g->as && g->kidx) return g;
    const size_t ncr = (NNC_NC_MAX + GNR - 1) / GNR * GNR;
    if (!g->ap) g->ap = aligned_alloc(64, ((size_t)NNC_MR * GKC * sizeof(T) + 63) / 64 * 64);
    if (!g->bp) g->bp = aligned_alloc(64, ((size_t)GKC * ncr * sizeof(T) + 63) / 64 * 64);
    if (!g->as) g->as = aligned_alloc(64, ((size_t)NNC_MR * GKC * sizeof(T) + 63) / 64 * 64);
    if (!g->kidx) g->kidx = malloc((size_t)GKC * sizeof(int));
    return g->ap && g->bp && g->as && g->kidx ? g : NULL;
}

/* Small GEMMs (narrow C, N <= 2 vectors, with a short inner dimension or few rows: the 5- and 10-unit layers of
 * the question's 784-5-5-10 net, batch-10 steps of 784-30-10): the packed path's per-tile overhead (packing,
 * a 12-row tile for 5 columns) costs more than the arithmetic there. Here each row of C is one or two vectors
 * along N, accumulated over k in order: C[i, :] = Σ_k op(A)[i, k] · op(B)[k, :]. With K <= SMALL_K the rows of
 * op(B) sit in a stack buffer; otherwise (M <= MR) all M rows accumulate at once while op(B) streams by.
 * The summation order depends on the shapes only (this path is chosen by the shapes). */
#define SMALL_K 64

static inline int FN(small_ok)(int M, int N, int K)
{
    return N <= 2 * GLANES && (K <= SMALL_K || M <= NNC_MR);
}

/* Row k of op(B) (N values, zero-padded to 2 vectors) into b. */
static inline void FN(small_brow)(GV b[2], const T *B, size_t ldb, int tb, int k, int N)
{
    T t[2 * GLANES];
    memset(t, 0, sizeof t);
    if (!tb) memcpy(t, B + (size_t)k * ldb, (size_t)N * sizeof(T));
    else for (int j = 0; j < N; j++) t[j] = B[(size_t)j * ldb + k];
    memcpy(b, t, sizeof t);
}

/* Stores row i of C from acc (N values): first and only pass, so C = alpha·acc + beta·C, then the epilogue. */
static inline void FN(small_store)(const GV acc[2], T *C, size_t ldc, int i, int N, T alpha, T beta, const FN(epi_t) *e)
{
    T t[2 * GLANES];
    memcpy(t, acc, sizeof t);
    T *cr = C + (size_t)i * ldc;
    if (!e && alpha == (T)1 && beta == (T)0) {
        for (int j = 0; j < N; j++) cr[j] = t[j];
        return;
    }
    for (int j = 0; j < N; j++) {
        T x = t[j];
        if (alpha != (T)1) x = FN(sscale)(alpha, x);
        if (beta != (T)0) x = x + FN(sscale)(beta, cr[j]);
        if (e && e->kind == EPI_STEP) {
            t[j] = x;
            continue;
        }
        if (e) x = FN(epi1)(x, e, (size_t)i * ldc + j, j);
        cr[j] = x;
    }
    if (e && e->kind == EPI_STEP) FN(epi_step)(e, (size_t)i * ldc, t, N, cr);
}

static void FN(gemm_small)(int ta, int tb, int M, int N, int K, T alpha, const T *A, size_t lda, const T *B, size_t ldb,
                           T beta, T *C, size_t ldc, const FN(epi_t) *e)
{
    const int nv = N <= GLANES ? 1 : 2;
    if (K <= SMALL_K) {
        GV bs[SMALL_K][2];
        for (int k = 0; k < K; k++) FN(small_brow)(bs[k], B, ldb, tb, k, N);
        int i = 0;
        for (; i + 4 <= M; i += 4) { /* 4 rows at a time: independent chains */
            GV acc[4][2];
            for (int r = 0; r < 4; r++) acc[r][0] = acc[r][1] = GZERO;
            for (int k = 0; k < K; k++) {
                for (int r = 0; r < 4; r++) {
                    const T a = ta ? A[(size_t)k * lda + i + r] : A[(size_t)(i + r) * lda + k];
                    acc[r][0] += a * bs[k][0];
                    if (nv == 2) acc[r][1] += a * bs[k][1];
                }
            }
            for (int r = 0; r < 4; r++) FN(small_store)(acc[r], C, ldc, i + r, N, alpha, beta, e);
        }
        for (; i < M; i++) {
            GV acc[2] = {GZERO, GZERO};
            for (int k = 0; k < K; k++) {
                const T a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
                acc[0] += a * bs[k][0];
                if (nv == 2) acc[1] += a * bs[k][1];
            }
            FN(small_store)(acc, C, ldc, i, N, alpha, beta, e);
        }
        return;
    }
    GV acc[NNC_MR][2];
    for (int i = 0; i < NNC_MR; i++) acc[i][0] = acc[i][1] = GZERO;
#if NNC_VBYTES > 0
    /* rows of B read in place (not the last: its vectors may reach past B's end), lanes past N masked to 0 */
    typedef __typeof__(GZERO < GZERO) gvm;
    gvm mk[2];
    for (int v = 0; v < 2; v++)
        for (int l = 0; l < GLANES; l++) mk[v][l] = v * GLANES + l < N ? -1 : 0;
    const int direct = !tb;
#endif
    for (int k = 0; k < K; k++) {
        GV b[2];
#if NNC_VBYTES > 0
        if (direct && k + 1 < K) {
            const T *br = B + (size_t)k * ldb;
            b[0] = (GV)((gvm)FN(gload)(br) & mk[0]);
            b[1] = nv == 2 ? (GV)((gvm)FN(gload)(br + GLANES) & mk[1]) : GZERO;
        } else {
            FN(small_brow)(b, B, ldb, tb, k, N);
        }
#else
        FN(small_brow)(b, B, ldb, tb, k, N);
#endif
        for (int i = 0; i < M; i++) {
            const T a = ta ? A[(size_t)k * lda + i] : A[(size_t)i * lda + k];
            acc[i][0] += a * b[0];
            if (nv == 2) acc[i][1] += a * b[1];
        }
    }
    for (int i = 0; i < M; i++) FN(small_store)(acc[i], C, ldc, i, N, alpha, beta, e);
}

/* C (M, N) = alpha · op(A) · op(B) + beta · C, then the epilogue `e` (may be NULL) on the final values.
 * A: (M, K) or (K, M) when ta, with leading dimension lda; B: (K, N) or (N, K) when tb, leading dimension ldb;
 * C: leading dimension ldc. K = 0 is handled by the caller. skip: skip the k where a packed micro-panel of A is
 * all zero (compact_a; the same bits), 0 only in the tests that check it against the plain computation.
 * Returns 0, or -1 when the buffers could not be allocated (nothing written). */
static int FN(gemm_builtin)(int ta, int tb, int M, int N, int K, T alpha, const T *A, size_t lda, const T *B,
                            size_t ldb, T beta, T *C, size_t ldc, const FN(epi_t) *e, int skip)
{
    if (FN(small_ok)(M, N, K)) {
        FN(gemm_small)(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, e);
        return 0;
    }
    FN(gbuf_t) *g = FN(gbuf)();
    if (!g) return -1;
    const int kcb = FN(gblock)(K, GKC, 1);
    /* narrow C (N <= one vector, e.g. a 10-unit output layer): tiles of one vector, not NNC_NV */
    const int nv = N <= GLANES ? 1 : NNC_NV, pw = nv * GLANES;
    const int ncb = FN(gblock)(N, NNC_NC_MAX, pw);
    int bfinite = -1; /* whether op(B) is all finite (zero skipping): checked once, when a k is first skipped */
    int skipped = 0;  /* whether a micro-panel of this call ran with skipped k */
    for (int jc = 0; jc < N; jc += ncb) {
        const int nc = N - jc < ncb ? N - jc : ncb;
        for (int pc = 0; pc < K; pc += kcb) {
            const int kc = K - pc < kcb ? K - pc : kcb;
            const int first = pc == 0, last = pc + kc >= K;
            /* op(B) = B row-major in whole panels (N a multiple of the panel width, more rows than one tile): the
             * micro-kernel reads B's rows in place (ldb apart), no packing: packing would copy all of B for each
             * call, which costs as much as a tenth of the arithmetic when M is a batch of 128 rows */
            const int bdirect = !tb && nv == NNC_NV && nc % pw == 0 && M > NNC_MR;
            if (!bdirect) FN(pack_b)(g->bp, B, ldb, tb, pc, kc, jc, nc, pw);
            for (int ic = 0; ic < M; ic += NNC_MR) {
                const int mr = M - ic < NNC_MR ? M - ic : NNC_MR;
                /* one panel of B only: each value of A is used once, so it is read in place (no packing) */
                const int direct = nc <= pw;
                const T *ap = g->ap;
                size_t rs = 1, cs = NNC_MR;
                int nk = kc;              /* the k of this micro-panel the micro-kernel runs */
                const int *kidx = NULL;   /* their rows of B when some were skipped */
                if (direct) {
                    ap = ta ? A + (size_t)pc * lda + ic : A + (size_t)ic * lda + pc;
                    rs = ta ? 1 : lda;
                    cs = ta ? lda : 1;
                } else {
                    FN(pack_a)(g->ap, A, lda, ta, ic, mr, pc, kc);
                    if (skip) {
                        nk = FN(compact_a)(g->as, g->kidx, g->ap, kc);
                        /* worth the indexed reads of B from an eighth of the k skipped */
                        const int worth = 8 * nk <= 7 * kc;
                        if (worth && bfinite < 0)
                            bfinite = tb ? FN(all_finite)(B, ldb, N, K) : FN(all_finite)(B, ldb, K, N);
                        if (worth && bfinite) {
                            kidx = g->kidx;
                            ap = g->as;
                            skipped = 1;
                        } else {
                            nk = kc;
                            /* 0 · Inf would be NaN: no skipping in this call; nor when the first micro-panel had
                             * too few zero k (hidden layers: ReLU zeros rarely fill a whole k of 12 rows), so that
                             * dense operands pay for one compaction only */
                            if (!bfinite || !skipped) skip = 0;
                        }
                    }
                }
                for (int jr = 0; jr < nc; jr += pw) {
                    const int nr = nc - jr < pw ? nc - jr : pw;
                    const size_t off = (size_t)ic * ldc + jc + jr;
                    const T *bpp = bdirect ? B + (size_t)pc * ldb + jc + jr : g->bp + (size_t)(jr / pw) * kc * pw;
                    const size_t bs = bdirect ? ldb : (size_t)pw;
                    const FN(epi_t) *el = last ? e : NULL;
                    if (kidx) {
                        if (nv == 1) FN(ukr_skip1)(mr, nk, ap, bpp, bs, C + off, ldc, nr, first, alpha, beta, el, jc + jr, off, kidx);
                        else FN(ukr_skip)(mr, nk, ap, bpp, bs, C + off, ldc, nr, first, alpha, beta, el, jc + jr, off, kidx);
                    } else if (direct) {
                        if (nv == 1) FN(ukr_direct1)(mr, kc, ap, rs, cs, bpp, bs, C + off, ldc, nr, first, alpha, beta, el, jc + jr, off);
                        else FN(ukr_direct)(mr, kc, ap, rs, cs, bpp, bs, C + off, ldc, nr, first, alpha, beta, el, jc + jr, off);
                    } else {
                        if (nv == 1) FN(ukr_packed1)(mr, kc, ap, bpp, bs, C + off, ldc, nr, first, alpha, beta, el, jc + jr, off);
                        else FN(ukr_packed)(mr, kc, ap, bpp, bs, C + off, ldc, nr, first, alpha, beta, el, jc + jr, off);
                    }
                }
            }
        }
    }
    return 0;
}

#undef GV
#undef GVU
#undef GLANES
#undef GNR
#undef GKC
#undef GZERO
#undef FN
#undef NNC_CAT
#undef NNC_CAT2
