import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMlp } from './model.js';
import { predict } from './evaluate.js';
import { loadWeights, saveWeights } from './weights.js';
import { encodeNpy } from './npy.js';
import { WeightsFileError } from './errors.js';
import { Rng } from './rng.js';
import type { DType, ModelSpec } from './types.js';

const spec: ModelSpec = { layers: [6, 5, 4, 3], activation: 'tanh', output: 'softmax', loss: 'cross-entropy' };
const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
// numpy 2.4.6: np.savez(f, W1=[[0.5,-0.5],[1,2],[3,4]] (float64), W2=[[0.25],[-1],[1]] (float32)); the same with savez_compressed
const NPZ_STORED = 'UEsDBC0AAAAAAAAAIQDBaoTo//////////8GABQAVzEubnB5AQAQALAAAAAAAAAAsAAAAAAAAACTTlVNUFkBAHYAeydkZXNjcic6ICc8ZjgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMywgMiksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgCgAAAAAAAOA/AAAAAAAA4L8AAAAAAADwPwAAAAAAAABAAAAAAAAACEAAAAAAAAAQQFBLAwQtAAAAAAAAACEAd/5Crf//////////BgAUAFcyLm5weQEAEACMAAAAAAAAAIwAAAAAAAAAk05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsIDEpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAIA+AACAvwAAgD9QSwECLQMtAAAAAAAAACEAwWqE6LAAAACwAAAABgAAAAAAAAAAAAAAgAEAAAAAVzEubnB5UEsBAi0DLQAAAAAAAAAhAHf+Qq2MAAAAjAAAAAYAAAAAAAAAAAAAAIAB6AAAAFcyLm5weVBLBQYAAAAAAgACAGgAAACsAQAAAAA=';
const NPZ_DEFLATE = 'UEsDBC0AAAAIAAAAIQDBaoTo//////////8GABQAVzEubnB5AQAQALAAAAAAAAAAWgAAAAAAAACb7BfqGxDJyFDGUK2eklqcXKRupaBuk2ahrqOgnpZfVFKUmBefX5SSChJ3S8wpTgWKF2ckFqQC+RrGOgpGmjoKtQpkAy4GMHhgD6X3Q+gPUD6DA4TigNICDgBQSwMELQAAAAgAAAAhAHf+Qq3//////////wYAFABXMi5ucHkBABAAjAAAAAAAAABPAAAAAAAAAJvsF+obEMnIUMZQrZ6SWpxcpG6loG6TZqKuo6Cell9UUpSYF59flJIKEndLzClOBYoXZyQWpAL5GsY6CoaaOgq1CmQDLgaGBjsg3g/E9gBQSwECLQMtAAAACAAAACEAwWqE6FoAAACwAAAABgAAAAAAAAAAAAAAgAEAAAAAVzEubnB5UEsBAi0DLQAAAAgAAAAhAHf+Qq1PAAAAjAAAAAYAAAAAAAAAAAAAAIABkgAAAFcyLm5weVBLBQYAAAAAAgACAGgAAAAZAQAAAAA=';
const tinySpec: ModelSpec = { layers: [2, 2, 1], activation: 'relu', output: 'sigmoid', loss: 'cross-entropy' };

