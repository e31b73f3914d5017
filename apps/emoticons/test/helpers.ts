// Test helpers for the emoticons service: realistic inputs, a publisher, a test bed with the
// service on it, and a barrier that waits until the service applied everything published so far.
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { type Clock, createKafka, SafePublisher } from '@platform/messaging';
import { settle, TestBed, type TestBedOptions } from '@platform/messaging/testing';
import { HEART_PACK_REWARDS } from '@platform/rules';
import { testInfra, testKafka, TestDatabase, waitFor } from '@platform/testing';
import { createEmoticonsApp } from '../src/app';
import { EmoticonsConfig, loadEmoticonsConfig } from '../src/config';

// The 2023 campaign's rewards as the claims service copies them into every ACCEPTED decision.
export { HEART_PACK_REWARDS };

export const CAMPAIGN_ID = 'kakao-2023-heart-pack';

export function acceptedDecision(accountId: string, over: Partial<PayloadOf<'claimDecided'>> = {}): PayloadOf<'claimDecided'> {
  return {
    claimId: `claim-${accountId}`,
    eventId: `req-${accountId}`,
    campaignId: CAMPAIGN_ID,
    accountId,
    status: 'ACCEPTED',
    decidedAt: '2023-01-10T12:00:01+09:00',
    requestedAt: '2023-01-10T12:00:00+09:00',
    makersMember: false,
    rewards: HEART_PACK_REWARDS,
    ...over,
  };
}

export function rejectedDecision(accountId: string): PayloadOf<'claimDecided'> {
  return {
    claimId: `claim-${accountId}`,
    eventId: `req-${accountId}`,
    campaignId: CAMPAIGN_ID,
    accountId,
    status: 'REJECTED',
    reason: 'OVERSEAS_NUMBER',
    decidedAt: '2023-01-10T12:00:01+09:00',
    requestedAt: '2023-01-10T12:00:00+09:00',
    makersMember: false,
  };
}

export function download(eventId: string, accountId: string, emoticonId: string, downloadedAt: Date): PayloadOf<'emoticonDownloaded'> {
  return { eventId, accountId, emoticonId, downloadedAt: downloadedAt.toISOString() };
}

export function testConfig(db: TestDatabase, prefix: string, over: Record<string, string> = {}): EmoticonsConfig {
  const infra = testInfra();
  return loadEmoticonsConfig({
    KAFKA_BROKERS: infra.brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_URL: infra.databaseUrl,
    DB_NAME: db.name,
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    EMOTICON_SWEEP_INTERVAL_MS: '0',
    CONSUMER_CHUNK_SIZE: '500',
    ...over,
  });
}

/** Publishes contract payloads (or raw bytes, to test bad input) through the platform's safe path. */
export class Feeder {
  private readonly publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'emoticons-test-feeder' }));
  constructor(private readonly prefix: string) {}

  async send<K extends TopicKey>(topic: K, values: (PayloadOf<K> | string)[], key?: (v: PayloadOf<K>) => string): Promise<void> {
    const spec = Topics[topic];
    await this.publisher.publish(
      values.map((v) => ({
        topic: this.prefix + spec.name,
        key: typeof v === 'string' ? 'raw' : key ? key(v) : (spec.key as (x: PayloadOf<K>) => string)(v),
        value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
        headers: {},
      })),
    );
  }

  close(): Promise<void> {
    return this.publisher.close();
  }
}

/**
 * Waits until the service's consumer group applied every message published so far to `topic`
 * (its transactional offsets in the service database reached the topic's high watermarks).
 */
export async function waitConsumed(pg: Client, config: EmoticonsConfig, topic: TopicKey, timeoutMs = 30_000): Promise<void> {
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const name = Topics[topic].name;
    const highs = await admin.fetchTopicOffsets(config.KAFKA_TOPIC_PREFIX + name);
    await waitFor(
      `${name} consumed`,
      async () => {
        const { rows } = await pg.query<{ partition: number; next_offset: string }>(
          `SELECT partition, next_offset FROM consumer_offset WHERE group_id LIKE 'emoticons%' AND topic = $1`,
          [name],
        );
        const applied = new Map(rows.map((r) => [r.partition, BigInt(r.next_offset)]));
        return highs.every((h) => BigInt(h.high) === 0n || (applied.get(h.partition) ?? 0n) >= BigInt(h.high));
      },
      timeoutMs,
    );
  } finally {
    await admin.disconnect();
  }
}

/** An emoticons spec's bed (database, topics, collector, pg client) with a feeder; the service runs on it in-process. */
export class EmoticonsTestBed extends TestBed {
  feeder!: Feeder;
  /** The config of the service last started. */
  config!: EmoticonsConfig;

  static start(label: string, o: TestBedOptions = {}): Promise<EmoticonsTestBed> {
    return new EmoticonsTestBed().setUp(label, o);
  }

  protected override async create(label: string, o: TestBedOptions): Promise<void> {
    await super.create(label, o);
    this.feeder = new Feeder(this.prefix);
    this.defer(() => this.feeder.close());
  }

  /** Starts the service on the bed with testConfig's settings and `over`; it becomes `app`. */
  async startEmoticons(over: Record<string, string> = {}, o: { clock?: Clock; http?: boolean } = {}): Promise<INestApplication> {
    const config = testConfig(this.db, this.prefix, over);
    const app = await this.startApp(() => createEmoticonsApp(config, o.clock ? { clock: o.clock } : {}), o);
    this.config = config;
    return app;
  }

  /** Consumed, published, collected on these canonical topics: anything wrongly emitted is in the collector now. */
  settled(...names: string[]): Promise<void> {
    return settle(
      this.app,
      this.collector,
      names.map((name) => this.prefix + name),
    );
  }
}
