import { Kafka } from 'kafkajs';
import { DLQ_SUFFIX, dlqName, headersToStrings, plannedTopics } from '@platform/contracts';
import { DLQ_HEADERS, OutgoingRecord, SafePublisher } from '@platform/messaging';

export interface DeadLetter {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
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
      out.set(t, offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0));
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
              value: message.value ?? Buffer.alloc(0),
              headers,
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

/**
 * Sends dead letters back to their source topic: original key and headers (minus the dlq-* ones),
 * the original value or a corrected one, and a header saying where it was replayed from.
 */
export async function replayDeadLetters(publisher: SafePublisher, letters: DeadLetter[], prefix = '', valueOverride?: Buffer): Promise<number> {
  const records: OutgoingRecord[] = letters.map((l) => {
    const headers = Object.fromEntries(Object.entries(l.headers).filter(([k]) => !k.startsWith('dlq-')));
    headers['dlq-replayed-from'] = `${l.topic}:${l.partition}:${l.offset}`;
    return { topic: prefix + l.source.topic, key: l.key, value: valueOverride ?? l.value, headers };
  });
  await publisher.publish(records);
  return records.length;
}

export { dlqName };
