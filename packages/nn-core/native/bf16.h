/*
 * bfloat16 GEMM (issue 14, `dtype: 'bfloat16'`): C (f32) = alpha · bf16(op(A)) · bf16(op(B)) + beta · C, with
 * A, B and C float32 arrays. The inputs are rounded to bfloat16 (round to nearest even; a float32 denormal
 * becomes a signed zero, as the hardware conversion does) while they are packed; the products are summed in
 * float32. Master weights, optimizer state and every other pass stay float32 (kernels_impl.h).
 *
 * Two kernels, chosen at run time from the CPU (bf16_probe):
 *   'amx'         Intel AMX (Sapphire Rapids and later): TDPBF16PS on 16x32 tiles, a 32x32 block of C in four
 *                 tile registers. The OS must grant the tile data state (arch_prctl ARCH_REQ_XCOMP_PERM).
 *   'avx512bf16'  AVX512_BF16 (Cooper Lake, Zen 4, and AMX CPUs): VDPBF16PS, a 12 x 32 register tile.
 * Both read the same packed layouts: A as rows of bf16 (M padded to 16, K padded to 32, zeros), B in the
 * "VNNI" layout the instructions want: for each block of 16 columns, for each pair of k, 16 x (k, k+1) pairs.
 * The functions are compiled for these instruction sets with target attributes, whatever -march the addon
 * has, and only called when the CPU has them.
 *
 * Determinism: the order of the sums depends on the shapes and the kernel ('amx' or 'avx512bf16') only.
 */
#if defined(__x86_64__) && (defined(__GNUC__) && (__GNUC__ >= 11 || defined(__clang__)))
#define NNC_BF16_BUILT 1
#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>
#else
#define NNC_BF16_BUILT 0
#endif

enum { BF16_NONE = 0, BF16_AVX512 = 1, BF16_AMX = 2 };

/* float32 -> bfloat16 bits, round to nearest even, denormals to signed zero, NaN stays a (quiet) NaN: the
 * semantics of VCVTNE2PS2BF16, in scalar C (for edges and the reference in tests). */
static inline uint16_t nnc_f32_to_bf16(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    if ((u & 0x7f800000u) == 0) return (uint16_t)((u >> 16) & 0x8000u); /* zero or denormal */
    if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u); /* NaN, quiet */
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

/* Per-thread buffers of the packed operands, grown when a call needs more and kept (released with the GEMM
 * buffers at environment teardown). */
typedef struct {
    uint16_t *a;
    size_t a_cap;
    uint16_t *b;
    size_t b_cap;
} bf16buf_t;
static _Thread_local bf16buf_t bf16_tls;

static void bf16_release(void)
{
    free(bf16_tls.a);
    free(bf16_tls.b);
    memset(&bf16_tls, 0, sizeof bf16_tls);
}

static uint16_t *bf16_grow(uint16_t **p, size_t *cap, size_t n)
{
    if (*cap >= n) return *p;
    free(*p);
    *p = aligned_alloc(64, (n * 2 + 63) / 64 * 64);
    *cap = *p ? n : 0;
    return *p;
}

#if NNC_BF16_BUILT

#define NNC_BF16_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))
#define NNC_AMX_TARGET __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16,amx-tile,amx-bf16")))

/* 16 floats -> 16 bf16 (RNE, DAZ) */
NNC_BF16_TARGET static inline __m256i bf16_cvt16(__m512 v) { return (__m256i)_mm512_cvtneps_pbh(v); }

