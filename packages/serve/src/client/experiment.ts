// The experiment page (/experiments/<name>): the trials table (sort, filter by status and by any swept parameter,
// pages of 50; the state lives in the URL so reload and back/forward keep it), live learning curves of the running
// and best trials, parallel coordinates, best-so-far against compute, each parameter's effect, and the diagnoses.
// Change events update the rows and grow the curves in place; the aggregate charts are redrawn a few seconds after
// trials finish.
import {
  drawChart, el, fmtValue, getJson, insertEpochs, listen, main, MISSING, num, pct, setLive, severityBadge, showError,
  statusBadge, STATUSES, throttle, type Chart, type Delta, type DrawnChart, type Finding, type Snapshot, type TrialRow,
} from './common.js';

interface FindingCount { rule: string; severity: string; trials: number; example: { trialId: string; advice: string } }
interface ExperimentSnap extends Snapshot {
  experiment: { name: string; description: string; file: string; updatedAt: string };
  findings: FindingCount[];
  /** the trials as row arrays in `columns` order (the server splices SQLite's JSON in: see experimentTrialTable) */
  columns: string[]; rows: unknown[][];
}

const PAGE = 50;
const name = decodeURIComponent(location.pathname.split('/')[2] ?? '');
let snap: ExperimentSnap | null = null;
const trials = new Map<string, TrialRow>();
const advice = new Map<string, string>();
const selected = new Set<string>();
let charts: DrawnChart[] = [];
let curveTrials = new Set<string>();
let stop: (() => void) | null = null;

interface Column { key: string; label: string; value: (t: TrialRow) => unknown; numeric: boolean; cell?: (t: TrialRow) => Node | string; title?: string }

/** The packed rows of the snapshot as TrialRows (one object shape for all; fields the table does not use are null). */
function decodeAll(columns: string[], rows: unknown[][]): TrialRow[] {
  const at = (c: string) => columns.indexOf(c);
  const i = {
    id: at('id'), status: at('status'), seed: at('seed'), position: at('position'), params: at('params'), epochsDone: at('epochsDone'),
    finalCost: at('finalCost'), finalTrainAcc: at('finalTrainAcc'), finalTestAcc: at('finalTestAcc'), bestTestAcc: at('bestTestAcc'),
    divergedEpoch: at('divergedEpoch'), prunedEpoch: at('prunedEpoch'), error: at('error'), finishedAt: at('finishedAt'),
    heartbeatAt: at('heartbeatAt'), findings: at('findings'),
  };
  return rows.map((r): TrialRow => {
    const v = <T>(k: number): T => (r[k] ?? null) as T;
    return {
      id: v(i.id), status: v(i.status), attempt: 0, seed: v(i.seed), arch: '', epochsDone: v(i.epochsDone), finalCost: v(i.finalCost),
      finalTrainAcc: v(i.finalTrainAcc), finalTestAcc: v(i.finalTestAcc), bestTestAcc: v(i.bestTestAcc), divergedEpoch: v(i.divergedEpoch),
      prunedEpoch: v(i.prunedEpoch), error: v(i.error), startedAt: null, finishedAt: v(i.finishedAt), heartbeatAt: v(i.heartbeatAt),
      diagnosedAt: null, rev: 0, seconds: null,
      findings: (v<Array<[string, string]> | null>(i.findings) ?? []).map(([rule, severity]) => ({ rule, severity })),
      links: [{ experiment: name, position: v(i.position), params: v<Record<string, unknown> | null>(i.params) ?? {} }],
    };
  });
}

/** Swept paths (in order of first appearance), which of them are numeric, their values, and counts by status. */
let derived: { paths: string[]; numeric: Map<string, boolean>; values: Map<string, string[]>; counts: Map<string, number> } | null = null;
function derive(): NonNullable<typeof derived> {
  if (derived) return derived;
  const paths: string[] = [];
  const numeric = new Map<string, boolean>();
  const values = new Map<string, Set<string>>();
  const counts = new Map<string, number>();
  for (const t of trials.values()) {
    counts.set(t.status, (counts.get(t.status) ?? 0) + 1);
    const params = t.links.find((l) => l.experiment === name)?.params ?? {};
    for (const [k, v] of Object.entries(params)) {
      if (!numeric.has(k)) { paths.push(k); numeric.set(k, true); values.set(k, new Set()); }
      if (typeof v !== 'number') numeric.set(k, false);
      values.get(k)?.add(fmtValue(v));
    }
  }
  derived = {
    paths, numeric, counts,
    values: new Map([...values].map(([k, v]) => [k, [...v].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }))])),
  };
  return derived;
}

