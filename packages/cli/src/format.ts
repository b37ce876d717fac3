/** Small text-formatting helpers shared by the commands. */
import Table from 'cli-table3';

/** A plain table (no colours, no lines between rows) for terminal output. */
export function textTable(head: string[]): InstanceType<typeof Table> {
  return new Table({ head, style: { head: [], border: [], compact: true } });
}

/** `m:ss` or `h:mm:ss`; '?' for anything that is not a duration. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const ss = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}

/** Seconds as `12.3s` under a minute, else `m:ss`. */
export function shortDuration(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : formatDuration(seconds);
}

export const pct = (x: number | null | undefined, digits = 1): string =>
  (x === null || x === undefined || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(digits)}%`);

export const num = (x: number | null | undefined): string =>
  (x === null || x === undefined ? '-' : Number.isFinite(x) ? x.toPrecision(5) : String(x));
