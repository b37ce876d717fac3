/**
 * sweeplab serve benchmark (not a test). A generated database of 10,000 trials x 20 epochs (epochs 0..20 recorded,
 * realistic JSON columns; 5 % failed, 10 % pruned, a few running, diagnoses on a third), served by the dashboard in
 * its own process (bench/server-process.ts: the server alone, so /proc gives its memory), driven by Debian's
 * Chromium (playwright-core). Figures:
 *   1. first paint of the experiment page: navigation start -> the first page of the trials table rendered (and
 *      the browser's first-contentful-paint), cold browser cache each run; charts drawn; 5 runs, median and max.
 *   2. API: the experiment snapshot (10,000 list rows) and its charts: wall ms and bytes.
 *   3. event latency: an epoch committed by a writer in another process (this one) -> the point inserted in the
 *      live curve in the browser (waitForFunction on animation frames, so the figure includes up to ~1 frame).
 *   4. the writer's cost of change tracking: Store.insertEpoch with the rev triggers vs a copy without them.
 *   5. server memory: RSS and peak RSS of the server process after the runs (the event ring is bounded by count and
 *      bytes; the per-trial marks are ~150 B each).
 * Run: npm run bench -w @sweeplab/serve [-- --json out.json] [--trials 10000] [--epochs 20]
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { chromium } from 'playwright-core';
import { Store } from '@sweeplab/store';
import { generate, metrics } from './generate.js';

declare const document: { body: { dataset: Record<string, string | undefined> }; querySelector(s: string): { dataset: Record<string, string | undefined> } | null };

const arg = (name: string, dflt: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? dflt) : dflt;
};
const TRIALS = Number(arg('trials', '10000'));
const EPOCHS = Number(arg('epochs', '20'));
const JSON_OUT = arg('json', '');
/** --db <path>: generate the database there and keep it (reused when it exists), for profiling */
const KEEP_DB = arg('db', '');
const RUNS = 5;
const CHROMIUM = '/usr/bin/chromium';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const max = (xs: number[]) => Math.max(...xs);
const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))] ?? NaN;

/** µs per Store.insertEpoch on `path` (a fresh trial per batch of epochs), `n` epochs. */
function writerCost(path: string, n: number): number {
  const store = Store.open(path);
  const ids: string[] = [];
  store.registerExperiments([{ name: 'w', description: '', file: '/w.yaml', yaml: '', resolvedJson: '{}', sweptPaths: [], appendOnly: true,
    trials: Array.from({ length: Math.ceil(n / 50) }, (_, i) => { const id = `w${String(i).padStart(15, '0')}`; ids.push(id); return { id, configJson: '{}', seed: 1, arch: 'w', paramsJson: '{}', position: i }; }) }]);
  for (const id of ids) store.claimTrial(id, 'w', { force: true, isAlive: () => false });
  const t0 = performance.now();
  for (let k = 0; k < n; k++) store.insertEpoch(ids[Math.floor(k / 50)] ?? '', 1, metrics(k % 50, 0.9));
  const us = ((performance.now() - t0) * 1000) / n;
  store.close();
  return us;
}

function rssKb(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const f = (k: string) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) ?? [])[1] ?? NaN);
  return { rss: f('VmRSS'), peak: f('VmHWM') };
}

