// Schema validation with human messages: ajv's raw errors become one message per problem, unions (init, schedule,
// batch, scale, gradcheck, subsets, distributions) collapse to the branch the value was meant for, unknown keys and
// bad enum values get a did-you-mean.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { closest, distance } from 'fastest-levenshtein';
import { DEFINITIONS, RuntimeSchema, distributionSchema, sweepValueSchema, sweepablePaths, type SchemaObj } from './schema.js';
import type { Seg } from './yaml-source.js';

/**
 * A problem at a path of the (merged) config; `mode: 'key'` points at the key itself (unknown keys).
 * `alt`: other paths involved; the error points at the first of path/alt that a trial's sweep sets, if any.
 */
export interface RawIssue { path: Seg[]; mode: 'key' | 'value'; message: string; alt?: Seg[][] }

let ajv: Ajv | null = null;
let rootValidator: ValidateFunction | null = null;
const compiled = new WeakMap<object, ValidateFunction>();

function getAjv(): Ajv {
  return (ajv ??= new Ajv({ allErrors: true, verbose: true, strict: true }));
}

function validatorFor(schema: object): ValidateFunction {
  let v = compiled.get(schema);
  if (!v) {
    v = getAjv().compile({ ...schema, definitions: DEFINITIONS });
    compiled.set(schema, v);
  }
  return v;
}

/** Validates a merged experiment config (sweep paths and values included). */
export function validateExperiment(value: unknown): RawIssue[] {
  rootValidator ??= getAjv().compile(RuntimeSchema);
  const issues = rootValidator(value) ? [] : translate(rootValidator.errors ?? [], []);
  const sweep = isObj(value) ? value.sweep : undefined;
  if (isObj(sweep)) issues.push(...validateSweepEntries(sweep));
  return issues;
}

/** Validates `value` against `schema` (a schema object of schema.ts), reporting paths under `base`. */
export function validateAt(schema: object, value: unknown, base: Seg[]): RawIssue[] {
  const v = validatorFor(schema);
  return v(value) ? [] : translate(v.errors ?? [], base);
}

// ---- sweep maps: known paths, values valid where they go

function validateSweepEntries(sweep: Record<string, unknown>): RawIssue[] {
  const out: RawIssue[] = [];
  const known = [...sweepablePaths().keys()];
  const checkMap = (map: unknown, at: Seg[], kind: 'values' | 'dist') => {
    if (!isObj(map)) return;
    for (const [p, v] of Object.entries(map)) {
      const schema = kind === 'values' ? sweepValueSchema(p) : distributionSchema(p);
      if (!schema) {
        out.push({ path: [...at, p], mode: 'key', message: unknownKey(at, p, known) });
        continue;
      }
      if (kind === 'values') {
        if (Array.isArray(v)) v.forEach((x, i) => out.push(...validateAt(schema, x, [...at, p, i])));
      } else if (isObj(v)) {
        out.push(...validateAt(schema, v, [...at, p]));
      }
    }
  };
  checkMap(sweep.grid, ['sweep', 'grid'], 'values');
  if (Array.isArray(sweep.zip)) sweep.zip.forEach((g, i) => checkMap(g, ['sweep', 'zip', i], 'values'));
  if (isObj(sweep.random)) checkMap(sweep.random.params, ['sweep', 'random', 'params'], 'dist');
  if (isObj(sweep.search)) checkMap(sweep.search.params, ['sweep', 'search', 'params'], 'dist');
  return out;
}

// ---- translating ajv errors

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function segsOf(instancePath: string): Seg[] {
  if (instancePath === '') return [];
  return instancePath.slice(1).split('/').map((s) => {
    const k = s.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(k) ? Number(k) : k;
  });
}

const under = (p: string, h: string) => p === h || p.startsWith(`${h}/`);

