/** Read-only queries over the results database (they work on a read-only connection). */
import type Database from 'better-sqlite3';
import { InputError } from '../errors.js';
import type { EpochRowValues, TrialStatus } from './store.js';

export interface TrialRow {
  id: string;
  experiment: string;
  status: TrialStatus;
  config_json: string;
  seed: number;
  arch: string;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  diverged_epoch: number | null;
  final_cost: number | null;
  final_train_acc: number | null;
  final_test_acc: number | null;
  best_test_acc: number | null;
  epochs_done: number | null;
  backend: string | null;
  final_eval_json: string | null;
  summary_json: string | null;
  owner: string | null;
  heartbeat_at: string | null;
  created_at: string;
}

export interface EpochRow extends EpochRowValues {
  trial_id: string;
}

export interface ExperimentRow {
  name: string;
  description: string;
  file: string;
  yaml: string;
  created_at: string;
  updated_at: string;
  resolved_json: string;
}

export interface TrialLink {
  experiment: string;
  trial_id: string;
  params_json: string;
  position: number;
}

/** Resolves a unique trial-id prefix to the full id (InputError UNKNOWN_TRIAL / AMBIGUOUS_TRIAL otherwise). */
export function resolveTrialId(db: Database.Database, prefix: string): string {
  const p = prefix.trim().toLowerCase();
  if (!/^[0-9a-z_-]+$/.test(p)) {
    throw new InputError('UNKNOWN_TRIAL', `"${prefix}" is not a trial id: ids are hex strings (see \`sweeplab query "SELECT trial_id FROM trial_summary"\`)`);
  }
  const ids = db.prepare<{ lo: string; hi: string }, string>(
    'SELECT id FROM trials WHERE id >= @lo AND id < @hi ORDER BY id LIMIT 6').pluck()
    .all({ lo: p, hi: p + '\uffff' });
  if (ids.length === 0) {
    throw new InputError('UNKNOWN_TRIAL', `no trial id starts with "${prefix}" in this database; list them with \`sweeplab query "SELECT trial_id, experiment FROM trial_summary"\``);
  }
  if (ids.length > 1) {
    throw new InputError('AMBIGUOUS_TRIAL', `"${prefix}" matches several trials (${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', …' : ''}); give more characters of the id`);
  }
  return ids[0]!;
}

export function getTrial(db: Database.Database, id: string): TrialRow | undefined {
  return db.prepare<{ id: string }, TrialRow>('SELECT * FROM trials WHERE id = @id').get({ id });
}

export function getEpochs(db: Database.Database, id: string): EpochRow[] {
  return db.prepare<{ id: string }, EpochRow>('SELECT * FROM epochs WHERE trial_id = @id ORDER BY epoch').all({ id });
}

export function getExperiment(db: Database.Database, name: string): ExperimentRow | undefined {
  return db.prepare<{ name: string }, ExperimentRow>('SELECT * FROM experiments WHERE name = @name').get({ name });
}

export function getTrialLinks(db: Database.Database, id: string): TrialLink[] {
  return db.prepare<{ id: string }, TrialLink>(
    'SELECT * FROM experiment_trials WHERE trial_id = @id ORDER BY experiment').all({ id });
}

/** Status of each given trial id that exists in the database. */
export function trialStatuses(db: Database.Database, ids: string[]): Map<string, TrialStatus> {
  const out = new Map<string, TrialStatus>();
  const stmt = db.prepare<{ ids: string }, { id: string; status: TrialStatus }>(
    'SELECT id, status FROM trials WHERE id IN (SELECT value FROM json_each(@ids))');
  for (const r of stmt.all({ ids: JSON.stringify(ids) })) out.set(r.id, r.status);
  return out;
}