/* In-register transpose of a 16 x 16 matrix of 32-bit elements: r[i] = row i in, column i out. */
NNC_BF16_TARGET static inline void tr16x16_epi32(__m512i r[16])
{
    __m512i t[16];
    for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_epi32(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_epi32(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_unpacklo_epi64(t[i], t[i + 2]);
        r[i + 1] = _mm512_unpackhi_epi64(t[i], t[i + 2]);
        r[i + 2] = _mm512_unpacklo_epi64(t[i + 1], t[i + 3]);
        r[i + 3] = _mm512_unpackhi_epi64(t[i + 1], t[i + 3]);
    }
    /* now r[4a + b] holds, in each 128-bit lane L, elements (rows 4L'..) ... : combine 128-bit lanes */
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0x88);      /* lanes 0,2 of r[i], lanes 0,2 of r[i+4] */
        t[i + 4] = _mm512_shuffle_i32x4(r[i], r[i + 4], 0xdd);  /* lanes 1,3 */
        t[i + 8] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0x88);
        t[i + 12] = _mm512_shuffle_i32x4(r[i + 8], r[i + 12], 0xdd);
    }
    for (int i = 0; i < 4; i++) {
        r[i] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_i32x4(t[i], t[i + 8], 0xdd);
        r[i + 4] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0x88);
        r[i + 12] = _mm512_shuffle_i32x4(t[i + 4], t[i + 12], 0xdd);
    }
}

/* Packs op(A) (M, K) into ap: Mp rows (M rounded up to 16) of Kp bf16 (K rounded up to 32), zero padded.
 * A: (M, K) with leading dimension lda, or (K, M) when ta. */
NNC_BF16_TARGET static void bf16_pack_a(uint16_t *restrict ap, const float *restrict A, size_t lda, int ta, int M,
                                        int K, int Mp, int Kp)
{
    if (!ta) {
        for (int i = 0; i < M; i++) {
            const float *a = A + (size_t)i * lda;
            uint16_t *d = ap + (size_t)i * Kp;
            int k = 0;
            for (; k + 16 <= K; k += 16) _mm256_storeu_si256((__m256i *)(d + k), bf16_cvt16(_mm512_loadu_ps(a + k)));
            for (; k < K; k++) d[k] = nnc_f32_to_bf16(a[k]);
            for (; k < Kp; k++) d[k] = 0;
        }
    } else {
        /* op(A)[i, k] = A[k, i]: blocks of 16 k x 16 i, transposed in registers, then converted row by row */
        for (int i0 = 0; i0 < M; i0 += 16) {
            const int iw = M - i0 < 16 ? M - i0 : 16;
            const __mmask16 im = (__mmask16)((1u << iw) - 1);
            for (int k0 = 0; k0 < K; k0 += 16) {
                const int kw = K - k0 < 16 ? K - k0 : 16;
                __m512i r[16];
                for (int k = 0; k < 16; k++)
                    r[k] = k < kw ? _mm512_castps_si512(_mm512_maskz_loadu_ps(im, A + (size_t)(k0 + k) * lda + i0)) : _mm512_setzero_si512();
                tr16x16_epi32(r);
                for (int i = 0; i < iw; i++) _mm256_storeu_si256((__m256i *)(ap + (size_t)(i0 + i) * Kp + k0), bf16_cvt16(_mm512_castsi512_ps(r[i])));
            }
            const int kr = (K + 15) / 16 * 16;
            for (int i = 0; i < iw; i++) memset(ap + (size_t)(i0 + i) * Kp + kr, 0, (size_t)(Kp - kr) * 2);
        }
    }
    for (int i = M; i < Mp; i++) memset(ap + (size_t)i * Kp, 0, (size_t)Kp * 2);
}

/* Packs op(B) (K, N) into the VNNI layout: block q of 16 columns at bp + q·Kp·16, within it k-pair p at
 * p·32: 16 x (op(B)[2p, j], op(B)[2p+1, j]). Zero padded to Kp rows and to whole blocks of 16 columns.
 * B: (K, N) with leading dimension ldb, or (N, K) when tb. */
