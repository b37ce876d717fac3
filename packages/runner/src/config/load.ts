// Loading an experiment file: YAML with positions -> extends chain -> merged config -> schema -> sweep -> per-trial
// resolve and checks -> trial plans. Every problem found on the way is collected and thrown as one ConfigError.
import { FileAccessError, readRegularFile } from '@sweeplab/data';
import { experimentViewName } from '@sweeplab/store';
import { basename, dirname, extname, isAbsolute, join, normalize, relative, resolve } from 'node:path';
import { checkTrial, newCheckContext, type CheckContext } from './checks.js';
import { ConfigError, formatIssue, sortIssues, type ConfigIssue } from './errors.js';
import { archOf, trialIdOf } from './id.js';
import { applySweep, type Sections, type TrialConfig } from './resolve.js';
import { NAME_MAX_LENGTH, NAME_PATTERN, type ExperimentConfig } from './schema.js';
import { searchSettings, type Objective, type PruneSpec, type SearchSpec } from './search.js';
import { checkSweep, DEFAULT_MAX_TRIALS, expandSweep, sweepTrialCount, sanitizeSweep, searchProbeRows, sweptPaths, type SweepConfig, type SweptValue } from './sweep.js';
import { emptyUnknownKeys, repr, validateExperiment, type RawIssue } from './validate.js';
import { dropNulls, locate, MAX_YAML_BYTES, parseSource, plainValue, type Source } from './yaml-source.js';

export interface TrialPlan {
  /** 16 hex chars: hash of the resolved config and the data/init fingerprints (docs/design.md) */
  id: string;
  /** fully resolved: every default applied, only options that apply to the optimizer */
  config: TrialConfig;
  /** swept dotted path -> value of this trial */
  params: Record<string, unknown>;
  seed: number;
  /** hash of the model spec without init, plus l2: one gradient check per arch */
  arch: string;
  /** 0-based order in the experiment */
  position: number;
  /** content hashes of the data files and of the init weights file(s) (null: no file init) */
  fingerprints: { data: string; init: string | null };
}

