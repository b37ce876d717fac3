/**
 * `sweeplab serve`'s HTTP server (node:http): the pages (one HTML shell each, filled by the page's module from the
 * JSON API), the JSON API (snapshots that carry the event id they are consistent with), server-sent events of the
 * changes (watcher.ts) and the SQL box (sql.ts). Read-only: every read goes through a `ResultsReader`, and no route
 * writes anything. Every string from the database reaches the page as JSON and is put in the DOM as text; the
 * Content-Security-Policy allows scripts from this server only (vega runs with its CSP-safe interpreter).
 */
import { randomBytes } from 'node:crypto';
import { statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { stringify as toYaml } from 'yaml';
import { DEFAULT_DB_PATH, InputError, ResultsReader, type Severity, type TrialListRow } from '@sweeplab/store';
import { loadAssets, type Asset } from './assets.js';
import { Gate, isLoopback, newToken } from './auth.js';
import {
  bestSoFarChart, curvesChart, curveTrialIds, effectCharts, metricOf, parallelChart, seriesLabel, trialCharts,
  varyingPaths, type ChartOut,
} from './charts.js';
import { SqlRunner, toCsv } from './sql.js';
import { Watcher, type Scope } from './watcher.js';

export interface ServeOptions {
  /** results database (default results/sweeplab.db) */
  db?: string;
  /** default 5178; 0 picks a free port */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** required on every request when set; generated when the host is not loopback and none is given */
  token?: string | null;
  /** how often to look for changes while a page listens (default 100 ms) */
  pollMs?: number;
  /** the SQL box's time limit per query (default 5 s) and row caps (page default 1,000; CSV default 100,000) */
  queryTimeoutMs?: number;
  queryRows?: number;
  csvRows?: number;
  /** events kept for replay (default 2,000 events, 16 MB) */
  maxEvents?: number;
  maxEventBytes?: number;
}

export interface ServeHandle {
  url: string;
  /** the URL with the token, to open in a browser (= url when there is no token) */
  openUrl: string;
  host: string;
  port: number;
  token: string | null;
  db: string;
  watcher: Watcher;
  close(): Promise<void>;
}

export const SERVE_DEFAULTS = { port: 5178, host: '127.0.0.1', pollMs: 100, queryTimeoutMs: 5000, queryRows: 1000, csvRows: 100_000 };

const CSP = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
  "base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

const PAGES: Record<string, string> = { experiments: 'Experiments', experiment: 'Experiment', trial: 'Trial', compare: 'Compare', sql: 'SQL' };

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function securityHeaders(res: ServerResponse): void {
  res.setHeader('Content-Security-Policy', CSP);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Frame-Options', 'DENY');
}

function send(req: IncomingMessage, res: ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  let buf = typeof body === 'string' ? Buffer.from(body) : body;
  const headers: Record<string, string> = { 'Content-Type': type, 'Cache-Control': 'no-store', ...extra };
  if (buf.length > 32_768 && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''))) {
    buf = gzipSync(buf, { level: 1 });
    headers['Content-Encoding'] = 'gzip';
  }
  headers['Content-Length'] = String(buf.length);
  res.writeHead(status, headers);
  res.end(req.method === 'HEAD' ? undefined : buf);
}

const json = (req: IncomingMessage, res: ServerResponse, status: number, body: unknown) =>
  send(req, res, status, 'application/json; charset=utf-8', JSON.stringify(body));

/**
 * A page's HTML shell. `preload`: the API snapshot the page will ask for first, fetched while its modules load (the
 * module graph is preloaded too, so nothing waits on a chain of imports).
 */
function page(kind: string, title: string, preload: string | null = null): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · sweeplab</title><link rel="icon" href="data:,"><link rel="stylesheet" href="/assets/style.css">
${preload ? `<link rel="preload" as="fetch" crossorigin="anonymous" href="${escapeHtml(preload)}">` : ''}<link rel="modulepreload" href="/assets/client/common.js">
<script type="module" src="/assets/client/${kind}.js"></script></head>
<body data-page="${kind}"><header class="top"><a class="brand" href="/">sweeplab</a><nav><a href="/">Experiments</a><a href="/sql">SQL</a></nav>
<span id="live" class="live" title="live updates">connecting…</span></header><main id="main"><p class="loading">Loading…</p></main></body></html>`;
}

function errorPage(status: number, message: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${status} · sweeplab</title><link rel="stylesheet" href="/assets/style.css"></head>
<body><header class="top"><a class="brand" href="/">sweeplab</a></header><main><h1>${status}</h1><p class="error">${escapeHtml(message)}</p><p><a href="/">All experiments</a></p></main></body></html>`;
}

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

