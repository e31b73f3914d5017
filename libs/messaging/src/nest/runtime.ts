import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import { Kafka } from 'kafkajs';
import { DataSource } from 'typeorm';
import type { KafkaSecurityEnv } from '@platform/config';
import { consumerGroupId, dlqName, servicePriority } from '@platform/contracts';
import { Clock } from '../clock';
import { BatchConsumer, TopicHandler } from '../consumer';
import { countDeadLetters } from '../dlq-store';
import { createKafka } from '../kafka-client';
import { OutboxRelay } from '../outbox';
import { SafePublisher } from '../publisher';
import { LoadShedder, SheddingPolicy } from '../shedding';
import { TopicNamer } from '../topic-namer';
import { runInTransaction } from '../transaction';
import { TxContext } from '../tx-context';
import { CLOCK, MESSAGING_OPTIONS } from './tokens';

export interface MessagingOptions {
  /** Service name: Kafka client id, consumer group, span names. */
  service: string;
  brokers: string[];
  /** SASL/TLS from validated config; absent: PLAINTEXT. */
  security?: Partial<KafkaSecurityEnv>;
  topicPrefix?: string;
  chunkSize?: number;
  concurrency?: number;
  /** Run the outbox relay in this process (default true). */
  relay?: boolean;
  stallMs?: number;
  /** Consumers wait while the outbox holds more rows than this (back-pressure; 0 turns it off). */
  outboxBackpressureRows?: number;
  /** See BatchConsumerOptions.onOffsetMismatch. */
  onOffsetMismatch?: 'rewind' | 'halt';
  /** The failure zone of this replica (ZONE), reported by health. */
  zone?: string;
  /** Service priorities: how a sheddable service holds new work while claims are behind (ignored for critical ones). */
  shedding?: SheddingPolicy;
}

/**
 * Everything a service needs to talk to Kafka: the safe publisher, the outbox relay, and the batch
 * consumer that the Nest transport strategy drives. Started at bootstrap; on shutdown consumers
 * stop first (finishing the chunk in flight), then the relay drains, then the database closes.
 */
