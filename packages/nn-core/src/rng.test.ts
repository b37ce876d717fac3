import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from './rng.js';

const draw = (r: Rng, n: number) => Array.from({ length: n }, () => r.uniform());

test('same seed, same sequence; different seeds differ', () => {
  assert.deepEqual(draw(new Rng(7), 20), draw(new Rng(7), 20));
  assert.notDeepEqual(draw(new Rng(7), 20), draw(new Rng(8), 20));
});

test('fork gives independent, reproducible streams and does not advance the parent', () => {
  const a = new Rng(3);
  const s0 = draw(a.fork(0), 10);
  const s1 = draw(a.fork(1), 10);
  assert.notDeepEqual(s0, s1);
  assert.deepEqual(draw(new Rng(3).fork(0), 10), s0);
  assert.deepEqual(draw(a, 10), draw(new Rng(3), 10)); // forking left the parent untouched
  // forks of forks do not collide with sibling streams
  const nested = draw(new Rng(3).fork(1).fork(0), 10);
  assert.notDeepEqual(nested, draw(new Rng(3).fork(2), 10));
  assert.notDeepEqual(nested, s1);
});

test('uniform in [0, 1), normal ~ N(0, 1), int unbiased in range', () => {
  const r = new Rng(11);
  const n = 20000;
  let s = 0, s2 = 0, min = 1, max = 0;
  for (let i = 0; i < n; i++) { const u = r.uniform(); s += u; min = Math.min(min, u); max = Math.max(max, u); }
  assert.ok(min >= 0 && max < 1);
  assert.ok(Math.abs(s / n - 0.5) < 0.01); // sd of the mean = 0.29/√20000 ≈ 0.002
  s = 0;
  for (let i = 0; i < n; i++) { const z = r.normal(); s += z; s2 += z * z; }
  assert.ok(Math.abs(s / n) < 0.03, `mean ${s / n}`); // sd 0.007
  assert.ok(Math.abs(s2 / n - 1) < 0.04, `var ${s2 / n}`); // sd ≈ 0.01
  const counts = new Array(7).fill(0);
  for (let i = 0; i < 7000; i++) counts[r.int(7)]++;
  for (const c of counts) assert.ok(c > 850 && c < 1150, `counts ${counts}`); // expected 1000, sd ≈ 29
});

test('shuffle is a permutation and depends on the seed', () => {
  const a = Uint32Array.from({ length: 100 }, (_, i) => i);
  const b = Uint32Array.from(a);
  new Rng(1).shuffle(a);
  new Rng(2).shuffle(b);
  assert.deepEqual([...a].sort((x, y) => x - y), [...b].sort((x, y) => x - y));
  assert.notDeepEqual(a, b);
  assert.notDeepEqual([...a], Array.from({ length: 100 }, (_, i) => i));
});
