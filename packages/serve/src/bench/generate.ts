// The serve benchmark's database: an experiment of `TRIALS` trials (20 learning rates x 5 widths x seeds) with
// epochs 0..EPOCHS each (5 % failed at epoch 2, 10 % pruned at epoch 8, two running at epoch 5), final evaluations
// and diagnoses on a third of the finished trials. Registration goes through Store; the rows through one
// transaction of a raw connection (the triggers of migration 4 fire as for the real writer).
import Database from 'better-sqlite3';
import { Store } from '@sweeplab/store';

type EpochMetrics = Parameters<Store['insertEpoch']>[2];
export function metrics(epoch: number, acc: number, layers = 2): EpochMetrics {
  const decay = Math.exp(-epoch / 6);
  return {
    epoch, measured: true, cost: 0.3 + 2 * decay, loss: 0.28 + 2 * decay, l2Term: 0.02, trainAcc: acc * (1 - decay * 0.8),
    testAcc: acc * (1 - decay * 0.82), valAcc: null, lr: 0.1, outMean: 0.1, outStd: 0.2 + 0.1 * (1 - decay),
    outUnitMean: Array.from({ length: 10 }, (_, i) => 0.1 + i * 1e-3), outUnitStd: Array.from({ length: 10 }, () => 0.2),
    gradNorm: Array.from({ length: layers }, (_, l) => 0.5 / (l + 1) * decay + 1e-3), updateRatio: Array.from({ length: layers }, () => (epoch ? 1e-3 : null)),
    weightNorm: Array.from({ length: layers }, () => 3.2), weightMean: Array.from({ length: layers }, () => 1e-3), saturation: [0.05 * (1 - decay)],
    seconds: 0.8, evalSeconds: 0.1,
  };
}

/** Writes the benchmark database: registration through Store, then rows in one transaction of a raw connection. */
export function generate(path: string, TRIALS: number, EPOCHS: number): { running: string[] } {
  const lrs = Array.from({ length: 20 }, (_, i) => Number((1e-3 * 1.5 ** i).toPrecision(3)));
  const hidden = [16, 32, 64, 128, 256];
  const seeds = Math.ceil(TRIALS / (lrs.length * hidden.length));
  const trials: Array<{ lr: number; h: number; s: number; id: string }> = [];
  for (const lr of lrs) for (const h of hidden) for (let s = 1; s <= seeds && trials.length < TRIALS; s++) {
    trials.push({ lr, h, s, id: `${trials.length.toString(16).padStart(8, '0')}${'ab12cd34'}` });
  }
  const store = Store.open(path);
  store.registerExperiments([{
    name: 'bench', description: `${TRIALS} trials x ${EPOCHS} epochs generated for the serve benchmark`, file: '/bench/bench.yaml', yaml: 'name: bench\n',
    resolvedJson: '{}', sweptPaths: ['train.lr', 'model.hidden', 'train.seed'],
    trials: trials.map((t, i) => ({
      id: t.id, seed: t.s, arch: `784-${t.h}-10`, position: i, paramsJson: JSON.stringify({ 'train.lr': t.lr, 'model.hidden': t.h, 'train.seed': t.s }),
      configJson: JSON.stringify({ data: { dataset: 'mnist', train: 60000 }, model: { layers: [784, t.h, 10], activation: 'relu', output: 'softmax', loss: 'cross-entropy' }, train: { optimizer: 'sgd', batch: 128, lr: t.lr, epochs: EPOCHS, l2: 0, seed: t.s } }),
    })),
  }]);
  store.close();
  const db = new Database(path);
  const epoch = db.prepare(`INSERT INTO epochs (trial_id, attempt, epoch, cost, loss, l2_term, train_acc, test_acc, val_acc, lr, out_mean, out_std,
    seconds, eval_seconds, out_unit_mean_json, out_unit_std_json, grad_norm_json, update_ratio_json, weight_norm_json, weight_mean_json, saturation_json)
    VALUES (?, 1, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
  const finish = db.prepare(`UPDATE trials SET status = ?, attempt = 1, started_at = '2026-11-30T00:00:00Z', finished_at = ?, epochs_done = ?,
    final_cost = ?, final_train_acc = ?, final_test_acc = ?, best_test_acc = ?, pruned_epoch = ?, error = ?, backend = 'native',
    final_eval_json = ?, diagnosed_at = ?, owner = ?, heartbeat_at = ? WHERE id = ?`);
  const diag = db.prepare(`INSERT INTO diagnoses VALUES (?, ?, ?, '{"ratio":0.5}', ?, '2026-11-30T01:00:00Z')`);
  const running: string[] = [];
  db.transaction(() => {
    trials.forEach((t, i) => {
      const acc = 0.97 - Math.abs(Math.log10(t.lr) + 1) * 0.08 - 8 / t.h + (t.s % 7) * 1e-3;
      const kind = i >= TRIALS - 2 ? 'running' : i % 20 === 7 ? 'failed' : i % 10 === 3 ? 'pruned' : 'done';
      const last = kind === 'running' ? 5 : kind === 'failed' ? 2 : kind === 'pruned' ? 8 : EPOCHS;
      for (let e = 0; e <= last; e++) {
        const m = metrics(e, acc);
        epoch.run(t.id, e, m.cost, m.loss, m.l2Term, m.trainAcc, m.testAcc, m.lr, m.outMean, m.outStd, m.seconds, m.evalSeconds,
          JSON.stringify(m.outUnitMean), JSON.stringify(m.outUnitStd), JSON.stringify(m.gradNorm), JSON.stringify(m.updateRatio),
          JSON.stringify(m.weightNorm), JSON.stringify(m.weightMean), JSON.stringify(m.saturation));
      }
      const f = metrics(last, acc);
      const finished = `2026-11-30T00:${String(Math.floor(i / 600) % 60).padStart(2, '0')}:${String(Math.floor(i / 10) % 60).padStart(2, '0')}.${String(i % 10)}00Z`;
      if (kind === 'running') running.push(t.id);
      finish.run(kind, kind === 'running' ? null : finished, last, f.cost, f.trainAcc, kind === 'failed' ? null : f.testAcc, f.testAcc,
        kind === 'pruned' ? last : null, kind === 'failed' ? 'worker crashed (bench)' : kind === 'pruned' ? 'pruned by asha at epoch 8' : null,
        kind === 'done' ? JSON.stringify({ accuracy: f.testAcc, perClass: Array.from({ length: 10 }, () => f.testAcc), confusion: Array.from({ length: 10 }, (_, a) => Array.from({ length: 10 }, (_, p) => (a === p ? 90 : 1))) }) : null,
        kind === 'done' ? '2026-11-30T01:00:00Z' : null, kind === 'running' ? 'bench:1@1:run' : null, kind === 'running' ? '2026-11-30T00:00:00Z' : finished, t.id);
      if (kind === 'done' && i % 3 === 0) diag.run(t.id, t.lr > 0.1 ? 'lr-too-large' : 'too-few-iterations', 'warning', 'try another learning rate (bench)');
    });
  })();
  db.close();
  return { running };
}

