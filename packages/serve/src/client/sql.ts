// The SQL page (/sql?q=…): one read-only statement over the same read-only connection as the pages, the documented
// tables and views listed beside it, results as a table (row cap) and as a CSV download; the time limit, the cap
// and refusals (writes, ATTACH, PRAGMA settings) are said in plain words.
import { el, getJson, main, setLive } from './common.js';

interface SchemaObject { name: string; type: 'table' | 'view'; columns: string[] }
type Outcome = { ok: true; columns: string[]; rows: unknown[][]; truncated: boolean; maxRows: number } | { ok: false; code: string; message: string };

const EXAMPLES = [
  'SELECT * FROM best_trials',
  'SELECT experiment, status, count(*) AS trials FROM trial_summary GROUP BY experiment, status',
  'SELECT trial_id, epoch, cost, test_acc FROM epochs WHERE epoch = 0 LIMIT 20',
];

function cell(v: unknown): string {
  return v === null || v === undefined ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v);
}

async function run(q: string): Promise<void> {
  const out = document.getElementById('result');
  if (!out) return;
  if (!q.trim()) { out.replaceChildren(); return; }
  out.replaceChildren(el('p', { class: 'note' }, 'running…'));
  const res = await fetch(`/api/sql?q=${encodeURIComponent(q)}`);
  const r = await res.json() as Outcome | { error: string };
  if ('error' in r) { out.replaceChildren(el('p', { class: 'error' }, r.error)); return; }
  if (!r.ok) { out.replaceChildren(el('p', { class: 'error', 'data-code': r.code }, r.message)); return; }
  const csv = el('a', { href: `/api/sql.csv?q=${encodeURIComponent(q)}`, download: 'sweeplab-query.csv', class: 'button' }, 'download CSV');
  out.replaceChildren(
    el('p', { class: r.truncated ? 'warn' : 'note' }, r.truncated
      ? `showing the first ${r.maxRows} rows (the row cap); the CSV download has up to 100,000. Add LIMIT/OFFSET or narrow the query to see the rest.`
      : `${r.rows.length} row${r.rows.length === 1 ? '' : 's'}`, ' ', csv),
    el('div', { class: 'wrap' }, el('table', { class: 'result' }, el('thead', {}, el('tr', {}, ...r.columns.map((c) => el('th', {}, c)))),
      el('tbody', {}, ...r.rows.map((row) => el('tr', {}, ...row.map((v) => el('td', { class: typeof v === 'number' ? 'num' : v === null ? 'null' : null }, cell(v)))))))));
}

async function load(): Promise<void> {
  setLive('off', 'queries run when you press Run');
  const q = new URLSearchParams(location.search).get('q') ?? '';
  const area = el('textarea', { id: 'q', rows: 6, spellcheck: 'false', placeholder: 'SELECT * FROM trial_summary LIMIT 20' });
  area.value = q;
  const form = el('form', { id: 'query' }, area, el('div', {}, el('button', { type: 'submit' }, 'Run'), el('span', { class: 'note' }, ' Ctrl+Enter runs it. Read-only: writes, ATTACH and PRAGMA settings are refused.')));
  const submit = () => {
    history.pushState(null, '', `/sql?q=${encodeURIComponent(area.value)}`);
    void run(area.value);
  };
  form.addEventListener('submit', (e) => { e.preventDefault(); submit(); });
  area.addEventListener('keydown', (e) => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) { e.preventDefault(); submit(); } });
  const schema = el('aside', { id: 'schema' }, el('h2', {}, 'Tables and views'));
  const examples = el('ul', { class: 'examples' }, ...EXAMPLES.map((x) => {
    const a = el('a', { href: `/sql?q=${encodeURIComponent(x)}` }, x);
    return el('li', {}, a);
  }));
  main().replaceChildren(el('h1', {}, 'SQL'), el('div', { class: 'sql' }, el('div', { class: 'sql-main' }, form, el('div', { id: 'result' }), el('h2', {}, 'Examples'), examples), schema));
  window.addEventListener('popstate', () => {
    const again = new URLSearchParams(location.search).get('q') ?? '';
    area.value = again;
    void run(again);
  });
  document.body.dataset.ready = '1';
  await run(q);
  const { objects } = await getJson<{ objects: SchemaObject[] }>('/api/schema');
  for (const o of objects) {
    const name = el('button', { type: 'button', class: 'obj', title: `insert ${o.name}` }, o.name);
    name.addEventListener('click', () => { area.setRangeText(o.name, area.selectionStart, area.selectionEnd, 'end'); area.focus(); });
    schema.append(el('details', {}, el('summary', {}, name, el('span', { class: 'note' }, ` ${o.type}`)), el('p', { class: 'cols mono' }, o.columns.join(', '))));
  }
}

void load();
