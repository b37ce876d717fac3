import { strict as assert } from 'node:assert';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { archKey, dataFingerprintOf, tempDir, tinyConfig, writeTinyIdx } from '../testing/fixtures.js';
import { trialMemoryEstimate, memoryRefusal } from '../work.js';
import { PiscinaExecutor } from './piscina.js';
import { ExecutorError, type TrainTask } from './types.js';

const dir = tempDir();
const dataDir = writeTinyIdx(join(dir, 'data'));

function task(over: Parameters<typeof tinyConfig>[1] = {}): TrainTask {
  const config = tinyConfig(dataDir, over);
  return {
    kind: 'train', trialId: `t-${archKey(config)}`, attempt: 1, config, fingerprints: { data: dataFingerprintOf(config), init: null },
    baseDir: dir, kernels: 'js',
  };
}

describe('the piscina executor', () => {
  test('a heap limit too small for a worker thread itself: the task fails UNAVAILABLE at once instead of waiting for ever', async () => {
    const exec = new PiscinaExecutor({ workers: 1, maxMemoryMb: 1 });
    try {
      await assert.rejects(exec.run(task(), () => undefined, new AbortController().signal),
        (e: unknown) => e instanceof ExecutorError && e.code === 'UNAVAILABLE' && /--max-memory 1 MB is too small for a worker thread/.test(e.message));
      // and every later task too, without starting a thread
      await assert.rejects(exec.run(task(), () => undefined, new AbortController().signal), (e: unknown) => e instanceof ExecutorError && e.code === 'UNAVAILABLE');
    } finally {
      await exec.close();
    }
  });

  test('a trial whose estimated memory exceeds the limit fails before loading anything, naming the estimate and the limit', async () => {
    const exec = new PiscinaExecutor({ workers: 1, maxMemoryMb: 48 });
    try {
      // 16 -> 4000 -> 4000 -> 3: 16 M parameters, ~190 MB of weights, gradients and adam state
      const big = task({ model: { layers: [16, 4000, 4000, 3] }, train: { optimizer: 'adam', lr: 0.001 } });
      await assert.rejects(exec.run(big, () => undefined, new AbortController().signal),
        (e: unknown) => e instanceof ExecutorError && e.code === 'THREW' && /needs about \d+ MB .* but --max-memory is 48 MB per worker/.test(e.message));
      // a small one on the same pool trains
      const out = await exec.run(task(), () => undefined, new AbortController().signal);
      assert.equal(out.kind === 'train' ? out.status : null, 'done');
    } finally {
      await exec.close();
    }
  });
});

describe('memory estimates', () => {
  test('count data, weights with gradients and optimizer state, activations and the thread', () => {
    const c = tinyConfig(dataDir, { model: { layers: [16, 1000, 3] }, train: { optimizer: 'momentum', dtype: 'float64', batch: 10 } });
    const e = trialMemoryEstimate(c, 1_000_000);
    const params = (17 * 1000 + 1001 * 3) * 8;
    assert.ok(Math.abs(e.parametersMb - (params * 3) / 1048576) < 1e-9, 'weights + gradients + momentum, float64');
    assert.ok(e.dataMb > 1_000_000 / 1048576);
    assert.equal(e.totalMb, e.dataMb + e.parametersMb + e.activationsMb + e.workerMb);
    const adam = trialMemoryEstimate({ ...c, train: { ...c.train, optimizer: 'adam' } }, 1_000_000);
    assert.ok(adam.parametersMb > e.parametersMb);
    assert.equal(memoryRefusal(e, 10_000), null);
    assert.match(memoryRefusal(e, 1) ?? '', /needs about \d+ MB \(data \d+, weights, gradients and optimizer state \d+, activations \d+, the worker thread 32\) but --max-memory is 1 MB/);
  });
});
