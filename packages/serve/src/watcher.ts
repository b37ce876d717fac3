/**
 * Change detection and the event log. The server only reads: every `pollMs` (while someone listens) it asks its
 * read-only connection for `PRAGMA data_version`, which changes when another connection (a `sweeplab run` in any
 * process) commits; only then it reads what changed, by the change counter of migration 4 (`trials.rev > seen`,
 * an index range) and, per changed trial, only the epochs after the last one it saw (a primary-key range). The
 * writer never waits for it (WAL readers do not block writers; each read is one short transaction).
 *
 * Each batch of changes is one event with an increasing id, kept in a bounded ring (count and bytes) for
 * `Last-Event-ID` replay after a reconnect; older ids get a `reset` (the page reloads its data).
 *
 * Memory: one mark per trial in the database (attempt, status, last epoch, diagnosis time, experiments; ~150 bytes),
 * the ring (at most `maxEvents` events and `maxBytes` bytes of JSON), and each subscriber's unsent output (a
 * subscriber whose socket falls `maxBacklog` bytes behind is disconnected; its browser reconnects and replays).
 */
import type { ServerResponse } from 'node:http';
import type {
  EpochRecord, ExperimentOverview, GradcheckRecord, ResultsReader, StoredFinding, TrialListRow, TrialMark, TrialStatus,
} from '@sweeplab/store';

export type ExperimentHead = Pick<ExperimentOverview, 'name' | 'description' | 'file' | 'createdAt' | 'updatedAt'>;

/** A trial that changed: its list row now, and its status and experiments before (null: new to this server). */
export interface TrialChange {
  row: TrialListRow;
  prev: { status: TrialStatus; experiments: string[] } | null;
  /** the stored findings, when the diagnosis changed */
  findings?: StoredFinding[];
}

/** New epochs of a trial's attempt; `reset`: a new attempt started, earlier epochs are gone. */
export interface EpochChange {
  trialId: string;
  attempt: number;
  reset: boolean;
  epochs: EpochRecord[];
}

export interface Delta {
  experiments: ExperimentHead[];
  removedExperiments: string[];
  trials: TrialChange[];
  epochs: EpochChange[];
  gradchecks: GradcheckRecord[];
}

/** What a subscriber wants: every experiment's counts, one experiment, or some trials. */
export type Scope = { kind: 'all' } | { kind: 'experiment'; name: string } | { kind: 'trials'; ids: ReadonlySet<string> };

export interface WatcherOptions {
  pollMs: number;
  maxEvents: number;
  maxBytes: number;
  maxBacklog: number;
  /** trials read per transaction (more changes: the next batch follows at once) */
  batch: number;
  /** called before each timed look (the server checks there that its database file is still the same file) */
  beforeTick?: () => void;
  /** called with each batch of changes as it is published */
  onDelta?: (d: Delta) => void;
}

interface Logged { id: number; delta: Delta; bytes: number }

interface Subscriber { res: ServerResponse; scope: Scope }

const emptyDelta = (): Delta => ({ experiments: [], removedExperiments: [], trials: [], epochs: [], gradchecks: [] });

function isEmpty(d: Delta): boolean {
  return d.experiments.length + d.removedExperiments.length + d.trials.length + d.epochs.length + d.gradchecks.length === 0;
}

/** The part of a delta a scope wants (null: nothing). */
export function filterDelta(d: Delta, scope: Scope): Delta | null {
  if (scope.kind === 'all') {
    const f = { ...emptyDelta(), experiments: d.experiments, removedExperiments: d.removedExperiments, trials: d.trials };
    return isEmpty(f) ? null : f;
  }
  if (scope.kind === 'experiment') {
    const trials = d.trials.filter((t) => t.row.links.some((l) => l.experiment === scope.name) || (t.prev?.experiments.includes(scope.name) ?? false));
    const ids = new Set(trials.map((t) => t.row.id));
    const f: Delta = {
      experiments: d.experiments.filter((e) => e.name === scope.name),
      removedExperiments: d.removedExperiments.filter((n) => n === scope.name),
      trials, epochs: d.epochs.filter((e) => ids.has(e.trialId)), gradchecks: [],
    };
    return isEmpty(f) ? null : f;
  }
  const trials = d.trials.filter((t) => scope.ids.has(t.row.id));
  const f: Delta = { ...emptyDelta(), trials, epochs: d.epochs.filter((e) => scope.ids.has(e.trialId)), gradchecks: d.gradchecks };
  return isEmpty(f) ? null : f;
}

