// Test helpers for the pass dispatcher: realistic decisions, publishers, the channel simulator as
// its own process, readers for its delivery record and the service's database, and the test bed
// every dispatcher spec starts from (PassTestBed).
import { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import { Client } from 'pg';
import { bearer, inheritedAuthSettings } from '@platform/auth/testing';
import {
  CampaignRewards,
  ChannelAdminPaths,
  ChannelAuditReport,
  ChannelDelivery,
  PassReward,
  PayloadOf,
  plannedTopics,
  TopicKey,
  Topics,
} from '@platform/contracts';
import { type Clock, createKafka, SafePublisher } from '@platform/messaging';
import { TestBed, type TestBedOptions } from '@platform/messaging/testing';
import {
  killHard,
  spawnTs,
  stopGracefully,
  testInfra,
  TestDatabase,
  testKafka,
  TopicCollector,
  uniqueSuffix,
  waitFor,
} from '@platform/testing';
import type { INestApplication } from '@nestjs/common';
import type { Role } from '@platform/auth';
import { createPassDispatcherApp } from '../src/app';
import { PassDispatcherConfig, passDispatcherEnv } from '../src/config';
import { PASS_DISPATCHER_CONFIG } from '../src/tokens';

/** Authorization header for calling `app` as `role`, signed with the key from the config the app was given. */
export const appBearer = (app: INestApplication, role: Role): Promise<Record<string, string>> =>
  bearer(app.get<PassDispatcherConfig>(PASS_DISPATCHER_CONFIG), role);

/**
 * Like createTestTopics from @platform/testing, but robust on a busy broker: that helper calls
 * kafkajs' createTopics with its default waitForLeaders = true, which throws "This server does
 * not host this topic-partition" before its own metadata polling runs. Here the topics are created
 * without waiting and the metadata is polled until every partition has a leader.
 */
export async function createTopics(label: string): Promise<string> {
  const prefix = `t-${label}-${uniqueSuffix()}.`;
  const topics = plannedTopics().map((t) => ({ topic: prefix + t.name, numPartitions: t.partitions, replicationFactor: 1 }));
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics, waitForLeaders: false });
    await waitFor(
      `leaders for ${prefix}*`,
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
        return md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0));
      },
      60_000,
      200,
    );
  } finally {
    await admin.disconnect();
  }
  return prefix;
}

/** The 2023 campaign's pass terms; tests override cap and the delay threshold. */
export const PASS_TERMS: PassReward = {
  cap: 3_000_000,
  delayNoticeAfterSeconds: 72 * 3600,
  registrationWindowSeconds: 30 * 86400,
  validitySeconds: 30 * 86400,
  storageGb: 100,
};

export function rewards(pass: Partial<PassReward> | null = {}): CampaignRewards {
  return {
    emoticons: [
      { emoticonId: 'choonsik-friends-2', name: 'Choonsik is Friends 2', validityDays: null },
      { emoticonId: 'tosimi-tomungi', name: 'Tosimi and Tomungi', validityDays: 90 },
      { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90 },
    ],
    coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
    pass: pass === null ? null : { ...PASS_TERMS, ...pass },
  };
}

/** An ACCEPTED compensation.claim.decided.v1 as the claims service emits it. */
export function accepted(
  i: number,
  o: { campaignId: string; pass?: Partial<PassReward> | null; requestedAt?: Date; account?: string },
): PayloadOf<'claimDecided'> {
  const requestedAt = o.requestedAt ?? new Date();
  return {
    claimId: randomUUID(),
    eventId: `req-${o.campaignId}-${i}`,
    campaignId: o.campaignId,
    accountId: o.account ?? `acct-${o.campaignId}-${i}`,
    status: 'ACCEPTED',
    decidedAt: new Date(requestedAt.getTime() + 150).toISOString(),
    requestedAt: requestedAt.toISOString(),
    makersMember: i % 3 === 0,
    rewards: rewards(o.pass),
  };
}

export function rejected(i: number, campaignId: string): PayloadOf<'claimDecided'> {
  const requestedAt = new Date();
  return {
    claimId: randomUUID(),
    eventId: `req-rej-${campaignId}-${i}`,
    campaignId,
    accountId: `acct-rej-${campaignId}-${i}`,
    status: 'REJECTED',
    reason: 'OVERSEAS_NUMBER',
    decidedAt: new Date(requestedAt.getTime() + 150).toISOString(),
    requestedAt: requestedAt.toISOString(),
    makersMember: false,
  };
}

/** Publishes contract payloads (keyed like the contract says) through the platform's safe producer. */
export class Feeder {
  private readonly publisher = new SafePublisher(createKafka({ brokers: testInfra().brokers, clientId: `feeder-${uniqueSuffix()}` }));
  constructor(private readonly prefix: string) {}