const dir = mkdtempSync(join(tmpdir(), 'nncore-weights-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

function inputs(n: number, dtype: DType) {
  const r = new Rng(5);
  const x = dtype === 'float64' ? new Float64Array(n * 6) : new Float32Array(n * 6);
  for (let i = 0; i < x.length; i++) x[i] = r.normal();
  return x;
}

test('saving to a .npy directory and to an .npz, then loading, reproduces predictions exactly', () => {
  for (const dtype of ['float64', 'float32'] as const) {
    const m = createMlp(spec, { dtype, init: 'xavier-normal', seed: 9 });
    const x = inputs(20, dtype);
    const before = predict(m, x, 20);
    for (const target of [join(dir, `npy-${dtype}`), join(dir, `w-${dtype}.npz`)]) {
      saveWeights(m, target);
      const loaded = createMlp(spec, { dtype, init: { npy: target }, seed: 1234 });
      assert.deepEqual(loaded.params, m.params, target);
      assert.deepEqual(predict(loaded, x, 20), before, target);
      assert.deepEqual(loadWeights(target, spec, dtype), m.params);
    }
    assert.deepEqual(readdirSync(join(dir, `npy-${dtype}`)).sort(), ['W1.npy', 'W2.npy', 'W3.npy']);
  }
});

test('reads .npz archives written by numpy (stored and deflated, mixed float64/float32)', () => {
  for (const [name, data] of [['stored.npz', NPZ_STORED], ['deflated.npz', NPZ_DEFLATE]]) {
    const p = join(dir, name);
    writeFileSync(p, b64(data));
    const w = loadWeights(p, tinySpec, 'float64');
    // W1 (3, 2) then W2 (3, 1), bias rows first, C order
    assert.deepEqual(Array.from(w), [0.5, -0.5, 1, 2, 3, 4, 0.25, -1, 1]);
  }
});

test('init { npy } resolves a relative path against baseDir', () => {
  const m = createMlp(spec, { dtype: 'float64', init: 'he', seed: 2 });
  saveWeights(m, join(dir, 'rel', 'init'));
  const loaded = createMlp(spec, { dtype: 'float64', init: { npy: 'rel/init' }, seed: 0, baseDir: dir });
  assert.deepEqual(loaded.params, m.params);
});

function expectError(fn: () => unknown, code: string, re: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof WeightsFileError, String(e));
    assert.equal(e.code, code);
    assert.match(e.message, re);
    assert.ok(!e.message.includes('\n'));
    return true;
  });
}

test('wrong layer count, wrong shape, missing file and corrupt archive are reported clearly', () => {
  const m = createMlp(spec, { dtype: 'float64', init: 'he', seed: 2 });
  const d = join(dir, 'bad');
  saveWeights(m, d);
  // one layer too many in the model
  expectError(() => loadWeights(d, { ...spec, layers: [6, 5, 4, 4, 3] }, 'float64'), 'LAYER_COUNT', /holds 3 weight arrays .* has 4 layers \(missing W4\).*W1\.\.W4/);
  // an extra W4.npy next to a 3-layer model
  writeFileSync(join(d, 'W4.npy'), encodeNpy(new Float64Array(4), [4, 1]));
  expectError(() => loadWeights(d, spec, 'float64'), 'LAYER_COUNT', /unexpected W4/);
  rmSync(join(d, 'W4.npy'));
  // transposed W2: (4, 6) instead of (6, 4)
  writeFileSync(join(d, 'W2.npy'), encodeNpy(new Float64Array(24), [4, 6]));
  expectError(() => loadWeights(d, spec, 'float64'), 'SHAPE', /W2\.npy: shape \(4, 6\) but layer 2 of 6-5-4-3 needs \(6, 4\); fix: it looks transposed/);
  // a vector
  writeFileSync(join(d, 'W2.npy'), encodeNpy(new Float64Array(24), [24]));
  expectError(() => loadWeights(d, spec, 'float64'), 'SHAPE', /shape \(24,\)/);
  expectError(() => loadWeights(join(dir, 'nope.npz'), spec, 'float64'), 'NOT_FOUND', /nope\.npz: no such file/);
  writeFileSync(join(dir, 'junk.npz'), new Uint8Array([1, 2, 3, 4, 5]));
  expectError(() => loadWeights(join(dir, 'junk.npz'), spec, 'float64'), 'CORRUPT', /junk\.npz: not a readable \.npz/);
  expectError(() => loadWeights(join(d, 'W1.npy'), spec, 'float64'), 'NOT_FOUND', /W1\.npy: is a single \.npy file; fix: give init\.npy the directory/);
  mkdirSync(join(dir, 'empty'));
  expectError(() => loadWeights(join(dir, 'empty'), spec, 'float64'), 'LAYER_COUNT', /holds 0 weight arrays \(none\)/);
});
