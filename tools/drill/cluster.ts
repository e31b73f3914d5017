import { bootstrapServers, killBroker, kafkaStatus, partitionLeaders, startBroker, startKafka } from '../infra';

/** The 3-broker cluster for drills and the broker-loss test: started if needed. */
export async function ensureCluster(): Promise<{ brokers: string[]; startedHere: boolean }> {
  const running = kafkaStatus(3).filter((n) => n.running).length;
  const r = await startKafka({ brokers: 3, timeoutMs: 240_000 });
  return { brokers: r.brokers.length ? r.brokers : bootstrapServers(3), startedHere: running < 3 };
}

/** The broker leading the most partitions of a topic (ties: lowest id). */
export async function busiestLeader(topic: string, brokers: string[]): Promise<number> {
  const leaders = await partitionLeaders(topic, brokers);
  const counts = new Map<number, number>();
  for (const p of leaders) if (p.leader >= 0) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 1;
}

export { killBroker, startBroker, partitionLeaders };
