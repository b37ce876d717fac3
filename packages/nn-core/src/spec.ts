/** Model spec validation and the mapping from names to kernel codes. */
import { NnCoreError } from './errors.js';
import { Act, OutLoss } from './kernels/types.js';
import type { Activation, ModelSpec } from './types.js';

export const ACTIVATIONS: readonly Activation[] = ['sigmoid', 'tanh', 'relu', 'leaky-relu', 'identity'];

export function describeLayers(layers: number[]): string {
  return layers.join('-');
}

/** Size of each layer's (nIn + 1, nOut) block. */
export function blockSizes(layers: number[]): number[] {
  const out: number[] = [];
  for (let l = 1; l < layers.length; l++) out.push((layers[l - 1] + 1) * layers[l]);
  return out;
}

export function actCode(a: Activation): Act {
  switch (a) {
    case 'identity': return Act.Identity;
    case 'sigmoid': return Act.Sigmoid;
    case 'tanh': return Act.Tanh;
    case 'relu': return Act.Relu;
    case 'leaky-relu': return Act.LeakyRelu;
  }
}

/** The fused output kernel for the spec's output + loss pair (the spec must be valid). */
export function outLossCode(spec: ModelSpec): OutLoss {
  if (spec.loss === 'cross-entropy') return spec.output === 'softmax' ? OutLoss.SoftmaxCe : OutLoss.SigmoidBce;
  return spec.output === 'identity' ? OutLoss.IdentityMse : OutLoss.SigmoidMse;
}

export function leakySlope(spec: ModelSpec): number {
  return spec.leakySlope ?? 0.01;
}

/** Throws NnCoreError('BAD_SPEC') naming the field and the fix. */
export function validateSpec(spec: ModelSpec): void {
  const bad = (msg: string): never => { throw new NnCoreError('BAD_SPEC', `model: ${msg}`); };
  if (!Array.isArray(spec.layers) || spec.layers.length < 2) bad(`layers must list at least the input and output sizes (e.g. [784, 5, 5, 10]), got ${JSON.stringify(spec.layers)}`);
  spec.layers.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 1) bad(`layers[${i}] = ${n} is not a positive integer; fix: give every layer size as a whole number >= 1`);
  });
  if (!ACTIVATIONS.includes(spec.activation)) bad(`activation '${String(spec.activation)}' is unknown; use one of ${ACTIVATIONS.join(', ')}`);
  const pairs: Record<string, string[]> = { 'cross-entropy': ['sigmoid', 'softmax'], mse: ['identity', 'sigmoid'] };
  const outs = pairs[spec.loss];
  if (outs === undefined) bad(`loss '${String(spec.loss)}' is unknown; use cross-entropy or mse`);
  if (!outs.includes(spec.output)) {
    bad(`output '${String(spec.output)}' cannot go with loss '${spec.loss}'; use output ${outs.join(' or ')} with ${spec.loss}`);
  }
  const s = spec.leakySlope;
  if (s !== undefined && !(Number.isFinite(s) && s >= 0 && s < 1)) bad(`leakySlope ${s} must be in [0, 1)`);
  const K = spec.layers[spec.layers.length - 1];
  if (spec.output === 'softmax' && K < 2) bad('a softmax output needs at least 2 units');
}
