// Store.batch: the writes a function makes commit together (one transaction, the writes' own ones becoming
// savepoints), a caught failure rolls back only its own write, and a throw out of the batch rolls back all of it.
import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import type { EpochMetrics } from '@sweeplab/nn-core';
import { Store } from './store.js';

const dir = mkdtempSync(join(tmpdir(), 'sweeplab-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const metrics = (epoch: number): EpochMetrics => ({
  epoch, measured: true, cost: 1 / (epoch + 1), loss: 1 / (epoch + 1), l2Term: 0, trainAcc: 0.5, testAcc: 0.5, valAcc: null, lr: 0.1,
  outMean: 0.5, outStd: 0.1, outUnitMean: [0.5], outUnitStd: [0.1], gradNorm: [1], updateRatio: [null], weightNorm: [1], weightMean: [0],
  saturation: [], seconds: 0, evalSeconds: 0,
});

function claimed(db: string): { store: Store; id: string; attempt: number } {
  const store = Store.open(db);
  const id = '0123456789abcdef';
  store.registerExperiments([{ name: 'b', description: '', file: join(dir, 'b.yaml'), yaml: '', resolvedJson: '{}', sweptPaths: [],
    trials: [{ id, configJson: '{}', seed: 1, arch: 'a', paramsJson: '{}', position: 0 }] }]);
  const c = store.claimTrial(id, 'me', { force: false, isAlive: () => false });
  assert.ok(c.claimed);
  return { store, id, attempt: c.attempt };
}

const count = (db: string) => {
  const d = new Database(db, { readonly: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM epochs').get() as { n: number }).n;
  } finally {
    d.close();
  }
};

test('a batch of epoch writes commits together; another connection sees none of it before the end', () => {
  const db = join(dir, 'a.db');
  const { store, id, attempt } = claimed(db);
  const seenInside: number[] = [];
  const res = store.batch(() => {
    for (let e = 0; e < 50; e++) assert.equal(store.insertEpoch(id, attempt, metrics(e)), 'written');
    assert.equal(store.insertEpoch(id, attempt, metrics(3)), 'duplicate');
    seenInside.push(count(db));
    return 'ok';
  });
  assert.equal(res, 'ok');
  assert.deepEqual(seenInside, [0]);
  assert.equal(count(db), 50);
  store.close();
});

test('a caught failure inside a batch undoes only its own write; an uncaught one undoes the batch', () => {
  const db = join(dir, 'b.db');
  const { store, id, attempt } = claimed(db);
  store.batch(() => {
    store.insertEpoch(id, attempt, metrics(0));
    assert.throws(() => store.insertEpoch(id, attempt, { ...metrics(1), epoch: {} as unknown as number }));
    store.insertEpoch(id, attempt, metrics(2));
  });
  assert.equal(count(db), 2);
  assert.throws(() => store.batch(() => {
    store.insertEpoch(id, attempt, metrics(5));
    throw new Error('boom');
  }), /boom/);
  assert.equal(count(db), 2);
  store.close();
});