NNC_BF16_TARGET static void bf16_pack_b(uint16_t *restrict bp, const float *restrict B, size_t ldb, int tb, int K,
                                        int N, int Kp)
{
    const int nq = (N + 15) / 16;
    for (int q = 0; q < nq; q++) {
        const int j0 = q * 16, w = N - j0 < 16 ? N - j0 : 16;
        uint16_t *d = bp + (size_t)q * Kp * 16;
        if (!tb) {
            for (int p = 0; p < Kp / 2; p++) {
                const int k = 2 * p;
                uint16_t *dp = d + (size_t)p * 32;
                if (w == 16 && k + 1 < K) {
                    const __m256i lo = bf16_cvt16(_mm512_loadu_ps(B + (size_t)k * ldb + j0));
                    const __m256i hi = bf16_cvt16(_mm512_loadu_ps(B + (size_t)(k + 1) * ldb + j0));
                    /* interleave: (lo0, hi0, lo1, hi1, ...) */
                    const __m512i idx = _mm512_set_epi16(31, 15, 30, 14, 29, 13, 28, 12, 27, 11, 26, 10, 25, 9, 24, 8,
                                                         23, 7, 22, 6, 21, 5, 20, 4, 19, 3, 18, 2, 17, 1, 16, 0);
                    const __m512i both = _mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1);
                    _mm512_storeu_si512((void *)dp, _mm512_permutexvar_epi16(idx, both));
                } else {
                    for (int j = 0; j < 16; j++) {
                        dp[2 * j] = (j < w && k < K) ? nnc_f32_to_bf16(B[(size_t)k * ldb + j0 + j]) : 0;
                        dp[2 * j + 1] = (j < w && k + 1 < K) ? nnc_f32_to_bf16(B[(size_t)(k + 1) * ldb + j0 + j]) : 0;
                    }
                }
            }
        } else {
            /* op(B)[k, j] = B[j, k]: for 32 k (16 pairs) of each of the 16 rows j, convert to 16 bf16 pairs, then a
             * 16 x 16 transpose of the pairs gives 16 VNNI rows (one per pair) */
            for (int k0 = 0; k0 < Kp; k0 += 32) {
                const int kw = K - k0 < 0 ? 0 : (K - k0 < 32 ? K - k0 : 32);
                const __mmask16 lo = (__mmask16)(kw >= 16 ? 0xffff : (1u << kw) - 1);
                const __mmask16 hi = (__mmask16)(kw >= 32 ? 0xffff : kw > 16 ? (1u << (kw - 16)) - 1 : 0);
                __m512i r[16];
                for (int j = 0; j < 16; j++) {
                    if (j < w && kw > 0) {
                        const float *b = B + (size_t)(j0 + j) * ldb + k0;
                        r[j] = (__m512i)_mm512_cvtne2ps_pbh(_mm512_maskz_loadu_ps(hi, b + 16), _mm512_maskz_loadu_ps(lo, b));
                    } else {
                        r[j] = _mm512_setzero_si512();
                    }
                }
                tr16x16_epi32(r);
                for (int p = 0; p < 16; p++) _mm512_storeu_si512((void *)(d + (size_t)(k0 / 2 + p) * 32), r[p]);
            }
        }
    }
}

/* Stores a block of C from t (rows x 32 floats, row stride 32): C = alpha·t + beta·C, then the epilogue, with
 * the operations of epi1 (so bit for bit the unfused bias_act / act_backward), 16 columns at a time. */
NNC_BF16_TARGET static void bf16_store(float *C, size_t ldc, const float *t, int rows, int cols, float alpha, float beta,
                                       const epi_t_f32 *e, int j0, size_t c_off)
{
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta), z = _mm512_setzero_ps();
    for (int r = 0; r < rows; r++) {
        float *cr = C + (size_t)r * ldc;
        for (int c0 = 0; c0 < cols; c0 += 16) {
            const int w = cols - c0 < 16 ? cols - c0 : 16;
            const __mmask16 m = (__mmask16)(w == 16 ? 0xffff : (1u << w) - 1);
            __m512 x = _mm512_loadu_ps(t + r * 32 + c0);
            if (alpha != 1.0f) x = _mm512_mul_ps(va, x);
            if (beta != 0.0f) x = _mm512_add_ps(x, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(m, cr + c0)));
            if (e && e->kind == EPI_STEP) {
                float g[16];
                _mm512_storeu_ps(g, x);
                epi_step_f32(e, c_off + (size_t)r * ldc + c0, g, w, cr + c0);
                continue;
            }
            if (e) {
                if (e->kind == EPI_BIAS || e->kind == EPI_BIAS_RELU) {
                    x = _mm512_add_ps(x, _mm512_maskz_loadu_ps(m, e->bias + j0 + c0));
                    if (e->kind == EPI_BIAS_RELU) x = _mm512_mask_mov_ps(x, _mm512_cmp_ps_mask(x, z, _CMP_LT_OQ), z);
                } else if (e->kind == EPI_MASK_POS) {
                    const __m512 mk = _mm512_maskz_loadu_ps(m, e->mask + c_off + (size_t)r * ldc + c0);
                    x = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(mk, z, _CMP_GT_OQ), x);
                }
            }
            _mm512_mask_storeu_ps(cr + c0, m, x);
        }
    }
}