export interface LoadedExperiment {
  name: string;
  description: string;
  /** as given */
  file: string;
  /** absolute */
  path: string;
  /** the file's directory: relative paths in trial configs resolve against it */
  baseDir: string;
  /** the file's text */
  yaml: string;
  kernels: 'auto' | 'js' | 'native';
  /** the merged config (after extends), before defaults */
  config: ExperimentConfig;
  trials: TrialPlan[];
  /** the data fingerprint of the first trial (all trials share it unless the data set is swept: see trial.fingerprints) */
  dataFingerprint: string;
  sweptPaths: string[];
  /** problems that do not stop the run (options ignored by an optimizer, identical swept configurations) */
  warnings: ConfigIssue[];
  /** absolute paths of the file and the files it extends, in that order */
  sources: string[];
  /** what a search optimises and ranks trials by (default: val_acc/max with a validation split, else cost/min) */
  objective: Objective;
  /** the stopping rule (`prune`), or null */
  prune: PruneSpec | null;
  /** the adaptive search (`sweep.search`), or null: then `trials` is the whole expansion; else it is empty */
  search: SearchSpec | null;
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Loads, validates and expands an experiment file.
 * @throws ConfigError with every problem found (YAML syntax, schema, sweep, data, init files), each located.
 */
export function loadExperiment(file: string, opts: LoadOptions = {}): LoadedExperiment {
  const r = analyze(file, { data: new Map(), weights: new Map(), maxTrials: opts.maxTrials ?? DEFAULT_MAX_TRIALS });
  if ('error' in r) throw r.error;
  return r.loaded;
}

/** Loads each file (as loadExperiment) and also rejects experiment names used by two of them. */
export function validateFiles(files: readonly string[], opts: LoadOptions = {}): { ok: LoadedExperiment[]; errors: ConfigError[] } {
  const shared = { data: new Map(), weights: new Map(), maxTrials: opts.maxTrials ?? DEFAULT_MAX_TRIALS };
  const ok: LoadedExperiment[] = [];
  const errors: ConfigError[] = [];
  const byName = new Map<string, LoadedExperiment>();
  const byView = new Map<string, LoadedExperiment>();
  for (const f of files) {
    const r = analyze(f, shared);
    if ('error' in r) {
      errors.push(r.error);
      continue;
    }
    const view = experimentViewName(r.loaded.name).toLowerCase();
    const sameView = byView.get(view);
    if (sameView && sameView.name !== r.loaded.name) {
      const at = r.namePos ?? { file: r.loaded.file, line: 1, col: 1 };
      errors.push(new ConfigError('INVALID', [{ ...at, message: `experiment name "${r.loaded.name}" and "${sameView.name}" (${sameView.file}) give the same SQL view ` +
        `${experimentViewName(r.loaded.name)} (names are compared without case, and characters outside A-Z a-z 0-9 _ become _): rename one of them` }]));
      continue;
    }
    byView.set(view, r.loaded);
    const first = byName.get(r.loaded.name);
    if (first) {
      const at = r.namePos ?? { file: r.loaded.file, line: 1, col: 1 };
      errors.push(new ConfigError('INVALID', [{ ...at, message: `experiment name "${r.loaded.name}" is also used by ${first.file}: names must be unique${r.namePos ? '' : ' (set name:, the default is the file name)'}` }]));
      continue;
    }
    byName.set(r.loaded.name, r.loaded);
    ok.push(r.loaded);
  }
  return { ok, errors };
}

/** Limits of loading: `maxTrials` (default 100,000) refuses larger static sweeps before expanding them. */
export interface LoadOptions {
  maxTrials?: number;
}

type Shared = Pick<CheckContext, 'data' | 'weights'> & { maxTrials: number };
type Analysis = { loaded: LoadedExperiment; namePos: { file: string; line: number; col: number } | null } | { error: ConfigError };

function analyze(file: string, shared: Shared): Analysis {
  const abs = resolve(file);
  let text: string;
  try {
    text = readYaml(abs);
  } catch (e) {
    return { error: new ConfigError('NOT_FOUND', [{ file, line: 0, col: 0, message: `cannot read the experiment file: ${reason(e)}` }]) };
  }
  const { source: top, issues: syntax } = parseSource(file, abs, text);
  if (syntax.length) return { error: new ConfigError('YAML', syntax) };
  const chain = loadChain(top);
  if (chain.issues.length) return { error: new ConfigError(chain.syntax ? 'YAML' : 'INVALID', sortIssues(chain.issues)) };

  const issues: ConfigIssue[] = [];
  let warnings: ConfigIssue[] = [];
  const at = (i: RawIssue, row: readonly SweptValue[] = []): ConfigIssue => ({ ...place(chain.sources, i, row), message: i.message });
  for (const s of chain.sources) {
    const v = s.doc.contents === null ? {} : plainValue(s);
    if (!isObj(v)) issues.push({ ...locate([s], []), message: `the file must be a map of keys (name, data, model, train, gradcheck, sweep), got ${repr(v)}` });
  }
  if (issues.length) return { error: new ConfigError('INVALID', issues) };
  for (const s of chain.sources) {
    const v = plainValue(s);
    if (isObj(v)) issues.push(...emptyUnknownKeys(v).map((i) => ({ ...locate([s], i.path, 'key'), message: i.message })));
  }

  const merged = mergeChain(chain.sources);
  const schemaIssues = validateExperiment(merged);
  issues.push(...schemaIssues.map((i) => at(i)));
  const badPaths = schemaIssues.map((i) => i.path.map(String).join('.'));
  const bad = (p: string) => badPaths.some((b) => b === p || b.startsWith(`${p}.`) || p.startsWith(`${b}.`));
  const sweep = merged.sweep as SweepConfig | undefined;
  let rows: SweptValue[][] = [[]];
  if (isObj(sweep)) {
    const sweepIssues = checkSweep(sweep);
    issues.push(...sweepIssues.map((i) => at(i)));
    const inSweep = [...schemaIssues, ...sweepIssues].filter((i) => i.path[0] === 'sweep').map((i) => i.path);
    const valid = inSweep.length ? sanitizeSweep(sweep, inSweep) : sweep;
    const { count, axes } = sweepTrialCount(valid);
    if (!isObj(valid.search) && count > shared.maxTrials) {
      // counted, not expanded: a 10^7 grid is refused in microseconds instead of exhausting memory
      issues.push({ ...locate(chain.sources, ['sweep'], 'key'), message: `the sweep expands to ${count.toLocaleString('en-US')} trials ` +
        `(${axes.join(' × ')}), more than the limit of ${shared.maxTrials.toLocaleString('en-US')}: sweep fewer values, or raise the limit with --max-trials ${count}` });
      return { error: new ConfigError('INVALID', sortIssues(issues, chain.sources.map((x) => x.file))) };
    }
    rows = isObj(valid.search) ? searchProbeRows(valid) : expandSweep(valid);
  }
  const isSearch = isObj(sweep) && isObj(sweep.search);

  const baseDir = dirname(abs);
  const ctx = { ...newCheckContext(baseDir), ...shared, kernels: typeof merged.kernels === 'string' ? merged.kernels : 'auto' };
  const checked = rows.map((row) => {
    const c = checkTrial(applySweep(merged, row) as Sections, bad, ctx);
    issues.push(...c.issues.map((i) => at(i, row)));
    warnings.push(...c.warnings.map((i) => at(i, row)));
    return { row, ...c };
  });
  const settings = searchSettings(merged, checked.map((c) => c.config), bad);
  issues.push(...settings.issues.map((i) => at(i)));
  if (issues.length) return { error: new ConfigError('INVALID', sortIssues(issues, chain.sources.map((s) => s.file))) };

  const trials: TrialPlan[] = [];
  const ids = new Set<string>();
  for (const c of isSearch ? [] : checked) {
    const fingerprints = { data: c.fingerprints.data!, init: c.fingerprints.init };
    const id = trialIdOf(c.config, fingerprints);
    if (ids.has(id)) continue;
    ids.add(id);
    trials.push({
      id, config: c.config, params: Object.fromEntries(c.row.map((x) => [x.path, x.value])), seed: c.config.train.seed,
      arch: archOf(c.config), position: trials.length, fingerprints,
    });
  }
  if (rows.length > 1 && !isSearch) {
    // one warning per place, counting the trials it concerns
    const count = new Map<string, number>();
    for (const w of warnings) count.set(formatIssue(w), (count.get(formatIssue(w)) ?? 0) + 1);
    warnings = [...new Map(warnings.map((w) => [formatIssue(w), { ...w, message: `${w.message} (${count.get(formatIssue(w))} of ${rows.length} trials)` }])).values()];
  }
  warnings.push(...settings.warnings.map((i) => at(i)));
  if (trials.length < checked.length && !isSearch) {
    const n = checked.length - trials.length;
    warnings.push({ ...locate(chain.sources, ['sweep'], 'key'), message: `${n} of the ${checked.length} swept configurations resolve to the same trial as an earlier one (e.g. options the optimizer ignores) and run once` });
  }

  const name = typeof merged.name === 'string' ? merged.name : basename(file, extname(file));
  if (!NAME_PATTERN.test(name) || name.length > NAME_MAX_LENGTH) {
    // only a default name can get here (the schema checks an explicit one); names starting with '_' are
    // reserved for sweeplab's built-in experiments (_baselines)
    throw new ConfigError('INVALID', [{ file, line: 1, col: 1, message: `the file name gives the experiment name "${name}", which is not allowed (letters, digits, . _ -, not starting with . _ or -, at most ${NAME_MAX_LENGTH} characters): set name: in the file` }]);
  }
  const topValue = plainValue(top);
  return {
    namePos: isObj(topValue) && topValue.name !== undefined ? locate([top], ['name']) : null,
    loaded: {
      name,
      description: typeof merged.description === 'string' ? merged.description : '',
      file, path: abs, baseDir, yaml: text,
      kernels: (merged.kernels as LoadedExperiment['kernels'] | undefined) ?? 'auto',
      config: merged as ExperimentConfig,
      trials,
      dataFingerprint: trials[0]?.fingerprints.data ?? checked[0]?.fingerprints.data ?? '',
      sweptPaths: sweptPaths(sweep),
      warnings: sortIssues(warnings, chain.sources.map((s) => s.file)),
      sources: chain.sources.map((s) => s.path),
      objective: settings.objective, prune: settings.prune, search: settings.search,
    },
  };
}

/** Where an issue is: inside a swept value if a trial's sweep set the path (or one of `alt`), else where the file set it. */
function place(chain: readonly Source[], i: RawIssue, row: readonly SweptValue[]) {
  for (const p of [i.path, ...(i.alt ?? [])]) {
    for (const v of row) {
      const segs = v.path.split('.');
      if (segs.length <= p.length && segs.every((s, k) => String(p[k]) === s)) return locate(chain, [...v.source, ...p.slice(segs.length)], i.mode);
    }
  }
  return locate(chain, i.path, i.mode);
}

function reason(e: unknown): string {
  if (e instanceof FileAccessError) return e.code === 'NOT_FOUND' ? 'no such file' : e.problem;
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : (e as Error).message;
}

/** An experiment file's text: a regular file of at most MAX_YAML_BYTES (devices, FIFOs and sockets are refused). */
function readYaml(abs: string): string {
  return new TextDecoder().decode(readRegularFile(abs, MAX_YAML_BYTES, 'an experiment file'));
}

// ---- extends

function loadChain(top: Source): { sources: Source[]; issues: ConfigIssue[]; syntax: boolean } {
  const sources = [top];
  const issues: ConfigIssue[] = [];
  let cur = top;
  for (;;) {
    const v = plainValue(cur);
    if (!isObj(v) || v.extends === undefined || v.extends === null) break;
    const ext = v.extends;
    const at = locate([cur], ['extends']);
    if (typeof ext !== 'string' || ext === '') {
      issues.push({ ...at, message: `extends must be the name of a file to start from, got ${repr(ext)}` });
      break;
    }
    const abs = resolve(dirname(cur.path), ext);
    const display = isAbsolute(ext) ? ext : normalize(join(dirname(cur.file), ext));
    const cycle = sources.findIndex((s) => s.path === abs);
    if (cycle >= 0) {
      issues.push({ ...at, message: `extends cycle: ${[...sources.slice(cycle).map((s) => s.file), display].join(' -> ')}; a file cannot extend itself, directly or through others` });
      break;
    }
    let text: string;
    try {
      text = readYaml(abs);
    } catch (e) {
      issues.push({ ...at, message: `extends: cannot read "${ext}" (${abs}): ${reason(e)}; the path is relative to ${cur.file}` });
      break;
    }
    const parsed = parseSource(display, abs, text);
    if (parsed.issues.length) return { sources, issues: [...issues, ...parsed.issues], syntax: true };
    sources.push(parsed.source);
    cur = parsed.source;
  }
  return { sources, issues, syntax: false };
}

/** Base first, each extending file deep-merged over it (maps merge, lists and scalars replace, null removes). */
function mergeChain(sources: readonly Source[]): Record<string, unknown> {
  let acc: Record<string, unknown> = {};
  const topDir = dirname(sources[0]!.path);
  for (let i = sources.length - 1; i >= 0; i--) {
    const v = plainValue(sources[i]!);
    if (!isObj(v)) continue;
    const { extends: _x, name, description, ...rest } = v;
    if (i > 0) rebasePaths(rest, dirname(sources[i]!.path), topDir);
    acc = deepMerge(acc, rest);
    if (i === 0) acc = { ...(name === undefined ? {} : { name }), ...(description === undefined ? {} : { description }), ...acc };
  }
  return dropNulls(acc) as Record<string, unknown>;
}

function deepMerge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = isObj(out[k]) && isObj(v) ? deepMerge(out[k] as Record<string, unknown>, v) : v;
  return out;
}

