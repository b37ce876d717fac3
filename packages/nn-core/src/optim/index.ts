/** Builds the optimizer named in the training options over a model's flat buffers. */
import type { Mlp, TrainOptions } from '../types.js';
import { AdamOptimizer } from './adam.js';
import { SgdOptimizer } from './gd-sgd.js';
import { MomentumOptimizer } from './momentum.js';
import type { Optimizer } from './types.js';

export const OPTIMIZER_DEFAULTS = { momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 } as const;

export function makeOptimizer(model: Mlp, opts: TrainOptions): Optimizer {
  const k = model.kernels;
  switch (opts.optimizer) {
    case 'gd':
    case 'sgd':
      return new SgdOptimizer(k, model.params, model.grads);
    case 'momentum':
      return new MomentumOptimizer(k, model.params, model.grads, opts.momentum ?? OPTIMIZER_DEFAULTS.momentum, opts.nesterov ?? OPTIMIZER_DEFAULTS.nesterov);
    case 'adam':
    case 'adamw':
      return new AdamOptimizer(k, model.params, model.grads, model.layers, {
        beta1: opts.beta1 ?? OPTIMIZER_DEFAULTS.beta1,
        beta2: opts.beta2 ?? OPTIMIZER_DEFAULTS.beta2,
        eps: opts.eps ?? OPTIMIZER_DEFAULTS.eps,
        weightDecay: opts.optimizer === 'adamw' ? opts.weightDecay ?? OPTIMIZER_DEFAULTS.weightDecay : 0,
      });
  }
}
