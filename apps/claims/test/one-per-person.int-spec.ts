import { CampaignDefinition, Topics } from '@platform/contracts';
import { createKafka, partitionFor, SafePublisher } from '@platform/messaging';
import { testInfra, waitFor } from '@platform/testing';
import { ClaimsTestBed } from './helpers';

jest.setTimeout(180_000);

const HOUR = 3600_000;

interface Decided {
  eventId: string;
  accountId: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason?: string;
}

describe('one gift per person (campaign option onePerPerson)', () => {
  const run = Date.now().toString(36);
  let bed: ClaimsTestBed;
  let publisher: SafePublisher;
  let partitions = 6;

  const campaign = (campaignId: string, onePerPerson: boolean | undefined): CampaignDefinition => ({
    campaignId,
    name: 'one per person test',
    opensAt: new Date(Date.now() - 24 * HOUR).toISOString(),
    closesAt: new Date(Date.now() + 24 * HOUR).toISOString(),
    ...(onePerPerson === undefined ? {} : { onePerPerson }),
    rewards: { emoticons: [{ emoticonId: 'e1', name: 'E1', validityDays: null }], coupons: null, pass: null },
    relief: null,
  });
  const on = `${run}-on`;
  const off = `${run}-off`;

  const request = (eventId: string, accountId: string, phoneNumber: string, campaignId = on) => ({
    eventId,
    campaignId,
    accountId,
    talkLinked: true,
    phoneNumber,
    makersMember: false,
    requestedAt: new Date().toISOString(),
  });
  const send = (values: ReturnType<typeof request>[]) =>
    publisher.publish(
      values.map((v) => ({
        topic: bed.prefix + Topics.claimRequested.name,
        key: v.accountId,
        value: Buffer.from(JSON.stringify(v)),
        headers: {},
      })),
    );
  const decisions = (ids: string[]) =>
    bed
      .on(Topics.claimDecided.name)
      .map((m) => m.json<Decided>())
      .filter((d) => ids.includes(d.eventId));
  /** An account id of `base` that lands on another partition than `other` (a real race between two consumers). */
  const otherPartition = (base: string, other: string) => {
    const topic = bed.prefix + Topics.claimRequested.name;
    const p = partitionFor(topic, other, partitions);
    for (let k = 0; ; k++) if (partitionFor(topic, `${base}${k}`, partitions) !== p) return `${base}${k}`;
  };

  beforeAll(async () => {
    bed = await ClaimsTestBed.start('claims-person', { collect: [Topics.claimDecided.name] });
    // small chunks and several partitions at once: twins race in concurrent transactions
    await bed.startClaims({ CONSUMER_CHUNK_SIZE: '5', CONSUMER_CONCURRENCY: '6' });
    publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'person-test' }));
    bed.defer(() => publisher.close());
    partitions = await publisher.partitionCount(bed.prefix + Topics.claimRequested.name);
    for (const c of [campaign(on, true), campaign(off, undefined)]) await bed.defineCampaign(c);
  });

  afterAll(() => bed?.close());

  it('is on for the seeded 2023 campaign', async () => {
    const { rows } = await bed.pg.query(`SELECT definition->'onePerPerson' AS v FROM campaign WHERE campaign_id = 'kakao-2023-heart-pack'`);
    expect(rows[0]?.v).toBe(true);
  });

  it('rejects a second account with the same phone number (any written form) as DUPLICATE_PERSON, and keeps DUPLICATE for the same account', async () => {
    await send([request(`${run}-p1`, `${run}-alice-1`, '010-5555-0001')]);
    await waitFor('first', () => decisions([`${run}-p1`]).length === 1);
    await send([
      request(`${run}-p2`, `${run}-alice-2`, '+82 10 5555 0001'),
      request(`${run}-p3`, `${run}-alice-1`, '010-5555-0001'),
      request(`${run}-p4`, `${run}-bob`, '010-5555-0002'),
    ]);
    await waitFor('three more', () => decisions([`${run}-p2`, `${run}-p3`, `${run}-p4`]).length === 3);
    const by = (id: string) => decisions([id])[0];
    expect(by(`${run}-p1`)).toMatchObject({ status: 'ACCEPTED' });
    expect(by(`${run}-p2`)).toMatchObject({ status: 'REJECTED', reason: 'DUPLICATE_PERSON' });
    expect(by(`${run}-p3`)).toMatchObject({ status: 'REJECTED', reason: 'DUPLICATE' });
    expect(by(`${run}-p4`)).toMatchObject({ status: 'ACCEPTED' });
  });

  it('accepts both accounts when the campaign does not ask for it', async () => {
    await send([
      request(`${run}-o1`, `${run}-carol-1`, '010-5555-0003', off),
      request(`${run}-o2`, `${run}-carol-2`, '010-5555-0003', off),
    ]);
    await waitFor('two', () => decisions([`${run}-o1`, `${run}-o2`]).length === 2);
    expect(decisions([`${run}-o1`, `${run}-o2`]).map((d) => d.status)).toEqual(['ACCEPTED', 'ACCEPTED']);
  });

  it('race: 60 people each claiming from two accounts at once, on different partitions, get exactly one ACCEPTED each', async () => {
    const pairs = Array.from({ length: 60 }, (_, i) => {
      const phone = `010-7${String(100 + i).padStart(3, '0')}-${String(1000 + i)}`;
      const a = `${run}-race-${i}-a`;
      const b = otherPartition(`${run}-race-${i}-b`, a);
      return [request(`${run}-ra-${i}`, a, phone), request(`${run}-rb-${i}`, b, phone)] as const;
    });
    await Promise.all([send(pairs.map((p) => p[0])), send(pairs.map((p) => p[1]))]);
    const ids = pairs.flatMap((p) => [p[0].eventId, p[1].eventId]);
    await waitFor('every twin decided', () => decisions(ids).length === ids.length, 120_000, 200);
    for (const [a, b] of pairs) {
      const ds = decisions([a.eventId, b.eventId]);
      expect(ds.filter((d) => d.status === 'ACCEPTED')).toHaveLength(1);
      expect(ds.filter((d) => d.status === 'REJECTED').map((d) => d.reason)).toEqual(['DUPLICATE_PERSON']);
    }
    // the database says the same: one accepted claim per phone key in the campaign
    const { rows } = await bed.pg.query(
      `SELECT phone_hash, count(*)::int AS n FROM claim WHERE campaign_id = $1 AND status = 'ACCEPTED' GROUP BY 1 HAVING count(*) > 1`,
      [on],
    );
    expect(rows).toEqual([]);
  });
});
