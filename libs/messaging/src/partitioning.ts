import { Partitioners, PartitionMetadata } from 'kafkajs';

// The platform's one partitioner: kafkajs' default (Java-compatible murmur2), so keys land on the
// same partitions as with any other Kafka client, and outbox rows can be pre-assigned.
const partitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

function fakeMetadata(n: number): PartitionMetadata[] {
  let m = metadataCache.get(n);
  if (!m) {
    m = Array.from({ length: n }, (_, i) => ({
      partitionId: i,
      leader: 0,
      replicas: [0],
      isr: [0],
      offlineReplicas: [],
      partitionErrorCode: 0,
    }));
    metadataCache.set(n, m);
  }
  return m;
}

let roundRobin = 0;

/** Partition of a key among n partitions; keyless messages are spread round-robin. */
export function partitionFor(topic: string, key: string | Buffer | null, partitions: number): number {
  if (key === null) return roundRobin++ % partitions;
  return partitioner({ topic, partitionMetadata: fakeMetadata(partitions), message: { key, value: null } });
}
