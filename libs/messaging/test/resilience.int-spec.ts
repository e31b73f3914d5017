// What must never silently skip or stop a partition (issue 14): offsets that count another topic
// (a purged local Kafka, a recreated topic, another cluster), a dead letter that cannot be written,
// and an outgoing record Kafka will never take.
import { INestApplication } from '@nestjs/common';
import { dlqName, plannedTopics, Topics, trustTopicConfig } from '@platform/contracts';
import { deleteTestTopics, testInfra, testKafka, TopicCollector, waitFor } from '@platform/testing';
import { MessagingRuntime, OutboxRelay } from '../src';
import { createFixtureApp, FixtureOptions } from './fixture-app';
import { claim, ClaimFeeder } from './helpers';
import { TestBed } from './test-bed';

jest.setTimeout(180_000);

/**
 * Waits until the broker serves every partition of the prefix's topics: the metadata names a leader
 * for each planned partition, each leader answers a ListOffsets, and a probe record produced to every
 * partition of a topic no test reads (the claims DLQ) is acknowledged and visible in its high
 * watermark. Right after a (re)creation the metadata can name leaders that still answer "This server
 * is not the leader for that topic-partition"; a test started then waits on consumers that are not
 * fetching yet (the fresh-clone CI run timed out on the back-pressure test that way).
 */
async function untilTopicsServed(prefix: string, brokers: string[]): Promise<void> {
  const planned = plannedTopics().map((t) => ({ name: prefix + t.name, partitions: t.partitions }));
  const kafka = testKafka(brokers);
  const admin = kafka.admin();
  await admin.connect();
  try {
    await waitFor(
      `every partition of ${prefix}* has a leader`,
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: planned.map((t) => t.name) });
        return planned.every((t) => {
          const found = md.topics.find((m) => m.name === t.name);
          return found?.partitions.length === t.partitions && found.partitions.every((p) => p.leader >= 0);
        });
      },
      60_000,
      250,
    );
    for (const t of planned)
      await waitFor(
        `${t.name} answers ListOffsets`,
        async () => (await admin.fetchTopicOffsets(t.name)).length === t.partitions,
        60_000,
        250,
      );
    const probeTopic = prefix + dlqName(Topics.claimRequested.name);
    const partitions = planned.find((t) => t.name === probeTopic)?.partitions ?? 0;
    const before = new Map((await admin.fetchTopicOffsets(probeTopic)).map((o) => [o.partition, BigInt(o.high)]));
    const producer = kafka.producer();
    await producer.connect();
    try {
      await producer.send({
        topic: probeTopic,
        acks: -1,
        messages: Array.from({ length: partitions }, (_, partition) => ({ partition, key: 'probe', value: 'topics-served probe' })),
      });
    } finally {
      await producer.disconnect();
    }
    await waitFor(
      `the probe visible on every partition of ${probeTopic}`,
      async () => (await admin.fetchTopicOffsets(probeTopic)).every((o) => BigInt(o.high) > (before.get(o.partition) ?? 0n)),
      30_000,
      100,
    );
  } finally {
    await admin.disconnect();
  }
}

/** Deletes and creates again the prefix's topics, like `npm stop -- --purge` + `npm start` would. */
async function recreateTopics(prefix: string, brokers: string[]): Promise<void> {
  await deleteTestTopics(prefix, brokers);
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    const names = plannedTopics().map((t) => prefix + t.name);
    await waitFor('old topics gone', async () => (await admin.listTopics()).every((t) => !names.includes(t)), 60_000, 250);
    // createTopics can give up on a busy broker although it created the topics: create what is
    // missing until nothing is (a failed attempt is retried at the next poll).
    await waitFor(
      'topics created again',
      async () => {
        const existing = new Set(await admin.listTopics());
        const missing = plannedTopics().filter((t) => !existing.has(prefix + t.name));
        if (missing.length === 0) return true;
        await admin.createTopics({
          topics: missing.map((t) => ({
            topic: prefix + t.name,
            numPartitions: t.partitions,
            replicationFactor: 1,
            configEntries: Object.entries(trustTopicConfig(t.name)).map(([name, value]) => ({ name, value })),
          })),
        });
        return false;
      },
      60_000,
      500,
    );
  } finally {
    await admin.disconnect();
  }
  await untilTopicsServed(prefix, brokers);
}

