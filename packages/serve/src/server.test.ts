// sweeplab serve over HTTP (no browser): pages, assets and 404s, the token and the loopback Host check, the SQL box
// (read-only, row cap, CSV, time limit), and the live events: an epoch written by another connection arrives as a
// server-sent event, a reconnect replays what it missed, and ids from another server instance get a reset.
import { strict as assert } from 'node:assert';
import { mkdtempSync, renameSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Store } from '@sweeplab/store';
import { startServer, type ServeHandle } from './server.js';

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-serve-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const db = join(dir, 'results.db');
type EpochMetrics = Parameters<Store['insertEpoch']>[2];
const XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>';

function metrics(epoch: number, acc: number): EpochMetrics {
  return {
    epoch, measured: true, cost: 2 / (epoch + 1), loss: 2 / (epoch + 1), l2Term: 0, trainAcc: acc, testAcc: acc, valAcc: null,
    lr: 0.1, outMean: 0.3, outStd: 0.2, outUnitMean: [0.3], outUnitStd: [0.2], gradNorm: [1, 0.5], updateRatio: [null, null],
    weightNorm: [3, 2], weightMean: [0, 0], saturation: [0.1], seconds: 0.5, evalSeconds: 0.1,
  };
}

let store: Store;
before(() => {
  store = Store.open(db);
  store.registerExperiments([{
    name: 'demo', description: XSS, file: join(dir, 'demo.yaml'), yaml: 'name: demo\n', resolvedJson: '{}', sweptPaths: ['train.lr'],
    trials: [0.1, 0.5, 2].map((lr, i) => ({
      id: `t${i}${'0'.repeat(14)}`, configJson: JSON.stringify({ model: { layers: [4, 3], activation: 'sigmoid', output: 'softmax', loss: 'cross-entropy' }, train: { lr, epochs: 3 } }),
      seed: 1, arch: '4-3', paramsJson: JSON.stringify({ 'train.lr': lr }), position: i,
    })),
  }]);
  for (const [i, acc] of [[0, 0.5], [1, 0.8]] as const) {
    const id = `t${i}${'0'.repeat(14)}`;
    store.claimTrial(id, 'me', { force: false, isAlive: () => true });
    for (let e = 0; e <= 3; e++) store.insertEpoch(id, 1, metrics(e, acc * (e + 1) / 4));
    store.finishTrial(id, 1, {
      status: 'done', epochsDone: 3, divergedEpoch: null, finalCost: 0.5, finalTrainAcc: acc, finalTestAcc: acc, bestTestAcc: acc,
      backend: 'js', finalEval: { accuracy: acc, perClass: [acc, acc, acc], confusion: [[5, 1, 0], [0, 6, 0], [1, 0, 5]] }, summary: {},
    });
  }
});
after(() => store.close());

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

