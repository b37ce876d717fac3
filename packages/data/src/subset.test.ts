import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describeData, loadData, type DataSpec, type LoadedData, type Split, type SubsetSpec } from './index.js';
import { selectIndices, stratifiedQuotas } from './subset.js';
import { imageIndex, labelsWithCounts, smallDataset, tempDir, throwsSpec, writeDataset } from './testing/fixtures.js';

// 60 training images: 30 of class 0, 20 of class 1, 10 of class 2 (round robin until a class runs out).
const TRAIN = labelsWithCounts([30, 20, 10]);
const TEST = labelsWithCounts([4, 3, 3]);
const ROW = 6;
const dir = writeDataset(tempDir(), smallDataset(TRAIN, TEST));

const load = (train: number | SubsetSpec | undefined, extra: Partial<DataSpec> = {}): LoadedData =>
  loadData({ dataset: 'idx', path: dir, train, scale: [0, 255], ...extra });
const indices = (s: Split): number[] => Array.from({ length: s.n }, (_, r) => imageIndex(s.x, r, ROW));
const range = (a: number, b: number): number[] => Array.from({ length: b - a }, (_, i) => a + i);
const counts = (labels: ArrayLike<number>, k: number): number[] => {
  const c = new Array<number>(k).fill(0);
  for (let i = 0; i < labels.length; i++) c[labels[i]!]! += 1;
  return c;
};

describe('first: offset and count into the file order', () => {
  test('{offset: 10, count: 20} = images 10..29; labels follow', () => {
    const d = load({ offset: 10, count: 20 });
    assert.deepEqual(indices(d.train), range(10, 30));
    assert.deepEqual([...d.train.labels], TRAIN.slice(10, 30));
    assert.equal(d.train.n, 20);
    assert.equal(d.train.x.length, 20 * ROW);
  });

  test('a plain number is a count from the start; offset alone runs to the end; test subsets too', () => {
    assert.deepEqual(indices(load(7).train), range(0, 7));
    assert.deepEqual(indices(load({ offset: 55 }).train), range(55, 60));
    const d = load(undefined, { test: { offset: 2, count: 3 } });
    assert.deepEqual(indices(d.train), range(0, 60));
    assert.deepEqual(indices(d.test), [1002, 1003, 1004]);
  });
});

describe('random: seeded draw without replacement from [offset, end)', () => {
  test('deterministic for a seed, different across seeds, inside the range, no repeats', () => {
    const a = indices(load({ offset: 20, count: 15, sample: 'random', seed: 3 }).train);
    const b = indices(load({ offset: 20, count: 15, sample: 'random', seed: 3 }).train);
    const c = indices(load({ offset: 20, count: 15, sample: 'random', seed: 4 }).train);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a, c);
    for (const s of [a, c]) {
      assert.equal(s.length, 15);
      assert.equal(new Set(s).size, 15);
      assert.ok(s.every((i) => i >= 20 && i < 60), String(s));
    }
    assert.notDeepEqual(a, range(20, 35)); // not the first 15
  });

  test('every example of [offset, end) can be drawn', () => {
    const drawn = new Set<number>();
    for (let seed = 0; seed < 600; seed++) {
      drawn.add(selectIndices({ offset: 30, count: 1, sample: 'random', seed }, Uint8Array.from(TRAIN), 3)[0]!);
    }
    assert.deepEqual([...drawn].sort((a, b) => a - b), range(30, 60));
  });

  test('labels stay attached to their images', () => {
    const d = load({ count: 25, sample: 'random', seed: 9 });
    indices(d.train).forEach((i, r) => assert.equal(d.train.labels[r], TRAIN[i]));
  });
});

describe('stratified: class proportions of [offset, end)', () => {
  test('exact shares when they are whole numbers: 12 of 30/20/10 -> 6/4/2', () => {
    const d = load({ count: 12, sample: 'stratified', seed: 5 });
    assert.deepEqual(d.classCounts, [6, 4, 2]);
    assert.deepEqual(counts(d.train.labels, 3), [6, 4, 2]);
    const s = indices(d.train);
    assert.equal(new Set(s).size, 12);
    s.forEach((i, r) => assert.equal(d.train.labels[r], TRAIN[i]));
    // the classes are shuffled together, not grouped (so a validation carve takes from every class)
    const labels = [...d.train.labels];
    assert.notDeepEqual(labels, [...labels].sort((a, b) => a - b));
  });

  test('fractional shares sum exactly to count, each within floor/ceil of its proportion', () => {
    for (const [offset, count] of [[0, 7], [25, 11], [33, 26], [0, 59]] as const) {
      const avail = counts(TRAIN.slice(offset), 3);
      const n = 60 - offset;
      const d = load({ offset, count, sample: 'stratified', seed: 2 });
      const got = counts(d.train.labels, 3);
      assert.equal(got.reduce((x, y) => x + y, 0), count);
      got.forEach((g, c) => {
        const share = (count * avail[c]!) / n;
        assert.ok(g === Math.floor(share) || g === Math.ceil(share), `offset ${offset} count ${count} class ${c}: ${g} vs ${share}`);
      });
      assert.ok(indices(d.train).every((i) => i >= offset));
    }
  });

  test('ties go to the lower class; seeds change the draw, not the shares', () => {
    assert.deepEqual(stratifiedQuotas([10, 10, 10], 10), [4, 3, 3]);
    // shares 0.5, 0.5, 0, 1: class 3 gets its whole 1, the one left goes to class 0 (tie with class 1)
    assert.deepEqual(stratifiedQuotas([1, 1, 0, 2], 2), [1, 0, 0, 1]);
    const a = load({ count: 9, sample: 'stratified', seed: 1 });
    const b = load({ count: 9, sample: 'stratified', seed: 2 });
    assert.deepEqual(a.classCounts, b.classCounts);
    assert.notDeepEqual(indices(a.train), indices(b.train));
    assert.deepEqual(indices(a.train), indices(load({ count: 9, sample: 'stratified', seed: 1 }).train));
  });
});

