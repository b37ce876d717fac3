// Hostile and careless input: a corpus of cases, each run as a real `sweeplab` child process with a time bound and a
// peak-memory bound (the process's VmHWM, sampled from /proc while it runs). Every class of the hardening issue has
// cases here: devices, FIFOs and sockets where a file is expected (also behind symlinks), oversized and bomb files
// (YAML, aliases, IDX headers, gzip, npz), huge sweeps, memory limits, name and view clashes, databases that are
// not ours, the query limits, and the smaller edges (empty keys, .nan, absolute extends, changed inputs).
import { strict as assert } from 'node:assert';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import Database from 'better-sqlite3';
import { zipSync } from 'fflate';
import { tempDir, writeTinyIdx } from '@sweeplab/runner/testing';

const BIN = fileURLToPath(new URL('../bin/sweeplab.js', import.meta.url));

interface Outcome { code: number | null; stdout: string; stderr: string; peakMb: number; seconds: number }

/** Peak resident memory of a process so far (VmHWM), MB; 0 once it is gone. */
function peakMb(pid: number): number {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m?.[1] ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Runs sweeplab with `args`; kills it after `timeoutMs` (a hang is a failure, reported as code null). */
function sweeplab(args: string[], timeoutMs = 30_000, cwd?: string): Promise<Outcome> {
  const t0 = process.hrtime.bigint();
  const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let peak = 0;
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  const sampler = setInterval(() => { peak = Math.max(peak, peakMb(child.pid ?? 0)); }, 20);
  const killer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res) => child.on('close', (code) => {
    clearInterval(sampler);
    clearTimeout(killer);
    res({ code, stdout, stderr, peakMb: peak, seconds: Number(process.hrtime.bigint() - t0) / 1e9 });
  }));
}

const dir = tempDir('sweeplab-hostile-');
writeTinyIdx(join(dir, 'data'));

/**
 * A tiny valid experiment file. `extra` lines are appended; a line whose key is one of the file's top-level keys
 * (`model: ...`, `train: ...`) replaces that key's line instead. `body` replaces the whole default text.
 */
function file(name: string, extra: string[] = [], body?: string[]): string {
  const f = join(dir, `${name}.yaml`);
  const lines = body ?? [
    `name: ${name}`,
    'data: { dataset: idx, path: ./data, train: 60, test: 30 }',
    'model: { layers: [16, 8, 3], activation: sigmoid, output: softmax, loss: cross-entropy, init: xavier }',
    'train: { optimizer: sgd, batch: 10, lr: 0.5, epochs: 2, seed: 1 }',
    'gradcheck: false',
  ];
  const keyOf = (l: string) => /^([a-z]+):/.exec(l)?.[1];
  const replaced = new Set(extra.map(keyOf).filter((k) => k !== undefined && lines.some((l) => keyOf(l) === k)));
  writeFileSync(f, [...lines.filter((l) => !replaced.has(keyOf(l) ?? '')), ...extra, ''].join('\n'));
  return f;
}

const fifo = (path: string) => {
  execFileSync('mkfifo', [path]);
  return path;
};

/** Bad input: exit 2, one located message matching `re`, within the time and memory bounds. */
async function refused(args: string[], re: RegExp, bounds: { seconds?: number; mb?: number } = {}): Promise<Outcome> {
  const o = await sweeplab(args, (bounds.seconds ?? 20) * 1000);
  assert.notEqual(o.code, null, `timed out after ${o.seconds.toFixed(1)} s: ${args.join(' ')}`);
  assert.equal(o.code, 2, `${args.join(' ')}: exit ${o.code}\n${o.stderr}`);
  assert.match(o.stderr, re);
  assert.ok(o.peakMb < (bounds.mb ?? 400), `${args.join(' ')}: peak ${o.peakMb.toFixed(0)} MB`);
  return o;
}

