// sweeplab serve in Debian's Chromium (playwright-core): a sweep run by the real engine in another process shows up
// live (its trial rows appear, a curve grows) without a reload; sorting and filtering (kept in the URL: reload and
// back work); the compare view; the SQL box (a SELECT works, a DELETE is refused); a script in a description is
// text; a non-loopback bind wants its token. Screenshots of each page go to the test's temporary directory.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { startServer, type ServeHandle } from './server.js';

// The page.evaluate callbacks run in the browser; this file compiles without the DOM library.
interface El { textContent: string | null; getAttribute(n: string): string | null; dataset: Record<string, string | undefined>; querySelectorAll(s: string): ArrayLike<El> }
declare const document: { querySelector(s: string): El | null; querySelectorAll(s: string): ArrayLike<El>; body: El & { innerText: string } };
declare const window: { __pwned?: unknown; __marker?: number };

const CHROMIUM = '/usr/bin/chromium';
const SWEEP = fileURLToPath(new URL('./testing/run-sweep.js', import.meta.url));
const XSS = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script> tiny sweep';
const dir = mkdtempSync(join(tmpdir(), 'sweeplab-serve-browser-'));
const shots = join(dir, 'screenshots');
const db = join(dir, 'results.db');
after(() => { if (!process.env.SWEEPLAB_KEEP_TEST_DIR) rmSync(dir, { recursive: true, force: true }); });

/** Runs a sweep in another process through the real engine; resolves with its exit code and output. */
function sweep(args: { name: string; lrs: number[]; epochs: number; delayMs: number; description?: string }): { done: Promise<{ code: number | null; out: string }>; pid: number | undefined } {
  const child = spawn(process.execPath, [SWEEP, JSON.stringify({ db, dir, ...args })], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => { out += d; });
  child.stderr.on('data', (d) => { out += d; });
  return { done: new Promise((res) => child.on('close', (code) => res({ code, out }))), pid: child.pid };
}

