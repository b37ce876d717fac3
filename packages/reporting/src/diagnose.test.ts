import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classPriorCost } from '@sweeplab/nn-core';
import { diagnose, RULE_IDS } from './diagnose.js';
import { at, CLASS_COUNTS_30K, epochRow, healthyRun, questionRun, withRows } from './testing/fixtures.js';
import type { DiagnoseInput, EpochRow, Finding, RuleId } from './types.js';

const find = (fs: Finding[], rule: RuleId) => fs.find((f) => f.rule === rule);
const severityOf = (input: DiagnoseInput, rule: RuleId) => find(diagnose(input), rule)?.severity ?? null;

/** A sigmoid or relu run with the given hidden-layer saturation (or dead fraction) at every epoch. */
function withSaturation(activation: 'sigmoid' | 'relu' | 'leaky-relu' | 'tanh', sat: number[], sat0?: number[]): DiagnoseInput {
  const h = healthyRun();
  const out = withRows(h, (_r, i) => ({ saturation: i === 0 && sat0 ? sat0 : sat }));
  return { ...out, config: { ...h.config, model: { ...h.config.model, activation } } };
}

describe('the fixtures reproduce the measured facts of the question', () => {
  it('class-prior cost of the 30000 training images is ≈ 3.249', () => {
    const j = classPriorCost(CLASS_COUNTS_30K, 'sigmoid', 'cross-entropy') as number;
    assert.ok(Math.abs(j - 3.249) < 0.005, `prior cost ${j}`);
    // softmax: the entropy of ~uniform 10 classes is ≈ ln 10
    const js = classPriorCost(CLASS_COUNTS_30K, 'softmax', 'cross-entropy') as number;
    assert.ok(Math.abs(js - Math.log(10)) < 0.01, `softmax prior cost ${js}`);
    // mse, ½ Σ (h - y)² per example: E over y of ½ Σ_k (p_k - y_k)² = ½ Σ_k p_k (1 - p_k) ≈ ½ · 10 · 0.1 · 0.9
    assert.ok(Math.abs((classPriorCost(CLASS_COUNTS_30K, 'identity', 'mse') as number) - 0.45) < 0.005);
    assert.equal(classPriorCost([5, 5], 'sigmoid', 'mse'), 0.25);
    assert.equal(classPriorCost(CLASS_COUNTS_30K, 'identity', 'cross-entropy'), null);
  });
  it('lr 2: 6.990 -> ≈ 3.25 in 5 iterations; lr 1e-4: 6.990 -> 6.988', () => {
    const a = questionRun().epochs;
    assert.ok(Math.abs((at(a, 0).cost as number) - 6.99) < 0.001);
    assert.ok(Math.abs((at(a, 5).cost as number) - 3.249) < 0.01);
    const b = questionRun({ lr: 1e-4 }).epochs;
    assert.ok(Math.abs((at(b, 5).cost as number) - 6.988) < 0.001, `lr 1e-4 ends at ${at(b, 5).cost}`);
    // λ/(2N)Σw² is a negligible share of the cost
    assert.ok((at(a, 5).l2Term as number) / (at(a, 5).cost as number) < 1e-3);
  });
});

