// The HTML report: one self-contained file. Every value from YAML or the database goes through escapeHtml;
// the charts are vega's SVG (which escapes its own text). The page's Content-Security-Policy allows no
// network access and only the one inline sort script below (by its hash), so even a missed escape could
// not run a script.
import { createHash } from 'node:crypto';
import { shortPath, type Prepared } from './analysis.js';
import { RULE_IDS } from './diagnose.js';
import { escapeHtml as h, finite, fmtNum, fmtParam, fmtPct, fmtSec, MISSING, nonFiniteLabel } from './format.js';
import type { ChartDef, ChartSection } from './report.js';
import { searchHtml, searchView } from './search.js';
import type { StoredFinding } from '@sweeplab/store';
import type { Finding, GradcheckRow, TrialRow } from './types.js';

/** Sorts `table.sortable` by the clicked column (numbers by `data-v`, empty cells last). */
const SORT_SCRIPT = `document.querySelectorAll('table.sortable').forEach(function(t){var hs=t.tHead.rows[0].cells;Array.prototype.forEach.call(hs,function(th,i){th.tabIndex=0;function go(){var b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),asc=th.getAttribute('aria-sort')!=='ascending',num=th.dataset.type==='num';Array.prototype.forEach.call(hs,function(x){x.removeAttribute('aria-sort')});th.setAttribute('aria-sort',asc?'ascending':'descending');function key(r){var c=r.cells[i],v=c.dataset.v!==undefined?c.dataset.v:c.textContent;return num?(v===''?null:Number(v)):v}rows.sort(function(a,c){var x=key(a),y=key(c);if(x===null||x==='')return 1;if(y===null||y==='')return -1;var d=num?x-y:String(x).localeCompare(String(y));return asc?d:-d});rows.forEach(function(r){b.appendChild(r)})}th.addEventListener('click',go);th.addEventListener('keydown',function(e){if(e.key==='Enter')go()})})});`;
const SORT_HASH = createHash('sha256').update(SORT_SCRIPT).digest('base64');

const CSS = `
:root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg2:#f6f8fa;--accent:#0969da;--crit:#cf222e;--warn:#9a6700;--info:#0969da;--ok:#1a7f37}
*{box-sizing:border-box}
body{margin:0;font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:var(--fg);background:#fff}
header{padding:20px 32px 12px;border-bottom:1px solid var(--line);background:var(--bg2)}
h1{font-size:22px;margin:0 0 6px}h1 .mono,h2 .mono{font-size:inherit}h2{font-size:18px;margin:28px 0 10px;padding-bottom:4px;border-bottom:1px solid var(--line)}h3{font-size:15px;margin:18px 0 8px}
.desc{margin:4px 0 8px;max-width:110ch;white-space:pre-wrap}
.meta{color:var(--muted);margin:0}
nav{padding:8px 32px;border-bottom:1px solid var(--line);font-size:13px;position:sticky;top:0;background:#fff;z-index:1}
nav a{margin-right:14px;color:var(--accent);text-decoration:none}
main{padding:0 32px 40px;max-width:1500px}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
pre{background:var(--bg2);border:1px solid var(--line);border-radius:6px;padding:10px 12px;overflow:auto;max-height:480px;white-space:pre}
table{border-collapse:collapse;margin:6px 0 10px;font-size:13px}
th,td{border:1px solid var(--line);padding:4px 8px;text-align:left;vertical-align:top}
th{background:var(--bg2);font-weight:600;white-space:nowrap}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
table.sortable th{cursor:pointer;user-select:none}
table.sortable th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
table.sortable th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
.wrap{overflow-x:auto}
tr.best td{background:#dafbe1}
tr.st-diverged td,tr.st-failed td{background:#ffebe9}
tr.st-pending td,tr.st-running td,tr.st-interrupted td{color:var(--muted)}
.badge{display:inline-block;padding:0 6px;border-radius:10px;font-size:11.5px;line-height:18px;border:1px solid;margin:1px 2px 1px 0;white-space:nowrap}
.sev-critical{color:var(--crit);border-color:var(--crit);background:#ffebe9}
.sev-warning{color:var(--warn);border-color:#d4a72c;background:#fff8c5}
.sev-info{color:var(--info);border-color:#54aeff;background:#ddf4ff}
.st{font-weight:600}.st-done{color:var(--ok)}.st-diverged,.st-failed{color:var(--crit)}.st-running,.st-pending,.st-interrupted{color:var(--warn)}
.nf{color:var(--crit);font-weight:600}
.card{border:1px solid var(--line);border-radius:8px;padding:12px 16px;margin:12px 0;background:#fff;max-width:1100px}
.card dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 14px;margin:6px 0 0}.card dt{color:var(--muted)}.card dd{margin:0}
.note{color:var(--muted);font-size:13px}
.charts{display:flex;flex-wrap:wrap;gap:18px}
figure.chart{margin:8px 0;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff;max-width:100%;min-width:320px}
figure.chart svg{max-width:100%;height:auto;display:block}
figcaption{font-size:12.5px;color:var(--muted);margin-top:4px;contain:inline-size}
.findings td:nth-child(2){white-space:nowrap}.findings td:nth-child(4){min-width:420px;max-width:760px}
.ev{font-size:12px;color:var(--muted);max-width:340px}.ev span{white-space:nowrap;margin-right:6px;display:inline-block}
footer{padding:16px 32px;color:var(--muted);border-top:1px solid var(--line);font-size:12.5px}
`;

