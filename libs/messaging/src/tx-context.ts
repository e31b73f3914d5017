import { Context, context as otelContext, propagation } from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import { EntityManager } from 'typeorm';
import {
  DlqReason,
  dlqName,
  dlqReason,
  encode,
  formatReason,
  PayloadOf,
  TopicKey,
  Topics,
  TopicSpec,
  WaitReason,
} from '@platform/contracts';
import { DLQ_HEADERS, HeaderList, headerListToJson, OutgoingRecord } from './records';
import { TopicNamer } from './topic-namer';
import type { EmittedEvent } from './business-metrics';

/** A consumed message, decoded and validated against its topic's schema. */
export interface InboundMessage<T> {
  /** Canonical topic name (no prefix). */
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
  /** The key read as UTF-8 (ids are text); `rawKey` has the exact bytes. */
  readonly key: string | null;
  readonly rawKey: Buffer | null;
  readonly value: T;
  readonly rawValue: Buffer | null;
  /** Headers read as UTF-8, last value wins; `headerList` has them exactly. */
  readonly headers: Record<string, string>;
  readonly headerList: HeaderList;
  /** The Kafka record timestamp (create time, or the broker's append time on LogAppendTime topics). */
  readonly timestamp: Date;
  /** The timestamp as Kafka gave it (epoch milliseconds), kept for dead letters. */
  readonly rawTimestamp: string;
  /** When it was first deferred (ctx.retryLater), for a message handed to the handler again. */
  readonly deferredSince?: Date;
  /** Trace context of this message's processing span; events emitted for it continue this trace. */
  readonly trace: Context;
}

/**
 * The request a message carries, as the contract reads it (added fields stripped): a retry of the
 * same event hashes the same, another body under the same eventId does not (EVENT_ID_REUSED).
 */
export function requestHash(m: InboundMessage<unknown>): string {
  return createHash('sha256').update(JSON.stringify(m.value)).digest('hex');
}

/** The DLQ reason for an eventId used again for another request (contract 2026-12). */
export function eventIdReusedReason(eventId: string, what: string): DlqReason {
  return dlqReason('EVENT_ID_REUSED', `eventId ${eventId} was already used for a different ${what}`);
}

export interface DeferRequest {
  message: InboundMessage<unknown>;
  reason: WaitReason;
  maxWaitMs: number;
}

/**
 * What a handler may do inside its transaction: query/update through `manager`, emit events
 * (written to the outbox in the same transaction), park a message in the DLQ, or defer it.
 */
export class TxContext {
  readonly outgoing: OutgoingRecord[] = [];
  /** The events emitted, as given (business metrics count them once the transaction committed). */
  readonly emitted: EmittedEvent[] = [];
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

  /**
   * Emits an event in this transaction; `cause` (the message it answers, or a trace context of
   * `causedBy`) is the trace it continues, else the active span's.
   */
  emit<K extends TopicKey>(topic: K, payload: PayloadOf<K>, cause?: Pick<InboundMessage<unknown>, 'trace'>): void {
    const spec = Topics[topic] as TopicSpec;
    const { key, value } = encode(spec, payload);
    const headers: Record<string, string> = {};
    propagation.inject(cause?.trace ?? otelContext.active(), headers);
    this.emitted.push({ topic, payload });
    this.outgoing.push({ topic: this.namer.physical(spec.name), key, value: Buffer.from(value), headers });
  }

  /**
   * Publishes again an event emitted before (the same payload, e.g. a stored decision re-driven):
   * written to the outbox like `emit`, but not counted as a new business event by the metrics.
   */
  republish<K extends TopicKey>(topic: K, payload: PayloadOf<K>, cause?: Pick<InboundMessage<unknown>, 'trace'>): void {
    this.emit(topic, payload, cause);
    this.emitted.pop();
  }

  /** Parks the message in `<topic>.dlq` with the reason (`dlqReason(code, detail)`); its offset is still consumed. */
  reject(message: InboundMessage<unknown>, reason: DlqReason): void {
    this.rejected.add(message);
    this.outgoing.push(
      deadLetterRecord(this.namer, this.groupId, {
        topic: message.topic,
        partition: message.partition,
        offset: message.offset,
        key: message.rawKey,
        value: message.rawValue,
        headerList: message.headerList,
        timestamp: message.rawTimestamp,
        reason,
        now: this.now,
      }),
    );
  }

  /**
   * The message cannot be decided yet (e.g. it depends on an event from another topic that has not
   * arrived). It is kept in the database and handled again later; after maxWaitMs it goes to the DLQ
   * as `DEFERRED_TIMEOUT` with this reason in the detail.
   */
  retryLater(message: InboundMessage<unknown>, reason: WaitReason, maxWaitMs = 60_000): void {
    this.deferrals.push({ message, reason, maxWaitMs });
  }
}

export interface DeadLetterSource {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headerList: HeaderList;
  /** Epoch milliseconds as Kafka gave them. */
  timestamp: string;
  reason: DlqReason;
  now: Date;
}

/** Reasons are headers: one line, bounded, no control characters from hostile input. */
function cleanReason(reason: DlqReason): string {
  const text = formatReason(reason);
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 2000);
}

function isoOrRaw(ms: string): string {
  const d = new Date(Number(ms));
  return Number.isNaN(d.getTime()) ? ms : d.toISOString();
}

/**
 * The original key, value and headers byte for byte (a null value stays null), plus where they
 * came from and why they were parked. Original headers named like ours are dropped from the copy
 * so a hostile producer cannot forge the reason; they stay in `dlq-original-headers`.
 */
export function deadLetterRecord(namer: TopicNamer, groupId: string, s: DeadLetterSource): OutgoingRecord {
  const ours = new Set<string>(Object.values(DLQ_HEADERS));
  const kept = s.headerList.filter(([k, v]) => v !== null && !ours.has(k));
  const headers: Record<string, string> = {
    [DLQ_HEADERS.reason]: cleanReason(s.reason),
    [DLQ_HEADERS.sourceTopic]: s.topic,
    [DLQ_HEADERS.sourcePartition]: String(s.partition),
    [DLQ_HEADERS.sourceOffset]: s.offset,
    [DLQ_HEADERS.sourceTimestamp]: isoOrRaw(s.timestamp),
    [DLQ_HEADERS.consumerGroup]: groupId,
    [DLQ_HEADERS.failedAt]: s.now.toISOString(),
  };
  if (kept.length !== s.headerList.length) {
    headers[DLQ_HEADERS.originalHeaders] = Buffer.from(JSON.stringify(headerListToJson(s.headerList))).toString('base64');
  }
  return { topic: namer.physical(dlqName(s.topic)), key: s.key, value: s.value, headers, headerList: kept };
}