/* ---- AMX ---- */

typedef struct __attribute__((packed)) {
    uint8_t palette, start_row;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
} nnc_tilecfg_t;

/* 32 x 32 block of C at rows i0, columns j0 from the packed operands: tiles 0..3 = C (2 x 2 of 16 x 16),
 * 4, 5 = two row blocks of A (16 x 32 bf16), 6, 7 = two column blocks of B (16 k-pairs x 16 columns). */
NNC_AMX_TARGET static void amx_block(const uint16_t *ap, const uint16_t *bp, int Kp, int i0, int q0, int two_rows,
                                     int two_cols, float *t /* 32 x 32 */)
{
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    const size_t sa = (size_t)Kp * 2; /* bytes per row of packed A */
    const uint16_t *a0 = ap + (size_t)i0 * Kp, *a1 = a0 + (size_t)16 * Kp;
    const uint16_t *b0 = bp + (size_t)q0 * Kp * 16, *b1 = b0 + (size_t)Kp * 16;
    for (int k = 0; k < Kp; k += 32) {
        _tile_loadd(4, a0 + k, sa);
        _tile_loadd(6, b0 + (size_t)k * 16, 64);
        _tile_dpbf16ps(0, 4, 6);
        if (two_cols) {
            _tile_loadd(7, b1 + (size_t)k * 16, 64);
            _tile_dpbf16ps(1, 4, 7);
        }
        if (two_rows) {
            _tile_loadd(5, a1 + k, sa);
            _tile_dpbf16ps(2, 5, 6);
            if (two_cols) _tile_dpbf16ps(3, 5, 7);
        }
    }
    _tile_stored(0, t, 128);
    if (two_cols) _tile_stored(1, t + 16, 128);
    if (two_rows) {
        _tile_stored(2, t + 16 * 32, 128);
        if (two_cols) _tile_stored(3, t + 16 * 32 + 16, 128);
    }
}

NNC_AMX_TARGET static void amx_config(void)
{
    nnc_tilecfg_t cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int i = 0; i < 8; i++) {
        cfg.colsb[i] = 64;
        cfg.rows[i] = 16;
    }
    _tile_loadconfig(&cfg);
}

NNC_AMX_TARGET static void amx_gemm(int M, int N, int Kp, const uint16_t *ap, const uint16_t *bp, float alpha,
                                    float beta, float *C, size_t ldc, const epi_t_f32 *e)
{
    amx_config();
    float t[32 * 32] __attribute__((aligned(64)));
    for (int i0 = 0; i0 < M; i0 += 32) {
        const int rows = M - i0 < 32 ? M - i0 : 32;
        for (int j0 = 0; j0 < N; j0 += 32) {
            const int cols = N - j0 < 32 ? N - j0 : 32;
            amx_block(ap, bp, Kp, i0, j0 / 16, rows > 16, cols > 16, t);
            const size_t off = (size_t)i0 * ldc + j0;
            bf16_store(C + off, ldc, t, rows, cols, alpha, beta, e, j0, off);
        }
    }
    _tile_release();
}

/* ---- AVX512_BF16 ---- */

