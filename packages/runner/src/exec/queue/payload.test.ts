// What a queue worker accepts: checkPayload on real tasks and on hostile variants of them (no Redis needed).
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { validateFiles } from '../../config/index.js';
import { trialConfigIssues } from '../../config/trial-check.js';
import { candidatesOf } from '../../run.js';
import { tempDir } from '../../testing/fixtures.js';
import { writeQueueExperiment } from '../../testing/queue.js';
import type { TrainTask } from '../types.js';
import { checkPayload, checkResult, encodeOutcome, jobIdOf, MAX_PAYLOAD_BYTES, PayloadError } from './payload.js';

const dir = tempDir('sweeplab-payload-');
const file = writeQueueExperiment(dir, { name: 'payload', lrs: [0.5, 1], train: 'schedule: step' });
const [exp] = validateFiles([file]).ok;
const c = candidatesOf(exp ? [exp] : [])[0]!;
const task: TrainTask = { kind: 'train', trialId: c.id, attempt: 3, config: c.config, fingerprints: c.fingerprints, baseDir: dir, kernels: 'auto' };
const payload = (t: unknown) => ({ v: 1, task: t });
const clone = <T>(x: T): T => structuredClone(x);

function refused(data: unknown, re: RegExp): void {
  assert.throws(() => checkPayload(data), (e: Error) => {
    assert.ok(e instanceof PayloadError, `${e.name}: ${e.message}`);
    assert.match(e.message, re);
    return true;
  });
}

