import { plannedTopics, Topics } from '@platform/contracts';
import { testInfra, testKafka, uniqueSuffix } from '@platform/testing';
import { deleteTopicsWithPrefix, ensureTopics } from './topics';

// Partition counts are deployment configuration: the tooling creates topics with a plan and raises
// the count on an existing cluster (Kafka can only add partitions).
describe('topic tooling: partition plan', () => {
  const brokers = testInfra().brokers;
  const prefix = `t-partitions-${uniqueSuffix()}.`;
  const topics: string[] = [Topics.claimRequested, Topics.campaignDefined].map((t) => t.name);
  const partitionsOf = async (): Promise<Record<string, number>> => {
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      const md = await admin.fetchTopicMetadata({ topics: topics.map((n) => prefix + n) });
      return Object.fromEntries(md.topics.map((t) => [t.name.slice(prefix.length), t.partitions.length]));
    } finally {
      await admin.disconnect();
    }
  };
  const only = (keyed: number) => plannedTopics({ keyed }).filter((t) => topics.includes(t.name));

  afterAll(async () => {
    await deleteTopicsWithPrefix({ brokers, prefix });
  });

  it('creates keyed topics with the planned count and grows them only when asked', async () => {
    await ensureTopics({ brokers, prefix, replicationFactor: 1, topics: only(2) });
    expect(await partitionsOf()).toEqual({ [Topics.claimRequested.name]: 2, [Topics.campaignDefined.name]: 1 });

    const unchanged = await ensureTopics({ brokers, prefix, replicationFactor: 1, topics: only(4) });
    expect(unchanged.grown).toEqual([]);
    expect((await partitionsOf())[Topics.claimRequested.name]).toBe(2);

    const grown = await ensureTopics({ brokers, prefix, replicationFactor: 1, topics: only(4), growPartitions: true });
    expect(grown.grown).toEqual([{ name: prefix + Topics.claimRequested.name, from: 2, to: 4 }]);
    // The single-partition campaign topic stays single under any plan.
    expect(await partitionsOf()).toEqual({ [Topics.claimRequested.name]: 4, [Topics.campaignDefined.name]: 1 });
  }, 120_000);
});
