// Test harness: the app-api service in-process on real Kafka and Postgres, with its own database
// and topics, a publisher for the platform's events and the campaign rewards the specs share.
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { bearer } from '@platform/auth/testing';
import { CampaignRewards, PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '@platform/messaging';
import { createTestDatabase, createTestTopics, TestDatabase, testInfra } from '@platform/testing';
import { createAppApiApp } from '../src/app';
import { AppApiConfig, loadAppApiConfig } from '../src/config';

/**
 * The heart pack's rewards: three emoticon packs, two coupons for members, a pass with `passCap`
 * slots; `valued` adds the unit values the cost ledger counts in won.
 */
export function heartPackRewards(opts: { passCap?: number; valued?: boolean } = {}): CampaignRewards {
  const value = opts.valued ? { valueWon: 2500 } : {};
  return {
    emoticons: [
      { emoticonId: 'choonsik-friends-2', name: 'Choonsik', validityDays: null, ...value },
      { emoticonId: 'tosimi-tomungi', name: 'Tosimi', validityDays: 90, ...value },
      { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90, ...value },
    ],
    coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
    pass: {
      cap: opts.passCap ?? 10,
      delayNoticeAfterSeconds: 259200,
      registrationWindowSeconds: 2592000,
      validitySeconds: 2592000,
      storageGb: 100,
      ...(opts.valued ? { valueWon: 1900 } : {}),
    },
  };
}

/** One event to publish on a topic, with its payload typed by the topic. */
export type Sent = { [K in TopicKey]: { topic: K; payload: PayloadOf<K>; key: string } }[TopicKey];

type Role = Parameters<typeof bearer>[1];

export class AppApiHarness {
  readonly infra = testInfra();
  db!: TestDatabase;
  prefix = '';
  config!: AppApiConfig;
  app!: INestApplication;
  url = '';
  private publisher: SafePublisher | null = null;
  private client: Client | null = null;

  /** `database` and `topics` name this spec's own database and topic prefix. */
  constructor(private readonly names: { database: string; topics: string }) {}

  /** The database and the topics; before start, so that a stand-in for the claims service can use the prefix. */
  async prepare(): Promise<this> {
    this.db = await createTestDatabase(this.names.database);
    this.prefix = await createTestTopics(this.names.topics);
    return this;
  }

  /** Starts the service listening on 127.0.0.1, with `env` on top of the test settings. */
  async start(env: Record<string, string | undefined> = {}): Promise<this> {
    if (!this.db) await this.prepare();
    this.config = loadAppApiConfig({
      DATABASE_URL: this.infra.databaseUrl,
      DB_NAME: this.db.name,
      KAFKA_BROKERS: this.infra.brokers.join(','),
      KAFKA_TOPIC_PREFIX: this.prefix,
      LOG_LEVEL: 'warn',
      ...env,
    });
    this.app = await createAppApiApp(this.config);
    await this.app.listen(0, '127.0.0.1');
    this.url = (await this.app.getUrl()).replace('[::1]', '127.0.0.1');
    return this;
  }

  /** Authorization headers for a token with this role. */
  as(role: Role): Promise<Record<string, string>> {
    return bearer(this.config, role);
  }

  /** A client on the service's database (one per harness). */
  async pg(): Promise<Client> {
    if (!this.client) {
      const c = new Client({ connectionString: this.db.url });
      await c.connect();
      this.client = c;
    }
    return this.client;
  }

  /** Publishes events on the test's topics as the platform's services would. */
  async publishAll(events: Sent[]): Promise<void> {
    this.publisher ??= new SafePublisher(createKafka({ brokers: this.infra.brokers, clientId: `${this.names.topics}-test` }));
    await this.publisher.publish(
      events.map((e) => ({ topic: this.topic(e.topic), key: e.key, value: Buffer.from(JSON.stringify(e.payload)), headers: {} })),
    );
  }

  publish<K extends TopicKey>(topic: K, payload: PayloadOf<K>, key: string): Promise<void> {
    return this.publishAll([{ topic, payload, key } as Sent]);
  }

  /** The physical name of a topic under this test's prefix. */
  topic(key: TopicKey): string {
    return this.prefix + Topics[key].name;
  }

  /** GET a path of the service: its status and JSON body. */
  async get<T>(path: string, headers: Record<string, string>): Promise<{ status: number; body: T }> {
    const r = await fetch(`${this.url}${path}`, { headers });
    return { status: r.status, body: (await r.json()) as T };
  }

  async stop(): Promise<void> {
    await this.publisher?.close();
    await this.client?.end();
    await this.app?.close();
    await this.db?.drop();
  }
}
