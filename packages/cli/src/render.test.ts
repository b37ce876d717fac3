import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runLoaded, type RunEvent } from '@sweeplab/runner';
import { events, runOpts, sink, tempDir, tinyConfig, tinyExperiment, writeTinyIdx } from '@sweeplab/runner/testing';
import { formatQueryResult } from './commands/query.js';
import { renderTrial, showTrial } from './commands/show.js';
import { formatDuration } from './format.js';
import { PlainProgress } from './progress.js';
import { RunDisplay, summaryLine, trialLine } from './run-display.js';

describe('plain progress', () => {
  test('prints one line per finished trial and no line per epoch', () => {
    const { out, text: printed } = sink();
    const p = new PlainProgress(out, 3_600_000);
    p.start({ total: 1, work: 100, skipped: 0, workers: 1 });
    p.trialStarted({ id: 'abc', label: 'x #0', epochs: 500, work: 100 });
    for (let e = 0; e <= 500; e++) p.epoch('abc', e, 1 / (e + 1));
    p.trialFinished('abc', 'done', 'trial abc done');
    p.stop();
    assert.deepEqual(printed().trim().split('\n'), ['running 1 trial(s) on 1 worker(s)', 'trial abc done']);
  });

  test('a trial without a measured epoch shows as starting, not as cost NaN', async () => {
    const { out, text: printed } = sink();
    const p = new PlainProgress(out, 20);
    p.start({ total: 2, work: 100, skipped: 0, workers: 2 });
    p.trialStarted({ id: 'aaaaaaaa1', label: 'x #0', epochs: 5, work: 50 });
    p.trialStarted({ id: 'bbbbbbbb2', label: 'x #1', epochs: 5, work: 50 });
    p.epoch('aaaaaaaa1', 0, 2.5);
    await new Promise((r) => setTimeout(r, 80));
    p.stop();
    const status = printed().split('\n').find((l) => l.startsWith('['));
    assert.ok(status, printed());
    assert.match(status, /aaaaaaaa epoch 0\/5 cost 2\.5000/);
    assert.match(status, /bbbbbbbb epoch 0\/5 starting/);
    assert.doesNotMatch(printed(), /NaN/);
  });

  test('nothing to run: no "running 0 trial(s)" line', () => {
    const { out, text: printed } = sink();
    const p = new PlainProgress(out, 3_600_000);
    p.start({ total: 0, work: 0, skipped: 3, workers: 0 });
    p.stop();
    assert.equal(printed(), '');
  });

  test('durations', () => {
    assert.equal(formatDuration(5), '0:05');
    assert.equal(formatDuration(125), '2:05');
    assert.equal(formatDuration(3725), '1:02:05');
    assert.equal(formatDuration(NaN), '?');
  });
});

describe('renderers', () => {
  test('query result formats', () => {
    const r = { columns: ['a', 'b'], rows: [[1, 'x,y'], [null, 'q"r']] };
    assert.equal(formatQueryResult(r, 'csv'), 'a,b\r\n1,"x,y"\r\n,"q""r"\r\n');
    assert.deepEqual(JSON.parse(formatQueryResult(r, 'json')), [{ a: 1, b: 'x,y' }, { a: null, b: 'q"r' }]);
    assert.match(formatQueryResult(r, 'table'), /NULL/);
  });

  test('a real run rendered: trial lines, the summary line, and show', async () => {
    const dir = tempDir();
    const dataDir = writeTinyIdx(join(dir, 'data'));
    const exp = tinyExperiment(dir, 'render', [{ config: tinyConfig(dataDir) }, { config: tinyConfig(dataDir, { train: { lr: 1 } }) }]);
    const db = join(dir, 'r.db');
    const { out, text } = sink();
    const display = new RunDisplay('plain', out);
    const ev = events();
    const res = await runLoaded([exp], runOpts(db, { emit: (e: RunEvent) => { ev.emit(e); display.onEvent(e); } }));
    display.stop();
    const lines = text().trim().split('\n');
    assert.match(lines[0] ?? '', /^kernels: (native \(.*\)|typescript)/);
    assert.equal(lines[1], 'running 2 trial(s) on 2 worker(s)');
    assert.match(lines[2] ?? '', /^gradcheck 16-8-3 sigmoid\/softmax cross-entropy, l2 0: passed \(max relative error/);
    for (const t of exp.trials) {
      assert.ok(lines.some((l) => new RegExp(`^trial ${t.id} done     render #${t.position}  epochs 3  cost \\d`).test(l)), text());
    }
    assert.equal(summaryLine(res), `2 trial(s): 2 done, 0 diverged, 0 failed; results in ${db}`);
    const fin = ev.all.find((e) => e.type === 'trial-finished');
    assert.ok(fin && fin.type === 'trial-finished');
    assert.match(trialLine({ ...fin, status: 'pruned', prunedAt: 1, error: 'below the rung' }), /^trial [0-9a-f]{16} pruned {3}render #\d {2}stopped at epoch 1: below the rung/);
    const id = exp.trials[0]?.id ?? '';
    const shown = renderTrial(showTrial(id.slice(0, 6), db));
    assert.match(shown, new RegExp(`^trial ${id}  \\(done\\)`));
    assert.match(shown, /layers: \[ 16, 8, 3 \]/);
    assert.match(shown, /learning curve \(4 rows/);
  });
});