export class Watcher {
  /** a fresh id per server process: a page that reconnects to another server instance reloads its data */
  readonly instance: string;
  private version = -1;
  private rev = 0;
  private gradcheckId = 0;
  private readonly marks = new Map<string, Omit<TrialMark, 'id'>>();
  private heads = new Map<string, string>();
  private readonly ring: Logged[] = [];
  private ringBytes = 0;
  private lastId = 0;
  private readonly subscribers = new Set<Subscriber>();
  private timer: NodeJS.Timeout | null = null;
  private readonly keepAlive: NodeJS.Timeout;
  /** counters for the benchmark and tests */
  readonly stats = { ticks: 0, reads: 0, events: 0, dropped: 0 };
  /** set when reading the database fails (a page shows it) */
  failure: string | null = null;

  constructor(private readonly reader: ResultsReader, private readonly opts: WatcherOptions, instance: string) {
    this.instance = instance;
    reader.snapshot(() => {
      this.version = this.dataVersion();
      const m = reader.changeMarks();
      this.rev = m.rev;
      this.gradcheckId = m.gradcheckId;
      for (const { id, ...mark } of reader.trialMarks()) this.marks.set(id, mark);
      this.heads = new Map(reader.experimentHeads().map((e) => [e.name, JSON.stringify(e)]));
    });
    this.keepAlive = setInterval(() => {
      for (const s of this.subscribers) s.res.write(': keep-alive\n\n');
    }, 15_000);
    this.keepAlive.unref();
  }

  /** The id of the latest event (a snapshot read after `tick()` in the same transaction is consistent with it). */
  get eventId(): number {
    return this.lastId;
  }

  get listeners(): number {
    return this.subscribers.size;
  }

  /** Memory held by the event ring, in bytes of JSON. */
  get ringSize(): { events: number; bytes: number; marks: number } {
    return { events: this.ring.length, bytes: this.ringBytes, marks: this.marks.size };
  }

  private dataVersion(): number {
    return this.reader.query('PRAGMA data_version').rows[0]?.[0] as number;
  }

  /**
   * Reads what changed since the last look (nothing when data_version did not move) and publishes it. Call inside
   * `reader.snapshot` to read a snapshot consistent with `eventId`.
   */
  tick(): void {
    this.stats.ticks++;
    try {
      const v = this.dataVersion();
      if (v === this.version) return;
      this.version = v;
      let more = true;
      while (more) more = this.readBatch();
      this.failure = null;
    } catch (e) {
      this.failure = `reading the results database failed: ${(e as Error).message}`;
      this.version = -1; // try again on the next tick
    }
  }

  private readBatch(): boolean {
    this.stats.reads++;
    const d = emptyDelta();
    const rows = this.reader.trialsChangedSince(this.rev, this.opts.batch);
    for (const row of rows) this.trialChange(row, d);
    const last = rows.at(-1);
    if (last) this.rev = last.rev;
    const more = rows.length === this.opts.batch;
    if (!more) {
      d.gradchecks = this.reader.gradchecksAfter(this.gradcheckId);
      const g = d.gradchecks.at(-1);
      if (g) this.gradcheckId = g.id;
      const heads = new Map(this.reader.experimentHeads().map((e) => [e.name, e]));
      for (const [name, e] of heads) if (this.heads.get(name) !== JSON.stringify(e)) d.experiments.push(e);
      for (const name of this.heads.keys()) if (!heads.has(name)) d.removedExperiments.push(name);
      this.heads = new Map([...heads].map(([n, e]) => [n, JSON.stringify(e)]));
    }
    if (!isEmpty(d)) this.publish(d);
    return more;
  }