const paramOf = (t: TrialRow, path: string) => t.links.find((l) => l.experiment === name)?.params[path];
const positionOf = (t: TrialRow) => t.links.find((l) => l.experiment === name)?.position ?? 0;

function columns(): Column[] {
  if (!snap) return [];
  const d = derive();
  const short = (p: string) => p.slice(p.lastIndexOf('.') + 1);
  const taken = new Set(['#', 'trial', 'seed', 'status', 'epochs', 'final cost', 'train acc', 'test acc', 'best test acc', 'diagnosis']);
  // a parameter is labelled by its last segment unless that is ambiguous (another parameter's, or a fixed column's)
  const label = (p: string) => (taken.has(short(p)) || d.paths.filter((q) => short(q) === short(p)).length > 1 ? p : short(p));
  const params = d.paths.map((p): Column => ({
    key: `p.${p}`, label: label(p), title: p, value: (t) => paramOf(t, p),
    numeric: d.numeric.get(p) ?? false, cell: (t) => fmtValue(paramOf(t, p)),
  }));
  return [
    { key: 'position', label: '#', value: positionOf, numeric: true },
    { key: 'id', label: 'trial', value: (t) => t.id, numeric: false, cell: (t) => el('a', { href: `/trials/${t.id}`, class: 'mono', title: t.id }, t.id.slice(0, 10)) },
    ...params,
    { key: 'seed', label: 'seed', value: (t) => t.seed, numeric: true },
    {
      key: 'status', label: 'status', value: (t) => t.status, numeric: false,
      cell: (t) => statusBadge(t.status, t.error ?? (t.prunedEpoch !== null ? `pruned at epoch ${t.prunedEpoch}` : null)),
    },
    { key: 'epochs', label: 'epochs', value: (t) => t.epochsDone, numeric: true },
    { key: 'cost', label: 'final cost', value: (t) => t.finalCost, numeric: true, cell: (t) => num(t.finalCost) },
    { key: 'train', label: 'train acc', value: (t) => t.finalTrainAcc, numeric: true, cell: (t) => pct(t.finalTrainAcc) },
    { key: 'test', label: 'test acc', value: (t) => t.finalTestAcc, numeric: true, cell: (t) => pct(t.finalTestAcc) },
    { key: 'best', label: 'best test acc', value: (t) => t.bestTestAcc, numeric: true, cell: (t) => pct(t.bestTestAcc) },
    {
      key: 'findings', label: 'diagnosis', value: (t) => t.findings.map((f) => f.rule).join(' '), numeric: false,
      cell: (t) => el('span', {}, ...t.findings.filter((f) => f.severity !== 'info').map(severityBadge)),
    },
  ];
}

// ---- URL state: ?sort=-test&status=done,pruned&p.train.lr=0.1&page=2 ----

interface ViewState { sort: string; desc: boolean; statuses: Set<string>; params: Map<string, string>; page: number }

function readState(): ViewState {
  const q = new URLSearchParams(location.search);
  const sort = q.get('sort') ?? 'position';
  const params = new Map<string, string>();
  for (const [k, v] of q) if (k.startsWith('p.')) params.set(k.slice(2), v);
  return {
    sort: sort.replace(/^-/, ''), desc: sort.startsWith('-'), params, page: Math.max(1, Number(q.get('page') ?? '1') || 1),
    statuses: new Set((q.get('status') ?? '').split(',').filter(Boolean)),
  };
}

