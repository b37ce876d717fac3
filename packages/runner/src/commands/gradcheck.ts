/**
 * `sweeplab gradcheck <file>`: the gradient check of every distinct architecture of an experiment (whatever its
 * `gradcheck:` setting), printed per layer and recorded in the `gradchecks` table.
 */
import { randomUUID } from 'node:crypto';
import type { GradcheckReport } from '@sweeplab/gradcheck';
import { Store } from '@sweeplab/store';
import { systemClock, type Clock } from '../clock.js';
import { loadExperiment } from '../config/index.js';
import { collectEnvironment } from '../environment.js';
import { runGradcheckTask } from '../exec/tasks.js';
import { archLabel } from '../work.js';

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

export function gradcheckExperiment(file: string, opts: { db: string; clock?: Clock }): GradcheckCommandResult {
  const exp = loadExperiment(file);
  const runId = randomUUID();
  const firsts = new Map<string, (typeof exp.trials)[number]>();
  for (const t of exp.trials) if (!firsts.has(t.arch)) firsts.set(t.arch, t);
  const archs: ArchGradcheck[] = [];
  for (const [arch, t] of firsts) {
    const config = t.config;
    try {
      const res = runGradcheckTask({
        kind: 'gradcheck', arch, trialId: t.id, config, fingerprints: t.fingerprints, baseDir: exp.baseDir, kernels: exp.kernels,
      });
      archs.push({ arch, label: archLabel(config), trialId: t.id, batch: res.batch, backend: res.backend, report: res.report, error: null });
    } catch (e) {
      archs.push({ arch, label: archLabel(config), trialId: t.id, batch: 0, backend: '-', report: null, error: (e as Error).message });
    }
  }
  const store = Store.open(opts.db);
  try {
    store.startEnvironment(collectEnvironment(runId, (opts.clock ?? systemClock).iso(), `gradcheck ${file}`, { [exp.name]: exp.dataFingerprint }, exp.kernels));
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