  async send<K extends TopicKey>(topic: K, values: PayloadOf<K>[]): Promise<void> {
    const spec = Topics[topic];
    await this.publisher.publish(
      values.map((v) => ({
        topic: this.prefix + spec.name,
        key: (spec.key as (x: PayloadOf<K>) => string)(v),
        value: Buffer.from(JSON.stringify(v)),
        headers: {},
      })),
    );
  }

  close(): Promise<void> {
    return this.publisher.close();
  }
}

export function dispatcherConfig(db: TestDatabase, prefix: string, over: Record<string, string> = {}): PassDispatcherConfig {
  return passDispatcherEnv.parse(dispatcherEnv(db, prefix, over));
}

/** The environment of a dispatcher on the test database and topics (also for child processes). */
export function dispatcherEnv(db: TestDatabase, prefix: string, over: Record<string, string> = {}): Record<string, string> {
  const infra = testInfra();
  return {
    KAFKA_BROKERS: infra.brokers.join(','),
    KAFKA_TOPIC_PREFIX: prefix,
    DATABASE_URL: infra.databaseUrl,
    DB_NAME: db.name,
    CONSUMER_GROUP: `pass-dispatcher-${uniqueSuffix()}`,
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    PORT: '0',
    LEADER_POLL_MS: '300',
    EXPIRY_SWEEP_INTERVAL_MS: '0',
    ...over,
  };
}

/** A delivery in the channel simulator's record (the channel's contract). */
export type Delivery = ChannelDelivery;

export interface SimSettings {
  ratePerSecond: number;
  burst: number;
  latencyMedianMs: number;
  latencyP99Ms: number;
  errorRate: number;
  errorAfterDeliveryShare: number;
  outage: boolean;
}

export interface Sim {
  process: ChildProcess & { output: string[] };
  url: string;
  configure(patch: Partial<SimSettings>): Promise<void>;
  deliveries(): Promise<Delivery[]>;
  audit(): Promise<ChannelAuditReport>;
  stats(): Promise<Record<string, number>>;
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/** The channel simulator as its own process (the real service), on a free port. */
export async function startSim(env: Record<string, string> = {}): Promise<Sim> {
  const port = await freePort();
  const child = spawnTs('apps/talk-channel-sim/src/main.ts', { PORT: String(port), LOG_LEVEL: 'warn', OTEL_SDK_DISABLED: 'true', ...env });
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor('channel simulator ready', async () => (await fetch(`${url}/health/ready`)).ok, 60_000, 200);
  } catch (e) {
    await killHard(child);
    throw new Error(`${String(e)}\n${child.output.join('')}`);
  }
  // the simulator was started with this process's environment, so it resolves the same signing key
  const reader = await bearer(inheritedAuthSettings(), 'reader');
  const ops = await bearer(inheritedAuthSettings(), 'ops');
  const get = async <T>(path: string): Promise<T> => (await fetch(`${url}${path}`, { headers: reader })).json() as Promise<T>;
  return {
    process: child,
    url,
    async configure(patch) {
      const r = await fetch(`${url}/admin/config`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...ops },
        body: JSON.stringify(patch),
      });
      if (!r.ok) throw new Error(`sim config: HTTP ${r.status}`);
    },
    async deliveries() {
      const all: Delivery[] = [];
      for (;;) {
        const page = await get<{ deliveries: Delivery[] }>(`/admin/deliveries?after=${all.length}&limit=10000`);
        all.push(...page.deliveries);
        if (page.deliveries.length < 10000) return all;
      }
    },
    audit: () => get<ChannelAuditReport>(ChannelAdminPaths.audit),
    stats: () => get<Record<string, number>>('/admin/stats'),
    close: async () => {
      await stopGracefully(child, 5000);
    },
  };
}

/** A plain connection to the test database, for assertions. */
export async function dbClient(db: TestDatabase): Promise<Client> {
  const c = new Client({ connectionString: db.url });
  await c.connect();
  return c;
}

export async function campaignRow(
  pg: Client,
  campaignId: string,
): Promise<{ reserved: number; sent_watermark: number; sold_out: string; leader_id: string | null; leader_epoch: string } | undefined> {
  const r = await pg.query<{ reserved: number; sent_watermark: number; sold_out: string; leader_id: string | null; leader_epoch: string }>(
    'SELECT reserved, sent_watermark, sold_out, leader_id, leader_epoch FROM pass_campaign WHERE campaign_id = $1',
    [campaignId],
  );
  return r.rows[0];
}

/** Checks that deliveries of a campaign are slots 1..n, in order, each exactly once. */
export function expectInOrderExactlyOnce(deliveries: Delivery[], campaignId: string, n: number): void {
  const slots = deliveries.filter((d) => d.campaignId === campaignId).map((d) => d.slot);
  expect(slots).toHaveLength(n);
  expect(slots).toEqual(Array.from({ length: n }, (_, i) => i + 1));
}