/** The rows of `experimentTrialTable` as list rows (the columns it leaves out are empty), with compute seconds. */
function fromTable(table: { columns: readonly string[]; rows: unknown[][] }, experiment: string, seconds: ReadonlyMap<string, number>): TrialListRow[] {
  const col = (c: string) => table.columns.indexOf(c);
  const [id, status, seed, position, params, epochsDone, finalCost, finalTrainAcc, finalTestAcc, bestTestAcc, divergedEpoch,
    prunedEpoch, error, finishedAt, heartbeatAt, findings] = ['id', 'status', 'seed', 'position', 'params', 'epochsDone', 'finalCost',
    'finalTrainAcc', 'finalTestAcc', 'bestTestAcc', 'divergedEpoch', 'prunedEpoch', 'error', 'finishedAt', 'heartbeatAt', 'findings'].map(col);
  return table.rows.map((r) => {
    const v = <T>(i: number | undefined): T => r[i ?? -1] as T;
    const trialId = v<string>(id);
    return {
      id: trialId, status: v(status), attempt: 0, seed: v(seed), arch: '', epochsDone: v(epochsDone), finalCost: v(finalCost),
      finalTrainAcc: v(finalTrainAcc), finalTestAcc: v(finalTestAcc), bestTestAcc: v(bestTestAcc), divergedEpoch: v(divergedEpoch),
      prunedEpoch: v(prunedEpoch), error: v(error), startedAt: null, finishedAt: v(finishedAt), heartbeatAt: v(heartbeatAt),
      diagnosedAt: null, rev: 0, seconds: seconds.get(trialId) ?? null,
      findings: (v<Array<[string, Severity]> | null>(findings) ?? []).map(([rule, severity]) => ({ rule, severity })),
      links: [{ experiment, position: v<number>(position), params: v<Record<string, unknown> | null>(params) ?? {} }],
    };
  });
}

/** Flattens a config to dotted paths -> JSON text of the leaves (arrays are leaves). */
function flatten(v: unknown, prefix: string, out: Map<string, string>): void {
  if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
    for (const [k, x] of Object.entries(v)) flatten(x, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, JSON.stringify(v ?? null));
  }
}

