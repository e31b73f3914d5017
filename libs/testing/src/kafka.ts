import { Kafka, logLevel } from 'kafkajs';
import { headersToStrings, plannedTopics, trustTopicConfig } from '@platform/contracts';
import { testInfra, uniqueSuffix } from './env';

export function testKafka(brokers = testInfra().brokers): Kafka {
  return new Kafka({ clientId: `test-${uniqueSuffix()}`, brokers, logLevel: logLevel.NOTHING, retry: { retries: 10 } });
}

/**
 * Creates the platform's topics under a unique prefix, so suites running at the same time on one
 * broker never see each other's messages.
 */
export async function createTestTopics(label: string, brokers = testInfra().brokers, replicationFactor = 1): Promise<string> {
  const prefix = `t-${label}-${uniqueSuffix()}.`;
  const topics = plannedTopics().map((t) => ({
    topic: prefix + t.name,
    numPartitions: t.partitions,
    replicationFactor,
    // the same broker-side timestamps as infra's topics (inbound: LogAppendTime)
    configEntries: Object.entries(trustTopicConfig(t.name)).map(([name, value]) => ({ name, value })),
  }));
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    // createTopics also waits for the metadata to propagate and can give up on a busy broker
    // although the topics were created: create what is missing until nothing is.
    for (let attempt = 0; ; attempt++) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) break;
      try {
        await admin.createTopics({ topics: missing });
      } catch (e) {
        if (attempt >= 10) throw e;
        await new Promise((r) => setTimeout(r, 500));
      }
    }
    // kafkajs' waitForLeaders gives up on "does not host this topic-partition" while a busy
    // broker is still loading the partitions: poll the metadata until every partition has a leader.
    const deadline = Date.now() + 60_000;
    for (;;) {
      try {
        const md = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
        if (md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))) break;
      } catch {
        // not all topics visible yet
      }
      if (Date.now() > deadline) throw new Error(`test topics ${prefix}* got no leaders within 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
  return prefix;
}

export async function deleteTestTopics(prefix: string, brokers = testInfra().brokers): Promise<void> {
  const admin = testKafka(brokers).admin();
  await admin.connect();
  try {
    await admin.deleteTopics({ topics: plannedTopics().map((t) => prefix + t.name), timeout: 10000 }).catch(() => undefined);
  } finally {
    await admin.disconnect();
  }
}

export interface CollectedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: string;
  headers: Record<string, string>;
  json<T = Record<string, unknown>>(): T;
}

/** Reads topics from the beginning into memory, for assertions. */
export class TopicCollector {
  readonly messages: CollectedMessage[] = [];
  private readonly consumer;

  constructor(
    private readonly topics: string[],
    brokers = testInfra().brokers,
  ) {
    this.consumer = testKafka(brokers).consumer({ groupId: `collector-${uniqueSuffix()}`, maxWaitTimeInMs: 50 });
  }

  async start(): Promise<this> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: this.topics, fromBeginning: true });
    await this.consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const value = message.value?.toString('utf8') ?? '';
        this.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key?.toString('utf8') ?? null,
          value,
          headers: headersToStrings(message.headers as Record<string, unknown>),
          json: <T>() => JSON.parse(value) as T,
        });
      },
    });
    return this;
  }

  on(topic: string): CollectedMessage[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}

/**
 * Reads the first `n` messages of a topic and returns the span of their create-times in seconds,
 * plus how many values contain `marker`: throughput measured by Kafka's own timestamps.
 */
export async function topicTimeSpan(topic: string, n: number, marker?: string): Promise<{ seconds: number; marked: number }> {
  const consumer = testKafka().consumer({ groupId: `span-${uniqueSuffix()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let min = Number.MAX_SAFE_INTEGER;
  let max = 0;
  let seen = 0;
  let marked = 0;
  await new Promise<void>((resolve) => {
    void consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const t = Number(m.timestamp);
          min = Math.min(min, t);
          max = Math.max(max, t);
          seen++;
          if (marker && m.value?.includes(marker)) marked++;
        }
        if (seen >= n) resolve();
      },
    });
  });
  await consumer.disconnect();
  return { seconds: Math.max(0.001, (max - min) / 1000), marked };
}