/* rows x 32 block of C (rows <= 12) at rows i0, column blocks q0, q0+1: VDPBF16PS on 24 accumulators. */
NNC_BF16_TARGET static void dp_block(const uint16_t *ap, const uint16_t *bp, int Kp, int i0, int rows, int q0,
                                     int two_cols, float *t /* 12 x 32, row stride 32 */)
{
    __m512 acc[12][2];
    for (int r = 0; r < 12; r++) acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    const uint16_t *b0 = bp + (size_t)q0 * Kp * 16, *b1 = b0 + (size_t)Kp * 16;
    const uint16_t *ar[12];
    for (int r = 0; r < 12; r++) ar[r] = ap + (size_t)(i0 + (r < rows ? r : 0)) * Kp;
    for (int p = 0; p < Kp / 2; p++) {
        const __m512bh v0 = (__m512bh)_mm512_loadu_si512((const void *)(b0 + (size_t)p * 32));
        const __m512bh v1 = two_cols ? (__m512bh)_mm512_loadu_si512((const void *)(b1 + (size_t)p * 32)) : v0;
        for (int r = 0; r < 12; r++) {
            uint32_t pair;
            memcpy(&pair, ar[r] + 2 * p, 4);
            const __m512bh a = (__m512bh)_mm512_set1_epi32((int)pair);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], a, v0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], a, v1);
        }
    }
    for (int r = 0; r < rows; r++) {
        _mm512_storeu_ps(t + r * 32, acc[r][0]);
        _mm512_storeu_ps(t + r * 32 + 16, acc[r][1]);
    }
}

NNC_BF16_TARGET static void dp_gemm(int M, int N, int Kp, const uint16_t *ap, const uint16_t *bp, float alpha,
                                    float beta, float *C, size_t ldc, const epi_t_f32 *e)
{
    float t[12 * 32] __attribute__((aligned(64)));
    for (int i0 = 0; i0 < M; i0 += 12) {
        const int rows = M - i0 < 12 ? M - i0 : 12;
        for (int j0 = 0; j0 < N; j0 += 32) {
            const int cols = N - j0 < 32 ? N - j0 : 32;
            dp_block(ap, bp, Kp, i0, rows, j0 / 16, cols > 16, t);
            const size_t off = (size_t)i0 * ldc + j0;
            bf16_store(C + off, ldc, t, rows, cols, alpha, beta, e, j0, off);
        }
    }
}

/* ---- CPU support ---- */

static int bf16_probed = -1; /* BF16_* once probed (process-wide; the AMX permission is per process) */
static char bf16_missing[200];

static uint64_t nnc_xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* Which bf16 kernel this CPU (and OS) can run; sets bf16_missing to what lacks otherwise. */
static int bf16_probe(void)
{
    if (bf16_probed >= 0) return bf16_probed;
    unsigned a, b, c, d;
    int avx512 = 0, bf16 = 0, amx = 0;
    if (__get_cpuid_count(1, 0, &a, &b, &c, &d) && (c & (1u << 27)) /* OSXSAVE */) {
        const uint64_t xcr0 = nnc_xgetbv0();
        const int os_avx512 = (xcr0 & 0xe6) == 0xe6; /* SSE, AVX, opmask, ZMM state */
        if (__get_cpuid_count(7, 0, &a, &b, &c, &d)) {
            avx512 = os_avx512 && (b & (1u << 16)) && (b & (1u << 30)) && (b & (1u << 31)) && (b & (1u << 17));
            amx = (d & (1u << 22)) && (d & (1u << 24)); /* AMX-BF16, AMX-TILE (the OS grants the state below) */
        }
        if (avx512 && __get_cpuid_count(7, 1, &a, &b, &c, &d)) bf16 = (a & (1u << 5)) != 0; /* AVX512_BF16 */
    }
    int r = BF16_NONE;
    if (bf16 && amx) {
        /* ask Linux for the AMX tile data state (ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18) */
        if (syscall(SYS_arch_prctl, 0x1023, 18) == 0) r = BF16_AMX;
        else r = BF16_AVX512;
    } else if (bf16) {
        r = BF16_AVX512;
    }
    if (r == BF16_NONE) {
        snprintf(bf16_missing, sizeof bf16_missing, "%s",
                 avx512 ? "AVX512_BF16" : "AVX512_BF16 (and AVX-512 F/BW/VL/DQ, which it builds on)");
    }
    bf16_probed = r;
    return r;
}

