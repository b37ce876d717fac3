// Diagnosis: hand-written rules over one trial's config and recorded metrics that say why a net does not
// learn. Each rule returns at most one finding with a severity, its evidence as numbers and a concrete
// change to try. The thresholds are named constants below, each with the reason for its value; the
// measured facts they lean on are those of the motivating question (784-5-5-10 sigmoid, U(0, 0.01) init,
// full-batch GD at lr 2 for 5 iterations, λ = 1, 30000 images):
//   - the cost sits at ≈ 3.249, the class-prior cost, with every output ≈ its class frequency for every input;
//   - λ = 0 gives the same plateau (λ/(2N)·Σw² is ~1e-6 of the cost), so λ is not what holds it there;
//   - lr 1e-4 barely moves the cost (6.990 -> 6.988 in 5 iterations);
//   - lr 2 leaves the plateau after ≈ 900 iterations (38 % accuracy at 3000);
//   - 784-256-256-10 with full-batch GD still sits on the prior after 300 iterations, while mini-batch
//     SGD reaches 96 % in 10 epochs.
import { finite, fmtNum, fmtPct } from './format.js';
import { classPriorCost } from '@sweeplab/nn-core';
import type { StoredFinding } from '@sweeplab/store';
import type { DiagnoseInput, EpochRow, Finding, RuleId, Severity, TrialConfigLike } from './types.js';

/** Every rule id, in the order findings of equal severity are listed. */
export const RULE_IDS: readonly RuleId[] = [
  'prior-collapse',
  'lr-too-large',
  'lr-too-small',
  'too-few-iterations',
  'regularization-dominates',
  'too-little-capacity',
  'poor-init',
  'saturation',
  'dead-relu',
  'vanishing-gradients',
  'overfitting',
];

// ---------------------------------------------------------------------------------------------------------
// Thresholds

/** prior-collapse: mean across-input std of the outputs ÷ mean output below this = outputs ignore the input.
 * A unit that separates its class varies between ~0 and ~1 across inputs: std ≈ sqrt(p(1-p)) ≈ 0.3 against
 * a mean of 0.1 (ratio ≈ 3). With the question's init the outputs barely depend on the input (estimated
 * ~1e-6 variation across inputs). 0.1 sits 30× below a working classifier and far above a collapsed net. */
export const COLLAPSE_STD_RATIO = 0.1;
/** prior-collapse: max |mean output_k − class frequency_k| below this = the outputs sit on the prior.
 * MNIST class frequencies lie in 0.09–0.113, the question's outputs sat within ~0.003 of them, and an
 * untrained sigmoid output sits at ≈ 0.5; 0.02 separates the two with room on both sides. */
export const PRIOR_FREQ_TOLERANCE = 0.02;
/** prior-collapse: data loss within this relative margin of the class-prior cost (3.249 vs ≈ 3.25: 0.03 %). */
export const PRIOR_COST_MARGIN = 0.02;

/** lr-too-large: a rise of the training cost larger than this (relative, per epoch) counts as a rise; the
 * cost is measured on the whole training subset, so smaller wiggles are SGD noise near convergence. */
export const COST_RISE_TOL = 0.01;
/** lr-too-large: at least this many rises, making up at least OSCILLATION_FRACTION of the steps = oscillation. */
export const OSCILLATION_MIN_RISES = 2;
export const OSCILLATION_FRACTION = 0.2;
/** lr-too-large: one rise of more than 10 % in one epoch is an overshoot, not noise. */
export const SINGLE_RISE_MAX = 0.1;
/** lr-too-large (critical): the run ends more than 5 % above where it started. */
export const END_ABOVE_START = 0.05;

/** lr-too-small: total relative cost decrease over the run below 5 % AND below 0.5 % per epoch. The
 * question at lr 1e-4 moved 0.03 % in 5 iterations; any working setup drops > 50 % from the untrained
 * cost in its first epochs (the question at lr 2: 6.99 -> 3.25 in 5 iterations). */
export const LR_SMALL_TOTAL_DROP = 0.05;
export const LR_SMALL_PER_EPOCH = 0.005;
/** lr-too-small: if every layer's gradient norm is below this the surface is flat where the net is (a
 * minimum or a plateau): a larger lr is not the fix, so the rule stays silent. */
export const GRAD_TINY = 1e-5;

/** too-few-iterations (critical): fewer parameter updates than this is "a handful": no MNIST MLP learns
 * its classes in < 100 steps (the question made 5). */
export const FEW_UPDATES_CRITICAL = 100;
/** too-few-iterations (warning): fewer updates than this while the cost still falls or sits on the prior.
 * Measured: full-batch GD at lr 2 needed ≈ 900 updates just to leave the prior plateau; mini-batch SGD
 * reaching 96 % in 10 epochs makes thousands (≈ 2300 with batch 128 on 30000 images). */
