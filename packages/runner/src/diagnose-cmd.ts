/**
 * `sweeplab diagnose <trial-id>`: why a trial does (not) learn. Runs @sweeplab/reporting's rules over the trial's
 * config, epochs and summary (class counts, prior cost, updates, training size), with the logistic-regression
 * baseline on the same data (trained first if missing, see baseline.ts), and stores the findings in `diagnoses`
 * (the trial's previous rows replaced in one transaction). `sweeplab run` calls `diagnoseTrials` on what it finished.
 */
import { dirname } from 'node:path';
import { diagnose, type Finding } from '@sweeplab/reporting';
import {
  BASELINES_EXPERIMENT, BUILT_IN_FILE, baselineSpec, ensureBaselines, isLogisticRegression, type BaselineResult,
  type BaselineSpec,
} from './baseline.js';
import type { Executor, TrialConfigInput } from './exec/types.js';
import { archLabel } from './format.js';
import { formatDuration } from './progress.js';
import { parseJson, toReportEpoch } from './report-rows.js';
import { DEFAULT_DB_PATH, openReadOnly } from './store/db.js';
import { getEpochs, getExperiment, getTrial, getTrialLinks, resolveTrialId, type TrialRow } from './store/read.js';
import { Store } from './store/store.js';

/** The baseline a diagnosis compared with. */
export interface BaselineUse {
  /** the baseline trial (the trial itself when it is logistic regression) */
  trialId: string | null;
  self: boolean;
  layers: number[];
  status: string | null;
  trainAcc: number | null;
  testAcc: number | null;
  /** trained for this diagnosis */
  ran: boolean;
  /** why it is not available (null when it is) */
  error: string | null;
}

export interface TrialDiagnosis {
  trialId: string;
  experiment: string;
  /** position in `experiment` (null if the link is gone) */
  position: number | null;
  status: string;
  /** e.g. `784-5-5-10 sigmoid/sigmoid cross-entropy, l2 1` */
  arch: string;
  epochs: number;
  /** null when none was needed (no epoch recorded yet) */
  baseline: BaselineUse | null;
  /** most severe first */
  findings: Finding[];
}

export interface DiagnoseOptions {
  /** results database (default results/sweeplab.db) */
  db?: string;
  /** write through this store (the run's own); default: open one for the call */
  store?: Store;
  /** train missing baselines on this executor (not closed); default: a new piscina pool when one is needed */
  executor?: Executor;
  workers?: number;
  maxMemoryMb?: number;
  /** aborting it stops a baseline being trained; nothing is diagnosed then */
  signal?: AbortSignal;
  /** one-line notices (a baseline trained, and how long it took) */
  note?: (line: string) => void;
}

