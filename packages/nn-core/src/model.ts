/**
 * The MLP: one flat parameter buffer and one flat gradient buffer, with per-layer views (the question's
 * layout: layer l owns a (nIn + 1, nOut) row-major block, row 0 = bias), and its initialisation.
 */
import { isAbsolute, resolve } from 'node:path';
import { NnCoreError } from './errors.js';
import { getBf16Kernels, getKernels, type KernelChoice } from './kernels/index.js';
import type { Kernels } from './kernels/types.js';
import { Rng } from './rng.js';
import { blockSizes, validateSpec } from './spec.js';
import type { DType, FloatArray, InitSpec, LayerView, Mlp, ModelSpec, StorageDType } from './types.js';
import { loadWeights } from './weights.js';

export const INIT_STREAM = 0;
export const SHUFFLE_STREAM = 1;

/** The typed-array dtype of a model dtype (bfloat16 models keep float32 master values). */
export function storageDtype(dtype: DType): StorageDType {
  return dtype === 'float64' ? 'float64' : 'float32';
}

function makeViews(layers: number[], params: FloatArray, grads: FloatArray): LayerView[] {
  const views: LayerView[] = [];
  let off = 0;
  for (let l = 1; l < layers.length; l++) {
    const nIn = layers[l - 1];
    const nOut = layers[l];
    const size = (nIn + 1) * nOut;
    views.push({
      nIn, nOut, offset: off, size,
      b: params.subarray(off, off + nOut),
      W: params.subarray(off + nOut, off + size),
      db: grads.subarray(off, off + nOut),
      dW: grads.subarray(off + nOut, off + size),
    });
    off += size;
  }
  return views;
}

function badInit(msg: string): never {
  throw new NnCoreError('BAD_OPTIONS', `init: ${msg}`);
}

/**
 * Fills params per `init`, drawing from `rng` layer by layer, row by row:
 * - { uniform: [a, b] } / { normal: [mean, std] }: every entry of each block, bias row included (the question
 *   draws its whole Theta matrices this way);
 * - xavier-uniform U(±√(6/(nIn+nOut))), xavier-normal N(0, √(2/(nIn+nOut))), he-uniform U(±√(6/nIn)),
 *   he-normal N(0, √(2/nIn)): weights only, biases 0. 'xavier' = xavier-uniform, 'he' = he-normal;
 *   'auto' = he for relu/leaky-relu hidden layers, xavier otherwise.
 */
function initParams(model: Mlp, init: InitSpec, rng: Rng): void {
  let scheme: string;
  if (typeof init === 'string') {
    scheme = init;
    if (scheme === 'auto') scheme = model.spec.activation === 'relu' || model.spec.activation === 'leaky-relu' ? 'he' : 'xavier';
    if (scheme === 'xavier') scheme = 'xavier-uniform';
    if (scheme === 'he') scheme = 'he-normal';
    if (!['xavier-uniform', 'xavier-normal', 'he-uniform', 'he-normal'].includes(scheme)) {
      badInit(`'${init}' is unknown; use uniform: [a, b], normal: [mean, std], xavier(-uniform|-normal), he(-uniform|-normal), auto or npy: <path>`);
    }
    for (const v of model.layers) {
      const fanAvg = scheme.startsWith('xavier') ? (v.nIn + v.nOut) / 2 : v.nIn;
      // uniform limit √(3·s²) with variance s² = 1/fanAvg (xavier) or 2/nIn (he): √(6/(nIn+nOut)), √(6/nIn)
      const variance = (scheme.startsWith('xavier') ? 1 : 2) / fanAvg;
      v.b.fill(0);
      if (scheme.endsWith('uniform')) {
        const lim = Math.sqrt(3 * variance);
        for (let i = 0; i < v.W.length; i++) v.W[i] = -lim + 2 * lim * rng.uniform();
      } else {
        const std = Math.sqrt(variance);
        for (let i = 0; i < v.W.length; i++) v.W[i] = std * rng.normal();
      }
    }
    return;
  }
  if ('uniform' in init) {
    const [a, b] = init.uniform;
    if (!(Number.isFinite(a) && Number.isFinite(b) && a <= b)) badInit(`uniform: [${a}, ${b}] needs finite bounds with a <= b`);
    for (let i = 0; i < model.numParams; i++) model.params[i] = a + (b - a) * rng.uniform();
    return;
  }
  if ('normal' in init) {
    const [mean, std] = init.normal;
    if (!(Number.isFinite(mean) && Number.isFinite(std) && std >= 0)) badInit(`normal: [${mean}, ${std}] needs a finite mean and std >= 0`);
    for (let i = 0; i < model.numParams; i++) model.params[i] = mean + std * rng.normal();
    return;
  }
  badInit(`${JSON.stringify(init)} is not an init spec`);
}

/**
 * Builds an MLP for `spec` with parameters in `dtype`, initialised per `init` from stream 0 of `seed`
 * (`new Rng(seed).fork(0)`), or read from NumPy files ({ npy: path }, relative to `baseDir`). `kernels`: a choice
 * ('auto' by default) or a Kernels object to use as is.
 */
export function createMlp(
  spec: ModelSpec,
  opts: { dtype: DType; init: InitSpec; seed: number; baseDir?: string; kernels?: KernelChoice | Kernels },
): Mlp {
  validateSpec(spec);
  if (opts.dtype !== 'float32' && opts.dtype !== 'float64' && opts.dtype !== 'bfloat16') {
    throw new NnCoreError('BAD_OPTIONS', `dtype '${String(opts.dtype)}' is not supported; use float32, float64 or bfloat16`);
  }
  // a Kernels object: e.g. another addon build (tests and benches compare tiers in one process); bfloat16:
  // the bf16 kernels (throws BF16_UNSUPPORTED when the CPU has none; never falls back silently)
  const kernels = typeof opts.kernels === 'object' && opts.kernels !== null ? opts.kernels
    : opts.dtype === 'bfloat16' ? getBf16Kernels(opts.kernels) : getKernels(opts.kernels);
  const numParams = blockSizes(spec.layers).reduce((a, b) => a + b, 0);
  const store = storageDtype(opts.dtype); // bfloat16 models keep float32 master weights
  const params = kernels.alloc(store, numParams);
  const grads = kernels.alloc(store, numParams);
  const model: Mlp = {
    spec: { ...spec, layers: [...spec.layers] },
    dtype: opts.dtype, params, grads, numParams, kernels,
    layers: makeViews(spec.layers, params, grads),
  };
  const init = opts.init;
  if (typeof init === 'object' && init !== null && 'npy' in init) {
    const p = isAbsolute(init.npy) ? init.npy : resolve(opts.baseDir ?? process.cwd(), init.npy);
    params.set(loadWeights(p, spec, storageDtype(opts.dtype)));
  } else {
    initParams(model, init, new Rng(opts.seed).fork(INIT_STREAM));
  }
  return model;
}
