import { Context, context as otelContext, propagation } from '@opentelemetry/api';
import { EntityManager } from 'typeorm';
import { dlqName, encode, PayloadOf, TopicKey, Topics, TopicSpec } from '@platform/contracts';
import { OutgoingRecord, DLQ_HEADERS } from './records';
import { TopicNamer } from './topic-namer';

/** A consumed message, decoded and validated against its topic's schema. */
export interface InboundMessage<T> {
  /** Canonical topic name (no prefix). */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  readonly key: string | null;
  readonly value: T;
  readonly rawValue: Buffer | null;
  readonly headers: Record<string, string>;
  /** The Kafka record timestamp (producer create time). */
  readonly timestamp: Date;
  /** Trace context of this message's processing span; events emitted for it continue this trace. */
  readonly trace: Context;
}

export interface DeferRequest {
  message: InboundMessage<unknown>;
  reason: string;
  maxWaitMs: number;
}

/**
 * What a handler may do inside its transaction: query/update through `manager`, emit events
 * (written to the outbox in the same transaction), park a message in the DLQ, or defer it.
 */
export class TxContext {
  readonly outgoing: OutgoingRecord[] = [];
  readonly deferrals: DeferRequest[] = [];
  readonly rejected = new Set<InboundMessage<unknown>>();

  constructor(
    readonly manager: EntityManager,
    private readonly namer: TopicNamer,
    private readonly groupId: string,
    /** The time this transaction decides at (injectable clock). */
    readonly now: Date,
  ) {}

  /**
   * Rows of any statement, RETURNING included. (TypeORM's `manager.query` answers an UPDATE or
   * DELETE with `[rows, count]` instead of the rows; the structured result is uniform.)
   */
  async query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]> {
    const runner = this.manager.queryRunner;
    if (!runner) return (await this.manager.query(sql, params)) as T[];
    const result = (await runner.query(sql, params, true)) as { records: T[] };
    return result.records;
  }

  /** Emits an event in this transaction; `cause` links it to the message it answers. */
  emit<K extends TopicKey>(topic: K, payload: PayloadOf<K>, cause?: InboundMessage<unknown>): void {
    const spec = Topics[topic] as TopicSpec;
    const { key, value } = encode(spec, payload);
    const headers: Record<string, string> = {};
    propagation.inject(cause?.trace ?? otelContext.active(), headers);
    this.outgoing.push({ topic: this.namer.physical(spec.name), key, value: Buffer.from(value), headers });
  }

  /** Parks the message in `<topic>.dlq` with the reason; its offset is still consumed. */
  reject(message: InboundMessage<unknown>, reason: string): void {
    this.rejected.add(message);
    this.outgoing.push(
      deadLetterRecord(this.namer, this.groupId, {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        key: message.key,
        value: message.rawValue,
        headers: message.headers,
        timestamp: message.timestamp,
        reason,
        now: this.now,
      }),
    );
  }

  /**
   * The message cannot be decided yet (e.g. it depends on an event from another topic that has not
   * arrived). It is kept in the database and handled again later; after maxWaitMs it goes to the DLQ.
   */
  retryLater(message: InboundMessage<unknown>, reason: string, maxWaitMs = 60_000): void {
    this.deferrals.push({ message, reason, maxWaitMs });
  }
}

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  timestamp: Date;
  reason: string;
  now: Date;
}

/** The original bytes, key and headers, plus where they came from and why they were parked. */
export function deadLetterRecord(namer: TopicNamer, groupId: string, s: DeadLetterSource): OutgoingRecord {
  return {
    topic: namer.physical(dlqName(s.topic)),
    key: s.key,
    value: s.value ?? Buffer.alloc(0),
    headers: {
      ...s.headers,
      [DLQ_HEADERS.reason]: s.reason.slice(0, 2000),
      [DLQ_HEADERS.sourceTopic]: s.topic,
      [DLQ_HEADERS.sourcePartition]: String(s.partition),
      [DLQ_HEADERS.sourceOffset]: s.offset,
      [DLQ_HEADERS.sourceTimestamp]: s.timestamp.toISOString(),
      [DLQ_HEADERS.consumerGroup]: groupId,
      [DLQ_HEADERS.failedAt]: s.now.toISOString(),
    },
  };
}
