import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { describeData, loadData, type DataSpec } from './index.js';
import { idxBytes, imageIndex, indexedImages, NAMES, smallDataset, tempDir, throwsIdx, throwsSpec, writeDataset } from './testing/fixtures.js';

// 12 training images (labels cycle 0,1,2), 5 test images whose labels reach 4: numClasses = 5.
const TRAIN = [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2];
const TEST = [4, 0, 1, 2, 3];
const ROW = 6; // 2 x 3 images

describe('idx datasets', () => {
  test('a directory of the four files: sizes, inputSize, numClasses over train and test, labels and pixels', () => {
    const dir = writeDataset(tempDir(), smallDataset(TRAIN, TEST));
    const info = describeData({ dataset: 'idx', path: dir });
    assert.equal(info.inputSize, ROW);
    assert.equal(info.numClasses, 5); // max label 4 (test) + 1
    assert.deepEqual([info.trainSize, info.validationSize, info.testSize], [12, 0, 5]);
    assert.deepEqual(info.files, [NAMES.train_images, NAMES.train_labels, NAMES.test_images, NAMES.test_labels].map((n) => join(dir, n)));

    const d = loadData({ dataset: 'idx', path: dir, scale: [0, 255] });
    assert.equal(d.inputSize, ROW);
    assert.equal(d.numClasses, 5);
    assert.deepEqual([...d.train.labels], TRAIN);
    assert.deepEqual([...d.test.labels], TEST);
    assert.deepEqual(Array.from({ length: 12 }, (_, r) => imageIndex(d.train.x, r, ROW)), [...Array(12).keys()]);
    assert.deepEqual(Array.from({ length: 5 }, (_, r) => imageIndex(d.test.x, r, ROW)), [1000, 1001, 1002, 1003, 1004]);
    assert.deepEqual([...d.train.x.subarray(ROW, 2 * ROW)], [...indexedImages(1, 2, 3, 1)]);
    assert.deepEqual(d.classCounts, [4, 4, 4, 0, 0]);
    assert.equal(d.validation, null);
    assert.equal(d.fingerprint, info.fingerprint);
    assert.deepEqual(d.source, { dataset: 'idx', files: info.files });
  });

  test('.gz files are read transparently and give the same data and fingerprint', () => {
    const files = smallDataset(TRAIN, TEST);
    const plain = writeDataset(tempDir(), files);
    const gz = writeDataset(tempDir(), files, true);
    const a = loadData({ dataset: 'idx', path: plain });
    const b = loadData({ dataset: 'idx', path: gz });
    assert.ok(b.source.files.every((f) => f.endsWith('.gz')));
    assert.deepEqual(b.train.x, a.train.x);
    assert.deepEqual(b.test.labels, a.test.labels);
    assert.equal(b.fingerprint, a.fingerprint);
    assert.equal(describeData({ dataset: 'idx', path: gz }).fingerprint, a.fingerprint);
    // fashion-mnist with a path override reads the same layout
    assert.equal(loadData({ dataset: 'fashion-mnist', path: gz }).fingerprint, a.fingerprint);
  });

  test('fingerprint changes with the content and not with the location', () => {
    const a = describeData({ dataset: 'idx', path: writeDataset(tempDir(), smallDataset(TRAIN, TEST)) }).fingerprint;
    const b = describeData({ dataset: 'idx', path: writeDataset(tempDir(), smallDataset(TRAIN, TEST)) }).fingerprint;
    const c = describeData({ dataset: 'idx', path: writeDataset(tempDir(), smallDataset(TRAIN, [4, 0, 1, 2, 2])) }).fingerprint;
    assert.match(a, /^[0-9a-f]{64}$/);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  test('files named individually, relative to baseDir', () => {
    const base = tempDir();
    const sub = join(base, 'sub');
    mkdirSync(sub);
    const f = smallDataset(TRAIN, TEST);
    writeFileSync(join(sub, 'tr-x'), f.train_images);
    writeFileSync(join(sub, 'tr-y'), f.train_labels);
    writeFileSync(join(sub, 'te-x.gz'), gzipSync(f.test_images));
    writeFileSync(join(sub, 'te-y'), f.test_labels);
    const spec: DataSpec = { dataset: 'idx', files: { train_images: 'sub/tr-x', train_labels: 'sub/tr-y', test_images: 'sub/te-x.gz', test_labels: join(sub, 'te-y') } };
    const d = loadData(spec, { baseDir: base });
    assert.deepEqual(d.source.files, ['tr-x', 'tr-y', 'te-x.gz', 'te-y'].map((n) => join(sub, n)));
    assert.deepEqual([...d.test.labels], TEST);
    // path + files: files override single names, the rest come from path
    const dir = writeDataset(tempDir(), smallDataset(TRAIN, [1, 1, 1, 1, 1]));
    const mixed = loadData({ dataset: 'idx', path: relative(base, dir), files: { test_labels: 'sub/te-y' } }, { baseDir: base });
    assert.deepEqual([...mixed.test.labels], TEST);
  });

  test('repeated loads return fresh arrays; a rewritten file is read again', () => {
    const dir = writeDataset(tempDir(), smallDataset(TRAIN, TEST));
    const a = loadData({ dataset: 'idx', path: dir });
    a.train.x.fill(-7);
    a.train.labels.fill(9);
    const b = loadData({ dataset: 'idx', path: dir });
    assert.equal(b.train.x[7], indexedImages(2, 2, 3)[7]! / 255);
    assert.deepEqual([...b.train.labels], TRAIN);
    // replace the test labels by a different file (new size and inode)
    const p = join(dir, NAMES.test_labels);
    writeFileSync(p + '.new', idxBytes([5], [3, 3, 3, 3, 3]));
    renameSync(p + '.new', p);
    assert.deepEqual([...loadData({ dataset: 'idx', path: dir }).test.labels], [3, 3, 3, 3, 3]);
  });
});

describe('dataset errors', () => {
  test('image and label counts differ: MISMATCHED_PAIR names the labels file', () => {
    const f = smallDataset(TRAIN, TEST);
    f.train_labels = idxBytes([11], TRAIN.slice(0, 11));
    const dir = writeDataset(tempDir(), f);
    const p = join(dir, NAMES.train_labels);
    throwsIdx(() => describeData({ dataset: 'idx', path: dir }), 'MISMATCHED_PAIR', p, ['11 labels', '12 images', join(dir, NAMES.train_images)]);
    throwsIdx(() => loadData({ dataset: 'idx', path: dir }), 'MISMATCHED_PAIR', p);
  });

  test('train and test image sizes differ: MISMATCHED_PAIR names the test images', () => {
    const f = smallDataset(TRAIN, TEST);
    f.test_images = idxBytes([5, 3, 2], indexedImages(5, 3, 2));
    const dir = writeDataset(tempDir(), f);
    throwsIdx(() => describeData({ dataset: 'idx', path: dir }), 'MISMATCHED_PAIR', join(dir, NAMES.test_images), ['3x2', '2x3']);
  });

  test('wrong ranks: 2-D images, 3-D labels', () => {
    const f = smallDataset(TRAIN, TEST);
    f.train_images = idxBytes([12, 6], indexedImages(12, 2, 3));
    let dir = writeDataset(tempDir(), f);
    throwsIdx(() => loadData({ dataset: 'idx', path: dir }), 'BAD_DIMS', join(dir, NAMES.train_images), ['3-D (n, rows, cols)', '(12, 6)']);
    const g = smallDataset(TRAIN, TEST);
    g.test_labels = idxBytes([5, 1, 1], TEST);
    dir = writeDataset(tempDir(), g);
    throwsIdx(() => describeData({ dataset: 'idx', path: dir }), 'BAD_DIMS', join(dir, NAMES.test_labels), ['1-D']);
  });

  test('a malformed file inside a dataset fails with its own path (describe reads only the header)', () => {
    const f = smallDataset(TRAIN, TEST);
    f.test_images = f.test_images.subarray(0, f.test_images.length - 1);
    const dir = writeDataset(tempDir(), f);
    const p = join(dir, NAMES.test_images);
    throwsIdx(() => describeData({ dataset: 'idx', path: dir }), 'TRUNCATED', p);
    throwsIdx(() => loadData({ dataset: 'idx', path: dir }), 'TRUNCATED', p);
  });

  test('missing file, missing directory', () => {
    const dir = writeDataset(tempDir(), smallDataset(TRAIN, TEST));
    rmSync(join(dir, NAMES.test_labels));
    throwsIdx(() => describeData({ dataset: 'idx', path: dir }), 'NOT_FOUND', join(dir, NAMES.test_labels), ['.gz']);
    const gone = join(tempDir(), 'gone');
    throwsIdx(() => loadData({ dataset: 'idx', path: gone }), 'NOT_FOUND', gone);
    throwsIdx(() => loadData({ dataset: 'idx', path: dir, files: { test_labels: 'x' } }, { baseDir: dir }), 'NOT_FOUND', join(dir, 'x'));
  });

  test('fashion-mnist in a directory that does not exist says how to install it', () => {
    const gone = join(tempDir(), 'fashion');
    throwsIdx(() => describeData({ dataset: 'fashion-mnist', path: gone }), 'NOT_FOUND', gone, ['apt-get install dataset-fashion-mnist']);
  });

  test('bad gzip inside a dataset', () => {
    const dir = writeDataset(tempDir(), smallDataset(TRAIN, TEST), true);
    const p = join(dir, NAMES.train_labels + '.gz');
    writeFileSync(p, Uint8Array.of(0x1f, 0x8b, 8, 0, 1, 2, 3));
    throwsIdx(() => describeData({ dataset: 'idx', path: dir }), 'BAD_GZIP', p);
  });

  test('mnist checksum mismatch names the file, both hashes and the fix', () => {
    // valid IDX files that are not the MNIST files
    const f = smallDataset(TRAIN, TEST);
    const dir = writeDataset(tempDir(), f);
    const p = join(dir, NAMES.train_labels);
    const actual = createHash('sha256').update(f.train_labels).digest('hex');
    const e = throwsIdx(() => describeData({ dataset: 'mnist' }, { mnistDir: dir }), 'CHECKSUM', p, [
      actual,
      '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      'npm ci',
    ]);
    assert.match(e.message, /expected 65a5.*got /);
    throwsIdx(() => loadData({ dataset: 'mnist' }, { mnistDir: dir }), 'CHECKSUM', join(dir, NAMES.train_images), [
      'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
    ]);
  });

  test('spec errors: unknown dataset or key, paths that do not apply or are missing', () => {
    throwsSpec(() => describeData({ dataset: 'cifar' } as unknown as DataSpec), 'BAD_DATASET', 'data.dataset', ['mnist, fashion-mnist, idx']);
    throwsSpec(() => describeData({ dataset: 'mnist', path: '/tmp' }), 'BAD_DATASET', 'data.path', ['dataset: idx']);
    throwsSpec(() => describeData({ dataset: 'idx' }), 'BAD_PATH', 'data.path');
    throwsSpec(() => describeData({ dataset: 'idx', files: { train_images: 'a' } }), 'BAD_PATH', 'data.files.train_labels');
    throwsSpec(() => describeData({ dataset: 'idx', path: '.', files: { train_imgs: 'a' } } as unknown as DataSpec), 'BAD_PATH', 'data.files.train_imgs');
    throwsSpec(() => describeData({ dataset: 'mnist', shuffle: true } as unknown as DataSpec), 'BAD_DATASET', 'data.shuffle', ['unknown key']);
  });
});
