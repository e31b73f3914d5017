// The raw one-hop pipeline the claims service is measured against, written the plain way on the
// same broker and database in the same run: a kafkajs consumer on a preloaded topic of
// claim-requested-shaped messages; per fetched batch one Postgres transaction with an `unnest`
// insert of the decision rows and one of the outbox rows; after the commit the decisions are sent
// (one produce request per partition, through the platform's SafePublisher: kafkajs multi-partition
// sends can lose data), then the offsets are committed. No guarantee is weaker than the
// platform's: acks=all, idempotent producer, synchronous_commit on, offsets after the effects.
// It does not dedupe, validate schemas, trace or delete outbox rows: it is the floor of the work.
import { Pool, PoolClient } from 'pg';
import { Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '@platform/messaging';
import { databaseUrl as dbUrl, dropDatabase, ensureDatabase } from '@platform/persistence';
import { createTestTopics, deleteTestTopics, testKafka, topicTimeSpan, uniqueSuffix, waitFor } from '@platform/testing';

export interface RawPipelineResult {
  records: number;
  /** From the first to the last decision's Kafka timestamp (startup and group join excluded). */
  seconds: number;
  recordsPerSecond: number;
  batches: number;
  meanBatchRecords: number;
  partitions: number;
  settings: string;
}

/** A claim as the claims service receives it (compensation.claim.requested.v1). */
export interface RequestedClaim {
  eventId: string;
  campaignId: string;
  accountId: string;
  talkLinked: boolean;
  phoneNumber: string;
  makersMember: boolean;
  requestedAt: string;
}

export function benchClaim(i: number, campaignId: string): RequestedClaim {
  return { eventId: `b-${i}`, campaignId, accountId: `acct-${i}`, talkLinked: true, phoneNumber: '010-1234-5678', makersMember: i % 2 === 0, requestedAt: new Date().toISOString() };
}

/** Publishes `n` distinct claims to `topic` in 5,000-record rounds. */
export async function preloadClaims(brokers: string[], topic: string, n: number, campaignId: string): Promise<void> {
  const publisher = new SafePublisher(createKafka({ brokers, clientId: 'bench-preload' }));
  try {
    for (let i = 0; i < n; i += 5000) {
      const batch = Array.from({ length: Math.min(5000, n - i) }, (_, k) => benchClaim(i + k, campaignId));
      await publisher.publish(batch.map((c) => ({ topic, key: c.accountId, value: Buffer.from(JSON.stringify(c)), headers: {} })));
    }
  } finally {
    await publisher.close();
  }
}

const SCHEMA = [
  `CREATE TABLE claim (
     claim_id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
     event_id text NOT NULL UNIQUE,
     campaign_id text NOT NULL,
     account_id text NOT NULL,
     status text NOT NULL,
     talk_linked boolean NOT NULL,
     makers_member boolean NOT NULL,
     requested_at timestamptz,
     decided_at timestamptz NOT NULL DEFAULT now())`,
  // the platform's outbox table (libs/messaging/src/migration.ts)
  `CREATE TABLE outbox_message (
     id bigserial PRIMARY KEY,
     topic text NOT NULL,
     key text,
     value bytea NOT NULL,
     headers jsonb NOT NULL DEFAULT '{}'::jsonb,
     created_at timestamptz NOT NULL DEFAULT now())`,
];

async function inTransaction(pool: Pool, fn: (c: PoolClient) => Promise<void>): Promise<void> {
  const c = await pool.connect();
  try {
    await c.query('BEGIN');
    await fn(c);
    await c.query('COMMIT');
  } catch (e) {
    await c.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    c.release();
  }
}

async function totalRecords(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    return (await admin.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

/** Runs the raw pipeline over `n` preloaded claims on scratch topics and a scratch database. */
export async function runRawPipeline(brokers: string[], serverUrl: string, n: number): Promise<RawPipelineResult> {
  const sfx = uniqueSuffix();
  const prefix = await createTestTopics('benchraw', brokers);
  const dbName = `bench_test_raw_${sfx}`;
  await ensureDatabase(serverUrl, dbName);
  const partitions = Topics.claimRequested.partitions;
  // one connection per partition processed at once
  const pool = new Pool({ connectionString: dbUrl(serverUrl, dbName), max: partitions, options: '-c synchronous_commit=on' });
  const kafka = createKafka({ brokers, clientId: 'bench-raw' });
  const publisher = new SafePublisher(kafka);
  const consumer = kafka.consumer({ groupId: `bench-raw-${sfx}`, maxWaitTimeInMs: 50, maxBytes: 10 * 1024 * 1024 });
  const input = prefix + Topics.claimRequested.name;
  const output = prefix + Topics.claimDecided.name;
  let batches = 0;
  try {
    for (const s of SCHEMA) await pool.query(s);
    await preloadClaims(brokers, input, n, `bench-raw-${sfx}`);
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: partitions,
      eachBatch: async ({ batch, heartbeat }) => {
        if (batch.messages.length === 0) return;
        const claims = batch.messages.map((m) => JSON.parse(m.value?.toString() ?? '{}') as RequestedClaim);
        const decisions = claims.map((c) => ({ eventId: c.eventId, campaignId: c.campaignId, accountId: c.accountId, status: c.talkLinked ? 'ACCEPTED' : 'REJECTED', decidedAt: new Date().toISOString() }));
        const values = decisions.map((d) => Buffer.from(JSON.stringify(d)));
        await inTransaction(pool, async (c) => {
          await c.query(
            `INSERT INTO claim (event_id, campaign_id, account_id, status, talk_linked, makers_member, requested_at)
             SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[], $6::boolean[], $7::timestamptz[])`,
            [claims.map((x) => x.eventId), claims.map((x) => x.campaignId), claims.map((x) => x.accountId), decisions.map((d) => d.status), claims.map((x) => x.talkLinked), claims.map((x) => x.makersMember), claims.map((x) => x.requestedAt)],
          );
          await c.query('INSERT INTO outbox_message (topic, key, value) SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[])', [decisions.map(() => output), decisions.map((d) => d.accountId), values]);
        });
        await publisher.publish(decisions.map((d, i) => ({ topic: output, key: d.accountId, value: values[i] as Buffer, headers: {} })));
        const last = batch.messages[batch.messages.length - 1];
        if (last) await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
        batches++;
        await heartbeat();
      },
    });
    await waitFor('raw pipeline output', async () => (await totalRecords(output)) >= n, 900_000, 250);
    const { seconds } = await topicTimeSpan(output, n);
    return {
      records: n,
      seconds: Math.round(seconds * 1000) / 1000,
      recordsPerSecond: Math.round((n - 1) / seconds),
      batches,
      meanBatchRecords: Math.round(n / Math.max(1, batches)),
      partitions,
      settings: `kafkajs eachBatch x${partitions} partitions, 1 transaction per batch (unnest claim + outbox rows), SafePublisher (1 request per partition, acks=all, idempotent), commit offsets after; synchronous_commit=on`,
    };
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await publisher.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await dropDatabase(serverUrl, dbName).catch(() => undefined);
    await deleteTestTopics(prefix, brokers).catch(() => undefined);
  }
}
