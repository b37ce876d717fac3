/**
 * The search seam: which trial runs next. A strategy is asked (`next`) whenever the scheduler has a free slot and
 * told (`tell`) what happened: every measured epoch of a running trial and every trial's end. Grid, zip, random
 * and seed sweeps are one static strategy (a list decided when the file loads); adaptive samplers decide from
 * what they were told. Strategies are deterministic functions of their seed and the order of what they are told,
 * and rebuild their state from the database when a run starts (nothing lives only in memory).
 */
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { TrialConfig } from '../config/index.js';
import type { Fingerprints, KernelsSetting } from '../exec/types.js';

/** A trial the scheduler can claim and run: everything the executor needs, and where it belongs. */
export interface TrialCandidate {
  /** trial id: the hash of the resolved config and the fingerprints */
  id: string;
  experiment: string;
  /** 0-based position in its experiment */
  position: number;
  config: TrialConfig;
  /** architecture key: one gradient check per arch */
  arch: string;
  /** swept dotted path -> value */
  params: Record<string, unknown>;
  fingerprints: Fingerprints;
  baseDir: string;
  kernels: KernelsSetting;
}

/** What `next` answers: a trial to run, nothing yet (ask again when a running trial ends), or nothing ever. */
export type Ask = { kind: 'trial'; trial: TrialCandidate } | { kind: 'wait' } | { kind: 'done' };

/** How a trial ended, as the scheduler tells it. `skipped`: finished before; `elsewhere`: another live process runs it. */
export type TrialEnd = 'done' | 'diverged' | 'pruned' | 'failed' | 'interrupted' | 'skipped' | 'elsewhere';

export type Tell =
  | { kind: 'epoch'; trial: TrialCandidate; metrics: EpochMetrics }
  | { kind: 'end'; trial: TrialCandidate; end: TrialEnd; last: EpochMetrics | null };

export interface SearchStrategy {
  next(): Ask;
  tell(t: Tell): void;
}
