/**
 * The SQL box's query process: one read-only connection (`ResultsReader`: read-only file handle, `query_only`) that
 * runs one statement at a time for the server. It runs in a child process so the server can enforce the time limit
 * by killing it: SQLite cannot be interrupted from JavaScript, and a runaway query must not block the server.
 */
import { InputError, ResultsReader } from '@sweeplab/store';

interface Ask { id: number; sql: string; maxRows: number }

const path = process.argv[2] ?? '';
let reader: ResultsReader | null = null;

process.on('message', (m: Ask) => {
  try {
    reader ??= ResultsReader.open(path);
    const r = reader.query(m.sql, { maxRows: m.maxRows });
    process.send?.({ id: m.id, ok: true, columns: r.columns, rows: r.rows, truncated: r.truncated === true });
  } catch (e) {
    const bad = e instanceof InputError;
    process.send?.({ id: m.id, ok: false, code: bad ? 'BAD_SQL' : 'FAILED', message: (e as Error).message });
  }
});
process.on('disconnect', () => {
  reader?.close();
  process.exit(0);
});