interface Loaded {
  trial: TrialRow;
  config: TrialConfigInput;
  epochs: ReturnType<typeof getEpochs>;
  baseDir: string;
  spec: BaselineSpec | null;
  specError: string | null;
  needsBaseline: boolean;
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

const pct = (x: number | null) => (x === null || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`);

/**
 * Diagnoses the given trials (full ids; unknown ones are skipped) and stores their findings; trains the baselines
 * they need first (and diagnoses those too: they are finished trials). Returns the given trials' diagnoses.
 */
export async function diagnoseTrials(ids: readonly string[], opts: DiagnoseOptions = {}): Promise<TrialDiagnosis[]> {
  const dbPath = opts.db ?? DEFAULT_DB_PATH;
  const store = opts.store ?? Store.open(dbPath);
  try {
    const db = store.db;
    const loaded: Loaded[] = [];
    const specCache = new Map<string, { spec: BaselineSpec | null; error: string | null }>();
    for (const id of ids) {
      const trial = getTrial(db, id);
      if (!trial) continue;
      const config = JSON.parse(trial.config_json) as TrialConfigInput;
      const exp = getExperiment(db, trial.experiment);
      const baseDir = exp && exp.file !== BUILT_IN_FILE ? dirname(exp.file) : process.cwd();
      const epochs = getEpochs(db, id);
      const needsBaseline = !isLogisticRegression(config) && epochs.some((e) => e.train_acc !== null);
      let spec: BaselineSpec | null = null;
      let specError: string | null = null;
      if (needsBaseline) {
        const key = JSON.stringify([config.data, baseDir, config.model.layers[0], config.model.layers[config.model.layers.length - 1]]);
        let c = specCache.get(key);
        if (!c) {
          try {
            c = { spec: baselineSpec(config, baseDir), error: null };
          } catch (e) {
            c = { spec: null, error: `cannot read the trial's data to build it (${message(e)})` };
          }
          specCache.set(key, c);
        }
        spec = c.spec;
        specError = c.error;
      }
      loaded.push({ trial, config, epochs, baseDir, spec, specError, needsBaseline });
    }

    const specs = loaded.flatMap((l) => (l.spec ? [l.spec] : []));
    let baselines = new Map<string, BaselineResult>();
    if (specs.length > 0) {
      const r = await ensureBaselines(specs, {
        db: dbPath,
        ...(opts.executor ? { executor: opts.executor } : {}),
        ...(opts.workers !== undefined ? { workers: opts.workers } : {}),
        ...(opts.maxMemoryMb !== undefined ? { maxMemoryMb: opts.maxMemoryMb } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
      });
      baselines = r.results;
      const ran = [...baselines.values()].filter((b) => b.ran);
      if (ran.length > 0) {
        const secs = r.seconds < 60 ? `${r.seconds.toFixed(1)}s` : formatDuration(r.seconds);
        opts.note?.(`trained ${ran.length === 1 ? 'the logistic-regression baseline' : `${ran.length} logistic-regression baselines`} ` +
          `(experiment ${BASELINES_EXPERIMENT}) in ${secs}: ` +
          ran.map((b) => `${b.id} ${b.layers.join('-')} ${b.status === 'done' ? `train ${pct(b.trainAcc)}, test ${pct(b.testAcc)}` : `${b.status}${b.error ? ` (${b.error})` : ''}`}`).join('; '));
      }
      if (opts.signal?.aborted) return [];
      // the baselines just trained are finished trials too: give them their (self-baselined) diagnosis
      for (const b of ran) {
        if (b.status !== 'done' && b.status !== 'diverged') continue;
        if (ids.includes(b.id)) continue;
        const trial = getTrial(db, b.id);
        if (!trial) continue;
        loaded.push({
          trial, config: JSON.parse(trial.config_json) as TrialConfigInput, epochs: getEpochs(db, b.id), baseDir: process.cwd(),
          spec: null, specError: null, needsBaseline: false,
        });
      }
    }

    const out: TrialDiagnosis[] = [];
    for (const l of loaded) {
      const { trial, config, epochs } = l;
      let baseline: BaselineUse | null = null;
      if (isLogisticRegression(config)) {
        const lastTrain = [...epochs].reverse().find((e) => e.train_acc !== null);
        baseline = {
          trialId: trial.id, self: true, layers: config.model.layers, status: trial.status,
          trainAcc: trial.final_train_acc ?? lastTrain?.train_acc ?? null, testAcc: trial.final_test_acc ?? lastTrain?.test_acc ?? null,
          ran: false, error: null,
        };
      } else if (l.needsBaseline) {
        const b = l.spec ? baselines.get(l.spec.id) : undefined;
        const layers = [config.model.layers[0]!, config.model.layers[config.model.layers.length - 1]!];
        baseline = b
          ? { trialId: b.id, self: false, layers, status: b.status, trainAcc: b.trainAcc, testAcc: b.testAcc, ran: b.ran, error: b.error }
          : { trialId: null, self: false, layers, status: null, trainAcc: null, testAcc: null, ran: false, error: l.specError ?? 'not available' };
      }
      const summary = parseJson<Record<string, unknown> | null>(trial.summary_json, null) ?? {};
      const num = (v: unknown) => (typeof v === 'number' ? v : null);
      const findings = diagnose({
        config: config as unknown as Parameters<typeof diagnose>[0]['config'],
        epochs: epochs.map(toReportEpoch),
        status: trial.status,
        summary: {
          classCounts: Array.isArray(summary.classCounts) ? (summary.classCounts as number[]) : [],
          priorCost: num(summary.priorCost), updates: num(summary.updates), trainSize: num(summary.trainSize),
          numParams: num(summary.numParams),
        },
        baseline: baseline && baseline.trainAcc !== null ? { trainAcc: baseline.trainAcc, testAcc: baseline.testAcc } : null,
      });
      store.replaceDiagnoses(trial.id, findings);
      if (!ids.includes(trial.id)) continue;
      const link = getTrialLinks(db, trial.id).find((x) => x.experiment === trial.experiment);
      out.push({
        trialId: trial.id, experiment: trial.experiment, position: link?.position ?? null, status: trial.status,
        arch: archLabel(config), epochs: epochs.length, baseline, findings,
      });
    }
    return out;
  } finally {
    if (!opts.store) store.close();
  }
}

