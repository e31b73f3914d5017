// Tests that wait on events instead of clocks. A service under test has consumed everything sent
// to it when its consumer group's offsets (kept in its own database, advanced in the transaction
// of the effects) reach the brokers' high watermarks; everything it emitted is in Kafka when its
// outbox is empty; a collector has seen it when it has read up to the output topics' watermarks.
// "Nothing more happens" is then a fact to assert, not a guess after a sleep: drain, then assert.
import { INestApplication } from '@nestjs/common';
import { Admin, Kafka } from 'kafkajs';
import { PayloadOf, TopicKey, Topics } from '@platform/contracts';
import type { TopicCollector } from '@platform/testing';
import { createKafka, MessagingRuntime, OutgoingRecord, SafePublisher, settledTopicOffsets } from '../src';

/** One message to feed: a payload (keyed as the contract keys it), or raw bytes under a key of your choice. */
export type Feed<K extends TopicKey> =
  PayloadOf<K> | { key: string; value: PayloadOf<K> | string | Buffer; headers?: Record<string, string> };

type Disposer = () => unknown;

export class ServiceHarness {
  readonly runtime: MessagingRuntime;
  private readonly kafka: Kafka;
  private readonly publisher: SafePublisher;
  private admin?: Admin;
  private readonly disposers: Disposer[] = [];

  constructor(readonly app: INestApplication) {
    this.runtime = app.get(MessagingRuntime);
    this.kafka = createKafka({ brokers: this.runtime.options.brokers, clientId: `harness-${this.runtime.options.service}` });
    this.publisher = new SafePublisher(this.kafka);
    this.defer(() => this.publisher.close());
  }

  /** The service's topic prefix (its topics are `<prefix><canonical name>`). */
  get prefix(): string {
    return this.runtime.options.topicPrefix ?? '';
  }

  /** The physical name of a contract topic for this service. */
  topic(key: TopicKey): string {
    return this.runtime.namer.physical(Topics[key].name);
  }

  /**
   * Publishes to a contract topic through the safe publisher (acknowledged by every replica).
   * Payloads are sent as they are, not validated: a test may feed what the schema would refuse.
   */
  async feed<K extends TopicKey>(topic: K, items: readonly Feed<K>[]): Promise<void> {
    const spec = Topics[topic];
    const records: OutgoingRecord[] = items.map((item) => {
      const raw = isKeyed(item) ? item : { key: (spec.key as (v: PayloadOf<K>) => string)(item), value: item };
      const value = Buffer.isBuffer(raw.value)
        ? raw.value
        : Buffer.from(typeof raw.value === 'string' ? raw.value : JSON.stringify(raw.value));
      return { topic: this.topic(topic), key: raw.key, value, headers: ('headers' in raw && raw.headers) || {} };
    });
    await this.publisher.publish(records);
  }

  /**
   * Resolves once the service has applied every message on the topics it consumes, up to the
   * high watermarks read now (fed by this harness or by anyone else): the consumer group's offsets
   * in the service database, which move in the same transaction as the effects, have reached them.
   */
  async waitConsumed(timeoutMs = 30_000): Promise<void> {
    const topics = [...new Set(this.runtime.consumers.flatMap((c) => c.topics))];
    if (topics.length === 0) throw new Error(`${this.runtime.options.service} consumes nothing: nothing to wait for`);
    const targets = await highWatermarks(
      await this.connectedAdmin(),
      topics.map((t) => this.runtime.namer.physical(t)),
    );
    await waitOffsetsApplied({
      what: this.runtime.options.service,
      query: (sql, params) => this.runtime.dataSource.query(sql, params),
      groupId: this.runtime.groupId,
      prefix: this.prefix,
      targets,
      timeoutMs,
    });
  }

  /** The service's outbox relay: `drain()` publishes every committed outgoing event, or throws. */
  get relay(): { drain(timeoutMs?: number): Promise<void> } {
    return { drain: (timeoutMs = 30_000) => this.runtime.relay.drain(timeoutMs) };
  }

  /** Resolves once `collector` has read every record now on `topics` (physical names). */
  async caughtUp(collector: TopicCollector, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
    await waitCollected(collector, await highWatermarks(await this.connectedAdmin(), topics), timeoutMs);
  }

  /**
   * Everything sent so far has been handled, everything that caused has been published, and the
   * collector has read it: the point after which an absence (no second decision, no stray event)
   * can be asserted.
   */
  async settle(collector: TopicCollector, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
    await this.waitConsumed(timeoutMs);
    await this.relay.drain(timeoutMs);
    await this.caughtUp(collector, topics, timeoutMs);
  }

