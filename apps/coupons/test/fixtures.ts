// Test helpers for the coupon service's integration suites: realistic inbound payloads, a
// publisher that writes raw values (so tests can also send broken ones), and the app under test.
import { INestApplication } from '@nestjs/common';
import { DataSource } from 'typeorm';
import type { Role } from '@platform/auth';
import { bearer } from '@platform/auth/testing';
import { CampaignRewards, PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { createKafka, ManualClock, SafePublisher } from '@platform/messaging';
import { HEART_PACK_REWARDS } from '@platform/rules';
import { createTestDatabase, createTestTopics, TestDatabase, testInfra, TopicCollector } from '@platform/testing';
import { createCouponsApp } from '../src/app';
import { couponsEnv } from '../src/config';

/** The 2023 campaign's rewards, as the claims service copies them into every ACCEPTED decision. */
export const REWARDS_2023: CampaignRewards = HEART_PACK_REWARDS;

export type ClaimDecided = PayloadOf<'claimDecided'>;

export function acceptedClaim(id: string, at: Date, over: Partial<ClaimDecided> = {}): ClaimDecided {
  return {
    claimId: `claim-${id}`,
    eventId: `ev-claim-${id}`,
    campaignId: 'kakao-2023-heart-pack',
    accountId: `acct-${id}`,
    status: 'ACCEPTED',
    decidedAt: at.toISOString(),
    requestedAt: new Date(at.getTime() - 1000).toISOString(),
    makersMember: true,
    rewards: REWARDS_2023,
    ...over,
  };
}

export function rejectedClaim(id: string, at: Date, over: Partial<ClaimDecided> = {}): ClaimDecided {
  const { rewards: _r, ...rest } = acceptedClaim(id, at);
  return { ...rest, status: 'REJECTED', reason: 'DUPLICATE', ...over };
}

/** A campaign definition as the claims service announces it, with the given coupon terms. */
export function campaignDefined(campaignId: string, coupons: CampaignRewards['coupons'], at: Date): PayloadOf<'campaignDefined'> {
  return {
    definedAt: at.toISOString(),
    campaign: {
      campaignId,
      name: `test campaign ${campaignId}`,
      opensAt: new Date(at.getTime() - 86_400_000).toISOString(),
      closesAt: new Date(at.getTime() + 14 * 86_400_000).toISOString(),
      rewards: { ...REWARDS_2023, coupons },
      relief: null,
    },
  };
}

export type RedemptionRequested = PayloadOf<'couponRedemptionRequested'>;

export class Feeder {
  readonly publisher: SafePublisher;
  constructor(private readonly prefix: string) {
    this.publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: 'coupons-test-feeder' }));
  }

  /** Publishes raw values (objects as JSON, keyed by their accountId) to a contract topic. */
  async send(topic: TopicKey, values: (object | string)[]): Promise<void> {
    await this.publisher.publish(
      values.map((v) => ({
        topic: this.prefix + Topics[topic].name,
        key: typeof v === 'object' && 'accountId' in v ? String(v.accountId) : 'raw',
        value: Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)),
        headers: {},
      })),
    );
  }

  close(): Promise<void> {
    return this.publisher.close();
  }
}

export interface Harness {
  db: TestDatabase;
  prefix: string;
  clock: ManualClock;
  app: INestApplication;
  feeder: Feeder;
  collector: TopicCollector;
  topic(k: TopicKey): string;
  /** A single number from SQL (`SELECT count(*) AS n ...`) on the service's database. */
  count(sql: string, params?: unknown[]): Promise<number>;
  startApp(): Promise<INestApplication>;
  /** Authorization header for `role`, signed with the key from the app's own config. */
  bearer(role: Role): Promise<Record<string, string>>;
  close(): Promise<void>;
}

/** A fresh database, fresh topics, the app in-process (HTTP on a random port), a feeder and a collector. */
export async function startHarness(label: string, clock: ManualClock, collect: string[]): Promise<Harness> {
  const db = await createTestDatabase(label);
  const prefix = await createTestTopics(label);
  const config = couponsEnv.parse({
    KAFKA_BROKERS: testInfra().brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_URL: testInfra().databaseUrl,
    DB_NAME: db.name,
    LOG_LEVEL: 'warn',
    OTEL_SDK_DISABLED: 'true',
    COUPON_SWEEP_INTERVAL_MS: '0',
    CONSUMER_CHUNK_SIZE: '500',
    // race tests park many transactions on a row lock at once; the consumer and relay still need connections
    DB_POOL_SIZE: '30',
  });
  const startApp = async (): Promise<INestApplication> => {
    const app = await createCouponsApp(config, { clock });
    await app.listen(0, '127.0.0.1');
    return app;
  };
  const h: Harness = {
    db,
    prefix,
    clock,
    app: await startApp(),
    feeder: new Feeder(prefix),
    collector: await new TopicCollector(collect.map((t) => prefix + t)).start(),
    topic: (k) => prefix + Topics[k].name,
    count: async (sql, params = []) => Number(((await h.app.get(DataSource).query(sql, params)) as { n: string | number }[])[0]?.n),
    startApp,
    bearer: (role) => bearer(config, role),
    close: async () => {
      await h.collector.stop().catch(() => undefined);
      await h.feeder.close().catch(() => undefined);
      await h.app.close().catch(() => undefined);
      await db.drop();
    },
  };
  return h;
}