/**
 * Diagnoses one trial by a unique id prefix (InputError UNKNOWN_TRIAL / AMBIGUOUS_TRIAL, or NO_DATABASE, otherwise).
 */
export async function diagnoseTrial(idPrefix: string, opts: DiagnoseOptions = {}): Promise<TrialDiagnosis> {
  const dbPath = opts.db ?? DEFAULT_DB_PATH;
  const ro = openReadOnly(dbPath);
  let id: string;
  try {
    id = resolveTrialId(ro, idPrefix);
  } finally {
    ro.close();
  }
  const [d] = await diagnoseTrials([id], { ...opts, db: dbPath });
  if (!d) throw new Error(`trial ${id} could not be diagnosed${opts.signal?.aborted ? ' (interrupted)' : ''}`);
  return d;
}

/** A number as evidence: integers as they are, others with 4 significant digits. */
function evidenceValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
  return String(v);
}

/** `k=v, k=v` of a finding's evidence (null values left out). */
export function compactEvidence(evidence: Finding['evidence']): string {
  return Object.entries(evidence).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${evidenceValue(v)}`).join(', ');
}

export function renderDiagnosis(d: TrialDiagnosis): string {
  const lines: string[] = [];
  lines.push(`trial ${d.trialId} (${d.status}): ${d.experiment}${d.position !== null ? ` #${d.position}` : ''}, ${d.arch}, ${d.epochs} epoch row(s)`);
  const b = d.baseline;
  if (b === null) lines.push('baseline: not needed yet (no epoch recorded)');
  else if (b.self) lines.push(`baseline: this trial is logistic regression (${b.layers.join('-')}): its own baseline`);
  else if (b.trainAcc !== null) {
    lines.push(`baseline: logistic regression ${b.layers.join('-')} on the same data (trial ${b.trialId}): train ${pct(b.trainAcc)}, test ${pct(b.testAcc)}`);
  } else lines.push(`baseline: none (${b.error ?? 'not available'}); too-little-capacity only checks the layer widths`);
  if (d.findings.length === 0) {
    lines.push('no findings: no rule fired (stored: the trial has no rows in diagnoses)');
  } else {
    const n = (s: string) => d.findings.filter((f) => f.severity === s).length;
    lines.push(`${d.findings.length} finding(s), most severe first (${n('critical')} critical, ${n('warning')} warning, ${n('info')} info; stored in diagnoses):`);
    for (const f of d.findings) {
      lines.push(`  ${f.severity.padEnd(8)}  ${f.rule}: ${compactEvidence(f.evidence)}`);
      lines.push(`            ${f.advice}`);
    }
  }
  return lines.join('\n') + '\n';
}
