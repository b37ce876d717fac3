/**
 * The gate before training: the gradient check of each architecture, run once per architecture per run (the first
 * trial of an architecture to be claimed triggers it; its other trials wait for the same check) on the executor,
 * recorded in `gradchecks`. A failed check fails every trial of its architecture without training it.
 */
import type { Store } from '@sweeplab/store';
import { ExecutorError, type Executor, type GradcheckOutcome } from '../exec/types.js';
import type { GradcheckEvent, RunEvent } from '../scheduler/events.js';
import type { TrialGate } from '../scheduler/scheduler.js';
import type { TrialCandidate } from '../search/strategy.js';
import { archLabel } from '../work.js';

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** The failure message of a gradient check that ran and failed. */
export function gradcheckFailure(res: GradcheckOutcome, label: string): string {
  const rep = res.report;
  const bad = rep.layers.filter((l) => !l.passed)
    .map((l) => `layer ${l.layer} ${l.kind}: max relative error ${l.maxRelError.toExponential(2)}` +
      (l.worst ? ` (row ${l.worst.row}, col ${l.worst.col}: analytic ${l.worst.analytic}, numeric ${l.worst.numeric})` : ''))
    .join('; ');
  return `gradient check failed for ${label}: ${bad} > threshold ${rep.threshold}; the backprop disagrees with finite differences`;
}

export class GradcheckGate implements TrialGate {
  private readonly checks = new Map<string, Promise<string | null>>();

  constructor(
    private readonly store: Store,
    private readonly executor: () => Executor,
    private readonly runId: string,
    private readonly emit: (e: RunEvent) => void,
  ) {}

  check(trial: TrialCandidate, signal: AbortSignal): Promise<string | null> {
    if (!trial.config.gradcheck.enabled) return Promise.resolve(null);
    let p = this.checks.get(trial.arch);
    if (!p) {
      p = this.runCheck(trial, signal);
      this.checks.set(trial.arch, p);
    }
    return p;
  }

  private async runCheck(t: TrialCandidate, signal: AbortSignal): Promise<string | null> {
    const label = archLabel(t.config);
    const base: Omit<GradcheckEvent, 'passed' | 'report' | 'batch' | 'error'> = { type: 'gradcheck', arch: t.arch, label, experiment: t.experiment };
    try {
      const res = await this.executor().run({
        kind: 'gradcheck', arch: t.arch, trialId: t.id, config: t.config, fingerprints: t.fingerprints, baseDir: t.baseDir, kernels: t.kernels,
      }, () => undefined, signal);
      if (res.kind !== 'gradcheck') throw new Error(`the executor returned a ${res.kind} outcome for a gradient check`);
      const rep = res.report;
      this.store.insertGradchecks(rep.layers.map((l) => ({
        experiment: t.experiment, arch: t.arch, runId: this.runId, layer: l.layer, kind: l.kind, checked: l.checked,
        skipped: l.skipped, maxRelError: l.maxRelError, maxAbsError: l.maxAbsError, worstIndex: l.worst?.index ?? null,
        analytic: l.worst?.analytic ?? null, numeric: l.worst?.numeric ?? null, eps: rep.eps, threshold: rep.threshold,
        passed: l.passed,
      })));
      this.emit({ ...base, passed: rep.passed, report: rep, batch: res.batch, error: null });
      return rep.passed ? null : gradcheckFailure(res, label);
    } catch (e) {
      if (e instanceof ExecutorError && e.code === 'UNAVAILABLE') throw e; // the run stops: not this architecture's fault
      if (signal.aborted) return `interrupted before the gradient check of ${label} finished`;
      const msg = `gradient check of ${label} could not run: ${message(e)}`;
      this.emit({ ...base, passed: false, report: null, batch: 0, error: message(e) });
      return msg;
    }
  }
}
