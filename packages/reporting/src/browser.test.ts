// Opens a rendered report from disk in headless Chromium (Debian's /usr/bin/chromium through
// playwright-core): no console or page errors, no network requests, every chart drawn, the injected
// script inert and shown as text, the sort script working. Saves a screenshot to test-artifacts/report.png.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { it } from 'node:test';
import { renderReport } from './report.js';
import { syntheticSweep, XSS } from './testing/fixtures.js';

// The page.evaluate callbacks run in the browser; this package compiles without the DOM library, so the
// little of it they use is declared here (module scope: nothing leaks into the package's own code).
interface PageElement { querySelector(sel: string): PageElement | null; getBoundingClientRect(): { width: number; height: number }; textContent: string | null }
declare const document: { querySelectorAll(sel: string): ArrayLike<PageElement>; body: { innerText: string } };
declare const window: { __pwned?: unknown };

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url)); // <repo>/test-artifacts

it('the HTML report renders in headless Chromium from disk', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is missing (CI installs the Debian package chromium)`,
  timeout: 60_000,
}, async () => {
  const { chromium } = await import('playwright-core');
  const out = await renderReport(syntheticSweep());
  const dir = mkdtempSync(join(tmpdir(), 'sweeplab-report-'));
  const file = join(dir, 'index.html');
  writeFileSync(file, out.html);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(file).href;
    await page.goto(url, { waitUntil: 'load' });

    const state = await page.evaluate(() => {
      const svgs = Array.from(document.querySelectorAll('figure.chart > svg.marks'));
      const drawn = svgs.filter((s) => s.querySelector('[class*="role-mark"] path, [class*="role-mark"] line, [class*="role-mark"] text') !== null);
      const box = svgs.map((s) => s.getBoundingClientRect()).map((r) => Math.round(r.width * r.height));
      return {
        charts: svgs.length, drawn: drawn.length, minArea: Math.min(...box),
        pwned: window.__pwned,
        scripts: document.querySelectorAll('script').length,
        text: document.body.innerText,
      };
    });
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, [url], 'the page loads nothing but itself');
    assert.equal(state.charts, Object.keys(out.charts).length);
    assert.equal(state.drawn, state.charts, 'every chart has marks');
    assert.ok(state.minArea > 10_000, `every chart has a visible size (smallest ${state.minArea} px²)`);
    assert.equal(state.pwned, undefined);
    assert.equal(state.scripts, 1);
    assert.ok(state.text.includes(XSS), 'the description shows the script tag as text');

    // the sort script works: test accuracy ascending puts the worst finished trial first, empty cells last
    const firstRow = () => page.evaluate(() => {
      const rows = document.querySelectorAll('table.trials tbody tr');
      return [rows[0]?.querySelector('td')?.textContent, rows[rows.length - 1]?.querySelector('td')?.textContent];
    });
    assert.deepEqual(await firstRow(), ['1', '10']);
    await page.click('table.trials th:has-text("test acc") >> nth=0');
    assert.deepEqual((await firstRow())[0], '7', 'rank 7 has the lowest test accuracy');
    await page.click('table.trials th:has-text("#")');
    assert.deepEqual(await firstRow(), ['1', '10']);
    assert.deepEqual(problems, []);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
  } finally {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
