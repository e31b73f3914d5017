import { INestApplication } from '@nestjs/common';
import type { Role } from '@platform/auth';
import { bearer, probeRoutes } from '@platform/auth/testing';
import { channelError, type ChannelDelivery, channelSendPassAccepted } from '@platform/contracts';
import { createTalkChannelSimApp } from '../src/app';
import { ChannelSimConfig, channelSimEnv } from '../src/config';

jest.setTimeout(30_000);

describe('talk channel simulator over HTTP', () => {
  let app: INestApplication;
  let url: string;
  let settings: ChannelSimConfig;
  const tokens = {} as Record<Role, Record<string, string>>;

  beforeAll(async () => {
    settings = channelSimEnv.parse({
      PORT: '0',
      LOG_LEVEL: 'warn',
      SIM_RATE_LIMIT_PER_SECOND: '0',
      SIM_LATENCY_MEDIAN_MS: '0',
      SIM_SEED: '1',
      OTEL_SDK_DISABLED: 'true',
    });
    for (const role of ['ops', 'reader', 'pass-dispatcher'] as const) tokens[role] = await bearer(settings, role);
    app = await createTalkChannelSimApp(settings);
    await app.listen(0, '127.0.0.1');
    url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  });

  afterAll(async () => {
    await app?.close();
  });

  // sends as the pass dispatcher's identity, admin changes as ops, reads as reader
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(path.startsWith('/v1/') ? tokens['pass-dispatcher'] : tokens.ops), ...headers },
      body: JSON.stringify(body),
    });
  const get = async <T>(path: string): Promise<T> => (await fetch(`${url}${path}`, { headers: tokens.reader })).json() as Promise<T>;
  const send = (passId: string, slot: number, key = passId) =>
    post('/v1/passes', { passId, accountId: `acct-${slot}`, slot, campaignId: 'c1' }, { 'Idempotency-Key': key });
  const config = (patch: Record<string, unknown>) => post('/admin/config', patch);

  beforeEach(async () => {
    await post('/admin/reset', {});
    await config({ ratePerSecond: 0, errorRate: 0, outage: false, latencyMedianMs: 0, latencyP99Ms: 0 });
  });

  it('delivers once per idempotency key; a repeat is 200 with the original delivery, marked duplicate', async () => {
    const first = await send('p-1', 1);
    expect(first.status).toBe(201);
    const a = (await first.json()) as { duplicate: boolean; delivery: ChannelDelivery };
    expect(a).toMatchObject({ duplicate: false, delivery: { sequence: 1, passId: 'p-1', slot: 1, campaignId: 'c1' } });
    const again = await send('p-1', 1);
    expect(again.status).toBe(200);
    expect(await again.json()).toEqual({ duplicate: true, delivery: a.delivery });
    const reused = await post('/v1/passes', { passId: 'p-other', accountId: 'x', slot: 9 }, { 'Idempotency-Key': 'p-1' });
    expect(reused.status).toBe(422);
    const { deliveries, lastSequence } = await get<{ deliveries: ChannelDelivery[]; lastSequence: number }>(
      '/admin/deliveries?after=0&limit=10',
    );
    expect(lastSequence).toBe(1);
    expect(deliveries).toHaveLength(1);
    expect(await get('/admin/stats')).toMatchObject({ requests: 3, delivered: 1, duplicates: 1, keyReused: 1 });
  });

  it('answers every send with a body of the contract schema (@platform/contracts channel.ts)', async () => {
    expect(channelSendPassAccepted.parse(await (await send('p-1', 1)).json())).toMatchObject({ duplicate: false });
    expect(channelSendPassAccepted.parse(await (await send('p-1', 1)).json())).toMatchObject({ duplicate: true });
    const errors: unknown[] = [];
    errors.push(await (await post('/v1/passes', { passId: 'p-x', accountId: 'x', slot: 9 }, { 'Idempotency-Key': 'p-1' })).json());
    errors.push(await (await post('/v1/passes', { passId: 'p', accountId: 'a', slot: 1 })).json());
    errors.push(await (await post('/v1/passes', { passId: 'p', slot: 0 }, { 'Idempotency-Key': 'k' })).json());
    await config({ errorRate: 1, errorAfterDeliveryShare: 0 });
    errors.push(await (await send('p-3', 3)).json());
    // RATE_LIMITED and CHANNEL_UNAVAILABLE: in the rate limit and outage tests below
    expect(errors.map((e) => channelError.parse(e).error)).toEqual([
      'IDEMPOTENCY_KEY_REUSED',
      'IDEMPOTENCY_KEY_REQUIRED',
      'INVALID_BODY',
      'INTERNAL',
    ]);
  });

  it('refuses a request without key or with a bad body', async () => {
    expect((await post('/v1/passes', { passId: 'p', accountId: 'a', slot: 1 })).status).toBe(400);
    expect((await post('/v1/passes', { passId: 'p', slot: 0 }, { 'Idempotency-Key': 'k' })).status).toBe(400);
    expect(await get('/admin/stats')).toMatchObject({ badRequests: 2, delivered: 0 });
  });

  it('rate limits with 429, Retry-After and Retry-After-Ms', async () => {
    await config({ ratePerSecond: 2, burst: 2 });
    const codes: number[] = [];
    let limited: Response | undefined;
    for (let i = 1; i <= 5; i++) {
      const r = await send(`p-${i}`, i);
      codes.push(r.status);
      if (r.status === 429) limited = r;
    }
    expect(codes.filter((c) => c === 201)).toHaveLength(2);
    expect(codes.filter((c) => c === 429)).toHaveLength(3);
    expect(limited?.headers.get('retry-after')).toBe('1');
    expect(Number(limited?.headers.get('retry-after-ms'))).toBeGreaterThan(0);
    expect(Number(limited?.headers.get('retry-after-ms'))).toBeLessThanOrEqual(500);
    expect(channelError.parse(await limited?.json())).toEqual({
      error: 'RATE_LIMITED',
      retryAfterMs: Number(limited?.headers.get('retry-after-ms')),
    });
  });

  it('answers 503 during an outage and delivers again afterwards', async () => {
    expect((await post('/admin/outage', { on: true })).status).toBe(200);
    const r = await send('p-1', 1);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(channelError.parse(await r.json())).toEqual({ error: 'CHANNEL_UNAVAILABLE' });
    await post('/admin/outage', { on: false });
    expect((await send('p-1', 1)).status).toBe(201);
    expect(await get('/admin/stats')).toMatchObject({ outageRejected: 1, delivered: 1 });
  });

  it('injects 5xx before and after delivery; retries with the same key never deliver twice', async () => {
    await config({ errorRate: 0.5, errorAfterDeliveryShare: 0.5 });
    for (let slot = 1; slot <= 100; slot++) {
      for (;;) {
        const r = await send(`p-${slot}`, slot);
        if (r.status < 300) break;
        expect([500, 502, 503]).toContain(r.status);
      }
    }
    const stats = await get<{ delivered: number; errorsBeforeDelivery: number; errorsAfterDelivery: number; duplicates: number }>(
      '/admin/stats',
    );
    expect(stats.delivered).toBe(100);
    expect(stats.errorsBeforeDelivery).toBeGreaterThan(10);
    expect(stats.errorsAfterDelivery).toBeGreaterThan(10);
    // every failure after delivery was followed by a retry answered as a duplicate
    expect(stats.duplicates).toBe(stats.errorsAfterDelivery);
    const audit = await get<{ campaigns: { delivered: number; inOrder: boolean; unique: boolean; contiguousFromOne: boolean }[] }>(
      '/admin/audit',
    );
    expect(audit.campaigns).toEqual([expect.objectContaining({ delivered: 100, inOrder: true, unique: true, contiguousFromOne: true })]);
  });

  it('audit reports out-of-order and missing slots', async () => {
    await send('p-2', 2);
    await send('p-1', 1);
    await send('p-4', 4);
    const audit = await get<{ campaigns: { inOrder: boolean; contiguousFromOne: boolean; violations: string[] }[] }>('/admin/audit');
    expect(audit.campaigns[0]).toMatchObject({ inOrder: false, contiguousFromOne: false });
    expect(audit.campaigns[0]?.violations[0]).toMatch(/slot 1 after slot 2/);
  });

  it('validates runtime config and pages deliveries', async () => {
    expect((await config({ errorRate: 2 })).status).toBe(400);
    for (let i = 1; i <= 5; i++) await send(`p-${i}`, i);
    const page = await get<{ deliveries: ChannelDelivery[] }>('/admin/deliveries?after=2&limit=2');
    expect(page.deliveries.map((d) => d.sequence)).toEqual([3, 4]);
    expect(await get('/health/ready')).toMatchObject({ status: 'ok' });
  });

  it('lets only the pass dispatcher send, ops change and reader or ops read; every route but /health/* needs a token', async () => {
    const probes = await probeRoutes(app, url, settings);
    expect(probes.map((p) => `${p.method} ${p.path}`)).toEqual(
      expect.arrayContaining(['POST /v1/passes', 'POST /admin/reset', 'GET /admin/deliveries', 'GET /metrics', 'GET /health/ready']),
    );
    for (const p of probes) {
      const where = `${p.method} ${p.path}`;
      if (p.path.startsWith('/health/')) {
        expect([where, p.anonymous]).toEqual([where, 200]);
        continue;
      }
      expect([where, p.anonymous]).toEqual([where, 401]);
      expect([where, Object.values(p.byRole).includes(403)]).toEqual([where, true]);
      expect([where, Object.values(p.byRole).some((s) => s !== 401 && s !== 403)]).toEqual([where, true]);
    }
    // the send endpoint: the dispatcher's identity gets through (400: the probe has no Idempotency-Key), ops does not
    expect(probes.find((p) => p.path === '/v1/passes')?.byRole).toEqual({
      'pass-dispatcher': 400,
      ops: 403,
      reader: 403,
      'app-backend': 403,
      'shop-backend': 403,
    });
    expect(probes.find((p) => p.path === '/admin/reset')?.byRole).toMatchObject({ ops: 200, reader: 403, 'pass-dispatcher': 403 });
  });

  it('rate limits a caller per minute (429) on admin routes, but never the channel send endpoint', async () => {
    const limited = await createTalkChannelSimApp(
      channelSimEnv.parse({
        LOG_LEVEL: 'warn',
        SIM_RATE_LIMIT_PER_SECOND: '0',
        SIM_LATENCY_MEDIAN_MS: '0',
        OTEL_SDK_DISABLED: 'true',
        HTTP_RATE_LIMIT_PER_MINUTE: '3',
      }),
    );
    try {
      await limited.listen(0, '127.0.0.1');
      const base = (await limited.getUrl()).replace('[::1]', '127.0.0.1');
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${base}/admin/stats`, { headers: tokens.reader })).status);
      expect(statuses).toEqual([200, 200, 200, 429, 429]);
      // another caller has its own budget
      expect((await fetch(`${base}/admin/stats`, { headers: tokens.ops })).status).toBe(200);
      for (let i = 0; i < 5; i++) {
        const r = await fetch(`${base}/v1/passes`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': `rl-${i}`, ...tokens['pass-dispatcher'] },
          body: JSON.stringify({ passId: `rl-${i}`, accountId: 'acct-rl', slot: i + 1, campaignId: 'rl' }),
        });
        expect(r.status).toBe(201);
      }
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
    } finally {
      await limited.close();
    }
  });
});