describe('hostile input: files that are not files', () => {
  test('extends: /dev/zero, a FIFO, a socket-like path: refused by kind, no hang, no memory growth', async () => {
    await refused(['validate', file('ext-zero', ['extends: /dev/zero'])], /\/dev\/zero.*character device/);
    symlinkSync('/dev/zero', join(dir, 'zero-link.yaml'));
    await refused(['validate', file('ext-link', ['extends: ./zero-link.yaml'])], /zero-link\.yaml.*character device/);
    fifo(join(dir, 'pipe.yaml'));
    await refused(['validate', file('ext-fifo', ['extends: ./pipe.yaml'])], /pipe\.yaml.*FIFO/);
  });

  test('the experiment file itself a FIFO or a device', async () => {
    await refused(['validate', fifo(join(dir, 'itself.yaml'))], /itself\.yaml.*FIFO/);
    await refused(['run', '/dev/zero', '--db', join(dir, 'x.db')], /\/dev\/zero.*character device/);
    assert.equal(existsSync(join(dir, 'x.db')), false);
  });

  test('init weights: /dev/zero behind an .npz name, a FIFO directory entry', async () => {
    symlinkSync('/dev/zero', join(dir, 'w.npz'));
    await refused(['validate', file('init-zero', ['model: { layers: [16, 8, 3], init: { npy: ./w.npz } }'])], /w\.npz.*character device/);
    mkdirSync(join(dir, 'wdir'));
    fifo(join(dir, 'wdir', 'W1.npy'));
    writeFileSync(join(dir, 'wdir', 'W2.npy'), 'x');
    await refused(['validate', file('init-fifo', ['model: { layers: [16, 8, 3], init: { npy: ./wdir } }'])], /W1\.npy.*FIFO/);
  });

  test('IDX data: a .gz name on /dev/zero, a FIFO, and a --db that is a device', async () => {
    const d = join(dir, 'data-zero');
    writeTinyIdx(d);
    execFileSync('rm', [join(d, 'train-images-idx3-ubyte')]);
    symlinkSync('/dev/zero', join(d, 'train-images-idx3-ubyte.gz'));
    await refused(['validate', file('data-zero', [], [
      'name: data-zero', 'data: { dataset: idx, path: ./data-zero, train: 60, test: 30 }', 'model: { layers: [16, 8, 3] }', 'gradcheck: false',
    ])], /train-images-idx3-ubyte\.gz.*character device/);
    const p = join(dir, 'data-fifo');
    writeTinyIdx(p);
    execFileSync('rm', [join(p, 't10k-labels-idx1-ubyte')]);
    fifo(join(p, 't10k-labels-idx1-ubyte'));
    await refused(['validate', file('data-fifo', [], [
      'name: data-fifo', 'data: { dataset: idx, path: ./data-fifo, train: 60, test: 30 }', 'model: { layers: [16, 8, 3] }', 'gradcheck: false',
    ])], /t10k-labels-idx1-ubyte.*FIFO/);
    await refused(['query', 'SELECT 1', '--db', '/dev/zero'], /\/dev\/zero: is a character device/);
    await refused(['run', file('db-fifo'), '--db', fifo(join(dir, 'db.fifo'))], /db\.fifo: is a FIFO/);
  });
});

describe('hostile input: bombs and oversized files', () => {
  test('a gzip bomb of IDX data stops at the size its header declares', async () => {
    const d = join(dir, 'data-bomb');
    writeTinyIdx(d);
    execFileSync('rm', [join(d, 'train-labels-idx1-ubyte')]);
    // a valid 60-label header, then 1 GiB of zeros: about 1 MB compressed
    const header = Buffer.from([0, 0, 8, 1, 0, 0, 0, 60]);
    const z = gzipSync(Buffer.concat([header, Buffer.alloc(1 << 30)]), { level: 9 });
    writeFileSync(join(d, 'train-labels-idx1-ubyte.gz'), z);
    const o = await refused(['run', file('bomb', [], [
      'name: bomb', 'data: { dataset: idx, path: ./data-bomb, train: 60, test: 30 }', 'model: { layers: [16, 8, 3] }', 'gradcheck: false',
    ]), '--db', join(dir, 'bomb.db')], /inflates to more than the 68 bytes its IDX header declares/);
    assert.ok(o.peakMb < 400, `peak ${o.peakMb} MB`);
  });

  test('an IDX header declaring terabytes is refused from the header', async () => {
    const d = join(dir, 'data-dims');
    writeTinyIdx(d);
    const h = Buffer.from([0, 0, 8, 3, 0xff, 0xff, 0xff, 0xff, 0, 0, 0x10, 0, 0, 0, 0x10, 0]);
    writeFileSync(join(d, 'train-images-idx3-ubyte'), Buffer.concat([h, Buffer.alloc(100)]));
    await refused(['validate', file('dims', [], [
      'name: dims', 'data: { dataset: idx, path: ./data-dims, train: 60, test: 30 }', 'model: { layers: [16, 8, 3] }', 'gradcheck: false',
    ])], /declare \d+ bytes, more than the 256 MiB sweeplab reads/);
  });

  test('an .npz whose entry declares far more than its layer holds is never inflated', async () => {
    // a zip of W1 (a deflated megabyte of zeros declaring ~1 MiB) for a 16-8-3 net (W1 holds 17x8 doubles)
    const w = zipSync({ 'W1.npy': new Uint8Array(1 << 20), 'W2.npy': new Uint8Array(10) }, { level: 9 });
    writeFileSync(join(dir, 'big.npz'), w);
    await refused(['validate', file('npz-bomb', ['model: { layers: [16, 8, 3], init: { npy: ./big.npz } }'])],
      /big\.npz\[W1\]: the archive entry declares 1048576 bytes, more than layer 1 of this model can hold/);
  });

  test('a YAML file over 1 MiB, and one whose aliases expand a big list 900 times', async () => {
    const big = join(dir, 'big.yaml');
    writeFileSync(big, `name: big\n# ${'x'.repeat(2 * 1024 * 1024)}\n`);
    await refused(['validate', big], /big\.yaml.*larger than the 1\.00 MiB|big\.yaml.*MiB, larger than/);
    const list = `[${Array.from({ length: 100_000 }, () => '1').join(',')}]`;
    const laughs = join(dir, 'laughs.yaml');
    writeFileSync(laughs, `name: laughs\nbase: &a ${list}\nrefs: [${Array.from({ length: 900 }, () => '*a').join(', ')}]\n`);
    await refused(['validate', laughs], /expands to more than 1,000,000 values once its aliases/, { mb: 300 });
  });

  test('100,000 errors: reported in linear time, a screenful printed with "and N more"', async () => {
    const f = join(dir, 'errors.yaml');
    writeFileSync(f, `name: errors\ndata: { dataset: idx, path: ./data, train: 60, test: 30 }\nmodel: { layers: [16, 8, 3] }\nsweep:\n  grid:\n    train.lr: [${Array.from({ length: 100_000 }, () => '-1').join(', ')}]\n`);
    const o = await refused(['validate', f], /and 99970 more problems in .*errors\.yaml/, { seconds: 30 });
    assert.ok(o.stderr.trim().split('\n').length <= 31, `${o.stderr.split('\n').length} lines`);
  });
});

