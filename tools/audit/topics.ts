// Kafka reads for the audit: DLQ depths (offsets only) and, with --topics, one pass over the
// claim-requested topic. Quiet kafkajs client (no logs on stdout, so --json stays one object).
import type { Kafka } from 'kafkajs';
import { decode, dlqName, plannedTopics, Topics } from '@platform/contracts';
import { toolKafka } from '@platform/tools-infra';

/** The audit's client: the ops principal (an identity in the environment wins, see toolKafka). */
export function auditKafka(brokers: string[]): Kafka {
  return toolKafka({ clientId: 'audit', brokers, principal: 'ops', retries: 3 });
}

/** Messages currently in each DLQ topic (high - low watermark, summed over partitions). */
export async function dlqDepths(kafka: Kafka, prefix: string): Promise<Record<string, number>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const out: Record<string, number> = {};
    for (const t of plannedTopics().filter((x) => x.name.endsWith('.dlq'))) {
      const name = prefix + t.name;
      if (!existing.has(name)) continue;
      const offsets = await admin.fetchTopicOffsets(name);
      out[t.name] = offsets.reduce((s, p) => s + (Number(p.high) - Number(p.low)), 0);
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}

export interface ClaimTopicScan {
  messages: number;
  /** Distinct event ids of messages that pass the contract (for the campaign, when one is given). */
  eventIds: Set<string>;
  /** Messages the contract refuses: each must be in the DLQ. */
  undecodable: number;
  /** Messages in the claims DLQ topic. */
  dlq: number;
}

/**
 * Reads compensation.claim.requested.v1 from the beginning to the end offsets taken at the start.
 * Memory: the distinct event ids (~100 bytes each), so tens of millions need a few GB: optional.
 */
export async function scanClaimTopic(
  kafka: Kafka,
  prefix: string,
  campaignId: string | null,
  timeoutMs = 600_000,
): Promise<ClaimTopicScan> {
  const topic = prefix + Topics.claimRequested.name;
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let dlq = 0;
  try {
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    const d = await admin.fetchTopicOffsets(prefix + dlqName(Topics.claimRequested.name)).catch(() => []);
    dlq = d.reduce((s, p) => s + (Number(p.high) - Number(p.low)), 0);
    const lows = await admin.fetchTopicOffsets(topic);
    for (const p of lows) if (BigInt(p.low) >= BigInt(p.high)) ends.delete(p.partition);
  } finally {
    await admin.disconnect();
  }
  const scan: ClaimTopicScan = { messages: 0, eventIds: new Set(), undecodable: 0, dlq };
  if (ends.size === 0) return scan;
  const consumer = kafka.consumer({
    groupId: `audit-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`topic scan did not finish in ${timeoutMs} ms`)), timeoutMs);
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const end = ends.get(batch.partition);
            for (const m of batch.messages) {
              if (end === undefined || BigInt(m.offset) >= end) break;
              scan.messages++;
              const d = decode(Topics.claimRequested, m.value);
              if (!d.ok) scan.undecodable++;
              else if (campaignId === null || d.value.campaignId === campaignId) scan.eventIds.add(d.value.eventId);
              if (BigInt(m.offset) === end - 1n) ends.delete(batch.partition);
            }
            if (ends.size === 0) {
              clearTimeout(timer);
              resolve();
            }
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return scan;
}
