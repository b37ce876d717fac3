import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { tempDir, writeTinyIdx } from '@sweeplab/runner/testing';

const BIN = fileURLToPath(new URL('../bin/sweeplab.js', import.meta.url));
/** The CLI with a worker that sleeps TEST_DELAY_MS after each epoch (testing/slow-bin.ts). */
const SLOW_BIN = fileURLToPath(new URL('./testing/slow-bin.js', import.meta.url));

interface Done { code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }

function start(args: string[], env: Record<string, string> = {}, cwd?: string): { child: ChildProcess; done: Promise<Done> } {
  const bin = env.TEST_DELAY_MS !== undefined ? SLOW_BIN : BIN;
  const child = spawn(process.execPath, [bin, ...args], {
    cwd, env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => { stdout += d; });
  child.stderr!.on('data', (d) => { stderr += d; });
  const done = new Promise<Done>((res) => child.on('close', (code, signal) => res({ code, signal, stdout, stderr })));
  return { child, done };
}

const sweeplab = (args: string[], env: Record<string, string> = {}, cwd?: string) => start(args, env, cwd).done;

const dir = tempDir();
writeTinyIdx(join(dir, 'data'));

/** A tiny experiment file: `lrs` x `seeds` trials of a 16-8-3 net, `epochs` epochs each. */
function experiment(name: string, o: { epochs?: number; lrs?: number[]; seeds?: number[] } = {}): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(file, [
    `name: ${name}`,
    'data:',
    '  dataset: idx',
    '  path: ./data',
    '  train: 60',
    '  test: 30',
    'model:',
    '  layers: [16, 8, 3]',
    '  activation: sigmoid',
    '  output: softmax',
    '  loss: cross-entropy',
    '  init: xavier',
    'train:',
    '  optimizer: sgd',
    '  batch: 10',
    '  lr: 0.5',
    `  epochs: ${o.epochs ?? 3}`,
    '  seed: 1',
    'gradcheck: { samples: 30 }',
    'sweep:',
    '  grid:',
    `    train.lr: [${(o.lrs ?? [0.5]).join(', ')}]`,
    `  seeds: [${(o.seeds ?? [1]).join(', ')}]`,
    '',
  ].join('\n'));
  return file;
}

function ro(db: string): Database.Database {
  return new Database(db, { readonly: true, fileMustExist: true });
}

