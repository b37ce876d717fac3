/**
 * The static strategy: a fixed list of trials (a grid, zip, random or seed sweep expanded when the file loads, or
 * a list of baselines), handed out in order, each once.
 */
import type { Ask, SearchStrategy, Tell, TrialCandidate } from './strategy.js';

export class StaticStrategy implements SearchStrategy {
  private i = 0;

  constructor(private readonly trials: readonly TrialCandidate[]) {}

  get size(): number {
    return this.trials.length;
  }

  next(): Ask {
    const trial = this.trials[this.i];
    if (trial === undefined) return { kind: 'done' };
    this.i++;
    return { kind: 'trial', trial };
  }

  tell(_t: Tell): void {
    // a fixed list learns nothing
  }
}
