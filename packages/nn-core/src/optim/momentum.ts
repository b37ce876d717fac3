/**
 * Heavy-ball momentum, PyTorch convention (no dampening): v ← μ·v + g; p ← p − lr·v.
 * Nesterov: v ← μ·v + g; p ← p − lr·(g + μ·v), i.e. the step looks ahead along the updated velocity.
 * The velocity starts at 0, so the first step is plain SGD (v₁ = g₁) for heavy-ball and lr·(1 + μ)·g₁ for Nesterov.
 */
import type { FloatArray, Kernels } from '../kernels/types.js';
import type { Optimizer } from './types.js';

export class MomentumOptimizer implements Optimizer {
  steps = 0;
  /** velocity: (numParams), same dtype and layout as params */
  readonly velocity: FloatArray;

  constructor(
    private readonly k: Kernels,
    private readonly params: FloatArray, // (numParams)
    private readonly grads: FloatArray, // (numParams)
    private readonly mu: number,
    private readonly nesterov: boolean,
  ) {
    this.velocity = k.alloc(params instanceof Float64Array ? 'float64' : 'float32', params.length);
    this.fused = { mu, nesterov, velocity: this.velocity, countStep: () => { this.steps++; } };
  }

  readonly fused: { mu: number; nesterov: boolean; velocity: FloatArray; countStep(): void };

  step(lr: number): void {
    this.k.momentumStep(this.params, this.grads, this.velocity, this.params.length, lr, this.mu, this.nesterov);
    this.steps++;
  }
}
