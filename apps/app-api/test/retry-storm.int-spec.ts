import type { Client } from 'pg';
import { waitOutboxEmpty } from '@platform/messaging/testing';
import { waitFor } from '@platform/testing';
import { FakeClaims } from './fake-claims';
import { AppApiHarness } from './harness';

jest.setTimeout(300_000);

// A mobile client under timeouts retries the same request again and again, often several at once.
const KEYS = 200;
const RETRIES = 20;
const CONCURRENCY = 64;

describe('app-api under a retry storm', () => {
  const h = new AppApiHarness({ database: 'app_api_storm', topics: 'app-api-storm' });
  const run = Date.now().toString(36);
  let claims: FakeClaims;
  let pg: Client;
  let backend: Record<string, string>;

  const body = (i: number) => ({
    campaignId: 'kakao-2023-heart-pack',
    accountId: `${run}-acct-${i}`,
    talkLinked: true,
    phoneNumber: '010-2345-6789',
    makersMember: i % 2 === 0,
    requestedAt: '2023-01-12T09:30:00+09:00',
  });
  const post = async (key: string, b: unknown) => {
    const r = await fetch(`${h.url}/v1/claims`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...backend },
      body: JSON.stringify(b),
    });
    return {
      status: r.status,
      replayed: r.headers.get('idempotent-replayed') === 'true',
      body: (await r.json()) as Record<string, unknown>,
    };
  };

  beforeAll(async () => {
    await h.prepare();
    claims = await new FakeClaims(h.prefix, h.infra.brokers).start();
    await h.start({ LOG_LEVEL: 'error', CLAIMS_CONSUMER_GROUP: claims.groupId, INTAKE_SAMPLE_INTERVAL_MS: '200' });
    backend = await h.as('app-backend');
    pg = await h.pg();
  });

  afterAll(async () => {
    await claims?.stop();
    await h.stop();
  });

  it('50 concurrent copies of one request: one taken in, 49 answered as replays, one event, one decision', async () => {
    const key = `${run}-fifty`;
    const answers = await Promise.all(Array.from({ length: 50 }, () => post(key, body(-1))));
    expect(answers.map((a) => a.status).filter((s) => s !== 202 && s !== 200)).toEqual([]);
    expect(answers.filter((a) => !a.replayed)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.body.eventId))).toEqual(new Set([key]));
    await waitFor('decided', () => claims.seen.get(key));
    // nothing left to publish, and all that was published read: a second event would show now
    await waitOutboxEmpty('app-api', (sql, params) => pg.query(sql, params).then((r) => r.rows));
    await claims.caughtUp();
    expect(claims.seen.get(key)).toHaveLength(1);
  });

  it(`${KEYS} keys x ${RETRIES} concurrent retries: every key taken in once, one event and one decision each, no error, no timeout`, async () => {
    const jobs: { key: string; i: number }[] = [];
    for (let r = 0; r < RETRIES; r++) for (let i = 0; i < KEYS; i++) jobs.push({ key: `${run}-storm-${i}`, i });
    // shuffled: retries of one key arrive interleaved with others', several at the same time
    for (let j = jobs.length - 1; j > 0; j--) {
      const k = Math.floor(Math.random() * (j + 1));
      [jobs[j], jobs[k]] = [jobs[k] as (typeof jobs)[number], jobs[j] as (typeof jobs)[number]];
    }
    const results: { key: string; status: number; replayed: boolean; ms: number }[] = [];
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < jobs.length) {
          const job = jobs[next++] as (typeof jobs)[number];
          const t0 = performance.now();
          const a = await post(job.key, body(job.i));
          results.push({ key: job.key, status: a.status, replayed: a.replayed, ms: performance.now() - t0 });
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const ms = results.map((r) => r.ms).sort((a, b) => a - b);
    const p99 = ms[Math.floor(ms.length * 0.99)] ?? 0;
    console.log(
      `retry storm: ${results.length} requests in ${seconds.toFixed(1)} s (${Math.round(results.length / seconds)}/s), p99 ${p99.toFixed(0)} ms`,
    );

    expect(results).toHaveLength(KEYS * RETRIES);
    expect(results.filter((r) => r.status !== 202 && r.status !== 200)).toEqual([]);
    const firsts = new Map<string, number>();
    for (const r of results) if (!r.replayed) firsts.set(r.key, (firsts.get(r.key) ?? 0) + 1);
    expect(firsts.size).toBe(KEYS);
    expect([...firsts.values()].every((n) => n === 1)).toBe(true);

    const keys = [...firsts.keys()];
    await waitFor(
      'every key decided',
      async () => {
        const { rows } = await pg.query<{ n: string }>(
          `SELECT count(*) AS n FROM claim_intake WHERE event_id = ANY($1) AND status = 'ACCEPTED'`,
          [keys],
        );
        return Number(rows[0]?.n) === KEYS;
      },
      120_000,
      250,
    );
    // nothing left to publish, and all that was published read: a second event would show now
    await waitOutboxEmpty('app-api', (sql, params) => pg.query(sql, params).then((r) => r.rows), 60_000);
    await claims.caughtUp(60_000);
    expect(keys.filter((k) => claims.seen.get(k)?.length !== 1)).toEqual([]);
    const { rows } = await pg.query<{ n: string }>(`SELECT count(*) AS n FROM claim_decision WHERE event_id = ANY($1)`, [keys]);
    expect(Number(rows[0]?.n)).toBe(KEYS);

    // after the storm, every retry answers the decision
    const after = await post(`${run}-storm-7`, body(7));
    expect(after).toMatchObject({ status: 200, replayed: true, body: { eventId: `${run}-storm-7`, status: 'ACCEPTED' } });
  });
});
