import type { Client } from 'pg';
import { bearer } from '@platform/auth/testing';
import { admit, DEFAULT_ADMISSION_POLICY } from '@platform/rules';
import { waitFor } from '@platform/testing';
import { spreadOf } from '../src/claims/claim-intake.service';
import { BacklogSnapshot, BacklogSweep } from '../src/intake/backlog.sweep';
import { FakeClaims } from './fake-claims';
import { AppApiHarness } from './harness';

jest.setTimeout(120_000);

const BOUND = 20;

describe('app-api: the claims front door on real Kafka and Postgres', () => {
  const h = new AppApiHarness({ database: 'app_api', topics: 'app-api' });
  const run = Date.now().toString(36);
  let claims: FakeClaims;
  let monitor: BacklogSweep;
  let pg: Client;
  let backend: Record<string, string>;
  let reader: Record<string, string>;

  const body = (accountId: string, over: Record<string, unknown> = {}) => ({
    campaignId: 'kakao-2023-heart-pack',
    accountId,
    talkLinked: true,
    phoneNumber: '010-1234-5678',
    makersMember: true,
    requestedAt: '2023-01-10T12:00:00+09:00',
    ...over,
  });

  const post = (key: string | null, b: unknown, auth: Record<string, string> = backend) =>
    fetch(`${h.url}/v1/claims`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...auth, ...(key === null ? {} : { 'idempotency-key': key }) },
      body: JSON.stringify(b),
    });
  const get = (path: string, auth: Record<string, string> = backend) => fetch(`${h.url}${path}`, { headers: auth });

  beforeAll(async () => {
    await h.prepare();
    claims = await new FakeClaims(h.prefix, h.infra.brokers, (c) =>
      c.accountId.includes('unlinked') ? { status: 'REJECTED', reason: 'NOT_TALK_LINKED' } : { status: 'ACCEPTED' },
    ).start();
    await h.start({
      INTAKE_MAX_PENDING: String(BOUND),
      // measured only when a test says so (monitor.measure()), so each step is deterministic
      INTAKE_SAMPLE_INTERVAL_MS: '60000',
      INTAKE_RATE_WINDOW_MS: '30000',
      CLAIMS_CONSUMER_GROUP: claims.groupId,
    });
    backend = await h.as('app-backend');
    reader = await h.as('reader');
    monitor = h.app.get(BacklogSweep);
    pg = await h.pg();
  });

  afterAll(async () => {
    await claims?.stop();
    await h.stop();
  });

  it('refuses callers without a token (401) and roles other than the app backend (403)', async () => {
    expect((await post(`${run}-auth`, body(`${run}-auth`), {})).status).toBe(401);
    expect((await post(`${run}-auth`, body(`${run}-auth`), reader)).status).toBe(403);
    expect((await get(`/v1/claims/${run}-auth`, {})).status).toBe(401);
    expect((await pg.query(`SELECT 1 FROM claim_intake WHERE event_id = $1`, [`${run}-auth`])).rowCount).toBe(0);
  });

  it('answers bad input with 400 and what is wrong, and keeps nothing of it', async () => {
    const noKey = await post(null, body(`${run}-bad`));
    expect(noKey.status).toBe(400);
    expect(await noKey.json()).toMatchObject({ error: 'INVALID_IDEMPOTENCY_KEY' });
    expect((await post('has space', body(`${run}-bad`))).status).toBe(400);
    expect((await post('x'.repeat(129), body(`${run}-bad`))).status).toBe(400);
    const missing = await post(`${run}-bad-1`, { accountId: `${run}-bad`, talkLinked: 'yes' });
    expect(missing.status).toBe(400);
    const detail = ((await missing.json()) as { detail: string }).detail;
    expect(detail).toMatch(/campaignId/);
    expect(detail).toMatch(/talkLinked/);
    expect(detail).toMatch(/requestedAt/);
    expect((await post(`${run}-bad-2`, body(`${run}-bad`, { requestedAt: '2023-02-30T10:00:00+09:00' }))).status).toBe(400);
    const mismatch = await post(`${run}-bad-3`, { ...body(`${run}-bad`), eventId: 'another-id' });
    expect(mismatch.status).toBe(400);
    expect(await mismatch.json()).toMatchObject({ error: 'EVENT_ID_MISMATCH' });
    expect((await pg.query(`SELECT 1 FROM claim_intake WHERE account_id = $1`, [`${run}-bad`])).rowCount).toBe(0);
    expect((await pg.query(`SELECT 1 FROM outbox_message`)).rowCount).toBe(0);
  });

  it('takes a claim in durably (202, Location), publishes it once with the key as eventId, and follows it to ACCEPTED', async () => {
    const key = `${run}-happy`;
    const res = await post(key, { ...body(`${run}-acct-1`), eventId: key, appVersion: '10.1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/claims/${key}`);
    expect(await res.json()).toEqual({ eventId: key, status: 'PENDING' });

    const again = await post(key, body(`${run}-acct-1`));
    expect([202, 200]).toContain(again.status);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    await waitFor('the claim event', () => claims.seen.get(key));
    expect(claims.seen.get(key)).toEqual([
      {
        eventId: key,
        campaignId: 'kakao-2023-heart-pack',
        accountId: `${run}-acct-1`,
        talkLinked: true,
        phoneNumber: '010-1234-5678',
        makersMember: true,
        requestedAt: '2023-01-10T12:00:00+09:00',
      },
    ]);
    const decided = await waitFor('ACCEPTED', async () => {
      const r = await get(res.headers.get('location') as string);
      const b = (await r.json()) as { status: string };
      return b.status === 'ACCEPTED' ? b : null;
    });
    expect(decided).toEqual({ eventId: key, status: 'ACCEPTED', claimId: expect.any(String), decidedAt: expect.any(String) });
    // readers may look too
    expect((await get(`/v1/claims/${key}`, reader)).status).toBe(200);

    // once decided, the same request answers 200 with the decision
    const later = await post(key, body(`${run}-acct-1`));
    expect(later.status).toBe(200);
    expect(await later.json()).toEqual(decided);
    expect(claims.seen.get(key)).toHaveLength(1);
  });

  it('answers 422 for the same key with another body, and keeps the first', async () => {
    const key = `${run}-reuse`;
    expect((await post(key, body(`${run}-acct-2`))).status).toBe(202);
    const other = await post(key, body(`${run}-acct-2`, { phoneNumber: '010-9999-0000' }));
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ error: 'IDEMPOTENCY_KEY_REUSED' });
    expect((await post(key, body(`${run}-acct-2`, { makersMember: false }))).status).toBe(422);
    await waitFor('decided', async () => ((await (await get(`/v1/claims/${key}`)).json()) as { status: string }).status !== 'PENDING');
    expect(claims.seen.get(key)).toHaveLength(1);
    expect(claims.seen.get(key)?.[0]?.phoneNumber).toBe('010-1234-5678');
  });

  it('shows a rejection with its reason, stores no phone number, and 404s an unknown eventId', async () => {
    const key = `${run}-rejected`;
    expect((await post(key, body(`${run}-unlinked`, { talkLinked: false }))).status).toBe(202);
    const r = await waitFor('REJECTED', async () => {
      const b = (await (await get(`/v1/claims/${key}`)).json()) as { status: string };
      return b.status === 'REJECTED' ? b : null;
    });
    expect(r).toMatchObject({ eventId: key, status: 'REJECTED', reason: 'NOT_TALK_LINKED' });
    const unknown = await get(`/v1/claims/${run}-never-sent`);
    expect(unknown.status).toBe(404);
    const dump = JSON.stringify((await pg.query(`SELECT * FROM claim_intake`)).rows);
    expect(dump).not.toMatch(/1234-5678|01012345678/);
  });

  it('lets an account-bound token claim only for its own account, and look up no eventId', async () => {
    const mine = await bearer(h.config, 'app-backend', { account: `${run}-acct-own` });
    const theirs = await bearer(h.config, 'app-backend', { account: `${run}-acct-else` });
    expect((await post(`${run}-own`, body(`${run}-acct-own`), mine)).status).toBe(202);
    expect((await post(`${run}-own-2`, body(`${run}-acct-own`), theirs)).status).toBe(403);
    expect((await get(`/v1/claims/${run}-own`, mine)).status).toBe(403);
  });

  it('answers 429 with a Retry-After from the measured drain rate while the backlog is over its bound, never a timeout', async () => {
    await waitFor('all decided', async () => (await pg.query(`SELECT 1 FROM claim_intake WHERE status = 'PENDING'`)).rowCount === 0);
    claims.pause();
    await monitor.measure();
    // fill the queue to its bound (nothing drains now)
    for (let i = 0; i <= BOUND; i++) expect((await post(`${run}-fill-${i}`, body(`${run}-fill-${i}`))).status).toBe(202);
    // measured once the relay has published them all (the claims consumer lag counts what is on Kafka)
    const snap = await waitFor('the backlog measured', async () => {
      await monitor.measure();
      const m = (await (await get('/v1/intake/backlog', reader)).json()) as BacklogSnapshot;
      return (m.sources.find((x) => x.name === 'claims-consumer-lag')?.backlog ?? 0) >= BOUND + 1 ? m : null;
    });
    expect(snap.sources.find((s) => s.name === 'intake-pending')).toMatchObject({ backlog: BOUND + 1, bound: BOUND });

    // decisions drained recently (the tests above), so the wait follows from that rate
    const key = `${run}-refused-1`;
    const started = Date.now();
    const refused = await post(key, body(`${run}-refused-1`));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    const expected = admit(snap.sources, spreadOf(key), { ...DEFAULT_ADMISSION_POLICY, maxRetryAfterSeconds: 120 });
    expect(expected.admit).toBe(false);
    expect(retryAfter).toBe((expected as { retryAfterSeconds: number }).retryAfterSeconds);
    expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 120).toBe(true);
    expect(await refused.json()).toMatchObject({ error: 'INTAKE_BUSY', source: 'intake-pending', retryAfterSeconds: retryAfter });
    expect((await pg.query(`SELECT 1 FROM claim_intake WHERE event_id = $1`, [key])).rowCount).toBe(0);

    // a retry of a claim already taken in adds nothing: answered as before, not refused
    expect((await post(`${run}-fill-0`, body(`${run}-fill-0`))).status).toBe(202);

    // nothing drains for a whole window: the wait is the maximum, not a guess
    await pg.query(`UPDATE claim_intake SET settled_at = settled_at - interval '1 hour' WHERE settled_at IS NOT NULL`);
    await monitor.measure();
    const stalled = await post(`${run}-refused-2`, body(`${run}-refused-2`));
    expect(stalled.status).toBe(429);
    expect(stalled.headers.get('retry-after')).toBe('120');

    // drained again: admitted
    claims.resume();
    await waitFor('drained', async () => (await pg.query(`SELECT 1 FROM claim_intake WHERE status = 'PENDING'`)).rowCount === 0);
    await waitFor('claims lag measured as caught up', async () => {
      await monitor.measure();
      return monitor.admit(0).admit;
    });
    expect((await post(`${run}-refused-1`, body(`${run}-refused-1`))).status).toBe(202);
    expect(((await (await get('/v1/intake/backlog', reader)).json()) as BacklogSnapshot).refused).toBe(2);
  });
});
