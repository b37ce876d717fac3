/**
 * What a run tells the outside world while it goes: structured events, no text. The CLI's progress bars and
 * summary, the tests and (later) the dashboard consume them; the engine never prints.
 */
import type { GradcheckReport } from '@sweeplab/gradcheck';
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { TrialStatus } from '@sweeplab/store';
import type { TrialEnd } from '../search/strategy.js';

/** A baseline's outcome as the `baselines` event reports it. */
export interface BaselineOutcome {
  id: string;
  layers: number[];
  status: string | null;
  trainAcc: number | null;
  testAcc: number | null;
  error: string | null;
}

/** A trial as progress displays know it. */
export interface TrialInfo {
  id: string;
  experiment: string;
  position: number;
  /** e.g. `so-45447740-answer #3` */
  label: string;
  epochs: number;
  /** relative cost (epochs x samples x parameters), for ETAs */
  work: number;
  lr: number;
}

export interface GradcheckEvent {
  type: 'gradcheck';
  arch: string;
  /** readable architecture, e.g. `784-5-5-10 sigmoid/sigmoid cross-entropy, l2 1` */
  label: string;
  experiment: string;
  passed: boolean;
  /** null when the check could not run (then `error` says why) */
  report: GradcheckReport | null;
  batch: number;
  error: string | null;
}

export interface TrialFinishedEvent {
  type: 'trial-finished';
  trial: TrialInfo;
  status: Exclude<TrialEnd, 'skipped'>;
  /** the last recorded epoch (null: none recorded) */
  last: EpochMetrics | null;
  epochsDone: number;
  divergedAt: number | null;
  /** pruned: the epoch it stopped at */
  prunedAt: number | null;
  error: string | null;
  /** wall seconds from claim to end */
  seconds: number;
}

export type RunEvent =
  | {
    type: 'run-started'; runId: string; db: string; experiments: string[]; toRun: number; skipped: number; elsewhere: number; work: number; workers: number;
    /** the kernel tier the trials run on here ('native (OpenBLAS SkylakeX)', 'native (built-in GEMM, AVX-512)', 'typescript') and the next tier's install hint */
    kernels: { tier: string; next: string | null };
  }
  | GradcheckEvent
  | { type: 'trial-started'; trial: TrialInfo; attempt: number }
  | { type: 'epoch'; trial: TrialInfo; metrics: EpochMetrics }
  | TrialFinishedEvent
  /** logistic-regression baselines trained for the diagnosis (experiment `_baselines`) */
  | { type: 'baselines'; trials: readonly BaselineOutcome[]; seconds: number }
  | { type: 'diagnosed'; trials: number; critical: number; warning: number }
  | { type: 'notice'; message: string };

/** How one trial of a run ended up. */
export type TrialRunResult =
  /** ran in this run and ended with `status` */
  | 'ran'
  /** already finished (done, diverged or pruned; no --force) */
  | 'skipped'
  /** another live process is running it */
  | 'elsewhere'
  /** its gate (the architecture's gradient check) failed: marked failed without training */
  | 'gradcheck-failed'
  /** the run was interrupted before it started */
  | 'not-started';

export interface RunTrialReport {
  id: string;
  experiment: string;
  position: number;
  result: TrialRunResult;
  /** status in the database at the end of the run */
  status: TrialStatus | null;
  error: string | null;
}
