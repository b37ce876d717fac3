/**
 * The logistic-regression baseline of the `too-little-capacity` diagnosis: for a trial's data, a net with no hidden
 * layer (`layers: [inputs, classes]`, softmax, adam) trained by sweeplab itself. Baselines are ordinary trials of a
 * built-in experiment `_baselines` (not a file), built with the config module's own resolution and id functions,
 * so a YAML file with the same content is the same trial, and run through the normal run machinery: same executor,
 * same store, resumable, skipped when already done.
 */
import { isAbsolute, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { describeData, type DataSpec } from '@sweeplab/data';
import { Document, isScalar, visit } from 'yaml';
import { archOf, trialIdOf, type ExperimentConfig, type TrialConfig, type TrialPlan } from './config/index.js';
import { resolveTrial, type Sections } from './config/resolve.js';
import type { Executor, TrialConfigInput } from './exec/types.js';
import { runLoaded, type BuiltInExperiment } from './run.js';
import { experimentTrials } from './store/report-read.js';
import { Store, type TrialStatus } from './store/store.js';

/** The reserved experiment the baselines are registered under (experiment files cannot use a name starting with `_`). */
export const BASELINES_EXPERIMENT = '_baselines';
/** `experiments.file` of an experiment sweeplab builds itself. */
export const BUILT_IN_FILE = '(built in)';
export const BASELINES_DESCRIPTION =
  'Logistic-regression baselines that sweeplab trains itself, one per data section, for the too-little-capacity ' +
  'diagnosis: layers [inputs, classes], softmax, cross-entropy, xavier init, adam lr 0.001, batch 128, 5 epochs, seed 1.';

/** The baseline's model keys besides the layers (the hidden activation is irrelevant: there is no hidden layer). */
export const BASELINE_MODEL = { activation: 'relu', output: 'softmax', loss: 'cross-entropy', init: 'xavier' } as const;
export const BASELINE_TRAIN = { optimizer: 'adam', lr: 0.001, batch: 128, epochs: 5, l2: 0, dtype: 'float32', seed: 1 } as const;

export interface BaselineSpec {
  /** trial id (16 hex chars), as a YAML file with `yaml`'s content would give */
  id: string;
  config: TrialConfig;
  /** the config as an experiment file (without `name:`: `_baselines` is reserved) */
  yaml: string;
  arch: string;
  dataFingerprint: string;
}

export interface BaselineResult {
  id: string;
  layers: number[];
  /** status in the database after `ensureBaselines` (null: not registered) */
  status: TrialStatus | null;
  trainAcc: number | null;
  testAcc: number | null;
  /** trained by this call */
  ran: boolean;
  error: string | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Logistic regression already (no hidden layer): such a trial is its own baseline. */
export function isLogisticRegression(config: { model: { layers: readonly number[] } }): boolean {
  return config.model.layers.length === 2;
}

/**
 * The baseline's data section: the trial's, except that relative file paths become absolute (resolved against
 * `baseDir`, the trial's experiment directory: `_baselines` has no directory of its own to resolve them against
 * later). A `sample: first` subset carries no seed (see ResolvedSubset), so the replicates of a seed sweep share
 * one baseline.
 */
export function baselineData(data: TrialConfigInput['data'], baseDir: string): Record<string, unknown> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const d = structuredClone(data) as unknown as Record<string, unknown>;
  if (typeof data.path === 'string') d.path = abs(data.path);
  if (isObj(data.files)) {
    d.files = Object.fromEntries(Object.entries(data.files).map(([k, v]) => [k, typeof v === 'string' ? abs(v) : v]));
  }
  return d;
}

/** The baseline's sections, as an experiment file would hold them. */
export function baselineSections(trial: TrialConfigInput, baseDir: string): Sections {
  const layers = trial.model.layers;
  return {
    data: baselineData(trial.data, baseDir),
    model: { layers: [layers[0]!, layers[layers.length - 1]!], ...BASELINE_MODEL },
    train: { ...BASELINE_TRAIN },
    gradcheck: false,
  };
}

/** A config as YAML, lists of plain values on one line (`layers: [16, 3]`). */
function toYaml(value: unknown, comment: string): string {
  const doc = new Document(value);
  visit(doc, {
    Seq(_, node) {
      if (node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  doc.commentBefore = comment;
  return doc.toString({ indent: 2, flowCollectionPadding: false, lineWidth: 0 });
}

/** The YAML text of a baseline config (loading it gives the same resolved config and trial id). */
export function baselineYaml(config: TrialConfig | TrialConfigInput, id: string): string {
  const { data, model, train, gradcheck } = config;
  return toYaml({ description: BASELINES_DESCRIPTION, data, model, train, gradcheck },
    ` sweeplab's logistic-regression baseline, trial ${id} of the built-in experiment ${BASELINES_EXPERIMENT} (not a file)`);
}

/** Content hash of the data files, as the config module computes it (source keys only). */
export function dataFingerprint(data: Record<string, unknown>, baseDir: string): string {
  const spec: DataSpec = { dataset: (data.dataset as DataSpec['dataset'] | undefined) ?? 'mnist' };
  if (data.path !== undefined) spec.path = data.path as string;
  if (data.files !== undefined) spec.files = data.files as DataSpec['files'];
  return describeData(spec, { baseDir }).fingerprint;
}

/**
 * The baseline of a trial's data: resolved by the config module (`resolveTrial`) and identified by `trialIdOf`
 * with the data files' fingerprint. Reads the data files' headers and hashes them.
 */
export function baselineSpec(trial: TrialConfigInput, baseDir: string): BaselineSpec {
  const sections = baselineSections(trial, baseDir);
  const config = resolveTrial(sections, null);
  const fingerprint = dataFingerprint(sections.data as Record<string, unknown>, baseDir);
  const id = trialIdOf(config, { data: fingerprint, init: null });
  return { id, config, yaml: baselineYaml(config, id), arch: archOf(config), dataFingerprint: fingerprint };
}

export interface EnsureBaselinesOptions {
  db: string;
  /** run on this executor (not closed); default: a new piscina pool for the call */
  executor?: Executor;
  workers?: number;
  maxMemoryMb?: number;
  signal?: AbortSignal;
  command?: string;
}

const nullSink = () => new Writable({ write(_c, _e, cb) { cb(); } });

/**
 * Makes sure each baseline has run: done (or diverged) ones are reused; the others are registered under
 * `_baselines` (added to its trials, the experiment's YAML listing them all) and run by `runLoaded`, which skips
 * a baseline another live process is running. Returns each baseline's outcome and the wall seconds spent training.
 */
export async function ensureBaselines(
  specs: readonly BaselineSpec[], opts: EnsureBaselinesOptions,
): Promise<{ results: Map<string, BaselineResult>; seconds: number }> {
  const unique = [...new Map(specs.map((s) => [s.id, s])).values()];
  const results = new Map<string, BaselineResult>();
  let seconds = 0;
  if (unique.length === 0) return { results, seconds };
  const store = Store.open(opts.db);
  try {
    const finished = (id: string) => {
      const s = store.trialState(id)?.status;
      return s === 'done' || s === 'diverged';
    };
    const toRun = unique.filter((s) => !finished(s.id));
    if (toRun.length > 0) {
      const linked = experimentTrials(store.db, BASELINES_EXPERIMENT);
      const position = new Map(linked.map((t) => [t.id, t.position]));
      let next = linked.reduce((m, t) => Math.max(m, t.position + 1), 0);
      const plans: TrialPlan[] = toRun.map((s) => ({
        id: s.id, config: s.config, params: {}, seed: s.config.train.seed, arch: s.arch,
        position: position.get(s.id) ?? next++, fingerprints: { data: s.dataFingerprint, init: null },
      }));
      // the experiment's YAML: every baseline's config, one YAML document each, in position order
      const docs = new Map<number, string>(linked.map((t) => [t.position, baselineYaml(JSON.parse(t.config_json) as TrialConfig, t.id)]));
      for (const [i, p] of plans.entries()) docs.set(p.position, toRun[i]!.yaml);
      const yaml = [...docs.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d).join('---\n');
      const last = toRun[toRun.length - 1]!.config;
      const exp: BuiltInExperiment = {
        builtIn: true,
        name: BASELINES_EXPERIMENT,
        description: BASELINES_DESCRIPTION,
        file: BUILT_IN_FILE,
        path: BUILT_IN_FILE,
        baseDir: process.cwd(), // the baselines' paths are absolute
        yaml,
        kernels: 'auto',
        config: { description: BASELINES_DESCRIPTION, ...last } as unknown as ExperimentConfig,
        trials: plans,
        dataFingerprint: toRun[0]!.dataFingerprint,
        sweptPaths: [],
        warnings: [],
        sources: [],
      };
      const t0 = Date.now();
      await runLoaded([exp], {
        db: opts.db, progress: 'none', out: nullSink(), diagnose: false,
        command: opts.command ?? `baseline ${toRun.map((s) => s.id).join(' ')}`,
        ...(opts.executor ? { executor: opts.executor } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(opts.maxMemoryMb !== undefined ? { maxMemoryMb: opts.maxMemoryMb } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      seconds = (Date.now() - t0) / 1000;
    }
    const ran = new Set(toRun.map((s) => s.id));
    const row = store.db.prepare<{ id: string }, { status: TrialStatus; final_train_acc: number | null; final_test_acc: number | null; error: string | null }>(
      'SELECT status, final_train_acc, final_test_acc, error FROM trials WHERE id = @id');
    for (const s of unique) {
      const r = row.get({ id: s.id });
      const ok = r?.status === 'done' || r?.status === 'diverged';
      results.set(s.id, {
        id: s.id, layers: s.config.model.layers, status: r?.status ?? null,
        trainAcc: ok ? r.final_train_acc : null, testAcc: ok ? r.final_test_acc : null, ran: ran.has(s.id),
        error: ok ? null : r?.error ?? (r ? `the baseline is ${r.status}` : 'the baseline was not registered'),
      });
    }
    return { results, seconds };
  } finally {
    store.close();
  }
}
