/**
 * What `sweeplab run` (and `diagnose`, when it trains a baseline) prints: the engine's RunEvents turned into progress
 * bars or plain lines, one line per finished trial, and the summary line at the end.
 */
import { BASELINES_EXPERIMENT, type RunEvent, type RunResult, type TrialFinishedEvent } from '@sweeplab/runner';
import { num, pct, shortDuration } from './format.js';
import { createProgress, type ProgressMode, type ProgressSink } from './progress.js';

const e2 = (x: number) => x.toExponential(2);

function gradcheckLine(e: Extract<RunEvent, { type: 'gradcheck' }>): string {
  if (e.report === null) return `gradcheck ${e.label}: ERROR: ${e.error ?? 'unknown error'}`;
  const rep = e.report;
  if (rep.passed) {
    return `gradcheck ${e.label}: passed (max relative error ${e2(rep.maxRelError)} <= ${rep.threshold}, ${rep.checked} parameters on ${e.batch} examples)`;
  }
  const bad = rep.layers.filter((l) => !l.passed).map((l) => `layer ${l.layer} ${l.kind}: max relative error ${e2(l.maxRelError)}`).join('; ');
  return `gradcheck ${e.label}: FAILED: ${bad}; its trials will not train`;
}

/** The one line of a finished trial (the format scripts and tests read: `trial <id> <status> <label> ...`). */
export function trialLine(e: TrialFinishedEvent): string {
  const id = e.trial.id;
  const label = e.trial.label;
  const secs = shortDuration(e.seconds);
  switch (e.status) {
    case 'elsewhere':
      return `trial ${id} taken over by another process`;
    case 'interrupted':
      return `trial ${id} interrupted ${label}  after epoch ${e.last?.epoch ?? -1}`;
    case 'failed':
      return `trial ${id} failed   ${label}: ${e.error ?? 'unknown error'}`;
    case 'diverged':
      return `trial ${id} diverged ${label}  ${e.error ?? `diverged at epoch ${e.divergedAt ?? e.epochsDone} (NaN/Inf), lr ${e.trial.lr}`}  (${secs})`;
    case 'pruned':
      return `trial ${id} pruned   ${label}  stopped at epoch ${e.prunedAt ?? e.epochsDone}: ${e.error ?? ''}  (${secs})`;
    default:
      return `trial ${id} ${e.status.padEnd(8)} ${label}  epochs ${e.epochsDone}  cost ${num(e.last?.cost)}  ` +
        `train ${pct(e.last?.trainAcc)}  test ${pct(e.last?.testAcc)}  (${secs})`;
  }
}

export function baselinesLine(e: Extract<RunEvent, { type: 'baselines' }>): string {
  const n = e.trials.length;
  return `trained ${n === 1 ? 'the logistic-regression baseline' : `${n} logistic-regression baselines`} (experiment _baselines) in ` +
    `${shortDuration(e.seconds)}: ` +
    e.trials.map((b) => `${b.id} ${b.layers.join('-')} ${b.status === 'done' ? `train ${pct(b.trainAcc)}, test ${pct(b.testAcc)}` : `${b.status ?? 'missing'}${b.error ? ` (${b.error})` : ''}`}`).join('; ');
}

/** Feeds RunEvents to a progress display; `stop()` ends it (bars removed, timers cleared). */
export class RunDisplay {
  readonly progress: ProgressSink;

  constructor(mode: ProgressMode, private readonly out: NodeJS.WritableStream) {
    this.progress = createProgress(mode, out);
  }

  readonly onEvent = (e: RunEvent): void => {
    const p = this.progress;
    // the diagnosis's baselines train through the same scheduler; they are summed up by the `baselines` line
    if ((e.type === 'trial-started' || e.type === 'epoch' || e.type === 'trial-finished') && e.trial.experiment === BASELINES_EXPERIMENT) return;
    switch (e.type) {
      case 'run-started':
        p.note(`kernels: ${e.kernels.tier}${e.kernels.next ? ` (faster: ${e.kernels.next})` : ''}`);
        return p.start({ total: e.toRun, work: e.work, skipped: e.skipped, workers: e.workers });
      case 'gradcheck': return p.note(gradcheckLine(e));
      case 'trial-started': return p.trialStarted({ id: e.trial.id, label: e.trial.label, epochs: e.trial.epochs, work: e.trial.work });
      case 'epoch': return p.epoch(e.trial.id, e.metrics.epoch, e.metrics.cost);
      case 'trial-finished': return p.trialFinished(e.trial.id, e.status, trialLine(e));
      case 'baselines': return p.note(baselinesLine(e));
      case 'diagnosed': return p.note(`diagnosed ${e.trials} trial(s): ${e.critical} with a critical finding, ${e.warning} with a warning ` +
        '(`sweeplab diagnose <trial-id>` explains one, `sweeplab report <experiment>` shows them all)');
      case 'notice': return p.note(e.message);
    }
  };

  stop(): void {
    this.progress.stop();
  }
}

/** The run's last line: what happened to every trial, and where the results are. */
export function summaryLine(r: RunResult): string {
  const c = r.counts;
  const parts = [`${c.done} done`, `${c.diverged} diverged`, `${c.failed} failed`];
  if (c.pruned) parts.push(`${c.pruned} pruned`);
  if (c.interrupted) parts.push(`${c.interrupted} interrupted`);
  if (c.skipped) parts.push(`${c.skipped} already finished`);
  if (c.elsewhere) parts.push(`${c.elsewhere} run by another process`);
  return `${r.interrupted ? 'interrupted: ' : ''}${r.trials.length} trial(s): ${parts.join(', ')}; results in ${r.db}` +
    (r.interrupted ? ' (run the same command again to resume)' : '');
}
