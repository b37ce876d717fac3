// The samplers on seeded toy objectives: deterministic for a seed and an order of observations, TPE's split and
// constant liar as Optuna defines them, and TPE finding better optima than random search with the same budget.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dimsOf, randomDraw, suggestionRng, type Dim } from './space.js';
import { gammaOf, splitObservations, tpeSuggest, type Observation } from './tpe.js';

const dims: Dim[] = dimsOf({
  'train.lr': { loguniform: [1e-4, 1] },
  'train.momentum': { uniform: [0, 1] },
  'model.width': { int: [1, 64] },
  'train.batch': { choice: [16, 32, 64, 128] },
});

/** A toy loss with its optimum at lr 1e-2, momentum 0.8, width 40, batch 32 (0 there). */
function toy(p: Record<string, unknown>): number {
  const lr = p['train.lr'] as number;
  const m = p['train.momentum'] as number;
  const w = p['model.width'] as number;
  const b = p['train.batch'] as number;
  return (Math.log10(lr) + 2) ** 2 + 4 * (m - 0.8) ** 2 + ((w - 40) / 32) ** 2 + (b === 32 ? 0 : 0.3);
}

function search(sampler: 'tpe' | 'random', seed: number, n: number, startup = 10): { best: number; obs: Observation[] } {
  const obs: Observation[] = [];
  for (let k = 0; k < n; k++) {
    const rng = suggestionRng(seed, k);
    const p = sampler === 'random' || obs.length < startup ? randomDraw(dims, rng) : tpeSuggest(dims, obs, rng);
    obs.push({ params: p, loss: toy(p), state: 'complete', step: 0 });
  }
  return { best: Math.min(...obs.map((o) => o.loss)), obs };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1] as number;

describe('search space', () => {
  it('draws every dimension within its bounds: log scale, integers, choices', () => {
    for (let k = 0; k < 200; k++) {
      const p = randomDraw(dims, suggestionRng(1, k));
      const lr = p['train.lr'] as number;
      assert.ok(lr >= 1e-4 && lr <= 1, String(lr));
      assert.ok(Number.isInteger(p['model.width']) && (p['model.width'] as number) >= 1 && (p['model.width'] as number) <= 64);
      assert.ok([16, 32, 64, 128].includes(p['train.batch'] as number));
    }
    // log-uniform: about half the draws below the geometric middle 1e-2
    const below = Array.from({ length: 400 }, (_, k) => randomDraw(dims, suggestionRng(2, k))['train.lr'] as number).filter((x) => x < 1e-2).length;
    assert.ok(below > 160 && below < 240, String(below));
  });
});

describe('TPE', () => {
  it("splits like Optuna: γ(n) = min(⌈0.1 n⌉, 25); complete by loss, then pruned (deeper first), running last", () => {
    assert.deepEqual([1, 10, 11, 100, 300].map(gammaOf), [1, 1, 2, 10, 25]);
    const o = (loss: number, state: Observation['state'], step = 0): Observation => ({ params: { loss }, loss, state, step });
    const obs = [o(0.5, 'pruned', 4), o(0.9, 'complete'), o(0.1, 'running'), o(0.3, 'pruned', 8), ...Array.from({ length: 7 }, (_, i) => o(1 + i, 'complete'))];
    const { below, above } = splitObservations(obs); // n = 11: two below
    assert.deepEqual(below.map((x) => x.loss), [0.9, 1]);
    assert.equal(above.length, 9);
    const onlyPruned = splitObservations([o(0.5, 'pruned', 4), o(0.7, 'pruned', 8), o(0.1, 'running')]);
    assert.deepEqual(onlyPruned.below.map((x) => x.loss), [0.7], 'the deeper pruned trial ranks first');
  });

  it('is deterministic for a seed and an order of observations', () => {
    const a = search('tpe', 3, 25);
    const b = search('tpe', 3, 25);
    assert.deepEqual(a.obs.map((x) => x.params), b.obs.map((x) => x.params));
    const c = search('tpe', 4, 25);
    assert.notDeepEqual(a.obs.map((x) => x.params), c.obs.map((x) => x.params));
    // the same history in another order is another (still valid) suggestion source
    const hist = a.obs.slice(0, 20);
    const s1 = tpeSuggest(dims, hist, suggestionRng(9, 20));
    const s2 = tpeSuggest(dims, hist, suggestionRng(9, 20));
    assert.deepEqual(s1, s2);
  });

  it('suggests near the good observations: after 40 trials most suggestions lie near the optimum', () => {
    const { obs } = search('tpe', 5, 40);
    const later = obs.slice(20).map((x) => x.params['train.lr'] as number);
    const near = later.filter((lr) => Math.abs(Math.log10(lr) + 2) < 1).length;
    assert.ok(near >= 14, `only ${near} of 20 TPE suggestions within a decade of the best lr`);
  });

  it('constant liar: a running suggestion counts as the worst, pushing the next one elsewhere', () => {
    const hist = search('tpe', 6, 30).obs;
    const rng = () => suggestionRng(11, 30);
    const alone = tpeSuggest(dims, hist, rng());
    const lie = tpeSuggest(dims, [...hist, { params: alone, loss: Infinity, state: 'running', step: 0 }], rng());
    assert.notDeepEqual(lie, alone);
  });

  it('beats random search on a seeded toy objective: median best of 30 TPE trials <= median best of 60 random ones (11 seeds)', () => {
    const seeds = Array.from({ length: 11 }, (_, i) => 100 + i);
    const tpe = median(seeds.map((s) => search('tpe', s, 30).best));
    const rnd30 = median(seeds.map((s) => search('random', s, 30).best));
    const rnd60 = median(seeds.map((s) => search('random', s, 60).best));
    assert.ok(tpe <= rnd60, `TPE@30 ${tpe.toFixed(4)} vs random@60 ${rnd60.toFixed(4)} (random@30 ${rnd30.toFixed(4)})`);
    assert.ok(tpe < rnd30);
  });
});
