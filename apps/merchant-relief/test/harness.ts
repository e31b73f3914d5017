// Test harness: the relief service in-process on real Kafka and Postgres, with isolated topics and
// database, a manual clock, a publisher for inbound events and a collector for what comes out.
import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { bearer } from '@platform/auth/testing';
import { CampaignDefinition, dlqName, PayloadOf, plannedTopics, TopicKey, Topics } from '@platform/contracts';
import { createKafka, ManualClock, SafePublisher } from '@platform/messaging';
import {
  createTestDatabase,
  deleteTestTopics,
  TestDatabase,
  testInfra,
  testKafka,
  TopicCollector,
  uniqueSuffix,
  waitFor,
} from '@platform/testing';
import { createReliefApp } from '../src/app';
import { reliefEnv } from '../src/config';

type Inbound = 'merchantDamageReported' | 'merchantReviewDecided' | 'merchantEvidenceSubmitted' | 'campaignDefined';

/** A campaign like the 2023 one, as the claims service would define it. */
export function campaign(campaignId: string, relief: CampaignDefinition['relief'] | 'default' = 'default'): CampaignDefinition {
  return {
    campaignId,
    name: `Test campaign ${campaignId}`,
    opensAt: '2023-01-05T00:00:00+09:00',
    closesAt: '2023-01-21T00:00:00+09:00',
    rewards: { emoticons: [], coupons: null, pass: null },
    relief:
      relief === 'default'
        ? {
            tiers: [
              { tier: 'T30K', maxLossWon: 300_000, amountWon: 30_000 },
              { tier: 'T50K', maxLossWon: 500_000, amountWon: 50_000 },
            ],
          }
        : relief,
  };
}

/**
 * Like createTestTopics (libs/testing), but tolerant of a busy broker: kafkajs' `waitForLeaders`
 * gives up on the first UNKNOWN_TOPIC_OR_PARTITION in the metadata of just-created topics, so we
 * poll the metadata ourselves until every partition has a leader.
 */
async function createTopicsPatiently(label: string): Promise<string> {
  const prefix = `t-${label}-${uniqueSuffix()}.`;
  const planned = plannedTopics().map((t) => ({ topic: prefix + t.name, numPartitions: t.partitions, replicationFactor: 1 }));
  const admin = testKafka().admin();
  await admin.connect();
  try {
    await admin.createTopics({ waitForLeaders: false, topics: planned });
    await waitFor(
      'test topics with leaders',
      async () => {
        const md = await admin.fetchTopicMetadata({ topics: planned.map((t) => t.topic) });
        return planned.every((p) => {
          const t = md.topics.find((x) => x.name === p.topic);
          return t?.partitions.length === p.numPartitions && t.partitions.every((x) => x.leader >= 0);
        });
      },
      30_000,
      200,
    );
  } finally {
    await admin.disconnect();
  }
  return prefix;
}

/** A committee decision the service refused with `reason`: it adds nothing, the case keeps `totalAmountWon`. */
export const refusedReview = (reason: string, totalAmountWon = 0) => ({
  status: 'REJECTED',
  reason,
  additionalAmountWon: 0,
  totalAmountWon,
});

interface TierTotals {
  merchants: number;
  amountWon: number;
}

/**
 * One campaign's entry in GET /relief/summary as a test expects it: the tiers named, every other
 * tier empty, no rejected reports unless named. The rest follows from the summary's own rules:
 * merchants and owedWon are the tiers' sums, the ledger total its two parts, and it balances.
 */
export function campaignSummary(s: {
  T30K?: TierTotals;
  T50K?: TierTotals;
  REVIEW?: TierTotals & { pending: number; approved: number; declined: number };
  ledger: { entries: number; tierPaymentsWon: number; reviewAdditionsWon: number };
  rejectedReports?: Record<string, number>;
}) {
  const empty = { merchants: 0, amountWon: 0 };
  const tiers = { T30K: s.T30K ?? empty, T50K: s.T50K ?? empty, REVIEW: s.REVIEW ?? { ...empty, pending: 0, approved: 0, declined: 0 } };
  const all = Object.values(tiers);
  return {
    tiers,
    merchants: all.reduce((n, t) => n + t.merchants, 0),
    owedWon: all.reduce((won, t) => won + t.amountWon, 0),
    ledger: { ...s.ledger, totalWon: s.ledger.tierPaymentsWon + s.ledger.reviewAdditionsWon },
    balanced: true,
    rejectedReports: s.rejectedReports ?? {},
  };
}

/** Accepts broken payloads on purpose: tests send bad input too. */
export type Loose<T> = { [K in keyof T]?: unknown } & Record<string, unknown>;

export class ReliefHarness {
  readonly clock = new ManualClock(new Date('2023-02-01T01:00:00Z'));
  app!: INestApplication;
  url = '';
  pg!: Client;
  private db!: TestDatabase;
  private prefix = '';
  private publisher!: SafePublisher;
  private collector!: TopicCollector;
  /** The committee's and ops' reads need a bearer token (reader role). */
  private auth: Record<string, string> = {};