describe('queue payloads', () => {
  test('a real task passes unchanged and its job id is trial.attempt', () => {
    assert.deepEqual(checkPayload(JSON.parse(JSON.stringify(payload(task)))), task);
    assert.equal(jobIdOf(task), `${c.id}.3`);
    assert.deepEqual(trialConfigIssues(c.config), []);
  });

  test('an optional section (metrics: { every }) passes when valid, is validated with the file schema when not', () => {
    const f2 = writeQueueExperiment(join(dir, 'm'), { name: 'metrics2', lrs: [0.5] });
    writeFileSync(f2, `${readFileSync(f2, 'utf8')}metrics: { every: 2 }\n`);
    const [e2] = validateFiles([f2]).ok;
    const m = candidatesOf(e2 ? [e2] : [])[0]!;
    assert.deepEqual(m.config.metrics, { every: 2 });
    const t2: TrainTask = { ...task, trialId: m.id, config: m.config, fingerprints: m.fingerprints };
    assert.deepEqual(checkPayload(payload(t2)), t2);
    refused(payload({ ...t2, config: { ...m.config, metrics: { every: 0 } } }), /metrics\.every must be >= 1/);
    refused(payload({ ...t2, config: { ...m.config, sweep: { seeds: [1] } } }), /not in resolved form \(sweep differs\)/);
  });

  test('every field is checked: kind, ids, attempt, kernels, fingerprints, unknown fields', () => {
    refused(payload({ ...task, kind: 'exec' }), /task\.kind must be "train" or "gradcheck"/);
    refused(payload({ ...task, trialId: '../../etc/passwd' }), /task\.trialId must be 16 hex digits/);
    refused(payload({ ...task, attempt: 0 }), /task\.attempt must be a whole number >= 1/);
    refused(payload({ ...task, attempt: 1.5 }), /task\.attempt/);
    refused(payload({ ...task, kernels: 'gpu' }), /task\.kernels must be auto, js or native/);
    refused(payload({ ...task, fingerprints: { data: 'abc', init: null } }), /fingerprints\.data must be a sha256/);
    refused(payload({ ...task, fingerprints: { ...task.fingerprints, extra: 1 } }), /task\.fingerprints has unknown field\(s\) "extra"/);
    refused(payload({ ...task, script: 'rm -rf /' }), /the task has unknown field\(s\) "script"/);
    refused(payload({ ...task, returnWeights: 'yes' }), /task\.returnWeights must be true or false/);
    refused({ v: 1, task, more: 1 }, /the payload has unknown field\(s\) "more"/);
    refused({ v: 2, task }, /payload version 2 is not 1: the coordinator and this worker run different sweeplab versions/);
    refused(null, /not an object/);
    refused([task], /not an object/);
  });

  test('the trial config is validated with the experiment schema, in resolved form, and must hash to the trial id', () => {
    type Cfg = { train: Record<string, unknown>; model: Record<string, unknown>; gradcheck?: unknown; hook?: unknown };
    const bad = (f: (cfg: Cfg) => void) => { const t = clone(task) as unknown as { config: Cfg }; f(t.config); return payload(t); };
    refused(bad((cfg) => { cfg.train.lr = -1; }), /train\.lr must be > 0/);
    refused(bad((cfg) => { cfg.train.optimizer = 'magic'; }), /train\.optimizer must be one of/);
    refused(bad((cfg) => { cfg.model.layers = [16, 'x', 3]; }), /model\.layers\[1\] must be an integer/);
    refused(bad((cfg) => { cfg.model.activation = undefined; }), /not in resolved form \(model\.activation differs\)/);
    // an own "__proto__" key, as JSON.parse makes it from a hostile payload
    const proto = JSON.parse(JSON.stringify(payload(task)).replace('"optimizer":', '"__proto__":{"polluted":true},"optimizer":'));
    refused(proto, /train has unknown key|unknown key.*__proto__|does not validate/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    refused(bad((cfg) => { cfg.hook = 'x'; }), /unknown section "hook"/);
    refused(bad((cfg) => { delete cfg.gradcheck; }), /has no "gradcheck" section/);
    refused(bad((cfg) => { cfg.train.lr = 0.75; }), new RegExp(`task\\.trialId ${c.id} is not the id of its config and fingerprints`));
    refused(bad((cfg) => { cfg.model.output = 'softmax'; cfg.model.loss = 'mse'; }), /mse does not pair with output softmax|is not the id/);
  });

  test('the size is bounded, and what is not plain JSON is refused', () => {
    refused(payload({ ...task, baseDir: 'x'.repeat(MAX_PAYLOAD_BYTES) }), /bytes, more than the 65536 a trial needs/);
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    refused(payload(deep), /not plain JSON data|bytes, more than/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    refused(payload(cyclic), /not plain JSON data/);
  });

  test('weights in a result travel bit for bit; a malformed result is refused', () => {
    const w = Float32Array.from([0.1, -2.5e-8, 3, Number.MIN_VALUE]);
    const last = { epoch: 1 } as never;
    const outcome = { kind: 'train', status: 'done', epochsDone: 1, divergedAt: null, last, bestTestAcc: null, finalEval: null, backend: 'js', summary: {}, weights: w } as never;
    const json = JSON.parse(JSON.stringify({ run: 1, worker: 'h:1', outcome: encodeOutcome(outcome), events: [] }));
    const back = checkResult(json, task);
    assert.ok(back?.outcome.kind === 'train' && back.outcome.weights instanceof Float32Array);
    assert.deepEqual(back.outcome.weights, w);
    assert.equal(checkResult({ ...json, events: [{ type: 'epoch', metrics: { epoch: -1 } }] }, task), null);
    assert.equal(checkResult({ ...json, outcome: { ...json.outcome, kind: 'gradcheck' } }, task), null);
    assert.equal(checkResult({ ...json, outcome: { ...json.outcome, weights: { dtype: 'float32', base64: 'AAA' } } }, task), null);
  });

  test('a gradient-check task must name the architecture of its config', () => {
    const gc = { kind: 'gradcheck', arch: c.arch, trialId: c.id, config: c.config, fingerprints: c.fingerprints, baseDir: join(dir, 'x'), kernels: 'js' };
    assert.equal(checkPayload(payload(gc)).kind, 'gradcheck');
    refused(payload({ ...gc, arch: '0000000000000000' }), /task\.arch 0000000000000000 is not the architecture of its config/);
  });
});
