import { Admin, ConfigResourceTypes, Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { partitionFor } from './partitioning';
import { OutgoingRecord, recordSize, toKafkaHeaders } from './records';

export interface PublisherOptions {
  /** Messages per produce request; ~500-1000 keeps kafkajs fast (notes B.6). */
  chunkSize?: number;
  /**
   * Bytes per produce request, and the largest record we try to send when the broker's own limit
   * cannot be read. Kafka refuses a batch over the topic's `max.message.bytes` (default 1 MiB).
   */
  maxRequestBytes?: number;
  sendTimeoutMs?: number;
}

/** Kafka error types that are about the records themselves: sending them again cannot succeed. */
const RECORD_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
  'INVALID_REQUIRED_ACKS',
]);

/** Kafka refused what was sent (not: could not be reached). The outbox narrows it down to one row. */
export class PublishRejected extends Error {
  constructor(
    readonly kafkaType: string,
    cause: unknown,
  ) {
    super(`${kafkaType}: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'PublishRejected';
  }
}

/** The record-level Kafka error behind a failed send, looking through kafkajs' retry wrappers. */
function recordError(e: unknown): string | null {
  for (let cur: unknown = e, depth = 0; cur && depth < 5; depth++) {
    const x = cur as { type?: string; originalError?: unknown; cause?: unknown };
    if (x.type && RECORD_ERRORS.has(x.type)) return x.type;
    cur = x.originalError ?? x.cause;
  }
  return null;
}

/**
 * The platform's only way to write to Kafka.
 *
 * kafkajs 2.2.4 can resolve a `send` that spans several partitions although the broker never kept
 * some of its messages when a partition leader dies mid-call (notes A.2 K11: its retry skips
 * brokers that already answered). So every produce call here targets exactly one partition: we
 * assign partitions ourselves with the platform partitioner, then send each partition's messages
 * in order (chunk after chunk), and different partitions in parallel. A partition whose send
 * fails makes the whole publish fail, and the caller (outbox relay) keeps its rows and retries.
 */
export class SafePublisher {
  private readonly log = new Logger('SafePublisher');
  private producer: Producer | null = null;
  private connecting: Promise<Producer> | null = null;
  private admin: Admin | null = null;
  private readonly partitionCounts = new Map<string, { n: number; at: number }>();
  private readonly maxBytes = new Map<string, { n: number; at: number }>();
  private readonly chunkSize: number;
  private readonly maxRequestBytes: number;
  private readonly sendTimeoutMs: number;

  constructor(
    private readonly kafka: Kafka,
    options: PublisherOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 500;
    this.maxRequestBytes = options.maxRequestBytes ?? 1_000_000;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30000;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const producer = await this.getProducer();
    const groups = new Map<string, { topic: string; chunks: Message[][]; bytes: number; limit: number }>();
    for (const r of records) {
      const partition = partitionFor(r.topic, r.key, await this.partitionCount(r.topic));
      const id = `${r.topic}\u0000${partition}`;
      let g = groups.get(id);
      if (!g) {
        g = { topic: r.topic, chunks: [[]], bytes: 0, limit: Math.min(this.maxRequestBytes, await this.maxRecordBytes(r.topic)) };
        groups.set(id, g);
      }
      // A produce request (one record batch) stays under the broker's limit by bytes, not only count.
      const size = recordSize(r);
      let chunk = g.chunks[g.chunks.length - 1] as Message[];
      if (chunk.length >= this.chunkSize || (chunk.length > 0 && g.bytes + size > g.limit)) {
        chunk = [];
        g.chunks.push(chunk);
        g.bytes = 0;
      }
      chunk.push({ key: r.key, value: r.value, headers: toKafkaHeaders(r.headerList, r.headers), partition });
      g.bytes += size;
    }
    try {
      await Promise.all(
        [...groups.values()].map(async (g) => {
          for (const messages of g.chunks) {
            await producer.send({ topic: g.topic, acks: -1, timeout: this.sendTimeoutMs, messages });
          }
        }),
      );
    } catch (e) {
      // Start over with a fresh producer id: after a failed idempotent send the sequence state of
      // this producer may no longer match the broker's.
      await this.reset();
      const type = recordError(e);
      if (type) throw new PublishRejected(type, e);
      throw e;
    }
  }

  /**
   * Largest record the topic takes: its `max.message.bytes` less batch framing, read from the
   * broker and cached for a minute; the configured request bound when it cannot be read.
   */
  async maxRecordBytes(topic: string): Promise<number> {
    const cached = this.maxBytes.get(topic);
    if (cached && Date.now() - cached.at < 60_000) return cached.n;
    let n = this.maxRequestBytes;
    try {
      const admin = await this.getAdmin();
      const res = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['max.message.bytes'] }],
      });
      const v = Number(res.resources[0]?.configEntries.find((c) => c.configName === 'max.message.bytes')?.configValue);
      if (Number.isFinite(v) && v > 0) n = Math.min(v - 128, this.maxRequestBytes);
    } catch (e) {
      this.log.warn(`cannot read max.message.bytes of ${topic}, using ${n}: ${String(e)}`);
    }
    this.maxBytes.set(topic, { n, at: Date.now() });
    return n;
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /** Partition count of a topic, cached for a minute (topics are created with planned counts). */
  async partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < 60_000) return cached.n;
    const md = await (await this.getAdmin()).fetchTopicMetadata({ topics: [topic] });
    const n = md.topics[0]?.partitions.length ?? 0;
    if (n === 0) throw new Error(`topic ${topic} has no partitions (does it exist?)`);
    this.partitionCounts.set(topic, { n, at: Date.now() });
    return n;
  }

  private async getProducer(): Promise<Producer> {
    if (this.producer) return this.producer;
    if (!this.connecting) {
      this.connecting = (async () => {
        const p = this.kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          // Messages arrive with explicit partitions; this only silences kafkajs' v2 migration warning.
          createPartitioner: Partitioners.DefaultPartitioner,
          retry: { retries: 8, initialRetryTime: 200, maxRetryTime: 5000 },
        });
        await p.connect();
        this.producer = p;
        return p;
      })().finally(() => {
        this.connecting = null;
      });
    }
    return this.connecting;
  }

  private async reset(): Promise<void> {
    const p = this.producer;
    this.producer = null;
    this.partitionCounts.clear();
    if (p) await p.disconnect().catch((e: unknown) => this.log.warn(`producer disconnect: ${String(e)}`));
  }

  async close(): Promise<void> {
    await this.reset();
    if (this.admin) await this.admin.disconnect().catch(() => undefined);
    this.admin = null;
  }
}