describe('the original question (784-5-5-10, lr 2, 5 iterations, λ = 1)', () => {
  it('flags prior-collapse, too-few-iterations and too-little-capacity; λ only as info', () => {
    const fs = diagnose(questionRun());
    for (const rule of ['prior-collapse', 'too-few-iterations', 'too-little-capacity'] as const) {
      const f = find(fs, rule);
      assert.ok(f && (f.severity === 'warning' || f.severity === 'critical'), `${rule}: ${f?.severity}`);
    }
    assert.equal(find(fs, 'regularization-dominates')?.severity, 'info');
    // exactly these rules fire: the init (all weights positive) is flagged too; not the learning rate
    assert.deepEqual(fs.map((f) => `${f.rule}:${f.severity}`), [
      'prior-collapse:critical', 'too-few-iterations:critical', 'too-little-capacity:warning', 'poor-init:warning',
      'regularization-dominates:info',
    ]);
  });
  it('gives the evidence as numbers', () => {
    const f = find(diagnose(questionRun()), 'prior-collapse') as Finding;
    assert.ok(Math.abs((f.evidence.cost as number) - 3.249) < 0.01);
    assert.ok(Math.abs((f.evidence.priorCost as number) - 3.249) < 0.005);
    assert.ok((f.evidence.maxAbsMeanOutputMinusClassFreq as number) < 0.01);
    assert.ok((f.evidence.meanAcrossInputStd as number) < 1e-3);
    const r = find(diagnose(questionRun()), 'regularization-dominates') as Finding;
    assert.ok((r.evidence.shareOfCost as number) < 1e-3);
    const t = find(diagnose(questionRun()), 'too-few-iterations') as Finding;
    assert.equal(t.evidence.updates, 5);
    assert.match(t.advice, /mini-batch SGD/);
  });
  it('λ = 0 gives the same plateau findings without the λ finding', () => {
    const fs = diagnose(questionRun({ l2: 0 }));
    assert.equal(find(fs, 'prior-collapse')?.severity, 'critical');
    assert.equal(find(fs, 'regularization-dominates'), undefined);
  });
  it('300 full-batch iterations still on the prior: prior-collapse + too-few-iterations (warning)', () => {
    const fs = diagnose(questionRun({ epochs: 300 }));
    assert.equal(find(fs, 'prior-collapse')?.severity, 'critical');
    assert.equal(find(fs, 'too-few-iterations')?.severity, 'warning');
    assert.equal(find(fs, 'lr-too-small'), undefined);
  });
});

describe('a healthy run (97 % test, cost falling and flattening)', () => {
  it('has no critical or warning finding', () => {
    const fs = diagnose(healthyRun());
    assert.deepEqual(fs.filter((f) => f.severity !== 'info'), []);
  });
});

describe('prior-collapse', () => {
  it('triggers on the question (critical)', () => assert.equal(severityOf(questionRun(), 'prior-collapse'), 'critical'));
  it('warns when the outputs sit on the prior but the prior cost is unknown (mse)', () => {
    const q = questionRun();
    const mse = { ...q, config: { ...q.config, model: { ...q.config.model, loss: 'mse' } } };
    assert.equal(severityOf(mse, 'prior-collapse'), 'warning');
  });
  it('does not trigger on a healthy run', () => assert.equal(severityOf(healthyRun(), 'prior-collapse'), null));
  it('does not trigger on an untrained net (outputs constant at 0.5, not at the prior)', () => {
    const q = questionRun();
    assert.equal(severityOf({ ...q, epochs: q.epochs.slice(0, 1) }, 'prior-collapse'), null);
  });
});

describe('lr-too-large', () => {
  const h = healthyRun();
  it('is critical when the run diverged', () => {
    const d = withRows(h, (r) => (r.epoch >= 3 ? { cost: r.epoch === 3 ? Infinity : NaN, loss: NaN } : {}));
    const f = find(diagnose({ ...d, status: 'diverged' }), 'lr-too-large') as Finding;
    assert.equal(f.severity, 'critical');
    assert.equal(f.evidence.divergedAt, 3);
  });
  it('warns when the cost oscillates', () => {
    const costs = [2.3, 1.5, 1.9, 1.2, 1.7, 1.1, 1.6, 1.0, 1.5, 0.9, 1.4];
    assert.equal(severityOf(withRows(h, (_r, i) => ({ cost: at(costs, i), loss: at(costs, i) })), 'lr-too-large'), 'warning');
  });
  it('is critical when the cost ends above where it started', () => {
    const costs = [2.3, 2.5, 2.8, 3.0, 3.3, 3.6, 4.0, 4.4, 4.9, 5.5, 6.0];
    assert.equal(severityOf(withRows(h, (_r, i) => ({ cost: at(costs, i), loss: at(costs, i) })), 'lr-too-large'), 'critical');
  });
  it('does not trigger on a steady decrease or on sub-1 % noise', () => {
    assert.equal(severityOf(h, 'lr-too-large'), null);
    const noisy = withRows(h, (_r, i) => (i === 10 ? { cost: 0.05 * 1.009 } : {}));
    assert.equal(severityOf(noisy, 'lr-too-large'), null);
    assert.equal(severityOf(questionRun(), 'lr-too-large'), null);
  });
});

