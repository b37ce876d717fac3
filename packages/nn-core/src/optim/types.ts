/** The optimizer interface the trainer drives: one update of the flat parameters from the flat gradient. */
export interface Optimizer {
  /** Applies one update with learning rate `lr` to the params from the grads given at construction. */
  step(lr: number): void;
  /** Number of updates made so far. */
  readonly steps: number;
}