export const MIN_UPDATES = 1000;
/** too-few-iterations: the cost fell more than 1 % (per epoch) in the last epoch = still falling. */
export const STILL_FALLING_REL = 0.01;
/** too-few-iterations: test (or validation) accuracy gained more than 0.2 pp in the last epoch = still
 * rising; otherwise more epochs mostly fit the training set and the finding is only info. */
export const TEST_STILL_RISING = 0.002;
/** Train accuracy at or above this = the net fits its data: "train longer"/"raise lr" advice is moot. */
export const WELL_FIT_TRAIN_ACC = 0.98;

/** regularization-dominates: share of the cost that is the L2 term (λ/(2N)·Σw²). Below the warning share
 * λ is reported as info with its share (the question: ~1e-6). A quarter of the cost is where λ starts to
 * steer the optimum; above half the penalty outweighs the data. */
export const REG_SHARE_WARNING = 0.25;
export const REG_SHARE_CRITICAL = 0.5;
/** regularization-dominates: every layer's ‖W‖ fell below half its initial norm while λ > 0 = weights
 * shrinking toward zero (without λ, training grows weights from a small init). */
export const WEIGHT_SHRINK_RATIO = 0.5;

/** too-little-capacity: train accuracy more than 1 pp below the logistic-regression baseline's. */
export const CAPACITY_BASELINE_MARGIN = 0.01;

/** poor-init: |mean(W)|·√n / ‖W‖ at epoch 0 above this = weights (nearly) all of one sign. It is 0.866
 * for U(0, a) (√3/2) and ≈ 1/√n ≈ 0 for any zero-mean init. */
export const ONE_SIGN_RATIO = 0.5;
/** poor-init (critical): above this (or ‖W‖ = 0) all weights of the layer are equal: every hidden unit
 * computes the same function and gets the same gradient, forever (symmetry is never broken). */
export const IDENTICAL_RATIO = 0.999;
/** poor-init: saturated (sigmoid/tanh) or dead (relu) fraction at epoch 0 above this = the init scale
 * saturates the units before training starts. */
export const INIT_SATURATION = 0.5;

/** saturation: fraction of (input, unit) pairs with |z| > 5 (σ' < 0.007) at the last epoch. */
export const SATURATION_WARNING = 0.5;
export const SATURATION_CRITICAL = 0.9;
/** dead-relu: fraction of units that output 0 for every training input at the last epoch. A healthy He-
 * initialised net has a few percent; a quarter means a large lr step knocked units out. */
export const DEAD_WARNING = 0.25;
export const DEAD_CRITICAL = 0.6;

/** vanishing-gradients: median over epochs of ‖dW_first‖ / ‖dW_last‖. Two orders of magnitude = the first
 * layer learns ~100× slower than the last. Estimated for the question's net: ≈ 3e-4 (each sigmoid layer
 * with weights ≈ 0.005 shrinks the backpropagated signal ~40×). */
export const VANISHING_WARNING = 1e-2;
export const VANISHING_CRITICAL = 1e-4;

/** overfitting: train accuracy above test (validation) accuracy by this much at the last epoch. A well-
 * regularised MNIST MLP ends 1–2 pp apart. */
export const OVERFIT_GAP_WARNING = 0.05;
export const OVERFIT_GAP_CRITICAL = 0.2;
/** overfitting: test accuracy fell this much below its best while train accuracy kept rising. */
export const OVERFIT_TEST_DROP = 0.01;

// ---------------------------------------------------------------------------------------------------------
// Context shared by the rules

interface Ctx {
  input: DiagnoseInput;
  config: TrialConfigLike;
  /** rows sorted by epoch */
  rows: EpochRow[];
  /** rows with a finite cost */
  fin: EpochRow[];
  first: EpochRow | null;
  last: EpochRow | null;
  epoch0: EpochRow | null;
  /** first epoch whose cost is not finite (or the diverged status) */
  divergedAt: number | null;
  diverged: boolean;
  running: boolean;
  layers: number[];
  classFreq: number[] | null;
  priorCost: number | null;
  trainSize: number | null;
  updates: number | null;
  lastTrainAcc: number | null;
  wellFit: boolean;
}

function configTrainSize(config: TrialConfigLike): number | null {
  const t = config.data?.train;
  const n = typeof t === 'number' ? t : finite(t?.count);
  if (n === null) return null;
  const v = finite(config.data?.validation) ?? 0;
  return n - v > 0 ? n - v : null;
}

