import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { tempDir, writeTinyIdx } from '@sweeplab/runner/testing';

const BIN = fileURLToPath(new URL('../bin/sweeplab.js', import.meta.url));

interface Done { code: number | null; stdout: string; stderr: string }

function sweeplab(args: string[]): Promise<Done> {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((res) => child.on('close', (code) => res({ code, stdout, stderr })));
}

const dir = tempDir();
writeTinyIdx(join(dir, 'data'));
const file = join(dir, 'cli-rep.yaml');
writeFileSync(file, `name: cli-rep
description: a 16-2-3 net, narrower than its 3 classes
data: { dataset: idx, path: ./data, train: 60, test: 30 }
model: { layers: [16, 2, 3], activation: sigmoid, output: softmax, loss: cross-entropy, init: xavier }
train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 3, seed: 1 }
gradcheck: { samples: 20 }
`);

function rows(db: string, sql: string): Record<string, unknown>[] {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return d.prepare(sql).all() as Record<string, unknown>[];
  } finally {
    d.close();
  }
}

describe('sweeplab report / diagnose (CLI)', () => {
  test('--help of report and diagnose; run documents --no-diagnose', async () => {
    const r = await sweeplab(['report', '--help']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /Usage: sweeplab report \[options\] <experiment>/);
    for (const o of ['--db <path>', '--out <dir>', '--summary <path>']) assert.ok(r.stdout.includes(o), o);
    const d = await sweeplab(['diagnose', '--help']);
    assert.equal(d.code, 0);
    assert.match(d.stdout, /Usage: sweeplab diagnose \[options\] <trial-id>/);
    assert.ok(d.stdout.includes('--db <path>'));
    const run = await sweeplab(['run', '--help']);
    assert.ok(run.stdout.includes('--no-diagnose'));
  });

  test('run diagnoses by default; diagnose and report by name; unknown names and ids exit 2; a file that is not a database exits 2 naming it', async () => {
    const db = join(dir, 'cli.db');
    const run = await sweeplab(['run', file, '--db', db, '--workers', '1']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^trained the logistic-regression baseline .*16-3 train/m);
    assert.match(run.stdout, /^diagnosed 1 trial\(s\)/m);
    const id = rows(db, `SELECT trial_id FROM experiment_trials WHERE experiment = 'cli-rep'`)[0]!.trial_id as string;
    assert.ok(rows(db, `SELECT rule FROM diagnoses WHERE trial_id = '${id}'`).some((r) => r.rule === 'too-little-capacity'));

    const diag = await sweeplab(['diagnose', id.slice(0, 6), '--db', db]);
    assert.equal(diag.code, 0, diag.stderr);
    assert.match(diag.stdout, new RegExp(`^trial ${id} \\(done\\): cli-rep #0`));
    assert.match(diag.stdout, /^baseline: logistic regression 16-3 on the same data/m);
    assert.match(diag.stdout, /^ {2}warning {3}too-little-capacity: layers=16-2-3, narrowestHidden=2/m);

    const out = join(dir, 'cli-report');
    const summary = join(dir, 'cli-rep.md');
    const rep = await sweeplab(['report', 'cli-rep', '--db', db, '--out', out, '--summary', summary]);
    assert.equal(rep.code, 0, rep.stderr);
    assert.deepEqual(rep.stdout.trim().split('\n').slice(1).map((l) => l.trim()), [join(out, 'index.html'), join(out, 'summary.md'), summary]);
    assert.ok(existsSync(join(out, 'index.html')));
    assert.equal(readFileSync(summary, 'utf8'), readFileSync(join(out, 'summary.md'), 'utf8'));

    const unknown = await sweeplab(['report', 'nope', '--db', db]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
    assert.match(unknown.stderr, /no experiment "nope" .*known experiments: cli-rep$/m);
    assert.doesNotMatch(unknown.stderr, /_baselines/);

    const noTrial = await sweeplab(['diagnose', 'ffffffffff', '--db', db]);
    assert.equal(noTrial.code, 2);
    assert.equal(noTrial.stderr.trim().split('\n').length, 1, noTrial.stderr);

    const broken = join(dir, 'broken.db');
    writeFileSync(broken, 'this is not a database, just text long enough to fill a page header of sqlite: ' + 'x'.repeat(200));
    const bad = await sweeplab(['diagnose', 'abcd', '--db', broken]);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, new RegExp(`^sweeplab: ${broken.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a SQLite database`));
    assert.equal(bad.stderr.trim().split('\n').length, 1);
  });

  test('run --no-diagnose writes no diagnosis and trains no baseline', async () => {
    const db = join(dir, 'cli-nodiag.db');
    const run = await sweeplab(['run', file, '--db', db, '--workers', '1', '--no-diagnose']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /baseline|diagnosed/);
    assert.deepEqual(rows(db, 'SELECT count(*) AS n FROM diagnoses'), [{ n: 0 }]);
    assert.deepEqual(rows(db, 'SELECT name FROM experiments'), [{ name: 'cli-rep' }]);
  });
});
