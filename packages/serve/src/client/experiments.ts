// The experiments page (/): every experiment with its trial counts by status, best objective and last activity,
// kept current from the change events (counts move with each trial's status change).
import {
  el, getJson, listen, main, pct, setLive, showError, statusBadge, STATUSES, when, type Delta, type Snapshot, type Status,
} from './common.js';

interface Overview {
  name: string; description: string; file: string; createdAt: string; updatedAt: string;
  counts: Partial<Record<Status, number>>; trials: number; best: { trialId: string; finalTestAcc: number } | null; lastActivity: string;
}

let rows = new Map<string, Overview>();
let stop: (() => void) | null = null;

function render(): void {
  const list = [...rows.values()].sort((a, b) => a.name.localeCompare(b.name));
  const m = main();
  if (list.length === 0) {
    m.replaceChildren(el('h1', {}, 'Experiments'), el('p', { class: 'note' }, 'No experiments yet: run `sweeplab run <file>`; they appear here as they are registered.'));
    return;
  }
  const body = list.map((e) => {
    const counts = STATUSES.filter((s) => (e.counts[s] ?? 0) > 0).map((s) => el('span', { class: 'count' }, statusBadge(s), ` ${e.counts[s]}`));
    return el('tr', { 'data-name': e.name },
      el('td', {}, el('a', { href: `/experiments/${encodeURIComponent(e.name)}` }, e.name)),
      el('td', { class: 'desc' }, e.description),
      el('td', { class: 'num' }, String(e.trials)),
      el('td', { class: 'counts' }, ...counts),
      el('td', { class: 'num' }, e.best ? el('a', { href: `/trials/${e.best.trialId}`, title: e.best.trialId }, pct(e.best.finalTestAcc)) : '–'),
      el('td', { class: 'when' }, when(e.lastActivity)));
  });
  m.replaceChildren(
    el('h1', {}, 'Experiments'),
    el('div', { class: 'wrap' }, el('table', { class: 'experiments' },
      el('thead', {}, el('tr', {}, el('th', {}, 'experiment'), el('th', {}, 'description'), el('th', {}, 'trials'),
        el('th', {}, 'by status'), el('th', { title: 'best final test accuracy of a finished trial' }, 'best test acc'), el('th', {}, 'last activity'))),
      el('tbody', {}, ...body))));
}

function apply(d: Delta): void {
  for (const e of d.experiments) {
    const cur = rows.get(e.name);
    rows.set(e.name, cur
      ? { ...cur, ...e, lastActivity: cur.lastActivity > e.updatedAt ? cur.lastActivity : e.updatedAt }
      : { ...e, counts: {}, trials: 0, best: null, lastActivity: e.updatedAt });
  }
  for (const n of d.removedExperiments) rows.delete(n);
  for (const { row, prev } of d.trials) {
    for (const name of prev?.experiments ?? []) {
      const e = rows.get(name);
      if (e && prev) {
        e.counts[prev.status] = Math.max(0, (e.counts[prev.status] ?? 0) - 1);
        e.trials--;
      }
    }
    for (const l of row.links) {
      const e = rows.get(l.experiment);
      if (!e) continue;
      e.counts[row.status] = (e.counts[row.status] ?? 0) + 1;
      e.trials++;
      const t = [row.heartbeatAt, row.finishedAt].filter((x): x is string => x !== null).sort().at(-1);
      if (t && t > e.lastActivity) e.lastActivity = t;
      if (row.status === 'done' && row.finalTestAcc !== null && (!e.best || row.finalTestAcc > e.best.finalTestAcc)) {
        e.best = { trialId: row.id, finalTestAcc: row.finalTestAcc };
      } else if (e.best?.trialId === row.id && (row.status !== 'done' || row.finalTestAcc === null)) {
        e.best = null; // the best trial was rerun: the next snapshot or finished trial sets it again
        void load();
      }
    }
  }
  render();
}

async function load(): Promise<void> {
  stop?.();
  try {
    const snap = await getJson<Snapshot & { experiments: Overview[] }>('/api/experiments');
    rows = new Map(snap.experiments.map((e) => [e.name, e]));
    render();
    document.body.dataset.ready = '1';
    stop = listen('scope=all', snap, apply, () => void load());
  } catch (e) {
    setLive('off');
    showError((e as Error).message);
  }
}

void load();