function numCell(x: unknown, fmt: (v: unknown) => string, extraClass = ''): string {
  const bad = nonFiniteLabel(x);
  const v = finite(x);
  const text = bad ? `<span class="nf" title="non-finite value">${bad}</span>` : v === null ? MISSING : h(fmt(x));
  return `<td class="num${extraClass}" data-v="${v === null ? '' : v}">${text}</td>`;
}

function badge(f: StoredFinding): string {
  return `<span class="badge sev-${h(f.severity)}" title="${h(f.severity)}: ${h(f.advice)}">${h(f.rule)}</span>`;
}

function statusSpan(status: string): string {
  return `<span class="st st-${h(status.replace(/[^a-z]/g, ''))}">${h(status)}</span>`;
}

function evidenceText(e: StoredFinding['evidence']): string {
  return Object.entries(e)
    .map(([k, v]) => `<span>${h(k)}=${h(typeof v === 'number' ? fmtNum(v) : v === null ? MISSING : String(v))}</span>`)
    .join(' ');
}

function findingsTable(findings: ReadonlyArray<StoredFinding>): string {
  if (findings.length === 0) return '<p>No findings: no rule fired.</p>';
  const rows = findings.map((f) => `<tr><td><span class="badge sev-${h(f.severity)}">${h(f.severity)}</span></td><td class="mono">${h(f.rule)}</td><td class="ev">${evidenceText(f.evidence)}</td><td>${h(f.advice)}</td></tr>`);
  return `<table class="findings"><thead><tr><th>severity</th><th>rule</th><th>evidence</th><th>suggested change</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function figures(defs: ChartDef[], charts: Record<string, string>, section: ChartSection, filter?: (d: ChartDef) => boolean): string {
  const chosen = defs.filter((d) => d.section === section && (!filter || filter(d)));
  if (chosen.length === 0) return '';
  return `<div class="charts">${chosen.map((d) => `<figure class="chart" id="chart-${h(d.name)}" data-chart="${h(d.name)}">${charts[d.name] ?? ''}<figcaption>${h(d.caption)}</figcaption></figure>`).join('')}</div>`;
}

function trialsTable(p: Prepared): string {
  if (p.ranked.length === 0) return '<p>No trials recorded yet.</p>';
  const factorHeads = p.factors.map((f) => `<th data-type="${p.ranked.every((t) => typeof p.paramOf(t, f) === 'number') ? 'num' : 'text'}" title="${h(f)}">${h(shortPath(f))}</th>`).join('');
  const head = `<tr><th data-type="num">#</th><th data-type="text">trial</th>${factorHeads}<th data-type="num">seed</th><th data-type="text">status</th><th data-type="num">final cost</th><th data-type="num">train acc</th><th data-type="num">test acc</th><th data-type="num">best test acc</th><th data-type="num">epochs</th><th data-type="num">time (s)</th><th data-type="text">diagnosis</th></tr>`;
  const rows = p.ranked.map((t) => {
    const factorCells = p.factors.map((f) => {
      const v = p.paramOf(t, f);
      return typeof v === 'number' ? numCell(v, (x) => fmtParam(x)) : `<td class="mono">${h(fmtParam(v))}</td>`;
    }).join('');
    const flagged = p.findingsOf(t.id).filter((f) => f.severity !== 'info');
    const cls = [`st-${t.status.replace(/[^a-z]/g, '')}`, t === p.best ? 'best' : ''].filter(Boolean).join(' ');
    return `<tr class="${cls}">${numCell(p.rank.get(t.id), (x) => String(x))}<td class="mono" title="${h(t.id)}">${h(t.id.slice(0, 10))}</td>${factorCells}`
      + `${numCell(t.seed, (x) => String(x))}<td data-v="${h(t.status)}">${statusSpan(t.status)}</td>${numCell(t.finalCost, (x) => fmtNum(x))}`
      + `${numCell(t.finalTrainAcc, (x) => fmtPct(x))}${numCell(t.finalTestAcc, (x) => fmtPct(x))}${numCell(t.bestTestAcc, (x) => fmtPct(x))}`
      + `${numCell(t.epochsDone ?? (p.epochsOf(t.id).at(-1)?.epoch ?? null), (x) => String(x))}${numCell(p.secondsOf(t.id), fmtSec)}`
      + `<td data-v="${flagged.length}">${flagged.map(badge).join('')}</td></tr>`;
  });
  return `<div class="wrap"><table class="sortable trials"><thead>${head}</thead><tbody>${rows.join('')}</tbody></table></div>`
    + `<p class="note">Best first (by final ${p.metric} accuracy, then final cost). Click a column header to sort. Hover a diagnosis badge for its advice.</p>`;
}

