/**
 * The files the pages load, all from this package and its dependencies (no CDN): the stylesheet, the compiled
 * browser modules (dist/client), and vega's browser build with the CSP-safe expression interpreter (vega-interpreter
 * over vega-util's ES modules). The table is built once at start from fixed names and directory listings; a request
 * is a lookup in it, never a path joined from the URL, so nothing outside it can be served.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface Asset { body: Buffer; type: string; etag: string }

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.map': 'application/json; charset=utf-8',
};

function asset(body: Buffer | string, name: string): Asset {
  const buf = typeof body === 'string' ? Buffer.from(body) : body;
  const ext = name.slice(name.lastIndexOf('.'));
  return { body: buf, type: TYPES[ext] ?? 'application/octet-stream', etag: `"${createHash('sha1').update(buf).digest('base64url')}"` };
}

const dirOf = (specifier: string) => dirname(fileURLToPath(import.meta.resolve(specifier)));

export function loadAssets(): Map<string, Asset> {
  const table = new Map<string, Asset>();
  const pkg = fileURLToPath(new URL('../', import.meta.url));
  table.set('/assets/style.css', asset(readFileSync(join(pkg, 'assets', 'style.css')), 'style.css'));
  const client = fileURLToPath(new URL('./client/', import.meta.url));
  for (const f of readdirSync(client)) if (f.endsWith('.js')) table.set(`/assets/client/${f}`, asset(readFileSync(join(client, f)), f));
  table.set('/assets/vendor/vega.min.js', asset(readFileSync(join(dirOf('vega'), 'vega.min.js')), 'vega.min.js'));
  const interpreter = readFileSync(fileURLToPath(import.meta.resolve('vega-interpreter')), 'utf8')
    .replace(/from 'vega-util'/g, "from './vega-util/index.js'").replace(/\/\/# sourceMappingURL=.*$/m, '');
  table.set('/assets/vendor/vega-interpreter.js', asset(interpreter, 'vega-interpreter.js'));
  table.set('/assets/vendor/vega-expr.js', asset(
    "import { expressionInterpreter } from './vega-interpreter.js';\nglobalThis.vegaExpressionInterpreter = expressionInterpreter;\n", 'vega-expr.js'));
  const util = dirOf('vega-util');
  for (const f of readdirSync(util)) {
    if (f.endsWith('.js')) table.set(`/assets/vendor/vega-util/${f}`, asset(readFileSync(join(util, f), 'utf8').replace(/\/\/# sourceMappingURL=.*$/m, ''), f));
  }
  return table;
}
