// The ops console in a real browser (playwright-core driving Debian's /usr/bin/chromium, never a
// downloaded one) against real services: claims, emoticons, coupons, the pass dispatcher and the
// channel simulator run as child processes on a private topic prefix and private databases, and so
// does the console. The test signs in (and is refused with a bad token or role), finds the campaign
// it created with the numbers the services' APIs report, pauses pass sending from the page so a
// new claim waits and gets a delay notice that the page counts, resumes, parks bad messages and
// replays one from the DLQ view. Screenshots go to .local/test-results/.
import fs from 'node:fs';
import path from 'node:path';
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { chromium, type Browser, type Page } from 'playwright-core';
import { authSecret, issueToken } from '@platform/auth';
import { dlqName, Topics } from '@platform/contracts';
import { readDeadLetters, SafePublisher } from '@platform/messaging';
import { databaseUrl as dbUrl } from '@platform/persistence';
import { spawnTs, stopGracefully, waitFor } from '@platform/testing';
import { createCampaign, freshCampaign, freePort, healthy, ServiceName, SpecGround, Stack, startStack } from '@platform/tools-loadgen';
import { toolKafka } from '@platform/tools-infra';
import { toolAuthEnv, toolAuthSettings, toolBearer } from './credentials';

jest.setTimeout(900_000);

const ROOT = path.resolve(__dirname, '../..');
const SHOTS = path.join(ROOT, '.local', 'test-results');
const CHROMIUM = '/usr/bin/chromium';
const SERVICES: ServiceName[] = ['claims', 'emoticons', 'coupons', 'pass-dispatcher', 'talk-channel-sim'];
const OPS_PERSON = 'e2e-console-ops';
const READER_PERSON = 'e2e-console-reader';

const num = (s: string | null): number => Number((s ?? '').replace(/,/g, '').trim());

