// Located configuration errors: every problem in an experiment file is reported as `file:line:col: message`.

/** One problem, at a 1-based line and column of `file` (line 0: the file as a whole, e.g. it cannot be read). */
export interface ConfigIssue { file: string; line: number; col: number; message: string }

export type ConfigErrorCode = 'INVALID' | 'YAML' | 'NOT_FOUND';

export const formatIssue = (i: ConfigIssue): string => (i.line > 0 ? `${i.file}:${i.line}:${i.col}: ${i.message}` : `${i.file}: ${i.message}`);

/** At most this many issues are printed (a screenful); the rest are counted. `issues` keeps them all. */
export const MAX_SHOWN_ISSUES = 30;

/** The issues one per line, the first MAX_SHOWN_ISSUES of them, then `... and N more`. */
export function issuesText(issues: readonly ConfigIssue[]): string {
  const shown = issues.slice(0, MAX_SHOWN_ISSUES).map(formatIssue);
  const more = issues.length - shown.length;
  if (more > 0) shown.push(`... and ${more} more problem${more === 1 ? '' : 's'} in ${issues[0]?.file ?? 'this file'} (fix these first, then validate again)`);
  return shown.join('\n');
}

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
    super(issuesText(issues));
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
