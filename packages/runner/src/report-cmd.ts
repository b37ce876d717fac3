/**
 * `sweeplab report <experiment>`: the experiment's rows -> @sweeplab/reporting -> `<out>/index.html` (one
 * self-contained file) and `<out>/summary.md`. Read-only: it opens the database read-only and reads one snapshot
 * in a read transaction, so it never blocks a running `sweeplab run` (WAL lets it read while the run writes) and
 * shows pending and running trials as they are.
 */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { renderReport, type EpochRow as ReportEpoch, type Finding, type ReportInput } from '@sweeplab/reporting';
import { BASELINES_EXPERIMENT, BUILT_IN_FILE } from './baseline.js';
import { sweptPaths, type SweepConfig } from './config/sweep.js';
import { InputError } from './errors.js';
import {
  parseJson, toFinding, toReportEnvironment, toReportEpoch, toReportGradcheck, toReportTrial,
} from './report-rows.js';
import { DEFAULT_DB_PATH, openReadOnly } from './store/db.js';
import { getExperiment } from './store/read.js';
import {
  experimentDiagnoses, experimentEpochs, experimentGradchecks, experimentNames, experimentTrials, latestEnvironment,
} from './store/report-read.js';

/** Reports go to `<this>/<experiment>/` unless `--out` says otherwise. */
export const DEFAULT_REPORTS_DIR = 'results/reports';

export interface ReportOptions {
  /** results database (default results/sweeplab.db) */
  db?: string;
  /** output folder (default results/reports/<experiment>/) */
  out?: string;
  /** also write the Markdown summary here (e.g. results/<experiment>.md, the committed summaries) */
  summary?: string;
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
function sweptPathsOf(resolvedJson: string, params: ReadonlyArray<Record<string, unknown>>): string[] {
  const resolved = parseJson<{ sweep?: unknown } | null>(resolvedJson, null);
  const paths: string[] = [];
  try {
    const s = resolved?.sweep;
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
export function loadReportInput(name: string, opts: { db?: string } = {}): ReportInput {
  const dbPath = opts.db ?? DEFAULT_DB_PATH;
  const db = openReadOnly(dbPath);
  try {
    return db.transaction((): ReportInput => {
      const exp = getExperiment(db, name);
      if (!exp) throw unknownExperiment(name, dbPath, experimentNames(db));
      const rows = experimentTrials(db, name);
      const trials = rows.map((t) => toReportTrial(t, parseJson<Record<string, unknown>>(t.params_json, {}), t.position));
      const epochs = new Map<string, ReportEpoch[]>(trials.map((t) => [t.id, []]));
      for (const e of experimentEpochs(db, name)) epochs.get(e.trial_id)?.push(toReportEpoch(e));
      const diagnoses = new Map<string, Finding[]>();
      for (const d of experimentDiagnoses(db, name)) {
        let list = diagnoses.get(d.trial_id);
        if (!list) diagnoses.set(d.trial_id, (list = []));
        list.push(toFinding(d));
      }
      const env = latestEnvironment(db, name);
      const file = exp.file === BUILT_IN_FILE ? exp.file : relative(process.cwd(), exp.file) || exp.file;
      return {
        experiment: { name: exp.name, description: exp.description, file, yaml: exp.yaml, createdAt: exp.created_at, updatedAt: exp.updated_at },
        environment: env ? toReportEnvironment(env) : null,
        trials,
        epochs,
        gradchecks: experimentGradchecks(db, name).map(toReportGradcheck),
        diagnoses,
        sweptPaths: sweptPathsOf(exp.resolved_json, trials.map((t) => t.params)),
        generatedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      };
    })();
  } finally {
    db.close();
  }
}

/** Writes `text` to `path` through a temporary file, so a reader never sees half a file. */
function writeAtomic(path: string, text: string): void {
  mkdirSync(dirname(resolve(path)), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/** Renders and writes the experiment's report: `<out>/index.html` and `<out>/summary.md` (and `summary` if given). */
export async function reportExperiment(name: string, opts: ReportOptions = {}): Promise<ReportResult> {
  const input = loadReportInput(name, opts);
  const rendered = await renderReport(input);
  const outDir = opts.out ?? join(DEFAULT_REPORTS_DIR, name);
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

export function renderReportResult(r: ReportResult): string {
  const status = Object.entries(r.statuses).map(([s, n]) => `${n} ${s}`).join(', ');
  const lines = [
    `report of ${r.experiment}: ${r.trials} trial(s)${status ? ` (${status})` : ''}`,
    `  ${r.htmlPath}`,
    `  ${r.markdownPath}`,
  ];
  if (r.summaryPath !== null) lines.push(`  ${r.summaryPath}`);
  return lines.join('\n') + '\n';
}