/** A raw GET (node:http, so the Host header and cookies are exactly what the test says). */
function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('pages and assets', () => {
  let h: ServeHandle;
  before(async () => { h = await startServer({ db, port: 0 }); });
  after(() => h.close());

  test('every page is an HTML shell with a strict CSP; assets come from the package; the rest is 404', async () => {
    for (const p of ['', 'experiments/demo', 'trials/t0', 'compare?ids=t0,t1', 'sql?q=SELECT%201']) {
      const r = await get(h.url + p);
      assert.equal(r.status, 200, p);
      assert.match(String(r.headers['content-type']), /text\/html/);
      assert.match(String(r.headers['content-security-policy']), /script-src 'self';/);
      assert.ok(!r.body.includes('onerror'), 'no database text in the shell');
    }
    for (const a of ['/assets/style.css', '/assets/client/experiment.js', '/assets/vendor/vega.min.js', '/assets/vendor/vega-expr.js', '/assets/vendor/vega-util/index.js']) {
      assert.equal((await get(h.url.replace(/\/$/, '') + a)).status, 200, a);
    }
    for (const p of ['/nope', '/assets/../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/assets/client/../../package.json',
      '/assets/vendor/vega-util/../../../../package.json', '/api/nope', '/experiments/demo/extra']) {
      const r = await get(h.url.replace(/\/$/, '') + p);
      assert.equal(r.status, 404, p);
      assert.ok(!r.body.includes('"name": "@sweeplab/serve"'), p);
    }
    assert.equal((await get(h.url + 'api/experiments/nope')).status, 404);
    assert.equal((await get(h.url + 'api/trials/zz')).status, 404);
    assert.equal((await get(h.url, {}, 'POST')).status, 405);
  });

  test('the API gives database text as JSON data, with the event id the snapshot is consistent with', async () => {
    const list = JSON.parse((await get(h.url + 'api/experiments')).body) as { experiments: Array<{ name: string; description: string; counts: Record<string, number> }>; eventId: number; instance: string };
    assert.deepEqual(list.experiments.map((e) => [e.name, e.description, e.counts]), [['demo', XSS, { done: 2, pending: 1 }]]);
    assert.equal(typeof list.eventId, 'number');
    const exp = JSON.parse((await get(h.url + 'api/experiments/demo')).body) as { experiment: { description: string }; columns: string[]; rows: unknown[][]; eventId: number };
    assert.equal(exp.experiment.description, XSS);
    assert.deepEqual(exp.rows.map((r) => [r[exp.columns.indexOf('id')], r[exp.columns.indexOf('params')]]),
      [['t000000000000000', { 'train.lr': 0.1 }], ['t100000000000000', { 'train.lr': 0.5 }], ['t200000000000000', { 'train.lr': 2 }]]);
    assert.equal(typeof exp.eventId, 'number');
    const charts = JSON.parse((await get(h.url + 'api/experiments/demo/charts')).body) as { charts: Array<{ name: string }>; curveTrials: string[] };
    assert.deepEqual(charts.charts.map((c) => c.name), ['curves', 'parallel', 'best-so-far', 'effect-train.lr']);
    assert.deepEqual(charts.curveTrials, ['t100000000000000', 't000000000000000']);
    const trial = JSON.parse((await get(h.url + 'api/trials/t1')).body) as { trial: { id: string }; epochs: unknown[]; configYaml: string; reproduce: string };
    assert.equal(trial.trial.id, 't100000000000000');
    assert.equal(trial.epochs.length, 4);
    assert.match(trial.configYaml, /lr: 0.5/);
    assert.match(trial.reproduce, /^sweeplab reproduce t100000000000000 --db /);
    const cmp = JSON.parse((await get(h.url + 'api/compare?ids=t0,t1')).body) as { config: Array<{ path: string; differs: boolean }> };
    assert.deepEqual(cmp.config.filter((c) => c.differs).map((c) => c.path), ['train.lr']);
  });
});

describe('access', () => {
  test('a non-loopback bind needs the token: 401 without it, the link sets a cookie, a bearer header works', async () => {
    const h = await startServer({ db, port: 0, host: '0.0.0.0' });
    try {
      assert.ok(h.token && h.token.length >= 20, 'a token is generated');
      const base = `http://127.0.0.1:${h.port}/`;
      const none = await get(base);
      assert.equal(none.status, 401);
      assert.match(none.body, /needs its token/);
      assert.equal((await get(`${base}api/experiments`)).status, 401);
      assert.equal((await get(`${base}events`)).status, 401);
      assert.equal((await get(`${base}?token=wrong`)).status, 401);
      const link = await get(`${base}experiments/demo?token=${h.token}`);
      assert.equal(link.status, 303);
      assert.equal(link.headers.location, '/experiments/demo');
      const cookie = String(link.headers['set-cookie']).split(';')[0] ?? '';
      assert.match(String(link.headers['set-cookie']), /HttpOnly; SameSite=Strict/);
      assert.equal((await get(`${base}api/experiments`, { Cookie: cookie })).status, 200);
      assert.equal((await get(`${base}api/experiments`, { Authorization: `Bearer ${h.token}` })).status, 200);
    } finally {
      await h.close();
    }
  });

  test('a loopback bind answers only to loopback Host names (no DNS rebinding); a token given there is required too', async () => {
    const h = await startServer({ db, port: 0 });
    try {
      assert.equal(h.token, null);
      assert.equal((await get(h.url, { Host: `localhost:${h.port}` })).status, 200);
      assert.equal((await get(h.url, { Host: `evil.example:${h.port}` })).status, 403);
    } finally {
      await h.close();
    }
    const t = await startServer({ db, port: 0, token: 'sekrit-token-123' });
    try {
      assert.equal((await get(t.url + 'api/experiments')).status, 401);
      assert.equal((await get(t.url + 'api/experiments?token=sekrit-token-123')).status, 200);
    } finally {
      await t.close();
    }
  });
});

