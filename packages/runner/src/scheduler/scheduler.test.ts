import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { Store } from '@sweeplab/store';
import { systemClock } from '../clock.js';
import type { RunEvent } from './events.js';
import { Scheduler, type SchedulerContext, type StoppingHook } from './scheduler.js';
import { StaticStrategy } from '../search/static.js';
import type { Ask, SearchStrategy, Tell, TrialCandidate } from '../search/strategy.js';
import { FakeExecutor, fakeMetrics } from '../testing/fake-executor.js';
import { archKey, tempDir, tinyConfig } from '../testing/fixtures.js';
import type { Executor } from '../exec/types.js';

const dir = tempDir('sweeplab-scheduler-');
let n = 0;

/** A fresh database with one experiment of `count` trials (3 epochs each unless told), as candidates. */
function setup(count: number, o: { epochs?: number; archs?: number } = {}): { db: string; store: Store; trials: TrialCandidate[] } {
  const db = join(dir, `s${n++}.db`);
  const store = Store.open(db);
  const trials: TrialCandidate[] = Array.from({ length: count }, (_, i) => {
    const config = tinyConfig('/nowhere', {
      train: { lr: 0.1 * (i + 1), epochs: o.epochs ?? 3 }, model: { layers: [16, 4 + (i % (o.archs ?? 1)), 3] },
    });
    return {
      id: `t${String(i).padStart(15, '0')}`, experiment: 'exp', position: i, config, arch: archKey(config), params: { 'train.lr': config.train.lr },
      fingerprints: { data: 'fp', init: null }, baseDir: dir, kernels: 'js',
    };
  });
  store.registerExperiments([{
    name: 'exp', description: '', file: join(dir, 'exp.yaml'), yaml: 'name: exp\n', resolvedJson: '{}', sweptPaths: ['train.lr'],
    trials: trials.map((t) => ({ id: t.id, configJson: JSON.stringify(t.config), seed: 1, arch: t.arch, paramsJson: '{}', position: t.position })),
  }]);
  return { db, store, trials };
}

function context(store: Store, executor: Executor, o: { owner?: string; alive?: (owner: string | null) => boolean; signal?: AbortSignal; events?: RunEvent[] } = {}): SchedulerContext {
  return {
    store, executor: () => executor, clock: systemClock,
    owner: { id: o.owner ?? 'test:1:run', isAlive: (owner) => (o.alive ? o.alive(owner) : false) },
    emit: (e) => { o.events?.push(e); }, signal: o.signal ?? new AbortController().signal,
  };
}

function rows(db: string, sql: string, ...args: unknown[]): Record<string, unknown>[] {
  const d = new Database(db, { readonly: true });
  try {
    return d.prepare(sql).all(...args) as Record<string, unknown>[];
  } finally {
    d.close();
  }
}

/** A strategy that records what it is told. */
class Recording implements SearchStrategy {
  readonly told: Tell[] = [];
  private readonly inner: StaticStrategy;
  constructor(trials: TrialCandidate[]) {
    this.inner = new StaticStrategy(trials);
  }
  next(): Ask {
    return this.inner.next();
  }
  tell(t: Tell): void {
    this.told.push(t);
  }
}