function translate(errors: ErrorObject[], base: Seg[]): RawIssue[] {
  const out: RawIssue[] = [];
  const unions = errors.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf').sort((a, b) => a.instancePath.length - b.instancePath.length);
  const handled: string[] = [];
  for (const u of unions) {
    if (handled.some((h) => under(u.instancePath, h))) continue;
    handled.push(u.instancePath);
    out.push(...unionIssues(u, [...base, ...segsOf(u.instancePath)]));
  }
  // a value of the wrong type also fails its enum/minimum/...: the type error says it all
  const typeErrors = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  for (const e of errors) {
    if (e.keyword === 'anyOf' || e.keyword === 'oneOf' || handled.some((h) => under(e.instancePath, h))) continue;
    if (e.keyword !== 'type' && typeErrors.has(e.instancePath)) continue;
    const issue = single(e, [...base, ...segsOf(e.instancePath)]);
    if (issue) out.push(issue);
  }
  return out;
}

const deref = (s: SchemaObj): SchemaObj => {
  const r = s.$ref;
  return typeof r === 'string' && r.startsWith('#/definitions/') ? (DEFINITIONS[r.slice('#/definitions/'.length)] as SchemaObj) : s;
};

type Kind = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'array' | 'object';
function kindOf(v: unknown): Kind {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v as Kind;
}

function accepts(s: SchemaObj, k: Kind): boolean {
  const t = s.type ?? (Array.isArray(s.enum) ? typeof s.enum[0] : undefined);
  if (t === k) return true;
  if ((t === 'number' || t === 'integer') && (k === 'number' || k === 'integer')) return true;
  return false;
}