function buildCtx(input: DiagnoseInput): Ctx {
  const config = input.config;
  const rows = [...input.epochs].sort((a, b) => a.epoch - b.epoch);
  const fin = rows.filter((r) => finite(r.cost) !== null);
  const badRow = rows.find((r) => finite(r.cost) === null || (r.loss !== null && finite(r.loss) === null));
  const diverged = input.status === 'diverged' || badRow !== undefined;
  const running = input.status === 'running' || input.status === 'pending';
  const layers = config.model.layers;
  const counts = input.summary.classCounts;
  const total = counts.reduce((a, b) => a + b, 0);
  const classFreq = total > 0 ? counts.map((c) => c / total) : null;
  const priorCost = finite(input.summary.priorCost) ?? classPriorCost(counts, config.model.output, config.model.loss);
  const trainSize = finite(input.summary.trainSize) ?? configTrainSize(config);
  const last = fin.at(-1) ?? null;
  const lastTrainAcc = last ? finite(last.trainAcc) : null;

  // updates: recorded ones for a finished trial, the planned ones while it runs
  let updates: number | null = running ? null : finite(input.summary.updates);
  if (updates === null) {
    const epochs = running || !last ? config.train.epochs : last.epoch;
    const batch = config.train.batch;
    if (batch === 'full') updates = epochs;
    else if (trainSize !== null && batch > 0) updates = epochs * Math.ceil(trainSize / batch);
  }
  return {
    input, config, rows, fin,
    first: fin[0] ?? null,
    last,
    epoch0: rows.find((r) => r.epoch === 0) ?? null,
    divergedAt: badRow ? badRow.epoch : null,
    diverged, running, layers, classFreq, priorCost, trainSize, updates, lastTrainAcc,
    wellFit: lastTrainAcc !== null && lastTrainAcc >= WELL_FIT_TRAIN_ACC,
  };
}

function finiteList(a: ReadonlyArray<number | null> | null | undefined): number[] | null {
  if (!a || a.length === 0) return null;
  const out: number[] = [];
  for (const x of a) {
    const v = finite(x);
    if (v === null) return null;
    out.push(v);
  }
  return out;
}

/** [a[i], b[i]] for each i; null unless a and b have the same length. */
function zip<A, B>(a: readonly A[], b: readonly B[]): [A, B][] | null {
  if (a.length !== b.length) return null;
  const out: [A, B][] = [];
  for (const [i, x] of a.entries()) {
    const y = b[i];
    if (y === undefined) return null;
    out.push([x, y]);
  }
  return out;
}

/** The middle of an ascending list (the mean of the two middle values for an even length); null if empty. */
function medianOfSorted(a: readonly number[]): number | null {
  const lo = a[(a.length - 1) >> 1];
  const hi = a[a.length >> 1];
  if (lo === undefined || hi === undefined) return null;
  return a.length % 2 ? hi : (lo + hi) / 2;
}

/** Number of weights of each layer: layers[l] · layers[l + 1]. */
function weightCounts(layers: readonly number[]): number[] {
  const out: number[] = [];
  let nIn: number | null = null;
  for (const n of layers) {
    if (nIn !== null) out.push(nIn * n);
    nIn = n;
  }
  return out;
}

const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
const lossOf = (r: EpochRow) => finite(r.loss) ?? finite(r.cost);
const heldOutAcc = (r: EpochRow) => finite(r.testAcc) ?? finite(r.valAcc);
const isFullBatchGd = (c: TrialConfigLike) => c.train.batch === 'full';
/** A fraction as a percentage; tiny ones in exponent form (3.2e-5 %) rather than as 0.00 %. */
const pct = (x: number) => (x !== 0 && Math.abs(x) < 1e-4 ? `${fmtNum(x * 100, 2)} %` : fmtPct(x));

/** Relative decrease of the cost per epoch between the last two finite rows (null with < 2 rows). */
function lastRelDrop(ctx: Ctx): number | null {
  const [a, b] = ctx.fin.slice(-2);
  if (a === undefined || b === undefined) return null;
  const ca = a.cost as number;
  const cb = b.cost as number;
  if (ca === 0) return null;
  return (ca - cb) / Math.abs(ca) / Math.max(1, b.epoch - a.epoch);
}

interface CollapseStats {
  epoch: number;
  meanOutput: number;
  meanStd: number;
  ratio: number;
  maxFreqDev: number | null;
  loss: number | null;
  costGap: number | null;
  constant: boolean;
  nearFreq: boolean;
  nearPrior: boolean;
}

function collapseStats(ctx: Ctx): CollapseStats | null {
  const r = ctx.last;
  if (!r) return null;
  const means = finiteList(r.outUnitMean);
  const stds = finiteList(r.outUnitStd);
  if (!means || !stds || means.length !== stds.length) return null;
  const meanOutput = mean(means);
  const meanStd = mean(stds);
  if (meanOutput === 0) return null;
  const ratio = meanStd / Math.abs(meanOutput);
  const freq = ctx.classFreq;
  const pairs = freq ? zip(means, freq) : null;
  const maxFreqDev = pairs ? Math.max(...pairs.map(([m, f]) => Math.abs(m - f))) : null;
  const loss = lossOf(r);
  const costGap = ctx.priorCost !== null && ctx.priorCost > 0 && loss !== null ? (loss - ctx.priorCost) / ctx.priorCost : null;
  return {
    epoch: r.epoch, meanOutput, meanStd, ratio, maxFreqDev, loss, costGap,
    constant: ratio < COLLAPSE_STD_RATIO,
    nearFreq: maxFreqDev !== null && maxFreqDev < PRIOR_FREQ_TOLERANCE,
    nearPrior: costGap !== null && Math.abs(costGap) < PRIOR_COST_MARGIN,
  };
}

