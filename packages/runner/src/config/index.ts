// The runner's experiment-file module (internal barrel): load + validate + expand experiment files.
export { ConfigError, formatIssue } from './errors.js';
export type { ConfigIssue, ConfigErrorCode } from './errors.js';
export { ExperimentSchema, DEFAULTS, writeSchemaJson } from './schema.js';
export type { ExperimentConfig } from './schema.js';
export type { TrialConfig, ResolvedSubset } from './resolve.js';
export { loadExperiment, validateFiles } from './load.js';
export type { TrialPlan, LoadedExperiment, LoadOptions } from './load.js';
export { DEFAULT_MAX_TRIALS } from './sweep.js';
export { trialIdOf, archOf, canonicalJson } from './id.js';
