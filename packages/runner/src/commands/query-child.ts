/**
 * The process `sweeplab query` runs a statement in (see query.ts): a read-only connection that streams the rows to
 * its parent in batches and counts the rest. A separate process because SQLite cannot be interrupted from
 * JavaScript: the parent enforces the time limit by killing it.
 */
import { InputError, StoreError, type ResultsReader } from '@sweeplab/store';
import { openResults } from './open.js';
import type { ChildMessage, QueryAsk } from './query.js';

const BATCH = 500;

function send(m: ChildMessage): void {
  process.send?.(m);
}

process.once('message', (ask: QueryAsk) => {
  let reader: ResultsReader | null = null;
  try {
    reader = openResults(ask.db);
    let batch: unknown[][] = [];
    const r = reader.queryStream(ask.sql, {
      limit: ask.limit,
      onColumns: (columns) => send({ kind: 'columns', columns }),
      onRow: (row) => {
        batch.push(row);
        if (batch.length >= BATCH) {
          send({ kind: 'rows', rows: batch });
          batch = [];
        }
      },
    });
    if (batch.length > 0) send({ kind: 'rows', rows: batch });
    send({ kind: 'done', shown: r.shown, total: r.total });
  } catch (e) {
    const code = e instanceof InputError || e instanceof StoreError ? e.code : 'FAILED';
    send({ kind: 'error', code, message: (e as Error).message, name: (e as Error).name });
  } finally {
    reader?.close(); // the parent closes the channel once it has the answer; the process then ends
  }
});
