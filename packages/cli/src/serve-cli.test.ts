// `sweeplab serve` as users start it (the real bin in a child process): bad databases exit 2 with a clear line, a
// non-loopback bind prints a token that every request needs (or takes SWEEPLAB_TOKEN), Ctrl-C stops it with exit 0.
import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { Store } from '@sweeplab/store';
import { tempDir } from '@sweeplab/runner/testing';

const BIN = fileURLToPath(new URL('../bin/sweeplab.js', import.meta.url));
const dir = tempDir('sweeplab-serve-cli-');

function start(args: string[], env: Record<string, string> = {}): { child: ChildProcess; done: Promise<{ code: number | null; stdout: string; stderr: string }>; output: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d) => { stdout += d; });
  child.stderr?.on('data', (d) => { stderr += d; });
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.on('close', (code) => res({ code, stdout, stderr })));
  return { child, done, output: () => stdout };
}

async function banner(run: ReturnType<typeof start>): Promise<string> {
  while (!run.output().includes('Ctrl-C stops it.')) {
    if (run.child.exitCode !== null) throw new Error(`serve exited: ${run.output()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return run.output();
}

describe('sweeplab serve', () => {
  test('a missing, foreign or garbage database: exit 2 and one line saying what is wrong', async () => {
    const missing = await start(['serve', '--db', join(dir, 'nope.db'), '--port', '0']).done;
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^sweeplab: no results database at .*nope\.db: run `sweeplab run <file>` first, or pass --db <path>\n$/);
    const foreign = join(dir, 'foreign.db');
    const f = new Database(foreign);
    f.exec('CREATE TABLE notes (x)');
    f.close();
    const other = await start(['serve', '--db', foreign, '--port', '0']).done;
    assert.equal(other.code, 2);
    assert.match(other.stderr, /not a sweeplab database/);
    const junk = join(dir, 'junk.db');
    writeFileSync(junk, 'this is not sqlite at all, just text that is long enough to be a header of a file...'.repeat(20));
    const bad = await start(['serve', '--db', junk, '--port', '0']).done;
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /^sweeplab: .*junk\.db/);
    const port = await start(['serve', '--db', junk, '--port', 'x']).done;
    assert.equal(port.code, 2);
    assert.match(port.stderr, /--port must be a whole number/);
  });

  test('a non-loopback bind prints its token; requests without it get 401; Ctrl-C stops it with exit 0', async () => {
    const db = join(dir, 'results.db');
    Store.open(db).close();
    const run = start(['serve', '--db', db, '--port', '0', '--host', '0.0.0.0']);
    const text = await banner(run);
    const m = /http:\/\/127\.0\.0\.1:(\d+)\/\?token=([\w-]+)/.exec(text);
    assert.ok(m, text);
    assert.match(text, /every request needs the token/);
    const base = `http://127.0.0.1:${m[1]}/`;
    assert.equal((await fetch(`${base}api/experiments`)).status, 401);
    assert.equal((await fetch(`${base}api/experiments`, { headers: { Authorization: `Bearer ${m[2]}` } })).status, 200);
    run.child.kill('SIGINT');
    const end = await run.done;
    assert.equal(end.code, 0, end.stderr);
    assert.match(end.stderr, /SIGINT: stopping; closing the server/);
  });

  test('SWEEPLAB_TOKEN sets the token (on loopback too, where it is then required)', async () => {
    const db = join(dir, 'results.db');
    const run = start(['serve', '--db', db, '--port', '0'], { SWEEPLAB_TOKEN: 'from-the-env-123' });
    const text = await banner(run);
    const url = /(http:\/\/127\.0\.0\.1:\d+\/)\?token=from-the-env-123/.exec(text)?.[1];
    assert.ok(url, text);
    assert.equal((await fetch(`${url}api/experiments`)).status, 401);
    assert.equal((await fetch(`${url}api/experiments?token=from-the-env-123`)).status, 200);
    run.child.kill('SIGINT');
    assert.equal((await run.done).code, 0);
  });
});