  async start(label: string, env: Record<string, string> = {}): Promise<this> {
    const { brokers, databaseUrl } = testInfra();
    this.db = await createTestDatabase(label);
    this.prefix = await createTopicsPatiently(label);
    const config = reliefEnv.parse({
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: this.prefix,
      DATABASE_URL: databaseUrl,
      DB_NAME: this.db.name,
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
      ...env,
    });
    this.auth = await bearer(config, 'reader', { subject: 'relief-committee-test' });
    this.app = await createReliefApp(config, { clock: this.clock });
    await this.app.listen(0, '127.0.0.1');
    this.url = await this.app.getUrl();
    this.publisher = new SafePublisher(createKafka({ brokers, clientId: `relief-test-${label}` }));
    this.collector = await new TopicCollector(
      ['reliefDecided', 'reliefReviewApplied', 'reliefEvidenceDecided']
        .map((k) => this.topic(k as TopicKey))
        .concat(
          (['merchantDamageReported', 'merchantReviewDecided', 'merchantEvidenceSubmitted', 'campaignDefined'] as const).map((k) =>
            dlqName(this.topic(k)),
          ),
        ),
    ).start();
    this.pg = new Client({ connectionString: this.db.url });
    await this.pg.connect();
    return this;
  }

  async stop(): Promise<void> {
    await this.collector?.stop();
    await this.publisher?.close();
    await this.app?.close();
    await this.pg?.end();
    await this.db?.drop();
    if (this.prefix) await deleteTestTopics(this.prefix);
  }

  topic(k: TopicKey): string {
    return this.prefix + Topics[k].name;
  }

  async send<K extends Inbound>(k: K, values: Loose<PayloadOf<K>>[]): Promise<void> {
    await this.publisher.publish(
      values.map((v) => ({
        topic: this.topic(k),
        key: String(v.merchantId ?? (v.campaign as { campaignId?: string } | undefined)?.campaignId ?? 'raw'),
        value: Buffer.from(JSON.stringify(v)),
        headers: {},
      })),
    );
  }

  async defineCampaigns(defs: CampaignDefinition[]): Promise<void> {
    await this.send(
      'campaignDefined',
      defs.map((campaign) => ({ definedAt: this.clock.now().toISOString(), campaign })),
    );
    await waitFor('campaigns stored', async () => {
      const r = await this.pg.query<{ n: number }>(`SELECT count(*)::int AS n FROM campaign WHERE campaign_id = ANY($1)`, [
        defs.map((d) => d.campaignId),
      ]);
      return r.rows[0]?.n === defs.length;
    });
  }

  decided(eventId?: string): PayloadOf<'reliefDecided'>[] {
    return this.collector
      .on(this.topic('reliefDecided'))
      .map((m) => m.json<PayloadOf<'reliefDecided'>>())
      .filter((d) => eventId === undefined || d.eventId === eventId);
  }

  applied(eventId?: string): PayloadOf<'reliefReviewApplied'>[] {
    return this.collector
      .on(this.topic('reliefReviewApplied'))
      .map((m) => m.json<PayloadOf<'reliefReviewApplied'>>())
      .filter((d) => eventId === undefined || d.eventId === eventId);
  }

  evidenceAnswers(eventId?: string): PayloadOf<'reliefEvidenceDecided'>[] {
    return this.collector
      .on(this.topic('reliefEvidenceDecided'))
      .map((m) => m.json<PayloadOf<'reliefEvidenceDecided'>>())
      .filter((d) => eventId === undefined || d.eventId === eventId);
  }

  deadLetters(k: Inbound) {
    return this.collector.on(dlqName(this.topic(k)));
  }

  /** Waits until each of the event ids has at least `times` answers on the topic. */
  async answers<K extends 'reliefDecided' | 'reliefReviewApplied' | 'reliefEvidenceDecided'>(
    k: K,
    eventIds: string[],
    times = 1,
  ): Promise<Map<string, PayloadOf<K>>> {
    const all = (): PayloadOf<K>[] =>
      (k === 'reliefDecided' ? this.decided() : k === 'reliefReviewApplied' ? this.applied() : this.evidenceAnswers()) as PayloadOf<K>[];
    await waitFor(
      `${times}x answers for ${eventIds.join(', ')}`,
      () => eventIds.every((id) => all().filter((a) => a.eventId === id).length >= times),
      30_000,
    );
    return new Map(
      all()
        .filter((a) => eventIds.includes(a.eventId))
        .map((a) => [a.eventId, a]),
    );
  }

  /** Moves the clock on in steps (deferred events are retried on the clock) until `check` holds. */
  async advanceUntil<T>(what: string, check: () => T | Promise<T>, stepMs = 500): Promise<NonNullable<T>> {
    return waitFor(
      what,
      async () => {
        const v = await check();
        if (!v) this.clock.advance(stepMs);
        return v;
      },
      40_000,
      100,
    );
  }

  async get<T = Record<string, unknown>>(path: string): Promise<{ status: number; body: T }> {
    const res = await fetch(`${this.url}${path}`, { headers: this.auth });
    return { status: res.status, body: (await res.json()) as T };
  }

  /** What the ledger owes each merchant (campaign:merchant -> won). */
  async owed(): Promise<Map<string, number>> {
    const r = await this.pg.query<{ k: string; won: string }>(
      `SELECT campaign_id || ':' || merchant_id AS k, owed_won AS won FROM payout_balance`,
    );
    return new Map(r.rows.map((x) => [x.k, Number(x.won)]));
  }
}