describe('lr-too-small', () => {
  it('triggers on the question at lr 1e-4 (6.990 -> 6.988)', () => {
    const f = find(diagnose(questionRun({ lr: 1e-4 })), 'lr-too-small') as Finding;
    assert.equal(f.severity, 'warning');
    assert.ok((f.evidence.relativeDecrease as number) < 1e-3);
    assert.match(f.advice, /Raise train\.lr/);
  });
  it('does not trigger at lr 2 (the cost halves) or on a healthy run', () => {
    assert.equal(severityOf(questionRun(), 'lr-too-small'), null);
    assert.equal(severityOf(healthyRun(), 'lr-too-small'), null);
  });
  it('does not trigger when the gradients are tiny (a flat region: a larger lr is not the fix)', () => {
    const flat = withRows(questionRun({ lr: 1e-4 }), () => ({ gradNorm: [1e-9, 1e-8, 1e-7] }));
    assert.equal(severityOf(flat, 'lr-too-small'), null);
  });
});

describe('too-few-iterations', () => {
  it('is critical for 5 full-batch updates', () => assert.equal(severityOf(questionRun(), 'too-few-iterations'), 'critical'));
  it('warns when the cost and the test accuracy are still rising at the last epoch', () => {
    const h = healthyRun();
    const rising = withRows(h, (r, i) => (i === 10 ? { testAcc: (at(h.epochs, 9).testAcc as number) + 0.01 } : {}));
    assert.equal(severityOf(rising, 'too-few-iterations'), 'warning');
  });
  it('is only info when test accuracy has flattened (healthy run)', () => assert.equal(severityOf(healthyRun(), 'too-few-iterations'), 'info'));
  it('does not trigger on a converged run with enough updates', () => {
    const h = healthyRun();
    const flat = withRows(h, (r, i) => (i === 10 ? { cost: 0.05 * 0.998, loss: 0.05 * 0.998 } : {}));
    assert.equal(severityOf(flat, 'too-few-iterations'), null);
  });
  it('uses the planned updates while a trial runs', () => {
    const q = questionRun();
    assert.equal(severityOf({ ...q, status: 'running', epochs: q.epochs.slice(0, 2), summary: { classCounts: CLASS_COUNTS_30K } }, 'too-few-iterations'), 'critical');
  });
});

describe('regularization-dominates', () => {
  const h = healthyRun();
  const withL2 = (l2: number, rows: (r: EpochRow, i: number) => Partial<EpochRow>) => {
    const x = withRows(h, rows);
    return { ...x, config: { ...x.config, train: { ...x.config.train, l2 } } };
  };
  it('is critical when the L2 term is most of the cost', () => {
    const f = find(diagnose(withL2(50, (r) => ({ l2Term: 0.6 * (r.cost as number) }))), 'regularization-dominates') as Finding;
    assert.equal(f.severity, 'critical');
    assert.ok(Math.abs((f.evidence.shareOfCost as number) - 0.6) < 1e-12);
  });
  it('warns when every layer\'s weights shrink below half their initial norm', () => {
    const shrink = withL2(5, (r, i) => ({ l2Term: 0.01 * (r.cost as number), weightNorm: [20, 10, 2].map((w) => w * Math.pow(0.9, i)) }));
    assert.equal(severityOf(shrink, 'regularization-dominates'), 'warning');
  });
  it('is info (with the share) when λ > 0 but negligible: the question', () => {
    assert.equal(severityOf(questionRun(), 'regularization-dominates'), 'info');
  });
  it('does not trigger when λ = 0', () => assert.equal(severityOf(healthyRun(), 'regularization-dominates'), null));
});

