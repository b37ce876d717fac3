/**
 * The `sweeplab` command line: a thin layer over the runner's API (src/index.ts). Exit codes: 0 success, 1 runtime
 * failure (a trial failed, a reproduction differs, a gradient check fails), 2 bad input (a file that does not
 * validate, an unknown trial id, bad SQL, a bad option), 130 interrupted. To add a command: one `program.command`
 * block below whose action returns the exit code through `act`.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { ConfigError, validateFiles } from './config/index.js';
import { diagnoseTrial, renderDiagnosis } from './diagnose-cmd.js';
import { versionText } from './environment.js';
import { InputError, StoreError } from './errors.js';
import { gradcheckExperiment, renderGradcheck } from './gradcheck-cmd.js';
import { planExperiment, renderPlan } from './plan.js';
import { formatQueryResult, queryDb, type QueryFormat } from './query.js';
import { renderReportResult, reportExperiment } from './report-cmd.js';
import { renderReproduce, reproduceTrial } from './reproduce.js';
import { runExperiments } from './run.js';
import { renderTrial, showTrial } from './show.js';
import { DEFAULT_DB_PATH } from './store/db.js';

const out = (s: string) => process.stdout.write(s);
const err = (s: string) => process.stderr.write(s);

/** Prints an error the way users read it and returns its exit code. */
function report(e: unknown): number {
  if (e instanceof InputError) {
    // config issues are `file:line:col: message` lines: print them bare so editors can jump to them
    err(e.code === 'CONFIG' ? `${e.message}\n` : `sweeplab: ${e.message}\n`);
    return 2;
  }
  if (e instanceof ConfigError) {
    err(`${e.message}\n`);
    return 2;
  }
  if (e instanceof StoreError) {
    err(`sweeplab: ${e.message}\n`);
    return 1;
  }
  err(`sweeplab: error: ${e instanceof Error ? e.message : String(e)}\n`);
  if (process.env.SWEEPLAB_DEBUG && e instanceof Error) err(`${e.stack}\n`);
  return 1;
}

/** Wraps a command action: its return value (or the error it throws) becomes the exit code. */
function act<A extends unknown[]>(fn: (...args: A) => number | Promise<number>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      process.exitCode = await fn(...args);
    } catch (e) {
      process.exitCode = report(e);
    }
  };
}