function bestCard(p: Prepared, t: TrialRow): string {
  const params = p.factors.map((f) => `<dt class="mono">${h(f)}</dt><dd class="mono">${h(fmtParam(p.paramOf(t, f)))}</dd>`).join('');
  const worst = p.findingsOf(t.id).filter((f) => f.severity !== 'info');
  return `<div class="card"><dl>
<dt>trial</dt><dd class="mono">${h(t.id)} ${statusSpan(t.status)}</dd>${params}
<dt>seed</dt><dd>${h(t.seed ?? MISSING)}</dd>
<dt>architecture</dt><dd class="mono">${h(t.config.model.layers.join('-'))} ${h(t.config.model.activation)} / ${h(t.config.model.output)} (${h(t.config.model.loss)})</dd>
<dt>training</dt><dd class="mono">${h(t.config.train.optimizer)}, batch ${h(t.config.train.batch)}, lr ${h(fmtNum(t.config.train.lr))}, λ ${h(fmtNum(t.config.train.l2))}, ${h(t.epochsDone ?? MISSING)} epochs</dd>
<dt>test accuracy</dt><dd><b>${h(fmtPct(t.finalTestAcc))}</b> (best ${h(fmtPct(t.bestTestAcc))}), train ${h(fmtPct(t.finalTrainAcc))}, final cost ${h(fmtNum(t.finalCost))}</dd>
<dt>diagnosis</dt><dd>${worst.length ? worst.map(badge).join('') : 'no warning or critical finding'}</dd>
<dt>reproduce</dt><dd><code>sweeplab reproduce ${h(t.id)}</code></dd>
</dl></div>`;
}

function gradcheckSection(rows: ReadonlyArray<GradcheckRow>): string {
  if (rows.length === 0) return '<p>No gradient check recorded for this experiment.</p>';
  const sorted = [...rows].sort((a, b) => String(a.arch).localeCompare(String(b.arch)) || a.layer - b.layer || String(a.kind).localeCompare(String(b.kind)));
  const allPassed = sorted.every((r) => Boolean(r.passed));
  const body = sorted.map((r) => `<tr><td class="mono">${h(r.arch ?? MISSING)}</td>${numCell(r.layer, String)}<td>${h(r.kind)}</td>${numCell(r.checked, String)}${numCell(r.skipped, String)}${numCell(r.maxRelError, (x) => fmtNum(x, 3))}${numCell(r.maxAbsError, (x) => fmtNum(x, 3))}${numCell(r.threshold, (x) => fmtNum(x, 3))}${numCell(r.eps, (x) => fmtNum(x, 3))}<td>${r.passed ? '<span class="st st-done">passed</span>' : '<span class="st st-failed">FAILED</span>'}</td></tr>`).join('');
  return `<p>${allPassed ? 'Every layer passed: the analytic gradient matches central finite differences, so backprop is not the problem.' : '<b class="nf">Some layers failed the gradient check.</b>'}</p>`
    + `<div class="wrap"><table class="sortable"><thead><tr><th data-type="text">architecture</th><th data-type="num">layer</th><th data-type="text">kind</th><th data-type="num">checked</th><th data-type="num">skipped</th><th data-type="num">max rel. error</th><th data-type="num">max abs. error</th><th data-type="num">threshold</th><th data-type="num">eps</th><th data-type="text">result</th></tr></thead><tbody>${body}</tbody></table></div>`;
}

