// The resolved trial config: sweep values substituted, every default applied (DEFAULTS in schema.ts plus the
// dependent ones here: lr by optimizer, gd's full batch, adamw's decay, random/stratified subset seeds = train.seed, step every).
// Only options that apply are kept, so an unused default never changes a trial id.
import { DEFAULTS, type DataConfig, type InitConfig, type ModelConfig, type TrainConfig } from './schema.js';
import type { SweptValue } from './sweep.js';

type Req<T> = Exclude<T, undefined>;

/** `seed` only for random/stratified subsets: a `first` subset draws nothing, so a seed there would only split the data cache and trial ids. */
export interface ResolvedSubset { offset: number; count: number; sample: 'first' | 'random' | 'stratified'; seed?: number }

export interface TrialConfig {
  data: {
    dataset: Req<DataConfig['dataset']>;
    path?: string;
    files?: Req<DataConfig['files']>;
    train: ResolvedSubset;
    test: ResolvedSubset;
    validation: number;
    scale: [number, number] | 'standardize';
  };
  model: {
    layers: number[];
    activation: Req<ModelConfig['activation']>;
    output: Req<ModelConfig['output']>;
    loss: Req<ModelConfig['loss']>;
    init: InitConfig;
  };
  train: {
    optimizer: Req<TrainConfig['optimizer']>;
    batch: 'full' | number;
    lr: number;
    epochs: number;
    l2: number;
    dtype: Req<TrainConfig['dtype']>;
    seed: number;
    schedule: 'constant' | { step: { every: number; gamma: number } } | { cosine: { min_lr: number } };
    /** momentum only */
    momentum?: number;
    nesterov?: boolean;
    /** adam/adamw only */
    beta1?: number;
    beta2?: number;
    eps?: number;
    /** adamw only (nn-core's plain adam has no decay: use l2) */
    weight_decay?: number;
  };
  gradcheck: { enabled: boolean; samples: number; threshold: number; eps?: number; batch: number };
  /** set only when the metrics are measured less often than every epoch (so the default changes no trial id) */
  metrics?: { every: number };
}

/** The trial-defining sections of a merged config, before defaults (values may still be invalid). */
export type Sections = Record<'data' | 'model' | 'train' | 'gradcheck', unknown> & { metrics?: unknown };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The sections of `merged` with a trial's swept values set (deep copies; `merged` is not changed). */
export function applySweep(merged: Record<string, unknown>, row: readonly SweptValue[]): Sections {
  const s = structuredClone({ data: merged.data, model: merged.model, train: merged.train, gradcheck: merged.gradcheck, ...(merged.metrics === undefined ? {} : { metrics: merged.metrics }) }) as Record<string, unknown>;
  for (const { path, value } of row) {
    const segs = path.split('.');
    let parent = s;
    for (let i = 0; i < segs.length - 1; i++) {
      const k = segs[i]!;
      let next = parent[k];
      if (!isObj(next)) {
        // shorthand forms become their map form so a sub-key can be set: train: 5000 -> { count: 5000 }, gradcheck: true -> { enabled: true }
        next = typeof next === 'number' ? { count: next } : typeof next === 'boolean' ? { enabled: next } : {};
        parent[k] = next;
      }
      parent = next as Record<string, unknown>;
    }
    parent[segs[segs.length - 1]!] = structuredClone(value);
  }
  return s as Sections;
}

/**
 * Applies every default. `sizes` are the data files' example counts (for "count: the rest of the file"); null when the
 * data could not be read (then count is left at 0: the config has errors anyway).
 * Values are not validated here: validate.ts and checks.ts report problems.
 */
