import type { FloatArray } from '../kernels/types.js';

/** The optimizer interface the trainer drives: one update of the flat parameters from the flat gradient. */
export interface Optimizer {
  /** Applies one update with learning rate `lr` to the params from the grads given at construction. */
  step(lr: number): void;
  /** Number of updates made so far. */
  readonly steps: number;
  /**
   * SGD and momentum: the step's parameters, for a trainer that applies the step inside the backward pass
   * (net.ts backwardStep); it then calls countStep() once per update instead of step(). Absent for Adam.
   */
  readonly fused?: { mu: number; nesterov: boolean; velocity: FloatArray | null; countStep(): void };
}
