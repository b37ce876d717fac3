import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeSchedule } from './schedule.js';

test('constant, step and cosine schedules per epoch', () => {
  assert.deepEqual([1, 5, 9].map(makeSchedule(0.3, 9, 'constant')), [0.3, 0.3, 0.3]);
  assert.deepEqual([1, 5, 9].map(makeSchedule(0.3, 9, undefined)), [0.3, 0.3, 0.3]);
  // 'step' alone: every max(1, floor(9/3)) = 3 epochs, gamma 0.1 -> epochs 1-3: 1, 4-6: 0.1, 7-9: 0.01
  const s = makeSchedule(1, 9, 'step');
  assert.deepEqual([1, 3, 4, 6, 7, 9].map(s), [1, 1, 0.1, 0.1, 0.1 * 0.1, 0.1 * 0.1]);
  assert.deepEqual([1, 2, 3].map(makeSchedule(1, 2, 'step')), [1, 0.1, 0.1 * 0.1]); // floor(2/3) = 0 -> every 1
  assert.deepEqual([1, 2, 3, 4, 5].map(makeSchedule(2, 5, { step: { every: 2, gamma: 0.5 } })), [2, 2, 1, 1, 0.5]);
  // cosine over E = 4 epochs from 1 to min 0.2: e = 1 -> 1; e = 3 (half way) -> (1 + 0.2)/2; e = 2 -> 0.2 + 0.8·(1 + cos(π/4))/2
  const c = makeSchedule(1, 4, { cosine: { min_lr: 0.2 } });
  assert.equal(c(1), 1);
  assert.ok(Math.abs(c(3) - 0.6) < 1e-15);
  assert.ok(Math.abs(c(2) - (0.2 + 0.4 * (1 + Math.SQRT1_2))) < 1e-15);
  assert.ok(Math.abs(makeSchedule(1, 4, 'cosine')(3) - 0.5) < 1e-15);
  assert.throws(() => makeSchedule(1, 4, { step: { every: 0 } }), /train\.schedule: step\.every 0 must be a whole number/);
  assert.throws(() => makeSchedule(1, 4, 'linear' as 'step'), /"linear" is not a schedule/);
});