describe('ops console in a browser', () => {
  const ground = new SpecGround('console', SERVICES);
  const { brokers, databaseUrl, suffix: sfx } = ground;
  const campaignId = `console-e2e-${sfx}`;
  const kafka = toolKafka({ profile: 'service', brokers, clientId: 'console-e2e' });
  let prefix = '';
  let stack: Stack | null = null;
  let consoleProc: ReturnType<typeof spawnTs> | null = null;
  let consoleUrl = '';
  let browser: Browser | null = null;
  let publisher: SafePublisher | null = null;
  let opsToken = '';
  let readerToken = '';
  let seq = 0;

  const claimsTopic = () => prefix + Topics.claimRequested.name;
  const claimDlq = () => prefix + dlqName(Topics.claimRequested.name);

  const sendClaims = async (n: number, tapAgoMs: number) => {
    const at = new Date(Date.now() - tapAgoMs).toISOString();
    const records = Array.from({ length: n }, () => {
      const i = ++seq;
      const accountId = `acct-console-${sfx}-${i}`;
      const claim = {
        eventId: `ev-console-${sfx}-${i}`,
        campaignId,
        accountId,
        talkLinked: true,
        phoneNumber: `010-3${String(i).padStart(3, '0')}-${String(1000 + i).slice(-4)}`,
        makersMember: i % 2 === 0,
        requestedAt: at,
      };
      return { topic: claimsTopic(), key: accountId, value: Buffer.from(JSON.stringify(claim)), headers: {} };
    });
    await publisher?.publish(records);
  };

  const api = async <T>(service: ServiceName, p: string): Promise<T> => {
    const res = await fetch(`${stack?.url(service)}${p}`, { headers: await toolBearer('reader') });
    if (!res.ok) throw new Error(`${service} ${p}: ${res.status}`);
    return (await res.json()) as T;
  };
  const passStatus = async () =>
    (
      await api<{
        campaigns: {
          campaignId: string;
          reserved: number;
          watermark: number;
          noticesSent: number;
          paused: boolean;
          allowedRatePerSecond: number;
        }[];
      }>('pass-dispatcher', '/passes/status')
    ).campaigns.find((c) => c.campaignId === campaignId);
  const claimStats = async () =>
    (await api<{ campaigns: Record<string, { accepted: number; rejected: number }> }>('claims', `/claims/stats?campaignId=${campaignId}`))
      .campaigns[campaignId];

  const field = (page: Page, name: string) => page.locator(`[data-field="${name}"]`).first();
  /** Waits until the page (it refreshes itself every second here) shows `expected` in a field. */
  const pageShows = async (page: Page, name: string, expected: number | string, timeoutMs = 60_000) => {
    await waitFor(
      `page field ${name} = ${expected}`,
      async () => {
        const text = await field(page, name).textContent();
        return typeof expected === 'number' ? num(text) === expected : text?.trim() === expected;
      },
      timeoutMs,
      250,
    ).catch(async (e: unknown) => {
      throw new Error(`${e instanceof Error ? e.message : String(e)} (shows ${await field(page, name).textContent()})`);
    });
  };
  const shot = (page: Page, name: string) => page.screenshot({ path: path.join(SHOTS, `ops-console-${name}.png`), fullPage: true });
  const consoleTail = () => (consoleProc?.output.join('') ?? '').split('\n').slice(-40).join('\n');

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} missing: apt-get install -y chromium (.ci/run installs it)`);
    fs.mkdirSync(SHOTS, { recursive: true });
    prefix = (await ground.create()).prefix;
    stack = await startStack(
      ground.stackOptions(SERVICES, {
        // five services compile and migrate at once on 2 shared cores: allow for a loaded machine
        startTimeoutMs: 300_000,
        serviceEnv: {
          'pass-dispatcher': { DISPATCH_RATE_PER_SECOND: '20', WATCHDOG_INTERVAL_MS: '500', ESTIMATOR_INTERVAL_MS: '500' },
          'talk-channel-sim': { SIM_RATE_LIMIT_PER_SECOND: '200', SIM_RATE_LIMIT_BURST: '50', SIM_SEED: '18' },
        },
      }),
    );
    const port = await freePort();
    consoleUrl = `http://127.0.0.1:${port}`;
    consoleProc = spawnTs('apps/ops-console/src/main.ts', {
      PORT: String(port),
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      DATABASE_URL: databaseUrl,
      CLAIMS_DB: ground.database('claims'),
      EMOTICONS_DB: ground.database('emoticons'),
      COUPONS_DB: ground.database('coupons'),
      PASSES_DB: ground.database('pass-dispatcher'),
      RELIEF_DB: ground.databaseName('relief_absent'),
      CLAIMS_URL: stack.url('claims'),
      EMOTICONS_URL: stack.url('emoticons'),
      COUPONS_URL: stack.url('coupons'),
      PASSES_URL: stack.url('pass-dispatcher'),
      // merchant-relief is not started: the console must say so, not fail
      RELIEF_URL: `http://127.0.0.1:${await freePort()}`,
      TALK_CHANNEL_URL: stack.url('talk-channel-sim'),
      SAMPLE_INTERVAL_MS: '1000',
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'log',
      ...toolAuthEnv(),
    });
    await waitFor('ops console ready', async () => (await healthy(consoleUrl)) || (consoleProc?.exitCode ?? null) !== null, 180_000, 500);
    if (consoleProc.exitCode !== null) throw new Error(`ops console exited:\n${consoleTail()}`);

    const secret = authSecret(toolAuthSettings());
    opsToken = await issueToken(secret, { subject: OPS_PERSON, roles: ['ops'], ttlSeconds: 3600 });
    readerToken = await issueToken(secret, { subject: READER_PERSON, roles: ['reader'], ttlSeconds: 3600 });
    publisher = new SafePublisher(kafka);
    // a campaign of this test, open now; every pass is late by its 60 s delay-notice threshold
    await createCampaign(
      stack.url('claims'),
      freshCampaign({ campaignId, nowMs: Date.now(), passCap: 1000, window: 'open', delayNoticeAfterSeconds: 60 }),
    );
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 900_000);

  afterAll(async () => {
    await browser?.close().catch(() => undefined);
    await publisher?.close().catch(() => undefined);
    if (consoleProc) await stopGracefully(consoleProc, 20_000);
    await stack?.stop();
    await ground.drop();
  }, 180_000);

  it('refuses a missing, forged, expired or wrong-role token, in the page and on the API', async () => {
    const page = await (browser as Browser).newPage();
    try {
      await page.goto(`${consoleUrl}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
      const forged = await issueToken(new TextEncoder().encode('x'.repeat(40)), { subject: 'mallory', roles: ['ops'], ttlSeconds: 600 });
      const expired = await issueToken(authSecret(toolAuthSettings()), { subject: 'late', roles: ['ops'], ttlSeconds: -120 });
      for (const bad of ['not-a-token', forged, expired]) {
        await page.fill('#token', bad);
        await page.click('#login-submit');
        await page.waitForURL(/\/login\?error=invalid$/);
        await expect(page.locator('#login-error').textContent()).resolves.toMatch(/refused/);
      }
      await shot(page, 'login-refused');
      const appBackend = await issueToken(authSecret(toolAuthSettings()), { subject: 'app', roles: ['app-backend'], ttlSeconds: 600 });
      await page.fill('#token', appBackend);
      await page.click('#login-submit');
      await page.waitForURL(/\/login\?error=role$/);
      // still no session: the console page sends us back
      await page.goto(`${consoleUrl}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
    } finally {
      await page.close();
    }
    expect((await fetch(`${consoleUrl}/api/overview`)).status).toBe(401);
    const asApp = {
      authorization: `Bearer ${await issueToken(authSecret(toolAuthSettings()), { subject: 'app', roles: ['app-backend'], ttlSeconds: 600 })}`,
    };
    expect((await fetch(`${consoleUrl}/api/overview`, { headers: asApp })).status).toBe(403);
    const asReader = { authorization: `Bearer ${readerToken}`, 'content-type': 'application/json' };
    expect((await fetch(`${consoleUrl}/api/overview`, { headers: asReader })).status).toBe(200);
    // reader sees, only ops acts
    expect((await fetch(`${consoleUrl}/api/passes/${campaignId}/pause`, { method: 'POST', headers: asReader })).status).toBe(403);
    const replay = await fetch(`${consoleUrl}/api/dlq/replay`, { method: 'POST', headers: asReader, body: '{}' });
    expect(replay.status).toBe(403);
    // with the session cookie, a change needs the console's header (a cross-site form cannot send it)
    const cookie = { cookie: `hp_console=${opsToken}` };
    expect((await fetch(`${consoleUrl}/api/passes/${campaignId}/pause`, { method: 'POST', headers: cookie })).status).toBe(403);
    expect((await fetch(`${consoleUrl}/api/overview`, { headers: cookie })).status).toBe(200);
  });

  it('shows the campaign with the numbers the APIs report, pauses, counts a delay notice, resumes and sets the rate', async () => {
    await sendClaims(20, 3 * 60_000);
    await waitFor(
      'first 20 passes sent with their notices',
      async () => {
        const p = await passStatus();
        return p?.watermark === 20 && p.noticesSent === 20;
      },
      180_000,
      500,
    );
    const context = await (browser as Browser).newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    try {
      await page.goto(`${consoleUrl}/login`);
      await page.fill('#token', opsToken);
      await page.click('#login-submit');
      await page.waitForURL(`${consoleUrl}/`);
      const cookies = await context.cookies();
      expect(cookies.find((c) => c.name === 'hp_console')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
      // the page fills in once its first /api/overview answer is there (a sample can take seconds on a loaded machine)
      await page.waitForSelector('#sampled-at[data-at]', { state: 'attached', timeout: 60_000 });
      await expect(page.locator('#viewer').textContent()).resolves.toContain(OPS_PERSON);
      await page.waitForSelector(`#campaign-select option[value="${campaignId}"]`, { state: 'attached' });
      await page.selectOption('#campaign-select', campaignId);

      const stats = await claimStats();
      const passes = await passStatus();
      expect(stats?.accepted).toBe(20);
      await pageShows(page, 'claims-accepted', stats?.accepted as number);
      await pageShows(page, 'claims-rejected', stats?.rejected as number);
      await pageShows(page, 'passes-reserved', passes?.reserved as number);
      await pageShows(page, 'passes-watermark', passes?.watermark as number);
      await pageShows(page, 'passes-notices', passes?.noticesSent as number);
      // grants come from the services' databases: three packs per accepted claim, two coupons per member
      await pageShows(page, 'grants-emoticons', 60);
      await pageShows(page, 'grants-coupons', 20);
      await pageShows(page, 'grants-passes-sent', 20);
      await pageShows(page, 'passes-oldest-age', 'none waiting');
      // services healthy, the relief service that was not started shows as not ready
      await expect(page.locator('[data-service="claims"] [data-field="service-ready"]').textContent()).resolves.toBe('ready');
      await expect(page.locator('[data-service="merchant-relief"] [data-field="service-ready"]').textContent()).resolves.toBe('NOT READY');
      await expect(page.locator('#problems').textContent()).resolves.toContain('merchant-relief GET /relief/summary');
      // the charts are drawn by Chart.js from the console itself
      expect(await page.evaluate(() => typeof (globalThis as { Chart?: unknown }).Chart)).toBe('function');
      await shot(page, 'campaign');

      // Pause from the page: a confirmation first; cancel changes nothing.
      await page.click('#pause-passes');
      await expect(page.locator('#confirm-text').textContent()).resolves.toContain(`Pause sending passes for ${campaignId}`);
      await page.click('#confirm-no');
      await expect(page.locator('#action-result').textContent()).resolves.toBe('cancelled');
      expect((await passStatus())?.paused).toBe(false);
      await page.click('#pause-passes');
      await page.click('#confirm-yes');
      await waitFor('paused', async () => (await passStatus())?.paused === true, 30_000, 250);
      await pageShows(page, 'passes-state', 'PAUSED');

      // A claim while paused: reserved, not sent, noticed by the watchdog; the page counts it.
      await sendClaims(1, 3 * 60_000);
      await waitFor('the 21st pass noticed', async () => (await passStatus())?.noticesSent === 21, 60_000, 250);
      await pageShows(page, 'passes-notices', 21);
      await pageShows(page, 'passes-queued', 1);
      await pageShows(page, 'passes-watermark', 20);
      // the waiting claim is 3 min old against the campaign's 60 s bound: past it, the bar says late
      await waitFor(
        'oldest unsent age shown',
        async () => /^\d+ (s|min) of 60 s$/.test(((await field(page, 'passes-oldest-age').textContent()) ?? '').trim()),
        30_000,
        250,
      );
      expect(await page.locator('#oldest-bar-fill').getAttribute('class')).toBe('late');
      await shot(page, 'paused-delay-notice');

      await page.click('#resume-passes');
      await page.click('#confirm-yes');
      await waitFor('21 sent', async () => (await passStatus())?.watermark === 21, 60_000, 250);
      await pageShows(page, 'passes-watermark', 21);
      await pageShows(page, 'passes-state', 'sending');

      await page.fill('#rate-input', '7.5');
      await page.click('#set-rate');
      await expect(page.locator('#confirm-text').textContent()).resolves.toContain('7.5 per second');
      await page.click('#confirm-yes');
      await waitFor('rate 7.5', async () => (await passStatus())?.allowedRatePerSecond === 7.5, 30_000, 250);
      await pageShows(page, 'passes-allowed-rate', 7.5);
      await page.click('#default-rate');
      await page.click('#confirm-yes');
      await waitFor('default rate', async () => (await passStatus())?.allowedRatePerSecond === 20, 30_000, 250);

      // The pass dispatcher audited the person who asked, not the console.
      const pg = new Client({ connectionString: dbUrl(databaseUrl, ground.database('pass-dispatcher')) });
      await pg.connect();
      try {
        const audit = await pg.query<{ actor: string; action: string; target: string }>(
          `SELECT actor, action, target FROM ops_audit ORDER BY at`,
        );
        expect(audit.rows.map((r) => [r.actor, r.action, r.target])).toEqual([
          [OPS_PERSON, 'passes.campaign.pause', campaignId],
          [OPS_PERSON, 'passes.campaign.resume', campaignId],
          [OPS_PERSON, 'passes.campaign.rate', campaignId],
          [OPS_PERSON, 'passes.campaign.rate', campaignId],
        ]);
      } finally {
        await pg.end();
      }
      expect(consoleTail()).toMatch(new RegExp(`OpsAudit.*"actor":"${OPS_PERSON}".*"action":"passes.campaign.pause"`));
      expect(pageErrors).toEqual([]);
    } finally {
      await context.close();
    }
  });

  it('shows parked messages with their reasons (phone numbers masked) and replays one', async () => {
    // broken JSON, and a claim missing listed fields that carries a phone number
    await publisher?.publish([
      { topic: claimsTopic(), key: 'acct-broken', value: Buffer.from('{"eventId": "ev-broken", '), headers: {} },
      {
        topic: claimsTopic(),
        key: 'acct-schema',
        value: Buffer.from(JSON.stringify({ eventId: `ev-schema-${sfx}`, accountId: 'acct-schema', phoneNumber: '010-9876-5432' })),
        headers: {},
      },
    ]);
    await waitFor('2 parked', async () => (await readDeadLetters(kafka, claimDlq())).length === 2, 60_000, 500);

    const context = await (browser as Browser).newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    try {
      await page.goto(`${consoleUrl}/login`);
      await page.fill('#token', opsToken);
      await page.click('#login-submit');
      await page.waitForURL(`${consoleUrl}/`);
      const row = page.locator(`#dlq-table tr[data-topic="${claimDlq()}"]`);
      await waitFor(
        'DLQ depth 2 in the page',
        async () => num(await row.locator('[data-field="dlq-depth"]').textContent()) === 2,
        30_000,
        250,
      );
      await pageShows(page, 'dlq-total', 2);
      await row.locator('button.show-dlq').click();
      const letters = page.locator('#dlq-letters tr[data-letter]');
      await waitFor('2 letters listed', async () => (await letters.count()) === 2, 30_000, 250);
      const text = (await page.locator('#dlq-letters').textContent()) ?? '';
      expect(text).toMatch(/MALFORMED_JSON/);
      expect(text).toMatch(/SCHEMA/);
      expect(text).not.toContain('010-9876-5432');
      expect(text).toContain('***-****-**32');
      await expect(page.locator('#dlq-reasons').textContent()).resolves.toMatch(/MALFORMED_JSON: 1/);
      await shot(page, 'dlq');

      const at = (await letters.filter({ hasText: 'MALFORMED_JSON' }).getAttribute('data-letter')) as string;
      const broken = page.locator(`#dlq-letters tr[data-letter="${at}"]`);
      await broken.locator('button.replay').click();
      await expect(page.locator('#confirm-text').textContent()).resolves.toContain('MALFORMED_JSON');
      await page.click('#confirm-yes');
      await waitFor('marked replayed', async () => /replayed by e2e-console-ops/.test((await broken.textContent()) ?? ''), 30_000, 250);

      // The record went back to the source topic with who asked; still broken, so claims parks it again.
      const [partition, offset] = at.split(':');
      const replayed = await waitFor(
        'replayed record on the source topic',
        async () =>
          (await readDeadLetters(kafka, claimsTopic())).find(
            (m) => m.headers['dlq-replayed-by'] === OPS_PERSON && m.headers['dlq-replayed-from'] === `${claimDlq()}:${partition}:${offset}`,
          ),
        30_000,
        500,
      );
      expect(replayed.value.toString()).toBe('{"eventId": "ev-broken", ');
      await waitFor('re-parked', async () => (await readDeadLetters(kafka, claimDlq())).length === 3, 60_000, 500);
      await waitFor(
        'DLQ depth 3 in the page',
        async () => num(await row.locator('[data-field="dlq-depth"]').textContent()) === 3,
        30_000,
        250,
      );
      await shot(page, 'dlq-replayed');
      expect(consoleTail()).toMatch(new RegExp(`OpsAudit.*"actor":"${OPS_PERSON}".*"action":"dlq.replay"`));
    } finally {
      await context.close();
    }
  });

  it('shows a reader everything but no controls', async () => {
    const context = await (browser as Browser).newContext({ viewport: { width: 1400, height: 1000 } });
    const page = await context.newPage();
    try {
      await page.goto(`${consoleUrl}/login`);
      await page.fill('#token', readerToken);
      await page.click('#login-submit');
      await page.waitForURL(`${consoleUrl}/`);
      await page.waitForSelector(`#campaign-select option[value="${campaignId}"]`, { state: 'attached' });
      await page.selectOption('#campaign-select', campaignId);
      await pageShows(page, 'claims-accepted', 21);
      expect(await page.locator('#pass-actions').isHidden()).toBe(true);
      await page.locator(`#dlq-table tr[data-topic="${claimDlq()}"] button.show-dlq`).click();
      await waitFor('letters listed', async () => (await page.locator('#dlq-letters tr[data-letter]').count()) === 3, 30_000, 250);
      expect(await page.locator('#dlq-letters button.replay').count()).toBe(0);
      await shot(page, 'reader');
      await page.click('#logout');
      await page.waitForURL(/\/login/);
      await page.goto(`${consoleUrl}/`);
      expect(new URL(page.url()).pathname).toBe('/login');
    } finally {
      await context.close();
    }
  });
});