/** The fixture service on a bed's database and topics, closed with the bed. */
const startFixture = (bed: TestBed, o: Partial<FixtureOptions> = {}): Promise<INestApplication> =>
  bed.startApp(() => createFixtureApp({ databaseUrl: bed.db.url, brokers: testInfra().brokers, prefix: bed.prefix, ...o }));

describe('offsets bound to the topic they count', () => {
  const { brokers } = testInfra();
  let bed: TestBed;
  let app: INestApplication | null = null;

  beforeEach(async () => {
    bed = await TestBed.open('offsets');
  });

  afterEach(async () => {
    app = null;
    await bed?.close();
  });

  const effects = async (): Promise<Map<string, number>> => {
    const r = await bed.pg.query<{ event_id: string; n: string }>('SELECT event_id, count(*) AS n FROM fixture_effect GROUP BY event_id');
    return new Map(r.rows.map((x) => [x.event_id, Number(x.n)]));
  };

  async function feed(from: number, n: number): Promise<void> {
    const feeder = new ClaimFeeder(brokers, bed.prefix);
    await feeder.send(Array.from({ length: n }, (_, i) => claim(from + i)));
    await feeder.close();
  }

  it('a purged and recreated topic is detected: the new messages are applied, not taken for old ones', async () => {
    app = await startFixture(bed);
    await feed(0, 300);
    await waitFor('300 effects', async () => (await effects()).size === 300, 60_000);
    await bed.closeApp();
    app = null;

    await recreateTopics(bed.prefix, brokers);
    await feed(1000, 40); // offsets 0.. again, far below what the database stored
    app = await startFixture(bed);
    await waitFor(
      'the 40 new claims applied',
      async () => [...(await effects()).keys()].filter((k) => Number(k.slice(3)) >= 1000).length === 40,
      60_000,
    );
    const e = await effects();
    for (let i = 1000; i < 1040; i++) expect(e.get(`ev-${i}`)).toBe(1);
    const rebinds = await bed.pg.query<{ reason: string }>('SELECT reason FROM consumer_offset_rebind');
    expect(rebinds.rows.length).toBeGreaterThan(0);
    expect(rebinds.rows.map((r) => r.reason).join(' ')).toMatch(/beyond the partition's end|belong to cluster|not the one last applied/);
  });

  it('offsets stored against another cluster are rebound and the partition starts over (handlers dedupe by natural keys)', async () => {
    app = await startFixture(bed);
    await feed(0, 100);
    await waitFor('100 effects', async () => (await effects()).size === 100, 60_000);
    await bed.closeApp();
    app = null;
    // As after a failover to another data centre's cluster: same topic names, different offsets.
    await bed.pg.query(`UPDATE consumer_offset SET cluster_id = 'cluster-of-the-burnt-data-centre'`);
    app = await startFixture(bed);
    // The fixture does not dedupe (so a re-read shows): every message is read again.
    await waitFor(
      'every message re-read once',
      async () => [...(await effects()).values()].every((n) => n === 2) && (await effects()).size === 100,
      60_000,
    );
    const rebinds = await bed.pg.query<{ reason: string }>('SELECT reason FROM consumer_offset_rebind');
    expect(rebinds.rows[0]?.reason).toMatch(/belong to cluster cluster-of-the-burnt-data-centre/);
  });

  it('with CONSUMER_ON_OFFSET_MISMATCH=halt the partition stops and readiness says why', async () => {
    app = await startFixture(bed);
    await feed(0, 60);
    await waitFor('60 effects', async () => (await effects()).size === 60, 60_000);
    await bed.closeApp();
    await bed.pg.query(`UPDATE consumer_offset SET cluster_id = 'another-cluster'`);
    app = await startFixture(bed, { onOffsetMismatch: 'halt' });
    const consumer = app.get(MessagingRuntime).consumers[0];
    await waitFor('halted', () => (consumer?.halted.size ?? 0) > 0, 60_000);
    expect(consumer?.isHealthy()).toBe(false);
    expect([...(consumer?.halted.values() ?? [])][0]?.reason).toMatch(/^OFFSET_MISMATCH/);
    const e = await effects();
    expect([...e.values()].every((n) => n === 1)).toBe(true); // nothing re-applied, nothing skipped
  });
});

describe('the dead-letter path cannot fail', () => {
  const { brokers } = testInfra();
  let bed: TestBed;
  let app: INestApplication;
  let feeder: ClaimFeeder;

  beforeAll(async () => {
    bed = await TestBed.open('lastresort');
    app = await startFixture(bed);
    feeder = new ClaimFeeder(brokers, bed.prefix);
    bed.defer(() => feeder.close());
  });

  afterAll(() => bed?.close());

  it('a dead letter that cannot be written is parked in parked_message and the partition moves on', async () => {
    // Make every dead-letter write fail the way a broken database would (not a transient error).
    await bed.pg.query(`CREATE FUNCTION refuse_dlq() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.topic LIKE '%.dlq' THEN RAISE EXCEPTION 'dead letters refused for the test' USING ERRCODE = 'P0001'; END IF; RETURN NEW; END $$`);
    await bed.pg.query(`CREATE TRIGGER refuse_dlq BEFORE INSERT ON outbox_message FOR EACH ROW EXECUTE FUNCTION refuse_dlq()`);
    try {
      // Same key: same partition, the valid one right behind the malformed one.
      const key = claim(1).accountId;
      await feeder.publisher.publish([
        {
          topic: bed.prefix + Topics.claimRequested.name,
          key: Buffer.from(`${key}\u0000`),
          value: Buffer.from('{"eventId": oops'),
          headers: { 'x-test': 'park' },
        },
        {
          topic: bed.prefix + Topics.claimRequested.name,
          key: Buffer.from(`${key}\u0000`),
          value: Buffer.from(JSON.stringify(claim(1))),
          headers: {},
        },
      ]);
      await waitFor(
        'the valid claim behind it applied',
        async () => (await bed.pg.query(`SELECT 1 FROM fixture_effect WHERE event_id = 'ev-1'`)).rowCount === 1,
        60_000,
      );
      const parked = await bed.pg.query<{ reason: string; failure: string; key: Buffer; value: Buffer }>(
        'SELECT reason, failure, key, value FROM parked_message',
      );
      expect(parked.rows).toHaveLength(1);
      expect(parked.rows[0]?.reason).toMatch(/^MALFORMED_JSON/);
      expect(parked.rows[0]?.failure).toMatch(/dead letters refused/);
      expect(parked.rows[0]?.key.equals(Buffer.from(`${key}\u0000`))).toBe(true);
      expect(parked.rows[0]?.value.toString()).toBe('{"eventId": oops');
      const consumer = app.get(MessagingRuntime).consumers[0];
      expect(consumer?.parked).toBe(1);
      expect(consumer?.halted.size).toBe(0);
    } finally {
      await bed.pg.query('DROP TRIGGER refuse_dlq ON outbox_message');
      await bed.pg.query('DROP FUNCTION refuse_dlq()');
    }
  });

  it('a record Kafka will never take is quarantined with its reason and the rows behind it are published', async () => {
    const collector = await new TopicCollector([bed.prefix + Topics.claimDecided.name]).start();
    try {
      const relay = app.get(MessagingRuntime).relay as OutboxRelay;
      // Over the broker's max.message.bytes (1 MiB by default): written by a bug, never sendable.
      await bed.pg.query(`INSERT INTO outbox_message (topic, key, value, headers) VALUES ($1, 'big', $2, '{}')`, [
        bed.prefix + Topics.claimDecided.name,
        Buffer.alloc(1_500_000, 'x'),
      ]);
      await feeder.send([claim(77)]);
      await waitFor(
        'the decision behind the oversized row published',
        () => collector.on(bed.prefix + Topics.claimDecided.name).some((m) => m.json<{ eventId: string }>().eventId === 'ev-77'),
        60_000,
      );
      const q = await bed.pg.query<{ reason: string; n: number }>('SELECT reason, octet_length(value) AS n FROM outbox_quarantine');
      expect(q.rows).toHaveLength(1);
      expect(q.rows[0]?.reason).toMatch(/^TOO_LARGE_FOR_BROKER: \d+ bytes, limit \d+/);
      expect(q.rows[0]?.n).toBe(1_500_000);
      expect(relay.quarantined).toBe(1);
      expect(collector.on(bed.prefix + Topics.claimDecided.name).some((m) => m.key === 'big')).toBe(false);
    } finally {
      await collector.stop();
    }
  });
});

describe('a sick database is waited out, never a reason to park valid messages', () => {
  const { brokers } = testInfra();
  let bed: TestBed;
  let app: INestApplication | null = null;

  beforeEach(async () => {
    bed = await TestBed.open('sickdb');
    await untilTopicsServed(bed.prefix, brokers);
  });

  afterEach(async () => {
    app = null;
    await bed?.close();
  });

  it('statement timeouts retry with backoff; readiness fails while the partition is blocked and recovers after', async () => {
    app = await startFixture(bed, { stallMs: 4000 });
    const consumer = app.get(MessagingRuntime).consumers[0];
    // Every write of the effect table times out, as on an overloaded or failing-over server.
    await bed.pg.query(`CREATE FUNCTION sick() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'canceling statement due to statement timeout' USING ERRCODE = '57014'; END $$`);
    await bed.pg.query(`CREATE TRIGGER sick BEFORE INSERT ON fixture_effect FOR EACH ROW EXECUTE FUNCTION sick()`);
    const feeder = new ClaimFeeder(brokers, bed.prefix);
    await feeder.send([claim(1)]);
    await waitFor(
      'readiness fails with the reason',
      () => consumer?.stuckPartitions().some((s) => /statement timeout/.test(s.blockedBy ?? '')) === true,
      60_000,
      250,
    );
    expect(consumer?.isHealthy()).toBe(false);
    expect((await bed.pg.query('SELECT 1 FROM outbox_message')).rowCount).toBe(0); // not dead-lettered
    await bed.pg.query('DROP TRIGGER sick ON fixture_effect');
    await waitFor(
      'applied once the database is well',
      async () => (await bed.pg.query(`SELECT 1 FROM fixture_effect WHERE event_id = 'ev-1'`)).rowCount === 1,
      60_000,
    );
    await waitFor('healthy again', () => consumer?.isHealthy() === true, 30_000, 250);
    await feeder.close();
  });

  it('back-pressure: consumers wait while the outbox is over its bound, and go on once it drains', async () => {
    app = await startFixture(bed, { relay: false, chunkSize: 100, outboxBackpressureRows: 150 });
    const feeder = new ClaimFeeder(brokers, bed.prefix);
    await feeder.send(Array.from({ length: 1200 }, (_, i) => claim(i)));
    const effects = async () => Number((await bed.pg.query<{ n: string }>('SELECT count(*) AS n FROM fixture_effect')).rows[0]?.n);
    // Held, not slow: every partition slot (BatchConsumer's default concurrency, 3) waits before its
    // next chunk, so nothing can be applied until the outbox drains and the count below is final.
    await waitFor('every consumer slot held back', () => app?.get(MessagingRuntime).heldChunks === 3, 60_000, 50);
    const held = await effects();
    // each partition may finish the chunk it had started: bound + one chunk per partition at most
    expect(held).toBeLessThan(150 + 6 * 100 + 1);
    expect(held).toBeLessThan(1200);
    expect(app.get(MessagingRuntime).throttled).toBe(true);
    await app.get(MessagingRuntime).relay.drain(60_000);
    await waitFor(
      'all applied after the relay caught up',
      async () => {
        await app?.get(MessagingRuntime).relay.drain(60_000);
        return (await effects()) === 1200;
      },
      120_000,
      500,
    );
    await feeder.close();
  });
});
