import type { INestApplication } from '@nestjs/common';
import { loadConfig, platformEnv } from '@platform/config';
import { authSecret, AuthKeySettings } from '../src/key';
import { Role, ROLES } from '../src/principal';
import { issueToken } from '../src/token';

/** A bearer token for `role`, signed with the key the services resolve from the same config. */
export function tokenFor(
  config: AuthKeySettings,
  role: Role,
  o: { subject?: string; account?: string; ttlSeconds?: number } = {},
): Promise<string> {
  return issueToken(authSecret(config), {
    subject: o.subject ?? `test-${role}`,
    roles: [role],
    account: o.account,
    ttlSeconds: o.ttlSeconds ?? 3600,
  });
}

/** `{ authorization: 'Bearer …' }` for fetch headers. */
export async function bearer(
  config: AuthKeySettings,
  role: Role,
  o: { subject?: string; account?: string } = {},
): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await tokenFor(config, role, o)}` };
}

export interface RegisteredRoute {
  method: string;
  /** As registered, e.g. `/passes/campaigns/:id/pause`. */
  path: string;
}

interface ExpressLayer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
}

/** Every route the app's HTTP server actually serves (the Express router stack Nest filled). */
export function registeredRoutes(app: INestApplication): RegisteredRoute[] {
  const express = app.getHttpAdapter().getInstance() as { router?: { stack: ExpressLayer[] }; _router?: { stack: ExpressLayer[] } };
  const stack = (express.router ?? express._router)?.stack ?? [];
  const out: RegisteredRoute[] = [];
  for (const layer of stack) {
    if (!layer.route) continue;
    for (const path of [layer.route.path].flat()) {
      // Middleware mounted for every path (request logging) shows up as a wildcard route: not an endpoint.
      if (path.includes('*')) continue;
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on && method !== '_all') out.push({ method: method.toUpperCase(), path });
    }
  }
  return out;
}

export interface RouteProbe extends RegisteredRoute {
  /** Status without credentials. */
  anonymous: number;
  /** Status with a valid token of each role alone. */
  byRole: Record<Role, number>;
}

/**
 * Calls every registered route once without a token and once per role (path parameters filled
 * with placeholders, an empty JSON body), and reports the status codes. A route that lets a role
 * through answers whatever its handler answers to a placeholder (400, 404, 200...).
 */
export async function probeRoutes(app: INestApplication, baseUrl: string, config: AuthKeySettings): Promise<RouteProbe[]> {
  const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await tokenFor(config, r)] as const))) as Record<
    Role,
    string
  >;
  const probes: RouteProbe[] = [];
  for (const route of registeredRoutes(app)) {
    const url = baseUrl + route.path.replace(/:(\w+)/g, (_, name: string) => `probe-${name}`);
    const call = async (token?: string) => {
      const res = await fetch(url, {
        method: route.method,
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: route.method === 'GET' || route.method === 'HEAD' ? undefined : '{}',
      });
      await res.arrayBuffer();
      return res.status;
    };
    const byRole = {} as Record<Role, number>;
    for (const r of ROLES) byRole[r] = await call(tokens[r]);
    probes.push({ ...route, anonymous: await call(), byRole });
  }
  return probes;
}

/** `GET /passes/status`: a route as the specs name it. */
export const routeName = (r: RegisteredRoute): string => `${r.method} ${r.path}`;

/** Routes anyone may call: the health checks (orchestrators probe them without credentials). */
export const isOpenRoute = (r: RegisteredRoute): boolean => r.path.startsWith('/health/');

/**
 * What breaks the guard's promise in a probe, one line each (none: kept): each of `known` was
 * registered (so the router really was read); an open route lets the unauthenticated in; every
 * other route answers 401 without a token, refuses some role (403) and lets some role through.
 */
export function guardBreaches(probes: RouteProbe[], known: string[]): string[] {
  const names = probes.map(routeName);
  const breaches = known.filter((k) => !names.includes(k)).map((k) => `${k}: not registered`);
  for (const p of probes) {
    const where = routeName(p);
    if (isOpenRoute(p)) {
      if (p.anonymous === 401) breaches.push(`${where}: an open route answers 401 without a token`);
      continue;
    }
    if (p.anonymous !== 401) breaches.push(`${where}: answers ${p.anonymous} without a token, not 401`);
    const byRole = Object.values(p.byRole);
    if (!byRole.includes(403)) breaches.push(`${where}: refuses no role (403)`);
    if (!byRole.some((s) => s !== 401 && s !== 403)) breaches.push(`${where}: lets no role through`);
  }
  return breaches;
}

/** The key settings a child process started with this process's environment resolves (spawned services). */
export const inheritedAuthSettings = (): AuthKeySettings =>
  loadConfig(platformEnv.pick({ NODE_ENV: true, AUTH_JWT_SECRET: true, AUTH_JWT_SECRET_FILE: true }));
