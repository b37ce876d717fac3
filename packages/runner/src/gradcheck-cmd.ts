/**
 * `sweeplab gradcheck <file>`: the gradient check of every distinct architecture of an experiment (whatever its
 * `gradcheck:` setting), printed per layer and recorded in the `gradchecks` table.
 */
import { randomUUID } from 'node:crypto';
import type { GradcheckReport } from '@sweeplab/gradcheck';
import { loadExperiment } from './config/index.js';
import { collectEnvironment } from './environment.js';
import { runGradcheckTask } from './exec/tasks.js';
import type { TrialConfigInput } from './exec/types.js';
import { DEFAULT_DB_PATH } from './store/db.js';
import { Store } from './store/store.js';
import { archLabel, textTable } from './format.js';

export interface ArchGradcheck {
  arch: string;
  /** readable architecture, e.g. `784-5-5-10 sigmoid/sigmoid cross-entropy, l2 1` */
  label: string;
  trialId: string;
  batch: number;
  backend: string;
  report: GradcheckReport | null;
  error: string | null;
}

export interface GradcheckCommandResult {
  experiment: string;
  runId: string;
  archs: ArchGradcheck[];
  passed: boolean;
}

export function gradcheckExperiment(file: string, opts: { db?: string } = {}): GradcheckCommandResult {
  const exp = loadExperiment(file);
  const runId = randomUUID();
  const firsts = new Map<string, (typeof exp.trials)[number]>();
  for (const t of exp.trials) if (!firsts.has(t.arch)) firsts.set(t.arch, t);
  const archs: ArchGradcheck[] = [];
  for (const [arch, t] of firsts) {
    const config: TrialConfigInput = t.config;
    try {
      const res = runGradcheckTask({ kind: 'gradcheck', arch, trialId: t.id, config, baseDir: exp.baseDir, kernels: exp.kernels });
      archs.push({ arch, label: archLabel(config), trialId: t.id, batch: res.batch, backend: res.backend, report: res.report, error: null });
    } catch (e) {
      archs.push({ arch, label: archLabel(config), trialId: t.id, batch: 0, backend: '-', report: null, error: (e as Error).message });
    }
  }
  const store = Store.open(opts.db ?? DEFAULT_DB_PATH);
  try {
    store.startEnvironment(collectEnvironment(runId, `gradcheck ${file}`, { [exp.name]: exp.dataFingerprint }, exp.kernels));
    for (const a of archs) {
      if (!a.report) continue;
      const rep = a.report;
      store.insertGradchecks(rep.layers.map((l) => ({
        experiment: exp.name, arch: a.arch, runId, layer: l.layer, kind: l.kind, checked: l.checked, skipped: l.skipped,
        maxRelError: l.maxRelError, maxAbsError: l.maxAbsError, worstIndex: l.worst?.index ?? null,
        analytic: l.worst?.analytic ?? null, numeric: l.worst?.numeric ?? null, eps: rep.eps, threshold: rep.threshold,
        passed: l.passed,
      })));
    }
    const passed = archs.every((a) => a.report?.passed === true);
    store.finishEnvironment(runId, passed ? 'done' : 'failed');
    return { experiment: exp.name, runId, archs, passed };
  } finally {
    store.close();
  }
}

const e2 = (x: number) => (Number.isFinite(x) ? x.toExponential(2) : String(x));

export function renderGradcheck(r: GradcheckCommandResult): string {
  const out: string[] = [];
  for (const a of r.archs) {
    if (!a.report) {
      out.push(`${a.label} (arch ${a.arch}): ERROR: ${a.error}`);
      continue;
    }
    const rep = a.report;
    out.push(`${a.label} (arch ${a.arch}): ${rep.passed ? 'passed' : 'FAILED'} (max relative error ${e2(rep.maxRelError)}, threshold ${rep.threshold}, ` +
      `eps ${rep.eps}, ${rep.checked} parameters checked on ${a.batch} examples, ${a.backend} kernels)`);
    const table = textTable(['layer', 'kind', 'checked', 'skipped', 'max rel error', 'max abs error', 'worst (row, col)', 'analytic', 'numeric', 'ok']);
    for (const l of rep.layers) {
      table.push([l.layer, l.kind, l.checked, l.skipped, e2(l.maxRelError), e2(l.maxAbsError),
        l.worst ? `(${l.worst.row}, ${l.worst.col})` : '-', l.worst ? String(l.worst.analytic) : '-',
        l.worst ? String(l.worst.numeric) : '-', l.passed ? 'yes' : 'NO']);
    }
    out.push(table.toString());
  }
  return out.join('\n') + '\n';
}
