// Public API of @sweeplab/reporting: reports (HTML + Markdown + SVG charts) and the diagnosis rules.
// Works on plain rows mirroring the SQLite tables of docs/design.md; depends on no other sweeplab package.
export { renderReport } from './report.js';
export { diagnose, sortFindings, RULE_IDS } from './diagnose.js';
// chart specs (vega-lite) of the reports, for live pages that draw the same charts (`sweeplab serve`)
export { compileChart, confusionSpec, curvesSpec, effectSpec, layersSpec, pctFormat, perClassSpec } from './charts.js';
export type { CurvePoint, EffectMean, EffectPoint, HeatCell, LayerPoint } from './charts.js';
export type {
  ExperimentRow, EnvironmentRow, TrialRow, TrialStatus, TrialSummary, TrialConfigLike, FinalEval, EpochRow, GradcheckRow,
  RuleId, Severity, Finding, DiagnoseInput, ReportInput, ReportOutput, SearchReportInput,
} from './types.js';