async function until(cond: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Runs `file` again on `db`: the one trial must end done with epoch rows 0..epochs, each exactly once. */
async function resumesToCompletion(db: string, file: string, epochs: number): Promise<void> {
  const again = await sweeplab(['run', file, '--db', db, '--workers', '1', '--no-diagnose']);
  assert.equal(again.code, 0, again.stderr);
  const d = ro(db);
  assert.equal(d.prepare('SELECT status FROM trials').pluck().get(), 'done');
  assert.deepEqual(d.prepare('SELECT epoch FROM epochs ORDER BY epoch').pluck().all(), Array.from({ length: epochs + 1 }, (_, i) => i));
  d.close();
}

function epochCount(db: string, trialId?: string): number {
  if (!existsSync(db)) return 0;
  try {
    const d = ro(db);
    try {
      return (trialId
        ? d.prepare('SELECT count(*) FROM epochs WHERE trial_id = ?').pluck().get(trialId)
        : d.prepare('SELECT count(*) FROM epochs').pluck().get()) as number;
    } finally {
      d.close();
    }
  } catch {
    return 0; // the schema is not there yet
  }
}

describe('sweeplab CLI', () => {
  test('--version and --help of every command', async () => {
    const v = await sweeplab(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^sweeplab \d+\.\d+\.\d+ \(kernels: (native \((OpenBLAS \w+|built-in GEMM, [\w-]+)\)|typescript)/);
    for (const cmd of ['run', 'validate', 'plan', 'query', 'show', 'reproduce', 'gradcheck']) {
      const h = await sweeplab([cmd, '--help']);
      assert.equal(h.code, 0, cmd);
      assert.match(h.stdout, new RegExp(`Usage: sweeplab ${cmd}`));
      if (cmd !== 'validate') assert.match(h.stdout, /--db <path>/, cmd);
    }
  });

  test('a file with a typo: located errors on stderr, exit 2, nothing written', async () => {
    const good = experiment('good');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: bad\ndata: { dataset: idx, path: ./data, train: 60, test: 30 }\nmodel:\n  layers: [16, 8, 3]\ntrain:\n  epocs: 3\n');
    const v = await sweeplab(['validate', good, bad]);
    assert.equal(v.code, 2);
    assert.match(v.stdout, /^ok .*good\.yaml: good, 1 trial/m);
    assert.match(v.stderr, /bad\.yaml:6:3: .*epocs.*did you mean "epochs"/);
    const db = join(dir, 'bad-run', 'results.db');
    const r = await sweeplab(['run', good, bad, '--db', db]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:6:3:/);
    assert.equal(existsSync(db), false);
  });

  test('train.dtype bfloat16 on a CPU without AVX512_BF16 (hidden by SWEEPLAB_BF16_KERNEL=none): located error naming the feature, exit 2, nothing written', async () => {
    const file = join(dir, 'bf16.yaml');
    writeFileSync(file, readFileSync(experiment('bf16'), 'utf8').replace('  optimizer: sgd\n', '  optimizer: sgd\n  dtype: bfloat16\n'));
    const line = readFileSync(file, 'utf8').split('\n').indexOf('  dtype: bfloat16') + 1;
    const db = join(dir, 'bf16-run', 'results.db');
    for (const cmd of [['validate', file], ['run', file, '--db', db]]) {
      const r = await sweeplab(cmd, { SWEEPLAB_BF16_KERNEL: 'none' });
      assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`bf16\\.yaml:${line}:10: train\\.dtype bfloat16 cannot run here: .*needs (a CPU with AVX512_BF16|the native kernels).*use dtype float32`));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(existsSync(db), false);
  });

  test('bad input exits 2 with one line: unknown trial, bad SQL, bad option, missing database', async () => {
    const db = join(dir, 'inputs.db');
    const run = await sweeplab(['run', experiment('inputs'), '--db', db, '--workers', '1', '--no-diagnose']);
    assert.equal(run.code, 0, run.stderr);
    for (const args of [
      ['show', 'ffffffff', '--db', db],
      ['reproduce', 'ffffffff', '--db', db],
      ['query', 'SELEC * FROM trials', '--db', db],
      ['query', 'DELETE FROM trials', '--db', db],
      ['query', 'SELECT 1', '--db', db, '--format', 'xml'],
      ['run', experiment('inputs'), '--db', db, '--workers', '0'],
      ['query', 'SELECT 1', '--db', join(dir, 'missing.db')],
    ]) {
      const r = await sweeplab(args);
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.ok(r.stderr.trim().length > 0, args.join(' '));
      if (args[0] !== 'run' && !args.includes('xml')) assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
    assert.equal(ro(db).prepare(`SELECT count(*) FROM trials WHERE status = 'done'`).pluck().get(), 1);
  });

  test('query formats, show, and reproduce bit for bit', async () => {
    const db = join(dir, 'formats.db');
    const run = await sweeplab(['run', experiment('formats', { lrs: [0.5, 1] }), '--db', db, '--workers', '2']);
    assert.equal(run.code, 0, run.stderr);
    const sql = 'SELECT trial_id, train_lr, status FROM trials_formats ORDER BY position';
    const json = await sweeplab(['query', sql, '--db', db, '--format', 'json']);
    assert.equal(json.code, 0);
    const rows = JSON.parse(json.stdout) as { trial_id: string; train_lr: number; status: string }[];
    assert.deepEqual(rows.map((r) => [r.train_lr, r.status]), [[0.5, 'done'], [1, 'done']]);
    const csv = await sweeplab(['query', `SELECT 'a,b' AS x, 'say "hi"' AS y, NULL AS z`, '--db', db, '--format', 'csv']);
    assert.equal(csv.stdout, 'x,y,z\r\n"a,b","say ""hi""",\r\n');
    const table = await sweeplab(['query', sql, '--db', db]);
    assert.match(table.stdout, /trial_id\s+│\s+train_lr\s+│\s+status/);
    assert.match(table.stdout, /\(2 rows\)/);
    const id = rows[1]!.trial_id;
    const show = await sweeplab(['show', id.slice(0, 6), '--db', db]);
    assert.equal(show.code, 0, show.stderr);
    assert.match(show.stdout, new RegExp(`trial ${id}`));
    assert.match(show.stdout, /layers: \[ 16, 8, 3 \]/);
    assert.match(show.stdout, /learning curve \(4 rows/);
    const rep = await sweeplab(['reproduce', id, '--db', db]);
    assert.equal(rep.code, 0, rep.stdout + rep.stderr);
    assert.match(rep.stdout, /reproduced bit for bit .* all 4 epochs match/);
  });

  test('Ctrl-C marks the running trial interrupted and exits 130; the next run resumes it', async () => {
    const db = join(dir, 'sigint.db');
    const file = experiment('sigint', { epochs: 60 });
    const { child, done } = start(['run', file, '--db', db, '--workers', '1'], { TEST_DELAY_MS: '100' });
    await until(() => epochCount(db) >= 2, 'the first epoch rows');
    child.kill('SIGINT');
    const r = await done;
    assert.equal(r.code, 130, r.stderr);
    assert.match(r.stderr, /SIGINT: stopping/);
    const d = ro(db);
    const t = d.prepare('SELECT id, status, error FROM trials').get() as { id: string; status: string; error: string };
    assert.equal(t.status, 'interrupted');
    assert.match(t.error, /interrupted \(SIGINT\)/);
    const kept = epochCount(db, t.id);
    assert.ok(kept >= 2 && kept < 61, `kept ${kept}`);
    assert.equal(d.prepare('SELECT status FROM environment').pluck().get(), 'interrupted');
    d.close();
    await resumesToCompletion(db, file, 60);
  });

  test('kill -9 of the runner: the next run sees the dead owner and restarts the trial', async () => {
    const db = join(dir, 'kill9.db');
    const file = experiment('kill9', { epochs: 60 });
    const { child, done } = start(['run', file, '--db', db, '--workers', '1'], { TEST_DELAY_MS: '100' });
    await until(() => epochCount(db) >= 2, 'the first epoch rows');
    child.kill('SIGKILL');
    const r = await done;
    assert.equal(r.signal, 'SIGKILL');
    const d = ro(db);
    assert.equal(d.prepare('SELECT status FROM trials').pluck().get(), 'running');
    d.close();
    await resumesToCompletion(db, file, 60);
  });

  test('kill -9 of a runner its parent does not reap (a zombie): an immediate rerun finishes every trial exactly once', async () => {
    const db = join(dir, 'zombie.db');
    const file = experiment('zombie', { epochs: 12, lrs: [0.5, 1, 2] });
    const pidFile = join(dir, 'zombie.pid');
    // sh starts the runner in the background, writes its pid, then becomes `sleep`: the runner's parent never
    // waits for it, so after kill -9 it stays a zombie (state Z) until the sleep ends
    const cmd = `"${process.execPath}" "${SLOW_BIN}" run "${file}" --db "${db}" --workers 1 --no-diagnose >"${pidFile}.out" 2>&1 & ` +
      `echo $! >"${pidFile}"; exec sleep 300`;
    const parent = spawn('sh', ['-c', cmd], { env: { ...process.env, TEST_DELAY_MS: '60' }, stdio: 'ignore' });
    try {
      await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 'the runner\'s pid');
      const pid = Number(readFileSync(pidFile, 'utf8').trim());
      await until(() => epochCount(db) >= 16, 'the second trial to be under way');
      process.kill(pid, 'SIGKILL');
      await until(() => /\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), 'the killed runner to be a zombie', 5000);
      const ranFirst = [...readFileSync(`${pidFile}.out`, 'utf8').matchAll(/^trial ([0-9a-f]{16}) done/gm)].map((m) => m[1]);
      // at once, while the zombie is still there
      const again = await sweeplab(['run', file, '--db', db, '--workers', '1', '--no-diagnose']);
      assert.equal(again.code, 0, again.stderr);
      assert.ok(/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')), 'the zombie was still there during the rerun');
      const ranAgain = [...again.stdout.matchAll(/^trial ([0-9a-f]{16}) done/gm)].map((m) => m[1]);
      const d = ro(db);
      const ids = d.prepare('SELECT id FROM trials ORDER BY id').pluck().all() as string[];
      assert.equal(ids.length, 3);
      assert.deepEqual([...ranFirst, ...ranAgain].sort(), ids, `first run finished ${ranFirst.join(',')}; rerun ${ranAgain.join(',')}`);
      assert.deepEqual(d.prepare(`SELECT DISTINCT status FROM trials`).pluck().all(), ['done']);
      // no duplicate epochs: each trial has epochs 0..12 once, all from its final attempt
      assert.deepEqual(d.prepare('SELECT trial_id, count(*) AS n, count(DISTINCT epoch) AS e FROM epochs GROUP BY trial_id').all(),
        ids.map((id) => ({ trial_id: id, n: 13, e: 13 })));
      assert.equal(d.prepare('SELECT count(*) FROM epochs e JOIN trials t ON t.id = e.trial_id WHERE e.attempt <> t.attempt').pluck().get(), 0);
      assert.equal(d.prepare(`SELECT count(*) FROM trials WHERE attempt = 2`).pluck().get(), 1, 'the killed trial restarted once');
      d.close();
    } finally {
      parent.kill('SIGKILL'); // the sleep: the zombie goes to init, which reaps it
    }
  });

  test('on a terminal (a pty from script(1)): live bars per trial and for the sweep, every finished trial printed; Ctrl-C exits 130 with the cursor shown again', { skip: existsSync('/usr/bin/script') ? false : 'script(1) from util-linux is not installed' }, async () => {
    const file = experiment('tty', { epochs: 30, lrs: [0.5, 1] });
    /** `sweeplab run` in a 120x40 pty (exec: script's child IS the runner); the pty's output as one string */
    const inPty = (db: string) => {
      const cmd = `stty cols 120 rows 40; exec ${process.execPath} ${SLOW_BIN} run ${file} --db ${db} --workers 1 --no-diagnose`;
      const child = spawn('script', ['-qfec', cmd, '/dev/null'], { env: { ...process.env, TEST_DELAY_MS: '40' }, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      child.stdout!.on('data', (d) => { out += d; });
      const done = new Promise<number | null>((res) => child.on('close', (code) => res(code)));
      return { child, done, out: () => out };
    };
    const full = inPty(join(dir, 'tty.db'));
    assert.equal(await full.done, 0, full.out());
    const out = full.out();
    assert.ok(out.includes('\x1b[?25l') && out.endsWith('\n') && out.lastIndexOf('\x1b[?25h') > out.lastIndexOf('\x1b[?25l'), 'the cursor is hidden while drawing and shown again');
    assert.match(out, /[0-9a-f]{8} tty #0 \|[█░]+\| \d+\/30 cost \d/, 'a bar per running trial: epochs and cost');
    assert.match(out, /trials \|[█░]+\| 2\/2 running 0, failed 0/, 'the sweep bar ends at 2/2');
    assert.deepEqual([...out.matchAll(/trial [0-9a-f]{16} done {5}tty #(\d)/g)].map((m) => m[1]).sort(), ['0', '1'], 'each finished trial has its line');
    assert.match(out, /2 trial\(s\): 2 done, 0 diverged, 0 failed/);

    const db = join(dir, 'tty-sigint.db');
    const run = inPty(db);
    await until(() => / \d+\/30 cost /.test(run.out()), 'a trial bar on the pty');
    const runner = Number(readFileSync(`/proc/${run.child.pid}/task/${run.child.pid}/children`, 'utf8').trim().split(/\s+/)[0]);
    assert.ok(runner > 0 && readFileSync(`/proc/${runner}/cmdline`, 'utf8').includes('slow-bin'), 'the runner is script\'s child');
    process.kill(runner, 'SIGINT');
    assert.equal(await run.done, 130, run.out());
    const after = run.out().slice(run.out().lastIndexOf('\x1b[?25l'));
    assert.ok(after.includes('\x1b[?25h'), 'Ctrl-C leaves the terminal with its cursor shown');
    assert.match(run.out(), /SIGINT: stopping/);
  });

  test('two runs of one file on one database share the trials and never run one twice', async () => {
    const db = join(dir, 'concurrent.db');
    const file = experiment('concurrent', { epochs: 4, lrs: [0.5, 1, 2], seeds: [1, 2] });
    const env = { TEST_DELAY_MS: '30' };
    const [a, b] = await Promise.all([
      sweeplab(['run', file, '--db', db, '--workers', '1', '--no-diagnose'], env),
      sweeplab(['run', file, '--db', db, '--workers', '1', '--no-diagnose'], env),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const ran = (out: string) => [...out.matchAll(/^trial ([0-9a-f]{16}) (done|diverged|failed|interrupted)/gm)].map((m) => m[1]!);
    const ranA = ran(a.stdout);
    const ranB = ran(b.stdout);
    const d = ro(db);
    const ids = d.prepare('SELECT id FROM trials ORDER BY id').pluck().all() as string[];
    assert.equal(ids.length, 6);
    assert.deepEqual([...ranA, ...ranB].sort(), ids, `A ran ${ranA.join(',')}; B ran ${ranB.join(',')}`);
    assert.deepEqual(d.prepare(`SELECT DISTINCT status FROM trials`).pluck().all(), ['done']);
    assert.deepEqual(d.prepare('SELECT epoch, count(*) AS n FROM epochs GROUP BY epoch ORDER BY epoch').all(),
      [0, 1, 2, 3, 4].map((epoch) => ({ epoch, n: 6 })));
    d.close();
  });
});
