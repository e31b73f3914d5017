import type { KafkaSecurityEnv } from '@platform/config';
import type { KafkaPrincipal } from '@platform/contracts';
import {
  applyAcls,
  removeAcls,
  bootstrapServers,
  killBroker,
  kafkaStatus,
  partitionLeaders,
  principalEnv,
  securedClusterCredentials,
  startBroker,
  startKafka,
  stopKafka,
  waitUntilAclsEffective,
  withAdmin,
} from '@platform/tools-infra';

export interface DrillCluster {
  brokers: string[];
  startedHere: boolean;
  /** Client settings of a principal (the cluster is SASL/SCRAM with deny-by-default ACLs). */
  security(principal: KafkaPrincipal): Partial<KafkaSecurityEnv>;
}

/** The (secured) 3-broker cluster for drills and the broker-loss test: started if needed. */
export async function ensureCluster(): Promise<DrillCluster> {
  const running = kafkaStatus(3).filter((n) => n.running).length;
  const r = await startKafka({ brokers: 3, timeoutMs: 240_000 }).catch(async (e: unknown) => {
    // a cluster that did not come up in time is not left half-started behind the drill
    if (running === 0) await stopKafka({ brokers: 3 }).catch(() => undefined);
    throw e;
  });
  const creds = securedClusterCredentials();
  return {
    brokers: r.brokers.length ? r.brokers : bootstrapServers(3),
    startedHere: running < 3,
    security: (p) => principalEnv(creds, p) as Partial<KafkaSecurityEnv>,
  };
}

/** The ACLs of a drill's own topic prefix and consumer groups (generated from the ownership table). */
export async function grantDrillPrefix(brokers: string[], prefix: string): Promise<number> {
  const n = await withAdmin(brokers, (a) => applyAcls(a, prefix), { retries: 5 });
  await waitUntilAclsEffective(brokers, securedClusterCredentials(), prefix);
  return n;
}

/** Removes the rules of a drill's prefix once it is done. */
export async function revokeDrillPrefix(brokers: string[], prefix: string): Promise<void> {
  await withAdmin(brokers, (a) => removeAcls(a, prefix), { retries: 3 });
}

/** The broker leading the most partitions of a topic (ties: lowest id). */
export async function busiestLeader(topic: string, brokers: string[]): Promise<number> {
  const leaders = await partitionLeaders(topic, brokers);
  const counts = new Map<number, number>();
  for (const p of leaders) if (p.leader >= 0) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]?.[0] ?? 1;
}

export { killBroker, startBroker, partitionLeaders };
