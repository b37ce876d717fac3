// The trial page (/trials/<id>): status and final metrics, per-epoch curves (cost, accuracies, learning rate, output
// mean/std, per-layer gradients), the diagnosis with evidence and advice, the confusion matrix, the gradient check,
// the resolved config as YAML and the reproduce command. New epochs grow the curves in place.
import {
  drawChart, el, fmtValue, getJson, insertEpochs, listen, main, MISSING, num, pct, setLive, severityBadge, showError, statusBadge, when,
  type Chart, type Delta, type DrawnChart, type Epoch, type Finding, type Snapshot, type TrialRow,
} from './common.js';

interface Gradcheck { layer: number; kind: string; checked: number; skipped: number; maxRelError: number | null; threshold: number; passed: boolean; experiment: string; createdAt: string }
interface TrialSnap extends Snapshot {
  trial: { id: string; experiment: string; status: string; arch: string; seed: number; backend: string | null; error: string | null; attempt: number; config: Record<string, unknown> };
  list: TrialRow; epochs: Epoch[]; findings: Finding[]; gradchecks: Gradcheck[]; configYaml: string; reproduce: string;
}

const idParam = decodeURIComponent(location.pathname.split('/')[2] ?? '');
let snap: TrialSnap | null = null;
let charts: DrawnChart[] = [];
let stop: (() => void) | null = null;

function dl(pairs: Array<[string, Node | string]>): HTMLElement {
  return el('dl', {}, ...pairs.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
}

function renderHeader(row: TrialRow): void {
  const h = document.getElementById('header');
  if (!h || !snap) return;
  const links = row.links.map((l) => el('span', { class: 'link' }, el('a', { href: `/experiments/${encodeURIComponent(l.experiment)}` }, l.experiment),
    ` #${l.position} `, ...Object.entries(l.params).map(([k, v]) => el('code', {}, `${k}=${fmtValue(v)} `))));
  const copy = el('button', { type: 'button', class: 'copy' }, 'copy');
  copy.addEventListener('click', () => { void navigator.clipboard?.writeText(snap?.reproduce ?? ''); copy.textContent = 'copied'; });
  h.replaceChildren(
    el('h1', {}, 'Trial ', el('span', { class: 'mono' }, row.id)),
    el('div', { class: 'card' }, dl([
      ['status', el('span', {}, statusBadge(row.status), row.error ? el('span', { class: 'reason' }, ` ${row.error}`) : '')],
      ['experiments', el('span', {}, ...links)],
      ['architecture', snap.trial.arch], ['seed', String(row.seed)], ['attempt', String(row.attempt)],
      ['epochs', `${row.epochsDone ?? MISSING}${row.prunedEpoch !== null ? ` (pruned at ${row.prunedEpoch})` : ''}${row.divergedEpoch !== null ? ` (diverged at ${row.divergedEpoch})` : ''}`],
      ['final cost', num(row.finalCost)], ['final train / test accuracy', `${pct(row.finalTrainAcc)} / ${pct(row.finalTestAcc)}`],
      ['best test accuracy', pct(row.bestTestAcc)], ['compute', row.seconds === null ? MISSING : `${num(row.seconds)} s`],
      ['started / finished', `${when(row.startedAt)} / ${when(row.finishedAt)}`], ['backend', snap.trial.backend ?? MISSING],
      ['reproduce', el('span', {}, el('code', { id: 'reproduce' }, snap.reproduce), ' ', copy)],
    ])));
}

function renderFindings(findings: Finding[]): void {
  const f = document.getElementById('diagnosis');
  if (!f) return;
  f.replaceChildren(el('h2', {}, 'Diagnosis'), findings.length === 0
    ? el('p', { class: 'note' }, snap?.list.diagnosedAt ? 'No rule fired.' : 'Not diagnosed yet (finished trials are diagnosed at the end of `sweeplab run`, or by `sweeplab diagnose`).')
    : el('table', { class: 'findings' }, el('thead', {}, el('tr', {}, el('th', {}, 'finding'), el('th', {}, 'evidence'), el('th', {}, 'suggested change'))),
      el('tbody', {}, ...findings.map((x) => el('tr', {}, el('td', {}, severityBadge(x)),
        el('td', { class: 'ev' }, ...Object.entries(x.evidence).map(([k, v]) => el('span', {}, `${k}=${typeof v === 'number' ? num(v) : fmtValue(v)} `))),
        el('td', {}, x.advice))))));
}

function renderGradchecks(rows: Gradcheck[]): HTMLElement {
  if (rows.length === 0) return el('p', { class: 'note' }, 'No gradient check recorded for this architecture.');
  return el('table', {}, el('thead', {}, el('tr', {}, ...['layer', 'kind', 'checked', 'skipped', 'max rel. error', 'threshold', 'result', 'run by'].map((h) => el('th', {}, h)))),
    el('tbody', {}, ...rows.map((g) => el('tr', {}, el('td', { class: 'num' }, String(g.layer)), el('td', {}, g.kind), el('td', { class: 'num' }, String(g.checked)),
      el('td', { class: 'num' }, String(g.skipped)), el('td', { class: 'num' }, num(g.maxRelError)), el('td', { class: 'num' }, num(g.threshold)),
      el('td', {}, el('span', { class: g.passed ? 'st st-done' : 'st st-failed' }, g.passed ? 'passed' : 'FAILED')), el('td', {}, g.experiment)))));
}

async function loadCharts(): Promise<void> {
  const box = document.getElementById('charts');
  if (!box) return;
  const res = await getJson<{ charts: Chart[] }>(`/api/trials/${encodeURIComponent(idParam)}/charts`);
  for (const c of charts) { c.view.finalize(); c.figure.remove(); }
  charts = [];
  for (const ch of res.charts) charts.push(await drawChart(box, ch));
}

function apply(d: Delta): void {
  if (!snap) return;
  let ended = false;
  for (const { row, findings } of d.trials) {
    if (row.id !== snap.trial.id) continue;
    if (row.status !== snap.list.status && row.status !== 'running') ended = true;
    snap.list = row;
    renderHeader(row);
    if (findings) renderFindings(findings);
  }
  for (const e of d.epochs) {
    if (e.trialId !== snap.trial.id) continue;
    if (e.reset) { void loadCharts(); continue; }
    for (const c of charts) insertEpochs(c, e.trialId, e.epochs);
  }
  if (ended) void loadCharts(); // the final evaluation (confusion matrix) is there now
}

async function load(): Promise<void> {
  stop?.();
  try {
    snap = await getJson<TrialSnap>(`/api/trials/${encodeURIComponent(idParam)}`);
  } catch (e) {
    setLive('off');
    showError((e as Error).message);
    return;
  }
  document.title = `trial ${snap.trial.id.slice(0, 10)} · sweeplab`;
  main().replaceChildren(el('div', { id: 'header' }), el('h2', {}, 'Per-epoch curves'), el('div', { id: 'charts', class: 'charts' }),
    el('section', { id: 'diagnosis' }), el('h2', {}, 'Gradient check'), renderGradchecks(snap.gradchecks),
    el('h2', {}, 'Resolved config'), el('pre', { class: 'yaml' }, snap.configYaml));
  renderHeader(snap.list);
  renderFindings(snap.findings);
  document.body.dataset.ready = '1';
  stop = listen(`scope=trials&ids=${snap.trial.id}`, snap, apply, () => void load());
  await loadCharts().catch((e: Error) => document.getElementById('charts')?.append(el('p', { class: 'error' }, `charts: ${e.message}`)));
  document.body.dataset.charts = '1';
}

void load();
