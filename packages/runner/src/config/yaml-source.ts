// Parsed YAML files with positions: syntax errors as located issues, and dotted paths -> line:col across an
// `extends` chain (the file that set a value is the one an error points into).
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument, type Document, type Node } from 'yaml';
import type { ConfigIssue } from './errors.js';

export type Seg = string | number;
export interface Pos { file: string; line: number; col: number }

export interface Source {
  /** the name used in messages (as given, or joined from the file that extends it) */
  file: string;
  /** absolute path */
  path: string;
  text: string;
  doc: Document;
  lc: LineCounter;
}

/** The largest experiment file sweeplab reads (a real one is a few KB). */
export const MAX_YAML_BYTES = 1024 * 1024;
/** The most values (map entries, list items, scalars) a file may expand to once its aliases are resolved. */
export const MAX_YAML_VALUES = 1_000_000;

/**
 * How many values the document holds once every alias is replaced by what it points at, counted without expanding
 * anything (each anchored node's size is computed once), so `*a` repeated a million times over a big list costs
 * nothing to measure. Stops counting past `limit`.
 */
export function expandedSize(doc: Document, limit: number): number {
  const memo = new Map<Node, number>();
  const size = (node: unknown, depth: number): number => {
    if (depth > 1000) return limit + 1; // nesting this deep is not an experiment file
    if (isAlias(node)) {
      const target = node.resolve(doc) as Node | undefined;
      if (!target) return 1;
      const known = memo.get(target);
      if (known !== undefined) return known;
      memo.set(target, limit + 1); // an alias inside its own anchor: refuse rather than recurse
      const n = size(target, depth + 1);
      memo.set(target, n);
      return n;
    }
    let n = 1;
    if (isMap(node)) for (const p of node.items) n += size(p.key, depth + 1) + size(p.value, depth + 1);
    else if (isSeq(node)) for (const item of node.items) n += size(item, depth + 1);
    else if (isScalar(node) && typeof node.value === 'string') n += Math.floor(node.value.length / 64);
    if (isMap(node) || isSeq(node)) memo.set(node as Node, n);
    return Math.min(n, limit + 1);
  };
  return size(doc.contents, 0);
}

/** Parses `text`; the issues are the YAML syntax errors (empty when the file parsed) and an alias expansion over MAX_YAML_VALUES. */
export function parseSource(file: string, absPath: string, text: string): { source: Source; issues: ConfigIssue[] } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  const issues = doc.errors.map((e) => {
    const { line, col } = lc.linePos(e.pos[0]);
    const msg = e.code === 'DUPLICATE_KEY' ? 'duplicate key: each key may appear once in a map' : e.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
    return { file, line, col, message: `YAML syntax error: ${msg}` };
  });
  if (issues.length === 0 && expandedSize(doc, MAX_YAML_VALUES) > MAX_YAML_VALUES) {
    issues.push({ file, line: 1, col: 1, message: `the file expands to more than ${MAX_YAML_VALUES.toLocaleString('en-US')} values once its aliases (*name) are resolved; an experiment file is far smaller: write the values out, or sweep them with sweep.grid` });
  }
  return { source: { file, path: absPath, text, doc, lc }, issues };
}

const keyText = (k: unknown): string => (isScalar(k) ? String(k.value) : String(k));

type Walk =
  | { kind: 'found' | 'owned'; node: Node | null; key: Node | null }
  | { kind: 'absent'; depth: number; node: Node | null; key: Node | null };

/**
 * Follows `segs` from the document root. 'found': the node at the path; 'owned': the walk reached a scalar or a list
 * (which replace wholesale when merged, so this file owns everything below); 'absent': a map lacks the next key.
 */
function walk(src: Source, segs: readonly Seg[]): Walk {
  let node = src.doc.contents as Node | null;
  let key: Node | null = null;
  for (let i = 0; i < segs.length; i++) {
    if (isAlias(node)) node = (node.resolve(src.doc) as Node | undefined) ?? null;
    const seg = segs[i]!;
    if (isMap(node)) {
      const pair = node.items.find((p) => keyText(p.key) === String(seg));
      if (!pair) return { kind: 'absent', depth: i, node, key };
      key = pair.key as Node;
      node = (pair.value as Node | null) ?? null;
      if (node === null || (isScalar(node) && node.value === null)) return i === segs.length - 1 ? { kind: 'found', node, key } : { kind: 'absent', depth: i, node, key };
    } else if (isSeq(node) && Number.isInteger(Number(seg))) {
      const item = node.items[Number(seg)] as Node | undefined;
      if (!item) return { kind: 'owned', node, key };
      node = item;
      key = null;
    } else {
      return i === 0 && node === null ? { kind: 'absent', depth: 0, node, key } : { kind: 'owned', node, key };
    }
  }
  return { kind: 'found', node, key };
}

function posOf(src: Source, node: Node | null): Pos | null {
  const off = node?.range?.[0];
  if (off === undefined) return null;
  const { line, col } = src.lc.linePos(off);
  return { file: src.file, line, col };
}

/**
 * Where `segs` was written in a chain of files (the extending file first, then its bases).
 * mode 'key' points at the key of the last segment (for unknown keys); 'value' at the value.
 * A path set nowhere points at the key of its deepest existing parent.
 */
export function locate(chain: readonly Source[], segs: readonly Seg[], mode: 'key' | 'value' = 'value'): Pos {
  let best: { src: Source; w: Walk & { kind: 'absent' } } | null = null;
  for (const src of chain) {
    const w = walk(src, segs);
    if (w.kind === 'found' || w.kind === 'owned') {
      const p = posOf(src, mode === 'key' && w.kind === 'found' && w.key ? w.key : (w.node ?? w.key)) ?? posOf(src, w.key);
      if (p) return p;
    } else if (w.kind === 'absent' && (!best || w.depth > best.w.depth)) {
      best = { src, w };
    }
  }
  if (best) {
    const p = posOf(best.src, best.w.key ?? best.w.node);
    if (p) return p;
  }
  return { file: chain[0]?.file ?? '?', line: 1, col: 1 };
}

/** The plain JS value of a parsed file (null values kept: in an extending file they remove the base's value). */
export function plainValue(src: Source): unknown {
  return src.doc.toJS({ maxAliasCount: -1 }); // aliases are bounded by parseSource's expandedSize check
}

/** Drops null map values (an empty `key:` means "not set"). */
export function dropNulls(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropNulls);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== null && x !== undefined) o[k] = dropNulls(x);
    return o;
  }
  return v;
}
