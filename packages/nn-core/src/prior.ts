/**
 * The class-prior cost: the cost of a net that outputs the training class frequencies p_k for every input, i.e. the
 * plateau of a net that learned nothing but the prior (the question's stuck cost of ~3.25 is this number).
 * sigmoid + cross-entropy (BCE summed over the K outputs): −Σ_k [p_k ln p_k + (1 − p_k) ln(1 − p_k)];
 * softmax + cross-entropy: −Σ_k p_k ln p_k; mse (½ Σ_k (h_k − y_k)² per example, nn-core's scaling): ½ Σ_k p_k (1 − p_k).
 * Null for a pair nn-core does not train (e.g. identity + cross-entropy) or no examples.
 */
export function classPriorCost(classCounts: ReadonlyArray<number>, output: string, loss: string): number | null {
  const total = classCounts.reduce((a, b) => a + b, 0);
  if (!(total > 0)) return null;
  const xlogx = (x: number) => (x > 0 ? x * Math.log(x) : 0);
  let j = 0;
  for (const c of classCounts) {
    const p = c / total;
    if (loss === 'mse') j += 0.5 * p * (1 - p);
    else if (loss !== 'cross-entropy') return null;
    else if (output === 'sigmoid') j -= xlogx(p) + xlogx(1 - p);
    else if (output === 'softmax') j -= xlogx(p);
    else return null;
  }
  return j;
}
