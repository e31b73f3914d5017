// Service priorities (issue 17): a sheddable service holds new work while the claims service is
// behind, stays healthy (held on purpose is not stuck), and takes up every held message exactly
// once when the claims catch up. Real Kafka and Postgres; the claims lag is the claims group's.
import { INestApplication } from '@nestjs/common';
import { consumerGroupId, PayloadOf, Topics } from '@platform/contracts';
import { createTestDatabase, createTestTopics, deleteTestTopics, TestDatabase, testInfra, testKafka, waitFor } from '@platform/testing';
import { createKafka, MessagingRuntime, SafePublisher } from '../src';
import { createFixtureApp, DecisionObserver } from './fixture-app';
import { claim, ClaimFeeder } from './helpers';

jest.setTimeout(120_000);

describe('load shedding: claims first, shed work resumed with nothing lost', () => {
  const { brokers } = testInfra();
  let db: TestDatabase;
  let prefix: string;
  let app: INestApplication;
  let feeder: ClaimFeeder;
  let publisher: SafePublisher;

  beforeAll(async () => {
    db = await createTestDatabase('shedding');
    prefix = await createTestTopics('shedding', brokers);
    feeder = new ClaimFeeder(brokers, prefix);
    publisher = new SafePublisher(createKafka({ brokers, clientId: 'shedding-decisions' }));
    DecisionObserver.seen = [];
    // 'coupons' is sheddable (SERVICE_PRIORITIES); the fixture's observer consumes decisions like it
    app = await createFixtureApp({
      databaseUrl: db.url,
      brokers,
      prefix,
      service: 'coupons',
      role: 'observer',
      stallMs: 3000,
      shedding: { mode: 'auto', lagAbove: 5, resumeBelow: 1, maxShedMs: 120_000, checkMs: 200 },
    });
  });

  afterAll(async () => {
    await app?.close();
    await publisher?.close();
    await feeder?.close();
    await db?.drop();
    if (prefix) await deleteTestTopics(prefix, brokers);
  });

  const decided = (i: number): PayloadOf<'claimDecided'> => ({
    claimId: `c-${i}`,
    eventId: `ev-d-${i}`,
    campaignId: 'fixture',
    accountId: `acct-${i}`,
    status: 'ACCEPTED',
    decidedAt: new Date().toISOString(),
    requestedAt: new Date().toISOString(),
    makersMember: true,
  });

  it('holds while claims are behind, stays ready, then consumes every held decision once', async () => {
    const runtime = app.get(MessagingRuntime);
    const shedder = runtime.shedding;
    if (!shedder) throw new Error('a sheddable service has a shedder');
    expect(shedder.active).toBe(false);

    // Nobody decides these: the claims group is 10 behind, over the bound of 5.
    await feeder.send(Array.from({ length: 10 }, (_, i) => claim(900_000 + i)));
    // it may start as soon as 6 of the 10 are in (they go partition by partition)
    await waitFor('shedding on', () => shedder.active, 30_000, 100);
    expect(shedder.status().reason).toMatch(/^claims lag (6|7|8|9|10) > 5$/);
    await waitFor('the whole lag measured', () => shedder.claimsLag === 10, 30_000, 100);

    await publisher.publish(
      Array.from({ length: 20 }, (_, i) => ({
        topic: prefix + Topics.claimDecided.name,
        key: `acct-${i}`,
        value: Buffer.from(JSON.stringify(decided(i))),
        headers: {},
      })),
    );
    // The decisions reached the gate and wait there: fetched, not applied.
    await waitFor('a chunk held at the gate', () => shedder.holding > 0, 30_000, 100);
    const consumer = runtime.consumers[0];
    if (!consumer) throw new Error('the observer consumes');
    // Past the stall bound (3 s) and a lag measurement (every 5 s) with lag on its partitions: held, not stuck.
    await waitFor(
      'a partition with lag, still past the stall bound',
      () => [...consumer.progress.values()].some((p) => p.highWatermark > p.nextOffset && Date.now() - p.movedAt > 3000),
      30_000,
      200,
    );
    expect(consumer.stuckPartitions()).toEqual([]);
    expect(consumer.isHealthy()).toBe(true);
    expect(DecisionObserver.seen).toEqual([]);

    // The claims service catches up: its group's offsets reach the end of the claim-requested topic.
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      const topic = prefix + Topics.claimRequested.name;
      const ends = await admin.fetchTopicOffsets(topic);
      await admin.setOffsets({
        groupId: consumerGroupId('claims', prefix),
        topic,
        partitions: ends.map((e) => ({ partition: e.partition, offset: e.high })),
      });
    } finally {
      await admin.disconnect();
    }
    await waitFor('shedding off', () => !shedder.active, 30_000, 100);
    expect(shedder.status()).toMatchObject({ active: false, claimsLag: 0, periods: 1 });
    await waitFor('all 20 held decisions consumed', () => new Set(DecisionObserver.seen).size === 20, 60_000, 100);
    expect(DecisionObserver.seen.filter((e) => e.startsWith('ev-d-')).sort()).toEqual(
      Array.from({ length: 20 }, (_, i) => `ev-d-${i}`).sort(),
    );
    expect(consumer.isHealthy()).toBe(true);
  });

  it('the ops switch sheds at once whatever the lag, and auto takes the policy back', async () => {
    const shedder = app.get(MessagingRuntime).shedding;
    if (!shedder) throw new Error('a sheddable service has a shedder');
    await shedder.set('on', 60_000);
    expect(shedder.status()).toMatchObject({ mode: 'on', configuredMode: 'auto', active: true, reason: 'shedding on (ops)' });
    await shedder.set('auto');
    // lag 0 < resumeBelow 1
    expect(shedder.status()).toMatchObject({ mode: 'auto', active: false, overrideUntil: null });
  });
});
