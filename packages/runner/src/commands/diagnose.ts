/**
 * `sweeplab diagnose <trial-id>`: why a trial does (not) learn. One session: resolve the id, train the baseline it
 * needs when missing (through the session's scheduler and the injected executor), store and return the findings.
 */
import type { Clock } from '../clock.js';
import type { Executor, ExecutorFactory } from '../exec/types.js';
import { diagnoseTrials, type TrialDiagnosis } from '../pipeline/diagnosis.js';
import { openSession } from '../pipeline/session.js';
import type { RunEvent } from '../scheduler/events.js';
import { withResults } from './open.js';

export interface DiagnoseOptions {
  db: string;
  /** where a missing baseline trains */
  executor: Executor | ExecutorFactory;
  emit?: (e: RunEvent) => void;
  /** aborting it stops a baseline being trained; nothing is diagnosed then */
  signal?: AbortSignal;
  clock?: Clock;
}

/** Diagnoses one trial by a unique id prefix (InputError UNKNOWN_TRIAL / AMBIGUOUS_TRIAL / NO_DATABASE otherwise). */
export async function diagnoseTrial(idPrefix: string, opts: DiagnoseOptions): Promise<TrialDiagnosis> {
  const id = withResults(opts.db, (r) => r.resolveTrialId(idPrefix));
  const session = openSession({
    db: opts.db, executor: opts.executor, ...(opts.emit ? { emit: opts.emit } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}), ...(opts.clock ? { clock: opts.clock } : {}),
  });
  try {
    const [d] = await diagnoseTrials(session, [id]);
    if (!d) throw new Error(`trial ${id} could not be diagnosed${session.signal.aborted ? ' (interrupted)' : ''}`);
    return d;
  } finally {
    await session.close();
  }
}
