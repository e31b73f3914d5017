// What a consumer does when a heartbeat or an offset commit fails. kafkajs rejoins the group (and
// looks the coordinator up again) only when eachBatch throws a rebalancing error; an error the
// batch swallows leaves the member talking to a coordinator that moved or died. Its own retries of
// an offset commit go to the same stale coordinator for ~40 s, which the zone-outage drill showed as
// every partition of the claim topic stalled for 33-85 s after a zone with the coordinator died.
import { KafkaJSError } from 'kafkajs';

/** How long the coordinator may be unreachable before the member rejoins to find the new one. */
export const COORDINATOR_UNREACHABLE_REJOIN_MS = 3000;

/** Protocol errors after which only a rejoin helps (kafkajs's own list, plus an unknown member). */
const REJOIN_TYPES = new Set(['REBALANCE_IN_PROGRESS', 'NOT_COORDINATOR_FOR_GROUP', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID']);
/** The coordinator cannot be reached (its broker is dead, fenced or still loading the group). */
const UNREACHABLE_NAMES = new Set(['KafkaJSConnectionError', 'KafkaJSBrokerNotFound', 'KafkaJSRequestTimeoutError']);
const UNREACHABLE_TYPES = new Set(['COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS', 'REQUEST_TIMED_OUT']);

export type GroupErrorKind = 'rejoin' | 'coordinator-unreachable' | 'other';

interface ErrorShape {
  name?: unknown;
  type?: unknown;
  originalError?: unknown;
  cause?: unknown;
}

/** Classifies a heartbeat or commit failure, looking through kafkajs's retry wrappers. */
export function classifyGroupError(e: unknown): GroupErrorKind {
  for (let x: unknown = e, depth = 0; x && typeof x === 'object' && depth < 5; depth++) {
    const { name, type, originalError, cause } = x as ErrorShape;
    if (typeof type === 'string' && REJOIN_TYPES.has(type)) return 'rejoin';
    if ((typeof name === 'string' && UNREACHABLE_NAMES.has(name)) || (typeof type === 'string' && UNREACHABLE_TYPES.has(type)))
      return 'coordinator-unreachable';
    x = originalError ?? cause;
  }
  return 'other';
}

/** An error kafkajs answers by rejoining the group (its runner tests `type`). */
export function rejoinError(message: string): Error {
  return Object.assign(new KafkaJSError(message), { type: 'NOT_COORDINATOR_FOR_GROUP' });
}

/**
 * Decides per failure: rethrow what needs a rejoin; tolerate an unreachable coordinator for a
 * short while (a blip), then ask for a rejoin; anything else is harmless (the next chunk's commit
 * covers this one, redelivery is deduped).
 */
export class GroupMembershipWatch {
  private unreachableSince: number | null = null;

  constructor(private readonly rejoinAfterMs = COORDINATOR_UNREACHABLE_REJOIN_MS) {}

  succeeded(): void {
    this.unreachableSince = null;
  }

  /** The error to throw out of eachBatch, or null to go on. */
  failed(e: unknown, now: number): Error | null {
    const kind = classifyGroupError(e);
    if (kind === 'rejoin') {
      this.unreachableSince = null;
      // kafkajs tests the thrown error's own `type`; a retry wrapper around it would be a crash
      const direct = e instanceof Error && REJOIN_TYPES.has(String((e as ErrorShape).type));
      return direct ? e : rejoinError(`rejoining the group: ${String(e)}`);
    }
    if (kind === 'other') return null;
    this.unreachableSince ??= now;
    if (now - this.unreachableSince < this.rejoinAfterMs) return null;
    const seconds = Math.round((now - this.unreachableSince) / 100) / 10;
    this.unreachableSince = null;
    return rejoinError(`group coordinator unreachable for ${seconds} s, rejoining: ${String(e)}`);
  }
}
