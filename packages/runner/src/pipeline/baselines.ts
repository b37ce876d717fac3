/**
 * The logistic-regression baseline of the `too-little-capacity` diagnosis: for a trial's data, a net with no hidden
 * layer (`layers: [inputs, classes]`, softmax, adam) trained by sweeplab itself. Baselines are ordinary trials of a
 * built-in experiment `_baselines` (not a file), built with the config module's own resolution and id functions,
 * so a YAML file with the same content is the same trial, and trained by the run's own scheduler: same executor,
 * same store, resumable, skipped when already done.
 */
import { isAbsolute, resolve } from 'node:path';
import { describeData } from '@sweeplab/data';
import type { Store, TrialRecord, TrialStatus } from '@sweeplab/store';
import { Document, isScalar, visit } from 'yaml';
import { archOf, trialIdOf, type TrialConfig } from '../config/index.js';
import { sourceSpec } from '../config/checks.js';
import { resolveTrial, type Sections } from '../config/resolve.js';
import { StaticStrategy } from '../search/static.js';
import type { TrialCandidate } from '../search/strategy.js';
import type { Session } from './session.js';

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
export function baselineData(data: TrialConfig['data'], baseDir: string): Record<string, unknown> {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  const d = structuredClone(data) as unknown as Record<string, unknown>;
  if (typeof data.path === 'string') d.path = abs(data.path);
  if (isObj(data.files)) {
    d.files = Object.fromEntries(Object.entries(data.files).map(([k, v]) => [k, typeof v === 'string' ? abs(v) : v]));
  }
  return d;
}

/** The baseline's sections, as an experiment file would hold them. */
export function baselineSections(trial: TrialConfig, baseDir: string): Sections {
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
export function baselineYaml(config: { data?: unknown; model: unknown; train: unknown; gradcheck?: unknown }, id: string): string {
  const { data, model, train, gradcheck } = config;
  return toYaml({ description: BASELINES_DESCRIPTION, data, model, train, gradcheck },
    ` sweeplab's logistic-regression baseline, trial ${id} of the built-in experiment ${BASELINES_EXPERIMENT} (not a file)`);
}

/** Content hash of the data files, as the config module computes it (source keys only). */
export function dataFingerprint(data: Record<string, unknown>, baseDir: string): string {
  return describeData(sourceSpec(data), { baseDir }).fingerprint;
}

/**
 * The baseline of a trial's data: resolved by the config module (`resolveTrial`) and identified by `trialIdOf`
 * with the data files' fingerprint. Reads the data files' headers and hashes them.
 */
export function baselineSpec(trial: TrialConfig, baseDir: string): BaselineSpec {
  const sections = baselineSections(trial, baseDir);
  const config = resolveTrial(sections, null);
  const fingerprint = dataFingerprint(sections.data as Record<string, unknown>, baseDir);
  const id = trialIdOf(config, { data: fingerprint, init: null });
  return { id, config, yaml: baselineYaml(config, id), arch: archOf(config), dataFingerprint: fingerprint };
}

const nowIsDone = (s: string | null | undefined) => s === 'done' || s === 'diverged';

/** The `_baselines` experiment's YAML: every baseline's config, one YAML document each, in position order. */
function baselinesYaml(linked: readonly TrialRecord[], added: ReadonlyArray<{ position: number; yaml: string }>): string {
  const docs = new Map<number, string>();
  for (const t of linked) if (t.position !== null) docs.set(t.position, baselineYaml(t.config, t.id));
  for (const a of added) docs.set(a.position, a.yaml);
  return [...docs.entries()].sort((a, b) => a[0] - b[0]).map(([, d]) => d).join('---\n');
}

/** Registers the baselines not yet linked to `_baselines` (append only) and returns them as scheduler candidates. */
function registerBaselines(store: Store, toRun: readonly BaselineSpec[]): TrialCandidate[] {
  const linked = store.experimentTrials(BASELINES_EXPERIMENT);
  const position = new Map(linked.map((t) => [t.id, t.position ?? 0]));
  let next = linked.reduce((m, t) => Math.max(m, (t.position ?? 0) + 1), 0);
  const placed = toRun.map((s) => ({ spec: s, position: position.get(s.id) ?? next++ }));
  const last = toRun[toRun.length - 1];
  store.registerExperiments([{
    name: BASELINES_EXPERIMENT,
    description: BASELINES_DESCRIPTION,
    file: BUILT_IN_FILE,
    appendOnly: true,
    yaml: baselinesYaml(linked, placed.map((p) => ({ position: p.position, yaml: p.spec.yaml }))),
    resolvedJson: JSON.stringify(last ? { description: BASELINES_DESCRIPTION, ...last.config } : null),
    sweptPaths: [],
    trials: placed.map((p) => ({
      id: p.spec.id, configJson: JSON.stringify(p.spec.config), seed: p.spec.config.train.seed, arch: p.spec.arch,
      paramsJson: '{}', position: p.position,
    })),
  }]);
  return placed.map((p) => ({
    id: p.spec.id, experiment: BASELINES_EXPERIMENT, position: p.position, config: p.spec.config, arch: p.spec.arch,
    params: {}, fingerprints: { data: p.spec.dataFingerprint, init: null }, baseDir: process.cwd(), kernels: 'auto',
  }));
}

/**
 * Makes sure each baseline has run: finished ones are reused; the others are registered under `_baselines` and
 * trained by the session's scheduler (same executor, same store, same run), which waits for a baseline another
 * live process is training instead of diagnosing without it. Returns each baseline's outcome and the wall seconds
 * spent training.
 */
export async function ensureBaselines(session: Session, specs: readonly BaselineSpec[]): Promise<{ results: Map<string, BaselineResult>; seconds: number }> {
  const unique = [...new Map(specs.map((s) => [s.id, s])).values()];
  const results = new Map<string, BaselineResult>();
  const { store } = session;
  const toRun = unique.filter((s) => !nowIsDone(store.trialState(s.id)?.status));
  const t0 = session.clock.now();
  if (toRun.length > 0) {
    const candidates = registerBaselines(store, toRun);
    await session.scheduler.run(new StaticStrategy(candidates), { force: false, waitForElsewhere: true });
  }
  const seconds = toRun.length > 0 ? (session.clock.now() - t0) / 1000 : 0;
  const ran = new Set(toRun.map((s) => s.id));
  for (const s of unique) {
    const r = store.trial(s.id);
    const ok = nowIsDone(r?.status);
    results.set(s.id, {
      id: s.id, layers: s.config.model.layers, status: r?.status ?? null,
      trainAcc: ok ? r?.finalTrainAcc ?? null : null, testAcc: ok ? r?.finalTestAcc ?? null : null, ran: ran.has(s.id),
      error: ok ? null : r?.error ?? (r ? `the baseline is ${r.status}` : 'the baseline was not registered'),
    });
  }
  return { results, seconds };
}
