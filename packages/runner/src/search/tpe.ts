/**
 * The univariate Tree-structured Parzen Estimator (Bergstra, Bardenet, Bengio, Kégl, NIPS 2011) with Optuna's
 * defaults: the observed trials are split into the best γ(n) = min(⌈0.1·n⌉, 25) ("below") and the rest ("above");
 * each group gives every dimension a Parzen density (a truncated-normal mixture with a prior kernel for numbers, a
 * smoothed histogram for choices); 24 candidates are drawn from the "below" density and the one maximising
 * l(x)/g(x) is suggested. Pruned trials rank after every complete one (deeper first), and trials still running
 * count as the worst (constant liar), so parallel workers do not get the same suggestion.
 */
import { choiceIndex, toCoord, toValue, type ChoiceDim, type Dim, type NumericDim, type Uniform } from './space.js';

/** A trial the sampler learns from. `loss`: the objective made lower-is-better (non-finite: the worst). */
export interface Observation {
  params: Record<string, unknown>;
  loss: number;
  /** 'complete': trained to the end (done or diverged); 'pruned' at `step`; 'running': a pending suggestion */
  state: 'complete' | 'pruned' | 'running';
  step: number;
}

export const TPE_CANDIDATES = 24;
const PRIOR_WEIGHT = 1;

/** Optuna's default γ: the number of trials in the "below" group. */
export const gammaOf = (n: number): number => Math.min(Math.ceil(0.1 * n), 25);

/** Optuna's default weights by age (oldest first): flat up to 25, then a ramp from 1/n for the older ones. */
function ageWeights(n: number): number[] {
  if (n < 25) return new Array<number>(n).fill(1);
  const ramp = Array.from({ length: n - 25 }, (_, i) => (n - 25 === 1 ? 1 / n : 1 / n + (i * (1 - 1 / n)) / (n - 26)));
  return [...ramp, ...new Array<number>(25).fill(1)];
}

/** Splits the observations (in the order they were made) into below / above, each kept in that order. */
export function splitObservations(obs: readonly Observation[]): { below: Observation[]; above: Observation[] } {
  const rank = (o: Observation) => (o.state === 'complete' ? 0 : o.state === 'pruned' ? 1 : 2);
  const loss = (o: Observation) => (Number.isFinite(o.loss) ? o.loss : Infinity);
  const order = obs.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o)
    || (a.o.state === 'pruned' ? b.o.step - a.o.step : 0) || loss(a.o) - loss(b.o) || a.i - b.i);
  const nBelow = gammaOf(obs.length);
  const belowIdx = new Set(order.slice(0, nBelow).map((x) => x.i));
  return { below: obs.filter((_, i) => belowIdx.has(i)), above: obs.filter((_, i) => !belowIdx.has(i)) };
}

// ---- numbers

function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7)
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x >= 0 ? y : -y;
}
const Phi = (z: number) => 0.5 * (1 + erf(z / Math.SQRT2));

interface Mixture { mus: number[]; sigmas: number[]; weights: number[] }

/** The Parzen mixture of one group for one numeric dimension (Optuna's bandwidths with the "magic clip"). */
function numericMixture(d: NumericDim, xs: readonly number[]): Mixture {
  const prior = 0.5 * (d.low + d.high);
  const width = d.high - d.low;
  const withPrior = [...xs, prior];
  const order = withPrior.map((_, i) => i).sort((a, b) => (withPrior[a] as number) - (withPrior[b] as number));
  const sorted = [d.low, ...order.map((i) => withPrior[i] as number), d.high];
  const sig = new Array<number>(withPrior.length).fill(width);
  order.forEach((orig, k) => {
    const j = k + 1; // index in `sorted`
    let s = Math.max((sorted[j] as number) - (sorted[j - 1] as number), (sorted[j + 1] as number) - (sorted[j] as number));
    if (sorted.length >= 4) {
      if (k === 0) s = (sorted[2] as number) - (sorted[1] as number);
      if (k === order.length - 1) s = (sorted[sorted.length - 2] as number) - (sorted[sorted.length - 3] as number);
    }
    sig[orig] = s;
  });
  const minSigma = width / Math.min(100, 1 + withPrior.length);
  const sigmas = sig.map((s) => Math.min(width, Math.max(minSigma, s)));
  sigmas[sigmas.length - 1] = width; // the prior kernel
  const w = [...ageWeights(xs.length), PRIOR_WEIGHT];
  const total = w.reduce((a, b) => a + b, 0);
  return { mus: withPrior, sigmas, weights: w.map((x) => x / total) };
}

