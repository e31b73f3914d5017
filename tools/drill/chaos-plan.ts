// The chaos drill's fault schedule: which faults hit what and when, drawn from a seed so a run can
// be repeated exactly. Pure: no I/O, no clock.
import { derive } from '@platform/tools-loadgen';

export const FAULT_KINDS = ['service-kill', 'service-freeze', 'postgres-restart', 'broker-kill', 'channel-outage'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface PlannedFault {
  kind: FaultKind;
  /** A service name for service faults, a broker id for broker-kill, empty otherwise. */
  target: string;
  /** Seconds after the load started. */
  atSeconds: number;
  /** How long it lasts (freeze, outage, a dead broker; a killed service is restarted after it). */
  durationSeconds: number;
}

export interface FaultPlanOptions {
  seed: number;
  faults: number;
  /** Seconds the load runs; faults fall inside, the last one ends before the load does. */
  loadSeconds: number;
  services: readonly string[];
  brokers: readonly number[];
  /** Kinds allowed (e.g. no postgres-restart on an embedded Postgres). */
  kinds?: readonly FaultKind[];
}

const DURATION: Record<FaultKind, [number, number]> = {
  'service-kill': [3, 10], // the supervisor's restart delay
  'service-freeze': [40, 40], // SIGSTOP for 40 s, past the consumer session timeout
  'postgres-restart': [2, 6],
  'broker-kill': [10, 20],
  'channel-outage': [15, 30],
};

/**
 * N faults spread over the load: one per slot of equal width, at a random moment of its slot, so
 * faults overlap rarely and every part of the run sees one. Kinds rotate through a shuffled list
 * so every allowed kind occurs once N is at least the number of kinds.
 */
export function planFaults(o: FaultPlanOptions): PlannedFault[] {
  const kinds = [...(o.kinds ?? FAULT_KINDS)];
  if (kinds.length === 0 || o.faults <= 0) return [];
  const p = derive(o.seed, 'chaos');
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = p.int(i + 1);
    [kinds[i], kinds[j]] = [kinds[j] as FaultKind, kinds[i] as FaultKind];
  }
  const slot = o.loadSeconds / o.faults;
  const out: PlannedFault[] = [];
  for (let i = 0; i < o.faults; i++) {
    const kind = kinds[i % kinds.length] as FaultKind;
    const [lo, hi] = DURATION[kind];
    const durationSeconds = lo + Math.floor(p.next() * (hi - lo + 1));
    const latest = Math.max(0, slot - Math.min(durationSeconds, slot * 0.8));
    const atSeconds = Math.round((i * slot + 2 + p.next() * Math.max(0, latest - 2)) * 10) / 10;
    const target =
      kind === 'service-kill' || kind === 'service-freeze' ? p.pick(o.services) : kind === 'broker-kill' ? String(p.pick(o.brokers)) : '';
    out.push({ kind, target, atSeconds, durationSeconds });
  }
  return out;
}