function finding(rule: RuleId, severity: Severity, evidence: Finding['evidence'], advice: string): Finding {
  return { rule, severity, evidence, advice };
}

function updatesPerEpochText(ctx: Ctx, batch: number): string {
  return ctx.trainSize !== null ? ` ≈ ${Math.ceil(ctx.trainSize / batch)} updates per epoch` : '';
}

// ---------------------------------------------------------------------------------------------------------
// The rules

function priorCollapse(ctx: Ctx): Finding | null {
  const s = collapseStats(ctx);
  if (!s || !s.constant || !(s.nearFreq || s.nearPrior)) return null;
  const severity: Severity = s.nearFreq && s.nearPrior ? 'critical' : 'warning';
  const fixes: string[] = [];
  if (isFullBatchGd(ctx.config)) {
    fixes.push(`make far more parameter updates: mini-batch SGD (train.optimizer: sgd, train.batch: 128:${updatesPerEpochText(ctx, 128)}) instead of one full-batch step per epoch (measured on the question's net: full-batch GD at lr 2 needed ≈ 900 iterations just to leave this plateau, mini-batch SGD reached 96 % in 10 epochs)`);
  } else {
    fixes.push('train for more epochs and check the learning rate (see the other findings)');
  }
  fixes.push('start from a zero-mean init scaled to the fan-in (model.init: xavier for sigmoid/tanh, he for relu) so the hidden units differ from the start');
  return finding('prior-collapse', severity, {
    epoch: s.epoch,
    cost: s.loss,
    priorCost: ctx.priorCost,
    costAbovePrior: s.costGap,
    maxAbsMeanOutputMinusClassFreq: s.maxFreqDev,
    meanAcrossInputStd: s.meanStd,
    meanOutput: s.meanOutput,
    stdToMeanRatio: s.ratio,
    trainAcc: ctx.lastTrainAcc,
  },
  `Every output is ≈ its class frequency for every input (max deviation ${fmtNum(s.maxFreqDev)}, across-input std ${fmtNum(s.meanStd)}), and the cost ${fmtNum(s.loss)} is the class-prior cost ${fmtNum(ctx.priorCost)}: the net has learned only the class prior (output biases), its hidden layers carry no information yet. This is an optimisation plateau, not a backprop bug. To leave it, ${fixes.join('; and ')}.`);
}

function lrTooLarge(ctx: Ctx): Finding | null {
  const lr = ctx.config.train.lr;
  const firstCost = ctx.first ? (ctx.first.cost as number) : null;
  const lastCost = ctx.last ? (ctx.last.cost as number) : null;
  if (ctx.diverged) {
    return finding('lr-too-large', 'critical', {
      lr, divergedAt: ctx.divergedAt, firstCost, lastFiniteCost: lastCost,
    }, `The run diverged (non-finite cost${ctx.divergedAt !== null ? ` at epoch ${ctx.divergedAt}` : ''}): the steps overshoot. Lower train.lr by 3–10× (e.g. ${fmtNum(lr / 3)} or ${fmtNum(lr / 10)}), or sweep it log-spaced.`);
  }
  const c = ctx.fin.map((r) => r.cost as number);
  if (c.length < 3 || firstCost === null || lastCost === null) return null;
  let rises = 0;
  let maxRise = 0;
  let prev: number | null = null;
  for (const cost of c) {
    if (prev !== null) {
      const rel = prev !== 0 ? (cost - prev) / Math.abs(prev) : 0;
      if (rel > COST_RISE_TOL) rises++;
      maxRise = Math.max(maxRise, rel);
    }
    prev = cost;
  }
  const steps = c.length - 1;
  const endRel = firstCost !== 0 ? (lastCost - firstCost) / Math.abs(firstCost) : 0;
  let severity: Severity | null = null;
  if (endRel > END_ABOVE_START) severity = 'critical';
  else if ((rises >= OSCILLATION_MIN_RISES && rises / steps >= OSCILLATION_FRACTION) || maxRise > SINGLE_RISE_MAX) severity = 'warning';
  if (!severity) return null;
  return finding('lr-too-large', severity, {
    lr, rises, steps, maxRelativeRise: maxRise, firstCost, lastCost, endVsStart: endRel,
  }, `The training cost rose in ${rises} of ${steps} epochs (largest rise ${pct(maxRise)}${endRel > 0 ? `, ending ${pct(endRel)} above where it started` : ''}): the steps overshoot. Lower train.lr by 3–10× (e.g. ${fmtNum(lr / 3)}), or use a decaying schedule (train.schedule: cosine).`);
}

