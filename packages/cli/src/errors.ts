/**
 * How errors reach the user: one line on stderr (config issues: one `file:line:col: message` line each, bare so
 * editors can jump to them) and the exit code: 2 bad input, 1 a failure at run time, 130 interrupted.
 */
import { ConfigError } from '@sweeplab/runner';
import { BAD_DATABASE_CODES, InputError, StoreError } from '@sweeplab/store';

export const err = (s: string): void => { process.stderr.write(s); };
export const out = (s: string): void => { process.stdout.write(s); };

/** Prints an error the way users read it and returns its exit code. */
export function reportError(e: unknown, debug = false): number {
  if (e instanceof InputError) {
    err(e.code === 'CONFIG' ? `${e.message}\n` : `sweeplab: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ConfigError) {
    err(`${e.message}\n`);
    return 2;
  }
  if (e instanceof StoreError) {
    err(`sweeplab: ${e.message}\n`);
    return BAD_DATABASE_CODES.includes(e.code) ? 2 : 1;
  }
  err(`sweeplab: error: ${e instanceof Error ? e.message : String(e)}\n`);
  if (debug && e instanceof Error) err(`${e.stack ?? ''}\n`);
  return 1;
}
