/**
 * Adam (Kingma & Ba 2015) and AdamW (Loshchilov & Hutter 2019), step t = 1, 2, ...:
 *   m ← β1·m + (1−β1)·g            v ← β2·v + (1−β2)·g²
 *   m̂ = m / (1 − β1^t)             v̂ = v / (1 − β2^t)          (bias correction: m and v start at 0, so
 *   p ← p − lr·( m̂ / (√v̂ + ε) + wd·p )                           without it the first steps are ~(1−β1) too small)
 * At t = 1: m̂ = (1−β1)g/(1−β1) = g and v̂ = g², so with ε = 0 the first update is exactly lr·sign(g).
 * AdamW's decay wd·p is decoupled from the gradient (it does not pass through m, v) and applies to the
 * weights only: each layer's bias row is updated with wd = 0. Plain Adam uses wd = 0 everywhere (the L2
 * term, when wanted, enters through the gradient).
 */
import type { FloatArray, Kernels } from '../kernels/types.js';
import type { Optimizer } from './types.js';

export interface AdamConfig { beta1: number; beta2: number; eps: number; /** AdamW decay; 0 = Adam */ weightDecay: number }

interface Segment { p: FloatArray; g: FloatArray; m: FloatArray; v: FloatArray; n: number; wd: number }

export class AdamOptimizer implements Optimizer {
  steps = 0;
  /** first and second moment estimates: (numParams) each */
  readonly m: FloatArray;
  readonly v: FloatArray;
  private readonly segments: Segment[];

  /**
   * layers: the (nIn + 1, nOut) blocks (bias row first) that tell biases from weights for AdamW's decay.
   */
  constructor(
    private readonly k: Kernels,
    params: FloatArray, // (numParams)
    grads: FloatArray, // (numParams)
    layers: ReadonlyArray<{ offset: number; size: number; nOut: number }>,
    private readonly cfg: AdamConfig,
  ) {
    const alloc = (n: number): FloatArray => k.alloc(params instanceof Float64Array ? 'float64' : 'float32', n);
    this.m = alloc(params.length);
    this.v = alloc(params.length);
    const seg = (from: number, to: number, wd: number): Segment => ({
      p: params.subarray(from, to), g: grads.subarray(from, to), m: this.m.subarray(from, to), v: this.v.subarray(from, to), n: to - from, wd,
    });
    if (cfg.weightDecay === 0) {
      this.segments = [seg(0, params.length, 0)];
    } else {
      this.segments = [];
      for (const l of layers) {
        this.segments.push(seg(l.offset, l.offset + l.nOut, 0)); // bias row: no decay
        this.segments.push(seg(l.offset + l.nOut, l.offset + l.size, cfg.weightDecay));
      }
    }
  }

  step(lr: number): void {
    const t = ++this.steps;
    const { beta1, beta2, eps } = this.cfg;
    const bc1 = 1 - Math.pow(beta1, t);
    const bc2 = 1 - Math.pow(beta2, t);
    for (const s of this.segments) this.k.adamStep(s.p, s.g, s.m, s.v, s.n, lr, beta1, beta2, eps, bc1, bc2, s.wd);
  }
}