function lrTooSmall(ctx: Ctx): Finding | null {
  if (ctx.diverged || ctx.fin.length < 2 || !ctx.first || !ctx.last || ctx.wellFit) return null;
  const c0 = ctx.first.cost as number;
  const cn = ctx.last.cost as number;
  if (c0 === 0) return null;
  const epochs = Math.max(1, ctx.last.epoch - ctx.first.epoch);
  const totalDrop = (c0 - cn) / Math.abs(c0);
  const perEpoch = totalDrop / epochs;
  if (totalDrop >= LR_SMALL_TOTAL_DROP || perEpoch >= LR_SMALL_PER_EPOCH || totalDrop < -COST_RISE_TOL) return null;
  const grads = finiteList(ctx.last.gradNorm);
  const maxGrad = grads && grads.length ? Math.max(...grads) : null;
  if (maxGrad !== null && maxGrad < GRAD_TINY) return null;
  const lr = ctx.config.train.lr;
  return finding('lr-too-small', 'warning', {
    lr, firstCost: c0, lastCost: cn, relativeDecrease: totalDrop, relativeDecreasePerEpoch: perEpoch, epochs, maxGradNorm: maxGrad, updates: ctx.updates,
  }, `The cost moved only ${pct(totalDrop)} in ${epochs} epoch${epochs === 1 ? '' : 's'} (${fmtNum(c0)} -> ${fmtNum(cn)}) although the gradient is not small (max layer norm ${fmtNum(maxGrad)}): the steps are too short. Raise train.lr 10–100× (e.g. ${fmtNum(lr * 10)}–${fmtNum(lr * 100)}) or sweep it log-spaced; the cost should fall visibly within a few epochs.`);
}

function tooFewIterations(ctx: Ctx): Finding | null {
  if (ctx.diverged) return null;
  const updates = ctx.updates;
  const drop = ctx.running ? null : lastRelDrop(ctx);
  const stillFalling = drop !== null && drop > STILL_FALLING_REL;
  const collapse = collapseStats(ctx);
  const atPrior = collapse !== null && collapse.constant && (collapse.nearFreq || collapse.nearPrior);
  let testGain: number | null = null;
  const [before, after] = ctx.fin.slice(-2);
  if (before !== undefined && after !== undefined) {
    const a = heldOutAcc(before);
    const b = heldOutAcc(after);
    if (a !== null && b !== null) testGain = b - a;
  }
  const testRising = testGain === null || testGain > TEST_STILL_RISING;
  let severity: Severity | null = null;
  if (updates !== null && !ctx.wellFit) {
    if (updates < FEW_UPDATES_CRITICAL) severity = 'critical';
    else if (updates < MIN_UPDATES && (stillFalling || atPrior || drop === null)) severity = 'warning';
  }
  if (!severity && stillFalling) severity = testRising ? 'warning' : 'info';
  if (!severity) return null;

  const batch = ctx.config.train.batch;
  const evidence: Finding['evidence'] = {
    updates,
    epochs: ctx.last ? ctx.last.epoch : ctx.config.train.epochs,
    optimizer: ctx.config.train.optimizer,
    batch: String(batch),
    trainSize: ctx.trainSize,
    lastRelativeDecrease: drop,
    heldOutAccGainLastEpoch: testGain,
    minUpdates: MIN_UPDATES,
  };
  let advice: string;
  if (severity === 'info') {
    advice = `The training cost still fell ${pct(drop as number)} in the last epoch, but held-out accuracy has flattened (${testGain !== null ? `${testGain >= 0 ? '+' : ''}${(testGain * 100).toFixed(2)} pp` : 'n/a'}): more epochs would mostly fit the training set.`;
  } else if (updates !== null && updates < MIN_UPDATES && isFullBatchGd(ctx.config)) {
    advice = `Full-batch gradient descent makes one update per epoch: ${updates} update${updates === 1 ? '' : 's'} in total, far too few for ${ctx.trainSize ?? 'the'} training images. Switch to mini-batch SGD (train.optimizer: sgd, train.batch: 128:${updatesPerEpochText(ctx, 128)}) or raise train.epochs into the thousands. Measured on the question's net: full-batch GD at lr 2 needed ≈ 900 iterations just to leave the class-prior plateau (38 % at 3000), while mini-batch SGD reached 96 % in 10 epochs.`;
  } else if (updates !== null && updates < MIN_UPDATES) {
    advice = `Only ${updates} parameter updates were made (fewer than ${MIN_UPDATES}). Raise train.epochs${typeof batch === 'number' ? ` or use a smaller train.batch (now ${batch})` : ''}.`;
  } else {
    advice = `The cost was still falling at the last epoch (${pct(drop as number)}${testGain !== null ? `, held-out accuracy ${testGain >= 0 ? '+' : ''}${(testGain * 100).toFixed(2)} pp` : ''}): raise train.epochs (e.g. 2×) and watch where it flattens.`;
  }
  return finding('too-few-iterations', severity, evidence, advice);
}