@Injectable()
export class MessagingRuntime implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly log = new Logger('Messaging');
  readonly kafka: Kafka;
  readonly namer: TopicNamer;
  readonly publisher: SafePublisher;
  readonly relay: OutboxRelay;
  readonly consumers: BatchConsumer[] = [];
  /** Present on sheddable services (SERVICE_PRIORITIES); critical ones never hold their work. */
  readonly shedding: LoadShedder | null;

  constructor(
    @Inject(MESSAGING_OPTIONS) readonly options: MessagingOptions,
    readonly dataSource: DataSource,
    @Inject(CLOCK) readonly clock: Clock,
  ) {
    this.kafka = createKafka({ brokers: options.brokers, clientId: options.service, security: options.security });
    this.namer = new TopicNamer(options.topicPrefix ?? '');
    this.publisher = new SafePublisher(this.kafka);
    this.relay = new OutboxRelay(dataSource, this.publisher);
    this.shedding =
      options.shedding && servicePriority(options.service) === 'sheddable'
        ? new LoadShedder(options.shedding, this.kafka, this.namer, options.topicPrefix ?? '')
        : null;
    this.shedding?.onChange((held) => this.consumers.forEach((c) => c.setHeld(held)));
  }

  /**
   * The consumer group. With a topic prefix (tests, isolated environments) the prefix is part of
   * it: kafkajs' round-robin assigner hands every topic of a group to any member, so two prefixes
   * sharing a group would receive each other's partitions.
   */
  get groupId(): string {
    // Kafka ACLs grant each service exactly this group (kafkaAcls in @platform/contracts).
    return consumerGroupId(this.options.service, this.options.topicPrefix ?? '');
  }

  onApplicationBootstrap(): void {
    if (this.options.relay !== false) this.relay.start();
    this.shedding?.start();
    this.observe();
  }

  /** Gauges read at scrape time: consumer lag per partition and the outbox backlog. */
  private observe(): void {
    const meter = metrics.getMeter('platform-messaging');
    meter
      .createObservableGauge('messaging_consumer_lag', { description: 'Messages behind the high watermark, per partition' })
      .addCallback((r) => {
        for (const c of this.consumers) {
          for (const [tp, lag] of c.lag) {
            const [topic, partition] = tp.split(':');
            r.observe(lag, { topic, partition });
          }
        }
      });
    const shedding = this.shedding;
    if (shedding) {
      meter
        .createObservableGauge('messaging_shedding_active', {
          description: '1 while this sheddable service holds new work for the claims to catch up',
        })
        .addCallback((r) => r.observe(shedding.active ? 1 : 0));
      meter
        .createObservableGauge('messaging_shedding_claims_lag', {
          description: 'Claim requests the claims service is behind, as the shedding policy saw it (-1: unknown)',
        })
        .addCallback((r) => r.observe(shedding.claimsLag ?? -1));
    }
    meter
      .createObservableGauge('messaging_outbox_backlog', { description: 'Outbox rows waiting for Kafka (estimate)' })
      .addCallback(async (r) => {
        r.observe(await this.relay.estimateBacklog().catch(() => -1));
      });
    meter
      .createObservableGauge('messaging_dlq_depth', {
        description: 'Messages held in the DLQ of each topic this service consumes (high - low watermark; -1 when Kafka cannot say)',
      })
      .addCallback(async (r) => {
        for (const [topic, n] of await this.dlqDepths()) r.observe(n, { topic });
      });
  }

  private dlqDepthCache: { at: number; depths: Map<string, number> } | null = null;

  /** DLQ sizes, asked of Kafka at most every 15 s (scrapes of several replicas stay cheap). */
  private async dlqDepths(): Promise<Map<string, number>> {
    if (this.dlqDepthCache && Date.now() - this.dlqDepthCache.at < 15_000) return this.dlqDepthCache.depths;
    const canonical = [...new Set(this.consumers.flatMap((c) => c.topics))].map(dlqName);
    const depths = new Map<string, number>();
    try {
      const physical = await countDeadLetters(
        this.kafka,
        canonical.map((t) => this.namer.physical(t)),
      );
      canonical.forEach((t) => depths.set(t, physical.get(this.namer.physical(t)) ?? 0));
    } catch {
      canonical.forEach((t) => depths.set(t, -1));
    }
    this.dlqDepthCache = { at: Date.now(), depths };
    return depths;
  }

  /** Starts one batch consumer for the given topic handlers (called by the transport strategy). */
  async startConsumer(handlers: TopicHandler[]): Promise<BatchConsumer> {
    const consumer = new BatchConsumer({
      groupId: this.groupId,
      kafka: this.kafka,
      dataSource: this.dataSource,
      namer: this.namer,
      handlers,
      clock: this.clock,
      chunkSize: this.options.chunkSize,
      concurrency: this.options.concurrency,
      stallMs: this.options.stallMs,
      onOffsetMismatch: this.options.onOffsetMismatch,
      onOutboxWrite: () => this.relay.kick(),
      beforeChunk: async (keepAlive, alive) => {
        await this.shedding?.hold(keepAlive, alive);
        await this.outboxBackpressure(keepAlive, alive);
      },
    });
    consumer.setHeld(this.shedding?.active ?? false);
    this.consumers.push(consumer);
    await consumer.start();
    this.log.log(`consuming ${handlers.map((h) => h.spec.name).join(', ')} as group ${this.groupId}`);
    return consumer;
  }

  /** Chunks held back right now because the outbox is over its bound. */
  private waitingChunks = 0;

  /** True while consumers are held back because the outbox is over its bound. */
  get throttled(): boolean {
    return this.waitingChunks > 0;
  }

  /** How many chunks are waiting right now (at most one per partition being consumed): tests wait on it. */
  get heldChunks(): number {
    return this.waitingChunks;
  }

  /**
   * Back-pressure: while the outbox holds more than the bound (Kafka slow or unreachable), new
   * chunks wait instead of piling up more rows to publish; the group keeps its heartbeats.
   */
  private async outboxBackpressure(keepAlive: () => Promise<void>, alive: () => boolean): Promise<void> {
    const bound = this.options.outboxBackpressureRows ?? 200_000;
    if (bound <= 0) return;
    let waiting = false;
    try {
      for (;;) {
        // Two index lookups (min and max id): cheap enough to ask before every chunk.
        const rows = await this.relay.estimateBacklog().catch(() => 0);
        if (rows <= bound || !alive()) break;
        if (!waiting) {
          waiting = true;
          if (this.waitingChunks++ === 0) this.log.warn(`outbox backlog ${rows} rows > ${bound}: consumers wait for the relay`);
        }
        await new Promise((r) => setTimeout(r, 250));
        await keepAlive().catch(() => undefined);
      }
    } finally {
      if (waiting && --this.waitingChunks === 0) this.log.log('outbox backlog back under its bound: consuming again');
    }
  }

  /** State change plus outgoing events in one transaction (HTTP paths, sweeps). */
  transaction<T>(fn: (ctx: TxContext) => Promise<T>, spanName?: string): Promise<T> {
    return runInTransaction(this.dataSource, this.namer, fn, { clock: this.clock, onOutboxWrite: () => this.relay.kick(), spanName });
  }

  async stopConsumers(): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop()));
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.stopConsumers();
    await this.shedding?.stop();
    await this.relay.stop();
    // Publish what the last transactions wrote, if Kafka lets us within a few seconds.
    await this.relay.drain(5000).catch((e: unknown) => this.log.warn(`outbox not drained at shutdown (kept for next start): ${String(e)}`));
  }

  async onApplicationShutdown(): Promise<void> {
    await this.publisher.close();
  }
}
