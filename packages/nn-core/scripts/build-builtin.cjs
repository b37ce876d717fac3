#!/usr/bin/env node
// Builds the addon a second time with OpenBLAS hidden (SWEEPLAB_NO_OPENBLAS=1): the built-in GEMM tier, into
// build-builtin/Release/nn_core.node (git-ignored), next to the normal build in build/Release. The nn-core tests
// run every native test on both files when present, so a machine with OpenBLAS (CI) tests all three tiers:
// OpenBLAS, built-in GEMM, TypeScript. scripts/test.sh calls this before the tests
// (`npm run build:builtin -w @sweeplab/nn-core`; run it under npm, which puts node-gyp on PATH).
//
// node-gyp always builds into ./build of the directory it runs in, so the sources (binding.gyp, native/,
// scripts/detect-openblas.cjs) are copied to build-builtin/src and built there. Skipped when a stamp of the
// inputs (their contents, Node's ABI, SWEEPLAB_MARCH) matches the last build. Never fails the caller: without a
// compiler (or node-gyp) it says why and exits 0, and the tests skip the built-in tier with that reason.
'use strict';
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const pkg = join(__dirname, '..');
const out = join(pkg, 'build-builtin');
const src = join(out, 'src');
const target = join(out, 'Release', 'nn_core.node');
const stampFile = join(out, 'stamp.txt');

const inputs = ['binding.gyp', 'scripts/detect-openblas.cjs', ...readdirSync(join(pkg, 'native')).sort().map((f) => `native/${f}`)];
const hash = createHash('sha256');
for (const f of inputs) hash.update(`${f}\0`).update(readFileSync(join(pkg, f)));
hash.update(`abi ${process.versions.modules} march ${process.env.SWEEPLAB_MARCH ?? ''} plain ${process.env.SWEEPLAB_GEMM_PLAIN ?? ''}`);
const stamp = hash.digest('hex');

if (existsSync(target) && existsSync(stampFile) && readFileSync(stampFile, 'utf8').trim() === stamp) {
  console.log('nn-core: build-builtin/Release/nn_core.node is up to date (built-in GEMM tier)');
  process.exit(0);
}

rmSync(out, { recursive: true, force: true });
mkdirSync(join(src, 'scripts'), { recursive: true });
for (const f of inputs) cpSync(join(pkg, f), join(src, f));
const r = spawnSync('node-gyp', ['rebuild'], {
  cwd: src,
  env: { ...process.env, SWEEPLAB_NO_OPENBLAS: '1' },
  stdio: ['ignore', 'pipe', 'pipe'],
  encoding: 'utf8',
});
if (r.error || r.status !== 0) {
  const why = r.error ? r.error.message : (r.stderr || r.stdout || '').trim().split('\n').slice(-3).join(' | ');
  console.log(`nn-core: the built-in GEMM addon (build-builtin/) was not built (${why}); its tests will be skipped`);
  process.exit(0);
}
mkdirSync(join(out, 'Release'), { recursive: true });
cpSync(join(src, 'build', 'Release', 'nn_core.node'), target);
writeFileSync(stampFile, `${stamp}\n`);
console.log('nn-core: built build-builtin/Release/nn_core.node (built-in GEMM tier, OpenBLAS hidden)');
