/**
 * Errors of the results database and of bad input in general. `InputError` is bad input (exit code 2): a file that
 * does not validate, an unknown trial id, bad SQL, an experiment name that belongs to another file. `StoreError`
 * is a database that cannot be used (exit code 1). Messages are one line (or one line per issue) and say what to do.
 */
export type InputErrorCode =
  | 'CONFIG'          // one or more experiment files do not validate (message: one `file:line:col: message` per line)
  | 'NAME_CONFLICT'   // an experiment name is already registered from another file
  | 'UNKNOWN_TRIAL'   // no trial id starts with the given prefix
  | 'AMBIGUOUS_TRIAL' // more than one trial id starts with the given prefix
  | 'NOT_FINISHED'    // reproduce asked for a trial that has not finished
  | 'UNKNOWN_EXPERIMENT' // report: no experiment of that name in the database
  | 'BAD_SQL'         // query: the statement does not compile or tries to write
  | 'NO_DATABASE'     // a reading command found no database at --db
  | 'BAD_OPTION';     // a command-line option has a bad value

export class InputError extends Error {
  override readonly name = 'InputError';
  constructor(readonly code: InputErrorCode, message: string) {
    super(message);
  }
}

/**
 * SCHEMA_TOO_NEW: written by a newer sweeplab; SCHEMA_OLD: a read-only connection found an older schema (a writer
 * migrates it); NOT_SWEEPLAB: another program's database; NOT_SQLITE: not a SQLite database at all (or not a
 * regular file); OPEN_FAILED: the file cannot be opened or used.
 */
export type StoreErrorCode = 'SCHEMA_TOO_NEW' | 'SCHEMA_OLD' | 'NOT_SWEEPLAB' | 'NOT_SQLITE' | 'OPEN_FAILED';

/** Store errors that are bad input (the `--db` given is not a usable sweeplab database): exit code 2. */
export const BAD_DATABASE_CODES: readonly StoreErrorCode[] = ['NOT_SWEEPLAB', 'NOT_SQLITE', 'SCHEMA_TOO_NEW'];

export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(readonly code: StoreErrorCode, readonly path: string, message: string) {
    super(message);
  }
}
