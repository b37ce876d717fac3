// The compare page (/compare?ids=a,b,…): trials side by side (final metrics, the config with the differing values
// highlighted) and their learning curves overlaid, growing live.
import {
  drawChart, el, getJson, insertEpochs, listen, main, num, pct, setLive, showError, statusBadge,
  type Chart, type Delta, type DrawnChart, type Snapshot, type TrialRow,
} from './common.js';

interface CompareSnap extends Snapshot { trials: TrialRow[]; config: Array<{ path: string; values: string[]; differs: boolean }>; charts: Chart[] }

const ids = new URLSearchParams(location.search).get('ids') ?? '';
let snap: CompareSnap | null = null;
const charts: DrawnChart[] = [];
let onlyDiff = new URLSearchParams(location.search).get('diff') === '1';

function metricsTable(rows: TrialRow[]): HTMLElement {
  const line = (label: string, f: (t: TrialRow) => Node | string) => el('tr', {}, el('th', {}, label), ...rows.map((t) => el('td', {}, f(t))));
  return el('table', { class: 'compare' }, el('thead', {}, el('tr', {}, el('th', {}, ''), ...rows.map((t) => el('th', {}, el('a', { href: `/trials/${t.id}`, class: 'mono' }, t.id.slice(0, 10)))))),
    el('tbody', {}, line('status', (t) => statusBadge(t.status, t.error)), line('epochs', (t) => String(t.epochsDone ?? '–')),
      line('final cost', (t) => num(t.finalCost)), line('train acc', (t) => pct(t.finalTrainAcc)), line('test acc', (t) => pct(t.finalTestAcc)),
      line('best test acc', (t) => pct(t.bestTestAcc)), line('time (s)', (t) => num(t.seconds))));
}

function configTable(): HTMLElement {
  if (!snap) return el('div');
  const rows = snap.config.filter((c) => !onlyDiff || c.differs);
  return el('table', { class: 'compare config' }, el('thead', {}, el('tr', {}, el('th', {}, 'config'), ...snap.trials.map((t) => el('th', { class: 'mono' }, t.id.slice(0, 10))))),
    el('tbody', {}, ...rows.map((c) => el('tr', { class: c.differs ? 'differs' : null }, el('th', { class: 'mono' }, c.path), ...c.values.map((v) => el('td', { class: 'mono' }, v))))));
}

function render(): void {
  if (!snap) return;
  const toggle = el('input', { type: 'checkbox', checked: onlyDiff, id: 'only-diff' });
  toggle.addEventListener('change', () => {
    onlyDiff = toggle.checked;
    const q = new URLSearchParams(location.search);
    if (onlyDiff) q.set('diff', '1'); else q.delete('diff');
    history.replaceState(null, '', `${location.pathname}?${q}`);
    document.getElementById('config')?.replaceChildren(configTable());
  });
  const differing = snap.config.filter((c) => c.differs).length;
  document.getElementById('metrics')?.replaceChildren(metricsTable(snap.trials));
  document.getElementById('config-head')?.replaceChildren(el('h2', {}, 'Config'),
    el('p', { class: 'note' }, `${differing} of ${snap.config.length} settings differ (highlighted). `, el('label', {}, toggle, ' only the differences')));
  document.getElementById('config')?.replaceChildren(configTable());
}

function apply(d: Delta): void {
  if (!snap) return;
  for (const { row } of d.trials) {
    const i = snap.trials.findIndex((t) => t.id === row.id);
    if (i >= 0) snap.trials[i] = row;
  }
  for (const e of d.epochs) for (const c of charts) insertEpochs(c, e.trialId, e.epochs);
  if (d.trials.length > 0) document.getElementById('metrics')?.replaceChildren(metricsTable(snap.trials));
}

async function load(): Promise<void> {
  try {
    snap = await getJson<CompareSnap>(`/api/compare?ids=${encodeURIComponent(ids)}`);
  } catch (e) {
    setLive('off');
    showError((e as Error).message);
    return;
  }
  main().replaceChildren(el('h1', {}, `Compare ${snap.trials.length} trials`), el('div', { id: 'metrics', class: 'wrap' }),
    el('h2', {}, 'Learning curves'), el('div', { id: 'charts', class: 'charts' }), el('div', { id: 'config-head' }), el('div', { id: 'config', class: 'wrap' }));
  render();
  document.body.dataset.ready = '1';
  listen(`scope=trials&ids=${snap.trials.map((t) => t.id).join(',')}`, snap, apply, () => location.reload());
  const box = document.getElementById('charts');
  if (box) for (const ch of snap.charts) charts.push(await drawChart(box, ch));
  document.body.dataset.charts = '1';
}

void load();
