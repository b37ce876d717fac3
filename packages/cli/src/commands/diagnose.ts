/** `sweeplab diagnose <trial-id>`: why a trial does (not) learn, with the evidence and advice. */
import type { Command } from 'commander';
import { diagnoseTrial, type TrialDiagnosis } from '@sweeplab/runner';
import { act, dbOption, localPool, withSignals, type CliDeps } from '../context.js';
import { out } from '../errors.js';
import { pct } from '../format.js';
import { baselinesLine } from '../run-display.js';

/** A number as evidence: integers as they are, others with 4 significant digits. */
function evidenceValue(v: unknown): string {
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : Number.isFinite(v) ? String(Number(v.toPrecision(4))) : String(v);
  return String(v);
}

/** `k=v, k=v` of a finding's evidence (null values left out). */
export function compactEvidence(evidence: Record<string, unknown>): string {
  return Object.entries(evidence).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k}=${evidenceValue(v)}`).join(', ');
}

function baselineLine(d: TrialDiagnosis): string {
  const b = d.baseline;
  if (b === null) return 'baseline: not needed yet (no epoch recorded)';
  if (b.self) return `baseline: this trial is logistic regression (${b.layers.join('-')}): its own baseline`;
  if (b.trainAcc !== null) {
    return `baseline: logistic regression ${b.layers.join('-')} on the same data (trial ${b.trialId ?? '?'}): train ${pct(b.trainAcc)}, test ${pct(b.testAcc)}`;
  }
  return `baseline: none (${b.error ?? 'not available'}); too-little-capacity only checks the layer widths`;
}

export function renderDiagnosis(d: TrialDiagnosis): string {
  const lines: string[] = [];
  lines.push(`trial ${d.trialId} (${d.status}): ${d.experiment}${d.position !== null ? ` #${d.position}` : ''}, ${d.arch}, ${d.epochs} epoch row(s)`);
  lines.push(baselineLine(d));
  if (d.findings.length === 0) {
    lines.push('no findings: no rule fired (stored: the trial is marked diagnosed, with no rows in diagnoses)');
  } else {
    const n = (s: string) => d.findings.filter((f) => f.severity === s).length;
    lines.push(`${d.findings.length} finding(s), most severe first (${n('critical')} critical, ${n('warning')} warning, ${n('info')} info; stored in diagnoses):`);
    for (const f of d.findings) {
      lines.push(`  ${f.severity.padEnd(8)}  ${f.rule}: ${compactEvidence(f.evidence)}`);
      lines.push(`            ${f.advice}`);
    }
  }
  return lines.join('\n') + '\n';
}

export function register(program: Command, deps: CliDeps): void {
  program.command('diagnose')
    .description("say why a trial does (not) learn: rules over its config and curves, stored in the diagnoses table " +
      '(trains the logistic-regression baseline on its data first if it is missing)')
    .argument('<trial-id>', 'trial id or a unique prefix of it')
    .addOption(dbOption())
    .action(act(deps, async (id: string, o: { db: string }) => {
      const d = await withSignals('the baseline being trained is marked interrupted', (signal) => diagnoseTrial(id, {
        db: o.db, executor: localPool(deps, {}), signal,
        emit: (e) => { if (e.type === 'baselines') out(`${baselinesLine(e)}\n`); },
      }));
      out(renderDiagnosis(d));
      return 0;
    }));
}