describe('too-little-capacity', () => {
  it('warns for a hidden layer narrower than the outputs', () => {
    const f = find(diagnose(questionRun()), 'too-little-capacity') as Finding;
    assert.equal(f.severity, 'warning');
    assert.equal(f.evidence.narrowestHidden, 5);
  });
  it('reports the logistic-regression baseline when train accuracy is below it', () => {
    const f = find(diagnose({ ...questionRun(), baseline: { trainAcc: 0.93 } }), 'too-little-capacity') as Finding;
    assert.equal(f.evidence.baselineTrainAcc, 0.93);
    assert.equal(f.severity, 'warning');
  });
  it('is only info below the baseline when the net is wide enough (an optimisation problem)', () => {
    const h = healthyRun();
    const low = withRows(h, () => ({ trainAcc: 0.5 }));
    assert.equal(severityOf({ ...low, baseline: { trainAcc: 0.93 } }, 'too-little-capacity'), 'info');
  });
  it('does not trigger on a wide net above the baseline, nor on logistic regression itself', () => {
    assert.equal(severityOf({ ...healthyRun(), baseline: { trainAcc: 0.93 } }, 'too-little-capacity'), null);
    const h = healthyRun();
    const lr = { ...h, config: { ...h.config, model: { ...h.config.model, layers: [784, 10] } } };
    assert.equal(severityOf(lr, 'too-little-capacity'), null);
  });
});

describe('poor-init', () => {
  it('warns for U(0, 0.01) (all weights positive: |mean|·√n/‖W‖ = √3/2)', () => {
    const f = find(diagnose(questionRun()), 'poor-init') as Finding;
    assert.equal(f.severity, 'warning');
    assert.ok(Math.abs((f.evidence.signRatio as number) - Math.sqrt(3) / 2) < 1e-9);
  });
  it('is critical when all weights are equal (symmetry) and reads the config without epoch 0', () => {
    const q = questionRun();
    const constant = withRows(q, () => ({ weightMean: [0.01, 0.01, 0.01], weightNorm: [0.01 * Math.sqrt(3920), 0.01 * 5, 0.01 * Math.sqrt(50)] }));
    assert.equal(severityOf(constant, 'poor-init'), 'critical');
    const cfg = { ...q, epochs: q.epochs.slice(1), config: { ...q.config, model: { ...q.config.model, init: { normal: [0.01, 0] } } } };
    assert.equal(severityOf(cfg, 'poor-init'), 'critical');
  });
  it('warns when the init saturates the units at epoch 0', () => {
    assert.equal(severityOf(withSaturation('sigmoid', [0.1, 0.1], [0.8, 0.7]), 'poor-init'), 'warning');
  });
  it('does not trigger for a zero-mean init (healthy run)', () => assert.equal(severityOf(healthyRun(), 'poor-init'), null));
});

describe('saturation', () => {
  it('is critical above 90 % and warns above 50 %', () => {
    assert.equal(severityOf(withSaturation('sigmoid', [0.95, 0.3]), 'saturation'), 'critical');
    assert.equal(severityOf(withSaturation('tanh', [0.2, 0.6]), 'saturation'), 'warning');
  });
  it('does not trigger on the question (|z| ≈ 2.9) nor on relu nets (their metric is dead units)', () => {
    assert.equal(severityOf(questionRun(), 'saturation'), null);
    assert.equal(severityOf(withSaturation('relu', [0.95, 0.3]), 'saturation'), null);
  });
});

describe('dead-relu', () => {
  it('is critical above 60 % dead units; leaky-relu is at most a warning', () => {
    assert.equal(severityOf(withSaturation('relu', [0.7, 0.1]), 'dead-relu'), 'critical');
    assert.equal(severityOf(withSaturation('leaky-relu', [0.7, 0.1]), 'dead-relu'), 'warning');
    assert.equal(severityOf(withSaturation('relu', [0.3, 0.1]), 'dead-relu'), 'warning');
  });
  it('does not trigger on a healthy relu run nor on sigmoid nets', () => {
    assert.equal(severityOf(healthyRun(), 'dead-relu'), null);
    assert.equal(severityOf(withSaturation('sigmoid', [0.7, 0.1]), 'dead-relu'), null);
  });
});