async function main(): Promise<void> {
  const load = loadavg()[0] ?? 0;
  const dir = mkdtempSync(join(tmpdir(), 'sweeplab-serve-bench-'));
  const path = KEEP_DB || join(dir, 'bench.db');
  try {
    let t = performance.now();
    const reuse = KEEP_DB !== '' && existsSync(KEEP_DB);
    const running = reuse ? (new Database(KEEP_DB, { readonly: true }).prepare(`SELECT id FROM trials WHERE status = 'running'`).pluck().all() as string[]) : generate(path, TRIALS, EPOCHS).running;
    const genS = (performance.now() - t) / 1000;
    const dbMb = statSync(path).size / 1e6;
    console.log(`database: ${TRIALS} trials x ${EPOCHS} epochs (epochs 0..${EPOCHS}), ${dbMb.toFixed(0)} MB, generated in ${genS.toFixed(1)} s; load average ${load.toFixed(2)} at start`);

    const child = spawn(process.execPath, [fileURLToPath(new URL('./server-process.js', import.meta.url)), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => { out += d; const m = /"url":"([^"]+)"/.exec(out); if (m?.[1]) resolve(m[1]); });
      child.on('exit', (c) => reject(new Error(`server exited ${c}`)));
    });
    const pid = child.pid ?? 0;
    const rssStart = rssKb(pid);

    // API figures
    const api: Record<string, { ms: number; kb: number }> = {};
    for (const [name, p] of [['experiment snapshot', 'api/experiments/bench'], ['experiment charts', 'api/experiments/bench/charts'], ['experiments list', 'api/experiments']] as const) {
      const ms: number[] = [];
      let kb = 0;
      for (let k = 0; k < 3; k++) {
        t = performance.now();
        const body = await (await fetch(url + p)).text();
        ms.push(performance.now() - t);
        kb = body.length / 1024;
      }
      api[name] = { ms: median(ms), kb };
      console.log(`API ${name}: ${median(ms).toFixed(0)} ms (median of 3), ${kb.toFixed(0)} KB of JSON`);
    }

    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'] });
    const paint: number[] = [];
    const fcp: number[] = [];
    const charts: number[] = [];
    for (let k = 0; k < RUNS; k++) {
      const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } }); // cold cache
      // the moments the page marks the table rendered (data-ready) and every chart drawn (data-charts), taken in the
      // page at the next animation frame (when that frame is painted), so later main-thread work does not count
      await ctx.addInitScript(() => {
        const g = globalThis as unknown as { __t: Record<string, number>; performance: { now(): number }; requestAnimationFrame(f: () => void): void; MutationObserver: new (f: () => void) => { observe(n: unknown, o: object): void }; document: { body: { dataset: Record<string, string | undefined> } | null } };
        g.__t = {};
        new g.MutationObserver(() => {
          for (const k of ['ready', 'charts']) {
            if (g.document.body?.dataset[k] === '1' && g.__t[k] === undefined) {
              g.__t[k] = -1;
              g.requestAnimationFrame(() => { g.__t[k] = g.performance.now(); });
            }
          }
        }).observe(g.document, { attributes: true, subtree: true, attributeFilter: ['data-ready', 'data-charts'] });
      });
      const page = await ctx.newPage();
      await page.goto(`${url}experiments/bench`);
      await page.waitForFunction(() => ((globalThis as unknown as { __t: Record<string, number> }).__t.charts ?? -1) > 0, null, { timeout: 120_000 });
      const r = await page.evaluate(() => {
        const g = globalThis as unknown as { __t: Record<string, number>; performance: { getEntriesByName(n: string): Array<{ startTime: number }> } };
        return { table: g.__t.ready ?? NaN, charts: g.__t.charts ?? NaN, fcp: g.performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? NaN };
      });
      const all = r.charts;
      paint.push(r.table);
      fcp.push(r.fcp);
      charts.push(all);
      await ctx.close();
    }
    console.log(`first paint of the experiment page (trials table shown, ${TRIALS} trials): median ${median(paint).toFixed(0)} ms, max ${max(paint).toFixed(0)} ms over ${RUNS} cold loads` +
      ` (first-contentful-paint median ${median(fcp).toFixed(0)} ms); every chart drawn: median ${median(charts).toFixed(0)} ms`);

    // event latency: a writer in this process commits an epoch of a running trial; the page's live curve grows
    const page = await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage();
    await page.goto(`${url}experiments/bench`);
    await page.waitForFunction(() => document.body.dataset.charts === '1', null, { timeout: 120_000 });
    const writer = Store.open(path);
    const latency: number[] = [];
    const trial = running[0] ?? '';
    const from = writer.epochs(trial).length;
    for (let e = from; e < from + 20; e++) {
      const before = await page.evaluate(() => Number(document.querySelector('figure[data-chart="curves"]')?.dataset.points ?? '0'));
      t = performance.now();
      writer.insertEpoch(trial, 1, metrics(e, 0.9));
      await page.waitForFunction((n) => Number(document.querySelector('figure[data-chart="curves"]')?.dataset.points ?? '0') > n, before, { polling: 'raf', timeout: 10_000 });
      latency.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 150));
    }
    writer.close();
    console.log(`event latency, epoch committed -> point drawn in the browser: median ${median(latency).toFixed(0)} ms, p95 ${p95(latency).toFixed(0)} ms, max ${max(latency).toFixed(0)} ms (${latency.length} epochs; server polls data_version every 100 ms)`);
    await browser.close();
    const rssEnd = rssKb(pid);
    child.kill('SIGTERM');
    console.log(`server memory: RSS ${(rssStart.rss / 1024).toFixed(0)} MB after start, ${(rssEnd.rss / 1024).toFixed(0)} MB after ${RUNS + 1} page loads and ${latency.length} events, peak ${(rssEnd.peak / 1024).toFixed(0)} MB`);

    // the writer's cost of change tracking (triggers) on fresh databases
    const withPath = join(dir, 'writer-with.db');
    const withoutPath = join(dir, 'writer-without.db');
    Store.open(withPath).close();
    Store.open(withoutPath).close();
    const raw = new Database(withoutPath);
    for (const tr of raw.prepare(`SELECT name FROM sqlite_schema WHERE type = 'trigger'`).pluck().all() as string[]) raw.exec(`DROP TRIGGER ${tr}`);
    raw.close();
    writerCost(withPath, 500); // warm-up
    const withUs = median([writerCost(withPath, 3000), writerCost(withPath, 3000), writerCost(withPath, 3000)]);
    const withoutUs = median([writerCost(withoutPath, 3000), writerCost(withoutPath, 3000), writerCost(withoutPath, 3000)]);
    console.log(`writer: Store.insertEpoch ${withUs.toFixed(0)} µs with the change-tracking triggers, ${withoutUs.toFixed(0)} µs without (ratio ${(withUs / withoutUs).toFixed(2)}x)`);
    console.log(`load average ${loadavg()[0]?.toFixed(2)} at the end`);
    if (JSON_OUT) {
      writeFileSync(JSON_OUT, JSON.stringify({
        trials: TRIALS, epochs: EPOCHS, dbMb, loadStart: load, loadEnd: loadavg()[0], api,
        firstPaintMs: { median: median(paint), max: max(paint), runs: paint }, fcpMs: median(fcp), chartsMs: { median: median(charts), runs: charts },
        latencyMs: { median: median(latency), p95: p95(latency), max: max(latency), runs: latency },
        serverRssMb: { start: rssStart.rss / 1024, end: rssEnd.rss / 1024, peak: rssEnd.peak / 1024 },
        writerUs: { withTriggers: withUs, withoutTriggers: withoutUs },
      }, null, 2) + '\n');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
