// Checks beyond the schema, per trial (after sweep substitution): the data exist and fit the layers, subsets lie
// within the files, output/loss pairs exist, gd is full-batch, init files exist and fit the layers.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { DataSpecError, IdxFormatError, describeData, type DataInfo, type DataSpec } from '@sweeplab/data';
import { bf16Support, readWeights } from '@sweeplab/nn-core';
import { canonicalJson } from './id.js';
import { ignoredOptions, resolveTrial, type Sections, type TrialConfig } from './resolve.js';
import type { RawIssue } from './validate.js';
import type { Seg } from './yaml-source.js';

/** Per-load caches (one loadExperiment or validateFiles call): data headers and weight files are read once. */
export interface CheckContext {
  baseDir: string;
  data: Map<string, { info: DataInfo } | { error: RawIssue }>;
  weights: Map<string, { error: string | null; fingerprint: string | null }>; // key -> the check's error, or the files' fingerprint
  /** the file's `kernels`: bfloat16 runs emulated (slowly) on 'js', and needs the CPU's bf16 instructions otherwise */
  kernels?: string;
}

export const newCheckContext = (baseDir: string): CheckContext => ({ baseDir, data: new Map(), weights: new Map() });

export interface TrialCheck {
  config: TrialConfig;
  issues: RawIssue[];
  warnings: RawIssue[];
  fingerprints: { data: string | null; init: string | null };
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const validLayers = (l: unknown): l is number[] => Array.isArray(l) && l.length >= 2 && l.every((x) => Number.isInteger(x) && x >= 1);

/**
 * Resolves one trial and checks it. `bad(path)` says whether the schema already reported the dotted path (or a
 * parent or child of it): checks that need a value the schema rejected are skipped.
 */
export function checkTrial(sec: Sections, bad: (path: string) => boolean, ctx: CheckContext): TrialCheck {
  const issues: RawIssue[] = [];
  const warnings: RawIssue[] = [];
  const d = isObj(sec.data) ? sec.data : {};
  const m = isObj(sec.model) ? sec.model : {};
  const t = isObj(sec.train) ? sec.train : {};
  if (t.dtype === 'bfloat16' && ctx.kernels !== 'js' && !bad('train.dtype')) {
    const s = bf16Support();
    if (!s.supported) {
      issues.push({ path: ['train', 'dtype'], mode: 'value', message: `train.dtype bfloat16 cannot run here: ${s.reason}` });
    }
  }

  let info: DataInfo | null = null;
  if (!bad('data.dataset') && !bad('data.path') && !bad('data.files')) {
    const r = describe(d, ctx);
    if ('error' in r) issues.push(r.error);
    else info = r.info;
  }
  const config = resolveTrial(sec, info && { train: info.trainSize, test: info.testSize });
  const { data, model, train } = config;

  if (!bad('model.layers') && m.layers === undefined) {
    issues.push({ path: ['model', 'layers'], mode: 'key', message: 'model.layers is required: the layer sizes, inputs first and classes last, e.g. [784, 256, 10] (set it in model: or sweep it)' });
  }
  if (!bad('model.output') && !bad('model.loss')) {
    if (model.output === 'softmax' && model.loss === 'mse') {
      issues.push({ path: ['model', 'loss'], alt: [['model', 'output']], mode: 'value', message: 'model.loss mse does not pair with output softmax: use loss cross-entropy with softmax, or output sigmoid or identity with mse' });
    }
    if (model.output === 'identity' && model.loss === 'cross-entropy') {
      issues.push({ path: ['model', 'loss'], alt: [['model', 'output']], mode: 'value', message: 'model.loss cross-entropy does not pair with output identity (it needs probabilities): use output softmax or sigmoid, or loss mse' });
    }
  }
  if (!bad('train.optimizer') && !bad('train.batch') && train.optimizer === 'gd' && typeof t.batch === 'number') {
    issues.push({ path: ['train', 'batch'], alt: [['train', 'optimizer']], mode: 'value', message: `train.batch ${t.batch} does not apply to optimizer gd (full-batch gradient descent): use optimizer sgd for mini-batches of ${t.batch}, or batch: full` });
  }
  if (!bad('train.optimizer')) for (const [k, msg] of ignoredOptions(sec)) warnings.push({ path: ['train', k], mode: 'key', message: msg });

  if (info && !bad('model.layers') && validLayers(model.layers)) {
    const L = model.layers.length;
    if (model.layers[0] !== info.inputSize) {
      issues.push({ path: ['model', 'layers', 0], mode: 'value', message: `model.layers starts with ${model.layers[0]} but the data has ${info.inputSize} inputs per example: make the first layer ${info.inputSize}` });
    }
    if (model.layers[L - 1] !== info.numClasses) {
      issues.push({ path: ['model', 'layers', L - 1], mode: 'value', message: `model.layers ends with ${model.layers[L - 1]} but the data has ${info.numClasses} classes: make the last layer ${info.numClasses}` });
    }
  }
  if (info) {
    if (!bad('data.train')) issues.push(...subsetIssues('train', d.train, data.train, info.trainSize, 'training'));
    if (!bad('data.test')) issues.push(...subsetIssues('test', d.test, data.test, info.testSize, 'test'));
    const trainOk = !bad('data.train') && data.train.offset < info.trainSize && data.train.offset + data.train.count <= info.trainSize;
    if (trainOk && !bad('data.validation') && data.validation >= data.train.count) {
      issues.push({ path: ['data', 'validation'], mode: 'value', message: `data.validation ${data.validation} must be smaller than the training subset (${data.train.count} examples): it is carved from its end, and training keeps the rest` });
    }
  }

  let init: string | null = null;
  if (!bad('model.init') && isObj(model.init) && 'npy' in model.init && typeof model.init.npy === 'string') {
    const abs = resolve(ctx.baseDir, model.init.npy);
    const L = !bad('model.layers') && validLayers(model.layers) ? model.layers.length - 1 : 0;
    if (!existsSync(abs)) {
      issues.push({ path: ['model', 'init', 'npy'], mode: 'value', message: `model.init.npy: "${model.init.npy}" not found (looked for ${abs}); give a directory with ${L === 1 ? 'W1.npy' : `W1.npy..W${L || 'L'}.npy`} or an .npz file, relative to this file` });
    } else if (L > 0) {
      // read once (bounded by the layers' sizes, regular files only): the validation and the fingerprint
      const key = canonicalJson([abs, model.layers]);
      if (!ctx.weights.has(key)) {
        let r: { error: string | null; fingerprint: string | null };
        try {
          r = { error: null, fingerprint: readWeights(abs, { layers: model.layers, activation: model.activation, output: model.output, loss: model.loss }, 'float64').fingerprint };
        } catch (e) {
          r = { error: (e as Error).message, fingerprint: null };
        }
        ctx.weights.set(key, r);
      }
      const r = ctx.weights.get(key);
      if (r?.error) issues.push({ path: ['model', 'init', 'npy'], mode: 'value', message: `model.init.npy: ${r.error}` });
      else init = r?.fingerprint ?? null;
    }
  }
  return { config, issues, warnings, fingerprints: { data: info?.fingerprint ?? null, init } };
}

function subsetIssues(which: 'train' | 'test', raw: unknown, sub: TrialConfig['data']['train'], total: number, noun: string): RawIssue[] {
  const key = `data.${which}`;
  if (sub.offset >= total) {
    return [{ path: ['data', which, 'offset'], mode: 'value', message: `${key}.offset ${sub.offset} is past the last of the ${total} ${noun} examples: use an offset below ${total}` }];
  }
  if (sub.offset + sub.count > total) {
    const what = typeof raw === 'number' ? `${key} ${sub.count}` : `${key}: offset ${sub.offset} + count ${sub.count} = ${sub.offset + sub.count}`;
    return [{ path: ['data', which, 'count'], mode: 'value', message: `${what} exceeds the ${total} ${noun} examples in the data: use count <= ${total - sub.offset}` }];
  }
  return [];
}

/** The source keys of a data section (dataset, path, files) as a DataSpec: what the data fingerprint covers. */
export function sourceSpec(d: Record<string, unknown>): DataSpec {
  const spec: DataSpec = { dataset: (d.dataset as DataSpec['dataset'] | undefined) ?? 'mnist' };
  if (d.path !== undefined) spec.path = d.path as string;
  if (d.files !== undefined) spec.files = d.files as NonNullable<DataSpec['files']>;
  return spec;
}

/** describeData on the source keys only (subsets are checked above, all at once). */
function describe(d: Record<string, unknown>, ctx: CheckContext): { info: DataInfo } | { error: RawIssue } {
  const spec = sourceSpec(d);
  const key = canonicalJson([spec, ctx.baseDir]);
  let r = ctx.data.get(key);
  if (!r) {
    try {
      r = { info: describeData(spec, { baseDir: ctx.baseDir }) };
    } catch (e) {
      r = { error: dataError(e, spec, ctx.baseDir) };
    }
    ctx.data.set(key, r);
  }
  return r;
}

function dataError(e: unknown, spec: DataSpec, baseDir: string): RawIssue {
  if (e instanceof DataSpecError) {
    const path = e.key.split('.').filter((s) => s !== '') as Seg[];
    return { path: path[0] === 'data' ? path : ['data'], mode: 'value', message: e.message };
  }
  if (e instanceof IdxFormatError) {
    const role = spec.files && (Object.entries(spec.files).find(([, f]) => typeof f === 'string' && e.path.startsWith(resolve(baseDir, f)))?.[0]);
    const path: Seg[] = role ? ['data', 'files', role] : spec.path !== undefined ? ['data', 'path'] : spec.files ? ['data', 'files'] : ['data', 'dataset'];
    return { path, mode: 'value', message: `${path.join('.')}: ${e.message}` };
  }
  return { path: ['data', 'dataset'], mode: 'value', message: `data: cannot read the data set: ${(e as Error).message}` };
}