const skip = existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (CI installs the Debian package chromium)`;

describe('sweeplab serve in a browser', { skip, timeout: 240_000 }, () => {
  let browser: Browser;
  let h: ServeHandle;
  const problems: string[] = [];

  before(async () => {
    const first = await sweep({ name: 'live', lrs: [0.5, 1], epochs: 3, delayMs: 0, description: XSS }).done;
    assert.equal(first.code, 0, first.out);
    h = await startServer({ db, port: 0 });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
  });
  after(async () => {
    await browser?.close();
    await h?.close();
  });

  async function open(path: string, opts: { charts?: boolean; base?: string } = {}): Promise<Page> {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`${path}: console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`${path}: page error: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith(opts.base ?? h.url)) problems.push(`${path}: request outside the server: ${r.url()}`); });
    await page.goto((opts.base ?? h.url) + path);
    await page.waitForFunction(() => document.body.dataset.ready === '1', null, { timeout: 20_000 });
    if (opts.charts) await page.waitForFunction(() => document.body.dataset.charts === '1', null, { timeout: 30_000 });
    return page;
  }

  /** The texts of one column of the trials table (by its header's data-key), top to bottom. */
  const columnValues = (page: Page, key: string) => page.evaluate((k) => {
    const i = Array.from(document.querySelectorAll('table.trials thead th')).findIndex((th) => th.getAttribute('data-key') === k);
    return Array.from(document.querySelectorAll('table.trials tbody tr')).map((r) => Array.from(r.querySelectorAll('td'))[i]?.textContent ?? '');
  }, key);

  const rowIds = (page: Page) => page.evaluate(() => Array.from(document.querySelectorAll('table.trials tbody tr')).map((r) => r.getAttribute('data-id') ?? ''));

  test('the experiments page lists the experiment; its description is text, not HTML', async () => {
    const page = await open('');
    const state = await page.evaluate(() => ({ text: document.body.innerText, pwned: window.__pwned, imgs: document.querySelectorAll('main img').length }));
    assert.ok(state.text.includes(XSS), 'the payload shows as text');
    assert.equal(state.pwned, undefined);
    assert.equal(state.imgs, 0);
    await page.screenshot({ path: join(shots, 'experiments.png'), fullPage: true });
    await page.close();
  });

  test('sorting and filtering the trials table, kept in the URL through reload and back', async () => {
    const page = await open('experiments/live', { charts: true });
    assert.equal((await rowIds(page)).length, 2);
    const lrs = () => columnValues(page, 'p.train.lr');
    await page.click('table.trials th[data-key="p.train.lr"]');
    assert.match(page.url(), /sort=-p\.train\.lr/);
    assert.deepEqual(await lrs(), ['1', '0.5'], 'descending by lr');
    await page.click('table.trials th[data-key="p.train.lr"]');
    assert.deepEqual(await lrs(), ['0.5', '1'], 'ascending by lr');
    await page.click('table.trials th[data-key="test"]');
    const desc = (await columnValues(page, 'test')).map((x) => parseFloat(x));
    assert.ok((desc[0] ?? 0) >= (desc[1] ?? 0), `descending by test accuracy: ${desc.join(', ')}`);
    await page.click('table.trials th[data-key="test"]');
    const asc = (await columnValues(page, 'test')).map((x) => parseFloat(x));
    assert.deepEqual(asc, [...desc].reverse());
    await page.reload();
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    assert.equal(await page.getAttribute('table.trials th[data-key="test"]', 'aria-sort'), 'ascending', 'the sort survives a reload');

    await page.selectOption('select[data-param="train.lr"]', '0.5');
    assert.equal((await rowIds(page)).length, 1);
    assert.match(page.url(), /p\.train\.lr=0\.5/);
    await page.check('input[data-status="failed"]');
    assert.equal((await rowIds(page)).length, 0, 'no failed trial with lr 0.5');
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('table.trials tbody tr').length === 1);
    await page.goBack();
    await page.waitForFunction(() => document.querySelectorAll('table.trials tbody tr').length === 2);
    await page.screenshot({ path: join(shots, 'experiment.png'), fullPage: true });
    await page.close();
  });

  test('a sweep started now shows up live: new trial rows appear and a running curve grows, without a reload', async () => {
    const page = await open('experiments/live', { charts: true });
    await page.evaluate(() => { window.__marker = 1; });
    const before = new Set(await rowIds(page));
    const run = sweep({ name: 'live', lrs: [0.5, 1, 2], epochs: 12, delayMs: 150 });
    // the new expansion (12 epochs: new trial ids) replaces the rows
    await page.waitForFunction((old) => {
      const ids = Array.from(document.querySelectorAll('table.trials tbody tr')).map((r) => r.getAttribute('data-id') ?? '');
      return ids.length === 3 && ids.every((id) => !old.includes(id));
    }, [...before], { timeout: 60_000 });
    // a running trial's curve: wait until it has points, then until it has more
    const points = () => page.evaluate(() => Number(document.querySelector('figure[data-chart="curves"]')?.dataset.points ?? '0'));
    await page.waitForFunction(() => document.querySelector('table.trials tbody tr.row-running') !== null, null, { timeout: 60_000 });
    await page.waitForFunction(() => Number(document.querySelector('figure[data-chart="curves"]')?.dataset.points ?? '0') > 0, null, { timeout: 60_000 });
    const p1 = await points();
    await page.waitForFunction((n) => Number(document.querySelector('figure[data-chart="curves"]')?.dataset.points ?? '0') > n, p1, { timeout: 60_000 });
    assert.ok((await points()) > p1);
    await page.screenshot({ path: join(shots, 'experiment-live.png'), fullPage: true });
    const res = await run.done;
    assert.equal(res.code, 0, res.out);
    await page.waitForFunction(() => document.querySelectorAll('table.trials tbody tr.row-done').length === 3, null, { timeout: 60_000 });
    assert.equal(await page.evaluate(() => window.__marker), 1, 'the page was never reloaded');
    await page.close();
  });

  test('compare: config differences highlighted, curves overlaid', async () => {
    const page = await open('experiments/live', { charts: true });
    const boxes = page.locator('table.trials tbody tr input[type=checkbox]');
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.click('#compare-link a');
    await page.waitForFunction(() => document.body.dataset.charts === '1', null, { timeout: 30_000 });
    const state = await page.evaluate(() => ({
      cols: document.querySelectorAll('table.compare:not(.config) thead th').length,
      differs: Array.from(document.querySelectorAll('table.config tr.differs th')).map((t) => t.textContent),
      points: Number(document.querySelector('figure[data-chart="curves"]')?.dataset.points ?? '0'),
    }));
    assert.equal(state.cols, 3);
    assert.deepEqual(state.differs, ['train.lr']);
    assert.ok(state.points >= 2 * 13, `both curves drawn (${state.points} points)`);
    await page.screenshot({ path: join(shots, 'compare.png'), fullPage: true });
    await page.goBack();
    await page.waitForFunction(() => document.body.dataset.ready === '1');
    assert.match(page.url(), /\/experiments\/live/);
    await page.close();
  });

  test('the trial page: curves, diagnosis, gradient check, config and the reproduce command', async () => {
    const snap = await (await fetch(`${h.url}api/experiments/live`)).json() as { rows: string[][] };
    const id = snap.rows[0]?.[0] ?? '';
    const page = await open(`trials/${id.slice(0, 8)}`, { charts: true });
    const state = await page.evaluate(() => ({
      charts: Array.from(document.querySelectorAll('figure.chart')).map((f) => f.dataset.chart),
      reproduce: document.querySelector('#reproduce')?.textContent,
      yaml: document.querySelector('pre.yaml')?.textContent ?? '',
      gradcheck: document.body.innerText.includes('passed'),
    }));
    assert.deepEqual(state.charts, ['splits', 'lrout', 'layers', 'confusion', 'per-class']);
    assert.equal(state.reproduce, `sweeplab reproduce ${id} --db ${db}`);
    assert.match(state.yaml, /epochs: 12/);
    assert.ok(state.gradcheck);
    await page.screenshot({ path: join(shots, 'trial.png'), fullPage: true });
    await page.close();
  });

  test('the SQL box: a SELECT shows rows, a DELETE is refused with the reason', async () => {
    const page = await open('sql?q=' + encodeURIComponent('SELECT trial_id, status, final_test_acc FROM trial_summary ORDER BY trial_id'));
    await page.waitForSelector('table.result tbody tr');
    assert.ok((await page.locator('table.result tbody tr').count()) >= 3);
    await page.fill('#q', 'DELETE FROM trials');
    await page.click('#query button[type=submit]');
    await page.waitForSelector('#result .error');
    assert.match(await page.textContent('#result .error') ?? '', /DELETE is refused/);
    await page.screenshot({ path: join(shots, 'sql.png'), fullPage: true });
    const count = await (await fetch(`${h.url}api/sql?q=${encodeURIComponent('SELECT count(*) FROM trials')}`)).json() as { rows: number[][] };
    assert.ok((count.rows[0]?.[0] ?? 0) >= 5, 'nothing deleted');
    await page.close();
  });

  test('a non-loopback bind wants its token; the printed link lets the browser in', async () => {
    const t = await startServer({ db, port: 0, host: '0.0.0.0' });
    try {
      const base = `http://127.0.0.1:${t.port}/`;
      const page = await browser.newPage();
      const res = await page.goto(base);
      assert.equal(res?.status(), 401);
      assert.match(await page.textContent('body') ?? '', /needs its token/);
      await page.goto(`${base}?token=${t.token}`);
      await page.waitForFunction(() => document.body.dataset.ready === '1');
      assert.equal(new URL(page.url()).search, '', 'the token leaves the address bar');
      assert.ok((await page.textContent('table.experiments') ?? '').includes('live'));
      await page.close();
    } finally {
      await t.close();
    }
  });

  test('no page had a console error, a page error or a request outside the server', (t) => {
    assert.deepEqual(problems, []);
    t.diagnostic(`screenshots: ${shots}${process.env.SWEEPLAB_KEEP_TEST_DIR ? '' : ' (removed at exit; SWEEPLAB_KEEP_TEST_DIR=1 keeps them)'}`);
  });
});