  private trialChange(row: TrialListRow, d: Delta): void {
    const mark = this.marks.get(row.id);
    const change: TrialChange = { row, prev: mark ? { status: mark.status, experiments: mark.experiments } : null };
    const newAttempt = !mark || mark.attempt !== row.attempt;
    const last = newAttempt ? -1 : mark.lastEpoch;
    let lastEpoch = row.prunedEpoch !== null && !newAttempt ? Math.min(last, row.prunedEpoch) : last;
    if ((row.epochsDone ?? -1) > last) {
      const epochs = this.reader.epochsAfter(row.id, row.attempt, last);
      if (epochs.length > 0 || (newAttempt && mark)) d.epochs.push({ trialId: row.id, attempt: row.attempt, reset: newAttempt && mark !== undefined, epochs });
      lastEpoch = Math.max(lastEpoch, epochs.at(-1)?.epoch ?? -1);
    } else if (newAttempt && mark) {
      d.epochs.push({ trialId: row.id, attempt: row.attempt, reset: true, epochs: [] });
    }
    if (row.diagnosedAt !== (mark?.diagnosedAt ?? null)) change.findings = this.reader.trialDiagnoses(row.id);
    d.trials.push(change);
    this.marks.set(row.id, {
      attempt: row.attempt, status: row.status, lastEpoch, diagnosedAt: row.diagnosedAt,
      experiments: row.links.map((l) => l.experiment),
    });
  }

  private publish(delta: Delta): void {
    const id = ++this.lastId;
    const bytes = JSON.stringify(delta).length;
    this.ring.push({ id, delta, bytes });
    this.ringBytes += bytes;
    while (this.ring.length > this.opts.maxEvents || (this.ringBytes > this.opts.maxBytes && this.ring.length > 1)) {
      this.ringBytes -= this.ring.shift()?.bytes ?? 0;
    }
    this.stats.events++;
    this.opts.onDelta?.(delta);
    for (const s of this.subscribers) this.send(s, id, delta);
  }

  private send(s: Subscriber, id: number, delta: Delta): void {
    const part = filterDelta(delta, s.scope);
    if (!part) return;
    s.res.write(`id: ${id}\nevent: delta\ndata: ${JSON.stringify(part)}\n\n`);
    if (s.res.writableLength > this.opts.maxBacklog) {
      this.stats.dropped++;
      this.subscribers.delete(s);
      s.res.destroy();
    }
  }

  /**
   * Adds an SSE subscriber: replays the events after `since` (a `reset` event when they are no longer kept, or when
   * the page's data came from another server instance), then streams new ones.
   */
  subscribe(res: ServerResponse, scope: Scope, since: number, instance: string | null): void {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', Connection: 'keep-alive',
      'X-Accel-Buffering': 'no',
    });
    res.write(`retry: 1000\n\n`);
    this.tick();
    const oldest = this.ring[0]?.id ?? this.lastId + 1;
    if ((instance !== null && instance !== this.instance) || since > this.lastId || since < oldest - 1) {
      res.write(`id: ${this.lastId}\nevent: reset\ndata: {"instance":${JSON.stringify(this.instance)}}\n\n`);
    } else {
      for (const e of this.ring) if (e.id > since) this.send({ res, scope }, e.id, e.delta);
    }
    const sub = { res, scope };
    this.subscribers.add(sub);
    res.on('close', () => {
      this.subscribers.delete(sub);
      if (this.subscribers.size === 0) this.stop();
    });
    this.start();
  }

  private start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      this.opts.beforeTick?.();
      if (this.closed) return;
      this.reader.snapshot(() => this.tick());
    }, this.opts.pollMs);
  }

  private stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private closed = false;

  close(): void {
    this.closed = true;
    this.stop();
    clearInterval(this.keepAlive);
    for (const s of this.subscribers) s.res.end();
    this.subscribers.clear();
  }
}
