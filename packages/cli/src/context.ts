/**
 * What every command gets: the executor it may need (built from the options and what the caller injected: tests
 * inject a wrapped worker through `pool`) and how its action's exit code is set.
 */
import { availableParallelism } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { DEFAULT_MAX_TRIALS, PiscinaExecutor, type ExecutorFactory, type PiscinaExecutorOptions } from '@sweeplab/runner';
import { DEFAULT_DB_PATH } from '@sweeplab/store';
import { reportError } from './errors.js';

export interface CliDeps {
  /** extra piscina options (a test's wrapped worker); production passes none */
  pool?: Pick<PiscinaExecutorOptions, 'workerUrl' | 'workerData'>;
  /** print stacks of unexpected errors */
  debug?: boolean;
}

/** A factory of the local executor: `workers` threads at most (never more than trials), `maxMemoryMb` each. */
export function localPool(deps: CliDeps, o: { workers?: number; maxMemoryMb?: number }): ExecutorFactory {
  return ({ trials }) => new PiscinaExecutor({
    ...(deps.pool ?? {}),
    workers: Math.min(o.workers ?? availableParallelism(), trials),
    ...(o.maxMemoryMb !== undefined ? { maxMemoryMb: o.maxMemoryMb } : {}),
  });
}

/** Wraps a command action: its return value (or the error it throws) becomes the exit code. */
export function act<A extends unknown[]>(deps: CliDeps, fn: (...args: A) => number | Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (e) {
      process.exitCode = reportError(e, deps.debug === true);
    }
  };
}

export const dbOption = (): Option => new Option('--db <path>', 'results database').default(DEFAULT_DB_PATH);

/** `--max-trials N`: the largest sweep a file may expand to (counted before expanding). */
export const maxTrialsOption = (): Option =>
  new Option('--max-trials <n>', `refuse sweeps of more trials than this (counted before expanding)`).argParser(positiveInt('--max-trials')).default(DEFAULT_MAX_TRIALS);

/** A commander parser of a whole number >= 1 (bad values: exit 2 with the option's name). */
export function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
    return n;
  };
}

/** Runs `fn` with an AbortSignal that Ctrl-C / SIGTERM abort (a second signal exits at once with 130). */
export async function withSignals<T>(what: string, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let signals = 0;
  const onSignal = (sig: NodeJS.Signals) => {
    if (++signals > 1) {
      process.stderr.write(`\nsweeplab: ${sig} again: exiting now\n`);
      process.exit(130);
    }
    process.stderr.write(`\nsweeplab: ${sig}: stopping; ${what} (press Ctrl-C again to quit at once)\n`);
    ac.abort(sig);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(ac.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
