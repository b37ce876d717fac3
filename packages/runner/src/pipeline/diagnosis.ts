/**
 * The step after training: why a trial does (not) learn. Runs @sweeplab/reporting's rules over each trial's config,
 * epochs and summary (class counts, prior cost, updates, training size), with the logistic-regression baseline on
 * the same data (trained first through the session's scheduler when missing, see baselines.ts), and stores the
 * findings in `diagnoses` (replacing the trial's previous rows, and marking it diagnosed even with none).
 */
import { dirname } from 'node:path';
import { diagnose, type Finding } from '@sweeplab/reporting';
import type { EpochRecord, TrialRecord } from '@sweeplab/store';
import {
  BUILT_IN_FILE, baselineSpec, ensureBaselines, isLogisticRegression, type BaselineResult, type BaselineSpec,
} from './baselines.js';
import type { TrialConfig } from '../config/index.js';
import { archLabel } from '../work.js';
import type { Session } from './session.js';

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

interface Loaded {
  trial: TrialRecord;
  epochs: EpochRecord[];
  spec: BaselineSpec | null;
  specError: string | null;
  needsBaseline: boolean;
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Reads the trials and works out the baseline each needs (one per data section). */
function load(session: Session, ids: readonly string[]): Loaded[] {
  const { store } = session;
  const specCache = new Map<string, { spec: BaselineSpec | null; error: string | null }>();
  const out: Loaded[] = [];
  for (const id of ids) {
    const trial = store.trial(id);
    if (!trial) continue;
    const config = trial.config as unknown as TrialConfig;
    const exp = store.experiment(trial.experiment);
    const baseDir = exp && exp.file !== BUILT_IN_FILE ? dirname(exp.file) : process.cwd();
    const epochs = store.epochs(id).filter((e) => e.measured); // the rules read metrics: epochs `metrics.every` skipped have none
    const needsBaseline = !isLogisticRegression(config) && epochs.some((e) => e.trainAcc !== null);
    let c: { spec: BaselineSpec | null; error: string | null } = { spec: null, error: null };
    if (needsBaseline) {
      const layers = config.model.layers;
      const key = JSON.stringify([config.data, baseDir, layers[0], layers[layers.length - 1]]);
      const known = specCache.get(key);
      if (known) c = known;
      else {
        try {
          c = { spec: baselineSpec(config, baseDir), error: null };
        } catch (e) {
          c = { spec: null, error: `cannot read the trial's data to build it (${message(e)})` };
        }
        specCache.set(key, c);
      }
    }
    out.push({ trial, epochs, spec: c.spec, specError: c.error, needsBaseline });
  }
  return out;
}

function baselineOf(l: Loaded, baselines: ReadonlyMap<string, BaselineResult>): BaselineUse | null {
  const { trial, epochs } = l;
  const layers = trial.config.model.layers;
  if (isLogisticRegression(trial.config)) {
    const lastTrain = [...epochs].reverse().find((e) => e.trainAcc !== null);
    return {
      trialId: trial.id, self: true, layers, status: trial.status, ran: false, error: null,
      trainAcc: trial.finalTrainAcc ?? lastTrain?.trainAcc ?? null, testAcc: trial.finalTestAcc ?? lastTrain?.testAcc ?? null,
    };
  }
  if (!l.needsBaseline) return null;
  const io = [layers[0] ?? 0, layers[layers.length - 1] ?? 0];
  const b = l.spec ? baselines.get(l.spec.id) : undefined;
  return b
    ? { trialId: b.id, self: false, layers: io, status: b.status, trainAcc: b.trainAcc, testAcc: b.testAcc, ran: b.ran, error: b.error }
    : { trialId: null, self: false, layers: io, status: null, trainAcc: null, testAcc: null, ran: false, error: l.specError ?? 'not available' };
}

function findingsOf(l: Loaded, baseline: BaselineUse | null): Finding[] {
  const s = l.trial.summary ?? {};
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  return diagnose({
    config: l.trial.config,
    epochs: l.epochs,
    status: l.trial.status,
    summary: {
      classCounts: Array.isArray(s.classCounts) ? s.classCounts : [],
      priorCost: num(s.priorCost), updates: num(s.updates), trainSize: num(s.trainSize), numParams: num(s.numParams),
    },
    baseline: baseline && baseline.trainAcc !== null ? { trainAcc: baseline.trainAcc, testAcc: baseline.testAcc } : null,
  });
}

/**
 * Diagnoses the given trials (full ids; unknown ones are skipped) and stores their findings; trains the baselines
 * they need first (and diagnoses those too: they are finished trials). Returns the given trials' diagnoses; [] when
 * the session was interrupted while a baseline trained (nothing is stored then).
 */
export async function diagnoseTrials(session: Session, ids: readonly string[]): Promise<TrialDiagnosis[]> {
  const loaded = load(session, ids);
  const specs = loaded.flatMap((l) => (l.spec ? [l.spec] : []));
  let baselines = new Map<string, BaselineResult>();
  if (specs.length > 0) {
    const r = await ensureBaselines(session, specs);
    baselines = r.results;
    const ran = [...baselines.values()].filter((b) => b.ran);
    if (ran.length > 0) session.emit({ type: 'baselines', trials: ran, seconds: r.seconds });
    if (session.signal.aborted) return [];
    // the baselines just trained are finished trials too: give them their (self-baselined) diagnosis
    const extra = ran.filter((b) => (b.status === 'done' || b.status === 'diverged') && !ids.includes(b.id)).map((b) => b.id);
    loaded.push(...load(session, extra));
  }
  const out: TrialDiagnosis[] = [];
  for (const l of loaded) {
    const baseline = baselineOf(l, baselines);
    const findings = findingsOf(l, baseline);
    session.store.replaceDiagnoses(l.trial.id, findings);
    if (!ids.includes(l.trial.id)) continue;
    const link = session.store.trialLinks(l.trial.id).find((x) => x.experiment === l.trial.experiment);
    out.push({
      trialId: l.trial.id, experiment: l.trial.experiment, position: link?.position ?? null, status: l.trial.status,
      arch: archLabel(l.trial.config), epochs: l.epochs.length, baseline, findings,
    });
  }
  return out;
}
