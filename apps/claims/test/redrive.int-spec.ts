import { CampaignDefinition, dlqName, PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '@platform/messaging';
import { testInfra, waitFor } from '@platform/testing';
import { ClaimsTestBed } from './helpers';

jest.setTimeout(180_000);

const HOUR = 3600_000;

describe('claim re-drive (compensation.claim.redrive.requested.v1)', () => {
  const run = Date.now().toString(36);
  let bed: ClaimsTestBed;
  let publisher: SafePublisher;

  const campaignId = `${run}-redrive`;
  const campaign: CampaignDefinition = {
    campaignId,
    name: 'redrive test',
    opensAt: new Date(Date.now() - 24 * HOUR).toISOString(),
    closesAt: new Date(Date.now() + 24 * HOUR).toISOString(),
    rewards: {
      emoticons: [{ emoticonId: 'e1', name: 'E1', validityDays: null }],
      coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
      pass: null,
    },
    relief: null,
  };
  const request = (eventId: string, accountId: string, talkLinked = true) => ({
    eventId,
    campaignId,
    accountId,
    talkLinked,
    phoneNumber: '010-1234-5678',
    makersMember: true,
    requestedAt: new Date().toISOString(),
  });
  const send = <K extends TopicKey>(topic: K, values: PayloadOf<K>[], key: (v: PayloadOf<K>) => string) =>
    publisher.publish(
      values.map((v) => ({ topic: bed.prefix + Topics[topic].name, key: key(v), value: Buffer.from(JSON.stringify(v)), headers: {} })),
    );
  const decided = (eventId: string) => bed.read('claimDecided').filter((d) => d.eventId === eventId);
  const parked = () => bed.on(dlqName(Topics.claimRedriveRequested.name));
  const redrive = (claimId: string, accountId: string, attempt = 1): PayloadOf<'claimRedriveRequested'> => ({
    claimId,
    campaignId,
    accountId,
    missing: ['EMOTICONS', 'COUPONS'],
    attempt,
    requestedAt: new Date().toISOString(),
  });

  beforeAll(async () => {
    bed = await ClaimsTestBed.start('claims-redrive', { collect: [Topics.claimDecided.name, dlqName(Topics.claimRedriveRequested.name)] });
    await bed.startClaims();
    publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'redrive-test' }));
    bed.defer(() => publisher.close());
    await bed.defineCampaign(campaign);
  });

  afterAll(() => bed?.close());

  it('publishes the stored ACCEPTED decision again, identical, once per request; parks the rest as NOT_REDRIVABLE', async () => {
    await send('claimRequested', [request(`${run}-a`, `${run}-alice`), request(`${run}-r`, `${run}-rob`, false)], (v) => v.accountId);
    await waitFor('two decisions', () => decided(`${run}-a`).length === 1 && decided(`${run}-r`).length === 1);
    const [first] = decided(`${run}-a`);
    const [rejected] = decided(`${run}-r`);
    expect(first).toMatchObject({ status: 'ACCEPTED', rewards: campaign.rewards });
    expect(rejected).toMatchObject({ status: 'REJECTED', reason: 'NOT_TALK_LINKED' });
    if (!first || !rejected) throw new Error('no decisions');

    // The same claim twice in one go (two re-drive requests) and three that cannot be re-driven.
    await send(
      'claimRedriveRequested',
      [
        redrive(first.claimId, first.accountId, 1),
        redrive(first.claimId, first.accountId, 2),
        redrive(rejected.claimId, rejected.accountId),
        redrive('00000000-0000-4000-8000-000000000000', `${run}-nobody`),
        redrive(first.claimId, `${run}-mallory`),
      ],
      (v) => v.accountId,
    );
    await waitFor('re-driven and parked', () => decided(`${run}-a`).length >= 2 && parked().length === 3);
    const again = decided(`${run}-a`);
    // Both requests shared one partition (same account) but may have come in one chunk or two.
    expect(again.length === 2 || again.length === 3).toBe(true);
    for (const d of again) expect(d).toEqual(first);
    expect(decided(`${run}-r`)).toHaveLength(1);
    const reasons = parked().map((m) => m.headers['dlq-reason'] ?? '');
    expect(reasons).toHaveLength(3);
    for (const r of reasons) expect(r).toMatch(/^NOT_REDRIVABLE: /);
    expect(reasons.some((r) => r.includes('REJECTED'))).toBe(true);
    expect(reasons.some((r) => r.includes('not known here'))).toBe(true);
    expect(reasons.some((r) => r.includes(`not ${run}-mallory`))).toBe(true);
  });
});
