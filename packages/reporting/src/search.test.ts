// The search part of a report: the best-so-far curve against cumulative epochs, pruned trials ending at their
// rung, parameter importance (η²) and the best configuration as YAML; absent for experiments without a search.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { prepare } from './analysis.js';
import { renderReport } from './report.js';
import { configYaml, searchView } from './search.js';
import { epochRow, syntheticSweep } from './testing/fixtures.js';
import type { EpochRow, ReportInput, SearchReportInput, TrialRow } from './types.js';

/** 8 trials of a search over train.lr (log) and model.layers (choice): val_acc depends on lr only; 4 pruned at epoch 1. */
function searchInput(): ReportInput {
  const trials: TrialRow[] = [];
  const epochs: Record<string, EpochRow[]> = {};
  const lrs = [1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1, 3];
  lrs.forEach((lr, i) => {
    const id = `${i.toString(16).padStart(2, '0')}5ea7c400000000`;
    const good = 0.5 + 0.4 * (1 - Math.abs(Math.log10(lr) + 1) / 2.5); // best near lr 0.1
    const pruned = i % 2 === 1;
    const last = pruned ? 1 : 4;
    const rows = Array.from({ length: last + 1 }, (_, e) => epochRow({ epoch: e, cost: 2 - e * 0.3, valAcc: 0.1 + (good - 0.1) * (e / 4), testAcc: 0.1 + (good - 0.11) * (e / 4) }));
    epochs[id] = rows;
    const layers = i % 4 < 2 ? [784, 64, 10] : [784, 256, 10];
    trials.push({
      id, experiment: 'search', status: pruned ? 'pruned' : 'done',
      config: {
        data: { dataset: 'mnist', train: 1000, test: 500, validation: 200, scale: [0, 1] },
        model: { layers, activation: 'relu', output: 'softmax', loss: 'cross-entropy', init: 'he' },
        train: { optimizer: 'momentum', batch: 64, lr, epochs: 4, l2: 1e-7, seed: 1, momentum: 0.9 },
      },
      params: { 'train.lr': lr, 'model.layers': layers }, seed: 1, arch: 'a', startedAt: null,
      finishedAt: `2026-01-01T00:00:${String(10 + i).padStart(2, '0')}Z`, error: pruned ? 'ASHA: …' : null, divergedEpoch: null,
      prunedEpoch: pruned ? 1 : null, finalCost: rows.at(-1)?.cost ?? null, finalTrainAcc: null, finalTestAcc: rows.at(-1)?.testAcc ?? null,
      bestTestAcc: null, epochsDone: last, backend: 'js', finalEval: null, summary: null, position: i, attempt: 1, owner: null,
      heartbeatAt: null, diagnosedAt: null, createdAt: '2026-01-01T00:00:00Z',
    });
  });
  const search: SearchReportInput = {
    objective: { metric: 'val_acc', mode: 'max' }, sampler: 'tpe', trials: 8, prune: 'ASHA (grace 1, reduction 4)', rungs: [1],
    epochsPerTrial: 4, params: [{ path: 'model.layers', kind: 'choice' }, { path: 'train.lr', kind: 'log' }],
  };
  return {
    experiment: { name: 'search', description: null, file: 'experiments/search.yaml', yaml: null }, environment: null, trials, epochs,
    gradchecks: [], diagnoses: {}, sweptPaths: ['train.lr', 'model.layers'], generatedAt: '', search,
  };
}

describe('the search part of a report', async () => {
  const input = searchInput();
  const out = await renderReport(input);
  const v = searchView(prepare(input), input.search as SearchReportInput);

  it('the best objective so far against cumulative epochs, trials in the order they finished', () => {
    assert.deepEqual(v.points.map((p) => p.cumulative), [4, 5, 9, 10, 14, 15, 19, 20]);
    assert.equal(v.spent, 20);
    assert.equal(v.full, 32);
    const best = v.points.map((p) => p.best);
    for (let i = 1; i < best.length; i++) assert.ok((best[i] ?? 0) >= (best[i - 1] ?? 0), 'never decreases');
    assert.equal(v.best?.params['train.lr'], 0.1);
    assert.match(out.markdown, /TPE search of 8 trials on val_acc \(max\), ASHA \(grace 1, reduction 4\): 8 trials finished \(4 done, 4 pruned\), 20 epochs trained of the 32 that training every trial to the end takes \(62\.5 %\)\./);
    assert.match(out.markdown, /\| trials finished \| epochs spent \| best val_acc \| trial \|/);
  });

  it('pruned trials are drawn ending at their rung, with the rung marked', () => {
    const svg = out.charts['search-curves'] ?? '';
    assert.ok(svg.includes('mark-line'), 'curves drawn');
    assert.ok(svg.includes('mark-rule'), 'rung marked');
    assert.ok(out.charts['search-best-so-far']?.includes('mark-symbol'));
    assert.deepEqual(out.warnings.filter((w) => w.startsWith('search-')), []);
    assert.ok(out.html.includes('<section id="search">') && out.html.includes('href="#search"'));
  });

  it('parameter importance: η² of each parameter, the one that matters first; at the first rung when few trials trained to the end', () => {
    // 4 of 8 trained to the end (< 8): every trial's val_acc at the first rung, epoch 1
    assert.deepEqual([v.importanceN, v.importanceEpoch], [8, 1]);
    assert.deepEqual(v.importance.map((i) => i.path), ['train.lr', 'model.layers']);
    assert.ok((v.importance[0]?.eta2 ?? 0) > 0.5 && (v.importance[1]?.eta2 ?? 1) < 0.2, JSON.stringify(v.importance));
    assert.match(out.markdown, /Share of the variance of val_acc at epoch 1 \(the first rung, which every trial reached\) over 8 trials \(fewer than 8 trained to the end\) explained by each searched parameter alone/);
    // without rungs: the final values of the trials trained to the end
    const noRungs = { ...input, search: { ...(input.search as SearchReportInput), rungs: [] } };
    const w = searchView(prepare(noRungs), noRungs.search);
    assert.deepEqual([w.importanceN, w.importanceEpoch], [4, null]);
    assert.deepEqual(w.importance.map((i) => [i.path, i.eta2.toFixed(3), i.groups]), [['train.lr', '1.000', 4], ['model.layers', '0.000', 2]]);
  });

  it('the best configuration as YAML to paste', () => {
    const yaml = configYaml(v.best as TrialRow);
    assert.equal(yaml, [
      'model:', '  layers: [784, 64, 10]', '  activation: relu', '  output: softmax', '  loss: cross-entropy', '  init: he',
      'train:', '  optimizer: momentum', '  batch: 64', '  lr: 0.1', '  epochs: 4', '  l2: 1.0e-7', '  seed: 1', '  momentum: 0.9',
    ].join('\n'));
    assert.ok(out.markdown.includes(`\`\`\`yaml\n${yaml}\n\`\`\``));
  });

  it('a report without a search has no search part (the committed summaries stay as they are)', async () => {
    const plain = await renderReport(syntheticSweep());
    assert.ok(!plain.markdown.includes('## Search'));
    assert.ok(!Object.keys(plain.charts).some((k) => k.startsWith('search-')));
  });
});