function diagnosisOverview(p: Prepared): string {
  const counts = new Map<string, { critical: number; warning: number; info: number }>();
  let diagnosed = 0;
  let computed = 0;
  for (const t of p.input.trials) {
    const fs = p.findingsOf(t.id);
    if (fs.length) diagnosed++;
    if (p.findingsComputed(t.id)) computed++;
    for (const f of fs) {
      let c = counts.get(f.rule);
      if (!c) counts.set(f.rule, (c = { critical: 0, warning: 0, info: 0 }));
      c[f.severity]++;
    }
  }
  if (counts.size === 0) return '<p>No findings for any trial.</p>';
  const rules = [...counts.keys()].sort((a, b) => RULE_IDS.indexOf(a as Finding['rule']) - RULE_IDS.indexOf(b as Finding['rule']));
  const body = rules.map((r) => {
    const c = counts.get(r) as { critical: number; warning: number; info: number };
    return `<tr><td class="mono">${h(r)}</td>${numCell(c.critical, String)}${numCell(c.warning, String)}${numCell(c.info, String)}</tr>`;
  }).join('');
  return `<p>Number of trials each rule flagged, by severity (${diagnosed} of ${p.input.trials.length} trials have findings${computed ? `; ${computed} diagnosed by this report because no stored diagnosis was found` : ''}).</p>`
    + `<table class="sortable"><thead><tr><th data-type="text">rule</th><th data-type="num">critical</th><th data-type="num">warning</th><th data-type="num">info</th></tr></thead><tbody>${body}</tbody></table>`;
}

function problemsSection(p: Prepared): string {
  const bad = p.ranked.filter((t) => t.status === 'failed' || t.status === 'diverged' || t.status === 'interrupted');
  if (bad.length === 0) return '';
  const items = bad.map((t) => `<tr><td class="mono" title="${h(t.id)}">${h(t.id.slice(0, 10))}</td><td>${statusSpan(t.status)}</td>${numCell(t.divergedEpoch, String)}<td><pre>${h(t.error ?? MISSING)}</pre></td></tr>`).join('');
  return `<section id="problems"><h2>Failed, diverged and interrupted trials</h2><table><thead><tr><th>trial</th><th>status</th><th>diverged at epoch</th><th>error</th></tr></thead><tbody>${items}</tbody></table></section>`;
}

function environmentTable(p: Prepared): string {
  const env = p.input.environment;
  if (!env) return '<p>No environment record.</p>';
  const rows: Array<[string, unknown]> = [
    ['run id', env.runId], ['command', env.command], ['started', env.startedAt], ['finished', env.finishedAt], ['status', env.status],
    ['sweeplab', env.sweeplabVersion], ['git commit', env.gitCommit], ['node', env.nodeVersion], ['platform', env.platform],
    ['cpu', env.cpu], ['cores', env.cores], ['kernels', env.kernelBackend], ['OpenBLAS core', env.openblasCore],
    ...Object.entries(env.dataFingerprints ?? {}).map(([k, v]): [string, unknown] => [`data fingerprint: ${k}`, v]),
  ];
  return `<table>${rows.map(([k, v]) => `<tr><th>${h(k)}</th><td class="mono">${h(v ?? MISSING)}</td></tr>`).join('')}</table>`;
}