#else /* not x86-64 GCC/Clang */

static int bf16_probe(void) { return BF16_NONE; }
static const char bf16_missing[] = "an x86-64 CPU with AVX512_BF16 (this addon was built for another architecture)";

#endif

/* The kernel in use: bf16_probe()'s, except that SWEEPLAB_BF16_KERNEL (read once per process) can force it:
 * `avx512bf16` makes an AMX CPU use VDPBF16PS (tests and benches of that path); `none` hides the bf16 kernels,
 * as on a CPU without AVX512_BF16 (the validation error users get there, tested on any CPU). */
static int bf16_forced = -1; /* 0: as probed; 1: avx512bf16; 2: none */
static int bf16_kernel(void)
{
    const int k = bf16_probe();
    if (bf16_forced < 0) {
        const char *force = getenv("SWEEPLAB_BF16_KERNEL");
        bf16_forced = !force ? 0 : strcmp(force, "avx512bf16") == 0 ? 1 : strcmp(force, "none") == 0 ? 2 : 0;
    }
    if (bf16_forced == 2) return BF16_NONE;
    return k == BF16_AMX && bf16_forced == 1 ? BF16_AVX512 : k;
}

/* What is missing when bf16_kernel() is BF16_NONE. */
static const char *bf16_missing_text(void)
{
    return bf16_kernel() == BF16_NONE && bf16_probe() != BF16_NONE ? "AVX512_BF16 (hidden by SWEEPLAB_BF16_KERNEL=none)"
                                                                    : bf16_missing;
}

/* C = alpha · bf16(op(A)) · bf16(op(B)) + beta · C, then the epilogue. Returns 0; -1: no memory; -2: the CPU
 * has no bf16 kernel (the caller checked bf16Support first). */
static int gemm_bf16(int ta, int tb, int M, int N, int K, double alpha, const float *A, const float *B, double beta,
                     float *C, const epi_t_f32 *e)
{
    if (M == 0 || N == 0) return 0;
    if (K == 0 && e && e->kind == EPI_STEP) return -3; /* callers handle rows == 0 themselves */
    if (K == 0) {
        scale_c_f32(C, (size_t)M * (size_t)N, beta);
        if (e) {
            for (int i = 0; i < M; i++)
                for (int j = 0; j < N; j++) C[(size_t)i * N + j] = epi1_f32(C[(size_t)i * N + j], e, (size_t)i * N + j, j);
        }
        return 0;
    }
#if NNC_BF16_BUILT
    const int kern = bf16_kernel();
    if (kern == BF16_NONE) return -2;
    const int Kp = (K + 31) / 32 * 32, Mp = (M + 31) / 32 * 32, Np = (N + 15) / 16 * 16;
    uint16_t *ap = bf16_grow(&bf16_tls.a, &bf16_tls.a_cap, (size_t)Mp * Kp);
    uint16_t *bp = bf16_grow(&bf16_tls.b, &bf16_tls.b_cap, (size_t)Np * Kp + 16 * (size_t)Kp);
    if (!ap || !bp) return -1;
    bf16_pack_a(ap, A, ta ? (size_t)M : (size_t)K, ta, M, K, Mp, Kp);
    bf16_pack_b(bp, B, tb ? (size_t)K : (size_t)N, tb, K, N, Kp);
    if (kern == BF16_AMX) amx_gemm(M, N, Kp, ap, bp, (float)alpha, (float)beta, C, (size_t)N, e);
    else dp_gemm(M, N, Kp, ap, bp, (float)alpha, (float)beta, C, (size_t)N, e);
    return 0;
#else
    (void)ta, (void)tb, (void)alpha, (void)A, (void)B, (void)e;
    return -2;
#endif
}
