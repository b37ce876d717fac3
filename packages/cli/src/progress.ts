/**
 * Run progress: live bars (cli-progress) on a terminal; on anything else (CI logs, pipes) plain lines, at most one
 * status line every few seconds plus one line per finished trial. Wall-clock reads here only time the display.
 */
import cliProgress from 'cli-progress';
import { formatDuration } from './format.js';

export interface TrialProgressInfo {
  id: string;
  /** e.g. `so-45447740-answer #3` */
  label: string;
  epochs: number;
  /** relative cost of the trial (epochs x samples x parameters), for the ETA */
  work: number;
}

export interface ProgressSink {
  /** `total` trials to run; `work` the sum of their work units */
  start(info: { total: number; work: number; skipped: number; workers: number }): void;
  /** a one-off line (gradcheck results, notices) */
  note(line: string): void;
  trialStarted(t: TrialProgressInfo): void;
  epoch(id: string, epoch: number, cost: number): void;
  /** the trial's final line; `status` done / diverged / failed / interrupted */
  trialFinished(id: string, status: string, line: string): void;
  stop(): void;
}

export type ProgressMode = 'auto' | 'tty' | 'plain' | 'none';

/** A trial's state for a status line: `starting` until its first epoch is measured, then its cost. */
export function trialState(epoch: number, cost: number): string {
  if (epoch < 0) return 'starting';
  return `cost ${Number.isFinite(cost) ? cost.toPrecision(5) : String(cost)}`;
}

/** Shared bookkeeping: counts, per-trial epochs, and an ETA from the work done so far. */
class Tracker {
  total = 0;
  totalWork = 0;
  doneWork = 0;
  counts = { done: 0, diverged: 0, pruned: 0, failed: 0, interrupted: 0 };
  running = new Map<string, TrialProgressInfo & { epoch: number; cost: number }>();
  startedAt = 0;

  start(total: number, work: number): void {
    this.total = total;
    this.totalWork = work;
    this.startedAt = Date.now();
  }
  finished(): number {
    return this.counts.done + this.counts.diverged + this.counts.pruned + this.counts.failed + this.counts.interrupted;
  }
  elapsed(): number {
    return (Date.now() - this.startedAt) / 1000;
  }
  /** seconds left, extrapolating the work rate so far (null before any epoch finished) */
  eta(): number | null {
    let done = this.doneWork;
    for (const r of this.running.values()) done += r.epochs > 0 ? (r.work * Math.max(0, r.epoch)) / r.epochs : 0;
    if (done <= 0 || this.totalWork <= 0) return null;
    return (this.elapsed() * Math.max(0, this.totalWork - done)) / done;
  }
  finish(id: string, status: string): void {
    const r = this.running.get(id);
    if (r) this.doneWork += r.work;
    this.running.delete(id);
    if (status in this.counts) this.counts[status as keyof Tracker['counts']]++;
  }
  statusLine(): string {
    const eta = this.eta();
    const failed = this.counts.failed + this.counts.interrupted;
    return `${this.finished()}/${this.total} trials finished, ${this.running.size} running, ${failed} failed, ` +
      `${this.counts.diverged} diverged, elapsed ${formatDuration(this.elapsed())}, ETA ${eta === null ? '?' : formatDuration(eta)}`;
  }
}

class NoProgress implements ProgressSink {
  start(): void {}
  note(): void {}
  trialStarted(): void {}
  epoch(): void {}
  trialFinished(): void {}
  stop(): void {}
}

/** Plain lines: one per finished trial, and a status line at most every `intervalMs` when something changed. */
export class PlainProgress implements ProgressSink {
  private readonly t = new Tracker();
  private timer: NodeJS.Timeout | null = null;
  private changed = false;

  constructor(private readonly out: NodeJS.WritableStream, private readonly intervalMs = 5000) {}

