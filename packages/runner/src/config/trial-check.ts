// Validating a resolved trial config that arrives from outside the config loader (a job payload a remote worker
// took from the queue): the same ajv section schemas (and so the same limits) as an experiment file, plus the
// resolved form itself (every default present, nothing extra: resolving it again changes nothing) and the checks
// that need no data files (layer sizes, output/loss pairs, gd's full batch).
import { canonicalJson } from './id.js';
import { resolveTrial, type Sections, type TrialConfig } from './resolve.js';
import { RuntimeSchema, SECTIONS } from './schema.js';
import { disp, validateAt } from './validate.js';

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Problems of a resolved trial config, one message each (empty: valid). */
export function trialConfigIssues(value: unknown): string[] {
  if (!isObj(value)) return ['the trial config must be an object with data, model, train and gradcheck'];
  const issues: string[] = [];
  // the four trial sections are required; an optional one (metrics) is validated with the file schema's entry for
  // it, and the resolved-form check below drops any key the resolver does not emit (name, sweep, ...)
  const fileKeys = (RuntimeSchema as unknown as { properties: Record<string, object> }).properties;
  for (const k of Object.keys(value)) {
    if (k in SECTIONS) continue;
    if (Object.hasOwn(fileKeys, k)) issues.push(...validateAt(fileKeys[k] as object, value[k], [k]).map((i) => i.message));
    else issues.push(`unknown section "${k.slice(0, 40)}" (allowed: data, model, train, gradcheck, metrics)`);
  }
  for (const [k, schema] of Object.entries(SECTIONS)) {
    if (!(k in value)) issues.push(`the trial config has no "${k}" section`);
    else issues.push(...validateAt(schema, value[k], [k]).map((i) => i.message));
  }
  if (issues.length > 0) return issues;
  const sec = value as Sections;
  const resolved = resolveTrial(sec, null);
  if (canonicalJson(resolved) !== canonicalJson(value)) {
    issues.push(`the trial config is not in resolved form (${firstDifference(resolved, value)}): send configs as the config loader resolves them`);
    return issues;
  }
  const cfg = value as unknown as TrialConfig;
  const { layers, output, loss } = cfg.model;
  if (layers.length < 2) issues.push('model.layers must list at least 2 sizes');
  if (output === 'softmax' && loss === 'mse') issues.push('model.loss mse does not pair with output softmax');
  if (output === 'identity' && loss === 'cross-entropy') issues.push('model.loss cross-entropy does not pair with output identity');
  if (cfg.train.optimizer === 'gd' && cfg.train.batch !== 'full') issues.push('train.batch must be full with optimizer gd');
  if (cfg.data.validation >= cfg.data.train.count) issues.push('data.validation must be smaller than the training subset');
  return issues;
}

/** The first dotted path where `a` and `b` differ (for a message). */
function firstDifference(a: unknown, b: unknown, path: (string | number)[] = []): string {
  if (isObj(a) && isObj(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (canonicalJson(a[k] ?? null) !== canonicalJson(b[k] ?? null)) {
        return firstDifference(a[k], b[k], [...path, k]);
      }
    }
  }
  return `${disp(path.map((p) => (typeof p === 'string' ? p.slice(0, 40) : p))) || 'the config'} differs`;
}
