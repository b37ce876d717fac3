import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSpecError, loadData, oneHot, type DataSpec } from './index.js';
import { idxBytes, smallDataset, tempDir, throwsSpec, writeDataset } from './testing/fixtures.js';

const close = (actual: ArrayLike<number>, expected: number[], tol = 1e-12): void => {
  assert.equal(actual.length, expected.length);
  for (let i = 0; i < expected.length; i++) {
    assert.ok(Math.abs(actual[i]! - expected[i]!) <= tol, `[${i}] ${actual[i]} vs ${expected[i]}`);
  }
};

/** One 2x3 training image with pixels 0, 51, ..., 255 and one test image with 255, 0, 17, 34, 68, 85. */
function rampDir(): string {
  return writeDataset(tempDir(), {
    train_images: idxBytes([1, 2, 3], [0, 51, 102, 153, 204, 255]),
    train_labels: idxBytes([1], [0]),
    test_images: idxBytes([1, 2, 3], [255, 0, 17, 34, 68, 85]),
    test_labels: idxBytes([1], [1]),
  });
}

describe('scale: [a, b] maps p to a + (b - a) p / 255', () => {
  test('default [0, 1]', () => {
    const d = loadData({ dataset: 'idx', path: rampDir() });
    close(d.train.x, [0, 0.2, 0.4, 0.6, 0.8, 1]);
    close(d.test.x, [1, 0, 1 / 15, 2 / 15, 4 / 15, 1 / 3]);
  });

  test("[-1, 1] (the question's 2x - 1) and an inverted range", () => {
    close(loadData({ dataset: 'idx', path: rampDir(), scale: [-1, 1] }).train.x, [-1, -0.6, -0.2, 0.2, 0.6, 1]);
    close(loadData({ dataset: 'idx', path: rampDir(), scale: [1, 0] }).train.x, [1, 0.8, 0.6, 0.4, 0.2, 0]);
  });

  test('bad scale values', () => {
    const dir = rampDir();
    for (const scale of [[0], [0, Number.NaN], [0, Infinity], 'minmax', [0, '1']]) {
      throwsSpec(() => loadData({ dataset: 'idx', path: dir, scale } as unknown as DataSpec), 'BAD_SCALE', 'data.scale', ["'standardize'"]);
    }
  });
});

describe('standardize: training-split statistics for every split', () => {
  test('hand-derived: train pixels {0, 2} half each -> mean 1, std 1; validation excluded from the statistics', () => {
    const dir = writeDataset(tempDir(), {
      // images 0 and 1 are the training split, image 2 (all 100) is carved off as validation
      train_images: idxBytes([3, 2, 2], [0, 0, 2, 2, 0, 2, 0, 2, 100, 100, 100, 100]),
      train_labels: idxBytes([3], [0, 1, 0]),
      test_images: idxBytes([1, 2, 2], [5, 1, 0, 3]),
      test_labels: idxBytes([1], [1]),
    });
    const d = loadData({ dataset: 'idx', path: dir, scale: 'standardize', validation: 1 });
    close(d.train.x, [-1, -1, 1, 1, -1, 1, -1, 1]);
    close(d.validation!.x, [99, 99, 99, 99]);
    close(d.test.x, [4, 0, -1, 2]);
  });

  test('matches a two-pass mean/std over the selected training subset', () => {
    const files = smallDataset([0, 1, 2, 0, 1, 2, 0, 1, 2, 0], [0, 1, 2], 4, 5);
    const dir = writeDataset(tempDir(), files);
    const d = loadData({ dataset: 'idx', path: dir, train: { offset: 2, count: 6 }, scale: 'standardize' });
    // independent: raw pixels of images 2..7 straight from the fixture bytes (16-byte header)
    const px = Array.from(files.train_images.subarray(16 + 2 * 20, 16 + 8 * 20));
    const mean = px.reduce((a, b) => a + b, 0) / px.length;
    const std = Math.sqrt(px.reduce((a, p) => a + (p - mean) ** 2, 0) / px.length);
    close(d.train.x, px.map((p) => (p - mean) / std), 1e-12);
    const testPx = Array.from(files.test_images.subarray(16));
    close(d.test.x, testPx.map((p) => (p - mean) / std), 1e-12);
    let s = 0;
    for (const v of d.train.x) s += v;
    assert.ok(Math.abs(s / d.train.x.length) < 1e-12);
  });

  test('constant images (std 0) do not divide by zero', () => {
    const dir = writeDataset(tempDir(), {
      train_images: idxBytes([2, 1, 2], [7, 7, 7, 7]),
      train_labels: idxBytes([2], [0, 1]),
      test_images: idxBytes([1, 1, 2], [7, 9]),
      test_labels: idxBytes([1], [0]),
    });
    const d = loadData({ dataset: 'idx', path: dir, scale: 'standardize' });
    close(d.train.x, [0, 0, 0, 0]);
    close(d.test.x, [0, 2]);
  });
});

describe('dtype', () => {
  test('float64 by default; float32 holds the float32 rounding of the same values', () => {
    const dir = writeDataset(tempDir(), smallDataset([0, 1, 2, 1], [2, 0], 3, 3));
    for (const scale of [[-1, 1], 'standardize'] as const) {
      const spec: DataSpec = { dataset: 'idx', path: dir, scale: scale === 'standardize' ? scale : [...scale], validation: 1 };
      const d64 = loadData(spec);
      const d32 = loadData(spec, { dtype: 'float32' });
      assert.ok(d64.train.x instanceof Float64Array);
      assert.ok(d64.validation!.x instanceof Float64Array);
      for (const k of ['train', 'validation', 'test'] as const) {
        const x32 = d32[k]!.x;
        const x64 = d64[k]!.x;
        assert.ok(x32 instanceof Float32Array, k);
        assert.equal(x32.length, x64.length);
        for (let i = 0; i < x64.length; i++) assert.equal(x32[i], Math.fround(x64[i]!));
      }
      assert.ok(d64.train.x.some((v) => v !== Math.fround(v)), 'float64 keeps more precision than float32');
    }
    throwsSpec(() => loadData({ dataset: 'idx', path: dir }, { dtype: 'int8' as 'float32' }), 'BAD_ARGUMENT', 'loadData.dtype');
  });
});

describe('oneHot', () => {
  test('rows of zeros with a one at the label, into float32 or float64', () => {
    const labels = Uint8Array.of(2, 0, 1, 2);
    const out = new Float64Array(12).fill(5);
    oneHot(out, labels, 3);
    assert.deepEqual([...out], [0, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 1]);
    const o32 = new Float32Array(8);
    oneHot(o32, Uint8Array.of(3, 1), 4);
    assert.deepEqual([...o32], [0, 0, 0, 1, 0, 1, 0, 0]);
  });

  test('wrong output size, label >= k, bad k', () => {
    throwsSpec(() => oneHot(new Float64Array(5), Uint8Array.of(0, 1), 3), 'BAD_ARGUMENT', 'oneHot', ['needs 6']);
    throwsSpec(() => oneHot(new Float64Array(4), Uint8Array.of(0, 2), 2), 'BAD_ARGUMENT', 'oneHot', ['label 2', 'k = 2']);
    assert.throws(() => oneHot(new Float64Array(0), Uint8Array.of(), 0), DataSpecError);
  });
});
