import { Kafka } from 'kafkajs';
// Reading and replaying dead-letter topics: the DLQ CLI (tools/cli/dlq.ts) and the ops console.
import { DLQ_SUFFIX, headersToStrings, plannedTopics } from '@platform/contracts';
import type { SafePublisher } from './publisher';
import { DLQ_HEADERS, HeaderList, headerListFromJson, headerListOf, OutgoingRecord } from './records';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  /** The key's exact bytes (any bytes: dead letters keep what was sent). */
  rawKey: Buffer | null;
  value: Buffer;
  headers: Record<string, string>;
  /**
   * The original message's headers exactly (repeated keys, any bytes), without ours: from
   * `dlq-original-headers` when the original could not be copied as it was, else the copy.
   */
  originalHeaders: HeaderList;
  reason: string;
  source: { topic: string; partition: string; offset: string };
}

/** The dead-letter topics of the platform (under an optional prefix). */
export function deadLetterTopics(prefix = ''): string[] {
  return plannedTopics()
    .filter((t) => t.name.endsWith(DLQ_SUFFIX))
    .map((t) => prefix + t.name);
}

/** Message counts of each DLQ topic (from offsets: cheap, no reading). */
export async function countDeadLetters(kafka: Kafka, topics: string[]): Promise<Map<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const out = new Map<string, number>();
    for (const t of topics) {
      const offsets = await admin.fetchTopicOffsets(t);
      out.set(
        t,
        offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0),
      );
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

/** Reads a DLQ topic from the beginning up to its current end, without committing anything. */
export async function readDeadLetters(kafka: Kafka, topic: string, limit = Number.MAX_SAFE_INTEGER): Promise<DeadLetter[]> {
  const admin = kafka.admin();
  await admin.connect();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]));
  await admin.disconnect();
  const pending = new Set([...ends].filter(([, e]) => e.high > e.low).map(([p]) => p));
  const out: DeadLetter[] = [];
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `dlq-reader-${Date.now()}-${Math.random().toString(36).slice(2)}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          const end = ends.get(partition);
          if (!end || !pending.has(partition)) return;
          if (out.length < limit) {
            const headers = headersToStrings(message.headers as Record<string, unknown>);
            out.push({
              topic,
              partition,
              offset: message.offset,
              key: message.key?.toString('utf8') ?? null,
              rawKey: message.key,
              value: message.value ?? Buffer.alloc(0),
              headers,
              originalHeaders: originalHeadersOf(headerListOf(message.headers), headers),
              reason: headers[DLQ_HEADERS.reason] ?? '(no reason header)',
              source: {
                topic: headers[DLQ_HEADERS.sourceTopic] ?? topic.replace(/\.dlq$/, ''),
                partition: headers[DLQ_HEADERS.sourcePartition] ?? '?',
                offset: headers[DLQ_HEADERS.sourceOffset] ?? '?',
              },
            });
          }
          if (BigInt(message.offset) + 1n >= end.high) pending.delete(partition);
          if (pending.size === 0 || out.length >= limit) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out.sort((a, b) => a.partition - b.partition || Number(BigInt(a.offset) - BigInt(b.offset)));
}

function originalHeadersOf(list: HeaderList, strings: Record<string, string>): HeaderList {
  const packed = strings[DLQ_HEADERS.originalHeaders];
  if (packed) {
    try {
      return headerListFromJson(JSON.parse(Buffer.from(packed, 'base64').toString('utf8')));
    } catch {
      // fall back to the copy
    }
  }
  return list.filter(([k]) => !k.startsWith('dlq-'));
}

/**
 * Sends dead letters back to their source topic: the original key and headers byte for byte
 * (minus ours; a null header value, which kafkajs cannot send, is left out), the original value or
 * a corrected one, and a header saying where it was replayed from.
 */
export async function replayDeadLetters(
  publisher: SafePublisher,
  letters: DeadLetter[],
  prefix = '',
  valueOverride?: Buffer,
  /** Who asked (the ops console's logged-in person): travels with the record as `dlq-replayed-by`. */
  replayedBy?: string,
): Promise<number> {
  const records: OutgoingRecord[] = letters.map((l) => ({
    topic: prefix + l.source.topic,
    key: l.rawKey,
    value: valueOverride ?? l.value,
    headers: {
      'dlq-replayed-from': `${l.topic}:${l.partition}:${l.offset}`,
      ...(replayedBy !== undefined ? { 'dlq-replayed-by': replayedBy } : {}),
    },
    headerList: l.originalHeaders.filter(([k, v]) => v !== null && !k.startsWith('dlq-')),
  }));
  await publisher.publish(records);
  return records.length;
}