function regularizationDominates(ctx: Ctx): Finding | null {
  const lambda = ctx.config.train.l2;
  if (!(lambda > 0) || !ctx.last) return null;
  const l2Term = finite(ctx.last.l2Term);
  const cost = finite(ctx.last.cost);
  const share = l2Term !== null && cost !== null && cost > 0 ? l2Term / cost : null;
  let shrink: number | null = null;
  const w0 = ctx.first ? finiteList(ctx.first.weightNorm) : null;
  const w1 = finiteList(ctx.last.weightNorm);
  const norms = w0 && w1 ? zip(w1, w0) : null;
  if (norms && ctx.first !== ctx.last && norms.every(([, before]) => before > 0)) {
    shrink = Math.max(...norms.map(([after, before]) => after / before)); // the least-shrunk layer: all layers shrank at least this much
  }
  const shrunk = shrink !== null && shrink < WEIGHT_SHRINK_RATIO;
  if (share === null && shrink === null) return null;
  let severity: Severity = 'info';
  if (share !== null && share >= REG_SHARE_CRITICAL) severity = 'critical';
  else if ((share !== null && share >= REG_SHARE_WARNING) || shrunk) severity = 'warning';
  const evidence = { lambda, l2Term, cost, shareOfCost: share, weightNormLastOverFirst: shrink };
  if (severity === 'info') {
    return finding('regularization-dominates', 'info', evidence,
      `λ = ${fmtNum(lambda)} contributes ${share !== null ? pct(share) : 'an unknown share'} of the cost (λ/(2N)·Σw² = ${fmtNum(l2Term)}): removing it would change the cost by at most that much, so λ is not what holds the cost where it is. Tune λ later, for generalisation.`);
  }
  const why = [
    share !== null && share >= REG_SHARE_WARNING ? `the L2 term is ${pct(share)} of the cost` : '',
    shrunk ? `every layer's weight norm fell to ≤ ${pct(shrink as number)} of its initial value` : '',
  ].filter(Boolean).join(' and ');
  return finding('regularization-dominates', severity, evidence,
    `Regularisation dominates: ${why}. Lower train.l2 by 10× (now ${fmtNum(lambda)}; the term is λ/(2N)·Σw² with N = ${ctx.trainSize ?? 'the training size'}) and compare train accuracy.`);
}

function tooLittleCapacity(ctx: Ctx): Finding | null {
  const layers = ctx.layers;
  const hidden = layers.slice(1, -1);
  const k = layers.at(-1); // the number of classes
  if (hidden.length === 0 || k === undefined) return null; // logistic regression is the baseline itself
  const narrowest = Math.min(...hidden);
  const narrowLayer = hidden.indexOf(narrowest) + 1;
  const narrow = narrowest < k;
  const base = ctx.input.baseline ? finite(ctx.input.baseline.trainAcc) : null;
  const belowBaseline = base !== null && ctx.lastTrainAcc !== null && ctx.lastTrainAcc < base - CAPACITY_BASELINE_MARGIN;
  if (!narrow && !belowBaseline) return null;
  const evidence = {
    layers: layers.join('-'), narrowestHidden: narrowest, narrowestLayer: narrowLayer, outputs: k,
    trainAcc: ctx.lastTrainAcc, baselineTrainAcc: base,
  };
  const parts: string[] = [];
  if (narrow) {
    parts.push(`Hidden layer ${narrowLayer} has ${narrowest} units for ${k} classes: every class decision passes through a ${narrowest}-unit bottleneck. Widen the hidden layers to at least ${k} (e.g. model.layers: [${layers[0]}, 30, ${k}] as in Nielsen's setup, or 256 units).`);
    if (isFullBatchGd(ctx.config)) parts.push(`Widening alone does not fix a prior plateau: measured, 784-256-256-10 with full-batch GD still sat on the prior after 300 iterations.`);
  }
  if (belowBaseline) {
    parts.push(`Train accuracy ${fmtPct(ctx.lastTrainAcc)} is below the logistic-regression baseline's ${fmtPct(base)}${narrow ? '.' : `, although every hidden layer is at least as wide as the output (so the net could represent the baseline): this is an optimisation problem, see the other findings.`}`);
  }
  return finding('too-little-capacity', narrow ? 'warning' : 'info', evidence, parts.join(' '));
}

function initSignRatio(init: unknown): number | null {
  if (!init || typeof init !== 'object') return null;
  const u = (init as { uniform?: unknown }).uniform;
  if (Array.isArray(u) && u.length === 2 && typeof u[0] === 'number' && typeof u[1] === 'number') {
    const [a, b] = u as [number, number];
    const m2 = (a * a + a * b + b * b) / 3;
    return m2 > 0 ? Math.abs((a + b) / 2) / Math.sqrt(m2) : 1;
  }
  const n = (init as { normal?: unknown }).normal;
  if (Array.isArray(n) && n.length === 2 && typeof n[0] === 'number' && typeof n[1] === 'number') {
    const [m, s] = n as [number, number];
    const m2 = m * m + s * s;
    return m2 > 0 ? Math.abs(m) / Math.sqrt(m2) : 1;
  }
  return null;
}

