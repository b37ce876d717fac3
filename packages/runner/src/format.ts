/** Small text-formatting helpers shared by the commands. */
import Table from 'cli-table3';
import type { TrialConfigInput } from './exec/types.js';

/** A plain table (no colours, no lines between rows) for terminal output. */
export function textTable(head: string[]): InstanceType<typeof Table> {
  return new Table({
    head,
    style: { head: [], border: [], compact: true },
  });
}

/** A readable name of an architecture: `784-5-5-10 sigmoid/sigmoid cross-entropy, l2 1`. */
export function archLabel(config: TrialConfigInput): string {
  const m = config.model;
  return `${m.layers.join('-')} ${m.activation}/${m.output} ${m.loss}, l2 ${config.train.l2}`;
}
