import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { classPriorCost } from './prior.js';

test('class-prior cost: the cost of outputting the class frequencies, by output and loss', () => {
  // two balanced classes: BCE over 2 sigmoid outputs = 2 ln 2; softmax CE = ln 2; mse = ½ (¼ + ¼)
  assert.ok(Math.abs((classPriorCost([5, 5], 'sigmoid', 'cross-entropy') ?? NaN) - 2 * Math.LN2) < 1e-15);
  assert.ok(Math.abs((classPriorCost([5, 5], 'softmax', 'cross-entropy') ?? NaN) - Math.LN2) < 1e-15);
  assert.equal(classPriorCost([5, 5], 'sigmoid', 'mse'), 0.25);
  // one class only: nothing to learn, cost 0; 1:3 softmax = -(¼ ln ¼ + ¾ ln ¾)
  assert.equal(classPriorCost([0, 7], 'softmax', 'cross-entropy'), 0);
  assert.ok(Math.abs((classPriorCost([1, 3], 'softmax', 'cross-entropy') ?? NaN) - -(0.25 * Math.log(0.25) + 0.75 * Math.log(0.75))) < 1e-15);
  // pairs nn-core does not train, and no examples
  assert.equal(classPriorCost([5, 5], 'identity', 'cross-entropy'), null);
  assert.equal(classPriorCost([], 'softmax', 'cross-entropy'), null);
});