function writeState(s: ViewState, push = true): void {
  const q = new URLSearchParams();
  if (s.sort !== 'position' || s.desc) q.set('sort', `${s.desc ? '-' : ''}${s.sort}`);
  if (s.statuses.size > 0) q.set('status', [...s.statuses].join(','));
  for (const [k, v] of s.params) q.set(`p.${k}`, v);
  if (s.page > 1) q.set('page', String(s.page));
  const url = `${location.pathname}${q.size > 0 ? `?${q}` : ''}`;
  if (push) history.pushState(null, '', url);
  else history.replaceState(null, '', url);
  renderTable();
}

function compare(a: unknown, b: unknown, numeric: boolean): number {
  const na = a === null || a === undefined || (typeof a === 'number' && !Number.isFinite(a));
  const nb = b === null || b === undefined || (typeof b === 'number' && !Number.isFinite(b));
  if (na || nb) return na && nb ? 0 : na ? 1 : -1;
  if (numeric && typeof a === 'number' && typeof b === 'number') return a - b;
  return fmtValue(a).localeCompare(fmtValue(b), 'en', { numeric: true });
}

function visibleRows(s: ViewState, cols: Column[]): TrialRow[] {
  const col = cols.find((c) => c.key === s.sort) ?? cols[0];
  let rows = [...trials.values()];
  if (s.statuses.size > 0) rows = rows.filter((t) => s.statuses.has(t.status));
  for (const [path, want] of s.params) rows = rows.filter((t) => fmtValue(paramOf(t, path)) === want);
  if (col) {
    rows.sort((a, b) => {
      const d = compare(col.value(a), col.value(b), col.numeric);
      const nullish = (v: unknown) => v === null || v === undefined;
      if (nullish(col.value(a)) || nullish(col.value(b))) return d; // missing values last in both directions
      return (s.desc ? -d : d) || positionOf(a) - positionOf(b);
    });
  }
  return rows;
}

function filters(s: ViewState): HTMLElement {
  const d = derive();
  const statusBoxes = STATUSES.map((st) => {
    const n = d.counts.get(st) ?? 0;
    const box = el('input', { type: 'checkbox', value: st, checked: s.statuses.has(st), 'data-status': st });
    box.addEventListener('change', () => {
      if (box.checked) s.statuses.add(st);
      else s.statuses.delete(st);
      s.page = 1;
      writeState(s);
    });
    return el('label', { class: n === 0 ? 'muted' : null }, box, ` ${st} (${n})`);
  });
  const params = d.paths.map((path) => {
    const values = d.values.get(path) ?? [];
    const select = el('select', { 'data-param': path, title: path },
      el('option', { value: '' }, `${path}: all`), ...values.slice(0, 200).map((v) => el('option', { value: v, selected: s.params.get(path) === v }, v)));
    select.addEventListener('change', () => {
      if (select.value === '') s.params.delete(path);
      else s.params.set(path, select.value);
      s.page = 1;
      writeState(s);
    });
    return select;
  });
  return el('div', { class: 'filters' }, el('span', { class: 'label' }, 'status:'), ...statusBoxes, ...(params.length ? [el('span', { class: 'label' }, 'parameters:'), ...params] : []));
}

