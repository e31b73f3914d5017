import type { Admin } from 'kafkajs';

export type TopicOffsets = Awaited<ReturnType<Admin['fetchTopicOffsets']>>;

const LEADER_IN_MOTION = new Set(['NOT_LEADER_FOR_PARTITION', 'LEADER_NOT_AVAILABLE']);

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms).unref());

/**
 * `admin.fetchTopicOffsets` that waits out a partition without a settled leader. kafkajs bails on
 * NOT_LEADER_FOR_PARTITION and LEADER_NOT_AVAILABLE, which a topic just created (its leader not yet
 * loaded by the broker) or a leader just moved answers for a moment; both are retriable in Kafka's
 * protocol, so this tries again until `timeoutMs`. Any other error (an unknown topic included, which
 * kafkajs already retries), or a leader still missing at the deadline, is thrown as it came.
 */
export async function settledTopicOffsets(admin: Admin, topic: string, timeoutMs = 15_000): Promise<TopicOffsets> {
  const deadline = Date.now() + timeoutMs;
  for (let pause = 100; ; pause = Math.min(pause * 2, 1_000)) {
    try {
      return await admin.fetchTopicOffsets(topic);
    } catch (err) {
      const type = (err as { type?: unknown }).type;
      if (typeof type !== 'string' || !LEADER_IN_MOTION.has(type) || Date.now() + pause > deadline) throw err;
      await sleep(pause);
    }
  }
}