function poorInit(ctx: Ctx): Finding | null {
  const layers = ctx.layers;
  const nW = layers.length - 1;
  const r0 = ctx.epoch0;
  let worstLayer = -1;
  let worstRatio = -1;
  let oneSign = 0;
  let identical = false;
  let fromConfig = false;
  const wm = r0 ? finiteList(r0.weightMean) : null;
  const wn = r0 ? finiteList(r0.weightNorm) : null;
  const meanNorm = wm && wn && wm.length === nW ? zip(wm, wn) : null;
  const perLayer = meanNorm ? zip(meanNorm, weightCounts(layers)) : null;
  if (perLayer) {
    for (const [l, [[wMean, wNorm], n]] of perLayer.entries()) {
      const ratio = wNorm === 0 ? 1 : (Math.abs(wMean) * Math.sqrt(n)) / wNorm;
      if (ratio > ONE_SIGN_RATIO) oneSign++;
      if (ratio > IDENTICAL_RATIO && n > 1) identical = true;
      if (ratio > worstRatio + 1e-9) { worstRatio = ratio; worstLayer = l; } // ties: the first layer
    }
  } else {
    const ratio = initSignRatio(ctx.config.model.init);
    if (ratio !== null) {
      fromConfig = true;
      worstRatio = ratio;
      worstLayer = 0;
      if (ratio > ONE_SIGN_RATIO) oneSign = nW;
      if (ratio > IDENTICAL_RATIO) identical = true;
    }
  }
  const act = ctx.config.model.activation;
  const sat0 = r0 ? finiteList(r0.saturation) : null;
  const maxSat0 = sat0 && sat0.length ? Math.max(...sat0) : null;
  const saturating = maxSat0 !== null && maxSat0 > INIT_SATURATION;
  if (oneSign === 0 && !saturating) return null;
  const severity: Severity = identical ? 'critical' : 'warning';
  const evidence: Finding['evidence'] = {
    layer: worstLayer >= 0 ? worstLayer + 1 : null,
    signRatio: worstRatio >= 0 ? worstRatio : null,
    weightMean: wm?.[worstLayer] ?? null,
    weightNorm: wn?.[worstLayer] ?? null,
    oneSignLayers: oneSign,
    saturationAtInit: maxSat0,
    source: fromConfig ? 'config' : 'epoch 0',
  };
  const zeroMean = act === 'relu' || act === 'leaky-relu' ? 'he' : 'xavier';
  const parts: string[] = [];
  if (identical) {
    parts.push(`Layer ${worstLayer + 1}'s initial weights are all equal: every unit computes the same function and receives the same gradient, so the units never become different (symmetry is never broken).`);
  } else if (oneSign > 0) {
    parts.push(`${oneSign} of ${nW} layers start with weights all of one sign (|mean|·√n/‖W‖ = ${fmtNum(worstRatio, 3)} in layer ${worstLayer + 1}; a zero-mean init gives ≈ 0): with inputs that are mostly of one sign (MNIST background pixels) every hidden unit receives nearly the same input, so the units start nearly identical.`);
  }
  if (saturating) {
    parts.push(`${pct(maxSat0)} of the hidden units are ${act === 'relu' || act === 'leaky-relu' ? 'dead' : 'saturated (|z| > 5)'} before training starts: the init scale is too large.`);
  }
  parts.push(`Use a zero-mean init scaled to the fan-in: model.init: ${zeroMean}.`);
  return finding('poor-init', severity, evidence, parts.join(' '));
}

function lastHiddenStat(ctx: Ctx): { value: number; layer: number; epoch: number } | null {
  const r = ctx.last ?? ctx.rows.at(-1);
  const s = r ? finiteList(r.saturation) : null;
  if (!r || !s) return null;
  // the first layer with the largest value
  let best: { value: number; layer: number } | null = null;
  for (const [i, value] of s.entries()) if (best === null || value > best.value) best = { value, layer: i + 1 };
  return best && { ...best, epoch: r.epoch };
}

function saturation(ctx: Ctx): Finding | null {
  const act = ctx.config.model.activation;
  if (act !== 'sigmoid' && act !== 'tanh') return null;
  const s = lastHiddenStat(ctx);
  if (!s || s.value < SATURATION_WARNING) return null;
  return finding('saturation', s.value >= SATURATION_CRITICAL ? 'critical' : 'warning', {
    layer: s.layer, saturatedFraction: s.value, epoch: s.epoch, activation: act,
  }, `${pct(s.value)} of the (input, unit) pairs of hidden layer ${s.layer} have |z| > 5, where the ${act} derivative is < 0.007: those units barely learn. Use a smaller fan-in scaled init (model.init: xavier), standardised inputs (data.scale: standardize), a lower train.lr, or relu units with he init.`);
}