function renderTable(): void {
  const holder = document.getElementById('trials');
  if (!holder || !snap) return;
  const s = readState();
  const cols = columns();
  const rows = visibleRows(s, cols);
  const pages = Math.max(1, Math.ceil(rows.length / PAGE));
  const page = Math.min(s.page, pages);
  const shown = rows.slice((page - 1) * PAGE, page * PAGE);
  const head = el('tr', {}, el('th', { title: 'select to compare' }, ''), ...cols.map((c) => {
    const th = el('th', {
      'data-key': c.key, title: c.title ?? `sort by ${c.label}`, tabindex: 0,
      'aria-sort': s.sort === c.key ? (s.desc ? 'descending' : 'ascending') : null,
    }, c.label);
    const go = () => {
      s.desc = s.sort === c.key ? !s.desc : c.numeric && c.key !== 'position' && c.key !== 'seed';
      s.sort = c.key;
      s.page = 1;
      writeState(s);
    };
    th.addEventListener('click', go);
    th.addEventListener('keydown', (e) => { if (e.key === 'Enter') go(); });
    return th;
  }));
  const body = shown.map((t) => {
    const box = el('input', { type: 'checkbox', checked: selected.has(t.id), 'aria-label': `select ${t.id}` });
    box.addEventListener('change', () => {
      if (box.checked) selected.add(t.id);
      else selected.delete(t.id);
      renderCompare();
    });
    return el('tr', { class: `row-${t.status}`, 'data-id': t.id }, el('td', {}, box),
      ...cols.map((c) => el('td', { class: c.numeric ? 'num' : null }, c.cell ? c.cell(t) : fmtValue(c.value(t)))));
  });
  const nav = (label: string, to: number, disabled: boolean) => {
    const b = el('button', { type: 'button', disabled, 'data-page': to }, label);
    b.addEventListener('click', () => { s.page = to; writeState(s); });
    return b;
  };
  const filtered = rows.length !== trials.size ? ` (filtered from ${trials.size})` : '';
  holder.replaceChildren(filters(s),
    el('div', { class: 'pager' }, nav('‹ prev', page - 1, page <= 1),
      el('span', { class: 'range' }, rows.length === 0 ? `no trials${filtered}` : `trials ${(page - 1) * PAGE + 1}–${(page - 1) * PAGE + shown.length} of ${rows.length}${filtered}`),
      nav('next ›', page + 1, page >= pages), el('span', { id: 'compare-link' })),
    el('div', { class: 'wrap' }, el('table', { class: 'trials sortable' }, el('thead', {}, head), el('tbody', {}, ...body))));
  renderCompare();
}

function renderCompare(): void {
  const c = document.getElementById('compare-link');
  if (!c) return;
  c.replaceChildren(selected.size >= 2
    ? el('a', { href: `/compare?ids=${[...selected].join(',')}`, class: 'button' }, `compare ${selected.size} trials`)
    : el('span', { class: 'note' }, 'select 2 or more trials to compare'));
}

function renderHeader(): void {
  const h = document.getElementById('header');
  if (!h || !snap) return;
  const d = derive();
  const counts = STATUSES.map((st) => [st, d.counts.get(st) ?? 0] as const).filter(([, n]) => n > 0);
  const best = [...trials.values()].filter((t) => t.status === 'done' && t.finalTestAcc !== null)
    .sort((a, b) => (b.finalTestAcc ?? 0) - (a.finalTestAcc ?? 0))[0];
  h.replaceChildren(
    el('h1', {}, el('span', { class: 'mono' }, snap.experiment.name)),
    el('p', { class: 'desc' }, snap.experiment.description),
    el('p', { class: 'meta' }, `${trials.size} trials: `, ...counts.flatMap(([st, n]) => [statusBadge(st), ` ${n}  `]),
      best ? el('span', {}, ' · best test accuracy ', el('a', { href: `/trials/${best.id}` }, pct(best.finalTestAcc)), ` (${best.id.slice(0, 10)})`) : '',
      ` · file ${snap.experiment.file}`));
}

function renderFindings(): void {
  const f = document.getElementById('findings');
  if (!f) return;
  const counts = new Map<string, { rule: string; severity: string; n: number; example: string }>();
  for (const t of trials.values()) {
    for (const x of t.findings) {
      const k = `${x.severity}|${x.rule}`;
      const c = counts.get(k) ?? { rule: x.rule, severity: x.severity, n: 0, example: t.id };
      c.n++;
      counts.set(k, c);
    }
  }
  const rank = (s: string) => (s === 'critical' ? 0 : s === 'warning' ? 1 : 2);
  const list = [...counts.values()].sort((a, b) => rank(a.severity) - rank(b.severity) || b.n - a.n || a.rule.localeCompare(b.rule));
  f.replaceChildren(el('h2', {}, 'Diagnoses'), list.length === 0
    ? el('p', { class: 'note' }, 'No stored findings yet (finished trials are diagnosed at the end of `sweeplab run`).')
    : el('table', { class: 'findings' }, el('thead', {}, el('tr', {}, el('th', {}, 'finding'), el('th', {}, 'trials'), el('th', {}, 'suggested change (example)'))),
      el('tbody', {}, ...list.map((c) => el('tr', {}, el('td', {}, severityBadge(c)), el('td', { class: 'num' }, String(c.n)),
        el('td', {}, advice.get(c.rule) ?? MISSING, ' ', el('a', { href: `/trials/${c.example}` }, `(${c.example.slice(0, 8)})`)))))));
}