  start(info: { total: number; work: number; skipped: number; workers: number }): void {
    this.t.start(info.total, info.work);
    if (info.total === 0) return;
    this.out.write(`running ${info.total} trial(s) on ${info.workers} worker(s)` +
      (info.skipped ? `, ${info.skipped} already finished (skipped; --force reruns them)` : '') + '\n');
    this.timer = setInterval(() => this.tick(), this.intervalMs);
    this.timer.unref();
  }
  note(line: string): void {
    this.out.write(line + '\n');
  }
  trialStarted(t: TrialProgressInfo): void {
    this.t.running.set(t.id, { ...t, epoch: -1, cost: NaN });
    this.changed = true;
  }
  epoch(id: string, epoch: number, cost: number): void {
    const r = this.t.running.get(id);
    if (r) {
      r.epoch = epoch;
      r.cost = cost;
    }
    this.changed = true;
  }
  trialFinished(id: string, status: string, line: string): void {
    this.t.finish(id, status);
    this.out.write(line + '\n');
  }
  private tick(): void {
    if (!this.changed || this.t.running.size === 0) return;
    this.changed = false;
    const running = [...this.t.running.values()].slice(0, 3)
      .map((r) => `${r.id.slice(0, 8)} epoch ${Math.max(0, r.epoch)}/${r.epochs} ${trialState(r.epoch, r.cost)}`).join('; ');
    this.out.write(`[${formatDuration(this.t.elapsed())}] ${this.t.statusLine()}${running ? ` (${running})` : ''}\n`);
  }
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

/** Live bars on a terminal: one overall bar, one bar per running trial. */
export class TtyProgress implements ProgressSink {
  private readonly t = new Tracker();
  private readonly multi: cliProgress.MultiBar;
  private overall: cliProgress.SingleBar | null = null;
  private readonly bars = new Map<string, cliProgress.SingleBar>();
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;

  constructor(out: NodeJS.WritableStream) {
    this.multi = new cliProgress.MultiBar({
      stream: out,
      format: '{label} |{bar}| {value}/{total} {info}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      fps: 5,
    }, cliProgress.Presets.shades_classic);
  }

  private overallInfo() {
    const eta = this.t.eta();
    return {
      label: 'trials',
      info: `running ${this.t.running.size}, failed ${this.t.counts.failed + this.t.counts.interrupted}, ` +
        `diverged ${this.t.counts.diverged}, ETA ${eta === null ? '?' : formatDuration(eta)}`,
    };
  }

  start(info: { total: number; work: number; skipped: number; workers: number }): void {
    this.t.start(info.total, info.work);
    if (info.skipped) this.multi.log(`${info.skipped} trial(s) already finished (skipped; --force reruns them)\n`);
    this.overall = this.multi.create(info.total, 0, this.overallInfo());
    this.timer = setInterval(() => this.overall?.update(this.t.finished(), this.overallInfo()), 1000);
    this.timer.unref();
  }
  note(line: string): void {
    this.multi.log(line + '\n');
  }
  trialStarted(t: TrialProgressInfo): void {
    this.t.running.set(t.id, { ...t, epoch: -1, cost: NaN });
    this.bars.set(t.id, this.multi.create(t.epochs, 0, { label: `${t.id.slice(0, 8)} ${t.label}`, info: 'starting' }));
    this.overall?.update(this.t.finished(), this.overallInfo());
  }
  epoch(id: string, epoch: number, cost: number): void {
    const r = this.t.running.get(id);
    if (r) {
      r.epoch = epoch;
      r.cost = cost;
    }
    this.bars.get(id)?.update(epoch, { info: trialState(epoch, cost) });
  }
  trialFinished(id: string, status: string, line: string): void {
    this.t.finish(id, status);
    const bar = this.bars.get(id);
    if (bar) this.multi.remove(bar);
    this.bars.delete(id);
    this.multi.log(line + '\n');
    this.overall?.update(this.t.finished(), this.overallInfo());
  }
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.overall?.update(this.t.finished(), this.overallInfo());
    // cli-progress prints log() lines at its next redraw, and stop() does not redraw: without this, the last
    // trial's line (and a note logged after the last redraw) would never reach the terminal
    this.multi.update();
    this.multi.stop();
  }
}

export function createProgress(mode: ProgressMode, out: NodeJS.WritableStream): ProgressSink {
  const isTty = (out as { isTTY?: boolean }).isTTY === true && ((out as { columns?: number }).columns ?? 0) > 0;
  const m = mode === 'auto' ? (isTty ? 'tty' : 'plain') : mode;
  if (m === 'none') return new NoProgress();
  if (m === 'tty') return new TtyProgress(out);
  return new PlainProgress(out);
}
