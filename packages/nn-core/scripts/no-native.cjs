#!/usr/bin/env node
// Fallback of nn-core's `install` script ("node-gyp rebuild || node scripts/no-native.cjs"): the native kernel
// addon could not be built, which is allowed. Say so in one line and exit 0 so that `npm ci` still succeeds;
// nn-core then runs on its TypeScript kernels (src/kernels/js.ts) and reports why at run time.
// (npm hides the output of install scripts that succeed; `npm ci --foreground-scripts` shows this line.)
// The addon needs only a C compiler (make, python3 and Node's headers are there with npm): without OpenBLAS it
// builds its own GEMM (the built-in tier); with libopenblas-dev it links OpenBLAS (the fastest tier).
'use strict';
console.log(
  '@sweeplab/nn-core: native kernels not built, the TypeScript kernels will be used (correct, but training is 10-100x slower). ' +
    'Fast path: install a C compiler (Debian/Ubuntu: apt-get install -y build-essential; add libopenblas-dev for the OpenBLAS tier), ' +
    'then run `npm run install -w @sweeplab/nn-core`.',
);
process.exit(0);
