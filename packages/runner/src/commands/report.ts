/**
 * `sweeplab report <experiment>`: the experiment's rows -> @sweeplab/reporting -> `<out>/index.html` (one
 * self-contained file) and `<out>/summary.md`. Read-only: it opens the database read-only and reads one snapshot
 * in a read transaction, so it never blocks a running `sweeplab run` (WAL lets it read while the run writes) and
 * shows pending and running trials as they are.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { renderReport, type ReportInput } from '@sweeplab/reporting';
import { InputError } from '@sweeplab/store';
import { systemClock, type Clock } from '../clock.js';
import { sweptPaths, type SweepConfig } from '../config/sweep.js';
import { BASELINES_EXPERIMENT, BUILT_IN_FILE } from '../pipeline/baselines.js';
import { withResults } from './open.js';
import { searchReportOf } from './search-report.js';

const withSearch = (s: ReturnType<typeof searchReportOf>) => (s === undefined ? {} : { search: s });

/** Reports go to `<this>/<experiment>/` unless `--out` says otherwise. */
export const DEFAULT_REPORTS_DIR = 'results/reports';

export interface ReportOptions {
  /** results database */
  db: string;
  /** output folder (default results/reports/<experiment>/) */
  out?: string;
  /** also write the Markdown summary here (e.g. results/<experiment>.md, the committed summaries) */
  summary?: string;
  clock?: Clock;
}

export interface ReportResult {
  experiment: string;
  outDir: string;
  htmlPath: string;
  markdownPath: string;
  summaryPath: string | null;
  trials: number;
  /** status -> number of trials */
  statuses: Record<string, number>;
  /** vega/vega-lite warnings while rendering the charts */
  warnings: string[];
}

/** The experiment's swept paths: from its stored sweep, then any other key of its trials' params, in order. */
function sweptPathsOf(resolved: unknown, params: ReadonlyArray<Record<string, unknown>>): string[] {
  const paths: string[] = [];
  try {
    const s = typeof resolved === 'object' && resolved !== null ? (resolved as { sweep?: unknown }).sweep : undefined;
    if (s && typeof s === 'object' && !Array.isArray(s)) paths.push(...sweptPaths(s as SweepConfig));
  } catch {
    // a sweep this version cannot read: the params keys below still name the swept paths
  }
  for (const p of params) for (const k of Object.keys(p)) if (!paths.includes(k)) paths.push(k);
  return paths;
}

function unknownExperiment(name: string, dbPath: string, names: string[]): InputError {
  const known = names.filter((n) => n !== BASELINES_EXPERIMENT);
  return new InputError('UNKNOWN_EXPERIMENT', known.length > 0
    ? `no experiment ${JSON.stringify(name)} in ${dbPath}; known experiments: ${known.join(', ')}`
    : `no experiment ${JSON.stringify(name)} in ${dbPath}, which has no experiments yet: run \`sweeplab run <file>\` first`);
}

/**
 * Reads one experiment's rows (one read transaction on a read-only connection) as reporting's `ReportInput`.
 * `generatedAt` is now; reporting keeps it out of the Markdown summary, which is the same bytes for the same rows.
 * @throws InputError UNKNOWN_EXPERIMENT (listing the known experiments) or NO_DATABASE
 */
export function loadReportInput(name: string, opts: { db: string; clock?: Clock }): ReportInput {
  const generatedAt = (opts.clock ?? systemClock).iso().replace(/\.\d+Z$/, 'Z');
  return withResults(opts.db, (r) => r.snapshot((): ReportInput => {
    const exp = r.experiment(name);
    if (!exp) throw unknownExperiment(name, opts.db, r.experimentNames());
    const trials = r.experimentTrials(name);
    // curves and rules show measured epochs (an epoch `metrics: { every: N }` skipped has no metrics to draw)
    const epochs = new Map([...r.experimentEpochs(name)].map(([id, list]) => [id, list.filter((e) => e.measured)]));
    const diagnoses = r.experimentDiagnoses(name);
    const env = r.latestEnvironment(name);
    const file = exp.file === BUILT_IN_FILE ? exp.file : relative(process.cwd(), exp.file) || exp.file;
    return {
      experiment: { name: exp.name, description: exp.description, file, yaml: exp.yaml, createdAt: exp.createdAt, updatedAt: exp.updatedAt },
      environment: env ?? null,
      trials,
      epochs,
      gradchecks: r.experimentGradchecks(name),
      diagnoses,
      sweptPaths: sweptPathsOf(exp.resolved, trials.map((t) => t.params)),
      generatedAt,
      ...withSearch(searchReportOf(exp.resolved, trials)),
    };
  }));
}

/**
 * `results/reports/<name>/`, with the name made safe for a folder name (a database edited by hand may hold any
 * name): the path never leaves the reports directory.
 */
export function reportsDirOf(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, (d) => '_'.repeat(d.length)) || '_';
  const dir = join(DEFAULT_REPORTS_DIR, safe);
  const root = resolve(DEFAULT_REPORTS_DIR);
  if (!resolve(dir).startsWith(root + sep)) throw new InputError('BAD_OPTION', `experiment name ${JSON.stringify(name)} cannot be a report folder name; pass --out <dir>`);
  return dir;
}

/** Writes `text` to `path` through a temporary file, so a reader never sees half a file. */
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Renders and writes the experiment's report: `<out>/index.html` and `<out>/summary.md` (and `summary` if given). */
export async function reportExperiment(name: string, opts: ReportOptions): Promise<ReportResult> {
  const input = loadReportInput(name, opts);
  const rendered = await renderReport(input);
  const outDir = opts.out ?? reportsDirOf(name);
  const htmlPath = join(outDir, 'index.html');
  const markdownPath = join(outDir, 'summary.md');
  writeAtomic(htmlPath, rendered.html);
  writeAtomic(markdownPath, rendered.markdown);
  if (opts.summary !== undefined) writeAtomic(opts.summary, rendered.markdown);
  const statuses: Record<string, number> = {};
  for (const t of input.trials) statuses[t.status] = (statuses[t.status] ?? 0) + 1;
  return {
    experiment: name, outDir, htmlPath, markdownPath, summaryPath: opts.summary ?? null, trials: input.trials.length,
    statuses, warnings: rendered.warnings,
  };
}

