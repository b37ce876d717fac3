/**
 * Opening the results database for a reading command. The read-only connection never migrates; a database of an
 * older schema is upgraded here, explicitly, through a short-lived writer (what `sweeplab run` would do first),
 * then opened read-only again.
 */
import { ResultsReader, Store, StoreError } from '@sweeplab/store';

export function openResults(db: string): ResultsReader {
  try {
    return ResultsReader.open(db);
  } catch (e) {
    if (!(e instanceof StoreError && e.code === 'SCHEMA_OLD')) throw e;
    Store.open(db).close();
    return ResultsReader.open(db);
  }
}

/** Runs `fn` with a reader of `db` and closes it. */
export function withResults<T>(db: string, fn: (r: ResultsReader) => T): T {
  const r = openResults(db);
  try {
    return fn(r);
  } finally {
    r.close();
  }
}