/**
 * Drain for absence checks: waits until the service's outbox is empty (everything it emitted is
 * published) and `collector` has read every topic of `topics` up to its high watermark (the
 * producer is idempotent, not transactional: offsets are contiguous). After this, a message that
 * is not in the collector was never emitted.
 */
export async function drained(pg: Client, collector: TopicCollector, topics: string[]): Promise<void> {
  await waitFor('outbox published', async () => (await pg.query('SELECT 1 FROM outbox_message LIMIT 1')).rowCount === 0, 30_000, 50);
  const admin = testKafka().admin();
  await admin.connect();
  try {
    const ends: { topic: string; partition: number; last: number }[] = [];
    for (const topic of topics)
      for (const o of await admin.fetchTopicOffsets(topic))
        if (Number(o.high) > Number(o.low)) ends.push({ topic, partition: o.partition, last: Number(o.high) - 1 });
    await waitFor(
      'collector caught up',
      () =>
        ends.every((e) => collector.messages.some((m) => m.topic === e.topic && m.partition === e.partition && Number(m.offset) >= e.last)),
      30_000,
      50,
    );
  } finally {
    await admin.disconnect();
  }
}

export type DispatcherProcess = ChildProcess & { output: string[] };

export interface BedOptions extends TestBedOptions {
  /** The channel simulator's settings (SIM_*); without them no simulator is started. */
  sim?: Record<string, string>;
}

/**
 * A dispatcher spec's bed (database, topics, collector, pg client) with the channel simulator and a
 * feeder; the dispatcher runs on it in-process (startDispatcher) or as processes (spawnDispatcher).
 */
export class PassTestBed extends TestBed {
  sim!: Sim;
  feeder!: Feeder;
  /** The config of the dispatcher last started in-process. */
  config!: PassDispatcherConfig;

  static start(label: string, o: BedOptions = {}): Promise<PassTestBed> {
    return new PassTestBed().setUp(label, o);
  }

  protected override async create(label: string, o: BedOptions): Promise<void> {
    await super.create(label, o);
    if (o.sim) {
      this.sim = await startSim(o.sim);
      this.defer(() => this.sim.close());
    }
    this.feeder = new Feeder(this.prefix);
    this.defer(() => this.feeder.close());
  }

  /** The dispatcher's settings on this bed (the simulator as its channel, when there is one). */
  dispatcherConfig(over: Record<string, string> = {}): PassDispatcherConfig {
    return dispatcherConfig(this.db, this.prefix, { ...(this.sim ? { TALK_CHANNEL_URL: this.sim.url } : {}), ...over });
  }

  /** Starts a dispatcher in-process on the bed's settings with `over`; it becomes `app`. */
  async startDispatcher(over: Record<string, string> = {}, o: { clock?: Clock; http?: boolean } = {}): Promise<INestApplication> {
    const config = this.dispatcherConfig(over);
    const app = await this.startApp(() => createPassDispatcherApp(config, o.clock ? { clock: o.clock } : {}), o);
    this.config = config;
    return app;
  }

  /**
   * Starts a dispatcher as its own process (main.ts, as deployed) on the bed's settings with `over`,
   * and waits until it is live. Killed when the bed closes (SIGKILL ends a frozen one too).
   */
  async spawnDispatcher(instance: string, over: Record<string, string> = {}): Promise<DispatcherProcess> {
    const port = await freePort();
    const child = spawnTs(
      'apps/pass-dispatcher/src/main.ts',
      dispatcherEnv(this.db, this.prefix, {
        PORT: String(port),
        INSTANCE_ID: instance,
        ...(this.sim ? { TALK_CHANNEL_URL: this.sim.url } : {}),
        ...over,
      }),
    );
    this.defer(() => killHard(child));
    try {
      await waitFor(`${instance} ready`, async () => (await fetch(`http://127.0.0.1:${port}/health/live`)).ok, 60_000, 200);
    } catch (e) {
      throw new Error(`${String(e)}\n${child.output.join('').slice(-3000)}`);
    }
    return child;
  }

  /** drained() on this bed's canonical topics: after it, what the collector lacks was never emitted. */
  drained(...names: string[]): Promise<void> {
    return drained(
      this.pg,
      this.collector,
      names.map((name) => this.prefix + name),
    );
  }

  /** The app's HTTP API as `role`: GET `path`, parsed. */
  async getJson<T>(path: string, role: Role = 'reader'): Promise<T> {
    return (await (await fetch(`${this.url}${path}`, { headers: await appBearer(this.app, role) })).json()) as T;
  }
}

export { untilTime } from '@platform/testing';