/** JSON with 2-space indentation, arrays of numbers/strings/booleans kept on one line. */
export function compactJson(value: unknown, indent = ''): string {
  const next = indent + '  ';
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) return `[${value.map((v) => JSON.stringify(v) ?? 'null').join(', ')}]`;
    return `[\n${value.map((v) => next + compactJson(v, next)).join(',\n')}\n${indent}]`;
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${next}${JSON.stringify(k)}: ${compactJson(v, next)}`).join(',\n')}\n${indent}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function renderHtml(p: Prepared, defs: ChartDef[], charts: Record<string, string>): string {
  const { experiment } = p.input;
  const file = experiment.file ?? `experiments/${experiment.name}.yaml`;
  const total = p.input.trials.length;
  const statusLine = p.statusCounts.map(([s, n]) => `${n} ${statusSpan(s)}`).join(', ');
  const best = p.best;
  const sections: string[] = [];

  sections.push(`<section id="best"><h2>Best trial</h2>${best ? bestCard(p, best) : '<p>No trial has finished yet.</p>'}${p.inProgress ? '<p class="note">The sweep is still running: this report shows what was recorded so far; regenerate it to see more.</p>' : ''}</section>`);
  if (p.input.search) sections.push(searchHtml(searchView(p, p.input.search), figures(defs, charts, 'search')));
  sections.push(`<section id="trials"><h2>Trials</h2>${trialsTable(p)}</section>`);
  const curves = figures(defs, charts, 'curves');
  sections.push(`<section id="curves"><h2>Learning curves</h2>${curves || '<p>No epochs recorded yet.</p>'}</section>`);
  const effects = figures(defs, charts, 'effects');
  sections.push(`<section id="effects"><h2>Effect of the swept parameters</h2>${effects || `<p>${p.factors.length === 0 ? 'Nothing is swept in this experiment (apart from seeds).' : 'Not enough finished trials to compare values yet.'}</p>`}</section>`);
  if (best) {
    const computed = p.findingsComputed(best.id) ? '<p class="note">No stored diagnosis for this trial: computed by this report from its recorded metrics.</p>' : '';
    sections.push(`<section id="best-trial"><h2>Best trial in detail: <span class="mono">${h(best.id)}</span></h2>`
      + `<h3>Diagnosis</h3>${computed}${findingsTable(p.findingsOf(best.id))}`
      + `${figures(defs, charts, 'best') || '<p>No final evaluation recorded.</p>'}</section>`);
  }
  sections.push(`<section id="diagnosis"><h2>Diagnosis across trials</h2>${diagnosisOverview(p)}</section>`);
  sections.push(`<section id="gradcheck"><h2>Gradient check</h2>${gradcheckSection(p.input.gradchecks)}</section>`);
  const problems = problemsSection(p);
  if (problems) sections.push(problems);
  sections.push(`<section id="reproduce"><h2>Reproduce</h2>
<p>Run the experiment (finished trials are skipped), re-run the best trial and compare every epoch bit for bit, or regenerate this report:</p>
<pre>sweeplab run ${h(file)}${best ? `\nsweeplab reproduce ${h(best.id)}` : ''}\nsweeplab report ${h(experiment.name)}</pre>
<h3>Experiment file <span class="mono">${h(file)}</span></h3>
${experiment.yaml ? `<pre>${h(experiment.yaml)}</pre>` : '<p>The YAML text was not recorded.</p>'}
<h3>Environment of the last run</h3>${environmentTable(p)}
${best ? `<h3>Resolved config of the best trial</h3><pre>${h(compactJson(best.config))}</pre>` : ''}
</section>`);

  const nav = [['best', 'Best'], ...(p.input.search ? [['search', 'Search']] : []), ['trials', 'Trials'], ['curves', 'Curves'], ['effects', 'Effects'], ['best-trial', 'Best trial'], ['diagnosis', 'Diagnosis'], ['gradcheck', 'Gradient check'], ...(problems ? [['problems', 'Problems']] : []), ['reproduce', 'Reproduce']]
    .filter(([id]) => id !== 'best-trial' || best)
    .map(([id, label]) => `<a href="#${id}">${label}</a>`).join('');

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${SORT_HASH}'">
<title>sweeplab report: ${h(experiment.name)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>sweeplab report: <span class="mono">${h(experiment.name)}</span></h1>
${experiment.description ? `<p class="desc">${h(experiment.description)}</p>` : ''}
<p class="meta">${total} trial${total === 1 ? '' : 's'}${total ? `: ${statusLine}` : ''} · ranked by final ${p.metric} accuracy${p.input.generatedAt ? ` · generated ${h(p.input.generatedAt)}` : ''}</p>
</header>
<nav>${nav}</nav>
<main>
${sections.join('\n')}
</main>
<footer>Generated by sweeplab from <span class="mono">${h(file)}</span>${p.input.generatedAt ? ` at ${h(p.input.generatedAt)}` : ''}. Charts: vega-lite, rendered to SVG offline.</footer>
<script>${SORT_SCRIPT}</script>
</body>
</html>
`;
}