describe('scheduler (fake executor)', () => {
  test('runs the trials in strategy order, never more at once than the executor\'s concurrency, each epoch once', async () => {
    const { db, store, trials } = setup(5);
    const exec = new FakeExecutor(2);
    const res = await new Scheduler(context(store, exec)).run(new StaticStrategy(trials), { force: false });
    assert.deepEqual(exec.started, trials.map((t) => t.id));
    assert.equal(exec.maxRunning, 2);
    assert.deepEqual(res.trials.map((t) => [t.result, t.status]), trials.map(() => ['ran', 'done']));
    assert.deepEqual(rows(db, 'SELECT trial_id, count(*) AS n, min(epoch) AS lo, max(epoch) AS hi, min(attempt) AS a FROM epochs GROUP BY trial_id'),
      trials.map((t) => ({ trial_id: t.id, n: 4, lo: 0, hi: 3, a: 1 })));
    // a second pass skips everything: nothing is claimed again
    const again = await new Scheduler(context(store, new FakeExecutor(2))).run(new StaticStrategy(trials), { force: false });
    assert.deepEqual(again.trials.map((t) => t.result), trials.map(() => 'skipped'));
    store.close();
  });

  test('an epoch delivered twice is recorded once', async () => {
    const { db, store, trials } = setup(2);
    const events: RunEvent[] = [];
    await new Scheduler(context(store, new FakeExecutor(1, { duplicate: true }), { events })).run(new StaticStrategy(trials), { force: false });
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM epochs'), [{ n: 8 }]);
    assert.equal(events.filter((e) => e.type === 'epoch').length, 8);
    store.close();
  });

  test('claim conflicts: a live owner\'s trial is left alone, a dead owner\'s is taken over as a new attempt', async () => {
    const { db, store, trials } = setup(3);
    const [t0, t1] = trials;
    assert.ok(t0 && t1);
    const w = new Database(db);
    w.prepare(`UPDATE trials SET status = 'running', owner = 'other:2:live', attempt = 1, heartbeat_at = ? WHERE id = ?`).run(new Date().toISOString(), t0.id);
    w.prepare(`UPDATE trials SET status = 'running', owner = 'other:3:dead', attempt = 1, heartbeat_at = ? WHERE id = ?`).run(new Date().toISOString(), t1.id);
    w.prepare(`INSERT INTO epochs (trial_id, attempt, epoch, cost) VALUES (?, 1, 0, 9)`).run(t1.id);
    w.close();
    const exec = new FakeExecutor(2);
    const res = await new Scheduler(context(store, exec, { alive: (o) => o === 'other:2:live' })).run(new StaticStrategy(trials), { force: true });
    assert.deepEqual(res.trials.map((t) => [t.result, t.status]), [['elsewhere', 'running'], ['ran', 'done'], ['ran', 'done']]);
    assert.deepEqual(rows(db, 'SELECT attempt, count(*) AS n, max(cost) AS worst FROM epochs WHERE trial_id = ? GROUP BY attempt', t1.id), [{ attempt: 2, n: 4, worst: 1 }]);
    assert.ok(!exec.started.includes(t0.id));
    store.close();
  });

  test('an owner that dies during the run: its trial is taken over before the run ends', async () => {
    const { db, store, trials } = setup(3, { epochs: 5 });
    const [t0] = trials;
    assert.ok(t0);
    const w = new Database(db);
    w.prepare(`UPDATE trials SET status = 'running', owner = 'other:2:dies', attempt = 1, heartbeat_at = ? WHERE id = ?`).run(new Date().toISOString(), t0.id);
    w.close();
    let alive = true;
    const exec = new FakeExecutor(1, { tickMs: 2 });
    const events: RunEvent[] = [];
    const ctx = context(store, exec, { alive: () => alive, events });
    const ctxEmit = ctx.emit;
    ctx.emit = (e) => {
      ctxEmit(e);
      if (e.type === 'trial-finished') alive = false; // the other process dies while our first trial runs
    };
    const res = await new Scheduler(ctx).run(new StaticStrategy(trials), { force: false });
    assert.deepEqual(res.trials.map((t) => [t.id, t.status]), trials.map((t) => [t.id, 'done']));
    assert.equal(exec.started.filter((id) => id === t0.id).length, 1);
    store.close();
  });

  test('two schedulers on one database (two owners, two connections) run every trial exactly once', async () => {
    const { db, store, trials } = setup(8);
    const other = Store.open(db);
    const a = new FakeExecutor(1, { tickMs: 1 });
    const b = new FakeExecutor(1, { tickMs: 1 });
    const live = (o: string | null) => o === 'test:A:run' || o === 'test:B:run';
    await Promise.all([
      new Scheduler(context(store, a, { owner: 'test:A:run', alive: live })).run(new StaticStrategy(trials), { force: false }),
      new Scheduler(context(other, b, { owner: 'test:B:run', alive: live })).run(new StaticStrategy(trials), { force: false }),
    ]);
    assert.deepEqual([...a.started, ...b.started].sort(), trials.map((t) => t.id));
    assert.deepEqual(rows(db, `SELECT DISTINCT status FROM trials`), [{ status: 'done' }]);
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM epochs'), [{ n: 32 }]);
    other.close();
    store.close();
  });

  test('the stopping hook prunes a trial at the epoch it answered, even though the worker trained one epoch more', async () => {
    const { db, store, trials } = setup(3, { epochs: 6 });
    const target = trials[1];
    assert.ok(target);
    const hook: StoppingHook = { shouldStop: (t, m) => (t.id === target.id && m.epoch === 2 ? 'below the median at epoch 2' : null) };
    const strategy = new Recording(trials);
    const events: RunEvent[] = [];
    const res = await new Scheduler(context(store, new FakeExecutor(1), { events })).run(strategy, { force: false, stopping: hook });
    assert.deepEqual(res.trials.map((t) => t.status), ['done', 'pruned', 'done']);
    const t = store.trial(target.id);
    assert.deepEqual([t?.prunedEpoch, t?.epochsDone, t?.error, t?.finalCost], [2, 2, 'below the median at epoch 2', 1 / 3]);
    assert.deepEqual(rows(db, 'SELECT epoch FROM epochs WHERE trial_id = ? ORDER BY epoch', target.id).map((r) => r.epoch), [0, 1, 2]);
    const end = strategy.told.find((x) => x.kind === 'end' && x.trial.id === target.id);
    assert.equal(end?.kind === 'end' ? end.end : null, 'pruned');
    const fin = events.find((e) => e.type === 'trial-finished' && e.trial.id === target.id);
    assert.equal(fin?.type === 'trial-finished' ? fin.prunedAt : null, 2);
    // a pruned trial is finished: a rerun does not resume it
    const again = await new Scheduler(context(store, new FakeExecutor(1))).run(new StaticStrategy(trials), { force: false });
    assert.deepEqual(again.trials.map((x) => x.result), ['skipped', 'skipped', 'skipped']);
    store.close();
  });

  test('interruption: running trials end interrupted with their epochs kept, the others stay pending', async () => {
    const { db, store, trials } = setup(4, { epochs: 50 });
    const ac = new AbortController();
    const events: RunEvent[] = [];
    const ctx = context(store, new FakeExecutor(2, { tickMs: 2 }), { signal: ac.signal, events });
    const emit = ctx.emit;
    ctx.emit = (e) => {
      emit(e);
      if (e.type === 'epoch' && e.metrics.epoch === 3) ac.abort('SIGINT');
    };
    const res = await new Scheduler(ctx).run(new StaticStrategy(trials), { force: false });
    assert.equal(res.interrupted, true);
    assert.deepEqual(rows(db, 'SELECT status, count(*) AS n FROM trials GROUP BY status ORDER BY status'),
      [{ status: 'interrupted', n: 2 }, { status: 'pending', n: 2 }]);
    for (const r of rows(db, `SELECT id, error FROM trials WHERE status = 'interrupted'`)) assert.match(String(r.error), /interrupted \(SIGINT\) after epoch \d+ of 50/);
    assert.ok((rows(db, 'SELECT count(*) AS n FROM epochs')[0]?.n as number) >= 4);
    store.close();
  });

  test('a failing trial is recorded with its message and the others go on; a failed gate fails its architecture untrained', async () => {
    const { db, store, trials } = setup(4, { archs: 2 });
    const [t0, t1] = trials;
    assert.ok(t0 && t1);
    const exec = new FakeExecutor(2, { throwAt: new Map([[t0.id, 1]]) });
    const gate = { check: async (t: TrialCandidate) => (t.arch === t1.arch ? 'gradient check failed for the test arch' : null) };
    const res = await new Scheduler(context(store, exec)).run(new StaticStrategy(trials), { force: false, gate });
    assert.deepEqual(res.trials.map((t) => [t.result, t.status]), [['ran', 'failed'], ['gradcheck-failed', 'failed'], ['ran', 'done'], ['gradcheck-failed', 'failed']]);
    assert.match(store.trial(t0.id)?.error ?? '', /fake failure at epoch 1/);
    assert.equal(store.trial(t1.id)?.error, 'gradient check failed for the test arch');
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM epochs WHERE trial_id = ?', t1.id), [{ n: 0 }]);
    assert.ok(!exec.started.includes(t1.id));
    store.close();
  });

  test('a cost grown 1000-fold over epoch 0 is diverged at that epoch, with the factor in its error', async () => {
    const { db, store, trials } = setup(2, { epochs: 8 });
    const [t0, t1] = trials;
    assert.ok(t0 && t1);
    // t0's cost: 2, 3, 30, 300, 3000 (1500x at epoch 4), ...; t1 stays sane
    const exec = new FakeExecutor(1, {}, (id, e) => fakeMetrics(e, id === t0.id ? (e === 0 ? 2 : 3 * 10 ** (e - 1)) : 1 / (e + 1)));
    const events: RunEvent[] = [];
    const res = await new Scheduler(context(store, exec, { events })).run(new StaticStrategy(trials), { force: false });
    assert.deepEqual(res.trials.map((t) => t.status), ['diverged', 'done']);
    const t = store.trial(t0.id);
    assert.equal(t?.divergedEpoch, 4);
    assert.match(t?.error ?? '', /diverged at epoch 4: the cost grew 1500x over its epoch-0 value \(2\.000 -> 3000\)/);
    assert.deepEqual(rows(db, 'SELECT epoch FROM epochs WHERE trial_id = ? ORDER BY epoch', t0.id).map((r) => r.epoch), [0, 1, 2, 3, 4]);
    const fin = events.find((e) => e.type === 'trial-finished' && e.trial.id === t0.id);
    assert.equal(fin?.type === 'trial-finished' ? fin.divergedAt : null, 4);
    store.close();
  });

  test('the same trial in two experiments (or twice in a list) runs once', async () => {
    const { store, trials } = setup(2);
    const [t0] = trials;
    assert.ok(t0);
    const exec = new FakeExecutor(2);
    const res = await new Scheduler(context(store, exec)).run(new StaticStrategy([...trials, { ...t0, experiment: 'other', position: 7 }]), { force: false });
    assert.equal(res.trials.length, 2);
    assert.equal(exec.started.length, 2);
    store.close();
  });
});
