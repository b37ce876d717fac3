# The N-API kernel addon of @sweeplab/nn-core (issue 6): build/Release/nn_core.node, loaded by
# src/kernels/native.ts. Built by the package's `install` script during `npm ci`
# ("node-gyp rebuild || node scripts/no-native.cjs"): when this build fails (no C compiler, no OpenBLAS
# headers) the install still succeeds and nn-core runs on its TypeScript kernels.
# Rebuild by hand: `npm rebuild -w @sweeplab/nn-core` (node-gyp is only on PATH under npm/npx).
{
  "targets": [
    {
      "target_name": "nn_core",
      "sources": ["native/nn_core.c"],
      "defines": ["NAPI_VERSION=8"],
      # Debian/Ubuntu: libopenblas-dev puts cblas.h in the multiarch include dir (no -I needed) and provides
      # libopenblas.so, which has both the cblas_* and the openblas_* functions (-lblas lacks the latter).
      # -lm: on glibc, libm.so also brings libmvec (the SIMD exp/log1p/tanh that native/nn_core.c declares).
      "libraries": ["-lopenblas", "-lm"],
      # -march=native makes the .node specific to this CPU. That is fine: it is built by `npm ci` on the machine
      # that runs it and is never shipped (build/ is git-ignored and not part of the nx cache). GEMM speed comes
      # from OpenBLAS either way; -march=native only helps the elementwise loops (AVX-512 on this machine).
      # -fopenmp-simd enables `#pragma omp simd` (vectorised double reductions) without OpenMP's runtime and
      # without -ffast-math, which would change NaN/Inf semantics.
      "cflags_c": ["-std=gnu11", "-O3", "-march=native", "-fopenmp-simd", "-fno-math-errno"]
    }
  ]
}
