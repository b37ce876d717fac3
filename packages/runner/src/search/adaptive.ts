/**
 * The adaptive search strategy (sweep.search): suggests `trials` configurations one at a time, each from what the
 * earlier ones scored (TPE, after `startup` random suggestions) or independently (random). Everything it decides
 * from is in the database and is read back when a run starts: the suggestions made so far are the experiment's
 * trials (`experiment_trials.params_json`, in position order), their outcomes are the trials' epochs, and the
 * pending ones are the registered trials that have not finished. So a kill -9 and a rerun continue the same search:
 * pending suggestions are offered again (never re-drawn), finished ones are history, and the suggestion numbered k
 * always draws from the same seeded generator. A rerun with a larger `trials` continues a finished search.
 */
import type { EpochMetrics } from '@sweeplab/nn-core';
import type { Store, TrialStatus } from '@sweeplab/store';
import type { LoadedExperiment } from '../config/index.js';
import { planSuggestion, type SearchSpec, type SuggestedTrial } from '../config/search.js';
import { lossOf, metricOf } from './objective.js';
import { dimsOf, randomDraw, suggestionRng, type Dim } from './space.js';
import type { Ask, SearchStrategy, Tell, TrialCandidate } from './strategy.js';
import { tpeSuggest, type Observation } from './tpe.js';
import { trialWork } from '../work.js';

/** Redraws allowed when a suggestion repeats an earlier trial or resolves to an invalid configuration. */
const MAX_REDRAWS = 32;

const FINISHED: ReadonlySet<TrialStatus> = new Set(['done', 'diverged', 'pruned']);

export class AdaptiveSearch implements SearchStrategy {
  readonly spec: SearchSpec;
  private readonly dims: Dim[];
  /** finished trials in the order they finished */
  private readonly history: Observation[] = [];
  /** suggestions registered and not finished: id -> params */
  private readonly pending = new Map<string, Record<string, unknown>>();
  /** registered unfinished trials to offer (again) before drawing new ones */
  private readonly queue: TrialCandidate[] = [];
  private readonly known = new Set<string>();
  /** suggestions of the current file's space so far (the budget counts them) */
  private made = 0;
  private nextPosition = 0;
  private exhausted = false;

  /** `notice`: why a suggestion was drawn again or the search stopped early (the run shows it) */
  constructor(private readonly exp: LoadedExperiment, private readonly store: Store, private readonly notice: (message: string) => void = () => {}) {
    if (!exp.search) throw new Error(`experiment ${exp.name} has no sweep.search`);
    this.spec = exp.search;
    this.dims = dimsOf(this.spec.params);
    this.rebuild();
  }

  /** Suggestions still to be made in this run (for the plan of the run), pending ones included. */
  remaining(): number {
    return this.queue.length + Math.max(0, this.spec.trials - this.made);
  }

  /** The work (Σ epochs × samples) of the suggestions still to make, each counted as a full trial like the first draw. */
  remainingWork(): number {
    const t = this.plan(randomDraw(this.dims, suggestionRng(this.spec.seed, 0)));
    return 'error' in t ? 0 : this.remaining() * trialWork(t.config);
  }

  /** How many of the search's trials have finished (done, diverged or pruned). */
  finished(): number {
    return this.history.length;
  }

  private plan(values: Record<string, unknown>): SuggestedTrial | { error: string } {
    return planSuggestion(this.exp.config as Record<string, unknown>, this.exp.baseDir, this.spec, values);
  }

  private candidate(t: SuggestedTrial, position: number): TrialCandidate {
    return {
      id: t.id, experiment: this.exp.name, position, config: t.config, arch: t.arch, params: t.params,
      fingerprints: t.fingerprints, baseDir: this.exp.baseDir, kernels: this.exp.kernels,
    };
  }

  /** The searched values of a stored params map (the fixed ones left out). */
  private searched(params: Record<string, unknown>): Record<string, unknown> {
    return Object.fromEntries(this.dims.filter((d) => d.path in params).map((d) => [d.path, params[d.path]]));
  }

