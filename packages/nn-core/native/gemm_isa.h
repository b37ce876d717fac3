/*
 * The built-in GEMM's instruction set, chosen at BUILD time from the compiler's target macros (the addon is
 * compiled with -march=native on the machine that runs it, see binding.gyp): the vector width and the
 * register tile of the micro-kernel in gemm_impl.h. GCC/Clang vector extensions lower the same C to AVX-512,
 * AVX2 + FMA, SSE2 or scalar code; the tile sizes keep the accumulators in registers for each:
 *   AVX-512   (32 zmm): 64-byte vectors, tile 12 rows x 2 vectors (24 accumulators + 2 B vectors + broadcasts)
 *   AVX2+FMA  (16 ymm): 32-byte vectors, tile  6 rows x 2 vectors (12 accumulators)
 *   SSE2      (16 xmm): 16-byte vectors, tile  6 rows x 2 vectors (12 accumulators; no FMA: mul + add)
 *   plain C            : scalars,        tile  4 rows x 4 columns
 * SWEEPLAB_MARCH (binding.gyp) builds another -march, e.g. x86-64 for the SSE2 path or haswell for AVX2;
 * SWEEPLAB_GEMM_PLAIN=1 builds the plain C path (NNC_GEMM_PLAIN) on any machine.
 */
#ifndef NNC_GEMM_ISA_H
#define NNC_GEMM_ISA_H

#if defined(NNC_GEMM_PLAIN)
#define NNC_ISA_NAME "plain C"
#define NNC_VBYTES 0 /* scalars */
#define NNC_MR 4
#define NNC_NV 4
#elif defined(__AVX512F__)
#define NNC_ISA_NAME "AVX-512"
#define NNC_VBYTES 64
#define NNC_MR 12
#define NNC_NV 2
#elif defined(__AVX2__) && defined(__FMA__)
#define NNC_ISA_NAME "AVX2+FMA"
#define NNC_VBYTES 32
#define NNC_MR 6
#define NNC_NV 2
#elif defined(__SSE2__)
#define NNC_ISA_NAME "SSE2"
#define NNC_VBYTES 16
#define NNC_MR 6
#define NNC_NV 2
#elif defined(__ARM_NEON)
#define NNC_ISA_NAME "NEON"
#define NNC_VBYTES 16
#define NNC_MR 6
#define NNC_NV 2
#else
#define NNC_ISA_NAME "plain C"
#define NNC_VBYTES 0 /* scalars */
#define NNC_MR 4
#define NNC_NV 4
#endif

/* Cache blocking (bytes): the packed panel of B per k-block (KC rows x NC columns) stays in L2; one packed
 * micro-panel of A (MR x KC) stays in L1 while the micro-kernel runs along the panels of B. */
#define NNC_KC_BYTES 2048 /* KC = 512 floats / 256 doubles along k (784 inputs: 2 blocks) */
#define NNC_NC_MAX 1024   /* columns per packed block of B */

/* Whether the fused layer kernels (linearAct: bias + activation; linearBackward: the ReLU mask; weightGradStep:
 * the optimizer step) run on the built-in GEMM with its epilogues, per dtype: always in the built-in tier; in the
 * OpenBLAS tier for float32 on AVX-512 builds, where they measured faster than OpenBLAS + a separate pass on the
 * layers of 784-256-256-10 at batch 128 (the epilogue prefetches the weights it updates and works on whole
 * vectors, B is read in place: forward 5-12 %, weight step 7-17 %, ReLU input gradient 4-15 % faster, in one
 * process alternating every 8 steps). float64 and the other instruction sets keep OpenBLAS + the pass there (not
 * measured faster). */
#if !defined(NNC_HAVE_OPENBLAS)
#define NNC_FUSED_BUILTIN_F32 1
#define NNC_FUSED_BUILTIN_F64 1
#elif NNC_VBYTES == 64
#define NNC_FUSED_BUILTIN_F32 1
#define NNC_FUSED_BUILTIN_F64 0
#else
#define NNC_FUSED_BUILTIN_F32 0
#define NNC_FUSED_BUILTIN_F64 0
#endif

/* GEMM epilogues (gemm_impl.h) */
enum { EPI_NONE = 0, EPI_BIAS = 1, EPI_BIAS_RELU = 2, EPI_MASK_POS = 3, EPI_STEP = 4 };

#endif