describe('SQL box', () => {
  let h: ServeHandle;
  before(async () => { h = await startServer({ db, port: 0, queryRows: 2, queryTimeoutMs: 1500 }); });
  after(() => h.close());
  const sql = async (q: string, csv = false) => get(`${h.url}api/sql${csv ? '.csv' : ''}?q=${encodeURIComponent(q)}`);

  test('a SELECT works with the row cap, CSV downloads; writes, ATTACH and PRAGMA settings are refused and change nothing', async () => {
    const ok = JSON.parse((await sql('SELECT id, status FROM trials ORDER BY id')).body) as { ok: boolean; columns: string[]; rows: unknown[][]; truncated: boolean };
    assert.deepEqual(ok, { ok: true, columns: ['id', 'status'], rows: [['t000000000000000', 'done'], ['t100000000000000', 'done']], truncated: true, maxRows: 2 });
    const csv = await sql(`SELECT 'a,b' AS x, 1 AS n, NULL AS z`, true);
    assert.equal(csv.status, 200);
    assert.equal(csv.body, 'x,n,z\r\n"a,b",1,\r\n');
    assert.match(String(csv.headers['content-disposition']), /attachment/);
    for (const [q, why] of [['DELETE FROM trials', /DELETE is refused/], [`ATTACH '${join(dir, 'x.db')}' AS x`, /ATTACH is refused/],
      ['PRAGMA query_only = 0', /PRAGMA query_only with a value is refused/], ['UPDATE trials SET status = 1', /UPDATE is refused/],
      ['DROP TABLE trials', /DROP is refused/], ['SELECT 1; DELETE FROM trials', /bad SQL/]] as const) {
      const r = await sql(q);
      assert.equal(r.status, 200, q);
      const body = JSON.parse(r.body) as { ok: boolean; code: string; message: string };
      assert.equal(body.code, 'BAD_SQL', q);
      assert.match(body.message, why, q);
    }
    const count = JSON.parse((await sql('SELECT count(*) FROM trials')).body) as { rows: unknown[][] };
    assert.deepEqual(count.rows, [[3]], 'nothing was deleted');
  });

  test('a query past the time limit is stopped with a clear message and the next one runs', async () => {
    const slow = await sql('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c');
    assert.equal(slow.status, 200);
    const body = JSON.parse(slow.body) as { code: string; message: string };
    assert.equal(body.code, 'TIMEOUT');
    assert.match(body.message, /longer than the time limit \(1\.5 s\).*WHERE or LIMIT/);
    assert.deepEqual((JSON.parse((await sql('SELECT 41 + 1')).body) as { rows: unknown[][] }).rows, [[42]]);
  });
});

/** Reads server-sent events from a streaming response. */
async function* sse(url: string, headers: Record<string, string> = {}, signal?: AbortSignal): AsyncGenerator<{ id: string; event: string; data: string }> {
  const res = await fetch(url, { headers, ...(signal ? { signal } : {}) });
  assert.equal(res.status, 200);
  const reader = res.body?.getReader();
  if (!reader) throw new Error('no body');
  const dec = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buf += dec.decode(value, { stream: true });
    let i;
    while ((i = buf.indexOf('\n\n')) >= 0) {
      const block = buf.slice(0, i);
      buf = buf.slice(i + 2);
      const f = { id: '', event: 'message', data: '' };
      for (const line of block.split('\n')) {
        const [k, ...rest] = line.split(': ');
        const v = rest.join(': ');
        if (k === 'id') f.id = v;
        else if (k === 'event') f.event = v;
        else if (k === 'data') f.data = v;
      }
      if (f.data !== '') yield f;
    }
  }
}

