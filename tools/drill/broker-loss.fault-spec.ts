// Issue 11: kafkajs 2.2.4 can acknowledge a multi-partition send although Kafka never kept part of
// it when a partition leader dies mid-call (notes A.2 K11). SafePublisher sends one request per
// partition; this test kills a partition leader of a real 3-broker cluster (RF 3, minISR 2) while
// publishing multi-partition batches, then reads everything back: nothing acknowledged may be missing.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { SafePublisher } from '@platform/messaging';
import { kafkaStatus, stopKafka, toolKafka } from '@platform/tools-infra';
import { busiestLeader, ensureCluster, killBroker, startBroker, type DrillCluster } from './cluster';

// A cluster of its own (ports 24092.., .local/kafka/cluster-24092): the shared one at 19092 may be
// in use by a drill that kills brokers.
process.env.KAFKA_CLUSTER_PORT ??= '24092';
jest.setTimeout(600_000);

const TRIALS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function readAll(kafka: Kafka, topic: string): Promise<Set<string>> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(ends.filter((e) => Number(e.high) > 0).map((e) => [e.partition, BigInt(e.high)]));
  const seen = new Set<string>();
  if (remaining.size === 0) return seen;
  const consumer = kafka.consumer({ groupId: `readback-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachMessage: async ({ partition, message }) => {
        seen.add(message.value?.toString() ?? '');
        const high = remaining.get(partition);
        if (high !== undefined && BigInt(message.offset) + 1n >= high) remaining.delete(partition);
        if (remaining.size === 0) resolve();
      },
    });
  });
  await consumer.disconnect();
  return seen;
}

/**
 * kafkajs' createTopics can throw "does not host this topic-partition" on a busy cluster although
 * the topic was created: create until it exists, then wait until every partition has a leader.
 */
async function createTopicPatiently(admin: ReturnType<Kafka['admin']>, topic: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      if (!(await admin.listTopics()).includes(topic)) {
        await admin.createTopics({
          topics: [{ topic, numPartitions: 6, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }],
        });
      }
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = md.topics[0]?.partitions ?? [];
      if (parts.length === 6 && parts.every((p) => p.leader >= 0 && p.isr.length === 3)) return;
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`topic ${topic} not ready`);
    await sleep(500);
  }
}

describe('publishing survives the death of a partition leader (3 brokers, RF 3, minISR 2)', () => {
  let brokers: string[];
  let startedHere = false;
  let security: DrillCluster['security'];

  beforeAll(async () => {
    startedHere = kafkaStatus(3).every((n) => !n.running); // stopped afterwards even if the start fails half-way
    ({ brokers, security } = await ensureCluster());
  });

  afterAll(async () => {
    if (startedHere) await stopKafka({ brokers: 3, purge: true });
  });

  it(`loses no acknowledged message over ${TRIALS} leader kills`, async () => {
    // The cluster is secured: the test's own topics are made and read by the admin principal.
    const admin = toolKafka({ profile: 'service', brokers, clientId: 'bl-admin', security: security('admin') }).admin();
    await admin.connect();
    const summary: {
      trial: number;
      killed: number;
      acked: number;
      missing: number;
      failedSends: number;
      batchesAcked: Record<string, number>;
    }[] = [];
    for (let trial = 1; trial <= TRIALS; trial++) {
      const topic = `broker-loss-test-${Date.now()}-${trial}`;
      await createTopicPatiently(admin, topic);
      const kafka = toolKafka({ profile: 'service', brokers, clientId: `bl-${trial}`, security: security('admin') });
      const publisher = new SafePublisher(kafka, { sendTimeoutMs: 10000 });
      const acked = new Set<string>();
      let failedSends = 0;
      let seq = 0;
      const victim = await busiestLeader(topic, brokers);
      let phase = 'before' as 'before' | 'down' | 'after';
      const ackedIn = { before: 0, down: 0, after: 0 };
      let restartedAt = 0;
      let killerFailed: unknown = null;
      const killer = (async () => {
        await sleep(5_000);
        await killBroker(victim);
        phase = 'down';
        await sleep(8_000);
        await startBroker(victim);
        phase = 'after';
        restartedAt = Date.now();
      })().catch((e: unknown) => {
        // a failed restart must end the trial, not leave the publish loop waiting for 'after'
        killerFailed = e;
      });
      // Keep sending until well after the restart (and at least some batches were acknowledged then).
      while (!killerFailed && (phase !== 'after' || Date.now() - restartedAt < 5_000 || ackedIn.after < 5)) {
        // 200 keyed messages per publish: every call spans all 6 partitions
        const batch = Array.from({ length: 200 }, () => `${trial}-${seq++}`);
        try {
          await publisher.publish(batch.map((v) => ({ topic, key: `k-${v}`, value: Buffer.from(v), headers: {} })));
          for (const v of batch) acked.add(v);
          ackedIn[phase]++;
        } catch {
          failedSends++; // not acknowledged: the caller (outbox) would keep and retry these rows
          await sleep(200);
        }
      }
      await killer;
      if (killerFailed) throw killerFailed;
      await publisher.close();
      const stored = await readAll(kafka, topic);
      const missing = [...acked].filter((v) => !stored.has(v)).length;
      summary.push({ trial, killed: victim, acked: acked.size, missing, failedSends, batchesAcked: ackedIn });
      // the kill happened while multi-partition publishes were flowing
      expect(ackedIn.before).toBeGreaterThan(0);
      expect(ackedIn.after).toBeGreaterThan(0);
      expect(missing).toBe(0);
    }
    await admin.disconnect();
    console.log(`broker-loss publishing trials: ${JSON.stringify(summary)}`);
  });
});