function unionIssues(u: ErrorObject, segs: Seg[]): RawIssue[] {
  const v = u.data as unknown;
  const branches = (u.schema as SchemaObj[]).map(deref);
  const k = kindOf(v);
  const D = disp(segs);
  const expected = expectText({ anyOf: branches });
  let cands = branches.filter((b) => accepts(b, k));
  if (cands.length === 0) return [{ path: segs, mode: 'value', message: `${D} must be ${expected}, got ${repr(v)}` }];
  const discriminated = cands.every((b) => ((b.required as string[] | undefined) ?? []).length > 0);
  if (k === 'object' && (cands.length > 1 || discriminated)) {
    const obj = v as Record<string, unknown>;
    const disc = cands.map((b) => ((b.required as string[] | undefined) ?? [])[0]).filter((x): x is string => !!x);
    const present = cands.filter((b) => { const r = (b.required as string[] | undefined) ?? []; return r.length > 0 && r.every((x) => x in obj); });
    if (present.length !== 1) {
      const allKeys = [...new Set(cands.flatMap((b) => Object.keys(b.properties ?? {})))];
      if (present.length > 1) return [{ path: segs, mode: 'value', message: `${D} must have only one of the keys ${present.map((b) => (b.required as string[])[0]).join(', ')}` }];
      const unknown = Object.keys(obj).filter((x) => !allKeys.includes(x));
      if (unknown.length) return unknown.map((x) => ({ path: [...segs, x], mode: 'key' as const, message: unknownKey(segs, x, allKeys) }));
      return [{ path: segs, mode: 'value', message: `${D} must have one of the keys ${disc.join(', ')}` }];
    }
    cands = present;
  }
  const sub = validateAt(cands[0]!, v, segs);
  // a wrong kind of scalar (2.5 for a batch, "fulll" for "full") reads better as the whole union's expectation
  if (sub.length === 1 && sub[0]!.path.length === segs.length && /^.* must be (one of|an integer|a number|true or false|".*"|\[)/.test(sub[0]!.message)) {
    const hint = typeof v === 'string' ? didYouMean(v, branches.flatMap((b) => (Array.isArray(b.enum) ? (b.enum as string[]) : []))) : '';
    return [{ path: segs, mode: 'value', message: `${D} must be ${expected}, got ${repr(v)}${hint}` }];
  }
  return sub;
}

function single(e: ErrorObject, segs: Seg[]): RawIssue | null {
  const D = disp(segs);
  const ps = (e.parentSchema ?? {}) as SchemaObj;
  const p = e.params as Record<string, unknown>;
  const got = repr(e.data);
  const at = (message: string, mode: 'key' | 'value' = 'value', path = segs): RawIssue => ({ path, mode, message });
  const isTuple = Array.isArray(ps.items);
  switch (e.keyword) {
    case 'type':
      return at(`${D} must be ${expectText(ps)}, got ${got}`);
    case 'enum':
    case 'const': {
      const allowed = (e.keyword === 'enum' ? p.allowedValues : [p.allowedValue]) as unknown[];
      const hint = typeof e.data === 'string' ? didYouMean(e.data, allowed.filter((x): x is string => typeof x === 'string')) : '';
      return at(`${D} must be ${allowed.length === 1 ? JSON.stringify(allowed[0]) : `one of ${allowed.join(', ')}`}, got ${got}${hint}`);
    }
    case 'additionalProperties': {
      const key = String(p.additionalProperty);
      return at(unknownKey(segs, key, Object.keys(ps.properties ?? {})), 'key', [...segs, key]);
    }
    case 'required':
      return at(`${D || 'the file'} is missing the key "${String(p.missingProperty)}"`, segs.length ? 'key' : 'value');
    case 'minimum': return at(`${D} must be >= ${String(p.limit)}, got ${got}`);
    case 'exclusiveMinimum': return at(`${D} must be > ${String(p.limit)}, got ${got}`);
    case 'maximum': return at(`${D} must be <= ${String(p.limit)}, got ${got}`);
    case 'exclusiveMaximum': return at(`${D} must be < ${String(p.limit)}, got ${got}`);
    case 'minItems':
    case 'maxItems':
    case 'additionalItems':
      if (isTuple) return at(`${D} must be ${expectText(ps)}, got ${got}`);
      if (e.keyword === 'minItems') {
        if (D === 'model.layers') return at(`${D} must list at least 2 sizes (inputs first, classes last), got ${got}`);
        return at(`${D} must have at least ${String(p.limit)} item${p.limit === 1 ? '' : 's'}`);
      }
      return at(`${D} must have at most ${String(p.limit)} items`);
    case 'minLength': return at(`${D} must not be empty`);
    case 'maxLength': return at(`${D} must be at most ${String(p.limit)} characters, got ${(e.data as string).length}`);
    case 'minProperties': return at(`${D} must not be empty`);
    case 'pattern':
      if (D === 'name') return at(`name must be letters, digits, ".", "_" or "-" (starting with a letter or digit), got ${got}`);
      return at(`${D} must match ${String(p.pattern)}, got ${got}`);
    case 'uniqueItems':
      return at(`${D} lists ${repr((e.data as unknown[])[Number(p.i)])} twice (items ${Math.min(Number(p.i), Number(p.j))} and ${Math.max(Number(p.i), Number(p.j))}); values must be unique`);
    default:
      return at(`${D} ${e.message ?? 'is invalid'}`);
  }
}

// ---- wording

const ID = /^[A-Za-z_][\w.-]*$/; // dotted sweep paths read as what they are
function plainPath(segs: readonly Seg[]): string {
  let s = '';
  for (const x of segs) {
    if (typeof x === 'number') s += `[${x}]`;
    else if (ID.test(x)) s += s ? `.${x}` : x;
    else s += `[${JSON.stringify(x)}]`;
  }
  return s;
}

/**
 * Dotted path for messages. A value inside a sweep list is named by the path it sets (`train.lr`, not
 * `sweep.grid["train.lr"][1]`): the error points at the value anyway.
 */
export function disp(segs: readonly Seg[]): string {
  const [a, b, c, d, e, f] = segs;
  if (a === 'sweep') {
    if (b === 'grid' && typeof c === 'string' && typeof d === 'number') return plainPath([...c.split('.'), ...segs.slice(4)]);
    if (b === 'zip' && typeof d === 'string' && typeof e === 'number') return plainPath([...d.split('.'), ...segs.slice(5)]);
    if ((b === 'random' || b === 'search') && c === 'params' && typeof d === 'string' && e === 'choice' && typeof f === 'number') return plainPath([...d.split('.'), ...segs.slice(6)]);
    if ((b === 'random' || b === 'search') && c === 'params' && typeof d === 'string') return `sweep.${b}.params["${d}"]${segs.length > 4 ? `.${plainPath(segs.slice(4))}` : ''}`;
  }
  return plainPath(segs);
}

/** A non-finite number as YAML writes it (JSON would print null). */
const nonFinite = (x: number) => (Number.isNaN(x) ? '.nan' : x > 0 ? '.inf' : '-.inf');

export function repr(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'number' && !Number.isFinite(v)) return `${nonFinite(v)} (${Number.isNaN(v) ? 'not a number' : 'infinity'})`;
  let s = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? nonFinite(x) : x)) ?? String(v);
  if (s.length > 60) s = `${s.slice(0, 57)}...`;
  return s;
}