function idsParam(url: URL, max: number): string[] {
  const ids = (url.searchParams.get('ids') ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new HttpError(400, 'give trial ids: ?ids=<id>,<id> (a unique prefix of each is enough)');
  if (ids.length > max) throw new HttpError(400, `at most ${max} trials at once`);
  return ids;
}

/** The identity of a file (device and inode): a database deleted and created again is another file. */
function fileId(path: string): string | null {
  const st = statSync(path, { throwIfNoEntry: false });
  return st ? `${st.dev}:${st.ino}` : null;
}

export class SweeplabServer {
  private reader: ResultsReader;
  private current: Watcher;
  private fileId: string | null;
  /** why the data shown may be stale (the database file is gone), or null */
  private gone: string | null = null;
  /**
   * Compute seconds of each trial by experiment, for the charts (summing them reads every epoch row): read once per
   * experiment, then a changed trial's entry is dropped (onDelta) and read again alone. One number per trial.
   */
  private readonly seconds = new Map<string, Map<string, number>>();
  private readonly sql: SqlRunner;
  private readonly assets: Map<string, Asset>;
  private readonly gate: Gate;
  private readonly o: Required<Omit<ServeOptions, 'token'>> & { token: string | null };
  readonly http: Server;

  constructor(opts: ServeOptions) {
    const host = opts.host ?? SERVE_DEFAULTS.host;
    const token = opts.token ?? (isLoopback(host) ? null : newToken());
    this.o = {
      db: opts.db ?? DEFAULT_DB_PATH, port: opts.port ?? SERVE_DEFAULTS.port, host, token,
      pollMs: opts.pollMs ?? SERVE_DEFAULTS.pollMs, queryTimeoutMs: opts.queryTimeoutMs ?? SERVE_DEFAULTS.queryTimeoutMs,
      queryRows: opts.queryRows ?? SERVE_DEFAULTS.queryRows, csvRows: opts.csvRows ?? SERVE_DEFAULTS.csvRows,
      maxEvents: opts.maxEvents ?? 2000, maxEventBytes: opts.maxEventBytes ?? 16 * 1024 * 1024,
    };
    this.reader = ResultsReader.open(this.o.db);
    this.fileId = fileId(this.o.db);
    try {
      this.assets = loadAssets();
      this.current = this.newWatcher(this.reader);
    } catch (e) {
      this.reader.close();
      throw e;
    }
    this.sql = new SqlRunner(this.o.db, this.o.queryTimeoutMs);
    this.gate = new Gate(token, isLoopback(host));
    this.http = createServer((req, res) => this.handle(req, res));
  }

  get token(): string | null {
    return this.o.token;
  }

  /** The change watcher of the database file being served (a new one when the file was replaced). */
  get watcher(): Watcher {
    return this.current;
  }

  private newWatcher(reader: ResultsReader): Watcher {
    return new Watcher(reader, {
      pollMs: this.o.pollMs, maxEvents: this.o.maxEvents, maxBytes: this.o.maxEventBytes, maxBacklog: 8 * 1024 * 1024, batch: 2000,
      beforeTick: () => this.checkFile(),
      onDelta: (d) => { for (const t of d.trials) for (const m of this.seconds.values()) m.delete(t.row.id); },
    }, randomBytes(6).toString('hex'));
  }

  /**
   * Notices a database file deleted or replaced under the server (results/ removed and a new run started): a new
   * file is opened (read-only, as at start) with a new watcher, whose other instance id makes every open page reload
   * its data; a missing file keeps the last data readable and says so on the pages.
   */
  private checkFile(): void {
    const id = fileId(this.o.db);
    if (id === this.fileId) return;
    if (id === null) {
      this.gone = `the results database ${this.o.db} is gone (deleted or moved): the pages show the data read before; they reload when it is back`;
      return;
    }
    let reader: ResultsReader;
    try {
      reader = ResultsReader.open(this.o.db);
    } catch (e) {
      this.gone = `the results database ${this.o.db} was replaced by a file this server cannot read: ${(e as Error).message}`;
      return;
    }
    const old = { reader: this.reader, watcher: this.current };
    this.reader = reader;
    this.fileId = id;
    this.gone = null;
    this.current = this.newWatcher(reader);
    this.seconds.clear();
    this.sql.restart();
    setImmediate(() => { // not inside the old reader's transaction
      old.watcher.close();
      old.reader.close();
    });
  }

  async listen(): Promise<ServeHandle> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(this.o.port, this.o.host, () => {
        this.http.off('error', reject);
        resolve();
      });
    });
    const port = (this.http.address() as AddressInfo).port;
    const shown = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host === '0.0.0.0' ? '127.0.0.1' : this.o.host;
    const url = `http://${shown}:${port}/`;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the handle's watcher getter follows a replaced file
    const server = this;
    return {
      url, openUrl: this.o.token ? `${url}?token=${encodeURIComponent(this.o.token)}` : url, host: this.o.host, port,
      token: this.o.token, db: this.o.db, close: () => this.close(),
      get watcher() { return server.watcher; },
    };
  }

  async close(): Promise<void> {
    this.watcher.close();
    this.sql.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.reader.close();
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    securityHeaders(res);
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      send(req, res, 400, 'text/plain; charset=utf-8', 'bad request URL');
      return;
    }
    const gate = this.gate.check(req, url);
    if (!gate.ok) {
      if (url.pathname.startsWith('/api/') || url.pathname === '/events') json(req, res, gate.status, { error: gate.message });
      else send(req, res, gate.status, 'text/html; charset=utf-8', errorPage(gate.status, gate.message));
      return;
    }
    if (gate.setCookie) {
      res.setHeader('Set-Cookie', this.gate.cookie());
      if (req.method === 'GET' && !url.pathname.startsWith('/api/') && url.pathname !== '/events') {
        url.searchParams.delete('token');
        res.writeHead(303, { Location: url.pathname + url.search });
        res.end();
        return;
      }
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      send(req, res, 405, 'text/plain; charset=utf-8', 'read-only server: only GET requests', { Allow: 'GET, HEAD' });
      return;
    }
    this.route(req, res, url).catch((e: unknown) => this.fail(req, res, url, e));
  }

  private fail(req: IncomingMessage, res: ServerResponse, url: URL, e: unknown): void {
    const status = e instanceof HttpError ? e.status : e instanceof InputError ? (e.code === 'UNKNOWN_TRIAL' || e.code === 'UNKNOWN_EXPERIMENT' ? 404 : 400) : 500;
    const message = e instanceof Error ? e.message : String(e);
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (url.pathname.startsWith('/api/')) json(req, res, status, { error: message });
    else send(req, res, status, 'text/html; charset=utf-8', errorPage(status, message));
  }

  private async route(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const p = url.pathname;
    const asset = this.assets.get(p);
    if (asset) {
      if (req.headers['if-none-match'] === asset.etag) {
        res.writeHead(304, { ETag: asset.etag });
        res.end();
        return;
      }
      send(req, res, 200, asset.type, asset.body, { ETag: asset.etag, 'Cache-Control': 'no-cache' });
      return;
    }
    const seg = p.split('/').slice(1).map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        throw new HttpError(400, 'bad URL encoding');
      }
    });
    if (p === '/') return this.page(req, res, 'experiments', 'Experiments');
    if (seg[0] === 'experiments' && seg.length === 2 && seg[1]) return this.page(req, res, 'experiment', seg[1], `/api/experiments/${encodeURIComponent(seg[1])}`);
    if (seg[0] === 'trials' && seg.length === 2 && seg[1]) return this.page(req, res, 'trial', `trial ${seg[1]}`);
    if (p === '/compare') return this.page(req, res, 'compare', 'Compare');
    if (p === '/sql') return this.page(req, res, 'sql', 'SQL');
    if (p === '/events') return this.events(res, url);
    if (seg[0] === 'api') return this.api(req, res, url, seg.slice(1));
    throw new HttpError(404, `no page at ${p}`);
  }

  private page(req: IncomingMessage, res: ServerResponse, kind: string, title: string, preload: string | null = null): void {
    send(req, res, 200, 'text/html; charset=utf-8', page(kind, kind === 'experiments' ? title : `${title} · ${PAGES[kind] ?? ''}`, preload));
  }

  /** A snapshot consistent with the event id it carries: the watcher catches up inside the same read transaction. */
  private snap<T extends object>(fn: (r: ResultsReader) => T): T & { instance: string; eventId: number; failure: string | null } {
    this.checkFile();
    return this.reader.snapshot(() => {
      this.watcher.tick();
      return { ...fn(this.reader), instance: this.watcher.instance, eventId: this.watcher.eventId, failure: this.failure };
    });
  }

  /** What a page should say about the data it shows (null: all is well). */
  private get failure(): string | null {
    return this.gone ?? this.watcher.failure;
  }

  private async api(req: IncomingMessage, res: ServerResponse, url: URL, seg: string[]): Promise<void> {
    const [a, b, c] = seg;
    if (a === 'experiments' && seg.length === 1) return json(req, res, 200, this.snap((r) => ({ experiments: r.experimentOverviews() })));
    if (a === 'experiments' && b && seg.length === 2) return send(req, res, 200, 'application/json; charset=utf-8', this.experiment(b));
    if (a === 'experiments' && b && c === 'charts' && seg.length === 3) return json(req, res, 200, this.experimentCharts(b, url.searchParams.get('part')));
    if (a === 'trials' && b && seg.length === 2) return json(req, res, 200, this.trial(b));
    if (a === 'trials' && b && c === 'charts' && seg.length === 3) return json(req, res, 200, this.reader.snapshot(() => this.trialChartsOf(b)));
    if (a === 'compare' && seg.length === 1) return json(req, res, 200, this.compare(idsParam(url, 12)));
    if (a === 'schema' && seg.length === 1) return json(req, res, 200, { objects: this.reader.schemaObjects() });
    if ((a === 'sql' || a === 'sql.csv') && seg.length === 1) return this.query(req, res, url, a === 'sql.csv');
    throw new HttpError(404, `no API at /api/${seg.join('/')}`);
  }

  /**
   * The experiment page's snapshot as JSON text: the experiment, its finding counts, and its trials as the table
   * SQLite builds (`experimentTrialTable`: row arrays, spliced in as they come, so no object is made per trial).
   */
  private experiment(name: string): string {
    this.checkFile();
    return this.reader.snapshot(() => {
      this.watcher.tick();
      const head = this.reader.experimentHeads().find((e) => e.name === name);
      if (!head) throw new InputError('UNKNOWN_EXPERIMENT', `no experiment ${JSON.stringify(name)} in ${this.o.db}`);
      const table = this.reader.experimentTrialTable(name);
      const meta = {
        instance: this.watcher.instance, eventId: this.watcher.eventId, failure: this.failure, experiment: head,
        findings: this.reader.experimentFindingCounts(name), columns: table.columns,
      };
      return `${JSON.stringify(meta).slice(0, -1)},"rows":${table.json}}`;
    });
  }

  private experimentCharts(name: string, part: string | null): { charts: ChartOut[]; curveTrials: string[] } {
    this.checkFile();
    return this.reader.snapshot(() => {
      this.watcher.tick(); // changed trials drop their cached seconds
      if (!this.reader.experimentHeads().some((e) => e.name === name)) throw new InputError('UNKNOWN_EXPERIMENT', `no experiment ${JSON.stringify(name)}`);
      const table = this.reader.experimentTrialTable(name);
      const parsed = { columns: table.columns, rows: JSON.parse(table.json) as unknown[][] };
      const rows = fromTable(parsed, name, part === 'curves' ? new Map() : this.secondsOf(name, parsed));
      const metric = metricOf(rows);
      const ids = curveTrialIds(rows);
      const epochs = this.reader.epochsOfTrials(ids);
      // while every trial runs there is no final accuracy yet: the curves show test accuracy when the epochs have it
      const curveMetric = metric === 'test' || [...epochs.values()].some((es) => es.some((e) => e.testAcc !== null)) ? 'test' : 'train';
      const byId = new Map(rows.map((t) => [t.id, t]));
      const trials = ids.flatMap((id) => byId.get(id) ?? []);
      const varying = varyingPaths(rows, name);
      const labels = new Map(trials.map((t) => [t.id, seriesLabel(t, name, varying)]));
      const charts: ChartOut[] = [curvesChart('curves', 'Running and best trials', `Learning curves of the running trials and the best finished ones by final ${metric} accuracy (live).`,
        trials, labels, epochs, curveMetric)];
      if (part !== 'curves') {
        for (const ch of [parallelChart(rows, name, metric), bestSoFarChart(rows, metric)]) if (ch) charts.push(ch);
        charts.push(...effectCharts(rows, name, metric));
      }
      return { charts, curveTrials: ids };
    });
  }

  private secondsOf(experiment: string, table: { columns: readonly string[]; rows: unknown[][] }): Map<string, number> {
    let m = this.seconds.get(experiment);
    if (!m) {
      m = this.reader.experimentSeconds(experiment);
      this.seconds.set(experiment, m);
      return m;
    }
    const id = table.columns.indexOf('id');
    const done = table.columns.indexOf('epochsDone');
    const missing = table.rows.filter((r) => !m.has(r[id] as string) && r[done] !== null).map((r) => r[id] as string);
    for (const t of missing.length > 0 ? this.reader.trialList(missing) : []) if (t.seconds !== null) m.set(t.id, t.seconds);
    return m;
  }

  private trial(idOrPrefix: string) {
    return this.snap((r) => {
      const id = r.resolveTrialId(idOrPrefix);
      const trial = r.trial(id);
      const list = r.trialList([id])[0];
      if (!trial || !list) throw new InputError('UNKNOWN_TRIAL', `no trial ${id}`);
      const db = this.o.db === DEFAULT_DB_PATH ? '' : ` --db ${/^[\w./-]+$/.test(this.o.db) ? this.o.db : JSON.stringify(this.o.db)}`;
      return {
        trial, list, epochs: r.epochs(id), findings: r.trialDiagnoses(id), gradchecks: r.archGradchecks(trial.arch),
        configYaml: toYaml(trial.config), reproduce: `sweeplab reproduce ${id}${db}`,
      };
    });
  }

  private trialChartsOf(idOrPrefix: string): { charts: ChartOut[] } {
    const id = this.reader.resolveTrialId(idOrPrefix);
    const trial = this.reader.trial(id);
    if (!trial) throw new InputError('UNKNOWN_TRIAL', `no trial ${id}`);
    return { charts: trialCharts(trial, this.reader.epochs(id)) };
  }

  private compare(prefixes: string[]) {
    return this.snap((r) => {
      const ids = [...new Set(prefixes.map((p) => r.resolveTrialId(p)))];
      const trials = ids.map((id) => r.trial(id)).filter((t) => t !== undefined);
      const lists = r.trialList(ids);
      const flat = trials.map((t) => {
        const m = new Map<string, string>();
        flatten(t.config, '', m);
        return m;
      });
      const paths = [...new Set(flat.flatMap((m) => [...m.keys()]))].sort();
      const config = paths.map((path) => {
        const values = flat.map((m) => m.get(path) ?? '(not set)');
        return { path, values, differs: new Set(values).size > 1 };
      });
      const metric = metricOf(lists);
      const differing = config.filter((d) => d.differs).map((d) => d.path);
      const labels = new Map(lists.map((t) => {
        const parts = differing.slice(0, 3).map((path) => `${path.slice(path.lastIndexOf('.') + 1)}=${(flat[ids.indexOf(t.id)]?.get(path) ?? '').replace(/^"|"$/g, '')}`);
        return [t.id, `${t.id.slice(0, 6)}${parts.length ? ' ' + parts.join(' ') : ''}`];
      }));
      const curves = curvesChart('curves', 'Learning curves', `Cost and ${metric} accuracy per epoch of each trial (live).`, lists, labels, r.epochsOfTrials(ids), metric);
      return { trials: lists, config, charts: [curves] };
    });
  }

  private async query(req: IncomingMessage, res: ServerResponse, url: URL, csv: boolean): Promise<void> {
    const sql = (url.searchParams.get('q') ?? '').trim();
    if (!sql) throw new HttpError(400, 'give a query: ?q=SELECT …');
    if (sql.length > 100_000) throw new HttpError(400, 'the query is longer than 100,000 characters');
    const r = await this.sql.run(sql, csv ? this.o.csvRows : this.o.queryRows);
    // a refused or stopped query is an answer, not a failed request (200 with ok: false and the reason)
    if (!csv) return json(req, res, r.ok || r.code !== 'FAILED' ? 200 : 500, r);
    if (!r.ok) {
      send(req, res, 400, 'text/plain; charset=utf-8', `sweeplab: ${r.message}\n`);
      return;
    }
    send(req, res, 200, 'text/csv; charset=utf-8', toCsv(r.columns, r.rows), {
      'Content-Disposition': 'attachment; filename="sweeplab-query.csv"',
      ...(r.truncated ? { 'X-Sweeplab-Truncated': `first ${r.maxRows} rows` } : {}),
    });
  }

  private events(res: ServerResponse, url: URL): void {
    const kind = url.searchParams.get('scope') ?? 'all';
    let scope: Scope;
    if (kind === 'experiment') scope = { kind: 'experiment', name: url.searchParams.get('name') ?? '' };
    else if (kind === 'trials') scope = { kind: 'trials', ids: new Set((url.searchParams.get('ids') ?? '').split(',').filter(Boolean)) };
    else scope = { kind: 'all' };
    const header = res.req.headers['last-event-id'];
    this.checkFile();
    const since = Number(typeof header === 'string' && header !== '' ? header : url.searchParams.get('since') ?? this.watcher.eventId);
    this.reader.snapshot(() => this.watcher.subscribe(res, scope, Number.isFinite(since) ? since : -1, url.searchParams.get('instance')));
  }
}

/**
 * Opens the database read-only and serves it until `close()`.
 * @throws InputError NO_DATABASE; StoreError NOT_SWEEPLAB / SCHEMA_TOO_NEW / SCHEMA_OLD; an EADDRINUSE listen error
 */
export async function startServer(opts: ServeOptions = {}): Promise<ServeHandle> {
  const server = new SweeplabServer(opts);
  try {
    return await server.listen();
  } catch (e) {
    await server.close();
    throw e;
  }
}
