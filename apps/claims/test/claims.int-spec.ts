import { bearer, probeRoutes } from '@platform/auth/testing';
import { CampaignDefinition, dlqName, PayloadOf, Topics } from '@platform/contracts';
import { createKafka, DLQ_HEADERS, SafePublisher } from '@platform/messaging';
import { ServiceHarness } from '@platform/messaging/testing';
import { testInfra, waitFor } from '@platform/testing';
import { phoneKey } from '../src/claims/phone-key';
import { ClaimsTestBed } from './helpers';

jest.setTimeout(120_000);

interface Decided {
  claimId: string;
  eventId: string;
  accountId: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason?: string;
  rewards?: { emoticons: unknown[] };
}

const HOUR = 3600_000;

describe('claims service on real Kafka and Postgres', () => {
  let bed: ClaimsTestBed;
  let publisher: SafePublisher;
  let harness: ServiceHarness;
  let ops: Record<string, string>;
  let reader: Record<string, string>;
  const campaignId = `test-${Date.now()}`;
  const now = Date.now();

  const campaign: CampaignDefinition = {
    campaignId,
    name: 'test campaign around now',
    opensAt: new Date(now - 24 * HOUR).toISOString(),
    closesAt: new Date(now + 24 * HOUR).toISOString(),
    rewards: {
      emoticons: [{ emoticonId: 'e1', name: 'E1', validityDays: null }],
      coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
      pass: { cap: 10, delayNoticeAfterSeconds: 259200, registrationWindowSeconds: 2592000, validitySeconds: 2592000, storageGb: 100 },
    },
    relief: null,
  };

  const request = (eventId: string, accountId: string, over: Record<string, unknown> = {}) => ({
    eventId,
    campaignId,
    accountId,
    talkLinked: true,
    phoneNumber: '010-1234-5678',
    makersMember: true,
    requestedAt: new Date().toISOString(),
    ...over,
  });

  /** Publishes with an explicit key, so tests can spread one account over several partitions. */
  const send = (items: { key: string; value: unknown }[]) =>
    publisher.publish(
      items.map((i) => ({
        topic: bed.prefix + Topics.claimRequested.name,
        key: i.key,
        value: Buffer.from(typeof i.value === 'string' ? i.value : JSON.stringify(i.value)),
        headers: {},
      })),
    );

  /** Every claim sent so far decided, every decision published and collected: absences are facts now. */
  const settled = () => harness.settle(bed.collector, [bed.prefix + Topics.claimDecided.name]);

  const decisions = (): Decided[] => bed.on(Topics.claimDecided.name).map((m) => m.json<Decided>());
  const decisionsFor = (eventIds: string[]) => decisions().filter((d) => eventIds.includes(d.eventId));

  beforeAll(async () => {
    bed = await ClaimsTestBed.start('claims', {
      collect: [Topics.claimDecided.name, Topics.campaignDefined.name, dlqName(Topics.claimRequested.name), Topics.claimsOpsAudited.name],
    });
    bed.pg.on('error', () => undefined);
    await bed.startClaims();
    ops = await bearer(bed.config, 'ops', { subject: 'oncall-lee' });
    reader = await bearer(bed.config, 'reader');
    harness = new ServiceHarness(bed.app);
    bed.defer(() => harness.dispose());
    publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'claims-test' }));
    bed.defer(() => publisher.close());
    await bed.defineCampaign(campaign, ops);
  });

  afterAll(() => bed?.close());

  it('announces the seeded default campaign and every new one', async () => {
    await waitFor('two campaign definitions', () => bed.on(Topics.campaignDefined.name).length >= 2);
    const ids = bed.on(Topics.campaignDefined.name).map((m) => m.json<{ campaign: { campaignId: string } }>().campaign.campaignId);
    expect(ids.sort()).toEqual([campaignId, 'kakao-2023-heart-pack'].sort());
    const list = (await (await fetch(`${bed.url}/campaigns`, { headers: reader })).json()) as { campaigns: { campaignId: string }[] };
    expect(list.campaigns.map((c) => c.campaignId)).toEqual(expect.arrayContaining(['kakao-2023-heart-pack', campaignId]));
  });

  it('refuses a bad campaign definition with a clear error, and a duplicate id', async () => {
    const bad = await fetch(`${bed.url}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ops },
      body: JSON.stringify({ ...campaign, campaignId: 'bad', closesAt: campaign.opensAt }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { detail: string }).detail).toMatch(/closesAt must be after opensAt/);
    const dup = await fetch(`${bed.url}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ops },
      body: JSON.stringify(campaign),
    });
    expect(dup.status).toBe(409);
  });

  it('decides each rule with its reason', async () => {
    const cases: [string, Record<string, unknown>, string][] = [
      ['r-ok', {}, 'ACCEPTED'],
      ['r-unlinked', { talkLinked: false }, 'NOT_TALK_LINKED'],
      ['r-overseas', { phoneNumber: '+1 415 555 2671' }, 'OVERSEAS_NUMBER'],
      ['r-garbage', { phoneNumber: '12' }, 'INVALID_PHONE'],
      ['r-early', { requestedAt: new Date(now - 48 * HOUR).toISOString() }, 'CAMPAIGN_NOT_STARTED'],
      ['r-unknown', { campaignId: 'no-such-campaign' }, 'UNKNOWN_CAMPAIGN'],
      ['r-future', { requestedAt: new Date(Date.now() + HOUR).toISOString() }, 'INVALID'],
    ];
    await send(cases.map(([id, over]) => ({ key: `acct-${id}`, value: request(id, `acct-${id}`, over) })));
    await waitFor('7 decisions', () => decisionsFor(cases.map((c) => c[0])).length === 7);
    for (const [id, , expected] of cases) {
      const d = decisionsFor([id])[0];
      expect(d?.reason ?? d?.status).toBe(expected);
    }
    expect(decisionsFor(['r-ok'])[0]?.rewards?.emoticons).toHaveLength(1);
    const { rows } = await bed.pg.query(`SELECT phone_hash, phone_country FROM claim WHERE event_id = 'r-ok'`);
    expect(rows[0]).toMatchObject({ phone_country: 'KR' });
    // no raw number stored: the HMAC of the E.164 form under the configured secret
    expect(rows[0].phone_hash).toBe(phoneKey(bed.config.PHONE_HASH_SECRET, '+821012345678'));
  });

  it('honours an in-window claim processed after the window closed (backlog)', async () => {
    // A closed campaign: the claim was made inside it, and is processed only now.
    const closed = {
      ...campaign,
      campaignId: `${campaignId}-closed`,
      opensAt: new Date(now - 48 * HOUR).toISOString(),
      closesAt: new Date(now - 24 * HOUR).toISOString(),
    };
    expect(
      (
        await fetch(`${bed.url}/campaigns`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...ops },
          body: JSON.stringify(closed),
        })
      ).status,
    ).toBe(201);
    await send([
      {
        key: 'late-1',
        value: request('late-in', 'late-1', { campaignId: closed.campaignId, requestedAt: new Date(now - 30 * HOUR).toISOString() }),
      },
      {
        key: 'late-2',
        value: request('late-out', 'late-2', { campaignId: closed.campaignId, requestedAt: new Date(now - 23 * HOUR).toISOString() }),
      },
    ]);
    await waitFor('2 decisions', () => decisionsFor(['late-in', 'late-out']).length === 2);
    expect(decisionsFor(['late-in'])[0]?.status).toBe('ACCEPTED');
    expect(decisionsFor(['late-out'])[0]?.reason).toBe('CAMPAIGN_CLOSED');
  });

  it('accepts one claim per account even when duplicates race on different partitions and in one batch', async () => {
    const accounts = Array.from({ length: 50 }, (_, i) => `race-${i}`);
    const items: { key: string; value: unknown }[] = [];
    for (const a of accounts) {
      // 4 distinct claims per account; keyed by eventId so they land on different partitions
      for (let k = 0; k < 4; k++) items.push({ key: `${a}-${k}`, value: request(`${a}-${k}`, a) });
      // and 2 more in the same partition (keyed by account), i.e. in the same batch
      for (let k = 4; k < 6; k++) items.push({ key: a, value: request(`${a}-${k}`, a) });
    }
    await send(items);
    const ids = items.map((i) => (i.value as { eventId: string }).eventId);
    await waitFor('300 decisions', () => decisionsFor(ids).length === 300, 60000);
    const ds = decisionsFor(ids);
    for (const a of accounts) {
      const mine = ds.filter((d) => d.accountId === a);
      expect(mine.filter((d) => d.status === 'ACCEPTED')).toHaveLength(1);
      expect(mine.filter((d) => d.reason === 'DUPLICATE')).toHaveLength(5);
    }
    const { rows } = await bed.pg.query(
      `SELECT count(*)::int AS n FROM (SELECT account_id FROM claim WHERE status = 'ACCEPTED' AND campaign_id = $1 GROUP BY account_id HAVING count(*) > 1) d`,
      [campaignId],
    );
    expect(rows[0].n).toBe(0);
  });

  it('does not decide the same event twice (double tap, redelivery)', async () => {
    const v = request('tap-1', 'tapper');
    await send([
      { key: 'tapper', value: v },
      { key: 'tapper', value: v },
    ]);
    await send([{ key: 'tapper-other-partition', value: v }]);
    await waitFor('one decision', () => decisionsFor(['tap-1']).length === 1);
    await settled();
    expect(decisionsFor(['tap-1'])).toHaveLength(1);
    const { rows } = await bed.pg.query(`SELECT count(*)::int AS n FROM claim WHERE event_id = 'tap-1'`);
    expect(rows[0].n).toBe(1);
  });

  it('parks a schema-breaking message in the DLQ with its reason', async () => {
    await send([
      { key: 'broken', value: { eventId: 'broken-1', accountId: 'broken' } },
      { key: 'broken', value: '{"oops"' },
    ]);
    await waitFor('2 dead letters', () => bed.on(dlqName(Topics.claimRequested.name)).length >= 2);
    const reasons = bed.on(dlqName(Topics.claimRequested.name)).map((m) => m.headers[DLQ_HEADERS.reason]);
    expect(reasons).toEqual(
      expect.arrayContaining([expect.stringMatching(/^SCHEMA_VIOLATION: campaignId/), expect.stringMatching(/^MALFORMED_JSON/)]),
    );
  });

  it('answers support staff and ops over HTTP', async () => {
    const acc = (await (await fetch(`${bed.url}/claims/race-0`, { headers: reader })).json()) as {
      claims: { status: string; granted: { coupons: number[] } | null }[];
    };
    expect(acc.claims).toHaveLength(6);
    expect(acc.claims.filter((c) => c.status === 'ACCEPTED')[0]?.granted?.coupons).toEqual([2000, 3000]);
    const stats = (await (await fetch(`${bed.url}/claims/stats?campaignId=${campaignId}`, { headers: reader })).json()) as {
      campaigns: Record<string, { accepted: number; byReason: Record<string, number> }>;
    };
    expect(stats.campaigns[campaignId]?.byReason.DUPLICATE).toBe(250);
    expect(stats.campaigns[campaignId]?.accepted).toBe(52); // r-ok + 50 race winners + tapper
  });

  it('audits campaign creation by ops (row and compensation.ops.audited.v1) and refuses it to a reader', async () => {
    const audited = await bed.pg.query(`SELECT actor, roles, action, target, source_address FROM ops_audit WHERE target = $1`, [
      campaignId,
    ]);
    expect(audited.rows).toEqual([
      {
        actor: 'oncall-lee',
        roles: ['ops'],
        action: 'claims.campaign.create',
        target: campaignId,
        source_address: expect.stringMatching(/127\.0\.0\.1/),
      },
    ]);
    await waitFor('audit event', () => bed.on(Topics.claimsOpsAudited.name).some((m) => m.key === campaignId));
    const event = bed
      .on(Topics.claimsOpsAudited.name)
      .find((m) => m.key === campaignId)
      ?.json<PayloadOf<'claimsOpsAudited'>>();
    expect(event).toMatchObject({
      service: 'claims',
      actor: 'oncall-lee',
      action: 'claims.campaign.create',
      target: campaignId,
      detail: { opensAt: campaign.opensAt },
    });
    const byReader = await fetch(`${bed.url}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...reader },
      body: JSON.stringify({ ...campaign, campaignId: 'by-reader' }),
    });
    expect(byReader.status).toBe(403);
    expect((await fetch(`${bed.url}/campaigns`)).status).toBe(401);
  });

  it('refuses every registered route but /health/* without a token (401) and with a wrong role (403)', async () => {
    const probes = await probeRoutes(bed.app, bed.url, bed.config);
    expect(probes.map((p) => `${p.method} ${p.path}`)).toEqual(
      expect.arrayContaining(['POST /campaigns', 'GET /claims/stats', 'GET /claims/:accountId', 'GET /metrics']),
    );
    for (const p of probes.filter((x) => !x.path.startsWith('/health/'))) {
      const where = `${p.method} ${p.path}`;
      expect([where, p.anonymous]).toEqual([where, 401]);
      expect([where, Object.values(p.byRole).includes(403)]).toEqual([where, true]);
      expect([where, Object.values(p.byRole).some((s) => s !== 401 && s !== 403)]).toEqual([where, true]);
    }
    expect(probes.find((p) => p.method === 'POST' && p.path === '/campaigns')?.byRole).toMatchObject({
      ops: 400,
      reader: 403,
      'app-backend': 403,
      'shop-backend': 403,
    });
  });
  it('gives one eventId one decision when it races on every partition at once (retries that came back with other keys)', async () => {
    const ids = Array.from({ length: 30 }, (_, i) => `retry-storm-${i}`);
    // the very same bytes each time (one body per eventId), under six keys
    const items = ids.flatMap((id, i) => {
      const body = request(id, `storm-${i}`);
      return Array.from({ length: 6 }, (_, k) => ({ key: `storm-key-${i}-${k}`, value: body }));
    });
    await send(items);
    await settled();
    const ds = decisionsFor(ids);
    expect(ds).toHaveLength(30);
    expect(ds.every((d) => d.status === 'ACCEPTED')).toBe(true);
    const { rows } = await bed.pg.query(`SELECT count(*)::int AS n FROM claim WHERE event_id LIKE 'retry-storm-%'`);
    expect(rows[0].n).toBe(30);
  });

  it('parks the same eventId with another body as EVENT_ID_REUSED and keeps the first decision', async () => {
    const dlq = () =>
      bed.on(dlqName(Topics.claimRequested.name)).filter((m) => m.headers[DLQ_HEADERS.reason]?.startsWith('EVENT_ID_REUSED'));
    const before = dlq().length;
    await send([{ key: 'reuser', value: request('reused-1', 'reuser') }]);
    await waitFor('first decided', () => decisionsFor(['reused-1']).length === 1);
    // later, and at once on other partitions: the same eventId for other accounts
    await send([
      { key: 'reuser', value: request('reused-1', 'reuser-b') },
      { key: 'reuser-x', value: request('reused-1', 'reuser-c') },
      { key: 'reuser-y', value: request('reused-1', 'reuser-d') },
    ]);
    await waitFor('3 parked', () => dlq().length === before + 3);
    expect(decisionsFor(['reused-1'])).toHaveLength(1);
    expect(decisionsFor(['reused-1'])[0]).toMatchObject({ accountId: 'reuser', status: 'ACCEPTED' });
    expect(dlq()[before]?.headers[DLQ_HEADERS.reason]).toBe('EVENT_ID_REUSED: eventId reused-1 was already used for a different claim');
  });
});
