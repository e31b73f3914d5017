import { dlqName, PayloadOf, Topics } from '@platform/contracts';
import { DLQ_HEADERS, ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { entitlementIdFor } from '../src/entitlements/entitlement-id';
import { acceptedDecision, CAMPAIGN_ID, EmoticonsTestBed, HEART_PACK_REWARDS, rejectedDecision, waitConsumed } from './helpers';

jest.setTimeout(60_000);

type Granted = PayloadOf<'entitlementGranted'>;

describe('emoticons: grants on compensation.claim.decided.v1 (real Kafka + Postgres)', () => {
  const clock = new ManualClock(new Date('2023-01-10T03:00:05Z'));
  let bed: EmoticonsTestBed;
  const granted = (): Granted[] => bed.read('entitlementGranted');

  beforeAll(async () => {
    bed = await EmoticonsTestBed.start('emoticons-grants', {
      collect: [Topics.entitlementGranted.name, dlqName(Topics.claimDecided.name)],
    });
    await bed.startEmoticons({ EMOTICON_REWARDS_WAIT_MS: '3000' }, { clock });
  });

  afterAll(() => bed?.close());

  const accepted = Array.from({ length: 300 }, (_, i) => acceptedDecision(`acct-${i}`));
  const rejected = Array.from({ length: 50 }, (_, i) => rejectedDecision(`rej-${i}`));

  const perClaim = async (): Promise<Map<string, number>> => {
    const { rows } = await bed.pg.query<{ claim_id: string; n: number }>(
      `SELECT claim_id, count(*)::int AS n FROM entitlement GROUP BY claim_id`,
    );
    return new Map(rows.map((r) => [r.claim_id, r.n]));
  };

  it('grants exactly one entitlement per emoticon of each accepted decision, and none for rejected ones', async () => {
    await bed.feeder.send('claimDecided', [...accepted, ...rejected]);
    await waitConsumed(bed.pg, bed.config, 'claimDecided');
    await waitFor('900 granted events', () => granted().length >= 900);

    const counts = await perClaim();
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 3)).toBe(true);
    expect(granted()).toHaveLength(900);

    const mine = granted().filter((g) => g.accountId === 'acct-7');
    expect(mine.map((g) => [g.emoticonId, g.validityDays]).sort()).toEqual([
      ['broken-bear', 90],
      ['choonsik-friends-2', null],
      ['tosimi-tomungi', 90],
    ]);
    for (const g of mine) {
      expect(g).toEqual({
        entitlementId: entitlementIdFor('claim-acct-7', g.emoticonId),
        claimId: 'claim-acct-7',
        eventId: 'req-acct-7',
        accountId: 'acct-7',
        campaignId: CAMPAIGN_ID,
        emoticonId: g.emoticonId,
        validityDays: g.validityDays,
        grantedAt: '2023-01-10T03:00:05.000Z',
      });
    }
    // keyed by account, so one user's events stay in order
    const msgs = bed.on(Topics.entitlementGranted.name);
    expect(msgs.every((m) => m.key === m.json<Granted>().accountId)).toBe(true);
    const { rows } = await bed.pg.query(`SELECT count(*)::int AS n FROM entitlement WHERE account_id LIKE 'rej-%'`);
    expect(rows[0].n).toBe(0);
  });

  it('grants nothing more when decisions are published again, even as a different claim of the same account', async () => {
    await bed.feeder.send('claimDecided', accepted);
    await bed.feeder.send('claimDecided', [...accepted.slice(0, 100), ...accepted.slice(0, 100)]);
    // a producer bug: a second ACCEPTED claim for an account that already has its packs (I2 upstream)
    await bed.feeder.send('claimDecided', [acceptedDecision('acct-1', { claimId: 'claim-acct-1-again', eventId: 'req-acct-1-again' })]);
    // consumed, the outbox drained, every grant collected: a wrong grant would be here now
    await bed.settled(Topics.entitlementGranted.name);

    expect(granted()).toHaveLength(900);
    const counts = await perClaim();
    expect(counts.size).toBe(300);
    expect([...counts.values()].every((n) => n === 3)).toBe(true);
  });

  it('grants nothing more after a restart and a replay of the same decisions', async () => {
    await bed.closeApp();
    await bed.startEmoticons({ EMOTICON_REWARDS_WAIT_MS: '3000' }, { clock });
    await bed.feeder.send('claimDecided', accepted);
    await bed.settled(Topics.entitlementGranted.name);

    expect(granted()).toHaveLength(900);
    expect(new Set(granted().map((g) => g.entitlementId)).size).toBe(900);
    const { rows } = await bed.pg.query(`SELECT count(*)::int AS n FROM entitlement`);
    expect(rows[0].n).toBe(900);
  });

  it('an accepted decision without rewards uses the announced campaign; with an unknown campaign it waits, then goes to the DLQ', async () => {
    const spring = {
      campaignId: 'spring-2024',
      name: 'Spring thank-you pack',
      opensAt: '2024-03-01T00:00:00+09:00',
      closesAt: '2024-03-08T00:00:00+09:00',
      rewards: {
        emoticons: [
          { emoticonId: 'spring-bear', name: 'Spring Bear', validityDays: 30 },
          { emoticonId: 'choonsik-friends-2', name: 'Choonsik is Friends 2', validityDays: null },
        ],
        coupons: null,
        pass: null,
      },
      relief: null,
    };
    await bed.feeder.send('campaignDefined', [{ definedAt: '2024-02-20T00:00:00+09:00', campaign: spring }]);
    await waitConsumed(bed.pg, bed.config, 'campaignDefined');

    const { rewards: _r, ...withoutRewards } = acceptedDecision('spring-1', { campaignId: 'spring-2024' });
    const { rewards: _u, ...unknown } = acceptedDecision('ghost-1', { campaignId: 'no-such-campaign' });
    await bed.feeder.send('claimDecided', [withoutRewards, unknown]);
    await waitFor('2 spring grants', () => granted().filter((g) => g.accountId === 'spring-1').length === 2);
    expect(
      granted()
        .filter((g) => g.accountId === 'spring-1')
        .map((g) => [g.campaignId, g.emoticonId, g.validityDays])
        .sort(),
    ).toEqual([
      ['spring-2024', 'choonsik-friends-2', null],
      ['spring-2024', 'spring-bear', 30],
    ]);

    await waitFor('ghost decision deferred', async () => (await bed.pg.query(`SELECT 1 FROM deferred_message`)).rowCount === 1);
    const dlq = bed.prefix + dlqName(Topics.claimDecided.name);
    expect(bed.collector.on(dlq)).toHaveLength(0);
    clock.advance(3500);
    await waitFor('ghost decision in the DLQ', () => bed.collector.on(dlq).length === 1, 20_000);
    expect(bed.collector.on(dlq)[0]?.headers[DLQ_HEADERS.reason]).toMatch(
      /^DEFERRED_TIMEOUT: UNKNOWN_REWARDS: accepted claim claim-ghost-1 carries no rewards and campaign no-such-campaign has not been defined/,
    );
    expect(granted().filter((g) => g.accountId === 'ghost-1')).toHaveLength(0);
  });

  it('parks malformed and schema-breaking decisions in the DLQ with their reason and keeps granting', async () => {
    const dlq = bed.prefix + dlqName(Topics.claimDecided.name);
    const before = bed.collector.on(dlq).length;
    await bed.feeder.send('claimDecided', [
      '{"claimId": "broken',
      JSON.stringify({ ...acceptedDecision('bad-1'), status: 'MAYBE' }),
      JSON.stringify({
        ...acceptedDecision('bad-2'),
        rewards: { ...HEART_PACK_REWARDS, emoticons: [{ emoticonId: 'x', name: 'X', validityDays: -5 }] },
      }),
      acceptedDecision('after-bad'),
    ]);
    await waitFor('3 dead letters', () => bed.collector.on(dlq).length >= before + 3);
    const reasons = bed.collector
      .on(dlq)
      .slice(before)
      .map((m) => m.headers[DLQ_HEADERS.reason]);
    expect(reasons).toHaveLength(3);
    expect(reasons).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^MALFORMED_JSON/),
        expect.stringMatching(/^SCHEMA_VIOLATION: status/),
        expect.stringMatching(/^SCHEMA_VIOLATION: rewards\.emoticons\.0\.validityDays/),
      ]),
    );
    await waitFor('grants after the bad ones', () => granted().filter((g) => g.accountId === 'after-bad').length === 3);
    const { rows } = await bed.pg.query(`SELECT count(*)::int AS n FROM entitlement WHERE account_id LIKE 'bad-%'`);
    expect(rows[0].n).toBe(0);
  });
});
