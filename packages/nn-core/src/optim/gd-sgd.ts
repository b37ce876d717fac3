/**
 * Plain gradient descent: p ← p − lr · g over the whole flat buffer.
 * Used by `gd` (g = full-batch gradient, the question's loop) and `sgd` (g = mini-batch gradient); the
 * difference between the two is only which rows the trainer uses to compute g.
 */
import type { FloatArray, Kernels } from '../kernels/types.js';
import type { Optimizer } from './types.js';

export class SgdOptimizer implements Optimizer {
  steps = 0;
  constructor(
    private readonly k: Kernels,
    private readonly params: FloatArray, // (numParams)
    private readonly grads: FloatArray, // (numParams)
  ) {}

  step(lr: number): void {
    this.k.sgdStep(this.params, this.grads, this.params.length, lr, 0);
    this.steps++;
  }

  readonly fused = { mu: 0, nesterov: false, velocity: null, countStep: () => { this.steps++; } };
}