describe('vanishing-gradients', () => {
  it('warns when the first layer\'s gradient is orders of magnitude below the last (question at lr 1e-4)', () => {
    const f = find(diagnose(questionRun({ lr: 1e-4 })), 'vanishing-gradients') as Finding;
    assert.equal(f.severity, 'warning');
    assert.ok((f.evidence.medianFirstOverLastGradNorm as number) < 1e-3);
  });
  it('is critical below 1e-4', () => {
    assert.equal(severityOf(withRows(healthyRun(), () => ({ gradNorm: [1e-7, 1e-3, 0.5] })), 'vanishing-gradients'), 'critical');
  });
  it('does not trigger on a healthy run', () => assert.equal(severityOf(healthyRun(), 'vanishing-gradients'), null));
});

describe('overfitting', () => {
  const h = healthyRun();
  it('warns when train is far above test', () => {
    const f = find(diagnose(withRows(h, (r) => ({ testAcc: (r.trainAcc as number) - 0.12 }))), 'overfitting') as Finding;
    assert.equal(f.severity, 'warning');
    assert.ok(Math.abs((f.evidence.gap as number) - 0.12) < 1e-9);
  });
  it('is critical for a 30 pp gap', () => {
    assert.equal(severityOf(withRows(h, (r, i) => (i === 10 ? { trainAcc: 1, testAcc: 0.7 } : {})), 'overfitting'), 'critical');
  });
  it('warns when test accuracy falls while train accuracy rises', () => {
    const falling = withRows(h, (r, i) => (i >= 8 ? { testAcc: 0.968 - 0.01 * (i - 7) } : {}));
    assert.equal(severityOf(falling, 'overfitting'), 'warning');
  });
  it('does not trigger on a healthy run (1.9 pp gap) nor without held-out accuracy', () => {
    assert.equal(severityOf(h, 'overfitting'), null);
    assert.equal(severityOf(withRows(h, () => ({ testAcc: null, valAcc: null, trainAcc: 1 })), 'overfitting'), null);
  });
});

describe('diagnose', () => {
  it('orders findings by severity, then by rule id order', () => {
    const fs = diagnose(questionRun({ lr: 1e-4 }));
    const rank = { critical: 0, warning: 1, info: 2 };
    for (const [i, b] of fs.entries()) {
      if (i === 0) continue;
      const a = at(fs, i - 1);
      assert.ok(rank[a.severity] < rank[b.severity] || (rank[a.severity] === rank[b.severity] && RULE_IDS.indexOf(a.rule) < RULE_IDS.indexOf(b.rule)));
    }
  });
  it('handles a pending trial with no epochs (config findings only) and rows with nulls', () => {
    const q = questionRun();
    const fs = diagnose({ ...q, status: 'pending', epochs: [] });
    assert.deepEqual(fs.map((f) => f.rule).sort(), ['poor-init', 'too-few-iterations', 'too-little-capacity']);
    const nulls = diagnose({ ...q, epochs: [epochRow({ epoch: 0 }), epochRow({ epoch: 1, cost: 3 })] });
    assert.ok(Array.isArray(nulls));
  });
  it('keeps every evidence value a finite number, a string, a boolean or null', () => {
    for (const input of [questionRun(), questionRun({ lr: 1e-4 }), healthyRun()]) {
      for (const f of diagnose(input)) {
        for (const [k, v] of Object.entries(f.evidence)) {
          assert.ok(v === null || ['string', 'boolean'].includes(typeof v) || (typeof v === 'number' && Number.isFinite(v)), `${f.rule}.${k} = ${v}`);
        }
        assert.ok(f.advice.length > 20);
      }
    }
  });
});
