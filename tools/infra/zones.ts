// The local stand-in for three failure zones (availability zones, or data centres): broker N of the
// 3-broker mode lives in zone N (broker.rack), and the zone drill runs one replica of every service
// per zone. Kubernetes uses topology.kubernetes.io/zone for the same thing (deploy/k8s).
export const ZONES = ['zone-a', 'zone-b', 'zone-c'] as const;
export type Zone = (typeof ZONES)[number];

/** The zone of cluster node `id` (1..3). */
export function brokerZone(id: number): Zone {
  const z = ZONES[id - 1];
  if (!z) throw new Error(`cluster nodes are 1..3 (got ${id})`);
  return z;
}

/** The cluster node in a zone. */
export function zoneBroker(zone: Zone): number {
  return ZONES.indexOf(zone) + 1;
}

/** `b`, `zone-b` or `B` -> `zone-b`; anything else is an error that names the zones. */
export function parseZone(text: string): Zone {
  const t = text.trim().toLowerCase();
  const z = (t.startsWith('zone-') ? t : `zone-${t}`) as Zone;
  if (!ZONES.includes(z)) throw new Error(`unknown zone ${JSON.stringify(text)}: one of ${ZONES.join(', ')} (or a, b, c)`);
  return z;
}
