/**
 * The `sweeplab` command line: a thin layer over the engine (@sweeplab/runner), one file per command under
 * commands/. Exit codes: 0 success, 1 runtime failure (a trial failed, a reproduction differs, a gradient check
 * fails), 2 bad input (a file that does not validate, an unknown trial id, bad SQL, a bad option), 130 interrupted.
 * To add a command: a commands/<name>.ts with a `register(program, deps)` and one line in COMMANDS below.
 */
import { Command, CommanderError } from 'commander';
import { kernelSummary, sweeplabVersion } from '@sweeplab/runner';
import * as diagnose from './commands/diagnose.js';
import * as exportCmd from './commands/export.js';
import * as gradcheck from './commands/gradcheck.js';
import * as plan from './commands/plan.js';
import * as query from './commands/query.js';
import * as queueCmd from './commands/queue.js';
import * as report from './commands/report.js';
import * as reproduce from './commands/reproduce.js';
import * as run from './commands/run.js';
import * as serve from './commands/serve.js';
import * as show from './commands/show.js';
import * as validate from './commands/validate.js';
import * as worker from './commands/worker.js';
import type { CliDeps } from './context.js';
import { err, out, reportError } from './errors.js';

const COMMANDS = [run, validate, plan, query, show, reproduce, report, diagnose, gradcheck, serve, exportCmd, worker, queueCmd];

/** `sweeplab --version`: the version, the kernel backend and the OpenBLAS core. */
export function versionText(): string {
  const k = kernelSummary();
  return `sweeplab ${sweeplabVersion()} (kernels: ${k.tier}${k.next ? `; faster: ${k.next}` : ''}; node ${process.version})`;
}

export function buildProgram(deps: CliDeps = {}): Command {
  const program = new Command('sweeplab')
    .description('Declarative neural-network experiments: YAML sweeps, gradient-checked MLPs, results in SQLite.')
    .option('-V, --version', 'print the version, the kernel backend and the OpenBLAS core')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });
  for (const c of COMMANDS) c.register(program, deps);
  return program;
}

/** Runs the command line `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], deps: CliDeps = {}): Promise<number> {
  if (argv[0] === '-V' || argv[0] === '--version') {
    out(versionText() + '\n');
    return 0;
  }
  const program = buildProgram(deps);
  if (argv.length === 0) {
    program.outputHelp();
    return 2;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.code === 'commander.helpDisplayed' || e.code === 'commander.help' || e.code === 'commander.version' ? 0 : 2;
    }
    return reportError(e, deps.debug === true);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}
