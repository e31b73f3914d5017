import type { Client } from 'pg';
import { CampaignDefinition, PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { testKafka, waitFor } from '@platform/testing';
import type { CampaignCost } from '../src/cost/cost.service';
import { AppApiHarness, heartPackRewards, Sent } from './harness';

jest.setTimeout(120_000);

const rewards = heartPackRewards({ valued: true });

// KST is UTC+9: 14:59:59Z is 23:59:59 on the 5th in Seoul, 15:00:00Z is midnight of the 6th.
const LAST_SECOND_OF_JAN_5_KST = '2023-01-05T14:59:59.000Z';
const FIRST_SECOND_OF_JAN_6_KST = '2023-01-05T15:00:00.000Z';
const JAN_7_KST = '2023-01-07T03:00:00.000Z';
const JAN_8_KST = '2023-01-08T01:00:00+09:00';
const FEB_4_KST = '2023-02-04T10:00:00+09:00';

describe('app-api: the cost ledger, from events, exact after redelivery and replays', () => {
  const h = new AppApiHarness({ database: 'app_api_cost', topics: 'app-api-cost' });
  const run = Date.now().toString(36);
  const campaignId = `cost-${run}`;
  let pg: Client;
  let reader: Record<string, string>;
  let ops: Record<string, string>;
  let backend: Record<string, string>;

  const publish = (events: Sent[]) => h.publishAll(events);
  const get = (id: string, headers: Record<string, string> = reader) => h.get<CampaignCost>(`/v1/campaigns/${id}/cost`, headers);
  /** Every message published so far on the ledger's topics is applied (the service's stored offsets reach the high watermarks). */
  const consumedAll = async () => {
    const admin = testKafka(h.infra.brokers).admin();
    await admin.connect();
    try {
      const topics: TopicKey[] = ['campaignDefined', 'claimDecided', 'entitlementGranted', 'couponIssued', 'couponRedemptionDecided'];
      topics.push('couponExpired', 'passReserved', 'passSent');
      const highs = await Promise.all(
        topics.map(async (k) => ({ name: Topics[k].name, offsets: await admin.fetchTopicOffsets(h.topic(k)) })),
      );
      await waitFor('every published event applied', async () => {
        const { rows } = await pg.query<{ topic: string; partition: number; next_offset: string }>(
          `SELECT topic, partition, next_offset FROM consumer_offset`,
        );
        const at = (topic: string, p: number) =>
          BigInt(rows.find((r) => (r.topic === topic || r.topic === h.prefix + topic) && r.partition === p)?.next_offset ?? '0');
        return highs.every((h) => h.offsets.every((o) => BigInt(o.high) === 0n || at(h.name, o.partition) >= BigInt(o.high)));
      });
    } finally {
      await admin.disconnect();
    }
  };
  const stable = (c: CampaignCost) => ({ ...c, readModel: undefined });

  beforeAll(async () => {
    await h.start();
    reader = await h.as('reader');
    ops = await h.as('ops');
    backend = await h.as('app-backend');
    pg = await h.pg();
  });

  afterAll(() => h.stop());

  it('is for finance (reader) and ops only, and 404 for a campaign it does not know', async () => {
    expect((await fetch(`${h.url}/v1/campaigns/${campaignId}/cost`)).status).toBe(401);
    expect((await get(campaignId, backend)).status).toBe(403);
    expect((await get(campaignId, ops)).status).toBe(404);
    expect((await get('not a campaign id!', ops)).status).toBe(400);
  });

  it('costs packs when granted, passes when sent, coupons when redeemed, per item and KST day, once however often events arrive', async () => {
    const definition: CampaignDefinition = {
      campaignId,
      name: 'Cost ledger test',
      opensAt: '2023-01-04T15:00:00.000Z',
      closesAt: '2023-01-20T15:00:00.000Z',
      budgetWon: 100_000,
      rewards,
      relief: null,
    };
    const a = `${run}-a`;
    const b = `${run}-b`;
    const grant = (acct: string, i: number, at: string): Sent => ({
      topic: 'entitlementGranted',
      key: acct,
      payload: {
        entitlementId: `${acct}-e${i}`,
        claimId: `${acct}-claim`,
        eventId: `${acct}-req`,
        accountId: acct,
        campaignId,
        emoticonId: rewards.emoticons[i]?.emoticonId as string,
        validityDays: rewards.emoticons[i]?.validityDays ?? null,
        grantedAt: at,
      },
    });
    const coupon = (acct: string, amountWon: number, at: string): Sent => ({
      topic: 'couponIssued',
      key: acct,
      payload: {
        couponId: `${acct}-k${amountWon}`,
        accountId: acct,
        claimId: `${acct}-claim`,
        eventId: `${acct}-req`,
        campaignId,
        amountWon,
        issuedAt: at,
        expiresAt: FEB_4_KST,
      },
    });
    const redemption = (acct: string, amountWon: number, eventId: string, status: 'REDEEMED' | 'REJECTED', at: string): Sent => ({
      topic: 'couponRedemptionDecided',
      key: acct,
      payload: {
        eventId,
        couponId: `${acct}-k${amountWon}`,
        orderId: `order-${eventId}`,
        accountId: acct,
        status,
        ...(status === 'REJECTED' ? { reason: 'MIN_PAYMENT' as const, paidAmountWon: null, discountWon: 0 } : {}),
        ...(status === 'REDEEMED' ? { paidAmountWon: 500, discountWon: amountWon } : {}),
        decidedAt: at,
      } as PayloadOf<'couponRedemptionDecided'>,
    });
    const reserved = (acct: string, slot: number, at: string): Sent => ({
      topic: 'passReserved',
      key: acct,
      payload: {
        passId: `${acct}-p`,
        accountId: acct,
        claimId: `${acct}-claim`,
        eventId: `${acct}-req`,
        campaignId,
        slot,
        claimedAt: at,
        reservedAt: at,
      },
    });
    const events: Sent[] = [
      { topic: 'campaignDefined', key: campaignId, payload: { definedAt: '2023-01-01T00:00:00.000Z', campaign: definition } },
      // a's packs on the 5th (KST), b's on the 6th: one second apart in UTC
      ...[0, 1, 2].map((i) => grant(a, i, LAST_SECOND_OF_JAN_5_KST)),
      ...[0, 1, 2].map((i) => grant(b, i, FIRST_SECOND_OF_JAN_6_KST)),
      coupon(a, 2000, LAST_SECOND_OF_JAN_5_KST),
      coupon(a, 3000, LAST_SECOND_OF_JAN_5_KST),
      coupon(b, 2000, FIRST_SECOND_OF_JAN_6_KST),
      coupon(b, 3000, FIRST_SECOND_OF_JAN_6_KST),
      // a's 2,000 coupon: refused once, then redeemed (and a stray second REDEEMED answer for it), on the 7th
      redemption(a, 2000, `${run}-r1`, 'REJECTED', JAN_7_KST),
      redemption(a, 2000, `${run}-r2`, 'REDEEMED', JAN_7_KST),
      redemption(a, 2000, `${run}-r3`, 'REDEEMED', JAN_8_KST),
      { topic: 'couponExpired', key: b, payload: { couponId: `${b}-k3000`, accountId: b, amountWon: 3000, expiredAt: FEB_4_KST } },
      reserved(a, 1, LAST_SECOND_OF_JAN_5_KST),
      reserved(b, 2, FIRST_SECOND_OF_JAN_6_KST),
      {
        topic: 'passSent',
        key: a,
        payload: { passId: `${a}-p`, accountId: a, campaignId, slot: 1, sentAt: JAN_8_KST, registerBy: FEB_4_KST },
      },
    ];
    // every event delivered twice (redelivery)
    await publish(events);
    await publish(events);
    await consumedAll();

    const { status, body } = await get(campaignId);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      campaignId,
      name: 'Cost ledger test',
      timeZone: 'Asia/Seoul',
      definedBy: Topics.campaignDefined.name,
      budgetWon: 100_000,
      grantedWon: 6 * 2500 + 1900,
      redeemedWon: 2000,
      costWon: 18_900,
      remainingWon: 81_100,
      shareUsed: 0.189,
      committedWon: 1900,
      // b's 2,000 and a's 3,000 are still redeemable; b's 3,000 expired
      exposureWon: 5000,
      notCosted: [],
    });
    expect(body.items.map((i) => [i.kind, i.item, i.spent.count, i.spent.won])).toEqual([
      ['EMOTICON', 'broken-bear', 2, 5000],
      ['EMOTICON', 'choonsik-friends-2', 2, 5000],
      ['EMOTICON', 'tosimi-tomungi', 2, 5000],
      ['COUPON', 'coupon-2000', 1, 2000],
      ['COUPON', 'coupon-3000', 0, 0],
      ['PASS', 'pass', 1, 1900],
    ]);
    expect(body.items.find((i) => i.item === 'pass')?.committed).toEqual({ count: 1, won: 1900 });
    expect(body.items.find((i) => i.item === 'coupon-3000')?.exposure).toEqual({
      issued: { count: 2, won: 6000 },
      expired: { count: 1, won: 3000 },
      outstanding: { count: 1, won: 3000 },
    });
    expect(body.days.map((d) => [d.day, d.grantedWon, d.redeemedWon, d.costWon, d.cumulativeCostWon, d.couponsIssuedWon])).toEqual([
      ['2023-01-05', 7500, 0, 7500, 7500, 5000],
      ['2023-01-06', 7500, 0, 7500, 15_000, 5000],
      ['2023-01-07', 0, 2000, 2000, 17_000, 0],
      ['2023-01-08', 1900, 0, 1900, 18_900, 0],
    ]);
    expect(body.days[2]?.items).toEqual([{ kind: 'COUPON', item: 'coupon-2000', count: 1, won: 2000 }]);

    // a replay of the whole history (a reset consumer, a re-driven claim) changes nothing
    await publish(events);
    await consumedAll();
    expect(stable((await get(campaignId)).body)).toEqual(stable(body));

    // an older announcement arriving late changes nothing; a newer one sets the budget
    const announce = (definedAt: string, budgetWon: number): Sent => ({
      topic: 'campaignDefined',
      key: campaignId,
      payload: { definedAt, campaign: { ...definition, budgetWon } },
    });
    await publish([announce('2022-12-31T00:00:00.000Z', 1)]);
    await consumedAll();
    expect((await get(campaignId)).body.budgetWon).toBe(100_000);
    await publish([announce('2023-01-02T00:00:00.000Z', 200_000)]);
    await consumedAll();
    expect((await get(campaignId)).body).toMatchObject({ budgetWon: 200_000, remainingWon: 181_100, shareUsed: 0.0945 });
  });

  it('counts a redemption once its coupon is known, and costs a campaign it knows only from decisions at their rewards, without a budget', async () => {
    const other = `cost-nodef-${run}`;
    const c = `${run}-c`;
    const redeemed: Sent = {
      topic: 'couponRedemptionDecided',
      key: c,
      payload: {
        eventId: `${run}-rc`,
        couponId: `${c}-k`,
        orderId: 'o',
        accountId: c,
        status: 'REDEEMED',
        paidAmountWon: 100,
        discountWon: 2000,
        decidedAt: JAN_8_KST,
      },
    };
    const decided: Sent = {
      topic: 'claimDecided',
      key: c,
      payload: {
        claimId: `${c}-claim`,
        eventId: `${c}-req`,
        campaignId: other,
        accountId: c,
        status: 'ACCEPTED',
        decidedAt: JAN_7_KST,
        requestedAt: JAN_7_KST,
        makersMember: true,
        rewards,
      },
    };
    await publish([decided, redeemed]);
    await consumedAll();
    const before = await get(other);
    expect(before.status).toBe(200);
    expect(before.body).toMatchObject({
      definedBy: Topics.claimDecided.name,
      name: null,
      budgetWon: null,
      remainingWon: null,
      shareUsed: null,
      costWon: 0,
    });

    await publish([
      {
        topic: 'couponIssued',
        key: c,
        payload: {
          couponId: `${c}-k`,
          accountId: c,
          claimId: `${c}-claim`,
          eventId: `${c}-req`,
          campaignId: other,
          amountWon: 2000,
          issuedAt: JAN_7_KST,
          expiresAt: FEB_4_KST,
        },
      },
      {
        topic: 'passSent',
        key: c,
        payload: { passId: `${c}-p`, accountId: c, campaignId: other, slot: 1, sentAt: JAN_8_KST, registerBy: FEB_4_KST },
      },
    ]);
    const after = await waitFor('the redemption counted', async () => {
      const r = (await get(other)).body;
      return r.redeemedWon > 0 && r.grantedWon > 0 ? r : null;
    });
    expect(after).toMatchObject({ redeemedWon: 2000, grantedWon: 1900, costWon: 3900, exposureWon: 0, budgetWon: null });
    // an outcome whose coupon's issue was stored at the same moment (neither saw the other) is resolved by the read
    await pg.query(`UPDATE cost_coupon_outcome SET campaign_id = NULL, face_won = NULL WHERE coupon_id = $1`, [`${c}-k`]);
    expect(stable((await get(other)).body)).toEqual(stable(after));
    // the coupon's issue day shows its face value as exposure, its cost falls on the redemption's day
    expect(after.days.map((d) => [d.day, d.costWon, d.couponsIssuedWon])).toEqual([
      ['2023-01-07', 0, 2000],
      ['2023-01-08', 3900, 0],
    ]);
  });
});