function positiveInt(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a whole number >= 1`);
    return n;
  };
}

const dbOption = () => new Option('--db <path>', 'results database').default(DEFAULT_DB_PATH);

export function buildProgram(): Command {
  const program = new Command('sweeplab')
    .description('Declarative neural-network experiments: YAML sweeps, gradient-checked MLPs, results in SQLite.')
    .option('-V, --version', 'print the version, the kernel backend and the OpenBLAS core')
    .showHelpAfterError('(add --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: out, writeErr: err });

  program.command('run')
    .description('validate the files, then train their trials not yet finished (a second run skips finished trials)')
    .argument('<files...>', 'experiment YAML files')
    .addOption(dbOption())
    .option('-w, --workers <n>', 'worker threads (default: one per core)', positiveInt('--workers'))
    .option('--force', 'rerun finished (done and diverged) trials too')
    .option('--max-memory <mb>', 'heap limit per worker thread in MB', positiveInt('--max-memory'), 2048)
    .option('--no-diagnose', 'skip diagnosing the finished trials (and training the logistic-regression baselines it needs)')
    .action(act(async (files: string[], o: { db: string; workers?: number; force?: boolean; maxMemory: number; diagnose: boolean }) => {
      const ac = new AbortController();
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) {
          err(`\nsweeplab: ${sig} again: exiting now\n`);
          process.exit(130);
        }
        err(`\nsweeplab: ${sig}: stopping; running trials are marked interrupted and resume on the next run ` +
          '(press Ctrl-C again to quit at once)\n');
        ac.abort(sig);
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const res = await runExperiments(files, {
          db: o.db, force: o.force ?? false, maxMemoryMb: o.maxMemory, signal: ac.signal, diagnose: o.diagnose,
          command: `run ${files.join(' ')}`, ...(o.workers !== undefined ? { workers: o.workers } : {}),
        });
        return res.exitCode;
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    }));

  program.command('validate')
    .description('check experiment files (schema, sizes, paths, sweeps) without running anything')
    .argument('<files...>', 'experiment YAML files')
    .action(act((files: string[]) => {
      const { ok, errors } = validateFiles(files);
      for (const e of ok) out(`ok ${e.file}: ${e.name}, ${e.trials.length} trial(s)` +
        (e.sweptPaths.length ? `, sweeping ${e.sweptPaths.join(', ')}` : '') + '\n');
      for (const e of errors) err(`${e.message}\n`);
      return errors.length > 0 ? 2 : 0;
    }));

  program.command('plan')
    .description('list the trials a file expands to, what the database already has, and an estimate of the work')
    .argument('<file>', 'experiment YAML file')
    .addOption(dbOption())
    .option('-w, --workers <n>', 'workers to estimate for (default: one per core)', positiveInt('--workers'))
    .action(act((file: string, o: { db: string; workers?: number }) => {
      out(renderPlan(planExperiment(file, { db: o.db, ...(o.workers !== undefined ? { workers: o.workers } : {}) })));
      return 0;
    }));

  program.command('query')
    .description('run one read-only SQL statement on the results database')
    .argument('<sql>', 'e.g. "SELECT * FROM best_trials"')
    .addOption(dbOption())
    .addOption(new Option('--format <format>', 'output format').choices(['table', 'csv', 'json']).default('table'))
    .action(act((sql: string, o: { db: string; format: QueryFormat }) => {
      out(formatQueryResult(queryDb(sql, { db: o.db }), o.format));
      return 0;
    }));

  program.command('show')
    .description("print a trial's config, final metrics and learning curve")
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .addOption(dbOption())
    .action(act((id: string, o: { db: string }) => {
      out(renderTrial(showTrial(id, { db: o.db })));
      return 0;
    }));

  program.command('reproduce')
    .description('re-run a finished trial from its stored config and check every epoch matches bit for bit (writes nothing)')
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .addOption(dbOption())
    .action(act((id: string, o: { db: string }) => {
      const r = reproduceTrial(id, { db: o.db });
      out(renderReproduce(r));
      return r.match ? 0 : 1;
    }));

  program.command('report')
    .description("write an experiment's HTML report and Markdown summary (read-only: works while its sweep runs)")
    .argument('<experiment>', 'experiment name (the `name:` of its file)')
    .addOption(dbOption())
    .option('-o, --out <dir>', 'output folder (default: results/reports/<experiment>/)')
    .option('--summary <path>', 'also write the Markdown summary to this file (e.g. results/<experiment>.md)')
    .action(act(async (name: string, o: { db: string; out?: string; summary?: string }) => {
      const r = await reportExperiment(name, {
        db: o.db, ...(o.out !== undefined ? { out: o.out } : {}), ...(o.summary !== undefined ? { summary: o.summary } : {}),
      });
      for (const w of r.warnings) err(`sweeplab: chart warning: ${w}\n`);
      out(renderReportResult(r));
      return 0;
    }));

  program.command('diagnose')
    .description("say why a trial does (not) learn: rules over its config and curves, stored in the diagnoses table " +
      '(trains the logistic-regression baseline on its data first if it is missing)')
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .addOption(dbOption())
    .action(act(async (id: string, o: { db: string }) => {
      const d = await diagnoseTrial(id, { db: o.db, note: (line) => out(`${line}\n`) });
      out(renderDiagnosis(d));
      return 0;
    }));

  program.command('gradcheck')
    .description("check each architecture's backprop against finite differences and record it")
    .argument('<file>', 'experiment YAML file')
    .addOption(dbOption())
    .action(act((file: string, o: { db: string }) => {
      const r = gradcheckExperiment(file, { db: o.db });
      out(renderGradcheck(r));
      return r.passed ? 0 : 1;
    }));

  return program;
}

export async function main(argv: string[]): Promise<number> {
  if (argv[0] === '-V' || argv[0] === '--version') {
    out(versionText() + '\n');
    return 0;
  }
  const program = buildProgram();
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
    return report(e);
  }
  return typeof process.exitCode === 'number' ? process.exitCode : 0;
}

process.exitCode = await main(process.argv.slice(2));