describe('hostile input: sweeps and memory', () => {
  test('a 10^7 grid is refused by counting, by validate, plan and run, naming the count and the axes', async () => {
    const values = '[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]';
    const f = file('huge-grid', ['sweep:', '  grid:', `    train.lr: ${values}`, `    train.epochs: ${values}`, `    train.batch: ${values}`,
      `    train.l2: ${values}`, `    train.momentum: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95]`, `    train.seed: ${values}`, `    model.layers: [${Array.from({ length: 10 }, (_, i) => `[16, ${i + 2}, 3]`).join(', ')}]`]);
    for (const cmd of ['validate', 'plan', 'run']) {
      const o = await refused([cmd, f, ...(cmd === 'validate' ? [] : ['--db', join(dir, 'grid.db')])],
        /expands to 10,000,000 trials \(train\.lr: 10 × train\.epochs: 10 × .* × model\.layers: 10\), more than the limit of 100,000: .* --max-trials 10000000/, { seconds: 10, mb: 300 });
      assert.ok(o.seconds < 10, `${cmd} took ${o.seconds} s`);
    }
    assert.equal(existsSync(join(dir, 'grid.db')), false);
    await refused(['validate', file('samples', ['sweep: { random: { samples: 1000000000, params: { train.lr: { loguniform: [0.001, 1] } } } }'])], /samples must be <= 100000/);
  });

  test('--max-memory: a 20-million-parameter trial is refused with its estimate, the small one trains', async () => {
    const f = file('memory', ['sweep:', '  grid:', '    model.layers: [[16, 5000, 3000, 3], [16, 8, 3]]']);
    const o = await sweeplab(['run', f, '--db', join(dir, 'mem.db'), '--max-memory', '100', '--no-diagnose']);
    assert.equal(o.code, 1, o.stderr);
    assert.match(o.stdout, /failed .*needs about \d+ MB \(data \d+, weights, gradients and optimizer state \d+, .*\) but --max-memory is 100 MB per worker/);
    assert.match(o.stdout, /1 done, 0 diverged, 1 failed/);
  });

  test('--max-memory too small for a worker thread itself: the run stops with a clear message, never idles', async () => {
    const o = await sweeplab(['run', file('tiny-mem'), '--db', join(dir, 'tiny-mem.db'), '--max-memory', '2', '--no-diagnose'], 30_000);
    assert.notEqual(o.code, null, 'the run hung');
    assert.equal(o.code, 1, o.stderr);
    assert.match(o.stderr, /the run stopped: a worker thread could not start or stay up .*--max-memory 2 MB is too small for a worker thread itself/);
  });
});