  /** Registers clean-up; `dispose()` runs them last-registered first, each even if another failed. */
  defer(fn: Disposer): void {
    this.disposers.push(fn);
  }

  async dispose(): Promise<void> {
    const errors: unknown[] = [];
    while (this.disposers.length > 0) {
      const fn = this.disposers.pop();
      try {
        await fn?.();
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw new AggregateError(errors, `${errors.length} clean-up step(s) failed`);
  }

  private async connectedAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
      this.defer(() => admin.disconnect());
    }
    return this.admin;
  }
}

/** One settle() with a harness of its own, for a spec that restarts its app between tests. */
export async function settle(
  app: INestApplication,
  collector: TopicCollector,
  topics: readonly string[],
  timeoutMs = 30_000,
): Promise<void> {
  const harness = new ServiceHarness(app);
  try {
    await harness.settle(collector, topics, timeoutMs);
  } finally {
    await harness.dispose();
  }
}

/** Partition (`<topic>:<partition>`) to high watermark, for the partitions that hold anything. */
export async function highWatermarks(admin: Admin, topics: readonly string[]): Promise<Map<string, bigint>> {
  const out = new Map<string, bigint>();
  for (const topic of topics) {
    for (const p of await settledTopicOffsets(admin, topic)) {
      const high = BigInt(p.high);
      if (high > 0n) out.set(`${topic}:${p.partition}`, high);
    }
  }
  return out;
}

export type Query = (sql: string, params: unknown[]) => Promise<unknown>;

/**
 * Waits until a consumer group's offsets in its service database (`consumer_offset`, advanced in
 * the transaction of the effects) reach `targets` (physical partitions to high watermarks). For a
 * service run as a process, `query` goes through a pg client; without `groupId`, every group of
 * that database counts (a test database holds one).
 */
export async function waitOffsetsApplied(o: {
  what: string;
  query: Query;
  groupId?: string;
  prefix: string;
  targets: Map<string, bigint>;
  timeoutMs?: number;
}): Promise<void> {
  const timeoutMs = o.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await o.query(
      'SELECT topic, partition, max(next_offset)::text AS next FROM consumer_offset WHERE $1::text IS NULL OR group_id = $1 GROUP BY topic, partition',
      [o.groupId ?? null],
    )) as { topic: string; partition: number; next: string }[];
    const applied = new Map(rows.map((r) => [`${o.prefix}${r.topic}:${r.partition}`, BigInt(r.next)]));
    const behind = [...o.targets].filter(([tp, high]) => (applied.get(tp) ?? 0n) < high);
    if (behind.length === 0) return;
    if (Date.now() > deadline) {
      const detail = behind.map(([tp, high]) => `${tp} at ${applied.get(tp) ?? 0n} of ${high}`).join(', ');
      throw new Error(`${o.what} did not consume within ${timeoutMs} ms: ${detail}`);
    }
    await pause(50);
  }
}

/** Waits until a service's outbox is empty: every event its transactions wrote is in Kafka (for a service run as a process). */
export async function waitOutboxEmpty(what: string, query: Query, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const rows = (await query('SELECT count(*)::int AS n FROM outbox_message', [])) as { n: number }[];
    if (rows[0]?.n === 0) return;
    if (Date.now() > deadline) throw new Error(`${what}: ${rows[0]?.n} outbox rows still unpublished after ${timeoutMs} ms`);
    await pause(50);
  }
}

/** Waits until `collector` has read every record below `targets` (from highWatermarks). */
export async function waitCollected(collector: TopicCollector, targets: Map<string, bigint>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const seen = new Map<string, bigint>();
    for (const m of collector.messages) {
      const tp = `${m.topic}:${m.partition}`;
      const next = BigInt(m.offset) + 1n;
      if ((seen.get(tp) ?? 0n) < next) seen.set(tp, next);
    }
    const behind = [...targets].filter(([tp, high]) => (seen.get(tp) ?? 0n) < high);
    if (behind.length === 0) return;
    if (Date.now() > deadline) throw new Error(`collector did not catch up within ${timeoutMs} ms: ${behind.map(([tp]) => tp).join(', ')}`);
    await pause(50);
  }
}

function isKeyed<K extends TopicKey>(item: Feed<K>): item is Extract<Feed<K>, { key: string; value: unknown }> {
  return (
    typeof item === 'object' &&
    item !== null &&
    'key' in item &&
    'value' in item &&
    Object.keys(item).every((k) => ['key', 'value', 'headers'].includes(k))
  );
}

function pause(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