  /**
   * Reads the search back from the database: every registered trial whose stored values still resolve to the same
   * trial under the current file is part of this search (a trial from an earlier version of the file, with other
   * fixed settings, is not); finished ones become history in the order they finished, the others pending.
   */
  private rebuild(): void {
    const rows = this.store.searchTrials(this.exp.name, this.exp.objective.metric);
    this.nextPosition = rows.reduce((m, r) => Math.max(m, r.position + 1), 0);
    const finished: Array<{ obs: Observation; at: string; position: number }> = [];
    for (const r of rows) {
      this.known.add(r.id);
      const values = this.searched(r.params);
      if (Object.keys(values).length !== this.dims.length) continue;
      const t = this.plan(values);
      if ('error' in t || t.id !== r.id) continue;
      this.made++;
      if (FINISHED.has(r.status)) {
        finished.push({ obs: this.observation(values, r.status, r.value, r.lastEpoch ?? 0), at: r.finishedAt ?? '', position: r.position });
      } else {
        this.pending.set(r.id, values);
        this.queue.push(this.candidate(t, r.position));
      }
    }
    finished.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : a.position - b.position));
    this.history.push(...finished.map((f) => f.obs));
  }

  private observation(params: Record<string, unknown>, status: string, value: number | null, step: number): Observation {
    const state = status === 'pruned' ? 'pruned' : 'complete';
    return { params, loss: status === 'diverged' ? Infinity : lossOf(this.exp.objective, value), state, step };
  }

  next(): Ask {
    const queued = this.queue.shift();
    if (queued) return { kind: 'trial', trial: queued };
    if (this.exhausted || this.made >= this.spec.trials) return { kind: 'done' };
    for (let salt = 0; salt < MAX_REDRAWS; salt++) {
      const values = this.draw(salt);
      const t = this.plan(values);
      if ('error' in t) {
        this.notice(`search ${this.exp.name}: suggestion ${this.made} is not a valid configuration (${t.error}); drawing again`);
        continue;
      }
      if (this.known.has(t.id)) continue; // never suggest a trial of this experiment twice
      const position = this.nextPosition++;
      this.store.addTrials(this.exp.name, [{
        id: t.id, configJson: JSON.stringify(t.config), seed: t.seed, arch: t.arch, paramsJson: JSON.stringify(t.params), position,
      }]);
      this.known.add(t.id);
      this.made++;
      this.pending.set(t.id, values);
      return { kind: 'trial', trial: this.candidate(t, position) };
    }
    this.exhausted = true;
    this.notice(`search ${this.exp.name}: no new configuration after ${MAX_REDRAWS} draws (the space looks exhausted); stopping after ${this.made} trials`);
    return { kind: 'done' };
  }

  /** The values of suggestion number `made` (redraw `salt`): random, or TPE once `startup` trials have finished. */
  private draw(salt: number): Record<string, unknown> {
    const rng = suggestionRng(this.spec.seed, this.made, salt);
    if (this.spec.sampler === 'random' || this.history.length < this.spec.startup) return randomDraw(this.dims, rng);
    const running: Observation[] = [...this.pending.values()].map((params) => ({ params, loss: Infinity, state: 'running', step: 0 }));
    return tpeSuggest(this.dims, [...this.history, ...running], rng);
  }

  tell(t: Tell): void {
    if (t.trial.experiment !== this.exp.name || t.kind !== 'end') return;
    const values = this.pending.get(t.trial.id);
    if (values === undefined) return;
    if (t.end === 'done' || t.end === 'diverged' || t.end === 'pruned') {
      this.pending.delete(t.trial.id);
      this.history.push(this.observation(values, t.end, this.valueOf(t.last), t.last?.epoch ?? 0));
    } else if (t.end === 'skipped') {
      // finished before (by another run, or the same trial in another experiment): its stored outcome is history
      this.pending.delete(t.trial.id);
      const r = this.store.searchTrials(this.exp.name, this.exp.objective.metric).find((x) => x.id === t.trial.id);
      if (r && FINISHED.has(r.status)) this.history.push(this.observation(values, r.status, r.value, r.lastEpoch ?? 0));
    } else if (t.end === 'failed' || t.end === 'interrupted') {
      this.pending.delete(t.trial.id); // not learned from; the next run offers it again
    }
  }

  private valueOf(m: EpochMetrics | null): number | null {
    return m === null ? null : metricOf(m, this.exp.objective.metric);
  }
}