describe('hostile input: names, databases and edges', () => {
  test('names whose SQL views collide, and names too long', async () => {
    const a = file('lr-sweep');
    const b = file('lr_sweep');
    await refused(['validate', a, b], /"lr_sweep" and "lr-sweep" .* give the same SQL view trials_lr_sweep/);
    const db = join(dir, 'views.db');
    assert.equal((await sweeplab(['run', a, '--db', db, '--no-diagnose'])).code, 0);
    await refused(['run', b, '--db', db], /"lr_sweep" gives the SQL view trials_lr_sweep, which experiment "lr-sweep" .* already has/);
    await refused(['validate', file('long', [], [`name: ${'n'.repeat(65)}`, 'data: { dataset: idx, path: ./data, train: 60, test: 30 }', 'model: { layers: [16, 8, 3] }'])], /name must be at most 64 characters/);
  });

  test('a --db that is not SQLite, or another program\'s database: exit 2 naming it, and it is not changed', async () => {
    const text = join(dir, 'notes.db');
    writeFileSync(text, 'just some notes, not a database at all');
    await refused(['run', file('dbtext'), '--db', text], /notes\.db: not a SQLite database/);
    assert.equal(readFileSync(text, 'utf8'), 'just some notes, not a database at all');
    const theirs = join(dir, 'theirs.db');
    const d = new Database(theirs);
    d.exec('CREATE TABLE t (x)');
    d.close();
    await refused(['run', file('dbtheirs'), '--db', theirs], /theirs\.db: not a sweeplab database/);
    const check = new Database(theirs, { readonly: true });
    assert.equal(check.pragma('journal_mode', { simple: true }), 'delete', 'switched to WAL before refusing');
    check.close();
  });

  test('query: a row cap that says how many rows were left out, and a time limit', async () => {
    const db = join(dir, 'q.db');
    assert.equal((await sweeplab(['run', file('q', ['sweep: { seeds: [1, 2, 3] }']), '--db', db, '--no-diagnose'])).code, 0);
    const capped = await sweeplab(['query', 'SELECT * FROM epochs', '--db', db, '--limit', '2', '--format', 'csv']);
    assert.equal(capped.code, 0);
    assert.equal(capped.stdout.trim().split('\r\n').length, 3);
    assert.match(capped.stderr, /2 of 9 rows shown \(--limit 2\): 7 left out/);
    const slow = await sweeplab(['query', 'WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c', '--db', db, '--timeout', '1'], 20_000);
    assert.equal(slow.code, 1, slow.stderr);
    assert.match(slow.stderr, /query stopped after 1 s \(--timeout 1\)/);
    assert.ok(slow.seconds < 10);
    await refused(['query', "ATTACH 'x.db' AS x", '--db', db], /refused|read-only/);
  });

  test('empty unknown keys, .nan and .inf, an absolute extends', async () => {
    await refused(['validate', file('empty-key', ['trian:'])], /empty-key\.yaml:6:1: unknown key "trian" at the top level: did you mean "train"\?/);
    await refused(['validate', file('nan', ['train: { lr: .nan, epochs: .inf }'])], /train\.lr must be a number > 0, got \.nan \(not a number\)[\s\S]*got \.inf/);
    const base = file('abs-base');
    mkdirSync(join(dir, 'elsewhere'), { recursive: true });
    const child = join(dir, 'elsewhere', 'abs-child.yaml');
    writeFileSync(child, `name: abs-child\nextends: ${base}\ntrain: { lr: -1 }\n`);
    const o = await refused(['validate', child], /abs-child\.yaml:3:\d+: train\.lr must be > 0, got -1/);
    assert.doesNotMatch(o.stderr, /elsewhere\/.*\/tmp/, 'the absolute path shown as written');
  });

  test('report: a hand-edited name never leaves the reports folder; a failed write leaves no temporary file', async () => {
    const db = join(dir, 'rep.db');
    const f = file('rep');
    assert.equal((await sweeplab(['run', f, '--db', db, '--no-diagnose'])).code, 0);
    const w = new Database(db);
    w.pragma('foreign_keys = OFF');
    w.prepare(`UPDATE experiments SET name = '../../escape' WHERE name = 'rep'`).run();
    w.prepare(`UPDATE experiment_trials SET experiment = '../../escape' WHERE experiment = 'rep'`).run();
    w.close();
    const o = await sweeplab(['report', '../../escape', '--db', db], 30_000, dir);
    assert.equal(o.code, 0, o.stderr);
    const folders = readdirSync(join(dir, 'results', 'reports'));
    assert.equal(folders.length, 1, folders.join(', '));
    assert.ok(existsSync(join(dir, 'results', 'reports', folders[0] ?? '', 'index.html')), o.stdout);
    assert.equal(existsSync(join(dir, '..', 'escape')), false);
    const out = join(dir, 'blocked');
    mkdirSync(join(out, 'index.html'), { recursive: true }); // the report's file name is taken by a directory
    const bad = await sweeplab(['report', '../../escape', '--db', db, '--out', out], 30_000, dir);
    assert.equal(bad.code, 1);
    assert.deepEqual(readdirSync(out).filter((n) => n.endsWith('.tmp')), []);
  });
});
