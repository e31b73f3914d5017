// The console's login: a person pastes their token (ops or reader, `.local/credentials/*.token`
// locally); the console verifies it with libs/auth and keeps it in an httpOnly, SameSite=Strict
// cookie. Every /api request then carries it as the bearer token, so the platform's AuthGuard and
// @Roles decide as on any service. Pages and assets are plain files served before Nest's routes.
import fs from 'node:fs';
import path from 'node:path';
import type { INestApplication } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { InvalidToken, Principal, verifyToken } from '@platform/auth';

export const SESSION_COOKIE = 'hp_console';
/** Mutating /api calls made with the cookie must carry this header: a cross-site form cannot set it. */
export const CSRF_HEADER = 'x-ops-console';

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const CONSOLE_ROLES = ['ops', 'reader'] as const;

export function sessionToken(req: Request): string | null {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) {
      const value = decodeURIComponent(v.join('='));
      return JWT.test(value) ? value : null;
    }
  }
  return null;
}

/** The verified person behind a session cookie, if it holds a valid ops or reader token. */
export async function sessionPrincipal(secret: Uint8Array, req: Request): Promise<Principal | null> {
  const token = sessionToken(req);
  if (!token) return null;
  try {
    const p = await verifyToken(secret, token);
    return p.roles.some((r) => (CONSOLE_ROLES as readonly string[]).includes(r)) ? p : null;
  } catch (e) {
    if (e instanceof InvalidToken) return null;
    throw e;
  }
}

async function readForm(req: Request, limit = 16_384): Promise<Record<string, string>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new Error('body too large');
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if ((req.headers['content-type'] ?? '').includes('application/json')) return JSON.parse(text) as Record<string, string>;
  return Object.fromEntries(new URLSearchParams(text));
}

export interface SessionOptions {
  secret: Uint8Array;
  staticDir: string;
  secureCookie: boolean;
}

/** Chart.js's UMD build from node_modules: served by the console itself, no CDN at run time. */
export function chartJsFile(): string {
  return path.join(path.dirname(require.resolve('chart.js')), 'chart.umd.min.js');
}

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cache-control': 'no-store',
};

/** Installs login, logout, the pages and the cookie-to-bearer step on the Express instance (before Nest's routes). */
export function installSession(app: INestApplication, o: SessionOptions): void {
  const log = new Logger('ConsoleSession');
  const page = (name: string) => path.join(o.staticDir, name);
  for (const f of ['index.html', 'login.html', 'console.js', 'console.css']) {
    if (!fs.existsSync(page(f))) throw new Error(`ops console front end missing: ${page(f)} (CONSOLE_STATIC_DIR)`);
  }
  const chart = chartJsFile();
  const send = (res: Response, file: string, type: string) => {
    for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
    // root + name: express refuses a path with a dot segment (dotfiles 'ignore') anywhere in it,
    // and the build the console runs from locally lies under .local/build
    res.type(type).sendFile(path.basename(file), { root: path.dirname(file) });
  };
  const cookie = (value: string, maxAge?: number) =>
    [
      `${SESSION_COOKIE}=${value}`,
      'Path=/',
      'HttpOnly',
      'SameSite=Strict',
      ...(o.secureCookie ? ['Secure'] : []),
      ...(maxAge !== undefined ? [`Max-Age=${maxAge}`] : []),
    ].join('; ');

  app.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      if (req.method === 'GET' && (req.path === '/' || req.path === '/index.html')) {
        if (!(await sessionPrincipal(o.secret, req))) return res.redirect(303, '/login');
        return send(res, page('index.html'), 'html');
      }
      if (req.method === 'GET' && req.path === '/login') return send(res, page('login.html'), 'html');
      if (req.method === 'GET' && req.path === '/favicon.ico') return res.status(204).end();
      if (req.method === 'GET' && req.path === '/assets/console.js') return send(res, page('console.js'), 'application/javascript');
      if (req.method === 'GET' && req.path === '/assets/console.css') return send(res, page('console.css'), 'text/css');
      if (req.method === 'GET' && req.path === '/assets/chart.umd.min.js') return send(res, chart, 'application/javascript');
      if (req.method === 'POST' && req.path === '/login') {
        let token = '';
        try {
          token = String((await readForm(req)).token ?? '').trim();
        } catch {
          return res.redirect(303, '/login?error=malformed');
        }
        let principal: Principal | null = null;
        try {
          principal = JWT.test(token) ? await verifyToken(o.secret, token) : null;
        } catch (e) {
          if (!(e instanceof InvalidToken)) throw e;
        }
        if (!principal) {
          log.warn(`login refused from ${req.socket.remoteAddress ?? '?'}: invalid token`);
          return res.redirect(303, '/login?error=invalid');
        }
        if (!principal.roles.some((r) => (CONSOLE_ROLES as readonly string[]).includes(r))) {
          log.warn(`login refused for ${principal.subject}: roles ${principal.roles.join(',')}`);
          return res.redirect(303, '/login?error=role');
        }
        log.log(`login ${principal.subject} (${principal.roles.join(',')}) from ${req.socket.remoteAddress ?? '?'}`);
        res.setHeader('set-cookie', cookie(token));
        return res.redirect(303, '/');
      }
      if (req.method === 'POST' && req.path === '/logout') {
        res.setHeader('set-cookie', cookie('', 0));
        return res.redirect(303, '/login');
      }
      // The API: a cookie stands for the bearer token (an explicit Authorization header wins).
      if (req.path.startsWith('/api/') && !req.headers.authorization) {
        const token = sessionToken(req);
        if (token) {
          if (req.method !== 'GET' && req.method !== 'HEAD' && req.headers[CSRF_HEADER] !== '1')
            return res.status(403).json({ error: 'MISSING_CONSOLE_HEADER', detail: `${CSRF_HEADER}: 1 is required` });
          req.headers.authorization = `Bearer ${token}`;
        }
      }
      return next();
    } catch (e) {
      return next(e);
    }
  });
}
