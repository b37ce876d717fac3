/**
 * Opening the results database. Two kinds of connection and nothing else:
 * - `openWritable`: the single writer of a process. Pragmas (WAL, synchronous=NORMAL, foreign keys, busy timeout)
 *   and the migrations, applied once under BEGIN IMMEDIATE so two processes that start together cannot both create
 *   the schema.
 * - `openReadOnly`: a read-only file handle with `query_only` on. It never migrates and never writes: an older
 *   schema is a StoreError SCHEMA_OLD (the caller decides whether to upgrade through a writer first).
 */
import { closeSync, existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { FileAccessError, openRegular, readAt } from '@sweeplab/data';
import { InputError, StoreError } from './errors.js';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations.js';

/** Where results go when `--db` is not given (relative to the current directory). */
export const DEFAULT_DB_PATH = 'results/sweeplab.db';

const BUSY_TIMEOUT_MS = 5000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Switches to WAL. The switch needs a moment alone with the file; another process opening it may hold it. */
function enableWal(db: Database.Database, path: string): void {
  if (db.memory) return;
  let lastError: unknown = null;
  for (let attempt = 0; attempt < 100; attempt++) {
    try {
      const mode = db.pragma('journal_mode = WAL', { simple: true });
      if (mode === 'wal') return;
    } catch (e) {
      lastError = e;
    }
    sleepSync(50);
  }
  throw new StoreError('OPEN_FAILED', path, `${path}: could not switch the database to WAL mode` +
    (lastError instanceof Error ? ` (${lastError.message})` : '') + '; is it on a network file system? Use a local disk.');
}

function tooNew(path: string, v: number): StoreError {
  return new StoreError('SCHEMA_TOO_NEW', path,
    `${path}: database schema version ${v} is newer than this sweeplab's (${SCHEMA_VERSION}); upgrade sweeplab or use another --db`);
}

function notSweeplab(path: string): StoreError {
  return new StoreError('NOT_SWEEPLAB', path,
    `${path}: not a sweeplab database (it has tables but no sweeplab schema version); pass another --db`);
}

/** Runs `steps` in one BEGIN IMMEDIATE transaction; table rebuilds need foreign keys off around it (SQLite docs). */
function applyMigrations(db: Database.Database, path: string, pending: (current: number) => readonly Migration[]): void {
  const rebuild = MIGRATIONS.slice(userVersion(db)).some((m) => m.rebuildsTables === true);
  if (rebuild) {
    db.pragma('foreign_keys = OFF'); // a no-op inside a transaction: set before it
    db.pragma('legacy_alter_table = ON'); // RENAME must not rewrite the views (they name the table, which comes back)
  }
  try {
    db.transaction(() => {
      const current = userVersion(db); // re-read under the write lock: another process may have migrated meanwhile
      if (current > SCHEMA_VERSION) throw tooNew(path, current);
      if (current === 0) {
        const tables = db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).pluck().get() as number;
        if (tables > 0) throw notSweeplab(path);
      }
      for (const m of pending(current)) {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }
      if (rebuild) {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length > 0) throw new StoreError('OPEN_FAILED', path, `${path}: migration left ${broken.length} broken reference(s); the database was not changed`);
      }
    }).immediate();
  } finally {
    if (rebuild) {
      db.pragma('legacy_alter_table = OFF');
      db.pragma('foreign_keys = ON');
    }
  }
}

/** Every SQLite database file starts with these 16 bytes. */
const SQLITE_MAGIC = 'SQLite format 3\0';

/**
 * Checks an existing `--db` before SQLite touches it: a regular file (not a device, FIFO or directory) that is empty
 * or starts with SQLite's header. Anything else is StoreError NOT_SQLITE and nothing is written to it.
 */
function checkDatabaseFile(path: string): void {
  if (path === ':memory:' || !existsSync(path)) return;
  let file: { fd: number; size: number };
  try {
    file = openRegular(path);
  } catch (e) {
    if (e instanceof FileAccessError) throw new StoreError('NOT_SQLITE', path, `${e.message}; pass --db <a sweeplab results database>`);
    throw e;
  }
  try {
    if (file.size === 0) return;
    const head = new TextDecoder('latin1').decode(readAt(file.fd, 16, 0));
    if (head !== SQLITE_MAGIC) {
      throw new StoreError('NOT_SQLITE', path, `${path}: not a SQLite database (it does not start with SQLite's header); pass --db <a sweeplab results database>`);
    }
  } finally {
    closeSync(file.fd);
  }
}