function expectText(s: SchemaObj): string {
  s = deref(s);
  if (s.anyOf) {
    const parts = s.anyOf.map((b) => (deref(b).type === 'boolean' ? 'true, false' : expectText(b)));
    return parts.length > 1 ? `${parts.slice(0, -1).join(', ')} or ${parts[parts.length - 1]}` : parts[0]!;
  }
  if (Array.isArray(s.enum)) return s.enum.length === 1 ? JSON.stringify(s.enum[0]) : `one of ${(s.enum as unknown[]).join(', ')}`;
  switch (s.type) {
    case 'integer': return `an integer${typeof s.minimum === 'number' ? ` >= ${s.minimum}` : ''}`;
    case 'number': return `a number${typeof s.exclusiveMinimum === 'number' ? ` > ${s.exclusiveMinimum}` : typeof s.minimum === 'number' ? ` >= ${s.minimum}` : ''}`;
    case 'boolean': return 'true or false';
    case 'string': return 'a string';
    case 'array':
      if (Array.isArray(s.items)) return `[${(s.items as SchemaObj[]).map((i) => (deref(i).type === 'integer' ? 'integer' : deref(i).type === 'number' ? 'number' : expectText(i))).join(', ')}]`;
      return 'a list';
    case 'object': {
      const keys = Object.keys(s.properties ?? {});
      if (keys.length === 1) return `{ ${keys[0]}: ${expectText(s.properties![keys[0]!]!)} }`;
      return keys.length ? `a map { ${keys.join(', ')} }` : 'a map';
    }
    default: return 'valid';
  }
}

// ---- did you mean

const ALIASES: Record<string, string> = {
  learning_rate: 'lr', learningrate: 'lr', 'learning-rate': 'lr', rate: 'lr', eta: 'lr', alpha: 'lr',
  batch_size: 'batch', batchsize: 'batch', 'batch-size': 'batch', minibatch: 'batch',
  iterations: 'epochs', iters: 'epochs', n_epochs: 'epochs', num_epochs: 'epochs',
  lambda: 'l2', lambd: 'l2', regularization: 'l2', l2_lambda: 'l2',
  hidden: 'layers', sizes: 'layers', architecture: 'layers',
  optimiser: 'optimizer', solver: 'optimizer', weight_init: 'init', initialization: 'init', initializer: 'init',
  datasets: 'dataset', seeds: 'seed', weightdecay: 'weight_decay', 'weight-decay': 'weight_decay', decay: 'weight_decay',
};

function threshold(len: number): number {
  return len <= 4 ? 1 : len <= 6 ? 2 : Math.ceil(len * 0.4);
}

/** a and b differ by one swap of neighbours (modle / model): one typo, though Levenshtein counts two. */
function swapped(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  const d = [...a].flatMap((c, i) => (c === b[i] ? [] : [i]));
  return d.length === 2 && d[1] === d[0]! + 1 && a[d[0]!] === b[d[1]!] && a[d[1]!] === b[d[0]!];
}

