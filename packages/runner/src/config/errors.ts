// Located configuration errors: every problem in an experiment file is reported as `file:line:col: message`.

/** One problem, at a 1-based line and column of `file` (line 0: the file as a whole, e.g. it cannot be read). */
export interface ConfigIssue { file: string; line: number; col: number; message: string }

export type ConfigErrorCode = 'INVALID' | 'YAML' | 'NOT_FOUND';

export const formatIssue = (i: ConfigIssue): string => (i.line > 0 ? `${i.file}:${i.line}:${i.col}: ${i.message}` : `${i.file}: ${i.message}`);

/**
 * An experiment file (or one it extends) is unusable. `issues` holds every problem found, sorted by file then
 * position; `message` is the issues as `file:line:col: message`, one per line.
 * - `YAML`: a YAML syntax error (nothing else is checked in that file).
 * - `NOT_FOUND`: the file given cannot be read.
 * - `INVALID`: schema or consistency problems.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  readonly code: ConfigErrorCode;
  readonly issues: ConfigIssue[];

  constructor(code: ConfigErrorCode, issues: ConfigIssue[]) {
    super(issues.map(formatIssue).join('\n'));
    this.code = code;
    this.issues = issues;
  }
}

/** Removes duplicates (same place, same message); sorts by file (`files` first, in that order), line, column. */
export function sortIssues(issues: ConfigIssue[], files: readonly string[] = []): ConfigIssue[] {
  const fileOrder = new Map<string, number>();
  for (const f of [...files, ...issues.map((i) => i.file)]) if (!fileOrder.has(f)) fileOrder.set(f, fileOrder.size);
  const seen = new Set<string>();
  const out = issues.filter((i) => {
    const k = formatIssue(i);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  return out.sort((a, b) => fileOrder.get(a.file)! - fileOrder.get(b.file)! || a.line - b.line || a.col - b.col);
}
