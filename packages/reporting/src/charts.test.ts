import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { curvesSpec, type CurvePoint } from './charts.js';

function run(series: string, epochs: number): CurvePoint[] {
  return Array.from({ length: epochs + 1 }, (_, e) => ({ series, epoch: e, cost: 3 / (e + 1), acc: e / (epochs + 1) }));
}
function xScale(points: CurvePoint[]): unknown {
  const spec = curvesSpec({ title: 't', points, seriesOrder: [...new Set(points.map((p) => p.series))], legendTitle: 'trial', accTitle: 'acc' }) as unknown as
    { hconcat: { encoding: { x: { scale?: unknown; title: string } } }[] };
  const xs = spec.hconcat.map((h) => h.encoding.x);
  assert.deepEqual(xs[0], xs[1], 'both panels share the epoch axis');
  return xs[0]!.scale;
}

describe('learning-curve chart', () => {
  it('keeps a linear epoch axis when the runs have similar lengths', () => {
    assert.equal(xScale([...run('a', 10), ...run('b', 30)]), undefined);
  });
  it('switches to a symlog epoch axis when one run is 20x longer than another (5 vs 1500 iterations)', () => {
    assert.deepEqual(xScale([...run('a', 5), ...run('b', 1500)]), { type: 'symlog' });
  });
});
