// Escaping and stable number formatting. Everything that comes from a YAML file or the database goes
// through `escapeHtml` (HTML) or `escapeMd` (Markdown) before it is written into a report.
// Number formatting uses only toFixed/toPrecision/toExponential, which ECMAScript specifies exactly, so the
// same input gives the same text on every platform (committed summaries must match regenerated ones).

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape text for HTML element content and double- or single-quoted attribute values. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/**
 * Escape text for Markdown (one line): HTML-significant characters become entities (GitHub renders raw
 * HTML in Markdown), characters that start links, emphasis or code are backslash-escaped, `|` is escaped
 * so table cells stay cells, newlines become spaces, and a leading block marker (#, -, +, 1.) is escaped.
 */
export function escapeMd(value: unknown): string {
  return String(value)
    .replace(/\s*\r?\n\s*/g, ' ')
    .replace(/[&<>]/g, (c) => HTML_ESCAPES[c] ?? c)
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/^(\s*)([#+-])/, '$1\\$2')
    .replace(/^(\s*\d+)\./, '$1\\.');
}

/**
 * Inline code in Markdown: a backtick fence longer than any run of backticks inside. In a table cell
 * (`inTable`) a `|` is written `\|`, which GFM turns back into `|` inside the code span.
 */
export function mdCode(value: unknown, inTable = false): string {
  let s = String(value).replace(/\r?\n/g, ' ');
  if (inTable) s = s.replace(/\|/g, '\\|');
  const longest = Math.max(0, ...Array.from(s.matchAll(/`+/g), (m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const pad = s.startsWith('`') || s.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${s}${pad}${fence}`;
}

/** A finite number, or null for null/undefined/NaN/±Infinity/non-numbers. */
export function finite(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

/** 'NaN', '+Inf', '-Inf' for non-finite numbers, null for finite ones and non-numbers. */
export function nonFiniteLabel(x: unknown): string | null {
  if (typeof x !== 'number' || Number.isFinite(x)) return null;
  return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
}

export const MISSING = '–';

/** A number with `sig` significant digits; exponent form below 1e-3 and from 1e6. */
export function fmtNum(x: unknown, sig = 4): string {
  const bad = nonFiniteLabel(x);
  if (bad) return bad;
  const v = finite(x);
  if (v === null) return MISSING;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a < 1e-3 || a >= 1e6) return v.toExponential(Math.max(0, sig - 2));
  return String(Number(v.toPrecision(sig)));
}

/** A fraction in [0, 1] as a percentage with `digits` decimals: 0.97123 -> '97.12 %'. */
export function fmtPct(x: unknown, digits = 2): string {
  const bad = nonFiniteLabel(x);
  if (bad) return bad;
  const v = finite(x);
  return v === null ? MISSING : `${(v * 100).toFixed(digits)} %`;
}

/** Seconds with one decimal. */
export function fmtSec(x: unknown): string {
  const bad = nonFiniteLabel(x);
  if (bad) return bad;
  const v = finite(x);
  return v === null ? MISSING : v.toFixed(1);
}

/** mean ± sample standard deviation of the finite values ('97.10 ± 0.25 %'; '–' when none; no ± for one value). */
export function fmtMeanSd(values: ReadonlyArray<number>, asPct: boolean): string {
  const s = meanSd(values);
  if (!s) return MISSING;
  if (asPct) return s.n >= 2 ? `${(s.mean * 100).toFixed(2)} ± ${(s.sd * 100).toFixed(2)} %` : fmtPct(s.mean);
  return s.n >= 2 ? `${fmtNum(s.mean)} ± ${fmtNum(s.sd)}` : fmtNum(s.mean);
}

/** Mean and sample standard deviation (n-1) of the finite values; null when there are none. */
export function meanSd(values: ReadonlyArray<number>): { mean: number; sd: number; n: number; min: number; max: number } | null {
  const v = values.filter((x) => Number.isFinite(x));
  if (v.length === 0) return null;
  let sum = 0;
  for (const x of v) sum += x;
  const mean = sum / v.length;
  let ss = 0;
  for (const x of v) ss += (x - mean) * (x - mean);
  const sd = v.length >= 2 ? Math.sqrt(ss / (v.length - 1)) : 0;
  return { mean, sd, n: v.length, min: Math.min(...v), max: Math.max(...v) };
}

/** A swept parameter value as short, unambiguous text: numbers and strings as is, arrays/objects as compact JSON. */
export function fmtParam(v: unknown): string {
  if (v === undefined) return MISSING;
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return nonFiniteLabel(v) ?? String(v);
  if (v === null || typeof v === 'boolean') return String(v);
  return JSON.stringify(v, (_k, x) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x));
}

/** Total order on parameter values: numbers numerically, arrays element-wise, then by text. */
export function compareParam(a: unknown, b: unknown): number {
  const ta = typeRank(a);
  const tb = typeRank(b);
  if (ta !== tb) return ta - tb;
  if (typeof a === 'number' && typeof b === 'number') return a === b ? 0 : a < b ? -1 : 1;
  if (Array.isArray(a) && Array.isArray(b)) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const c = compareParam(a[i], b[i]);
      if (c !== 0) return c;
    }
    return a.length - b.length;
  }
  const sa = fmtParam(a);
  const sb = fmtParam(b);
  return sa === sb ? 0 : sa < sb ? -1 : 1;
}

function typeRank(v: unknown): number {
  if (v === undefined) return 5;
  if (typeof v === 'number') return 0;
  if (Array.isArray(v)) return 1;
  if (typeof v === 'string') return 2;
  if (typeof v === 'boolean') return 3;
  return 4;
}
