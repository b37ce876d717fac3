/**
 * The engine's only wall-clock reads. Everything that records or compares time (heartbeats, owner liveness, trial
 * wall seconds, environment rows) takes a Clock, so tests can inject one and the rest of the library stays free
 * of clock reads (a lint rule enforces it).
 */
export interface Clock {
  /** milliseconds since the epoch */
  now(): number;
  /** now as an ISO-8601 string */
  iso(): string;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  iso: () => new Date().toISOString(),
};
