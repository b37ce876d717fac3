# The N-API kernel addon of @sweeplab/nn-core (issues 6 and 14): build/Release/nn_core.node, loaded by
# src/kernels/native.ts. Built by the package's `install` script during `npm ci`
# ("node-gyp rebuild || node scripts/no-native.cjs"): when this build fails (no C compiler) the install still
# succeeds and nn-core runs on its TypeScript kernels.
# Rebuild by hand: `npm rebuild -w @sweeplab/nn-core` (node-gyp is only on PATH under npm/npx).
#
# Two GEMM tiers from one source:
#   OpenBLAS   when scripts/detect-openblas.cjs can compile and link against it (cblas.h + libopenblas);
#   built-in   otherwise: native/gemm_impl.h, a packed, cache-blocked GEMM whose micro-kernel uses the vector
#              width of the building machine (native/gemm_isa.h). It needs nothing but the compiler.
# Environment at build time:
#   SWEEPLAB_NO_OPENBLAS=1   hide OpenBLAS: build the built-in tier on a machine that has OpenBLAS (CI does, into
#                            build-builtin/, via scripts/build-builtin.cjs)
#   SWEEPLAB_MARCH=<arch>    -march value (default native), e.g. x86-64 (SSE2 path) or haswell (AVX2 path)
#   SWEEPLAB_GEMM_PLAIN=1    the built-in GEMM's plain C micro-kernel (no vector extensions), for testing it
{
  "variables": {
    "has_openblas%": "<!(node scripts/detect-openblas.cjs)",
    "nnc_march%": "<!(node -p \"process.env.SWEEPLAB_MARCH || 'native'\")",
    "nnc_plain%": "<!(node -p \"process.env.SWEEPLAB_GEMM_PLAIN === '1' ? 1 : 0\")"
  },
  "targets": [
    {
      "target_name": "nn_core",
      "sources": ["native/nn_core.c"],
      "defines": ["NAPI_VERSION=8", "NNC_MARCH=\"<(nnc_march)\""],
      # -march=native makes the .node specific to this CPU. That is fine: it is built by `npm ci` on the machine
      # that runs it and is never shipped (build/ is git-ignored and not part of the nx cache). It picks the
      # built-in GEMM's micro-kernel (AVX-512 here) and vectorises the elementwise loops.
      # -fopenmp-simd enables `#pragma omp simd` (vectorised double reductions) without OpenMP's runtime and
      # without -ffast-math, which would change NaN/Inf semantics.
      # -lm: on glibc, libm.so also brings libmvec (the SIMD exp/log1p/tanh that native/nn_core.c declares).
      "cflags_c": ["-std=gnu11", "-O3", "-march=<(nnc_march)", "-fopenmp-simd", "-fno-math-errno"],
      "libraries": ["-lm"],
      "conditions": [
        # Debian/Ubuntu: libopenblas-dev puts cblas.h in the multiarch include dir (no -I needed) and provides
        # libopenblas.so, which has both the cblas_* and the openblas_* functions (-lblas lacks the latter).
        ["has_openblas==1", { "defines": ["NNC_HAVE_OPENBLAS=1"], "libraries": ["-lopenblas"] }],
        ["nnc_plain==1", { "defines": ["NNC_GEMM_PLAIN=1"] }]
      ]
    }
  ]
}
