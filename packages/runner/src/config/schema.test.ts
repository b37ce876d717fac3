// The JSON Schema file editors use is generated from the TypeBox schema; it must be in sync and complete.
import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { Ajv } from 'ajv';
import { ExperimentSchema, loadExperiment, writeSchemaJson } from './index.js';
import { tmpDir, writeFiles, writeIdxData } from './testing.js';

const SCHEMA_FILE = fileURLToPath(new URL('../../../../experiments/experiment.schema.json', import.meta.url));

type Node = Record<string, unknown>;
/** Every property schema of every object in the schema, with its dotted place. */
function* properties(s: unknown, at: string): Generator<[string, Node, Node]> {
  if (Array.isArray(s)) {
    for (const x of s) yield* properties(x, at);
    return;
  }
  if (!s || typeof s !== 'object') return;
  const o = s as Node;
  if (o.type === 'object' && o.properties) {
    for (const [k, v] of Object.entries(o.properties as Node)) {
      yield [`${at}.${k}`, v as Node, o];
      yield* properties(v, `${at}.${k}`);
    }
  }
  for (const k of ['anyOf', 'items']) if (o[k]) yield* properties(o[k], at);
}

describe('experiment.schema.json', () => {
  const text = writeSchemaJson();

  it('is in sync with the TypeBox schema', () => {
    assert.equal(readFileSync(SCHEMA_FILE, 'utf8'), text,
      'regenerate: node -e "import(\'./packages/runner/dist/config/schema.js\').then(m => process.stdout.write(m.writeSchemaJson()))" > experiments/experiment.schema.json');
  });

  it('describes every key and closes every object', () => {
    const doc = JSON.parse(text) as Node;
    let n = 0;
    for (const [place, prop, parent] of properties(doc, '')) {
      n++;
      assert.equal(typeof prop.description, 'string', `${place} has no description`);
      assert.equal(parent.additionalProperties, false, `the object holding ${place} accepts unknown keys`);
    }
    assert.ok(n > 60, `only ${n} keys found`);
  });

  it('checks swept values and paths for editors too', () => {
    const v = new Ajv({ strict: true, allErrors: true }).compile(JSON.parse(text));
    const ok = { name: 'x', model: { layers: [784, 10] }, sweep: { grid: { 'train.lr': [0.1, 1], 'model.init': ['he', { uniform: [0, 1] }] }, zip: [{ 'train.optimizer': ['gd', 'adam'] }], random: { samples: 2, params: { 'train.l2': { loguniform: [1e-4, 1] } } }, seeds: [1, 2] } };
    assert.ok(v(ok), JSON.stringify(v.errors));
    assert.ok(!v({ sweep: { grid: { 'train.lr': ['fast'] } } }));
    assert.ok(!v({ sweep: { grid: { 'train.epoch': [1] } } }));
    assert.ok(!v({ sweep: { random: { samples: 2, params: { 'train.optimizer': { uniform: [0, 1] } } } } }));
  });
});

describe('resolved trial configs', () => {
  const dir = tmpDir();
  writeIdxData(join(dir, 'data'), { train: 12, test: 6, rows: 2, cols: 3, classes: 3 });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('are valid experiment files themselves (a trial can be re-run alone)', () => {
    writeFiles(dir, { 'all.yaml': `name: all
data: { dataset: idx, path: data, scale: standardize }
model: { layers: [6, 3] }
gradcheck: { samples: 10 }
sweep:
  zip: [{ train.optimizer: [gd, sgd, momentum, adam, adamw], train.schedule: [constant, step, cosine, { step: { gamma: 0.5 } }, { cosine: { min_lr: 0.01 } }] }]
  grid: { gradcheck: [true, false], model.init: [auto, { normal: [0, 0.1] }] }
` });
    const e = loadExperiment(join(dir, 'all.yaml'));
    assert.equal(e.trials.length, 20);
    const v = new Ajv({ strict: true, allErrors: true }).compile(ExperimentSchema);
    for (const t of e.trials) assert.ok(v({ name: 'rerun', ...t.config }), `${JSON.stringify(t.config)}: ${JSON.stringify(v.errors)}`);
  });
});