/** The closest candidate to `word` (aliases, then edit distance; for dotted paths also by last segment), or null. */
export function suggest(word: string, candidates: readonly string[]): string | null {
  if (!candidates.length) return null;
  const lower = word.toLowerCase();
  const dot = lower.lastIndexOf('.');
  const head = dot >= 0 ? lower.slice(0, dot + 1) : '';
  const alias = ALIASES[lower.slice(dot + 1)];
  if (alias !== undefined) {
    const viaAlias = candidates.find((c) => c === head + alias) ?? (head === '' ? candidates.find((c) => c.endsWith(`.${alias}`)) : undefined);
    if (viaAlias) return viaAlias;
  }
  const swap = candidates.find((c) => swapped(lower, c.toLowerCase()));
  if (swap) return swap;
  const best = closest(lower, candidates as string[]);
  if (distance(lower, best.toLowerCase()) <= threshold(word.length)) return best;
  if (dot < 0) {
    // a bare key where dotted paths are expected: match on the last segment (lr -> train.lr)
    const lasts = candidates.map((c) => c.slice(c.lastIndexOf('.') + 1));
    const b = closest(lower, lasts);
    if (distance(lower, b) <= threshold(word.length) - (b === lower ? 0 : 1)) return candidates[lasts.indexOf(b)]!;
  }
  return null;
}

export function didYouMean(word: string, candidates: readonly string[]): string {
  const s = suggest(word, candidates);
  return s ? `: did you mean "${s}"?` : '';
}

const SWEEP_MAP = (segs: readonly Seg[]) => segs[0] === 'sweep' && (segs[1] === 'grid' && segs.length === 2 || segs[1] === 'zip' && segs.length === 3 || (segs[1] === 'random' || segs[1] === 'search') && segs[2] === 'params' && segs.length === 3);

const DISTRIBUTIONS = ['loguniform', 'uniform', 'int', 'choice'];

function unknownKey(segs: readonly Seg[], key: string, allowed: readonly string[]): string {
  if (segs.length === 4 && segs[0] === 'sweep' && segs[2] === 'params' && allowed.every((a) => DISTRIBUTIONS.includes(a))) {
    const p = String(segs[3]);
    if (DISTRIBUTIONS.includes(key)) {
      const takes = allowed.includes('int') ? 'takes integers' : 'is not a number';
      return `${p}: ${key} draws ${key === 'int' ? 'integers' : 'real numbers'} but ${p} ${takes}; use ${allowed.join(' or ')}`;
    }
    const s = suggest(key, allowed);
    return `${p}: unknown distribution "${key}"${s ? `: did you mean "${s}"?` : `; use ${allowed.join(', ')}`}`;
  }
  if (SWEEP_MAP(segs)) {
    const s = suggest(key, allowed);
    return `unknown sweep path "${key}" in ${disp(segs)}${s ? `: did you mean "${s}"?` : '; a path is section.key, e.g. train.lr, model.layers, data.train.count'}`;
  }
  const where = segs.length ? `in ${disp(segs)}` : 'at the top level';
  const s = suggest(key, allowed);
  return s ? `unknown key "${key}" ${where}: did you mean "${s}"?` : `unknown key "${key}" ${where}; allowed: ${allowed.join(', ')}`;
}

/**
 * Top-level keys the schema does not know whose value is empty (`trian:`): the merge drops empty values (in an
 * extending file they remove the base's value), so the schema would never see these; they are typos all the same.
 */
export function emptyUnknownKeys(value: Record<string, unknown>): RawIssue[] {
  const known = Object.keys((RuntimeSchema as { properties?: Record<string, unknown> }).properties ?? {});
  return Object.entries(value)
    .filter(([k, v]) => (v === null || v === undefined) && !known.includes(k))
    .map(([k]) => ({ path: [k], mode: 'key' as const, message: unknownKey([], k, known) }));
}