export function resolveTrial(sec: Sections, sizes: { train: number; test: number } | null): TrialConfig {
  const d = (isObj(sec.data) ? sec.data : {}) as DataConfig;
  const m = (isObj(sec.model) ? sec.model : {}) as ModelConfig;
  const t = (isObj(sec.train) ? sec.train : {}) as TrainConfig;

  const optimizer = t.optimizer ?? (DEFAULTS.train.optimizer as Req<TrainConfig['optimizer']>);
  const seed = t.seed ?? DEFAULTS.train.seed;
  const epochs = t.epochs ?? DEFAULTS.train.epochs;
  const adamLike = optimizer === 'adam' || optimizer === 'adamw';
  const train: TrialConfig['train'] = {
    optimizer,
    batch: optimizer === 'gd' ? 'full' : (t.batch ?? DEFAULTS.train.batch),
    lr: t.lr ?? (adamLike ? DEFAULTS.train.lrAdam : DEFAULTS.train.lrSgd),
    epochs,
    l2: t.l2 ?? DEFAULTS.train.l2,
    dtype: t.dtype ?? (DEFAULTS.train.dtype as Req<TrainConfig['dtype']>),
    seed,
    schedule: resolveSchedule(t.schedule, epochs),
  };
  if (optimizer === 'momentum') {
    train.momentum = t.momentum ?? DEFAULTS.train.momentum;
    train.nesterov = t.nesterov ?? DEFAULTS.train.nesterov;
  }
  if (adamLike) {
    train.beta1 = t.beta1 ?? DEFAULTS.train.beta1;
    train.beta2 = t.beta2 ?? DEFAULTS.train.beta2;
    train.eps = t.eps ?? DEFAULTS.train.eps;
  }
  if (optimizer === 'adamw') train.weight_decay = t.weight_decay ?? DEFAULTS.train.weightDecayAdamw;

  const subset = (v: DataConfig['train'], total: number | undefined): ResolvedSubset => {
    const o = typeof v === 'number' ? { count: v } : isObj(v) ? v : {};
    const offset = o.offset ?? DEFAULTS.data.offset;
    const sample = o.sample ?? (DEFAULTS.data.sample as ResolvedSubset['sample']);
    return {
      offset,
      count: o.count ?? (total === undefined ? 0 : Math.max(0, total - offset)),
      sample,
      ...(sample === 'first' ? {} : { seed: o.seed ?? seed }),
    };
  };
  const data: TrialConfig['data'] = {
    dataset: d.dataset ?? (DEFAULTS.data.dataset as Req<DataConfig['dataset']>),
    ...(d.path === undefined ? {} : { path: d.path }),
    ...(d.files === undefined ? {} : { files: d.files }),
    train: subset(d.train, sizes?.train),
    test: subset(d.test, sizes?.test),
    validation: d.validation ?? DEFAULTS.data.validation,
    scale: d.scale ?? [...DEFAULTS.data.scale],
  };

  const model: TrialConfig['model'] = {
    layers: m.layers ?? [],
    activation: m.activation ?? (DEFAULTS.model.activation as Req<ModelConfig['activation']>),
    output: m.output ?? (DEFAULTS.model.output as Req<ModelConfig['output']>),
    loss: m.loss ?? (DEFAULTS.model.loss as Req<ModelConfig['loss']>),
    init: m.init ?? DEFAULTS.model.init,
  };

  const g = sec.gradcheck;
  const go = isObj(g) ? (g as { enabled?: boolean; samples?: number; threshold?: number; eps?: number; batch?: number }) : {};
  const gradcheck: TrialConfig['gradcheck'] = {
    enabled: typeof g === 'boolean' ? g : (go.enabled ?? DEFAULTS.gradcheck.enabled),
    samples: go.samples ?? DEFAULTS.gradcheck.samples,
    threshold: go.threshold ?? DEFAULTS.gradcheck.threshold,
    ...(go.eps === undefined ? {} : { eps: go.eps }),
    batch: go.batch ?? DEFAULTS.gradcheck.batch,
  };
  const every = isObj(sec.metrics) && typeof sec.metrics.every === 'number' ? sec.metrics.every : 1;
  return { data, model, train, gradcheck, ...(every > 1 ? { metrics: { every } } : {}) };
}

function resolveSchedule(s: TrainConfig['schedule'], epochs: number): TrialConfig['train']['schedule'] {
  // nn-core's own default for a bare 'step' is the same: every max(1, floor(E/3)) epochs, gamma 0.1
  const every = Math.max(1, Math.floor(epochs / 3));
  if (s === undefined || s === 'constant') return 'constant';
  if (s === 'step') return { step: { every, gamma: DEFAULTS.train.stepGamma } };
  if (s === 'cosine') return { cosine: { min_lr: DEFAULTS.train.cosineMinLr } };
  if (isObj(s) && 'step' in s) return { step: { every: s.step.every ?? every, gamma: s.step.gamma ?? DEFAULTS.train.stepGamma } };
  if (isObj(s) && 'cosine' in s) return { cosine: { min_lr: s.cosine.min_lr ?? DEFAULTS.train.cosineMinLr } };
  return 'constant';
}

/** Options set in the file that the trial's optimizer ignores: [key, why]. */
export function ignoredOptions(sec: Sections): [string, string][] {
  const t = isObj(sec.train) ? sec.train : {};
  const opt = (t.optimizer as string | undefined) ?? DEFAULTS.train.optimizer;
  const out: [string, string][] = [];
  const applies: Record<string, (o: string) => boolean> = {
    momentum: (o) => o === 'momentum', nesterov: (o) => o === 'momentum',
    beta1: (o) => o === 'adam' || o === 'adamw', beta2: (o) => o === 'adam' || o === 'adamw', eps: (o) => o === 'adam' || o === 'adamw',
    weight_decay: (o) => o === 'adamw',
  };
  const users: Record<string, string> = { momentum: 'optimizer momentum', nesterov: 'optimizer momentum', beta1: 'optimizers adam and adamw', beta2: 'optimizers adam and adamw', eps: 'optimizers adam and adamw', weight_decay: 'optimizer adamw (use l2 with the others)' };
  for (const [k, ok] of Object.entries(applies)) {
    if (k in t && !ok(opt)) out.push([k, `train.${k} only applies to ${users[k]}: ignored with ${opt}`]);
  }
  return out;
}
