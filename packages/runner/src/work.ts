/** How much computing a trial is: for progress ETAs and `plan`'s estimates. */
import type { TrialConfig } from './config/index.js';

/** Number of training examples the config selects. */
export function trainCount(config: Pick<TrialConfig, 'data'>): number {
  return config.data.train.count;
}

/** Number of test examples the config selects. */
export function testCount(config: Pick<TrialConfig, 'data'>): number {
  return config.data.test.count;
}

export function paramCount(layers: readonly number[]): number {
  let n = 0;
  for (let l = 1; l < layers.length; l++) n += ((layers[l - 1] ?? 0) + 1) * (layers[l] ?? 0);
  return n;
}

/** Work units of a trial: epochs x training examples x parameters (proportional to its flops). */
export function trialWork(config: TrialConfig): number {
  return Math.max(1, config.train.epochs) * trainCount(config) * paramCount(config.model.layers);
}

/**
 * Floating-point operations of a trial: each epoch trains on every sample (forward 2P + backward 4P flops for P
 * parameters) and evaluates train and test sets once (2P each); epoch 0 only evaluates.
 */
export function trialFlops(config: TrialConfig): number {
  const p = paramCount(config.model.layers);
  const n = trainCount(config);
  const e = Math.max(0, config.train.epochs);
  return e * n * 6 * p + (e + 1) * (n + testCount(config)) * 2 * p;
}

/** A readable name of an architecture: `784-5-5-10 sigmoid/sigmoid cross-entropy, l2 1`. */
export function archLabel(config: { model: { layers: readonly number[]; activation: string; output: string; loss: string }; train: { l2: number } }): string {
  const m = config.model;
  return `${m.layers.join('-')} ${m.activation}/${m.output} ${m.loss}, l2 ${config.train.l2}`;
}