async function loadCharts(part: 'all' | 'curves'): Promise<void> {
  const box = document.getElementById('charts');
  if (!box) return;
  const res = await getJson<{ charts: Chart[]; curveTrials: string[] }>(`/api/experiments/${encodeURIComponent(name)}/charts${part === 'curves' ? '?part=curves' : ''}`);
  curveTrials = new Set(res.curveTrials);
  const keep = part === 'curves' ? charts.filter((c) => c.chart.name !== 'curves') : [];
  for (const c of charts) if (!keep.includes(c)) { c.view.finalize(); c.figure.remove(); }
  const drawn: DrawnChart[] = [];
  for (const ch of res.charts) {
    const target = ch.name === 'curves' ? document.getElementById('curves') : box;
    if (target) drawn.push(await drawChart(target, ch));
  }
  charts = [...drawn, ...keep];
}

// while trials keep starting and finishing, the curves follow within half a second and the aggregate charts are
// recomputed at most every 5 s (a steady stream of finishes must not postpone them forever)
const refreshCurves = throttle(() => void loadCharts('curves').catch(() => undefined), 500);
const refreshAll = throttle(() => void loadCharts('all').catch(() => undefined), 5000);

function apply(d: Delta): void {
  let finished = false;
  let membership = false;
  for (const { row, findings } of d.trials) {
    const inExp = row.links.some((l) => l.experiment === name);
    const before = trials.get(row.id);
    if (!inExp) { trials.delete(row.id); continue; }
    trials.set(row.id, row);
    for (const f of findings ?? []) advice.set(f.rule, (f as Finding).advice);
    if (before?.status !== row.status && row.status !== 'running' && row.status !== 'pending') finished = true;
    if ((row.status === 'running') !== curveTrials.has(row.id) && (row.status === 'running' || before?.status === 'running')) membership = true;
  }
  for (const e of d.epochs) {
    if (e.reset) membership = true;
    for (const c of charts) insertEpochs(c, e.trialId, e.epochs);
  }
  for (const e of d.experiments) if (snap && e.name === name) snap.experiment = { ...snap.experiment, ...e };
  derived = null;
  if (d.removedExperiments.includes(name)) { showError(`experiment ${name} is no longer in the database`); return; }
  scheduleRender();
  if (membership) refreshCurves();
  if (finished) refreshAll();
}

let renderPending = false;
/** Renders header, table and findings once per animation frame, however many deltas arrived in it. */
function scheduleRender(): void {
  if (renderPending) return;
  renderPending = true;
  requestAnimationFrame(() => {
    renderPending = false;
    renderHeader();
    renderTable();
    renderFindings();
  });
}

async function load(): Promise<void> {
  stop?.();
  try {
    snap = await getJson<ExperimentSnap>(`/api/experiments/${encodeURIComponent(name)}`);
  } catch (e) {
    setLive('off');
    showError((e as Error).message);
    return;
  }
  trials.clear();
  derived = null;
  for (const t of decodeAll(snap.columns, snap.rows)) trials.set(t.id, t);
  snap.rows = [];
  for (const f of snap.findings) advice.set(f.rule, f.example.advice);
  document.title = `${name} · sweeplab`;
  main().replaceChildren(el('div', { id: 'header' }), el('section', { id: 'trials' }),
    el('h2', {}, 'Learning curves'), el('div', { id: 'curves', class: 'charts' }),
    el('h2', {}, 'Parameters and objective'), el('div', { id: 'charts', class: 'charts' }), el('section', { id: 'findings' }));
  renderHeader();
  renderTable();
  renderFindings();
  document.body.dataset.ready = '1';
  stop = listen(`scope=experiment&name=${encodeURIComponent(name)}`, snap, apply, () => void load());
  charts = [];
  await loadCharts('all').catch((e: Error) => { document.getElementById('charts')?.append(el('p', { class: 'error' }, `charts: ${e.message}`)); });
  document.body.dataset.charts = '1';
}

window.addEventListener('popstate', () => renderTable());
void load();