describe('the database file', () => {
  test('deleted: the pages say so and keep the data read before; replaced: the new file is served and open pages reset', async () => {
    const dir2 = mkdtempSync(join(tmpdir(), 'sweeplab-serve-file-'));
    try {
      const path = join(dir2, 'results.db');
      const make = (name: string, at: string) => {
        const s = Store.open(at);
        s.registerExperiments([{ name, description: '', file: join(dir2, `${name}.yaml`), yaml: '', resolvedJson: '{}', sweptPaths: [], trials: [] }]);
        s.close();
        for (const ext of ['-wal', '-shm']) rmSync(at + ext, { force: true });
      };
      make('first', path);
      const h = await startServer({ db: path, port: 0 });
      try {
        const names = async () => (JSON.parse((await get(h.url + 'api/experiments')).body) as { experiments: Array<{ name: string }>; failure: string | null });
        assert.deepEqual((await names()).experiments.map((e) => e.name), ['first']);
        const before = JSON.parse((await get(h.url + 'api/experiments')).body) as { instance: string; eventId: number };
        renameSync(path, join(dir2, 'moved.db'));
        const gone = await names();
        assert.deepEqual(gone.experiments.map((e) => e.name), ['first']);
        assert.match(gone.failure ?? '', /is gone \(deleted or moved\)/);
        make('second', join(dir2, 'new.db'));
        renameSync(join(dir2, 'new.db'), path);
        const now = await names();
        assert.deepEqual(now.experiments.map((e) => e.name), ['second']);
        assert.equal(now.failure, null);
        const ac = new AbortController();
        const stale = sse(`${h.url}events?scope=all&since=${before.eventId}&instance=${before.instance}`, {}, ac.signal);
        assert.equal((await stale.next()).value?.event, 'reset', 'a page of the old file reloads');
        ac.abort();
        assert.deepEqual((JSON.parse((await get(`${h.url}api/sql?q=${encodeURIComponent('SELECT name FROM experiments')}`)).body) as { rows: unknown[][] }).rows, [['second']]);
      } finally {
        await h.close();
      }
    } finally {
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});

describe('live events', () => {
  test('an epoch written by another connection arrives as an event; a reconnect replays what it missed; another instance gets a reset', async () => {
    const h = await startServer({ db, port: 0, pollMs: 50 });
    const ac = new AbortController();
    try {
      const snap = JSON.parse((await get(h.url + 'api/experiments/demo')).body) as { eventId: number; instance: string };
      const events = sse(`${h.url}events?scope=experiment&name=demo&since=${snap.eventId}&instance=${snap.instance}`, {}, ac.signal);
      const id = 't200000000000000';
      // the stream is open once the server has answered; then a writer (another connection) claims and records epoch 0
      const first = events.next();
      while (h.watcher.listeners === 0) await new Promise((r) => setImmediate(r));
      store.claimTrial(id, 'other', { force: false, isAlive: () => true });
      store.insertEpoch(id, 1, metrics(0, 0.2));
      let got = (await first).value;
      const seen: Array<{ id: string; data: string }> = [];
      while (got && !got.data.includes('"epochs":[{"trialId":"t2')) {
        seen.push(got);
        got = (await events.next()).value;
      }
      assert.ok(got, 'the epoch arrived (how fast: npm run bench -w @sweeplab/serve)');
      const delta = JSON.parse(got.data) as { trials: Array<{ row: { id: string; status: string }; prev: { status: string } }>; epochs: Array<{ trialId: string; epochs: Array<{ epoch: number }> }> };
      assert.deepEqual(delta.epochs.map((e) => [e.trialId, e.epochs.map((x) => x.epoch)]), [[id, [0]]]);
      assert.equal(delta.trials[0]?.row.status, 'running');
      const lastId = Number(got.id);
      ac.abort();

      // while disconnected: two more epochs; a reconnect with Last-Event-ID gets them, in order, and no earlier event
      store.insertEpoch(id, 1, metrics(1, 0.3));
      JSON.parse((await get(h.url + 'api/experiments')).body); // a snapshot request makes the server look meanwhile
      store.insertEpoch(id, 1, metrics(2, 0.4));
      JSON.parse((await get(h.url + 'api/experiments')).body);
      const ac2 = new AbortController();
      const replay = sse(`${h.url}events?scope=experiment&name=demo&instance=${snap.instance}`, { 'Last-Event-ID': String(lastId) }, ac2.signal);
      const epochs: number[] = [];
      const ids: number[] = [];
      while (epochs.length < 2) {
        const e = (await replay.next()).value;
        assert.ok(e && e.event === 'delta');
        ids.push(Number(e.id));
        for (const x of (JSON.parse(e.data) as typeof delta).epochs) epochs.push(...x.epochs.map((y) => y.epoch));
      }
      assert.deepEqual(epochs, [1, 2]);
      assert.ok(ids.every((x, i) => x > lastId && (i === 0 || x > (ids[i - 1] ?? 0))), 'increasing ids after the last one seen');
      ac2.abort();

      const ac3 = new AbortController();
      const stale = sse(`${h.url}events?scope=all&since=${lastId}&instance=someone-else`, {}, ac3.signal);
      assert.equal((await stale.next()).value?.event, 'reset');
      ac3.abort();
    } finally {
      ac.abort();
      await h.close();
    }
  });
});
