import { dlqName, PayloadOf, Topics } from '@platform/contracts';
import { DLQ_HEADERS } from '@platform/messaging';
import { TopicCollector, waitFor } from '@platform/testing';
import type { Timeline } from '../src/timeline/timeline.service';
import { FakeClaims } from './fake-claims';
import { AppApiHarness, heartPackRewards } from './harness';

jest.setTimeout(120_000);

const rewards = heartPackRewards({ passCap: 2 });

describe('app-api: one account timeline from the read model', () => {
  const h = new AppApiHarness({ database: 'app_api_timeline', topics: 'app-api-tl' });
  const run = Date.now().toString(36);
  const campaignId = `tl-${run}`;
  let claims: FakeClaims;
  let collector: TopicCollector;
  let backend: Record<string, string>;

  const publish = h.publish.bind(h);
  const timeline = (accountId: string) => h.get<Timeline>(`/v1/accounts/${accountId}/timeline`, backend);
  const claim = (key: string, accountId: string, makersMember = true) =>
    fetch(`${h.url}/v1/claims`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key, ...backend },
      body: JSON.stringify({
        campaignId,
        accountId,
        talkLinked: true,
        phoneNumber: '010-3456-7890',
        makersMember,
        requestedAt: new Date().toISOString(),
      }),
    });

  beforeAll(async () => {
    await h.prepare();
    claims = await new FakeClaims(h.prefix, h.infra.brokers, () => ({ status: 'ACCEPTED', rewards })).start();
    await h.start({ CLAIMS_CONSUMER_GROUP: claims.groupId });
    backend = await h.as('app-backend');
    collector = await new TopicCollector([h.prefix + dlqName(Topics.entitlementGranted.name)], h.infra.brokers).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await claims?.stop();
    await h.stop();
  });

  it('follows one member from the claim to a complete gift pack, each grant as it happened, once each', async () => {
    const acct = `${run}-member`;
    expect((await timeline(acct)).status).toBe(404);
    expect((await claim(`${run}-c1`, acct)).status).toBe(202);
    const accepted = await waitFor('the decision in the timeline', async () => {
      const t = await timeline(acct);
      return t.body.claims?.[0]?.status === 'ACCEPTED' ? t.body : null;
    });
    expect(accepted.status).toBe('PENDING');
    expect(accepted.pending).toEqual([
      `${campaignId} EMOTICONS: 0 of 3 granted`,
      `${campaignId} COUPONS: 0 of 2 issued`,
      `${campaignId} PASS: not reserved yet`,
    ]);
    const claimId = accepted.claims[0]?.claimId as string;
    const eventId = `${run}-c1`;
    const t0 = Date.now();
    const at = (s: number) => new Date(t0 + s * 1000).toISOString();

    // every grant, twice (redelivery): the timeline counts each once
    for (let round = 0; round < 2; round++) {
      for (const [i, e] of rewards.emoticons.entries()) {
        await publish(
          'entitlementGranted',
          {
            entitlementId: `${acct}-e${i}`,
            claimId,
            eventId,
            accountId: acct,
            campaignId,
            emoticonId: e.emoticonId,
            validityDays: e.validityDays,
            grantedAt: at(1),
          },
          acct,
        );
      }
      for (const [i, amountWon] of [2000, 3000].entries()) {
        await publish(
          'couponIssued',
          {
            couponId: `${acct}-k${i}`,
            accountId: acct,
            claimId,
            eventId,
            campaignId,
            amountWon,
            issuedAt: at(1),
            expiresAt: at(86400 * 30),
          },
          acct,
        );
      }
      await publish(
        'passReserved',
        { passId: `${acct}-p`, accountId: acct, claimId, eventId, campaignId, slot: 2, claimedAt: at(0), reservedAt: at(1) },
        acct,
      );
    }
    // another account's pass (slot 1) went out first: ours is next in the queue
    await publish(
      'passSent',
      { passId: 'other-p', accountId: `${run}-other`, campaignId, slot: 1, sentAt: at(2), registerBy: at(86400 * 30) },
      `${run}-other`,
    );
    await publish(
      'passDelayNotice',
      { passId: `${acct}-p`, accountId: acct, campaignId, slot: 2, claimedAt: at(0), estimatedDeliveryAt: at(4 * 86400), noticedAt: at(3) },
      acct,
    );

    const queued = await waitFor('grants and the queue in the timeline', async () => {
      const t = (await timeline(acct)).body;
      const c = t.claims[0];
      return c && c.emoticons.length === 3 && c.coupons.length === 2 && c.pass && 'queuePosition' in c.pass && c.pass.delayNoticeAt
        ? t
        : null;
    });
    expect(queued.status).toBe('PENDING');
    expect(queued.pending).toEqual([`${campaignId} PASS: reserved, waiting in the send queue`]);
    expect(queued.claims[0]?.pass).toMatchObject({
      state: 'RESERVED',
      slot: 2,
      queuePosition: 0,
      estimatedDeliveryAt: at(4 * 86400),
      delayNoticeAt: at(3),
    });

    await publish(
      'entitlementActivated',
      {
        entitlementId: `${acct}-e1`,
        eventId: `${run}-dl`,
        accountId: acct,
        emoticonId: 'tosimi-tomungi',
        activatedAt: at(5),
        expiresAt: at(5 + 90 * 86400),
      },
      acct,
    );
    await publish(
      'couponRedemptionDecided',
      {
        eventId: `${run}-r0`,
        couponId: `${acct}-k1`,
        orderId: 'o-1',
        accountId: acct,
        status: 'REJECTED',
        reason: 'MIN_PAYMENT',
        paidAmountWon: null,
        discountWon: 0,
        decidedAt: at(6),
      },
      acct,
    );
    await publish(
      'couponRedemptionDecided',
      {
        eventId: `${run}-r1`,
        couponId: `${acct}-k0`,
        orderId: 'o-2',
        accountId: acct,
        status: 'REDEEMED',
        paidAmountWon: 500,
        discountWon: 2000,
        decidedAt: at(7),
      },
      acct,
    );
    // expiry reminders (issue 19), each twice (redelivery): shown once, on the grant they are about
    for (let round = 0; round < 2; round++) {
      await publish(
        'entitlementExpiringSoon',
        {
          entitlementId: `${acct}-e1`,
          accountId: acct,
          campaignId,
          emoticonId: 'tosimi-tomungi',
          expiresAt: at(5 + 90 * 86400),
          remindedAt: at(5.5),
        },
        acct,
      );
      await publish(
        'couponExpiringSoon',
        { couponId: `${acct}-k1`, accountId: acct, campaignId, amountWon: 3000, expiresAt: at(8), remindedAt: at(7.5) },
        acct,
      );
    }
    await publish('couponExpired', { couponId: `${acct}-k1`, accountId: acct, amountWon: 3000, expiredAt: at(8) }, acct);
    await publish(
      'passSent',
      { passId: `${acct}-p`, accountId: acct, campaignId, slot: 2, sentAt: at(9), registerBy: at(9 + 30 * 86400) },
      acct,
    );
    for (let round = 0; round < 2; round++) {
      await publish(
        'passRegistrationExpiringSoon',
        { passId: `${acct}-p`, accountId: acct, campaignId, registerBy: at(9 + 30 * 86400), remindedAt: at(9.5) },
        acct,
      );
    }
    await publish(
      'passRegistrationDecided',
      {
        eventId: `${run}-reg`,
        passId: `${acct}-p`,
        accountId: acct,
        status: 'REGISTERED',
        validUntil: at(10 + 30 * 86400),
        decidedAt: at(10),
      },
      acct,
    );

    const done = await waitFor('complete', async () => {
      const t = (await timeline(acct)).body;
      const c0 = t.claims[0];
      return t.status === 'COMPLETE' &&
        c0?.pass?.state === 'REGISTERED' &&
        c0.coupons.some((c) => c.state === 'EXPIRED' && c.remindedAt) &&
        c0.emoticons.some((e) => e.remindedAt) &&
        c0.pass.remindedAt
        ? t
        : null;
    });
    const c = done.claims[0];
    expect(c?.emoticons.map((e) => [e.emoticonId, e.state])).toEqual([
      ['choonsik-friends-2', 'GRANTED'],
      ['tosimi-tomungi', 'ACTIVE'],
      ['broken-bear', 'GRANTED'],
    ]);
    expect(c?.emoticons[1]?.expiresAt).toBe(at(5 + 90 * 86400));
    expect(c?.emoticons.map((e) => e.remindedAt)).toEqual([undefined, at(5.5), undefined]);
    expect(c?.coupons.map((k) => k.remindedAt)).toEqual([undefined, at(7.5)]);
    expect(c?.coupons).toEqual([
      expect.objectContaining({ couponId: `${acct}-k0`, state: 'REDEEMED', paidAmountWon: 500, orderId: 'o-2', rejectedRedemptions: [] }),
      expect.objectContaining({
        couponId: `${acct}-k1`,
        state: 'EXPIRED',
        rejectedRedemptions: [{ reason: 'MIN_PAYMENT', decidedAt: at(6) }],
      }),
    ]);
    expect(c?.pass).toMatchObject({
      state: 'REGISTERED',
      sentAt: at(9),
      registerBy: at(9 + 30 * 86400),
      remindedAt: at(9.5),
      registeredAt: at(10),
    });
    expect(done.pending).toEqual([]);
    // the events in the order they happened, each once
    const kinds = done.events.map((e) => e.event);
    expect(kinds.filter((k) => k === 'entitlementGranted')).toHaveLength(3);
    expect(kinds.filter((k) => k === 'passReserved')).toHaveLength(1);
    for (const k of ['entitlementExpiringSoon', 'couponExpiringSoon', 'passRegistrationExpiringSoon'])
      expect(kinds.filter((x) => x === k)).toHaveLength(1);
    expect(kinds.at(-1)).toBe('passRegistrationDecided');
    expect(done.events.map((e) => e.at)).toEqual([...done.events.map((e) => e.at)].sort());
    expect(done.readModel).toMatchObject({ lagMessages: expect.any(Number), lastRecordedAt: expect.any(String) });
    expect(Object.keys(done.readModel.lagByTopic)).toContain(Topics.passSent.name);
  });

  it('is COMPLETE without coupons for a non-member after a sold-out answer, and REJECTED for a rejected claim', async () => {
    const acct = `${run}-nonmember`;
    expect((await claim(`${run}-c2`, acct, false)).status).toBe(202);
    const t = await waitFor('accepted', async () =>
      (await timeline(acct)).body.claims?.[0]?.claimId ? (await timeline(acct)).body : null,
    );
    const claimId = t.claims[0]?.claimId as string;
    for (const [i, e] of rewards.emoticons.entries())
      await publish(
        'entitlementGranted',
        {
          entitlementId: `${acct}-e${i}`,
          claimId,
          eventId: `${run}-c2`,
          accountId: acct,
          campaignId,
          emoticonId: e.emoticonId,
          validityDays: e.validityDays,
          grantedAt: new Date().toISOString(),
        },
        acct,
      );
    await publish(
      'passSoldOut',
      { accountId: acct, claimId, eventId: `${run}-c2`, campaignId, cap: 2, decidedAt: new Date().toISOString() },
      acct,
    );
    const done = await waitFor('complete', async () =>
      (await timeline(acct)).body.status === 'COMPLETE' ? (await timeline(acct)).body : null,
    );
    expect(done.claims[0]?.pass).toMatchObject({ state: 'SOLD_OUT', cap: 2 });
    expect(done.claims[0]?.coupons).toEqual([]);

    const rejected = `${run}-rejected`;
    await publish(
      'claimDecided',
      {
        claimId: `${run}-x`,
        eventId: `${run}-x`,
        campaignId,
        accountId: rejected,
        status: 'REJECTED',
        reason: 'OVERSEAS_NUMBER',
        decidedAt: new Date().toISOString(),
        requestedAt: new Date().toISOString(),
        makersMember: false,
      },
      rejected,
    );
    const r = await waitFor('rejected', async () => ((await timeline(rejected)).status === 200 ? (await timeline(rejected)).body : null));
    expect(r).toMatchObject({ status: 'REJECTED', pending: [], claims: [{ status: 'REJECTED', reason: 'OVERSEAS_NUMBER' }] });
  });

  it('parks a malformed grant event with its reason instead of dropping it', async () => {
    // not an entitlement grant: the schema says what is missing
    const malformed = { entitlementId: 'e', accountId: 'x' } as unknown as PayloadOf<'entitlementGranted'>;
    await publish('entitlementGranted', malformed, 'x');
    const parked = await waitFor('the dead letter', () => collector.on(h.prefix + dlqName(Topics.entitlementGranted.name))[0]);
    expect(parked.headers[DLQ_HEADERS.reason]).toMatch(/^SCHEMA_VIOLATION/);
  });
});
