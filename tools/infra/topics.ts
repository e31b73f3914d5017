// Topics are created explicitly from the contract (brokers never auto-create). Tests create their
// own prefixed copies for isolation, so this is idempotent and safe to call concurrently.
import { plannedTopics, trustTopicConfig, type PartitionPlan } from '@platform/contracts';
import type { ITopicConfig } from 'kafkajs';
import { withAdmin } from './kafka';
import { waitFor } from './processes';

const DLQ_RETENTION_MS = 30 * 24 * 60 * 60 * 1000; // parked messages wait for a human: keep a month

export interface TopicPlan {
  name: string;
  partitions: number;
}

export interface EnsureTopicsOptions {
  brokers: string[];
  /** Prepended verbatim to every topic name; default: env KAFKA_TOPIC_PREFIX, else none. */
  prefix?: string;
  /** 1 for the single broker, 3 for the cluster. */
  replicationFactor: number;
  /** Default: plannedTopics(partitions) from @platform/contracts (dead-letter topics included). */
  topics?: TopicPlan[];
  /** The deployment's partition counts (default: the contract's local defaults). */
  partitions?: PartitionPlan;
  /**
   * Add partitions to existing topics that have fewer than planned (Kafka can only grow them).
   * Keys then hash to other partitions: see docs/capacity.md for which order guarantees hold.
   */
  growPartitions?: boolean;
  timeoutMs?: number;
}

export interface EnsureTopicsResult {
  created: string[];
  existing: string[];
  /** Topics whose partition count was raised, with the count before. */
  grown: { name: string; from: number; to: number }[];
}

export function topicPrefix(prefix?: string): string {
  return prefix ?? process.env.KAFKA_TOPIC_PREFIX ?? '';
}

function configFor(canonicalName: string): ITopicConfig['configEntries'] {
  const entries = Object.entries(trustTopicConfig(canonicalName)).map(([name, value]) => ({ name, value }));
  if (canonicalName.endsWith('.dlq')) entries.push({ name: 'retention.ms', value: String(DLQ_RETENTION_MS) });
  return entries;
}

/** Creates the missing topics (with prefix) and waits until every partition of every topic has a leader. */
export async function ensureTopics(opts: EnsureTopicsOptions): Promise<EnsureTopicsResult> {
  const prefix = topicPrefix(opts.prefix);
  const wanted = (opts.topics ?? plannedTopics(opts.partitions)).map((t) => ({
    name: `${prefix}${t.name}`,
    canonical: t.name,
    partitions: t.partitions,
  }));
  const names = wanted.map((t) => t.name);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  return withAdmin(
    opts.brokers,
    async (admin) => {
      const before = new Set(await admin.listTopics());
      const missing = wanted.filter((t) => !before.has(t.name));
      if (missing.length > 0) {
        // Resolves false when a concurrent caller created some of them first: fine either way.
        await admin.createTopics({
          waitForLeaders: false,
          timeout: timeoutMs,
          topics: missing.map((t) => ({
            topic: t.name,
            numPartitions: t.partitions,
            replicationFactor: opts.replicationFactor,
            configEntries: configFor(t.canonical),
          })),
        });
      }
      await waitFor(
        `leaders for ${names.length} topics${prefix ? ` (prefix ${prefix})` : ''}`,
        async () => {
          const md = await admin.fetchTopicMetadata({ topics: names });
          return (
            md.topics.length === names.length && md.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0))
          );
        },
        { timeoutMs, intervalMs: 250 },
      );
      const md = await admin.fetchTopicMetadata({ topics: names });
      const short = wanted
        .map((t) => ({ name: t.name, from: md.topics.find((x) => x.name === t.name)?.partitions.length ?? 0, to: t.partitions }))
        .filter((t) => t.from < t.to);
      if (short.length > 0 && opts.growPartitions) {
        await admin.createPartitions({ timeout: timeoutMs, topicPartitions: short.map((t) => ({ topic: t.name, count: t.to })) });
        await waitFor(
          `leaders for the added partitions of ${short.length} topics`,
          async () => {
            const after = await admin.fetchTopicMetadata({ topics: short.map((t) => t.name) });
            return short.every((t) => {
              const parts = after.topics.find((x) => x.name === t.name)?.partitions ?? [];
              return parts.length >= t.to && parts.every((p) => p.leader >= 0);
            });
          },
          { timeoutMs, intervalMs: 250 },
        );
      } else {
        for (const t of short)
          console.warn(`[infra] topic ${t.name} has ${t.from} partitions, the plan wants ${t.to} (--grow-partitions adds them)`);
      }
      return {
        created: missing.map((t) => t.name).filter((n) => !before.has(n)),
        existing: names.filter((n) => before.has(n)),
        grown: opts.growPartitions ? short : [],
      };
    },
    { retries: 5 },
  );
}

/** Deletes every topic starting with `prefix` (test clean-up). Refuses an empty prefix. */
export async function deleteTopicsWithPrefix(opts: { brokers: string[]; prefix: string }): Promise<string[]> {
  if (!opts.prefix) throw new Error('deleteTopicsWithPrefix needs a non-empty prefix');
  return withAdmin(
    opts.brokers,
    async (admin) => {
      const doomed = (await admin.listTopics()).filter((t) => t.startsWith(opts.prefix));
      if (doomed.length > 0) await admin.deleteTopics({ topics: doomed, timeout: 30_000 });
      return doomed;
    },
    { retries: 5 },
  );
}