/** Relative file paths of a base file in another directory are rewritten relative to the top file's directory. */
function rebasePaths(v: Record<string, unknown>, from: string, to: string): void {
  if (from === to) return;
  const fix = (p: unknown) => (typeof p === 'string' && !isAbsolute(p) ? relative(to, resolve(from, p)) || '.' : p);
  const fixFiles = (f: unknown) => (isObj(f) ? Object.fromEntries(Object.entries(f).map(([k, x]) => [k, fix(x)])) : f);
  const fixInit = (i: unknown) => (isObj(i) && 'npy' in i ? { ...i, npy: fix(i.npy) } : i);
  const fixData = (d: unknown) => (isObj(d) ? { ...d, ...('path' in d ? { path: fix(d.path) } : {}), ...('files' in d ? { files: fixFiles(d.files) } : {}) } : d);
  if (isObj(v.data)) v.data = fixData(v.data);
  if (isObj(v.model) && 'init' in v.model) v.model = { ...v.model, init: fixInit(v.model.init) };
  const byPath: Record<string, (x: unknown) => unknown> = { 'data.path': fix, 'data.files': fixFiles, 'model.init': fixInit };
  for (const r of ['train_images', 'train_labels', 'test_images', 'test_labels']) byPath[`data.files.${r}`] = fix;
  const fixLists = (m: unknown) => {
    if (!isObj(m)) return;
    for (const [p, list] of Object.entries(m)) if (byPath[p] && Array.isArray(list)) m[p] = list.map(byPath[p]);
  };
  const s = v.sweep;
  if (!isObj(s)) return;
  fixLists(s.grid);
  if (Array.isArray(s.zip)) s.zip.forEach(fixLists);
  if (isObj(s.random) && isObj(s.random.params)) {
    for (const [p, d] of Object.entries(s.random.params)) if (byPath[p] && isObj(d) && Array.isArray(d.choice)) d.choice = d.choice.map(byPath[p]);
  }
}

