import { Admin, Kafka, Message, Partitioners, Producer } from 'kafkajs';
import { Logger } from '@nestjs/common';
import { partitionFor } from './partitioning';
import { OutgoingRecord } from './records';

export interface PublisherOptions {
  /** Messages per produce request; ~500-1000 keeps kafkajs fast (notes B.6). */
  chunkSize?: number;
  sendTimeoutMs?: number;
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
  private readonly chunkSize: number;
  private readonly sendTimeoutMs: number;

  constructor(
    private readonly kafka: Kafka,
    options: PublisherOptions = {},
  ) {
    this.chunkSize = options.chunkSize ?? 500;
    this.sendTimeoutMs = options.sendTimeoutMs ?? 30000;
  }

  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    if (records.length === 0) return;
    const producer = await this.getProducer();
    const groups = new Map<string, { topic: string; messages: Message[] }>();
    for (const r of records) {
      const partition = partitionFor(r.topic, r.key, await this.partitionCount(r.topic));
      const id = `${r.topic}\u0000${partition}`;
      let g = groups.get(id);
      if (!g) {
        g = { topic: r.topic, messages: [] };
        groups.set(id, g);
      }
      g.messages.push({ key: r.key, value: r.value, headers: r.headers, partition });
    }
    try {
      await Promise.all(
        [...groups.values()].map(async (g) => {
          for (let i = 0; i < g.messages.length; i += this.chunkSize) {
            await producer.send({
              topic: g.topic,
              acks: -1,
              timeout: this.sendTimeoutMs,
              messages: g.messages.slice(i, i + this.chunkSize),
            });
          }
        }),
      );
    } catch (e) {
      // Start over with a fresh producer id: after a failed idempotent send the sequence state of
      // this producer may no longer match the broker's.
      await this.reset();
      throw e;
    }
  }

  /** Partition count of a topic, cached for a minute (topics are created with planned counts). */
  async partitionCount(topic: string): Promise<number> {
    const cached = this.partitionCounts.get(topic);
    if (cached && Date.now() - cached.at < 60_000) return cached.n;
    if (!this.admin) {
      this.admin = this.kafka.admin();
      await this.admin.connect();
    }
    const md = await this.admin.fetchTopicMetadata({ topics: [topic] });
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
