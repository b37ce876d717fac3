/**
 * The strategy and stopping hook of a run, built from its loaded experiments: the static trials of the sweeps
 * first (file order), then each adaptive search; each experiment's `prune` rule for its own trials.
 */
import type { Store } from '@sweeplab/store';
import type { LoadedExperiment } from '../config/index.js';
import type { StoppingHook } from '../scheduler/scheduler.js';
import { AdaptiveSearch } from './adaptive.js';
import { StaticStrategy } from './static.js';
import { RulesByExperiment, stoppingRule } from './stopping.js';
import type { Ask, SearchStrategy, Tell, TrialCandidate } from './strategy.js';

/** Strategies asked in order: the first with a trial gives it; done when all are done. */
export class ChainStrategy implements SearchStrategy {
  constructor(private readonly parts: readonly SearchStrategy[]) {}

  next(): Ask {
    let waiting = false;
    for (const p of this.parts) {
      const a = p.next();
      if (a.kind === 'trial') return a;
      if (a.kind === 'wait') waiting = true;
    }
    return waiting ? { kind: 'wait' } : { kind: 'done' };
  }

  tell(t: Tell): void {
    for (const p of this.parts) p.tell(t);
  }
}

export interface RunSearch {
  strategy: SearchStrategy;
  stopping: StoppingHook | undefined;
  searches: AdaptiveSearch[];
}

export function buildSearch(store: Store, exps: readonly LoadedExperiment[], staticTrials: readonly TrialCandidate[], notice: (message: string) => void = () => {}): RunSearch {
  const searches = exps.filter((e) => e.search !== null).map((e) => new AdaptiveSearch(e, store, notice));
  const rules = new Map<string, StoppingHook>();
  for (const e of exps) {
    const rule = stoppingRule(store, e.name, e.objective, e.prune);
    if (rule) rules.set(e.name, rule);
  }
  return {
    strategy: searches.length === 0 ? new StaticStrategy(staticTrials) : new ChainStrategy([new StaticStrategy(staticTrials), ...searches]),
    stopping: rules.size > 0 ? new RulesByExperiment(rules) : undefined,
    searches,
  };
}
