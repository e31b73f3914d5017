import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { INestApplication } from '@nestjs/common';
import { guardBreaches, isOpenRoute, probeRoutes, routeName, tokenFor } from '@platform/auth/testing';
import { createTestTopics, deleteTestTopics, testInfra, uniqueSuffix, waitFor } from '@platform/testing';
import { createOpsConsoleApp, defaultStaticDir } from '../src/app';
import { ConsoleConfig, loadConsoleConfig } from '../src/config';

jest.setTimeout(120_000);

/**
 * The console's front door on the real app (no platform behind it: every source is unreachable,
 * which the console must report, not fail on): pages and sign-in, the cookie standing for the
 * bearer token, the header a cookie-borne change needs, and every /api route behind the platform's
 * guard with reader-or-ops reads and ops-only actions.
 */
describe('ops console sign-in and routes', () => {
  const { brokers } = testInfra();
  const closed = 'http://127.0.0.1:9'; // discard port: nothing answers
  let prefix = '';
  let config: ConsoleConfig;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    prefix = await createTestTopics('console-auth', brokers);
    const sfx = uniqueSuffix();
    config = loadConsoleConfig({
      NODE_ENV: 'test',
      HTTP_RATE_LIMIT_PER_MINUTE: '0',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      CLAIMS_URL: closed,
      EMOTICONS_URL: closed,
      COUPONS_URL: closed,
      PASSES_URL: closed,
      RELIEF_URL: closed,
      TALK_CHANNEL_URL: closed,
      CLAIMS_DB: `test_console_none_${sfx}`,
      EMOTICONS_DB: `test_console_none_${sfx}`,
      COUPONS_DB: `test_console_none_${sfx}`,
      PASSES_DB: `test_console_none_${sfx}`,
      RELIEF_DB: `test_console_none_${sfx}`,
      SAMPLE_INTERVAL_MS: '1000',
      LOG_LEVEL: 'error',
    });
    app = await createOpsConsoleApp(config);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
    if (prefix) await deleteTestTopics(prefix, brokers).catch(() => undefined);
  });

  const login = (token: string) =>
    fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token }).toString(),
      redirect: 'manual',
    });

  it('sends a visitor without a session to the sign-in page, refuses bad tokens and wrong roles, and sets an httpOnly strict cookie', async () => {
    const page = await fetch(`${url}/`, { redirect: 'manual' });
    expect([page.status, page.headers.get('location')]).toEqual([303, '/login']);
    const loginPage = await fetch(`${url}/login`);
    expect(loginPage.status).toBe(200);
    expect(loginPage.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await loginPage.text()).toContain('name="token"');

    const forged = await tokenFor({ NODE_ENV: 'test', AUTH_JWT_SECRET: 'an-attacker-key-that-is-long-enough-xx' }, 'ops');
    for (const bad of ['', 'not-a-token', forged, await tokenFor(config, 'ops', { ttlSeconds: -120 })]) {
      const r = await login(bad);
      expect([r.status, r.headers.get('location'), r.headers.get('set-cookie')]).toEqual([303, '/login?error=invalid', null]);
    }
    const wrongRole = await login(await tokenFor(config, 'app-backend'));
    expect([wrongRole.status, wrongRole.headers.get('location'), wrongRole.headers.get('set-cookie')]).toEqual([
      303,
      '/login?error=role',
      null,
    ]);

    const reader = await tokenFor(config, 'reader', { subject: 'oncall-lee' });
    const ok = await login(reader);
    expect([ok.status, ok.headers.get('location')]).toEqual([303, '/']);
    expect(ok.headers.get('set-cookie')).toBe(`hp_console=${reader}; Path=/; HttpOnly; SameSite=Strict`);
    const withCookie = await fetch(`${url}/`, { headers: { cookie: `hp_console=${reader}` } });
    expect(withCookie.status).toBe(200);
    expect(withCookie.headers.get('x-frame-options')).toBe('DENY');
    expect(await withCookie.text()).toContain('/assets/chart.umd.min.js');
    const me = await fetch(`${url}/api/me`, { headers: { cookie: `hp_console=${reader}` } });
    expect(await me.json()).toEqual({ subject: 'oncall-lee', roles: ['reader'], canAct: false });

    const out = await fetch(`${url}/logout`, { method: 'POST', redirect: 'manual' });
    expect([out.status, out.headers.get('location'), out.headers.get('set-cookie')]).toEqual([
      303,
      '/login',
      'hp_console=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0',
    ]);
  });

  it('serves Chart.js from node_modules, not a CDN', async () => {
    const r = await fetch(`${url}/assets/chart.umd.min.js`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/javascript/);
    expect(await r.text()).toMatch(/Chart\.js v4\./);
  });

  it('needs the console header for a change made with the cookie (a cross-site form cannot send it)', async () => {
    const ops = await tokenFor(config, 'ops', { subject: 'oncall-kim' });
    const bare = await fetch(`${url}/api/passes/some-campaign/pause`, { method: 'POST', headers: { cookie: `hp_console=${ops}` } });
    expect(bare.status).toBe(403);
    expect(await bare.json()).toMatchObject({ error: 'MISSING_CONSOLE_HEADER' });
    // with the header the guard lets ops through; the pass dispatcher is not running here
    const sent = await fetch(`${url}/api/passes/some-campaign/pause`, {
      method: 'POST',
      headers: { cookie: `hp_console=${ops}`, 'x-ops-console': '1' },
    });
    expect(sent.status).toBe(502);
    expect(await sent.json()).toMatchObject({ error: 'PASS_DISPATCHER_UNREACHABLE' });
  });

  it('serves its pages from a folder under a dot-named one (the local build lives in .local/build)', async () => {
    const dotted = fs.mkdtempSync(path.join(os.tmpdir(), 'console-')) + '/.build/public';
    fs.cpSync(defaultStaticDir(), dotted, { recursive: true });
    const other = await createOpsConsoleApp({ ...config, CONSOLE_STATIC_DIR: dotted });
    try {
      await other.listen(0, '127.0.0.1');
      const base = (await other.getUrl()).replace('[::1]', '127.0.0.1');
      const loginPage = await fetch(`${base}/login`);
      expect(loginPage.status).toBe(200);
      expect(await loginPage.text()).toContain('name="token"');
      expect((await fetch(`${base}/assets/console.css`)).status).toBe(200);
    } finally {
      await other.close();
      fs.rmSync(path.dirname(path.dirname(dotted)), { recursive: true, force: true });
    }
  });

  it('reports unreachable sources in the overview instead of failing, and is ready while its sampler runs', async () => {
    const r = await fetch(`${url}/api/overview?fresh=1`, { headers: { authorization: `Bearer ${await tokenFor(config, 'reader')}` } });
    expect(r.status).toBe(200);
    const body = (await r.json()) as {
      snapshot: { problems: string[]; services: { name: string; ready: boolean }[]; dlq: { total: number } };
    };
    expect(body.snapshot.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^claims GET \/campaigns: unreachable/),
        expect.stringMatching(/^pass-dispatcher GET \/passes\/status: unreachable/),
        expect.stringMatching(/^emoticon and coupon grants \(databases\): .*does not exist/),
      ]),
    );
    expect(body.snapshot.services.every((s) => !s.ready)).toBe(true);
    // the DLQ topics of this prefix exist and are empty
    expect(body.snapshot.dlq.total).toBe(0);
    await waitFor('ready', async () => (await fetch(`${url}/health/ready`)).status === 200, 30_000, 250);
  });

  it('refuses every route but /health/* without a token (401) and with a wrong role (403); only ops may act', async () => {
    const probes = await probeRoutes(app, url, config);
    const known = [
      'GET /api/overview',
      'GET /api/dlq/:topic',
      'POST /api/dlq/replay',
      'POST /api/passes/:campaignId/pause',
      'POST /api/passes/:campaignId/resume',
      'PUT /api/passes/:campaignId/rate',
      'GET /metrics',
      'GET /health/ready',
    ];
    expect(guardBreaches(probes, known)).toEqual([]);
    // the console's own split: reader-or-ops reads, ops-only actions, no other role at all
    for (const p of probes.filter((x) => !isOpenRoute(x))) {
      const where = routeName(p);
      const others = {
        'app-backend': p.byRole['app-backend'],
        'shop-backend': p.byRole['shop-backend'],
        'pass-dispatcher': p.byRole['pass-dispatcher'],
      };
      expect([where, others]).toEqual([where, { 'app-backend': 403, 'shop-backend': 403, 'pass-dispatcher': 403 }]);
      if (p.method === 'GET') expect([where, p.byRole.reader !== 403, p.byRole.ops !== 403]).toEqual([where, true, true]);
      else expect([where, p.byRole.reader, p.byRole.ops !== 403]).toEqual([where, 403, true]);
    }
    // ops passes the guard; the placeholder body or campaign is then refused or cannot be forwarded
    expect(probes.find((p) => p.path === '/api/dlq/replay')?.byRole.ops).toBe(400);
    expect(probes.find((p) => p.path === '/api/dlq/:topic')?.byRole.reader).toBe(404);
  });
});
