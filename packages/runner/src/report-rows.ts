/**
 * The runner's database rows mapped onto @sweeplab/reporting's row types (camelCase, JSON columns parsed), for
 * `sweeplab report` and `sweeplab diagnose`.
 */
import type {
  EnvironmentRow as ReportEnvironment, EpochRow as ReportEpoch, Finding, GradcheckRow as ReportGradcheck,
  TrialConfigLike, TrialRow as ReportTrial, TrialSummary as ReportSummary, FinalEval,
} from '@sweeplab/reporting';
import type { DiagnosisDbRow, EnvironmentDbRow, GradcheckDbRow } from './store/report-read.js';
import type { EpochRow, TrialRow } from './store/read.js';

/** JSON.parse that yields `fallback` for NULL or text that is not JSON (a damaged row must not stop a report). */
export function parseJson<T>(text: string | null | undefined, fallback: T): T {
  if (text === null || text === undefined) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

type NumList = ReadonlyArray<number | null> | null;
const list = (text: string | null | undefined): NumList => {
  const v = parseJson<unknown>(text, null);
  return Array.isArray(v) ? (v as Array<number | null>) : null;
};

export function toReportTrial(t: TrialRow, params: Record<string, unknown> = {}, position: number | null = null): ReportTrial {
  return {
    id: t.id,
    experiment: t.experiment,
    status: t.status,
    config: parseJson<TrialConfigLike>(t.config_json, { model: { layers: [], activation: '', output: '', loss: '' }, train: { optimizer: '', batch: 'full', lr: 0, epochs: 0, l2: 0 } }),
    params,
    seed: t.seed,
    arch: t.arch,
    startedAt: t.started_at,
    finishedAt: t.finished_at,
    error: t.error,
    divergedEpoch: t.diverged_epoch,
    finalCost: t.final_cost,
    finalTrainAcc: t.final_train_acc,
    finalTestAcc: t.final_test_acc,
    bestTestAcc: t.best_test_acc,
    epochsDone: t.epochs_done,
    backend: t.backend,
    finalEval: parseJson<FinalEval | null>(t.final_eval_json, null),
    summary: parseJson<ReportSummary | null>(t.summary_json, null),
    position,
  };
}

export function toReportEpoch(e: EpochRow): ReportEpoch {
  return {
    epoch: e.epoch,
    cost: e.cost,
    loss: e.loss,
    l2Term: e.l2_term,
    trainAcc: e.train_acc,
    testAcc: e.test_acc,
    valAcc: e.val_acc,
    lr: e.lr,
    outMean: e.out_mean,
    outStd: e.out_std,
    seconds: e.seconds,
    evalSeconds: e.eval_seconds,
    outUnitMean: list(e.out_unit_mean_json),
    outUnitStd: list(e.out_unit_std_json),
    gradNorm: list(e.grad_norm_json),
    updateRatio: list(e.update_ratio_json),
    weightNorm: list(e.weight_norm_json),
    weightMean: list(e.weight_mean_json),
    saturation: list(e.saturation_json),
  };
}

export function toReportGradcheck(g: GradcheckDbRow): ReportGradcheck {
  return {
    id: g.id,
    experiment: g.experiment,
    arch: g.arch,
    runId: g.run_id,
    layer: g.layer,
    kind: g.kind,
    checked: g.checked,
    skipped: g.skipped,
    maxRelError: g.max_rel_error,
    maxAbsError: g.max_abs_error,
    worstIndex: g.worst_index,
    analytic: g.analytic,
    numeric: g.numeric,
    eps: g.eps,
    threshold: g.threshold,
    passed: g.passed,
    createdAt: g.created_at,
  };
}

export function toReportEnvironment(e: EnvironmentDbRow): ReportEnvironment {
  return {
    runId: e.run_id,
    startedAt: e.started_at,
    finishedAt: e.finished_at,
    command: e.command,
    sweeplabVersion: e.sweeplab_version,
    gitCommit: e.git_commit,
    nodeVersion: e.node_version,
    platform: e.platform,
    cpu: e.cpu,
    cores: e.cores,
    kernelBackend: e.kernel_backend,
    openblasCore: e.openblas_core,
    dataFingerprints: parseJson<Record<string, string> | null>(e.data_fingerprints_json, null),
    status: e.status,
  };
}

export function toFinding(d: DiagnosisDbRow): Finding {
  return {
    rule: d.rule as Finding['rule'],
    severity: d.severity,
    evidence: parseJson<Finding['evidence']>(d.evidence_json, {}),
    advice: d.advice,
  };
}
