/**
 * `sweeplab serve [--db results/sweeplab.db] [--port 5178] [--host 127.0.0.1] [--open]`: the read-only live dashboard
 * of the results database (@sweeplab/serve), until Ctrl-C. Binding to anything but loopback needs a token: --token,
 * else env SWEEPLAB_TOKEN, else one generated and printed; every request must carry it (the printed link sets it).
 */
import { spawn } from 'node:child_process';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { openResults } from '@sweeplab/runner';
import { isLoopback, SERVE_DEFAULTS, startServer, type ServeHandle } from '@sweeplab/serve';
import { InputError, StoreError } from '@sweeplab/store';
import { act, dbOption, withSignals, type CliDeps } from '../context.js';
import { err, out } from '../errors.js';

export interface ServeCliOptions { db: string; port: number; host: string; token?: string; open?: boolean }

function portNumber(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('--port must be a whole number from 0 (any free port) to 65535');
  return n;
}

/** What the command prints once the server listens. */
export function serveBanner(h: Pick<ServeHandle, 'url' | 'openUrl' | 'token' | 'db' | 'host'>): string {
  const lines = [`sweeplab serve: ${h.db} (read-only), live at`, `  ${h.openUrl}`];
  if (h.token !== null) {
    lines.push(`every request needs the token ${h.token} (the link above sets it in the browser; or send Authorization: Bearer <token>)`);
  }
  if (!isLoopback(h.host)) lines.push(`listening on ${h.host}: anyone who can reach this address and has the token can read the results`);
  lines.push('Ctrl-C stops it.');
  return lines.join('\n') + '\n';
}

function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  const child = spawn(cmd, [url], { stdio: 'ignore', detached: true });
  child.on('error', () => err(`sweeplab: could not start ${cmd} to open the page; open ${url} yourself\n`));
  child.unref();
}

/** Starts the server after checking the database (upgrading an older schema like the other reading commands). */
export async function serve(o: ServeCliOptions): Promise<ServeHandle> {
  try {
    openResults(o.db).close();
  } catch (e) {
    if (e instanceof StoreError && (e.code === 'NOT_SWEEPLAB' || e.code === 'SCHEMA_TOO_NEW')) throw new InputError('BAD_OPTION', e.message);
    throw e;
  }
  const envToken = process.env.SWEEPLAB_TOKEN;
  const token = o.token !== undefined && o.token !== '' ? o.token : envToken !== undefined && envToken !== '' ? envToken : null;
  try {
    return await startServer({ db: o.db, port: o.port, host: o.host, token });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new InputError('BAD_OPTION', `port ${o.port} on ${o.host} is in use: pass --port <another> (or --port 0 for any free port)`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new InputError('BAD_OPTION', `--host ${o.host} is not an address of this machine`);
    throw e;
  }
}

export function register(program: Command, deps: CliDeps): void {
  program.command('serve')
    .description('serve a live dashboard of the results database in the browser (read-only; Ctrl-C stops it)')
    .addOption(dbOption())
    .addOption(new Option('--port <port>', 'port to listen on (0: any free port)').default(SERVE_DEFAULTS.port).argParser(portNumber))
    .addOption(new Option('--host <host>', 'address to listen on; anything but loopback requires a token').default(SERVE_DEFAULTS.host))
    .option('--token <token>', 'access token every request must carry (default: env SWEEPLAB_TOKEN; generated when --host is not loopback)')
    .option('--open', 'open the page in the default browser')
    .action(act(deps, async (o: ServeCliOptions) => {
      const handle = await serve(o);
      out(serveBanner(handle));
      if (o.open === true) openBrowser(handle.openUrl);
      await withSignals('closing the server', (signal) => new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })));
      await handle.close();
      return 0;
    }));
}