describe('validation: carved from the end of the selected training subset', () => {
  test('first: train keeps the start, validation is the last v', () => {
    const d = load({ offset: 10, count: 20 }, { validation: 5 });
    assert.deepEqual(indices(d.train), range(10, 25));
    assert.deepEqual(indices(d.validation!), range(25, 30));
    assert.deepEqual([...d.validation!.labels], TRAIN.slice(25, 30));
    assert.deepEqual(d.classCounts, counts(TRAIN.slice(10, 25), 3));
    const info = describeData({ dataset: 'idx', path: dir, train: { offset: 10, count: 20 }, validation: 5 });
    assert.deepEqual([info.trainSize, info.validationSize, info.testSize], [15, 5, 10]);
  });

  test('random: train + validation = the same draw as without validation', () => {
    const whole = indices(load({ count: 30, sample: 'random', seed: 8 }).train);
    const d = load({ count: 30, sample: 'random', seed: 8 }, { validation: 6 });
    assert.deepEqual(indices(d.train), whole.slice(0, 24));
    assert.deepEqual(indices(d.validation!), whole.slice(24));
  });
});

describe('out-of-range and malformed subsets', () => {
  const spec = (over: Partial<DataSpec>): (() => unknown) => () => describeData({ dataset: 'idx', path: dir, ...over });

  test('offset + count beyond the file', () => {
    const e = throwsSpec(spec({ train: { offset: 50, count: 60 } }), 'OUT_OF_RANGE', 'data.train');
    assert.equal(e.message, 'data.train: offset 50 + count 60 exceeds the 60 training images; use count <= 10');
    throwsSpec(spec({ train: 61 }), 'OUT_OF_RANGE', 'data.train', ['count 61 exceeds the 60 training images', 'count <= 60']);
    throwsSpec(spec({ test: { offset: 5, count: 6 } }), 'OUT_OF_RANGE', 'data.test', ['10 test images', 'count <= 5']);
    throwsSpec(spec({ train: { offset: 60 } }), 'OUT_OF_RANGE', 'data.train', ['offset <= 59']);
    throwsSpec(() => loadData({ dataset: 'idx', path: dir, train: { offset: 50, count: 60 } }), 'OUT_OF_RANGE', 'data.train');
  });

  test('validation not below the training count', () => {
    throwsSpec(spec({ train: 20, validation: 20 }), 'BAD_VALIDATION', 'data.validation', ['20 selected training images', 'validation <= 19']);
    throwsSpec(spec({ validation: -1 }), 'BAD_VALIDATION', 'data.validation');
    throwsSpec(spec({ validation: 2.5 }), 'BAD_VALIDATION', 'data.validation');
  });

  test('negative, non-integer, zero, unknown keys, unknown sample, bad seed', () => {
    throwsSpec(spec({ train: { offset: -1, count: 5 } }), 'BAD_SUBSET', 'data.train.offset', ['integer >= 0']);
    throwsSpec(spec({ train: { count: 2.5 } }), 'BAD_SUBSET', 'data.train.count', ['integer >= 1']);
    throwsSpec(spec({ train: 0 }), 'BAD_SUBSET', 'data.train', ['integer >= 1']);
    throwsSpec(spec({ test: -3 }), 'BAD_SUBSET', 'data.test');
    throwsSpec(spec({ train: { cout: 5 } as SubsetSpec }), 'BAD_SUBSET', 'data.train.cout', ['unknown key']);
    throwsSpec(spec({ train: { sample: 'shuffle' } as unknown as SubsetSpec }), 'BAD_SUBSET', 'data.train.sample', ['first, random, stratified']);
    throwsSpec(spec({ train: { sample: 'random', seed: -1 } }), 'BAD_SUBSET', 'data.train.seed');
    throwsSpec(spec({ train: { sample: 'random', seed: 0.5 } }), 'BAD_SUBSET', 'data.train.seed');
    throwsSpec(spec({ train: '10' as unknown as number }), 'BAD_SUBSET', 'data.train');
  });
});