function numericLogPdf(d: NumericDim, m: Mixture, x: number): number {
  let p = 0;
  for (let k = 0; k < m.mus.length; k++) {
    const mu = m.mus[k] as number;
    const s = m.sigmas[k] as number;
    const z = Phi((d.high - mu) / s) - Phi((d.low - mu) / s);
    const u = (x - mu) / s;
    p += ((m.weights[k] as number) * Math.exp(-0.5 * u * u)) / (s * Math.sqrt(2 * Math.PI) * Math.max(z, 1e-12));
  }
  return Math.log(Math.max(p, 1e-300));
}

function pick(weights: readonly number[], rng: Uniform): number {
  let u = rng.next();
  for (let k = 0; k < weights.length; k++) {
    u -= weights[k] as number;
    if (u < 0) return k;
  }
  return weights.length - 1;
}

function numericSample(d: NumericDim, m: Mixture, rng: Uniform): number {
  const k = pick(m.weights, rng);
  for (let tries = 0; tries < 100; tries++) {
    const x = (m.mus[k] as number) + (m.sigmas[k] as number) * rng.normal();
    if (x >= d.low && x <= d.high) return x;
  }
  return d.low + rng.next() * (d.high - d.low);
}

// ---- choices

function choiceProbs(d: ChoiceDim, idx: readonly number[]): number[] {
  const n = idx.length;
  const K = d.choices.length;
  const w = [...ageWeights(n), PRIOR_WEIGHT];
  const total = w.reduce((a, b) => a + b, 0);
  const probs = new Array<number>(K).fill(0);
  // each observation's kernel: mass 1 on its choice plus PRIOR_WEIGHT/(n+1) on every choice, normalised; the prior: uniform
  const rowMass = 1 + (K * PRIOR_WEIGHT) / (n + 1);
  idx.forEach((c, i) => {
    for (let j = 0; j < K; j++) probs[j] = (probs[j] as number) + ((w[i] as number) / total) * ((j === c ? 1 : 0) + PRIOR_WEIGHT / (n + 1)) / rowMass;
  });
  for (let j = 0; j < K; j++) probs[j] = (probs[j] as number) + (PRIOR_WEIGHT / total) / K;
  return probs;
}

// ---- the sampler

function suggestNumeric(d: NumericDim, below: readonly Observation[], above: readonly Observation[], rng: Uniform): number {
  const coords = (g: readonly Observation[]) => g.map((o) => toCoord(d, o.params[d.path])).filter((x): x is number => x !== null);
  const l = numericMixture(d, coords(below));
  const g = numericMixture(d, coords(above));
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < TPE_CANDIDATES; c++) {
    const x = numericSample(d, l, rng);
    const score = numericLogPdf(d, l, x) - numericLogPdf(d, g, x);
    if (score > bestScore) {
      bestScore = score;
      best = x;
    }
  }
  return toValue(d, best);
}

function suggestChoice(d: ChoiceDim, below: readonly Observation[], above: readonly Observation[], rng: Uniform): unknown {
  const idx = (g: readonly Observation[]) => g.map((o) => choiceIndex(d, o.params[d.path])).filter((i) => i >= 0);
  const l = choiceProbs(d, idx(below));
  const g = choiceProbs(d, idx(above));
  let best = 0;
  let bestScore = -Infinity;
  for (let c = 0; c < TPE_CANDIDATES; c++) {
    const k = pick(l, rng);
    const score = Math.log(l[k] as number) - Math.log(g[k] as number);
    if (score > bestScore) {
      bestScore = score;
      best = k;
    }
  }
  return structuredClone(d.choices[best]);
}

/** The TPE suggestion for every dimension, from the observations (in the order they were made). */
export function tpeSuggest(dims: readonly Dim[], obs: readonly Observation[], rng: Uniform): Record<string, unknown> {
  const { below, above } = splitObservations(obs);
  const out: Record<string, unknown> = {};
  for (const d of dims) out[d.path] = d.kind === 'choice' ? suggestChoice(d, below, above, rng) : suggestNumeric(d, below, above, rng);
  return out;
}
