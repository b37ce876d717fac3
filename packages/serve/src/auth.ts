/**
 * Who may read: on a loopback address, anyone on this machine (and only through a loopback Host name, so a web page
 * elsewhere cannot reach the server by DNS rebinding); on any other address, only requests that carry the token,
 * as the `sweeplab_token` cookie (set from a `?token=` link), a `token` query parameter or `Authorization: Bearer`.
 * A token given on a loopback address is required there too.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'sweeplab_token';

/** 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

export function newToken(): string {
  return randomBytes(18).toString('base64url');
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function cookieValue(req: IncomingMessage, name: string): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) {
      try {
        return decodeURIComponent(part.slice(i + 1).trim());
      } catch {
        return null;
      }
    }
  }
  return null;
}

export type GateResult =
  | { ok: true; setCookie: boolean }
  | { ok: false; status: 401 | 403; message: string };

export class Gate {
  constructor(readonly token: string | null, private readonly loopback: boolean) {}

  check(req: IncomingMessage, url: URL): GateResult {
    if (this.token === null) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '');
      if (this.loopback && !isLoopback(host)) {
        return { ok: false, status: 403, message: `this server answers only to a loopback address (localhost, 127.0.0.1), not to "${host}"` };
      }
      return { ok: true, setCookie: false };
    }
    const fromQuery = url.searchParams.get('token');
    if (fromQuery !== null && sameToken(fromQuery, this.token)) return { ok: true, setCookie: true };
    const cookie = cookieValue(req, TOKEN_COOKIE);
    if (cookie !== null && sameToken(cookie, this.token)) return { ok: true, setCookie: false };
    const auth = req.headers.authorization ?? '';
    if (auth.startsWith('Bearer ') && sameToken(auth.slice(7).trim(), this.token)) return { ok: true, setCookie: false };
    return {
      ok: false, status: 401,
      message: 'this sweeplab serve needs its token: open the link that `sweeplab serve` printed (…/?token=…), or send Authorization: Bearer <token>',
    };
  }

  cookie(): string {
    return `${TOKEN_COOKIE}=${encodeURIComponent(this.token ?? '')}; Path=/; HttpOnly; SameSite=Strict`;
  }
}
