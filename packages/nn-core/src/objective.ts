/** The MLP's cost J as a gradcheck Objective: parameters perturbed in place by the checker. */
import { NnCoreError } from './errors.js';
import { Act } from './kernels/types.js';
import { addL2Grad, checkSet, chunkViews, CHUNK, forward, fullBatchGradient, weightSumSq, Workspace } from './net.js';
import type { LabeledSet, Mlp, Objective } from './types.js';

/**
 * J(params) = (1/n) Σ loss_i + λ/(2n) Σ_l ||W_l||² over the whole `set` (n = set.n, the question's
 * convention), for a float64 model. `params` IS model.params: perturbing it perturbs the model.
 *
 * kinkSignature() hashes the signs of the ReLU / leaky-ReLU pre-activations (z > 0) of every hidden unit
 * and input seen by the LAST cost() or gradient() evaluation (it runs one itself if none ran yet); for
 * smooth activations it is always 0. A checker compares it across ±eps evaluations: a change means the
 * perturbation crossed a kink and the finite difference is meaningless there.
 */
export function mlpObjective(model: Mlp, set: LabeledSet, l2: number): Objective {
  if (model.dtype !== 'float64' || !(model.params instanceof Float64Array)) {
    throw new NnCoreError('BAD_OPTIONS', `mlpObjective: the model is ${model.dtype}; gradient checking needs a float64 model (createMlp with dtype 'float64')`);
  }
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new NnCoreError('BAD_OPTIONS', `mlpObjective: l2 ${l2} must be a number >= 0`);
  checkSet(model, set, 'mlpObjective set');
  if (set.n === 0) throw new NnCoreError('BAD_DATA', 'mlpObjective set: empty; give at least one example');
  const N = set.n;
  const ws = new Workspace(model, Math.min(CHUNK, N));
  const chunks = chunkViews(set.x, N, model.layers[0].nIn);
  const K = model.layers[model.layers.length - 1].nOut;
  const kinked = ws.act === Act.Relu || ws.act === Act.LeakyRelu;
  let signature = 0;
  let evaluated = false;

  /** Folds the sign pattern of the hidden activations of one chunk into h (two 32-bit FNV-1a lanes). */
  const foldSigns = (rows: number, h1: number, h2: number): [number, number] => {
    for (let l = 0; l < model.layers.length - 1; l++) {
      const A = ws.acts[l];
      const n = rows * model.layers[l].nOut;
      for (let i = 0; i < n; i++) {
        const bit = A[i] > 0 ? 1 : 0; // relu/leaky: a > 0 <=> z > 0
        h1 = Math.imul(h1 ^ bit, 16777619);
        h2 = Math.imul(h2 ^ (bit + i), 0x01000193 ^ 0x5bd1e995);
      }
    }
    return [h1, h2];
  };

  const l2Term = (): number => (l2 / (2 * N)) * weightSumSq(model);

  const obj: Objective = {
    params: model.params,
    layers: model.layers.map((v) => ({ nIn: v.nIn, nOut: v.nOut, offset: v.offset })),
    cost(): number {
      let loss = 0;
      let h1 = 0x811c9dc5 | 0;
      let h2 = 0x1b873593 | 0;
      for (const ch of chunks) {
        ws.setTargets(set.labels, ch.start, ch.rows, K);
        loss += forward(model, ws, ch.x, ch.rows, 1);
        if (kinked) [h1, h2] = foldSigns(ch.rows, h1, h2);
      }
      signature = kinked ? (h1 >>> 0) * 2097152 + ((h2 >>> 0) & 0x1fffff) : 0; // 53 bits
      evaluated = true;
      return loss / N + l2Term();
    },
    gradient(out: Float64Array): void {
      fullBatchGradient(model, ws, set, chunks, N);
      addL2Grad(model, l2 / N);
      out.set(model.grads);
      if (kinked) {
        // the gradient pass ran the same forward; recompute the signature from a cost pass for simplicity
        obj.cost();
      }
      evaluated = true;
    },
    kinkSignature(): number {
      if (!evaluated) obj.cost();
      return signature;
    },
  };
  return obj;
}