function deadRelu(ctx: Ctx): Finding | null {
  const act = ctx.config.model.activation;
  if (act !== 'relu' && act !== 'leaky-relu') return null;
  const s = lastHiddenStat(ctx);
  if (!s || s.value < DEAD_WARNING) return null;
  // leaky units keep a small gradient when "dead", so they can recover: at most a warning
  const severity: Severity = s.value >= DEAD_CRITICAL && act === 'relu' ? 'critical' : 'warning';
  return finding('dead-relu', severity, {
    layer: s.layer, deadFraction: s.value, epoch: s.epoch, activation: act,
  }, `${pct(s.value)} of the units of hidden layer ${s.layer} output 0 for every training input (dead: no gradient flows through them). Lower train.lr (a large step typically pushes their biases negative), use model.init: he, or model.activation: leaky-relu.`);
}

function vanishingGradients(ctx: Ctx): Finding | null {
  const nW = ctx.layers.length - 1;
  if (nW < 2) return null;
  const ratios: number[] = [];
  for (const r of ctx.fin) {
    const g = finiteList(r.gradNorm);
    const [first] = g ?? [];
    const last = g?.at(-1);
    if (!g || g.length !== nW || first === undefined || last === undefined || !(last > 0)) continue;
    ratios.push(first / last);
  }
  ratios.sort((a, b) => a - b);
  const m = ratios.length;
  const median = medianOfSorted(ratios);
  if (median === null || median >= VANISHING_WARNING) return null;
  const g = ctx.last ? finiteList(ctx.last.gradNorm) : null;
  return finding('vanishing-gradients', median < VANISHING_CRITICAL ? 'critical' : 'warning', {
    medianFirstOverLastGradNorm: median,
    firstLayerGradNorm: g?.[0] ?? null,
    lastLayerGradNorm: g?.[nW - 1] ?? null,
    epochsUsed: m,
  }, `The first layer's gradient norm is ${fmtNum(median, 2)} × the last layer's (median over ${m} epochs): the early layers learn ${fmtNum(1 / median, 2)}× slower. Use a zero-mean fan-in scaled init (model.init: ${ctx.config.model.activation === 'relu' ? 'he' : 'xavier'}), relu hidden units, or an optimizer with per-parameter step sizes (train.optimizer: adam).`);
}

function overfitting(ctx: Ctx): Finding | null {
  const rows = ctx.fin.filter((r) => finite(r.trainAcc) !== null && heldOutAcc(r) !== null);
  const [first] = rows;
  const last = rows.at(-1);
  if (first === undefined || last === undefined) return null;
  const train = last.trainAcc as number;
  const test = heldOutAcc(last) as number;
  const gap = train - test;
  let best = first;
  for (const r of rows) if ((heldOutAcc(r) as number) > (heldOutAcc(best) as number)) best = r;
  const drop = (heldOutAcc(best) as number) - test;
  const trainRose = train > (best.trainAcc as number);
  let severity: Severity | null = null;
  if (gap >= OVERFIT_GAP_CRITICAL) severity = 'critical';
  else if (gap >= OVERFIT_GAP_WARNING || (drop >= OVERFIT_TEST_DROP && trainRose)) severity = 'warning';
  if (!severity) return null;
  const which = finite(last.testAcc) !== null ? 'test' : 'validation';
  return finding('overfitting', severity, {
    trainAcc: train, heldOutAcc: test, gap, bestHeldOutAcc: heldOutAcc(best), bestEpoch: best.epoch, dropSinceBest: drop,
  }, `Train accuracy ${fmtPct(train)} is ${(gap * 100).toFixed(2)} pp above ${which} accuracy ${fmtPct(test)}${drop >= OVERFIT_TEST_DROP && trainRose ? `, and ${which} accuracy fell ${(drop * 100).toFixed(2)} pp since its best at epoch ${best.epoch} while train accuracy kept rising` : ''}. Raise train.l2, train on more data (data.train), or stop at the best epoch on a validation split (data.validation).`);
}

const RULES: ReadonlyArray<(ctx: Ctx) => Finding | null> = [
  priorCollapse, lrTooLarge, lrTooSmall, tooFewIterations, regularizationDominates, tooLittleCapacity,
  poorInit, saturation, deadRelu, vanishingGradients, overfitting,
];

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Most severe first; equal severities in RULE_IDS order. */
/** Most severe first, then in rule order (rules this version does not know go last, by name). */
export function sortFindings<T extends StoredFinding>(findings: ReadonlyArray<T>): T[] {
  const rank = (rule: string) => {
    const i = (RULE_IDS as readonly string[]).indexOf(rule);
    return i < 0 ? RULE_IDS.length : i;
  };
  return [...findings].sort((a, b) =>
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || rank(a.rule) - rank(b.rule) || a.rule.localeCompare(b.rule));
}

/**
 * Diagnose one trial: a pure function of its config, its recorded epochs and context (class counts,
 * the logistic-regression baseline if known). Returns the findings, most severe first. Rules whose
 * metrics are missing stay silent; a pending trial with no epochs gets only the config-based findings
 * (capacity, planned updates, init).
 */
export function diagnose(input: DiagnoseInput): Finding[] {
  const ctx = buildCtx(input);
  const out: Finding[] = [];
  for (const rule of RULES) {
    const f = rule(ctx);
    if (f) out.push(f);
  }
  return sortFindings(out);
}