/** Refuses, before anything is written (WAL switch included), a database this sweeplab must not change. */
function checkOwnership(db: Database.Database, path: string): void {
  // one read transaction: another process may be creating the schema right now (its version and tables commit together)
  const { v, tables } = db.transaction(() => ({
    v: userVersion(db),
    tables: db.prepare(`SELECT count(*) FROM sqlite_schema WHERE type = 'table'`).pluck().get() as number,
  })).deferred();
  if (v > SCHEMA_VERSION) throw tooNew(path, v);
  if (v === 0 && tables > 0) throw notSweeplab(path);
}

/** Applies the missing migrations. Safe to call from several processes at once; a no-op when up to date. */
export function migrate(db: Database.Database, path: string): void {
  const v = userVersion(db);
  if (v > SCHEMA_VERSION) throw tooNew(path, v);
  if (v === SCHEMA_VERSION) return;
  applyMigrations(db, path, (current) => MIGRATIONS.slice(current));
}

/**
 * Opens (creating the folder and the file if needed) the results database for writing: WAL, synchronous=NORMAL,
 * foreign_keys=ON, busy_timeout=5000, schema migrated. `:memory:` works too (tests).
 */
export function openWritable(path: string = DEFAULT_DB_PATH): Database.Database {
  checkDatabaseFile(path);
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  let db: Database.Database;
  try {
    db = new Database(path, { timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new StoreError('OPEN_FAILED', path, `${path}: cannot open the database (${(e as Error).message})`);
  }
  try {
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    checkOwnership(db, path);
    enableWal(db, path);
    db.pragma('synchronous = NORMAL');
    db.pragma('foreign_keys = ON');
    migrate(db, path);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError('OPEN_FAILED', path, `${path}: cannot use the database (${(e as Error).message})`);
  }
  return db;
}

/**
 * Opens an existing results database for reading only: a read-only handle with `query_only` on, so no statement
 * run through it can change the file. Never migrates: a database of an older schema is StoreError SCHEMA_OLD.
 * @throws InputError NO_DATABASE when there is no file; StoreError NOT_SWEEPLAB / SCHEMA_TOO_NEW / SCHEMA_OLD
 */
export function openReadOnly(path: string = DEFAULT_DB_PATH): Database.Database {
  if (!existsSync(path)) {
    throw new InputError('NO_DATABASE', `no results database at ${path}: run \`sweeplab run <file>\` first, or pass --db <path>`);
  }
  checkDatabaseFile(path);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
  } catch (e) {
    throw new StoreError('OPEN_FAILED', path, `${path}: cannot open the database (${(e as Error).message})`);
  }
  try {
    db.pragma('query_only = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const v = userVersion(db);
    if (v === 0) throw notSweeplab(path);
    if (v > SCHEMA_VERSION) throw tooNew(path, v);
    if (v < SCHEMA_VERSION) {
      throw new StoreError('SCHEMA_OLD', path,
        `${path}: database schema version ${v} is older than this sweeplab's (${SCHEMA_VERSION}); a writing command (sweeplab run) upgrades it`);
    }
  } catch (e) {
    db.close();
    if (e instanceof StoreError || e instanceof InputError) throw e;
    if ((e as { code?: string }).code === 'SQLITE_READONLY_DIRECTORY' || (e as { code?: string }).code === 'SQLITE_CANTOPEN') {
      throw new StoreError('OPEN_FAILED', path, `${path}: the database is in WAL mode and its folder is read-only, so SQLite cannot create ` +
        `${path}-shm, which readers need; copy the database to a writable folder (or make the folder writable) and pass --db <the copy>`);
    }
    throw new StoreError('OPEN_FAILED', path, `${path}: cannot read the database (${(e as Error).message})`);
  }
  return db;
}
