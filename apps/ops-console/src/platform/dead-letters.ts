import { Inject, Injectable, OnModuleDestroy } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import {
  countDeadLetters,
  createKafka,
  DeadLetter,
  deadLetterTopics,
  readDeadLetters,
  replayDeadLetters,
  SafePublisher,
} from '@platform/messaging';
import { maskDeadLetterValue, maskPhoneNumbersInText } from '@platform/rules';
import { CONSOLE_CONFIG } from '../tokens';
import type { ConsoleConfig } from '../config';

/** A parked message as the page shows it: phone numbers masked, bytes as text. */
export interface DeadLetterView {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  reason: string;
  source: { topic: string; partition: string; offset: string };
  /** When the original message was written to its source topic. */
  sourceAt: string | null;
  value: string;
  replayed: { by: string; at: string } | null;
}

export class UnknownDeadLetterTopic extends Error {}
export class DeadLetterNotFound extends Error {}

/**
 * The platform's DLQ topics: depth from offsets (cheap, every sample), parked messages with their
 * reasons read on demand (a throw-away group that commits nothing; cached until the depth changes),
 * and replay to the source topic through the safe publisher, as the DLQ CLI does.
 */
@Injectable()
export class DeadLetterDesk implements OnModuleDestroy {
  private readonly kafka: Kafka;
  private publisher: SafePublisher | null = null;
  private readonly cache = new Map<string, { depth: number; letters: DeadLetterView[] }>();
  /** Replays done through this console (the DLQ keeps the message: Kafka is append-only). */
  private readonly replays = new Map<string, { by: string; at: string }>();

  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {
    this.kafka = createKafka({ brokers: config.KAFKA_BROKERS, clientId: 'ops-console', security: config });
  }

  topics(): string[] {
    return deadLetterTopics(this.config.KAFKA_TOPIC_PREFIX);
  }

  /** Messages per DLQ topic (high - low watermark, summed over partitions). */
  async depths(): Promise<Map<string, number>> {
    return countDeadLetters(this.kafka, this.topics());
  }

  private known(topic: string): void {
    if (!this.topics().includes(topic)) throw new UnknownDeadLetterTopic(topic);
  }

  async letters(topic: string): Promise<{ depth: number; letters: DeadLetterView[]; limit: number }> {
    this.known(topic);
    const depth = (await countDeadLetters(this.kafka, [topic])).get(topic) ?? 0;
    const cached = this.cache.get(topic);
    const limit = this.config.DLQ_VIEW_LIMIT;
    if (cached && cached.depth === depth) return { depth, letters: cached.letters.map((l) => this.withReplay(l)), limit };
    const letters = depth === 0 ? [] : (await readDeadLetters(this.kafka, topic, limit)).map((l) => this.view(l));
    this.cache.set(topic, { depth, letters });
    return { depth, letters: letters.map((l) => this.withReplay(l)), limit };
  }

  /** Sends one parked message back to its source topic; `by` travels as `dlq-replayed-by`. */
  async replay(topic: string, partition: number, offset: string, by: string): Promise<DeadLetterView> {
    this.known(topic);
    const letter = (await readDeadLetters(this.kafka, topic)).find((l) => l.partition === partition && l.offset === offset);
    if (!letter) throw new DeadLetterNotFound(`${topic} ${partition}:${offset}`);
    this.publisher ??= new SafePublisher(this.kafka);
    await replayDeadLetters(this.publisher, [letter], this.config.KAFKA_TOPIC_PREFIX, undefined, by);
    this.replays.set(this.keyOf(topic, partition, offset), { by, at: new Date().toISOString() });
    return this.withReplay(this.view(letter));
  }

  private keyOf(topic: string, partition: number, offset: string): string {
    return `${topic}:${partition}:${offset}`;
  }

  private withReplay(l: DeadLetterView): DeadLetterView {
    return { ...l, replayed: this.replays.get(this.keyOf(l.topic, l.partition, l.offset)) ?? null };
  }

  private view(l: DeadLetter): DeadLetterView {
    const ts = l.headers['dlq-source-timestamp'];
    return {
      topic: l.topic,
      partition: l.partition,
      offset: l.offset,
      key: l.key === null ? null : maskPhoneNumbersInText(l.key),
      reason: maskPhoneNumbersInText(l.reason),
      source: l.source,
      sourceAt: ts && /^\d+$/.test(ts) ? new Date(Number(ts)).toISOString() : null,
      value: maskDeadLetterValue(l.value.toString('utf8')).slice(0, 2000),
      replayed: null,
    };
  }

  async onModuleDestroy(): Promise<void> {
    await this.publisher?.close().catch(() => undefined);
  }
}
