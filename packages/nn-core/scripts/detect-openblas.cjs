#!/usr/bin/env node
// Prints 1 when the native addon can link OpenBLAS here (binding.gyp's `has_openblas`), else 0.
// - SWEEPLAB_NO_OPENBLAS=1 hides OpenBLAS (CI builds the built-in GEMM tier on a machine that has it).
// - Otherwise a compile-and-link probe: a C file that includes <cblas.h> and calls cblas_sgemm and
//   openblas_get_corename, linked with -lopenblas, exactly as the addon is. This is the real question (a
//   pkg-config answer can be stale: `apt-get remove libopenblas-dev` leaves libopenblas-pthread-dev behind).
// Never fails: any error means 0 (the built-in GEMM needs only the compiler).
'use strict';
const { spawnSync } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

function detect() {
  const hide = process.env.SWEEPLAB_NO_OPENBLAS;
  if (hide !== undefined && hide !== '' && hide !== '0') return 0;
  const dir = mkdtempSync(join(tmpdir(), 'nn-core-probe-'));
  try {
    const src = join(dir, 'probe.c');
    writeFileSync(src, [
      '#include <cblas.h>',
      'int main(void) {',
      '  float a = 1, b = 2, c = 0;',
      '  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 1, 1, 1, 1.0f, &a, 1, &b, 1, 0.0f, &c, 1);',
      '  return openblas_get_corename() == 0;',
      '}',
      '',
    ].join('\n'));
    const cc = process.env.CC || 'cc';
    const r = spawnSync(cc, [src, '-o', join(dir, 'probe'), '-lopenblas'], { stdio: 'ignore', timeout: 60_000 });
    return r.status === 0 ? 1 : 0;
  } catch {
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.stdout.write(`${detect()}\n`);
