import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare } from './analysis.js';
import { planCharts, renderReport } from './report.js';
import { at, questionRun, syntheticSweep, XSS } from './testing/fixtures.js';
import type { EpochRow, Finding, ReportInput, TrialRow } from './types.js';

const EXPECTED_CHARTS = [
  'curves-best', 'curves-by-model.layers', 'curves-by-train.lr', 'effect-model.layers', 'effect-train.lr',
  'heatmap-model.layers-train.lr', 'best-confusion', 'best-per-class', 'best-layers',
];

/** Text content of the SVG <text> elements (still entity-encoded, as written). */
const svgTexts = (svg: string): string[] => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map(([, text = '']) => text);

describe('renderReport on a small sweep (2 swept parameters × 2 seeds, a diverged, a failed and a pending trial)', async () => {
  const input = syntheticSweep();
  const out = await renderReport(input);
  /** The SVG of one chart, asserted to exist. */
  const chart = (name: string): string => {
    const svg = out.charts[name];
    assert.ok(svg !== undefined, `no chart ${name}`);
    return svg;
  };

  it('renders every chart section without vega warnings', () => {
    assert.deepEqual(Object.keys(out.charts), EXPECTED_CHARTS);
    assert.deepEqual(out.warnings, []);
    for (const name of EXPECTED_CHARTS) {
      assert.ok(out.html.includes(`data-chart="${name}"><svg`), `${name} is inlined in the HTML`);
      assert.match(chart(name), /^<svg [^>]*class="marks"/);
    }
    // the marks each chart must hold
    assert.ok((chart('curves-best').match(/class="mark-line role-mark/g) ?? []).length >= 2);
    assert.ok(chart('effect-model.layers').includes('mark-symbol'));
    assert.ok(chart('heatmap-model.layers-train.lr').includes('mark-rect'));
    // 10 × 10 confusion cells, each labelled with its count; the diagonal of the best trial holds 45 or 46
    const confusionCounts = svgTexts(chart('best-confusion')).filter((t) => /^\d+$/.test(t));
    assert.ok(confusionCounts.length >= 100, `${confusionCounts.length} count labels`);
    assert.ok(confusionCounts.includes('45') && confusionCounts.includes('46'));
  });

  it('escapes YAML and database text in the HTML', () => {
    assert.ok(!out.html.includes(XSS), 'the raw script tag never reaches the HTML');
    assert.equal((out.html.match(/<script/gi) ?? []).length, 1, 'only the inline sort script');
    assert.ok(out.html.includes('&lt;script&gt;window.__pwned=1&lt;/script&gt; &amp; &quot;quotes&quot;'));
    assert.ok(out.html.includes('sgd&lt;&amp;&quot;&#39;&gt;'), 'swept string values are escaped');
    assert.ok(out.html.includes('<title>sweeplab report: demo&lt;&amp;&gt;</title>'));
    assert.ok(out.html.includes('worker exited with code 3 &lt;script&gt;'), 'trial errors are escaped');
    assert.ok(out.html.includes('Test CPU &lt;script&gt;'), 'the environment record is escaped');
    assert.ok(out.html.includes('description: &lt;script&gt;window.__pwned=1&lt;/script&gt;'), 'the YAML is escaped');
    assert.ok(out.html.includes('Lower train.lr &lt;by&gt; 3–10× &amp; retry'), 'stored advice is escaped');
    // a Content-Security-Policy that allows no network and only the hashed inline script
    assert.match(out.html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; [^"]*script-src 'sha256-[A-Za-z0-9+/=]+'">/);
    assert.ok(!/\s(src|href)="(https?:)?\/\//.test(out.html), 'no external resource');
  });

  it('escapes data text inside the SVG charts', () => {
    for (const [name, svg] of Object.entries(out.charts)) {
      assert.ok(!/<script/i.test(svg), `${name}: no script element`);
      for (const t of svgTexts(svg)) assert.ok(!/[<>]|&(?!(amp|lt|gt|quot|#\d+);)/.test(t), `${name}: unescaped text ${t}`);
    }
    // the curve legend names the trials by the values that vary (the constant optimizer is left out)
    assert.ok(svgTexts(chart('curves-best')).includes('#1 02c0ff layers=[784,30,10] lr=0.1 s2'));
  });

  it('maps non-finite metrics to null: no NaN/Infinity in charts, marked in the table', () => {
    for (const [name, svg] of Object.entries(out.charts)) assert.ok(!/NaN|Infinity/.test(svg), `${name} holds a non-finite number`);
    assert.ok(out.html.includes('<span class="nf" title="non-finite value">NaN</span>'));
    assert.ok(out.markdown.includes('| diverged | NaN |'));
  });

  it('ranks best first and writes the reproduce commands', () => {
    const ids = [...out.html.matchAll(/<tr class="st-[a-z]+[^"]*"><td class="num" data-v="(\d+)">/g)].map((m) => Number(m[1]));
    assert.deepEqual(ids, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // best: the wide net (784-30-10), lr 0.1, seed 2: 0.9 + 0.005·2 = 91 %
    assert.ok(out.markdown.includes('`sweeplab reproduce 02c0ffee2a1b2c3d`'));
    assert.ok(out.html.includes('sweeplab run experiments/demo.yaml\nsweeplab reproduce 02c0ffee2a1b2c3d'));
    assert.ok(out.markdown.includes('test accuracy **91.00 %**'));
  });

  it('writes the per-parameter effect as mean ± sd across seeds', () => {
    // [784,30,10]: 90.5, 91.0 (lr 0.1) and 85.5, 86.0 (lr 3) -> mean 88.25, sample sd sqrt(0.002525/3) = 2.90 pp;
    // the failed trial of that value has no result
    assert.ok(out.markdown.includes('| `[784,30,10]` | 5 | 88.25 ± 2.90 % | 85.50 % | 91.00 % | 1 |'), out.markdown);
    // lr 3: 85.5, 86.0, 75.5 (the diverged and the failed trial have none) -> mean 82.33, sd sqrt(70.17/2) = 5.92 pp
    assert.ok(out.markdown.includes('| `3` | 5 | 82.33 ± 5.92 % | 75.50 % | 86.00 % | 2 |'));
  });

  it('escapes Markdown: HTML as entities, table pipes, emphasis', () => {
    assert.ok(!out.markdown.includes('<script'));
    assert.ok(out.markdown.includes('&lt;script&gt;window.\\_\\_pwned=1&lt;/script&gt; &amp; "quotes" \\| pipes'));
    assert.ok(out.markdown.includes('`sgd<&"\'>`'), 'values in code spans stay literal');
    // every table row has as many cells as its header: no value broke out of its cell
    const tables = out.markdown.split('\n\n').filter((b) => b.startsWith('| '));
    assert.ok(tables.length >= 4);
    for (const t of tables) {
      const cells = t.split('\n').map((l) => l.replace(/\\\|/g, '').split('|').length);
      assert.ok(cells.every((n) => n === cells[0]), t);
    }
  });
});

describe('determinism of the Markdown summary', () => {
  it('is the same for the same rows, whatever their order, Map or Record', async () => {
    const a = syntheticSweep();
    const b = syntheticSweep();
    const shuffled: ReportInput = {
      ...b,
      trials: [...b.trials].reverse(),
      epochs: new Map(Object.entries(b.epochs as Record<string, EpochRow[]>)),
      diagnoses: new Map(Object.entries(b.diagnoses as Record<string, Finding[]>)),
    };
    const [ra, rb] = [await renderReport(a), await renderReport(shuffled)];
    assert.equal(ra.markdown, rb.markdown);
    assert.equal(ra.html, rb.html, 'the HTML too, charts included (ids do not depend on vega counters)');
    assert.ok(!ra.markdown.includes('time'), 'no wall times in the summary');
  });
  it('shows generatedAt in the HTML only: the Markdown summary is the same bytes at any time', async () => {
    const a = await renderReport(syntheticSweep());
    const b = await renderReport({ ...syntheticSweep(), generatedAt: 'later' });
    assert.equal(a.markdown, b.markdown);
    assert.ok(a.html.includes('generated 2026-01-02T03:04:05Z') && b.html.includes('generated later'));
    const c = await renderReport({ ...syntheticSweep(), generatedAt: '' });
    assert.ok(!c.html.includes('generated') && !c.html.includes(' at .'), 'an empty generatedAt leaves it out of the HTML');
  });
});

function bareInput(trials: TrialRow[], epochs: Record<string, EpochRow[]>, sweptPaths: string[] = []): ReportInput {
  const s = syntheticSweep();
  return { ...s, trials, epochs, diagnoses: {}, gradchecks: [], sweptPaths };
}

describe('edge cases', () => {
  it('an experiment with no trials yet', async () => {
    const out = await renderReport(bareInput([], {}));
    assert.deepEqual(out.charts, {});
    assert.ok(out.html.includes('No trials recorded yet.'));
    assert.ok(out.markdown.includes('No trials recorded yet.'));
    assert.ok(out.markdown.includes('No gradient check recorded.'));
  });

  it('a running sweep: partial epochs, no final metrics, pending trials', async () => {
    const s = syntheticSweep();
    const epochs: Record<string, EpochRow[]> = {};
    const trials = s.trials.map((t, i) => {
      const running = i % 2 === 0;
      if (running) epochs[t.id] = (s.epochs as Record<string, EpochRow[]>)[t.id]?.slice(0, 2) ?? [];
      return { ...t, status: running ? 'running' as const : 'pending' as const, finalCost: null, finalTrainAcc: null, finalTestAcc: null, bestTestAcc: null, finalEval: null, epochsDone: running ? 1 : 0 };
    });
    const out = await renderReport(bareInput(trials, epochs, s.sweptPaths as string[]));
    assert.deepEqual(out.warnings, []);
    assert.ok(out.html.includes('The sweep is still running'));
    assert.ok(out.markdown.includes('**The sweep is still running**'));
    assert.ok('curves-best' in out.charts, 'partial curves are drawn');
    assert.ok(!Object.keys(out.charts).some((k) => k.startsWith('effect-')), 'no final accuracies: no effect charts');
    assert.ok(out.html.includes('Not enough finished trials to compare values yet.'));
  });

  it('a single trial without a sweep, diagnosed by the report when no diagnosis is stored', async () => {
    const q = questionRun();
    const last = at(q.epochs, q.epochs.length - 1);
    const trial: TrialRow = {
      ...at(syntheticSweep().trials, 0), id: 'aaaa1111bbbb2222', config: q.config, params: {}, status: 'done', seed: 1,
      finalCost: last.cost, finalTrainAcc: last.trainAcc, finalTestAcc: last.testAcc, bestTestAcc: last.testAcc, epochsDone: 5,
      finalEval: null, summary: { classCounts: q.summary.classCounts, updates: 5, trainSize: 30000 },
    };
    const out = await renderReport(bareInput([trial], { [trial.id]: q.epochs as EpochRow[] }));
    assert.deepEqual(Object.keys(out.charts), ['curves-best', 'best-layers']);
    assert.ok(out.html.includes('Nothing is swept in this experiment'));
    assert.ok(out.markdown.includes('(computed by the report: no stored diagnosis)'));
    assert.match(out.markdown, /\| critical \| `prior-collapse` \|/);
    assert.match(out.markdown, /\| info \| `regularization-dominates` \|/);
    assert.ok(!out.markdown.includes('## Effect of each swept parameter'));
  });

  it('hundreds of trials: curves limited to the best 10, a continuous parameter on a quantitative axis', async () => {
    const s = syntheticSweep();
    const base = at(s.trials, 0);
    const baseRows = (s.epochs as Record<string, EpochRow[]>)[base.id];
    assert.ok(baseRows);
    const trials: TrialRow[] = [];
    const epochs: Record<string, EpochRow[]> = {};
    for (let i = 0; i < 300; i++) {
      const lr = Math.pow(10, -4 + (4 * (i % 30)) / 29); // 30 log-spaced values in [1e-4, 1]
      const seed = Math.floor(i / 30) + 1;
      const acc = 0.5 + 0.4 * Math.exp(-Math.pow(Math.log10(lr) + 1, 2)) + 0.001 * seed;
      const id = `t${i.toString().padStart(15, '0')}`;
      trials.push({ ...base, id, params: { 'train.lr': lr, 'train.seed': seed }, seed, finalTestAcc: acc, finalTrainAcc: acc + 0.01, finalCost: 1 - acc });
      epochs[id] = baseRows;
    }
    const input = bareInput(trials, epochs, ['train.lr', 'train.seed']);
    const defs = planCharts(prepare(input));
    const best = defs.find((d) => d.name === 'curves-best');
    const series = new Set(((best?.spec as { data: { values: Array<{ series: string }> } }).data.values).map((v) => v.series));
    assert.equal(series.size, 10);
    const effect = defs.find((d) => d.name === 'effect-train.lr');
    assert.match(JSON.stringify(effect?.spec), /"type":"quantitative","title":"train.lr","scale":\{"type":"log"\}/);
    assert.ok(!defs.some((d) => d.name === 'curves-by-train.lr'), 'no per-value curves for 30 distinct values');
    const out = await renderReport(input);
    assert.deepEqual(out.warnings, []);
    assert.ok(out.markdown.includes('## Top trials (10 of 300)'));
  });

  it('escapes a swept path and values with markup in chart titles and labels', async () => {
    const s = syntheticSweep();
    const odd = 'model.<b>x&"y';
    const trials = s.trials.map((t, i) => ({ ...t, params: { ...t.params, [odd]: i % 2 ? '<i>one</i>' : 'two & <u>' } }));
    const out = await renderReport({ ...s, trials, sweptPaths: [odd, 'train.seed'] });
    const svg = out.charts[`effect-model._b_x_y`];
    assert.ok(svg, Object.keys(out.charts).join(','));
    assert.ok(!/<(b|i|u)>/.test(svg));
    const texts = svgTexts(svg);
    assert.ok(texts.includes('model.&lt;b&gt;x&amp;"y'), 'axis title');
    assert.ok(texts.includes('&lt;i&gt;one&lt;/i&gt;'), 'axis label');
    assert.ok(!out.html.includes('<i>one</i>') && !out.html.includes('<u>') && !out.html.includes('<b>x'));
  });
});
