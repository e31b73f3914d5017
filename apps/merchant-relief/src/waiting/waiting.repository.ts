import { Injectable } from '@nestjs/common';
import { TxContext } from '@platform/messaging';

export type WaitKind = 'REPORT' | 'REVIEW';

/** Extra time the library keeps a deferred message beyond our own bound, so we always decide it. */
const GRACE_MS = 5_000;

/**
 * Events that cannot be decided yet are deferred (ctx.retryLater); how long they may wait is
 * counted from when this service first saw them, not from the producer's timestamp, so working
 * through a backlog does not turn "not yet" into "never".
 */
@Injectable()
export class WaitingRepository {
  /** When each event was first seen waiting (now for the ones seen for the first time). */
  async firstSeen(ctx: TxContext, kind: WaitKind, eventIds: string[]): Promise<Map<string, Date>> {
    if (eventIds.length === 0) return new Map();
    const rows = await ctx.query<{ event_id: string; first_seen_at: Date }>(
      `WITH ins AS (
         INSERT INTO relief_waiting (kind, event_id, first_seen_at) SELECT $1, e, $3 FROM unnest($2::text[]) AS e
         ON CONFLICT DO NOTHING RETURNING event_id, first_seen_at)
       SELECT event_id, first_seen_at FROM ins
       UNION ALL SELECT event_id, first_seen_at FROM relief_waiting WHERE kind = $1 AND event_id = ANY($2)`,
      [kind, eventIds, ctx.now],
    );
    const out = new Map(rows.map((r) => [r.event_id, new Date(r.first_seen_at)]));
    for (const id of eventIds) if (!out.has(id)) out.set(id, ctx.now);
    return out;
  }

  /** The events are decided: they wait no more. */
  async forget(ctx: TxContext, kind: WaitKind, eventIds: string[]): Promise<void> {
    if (eventIds.length > 0) await ctx.query(`DELETE FROM relief_waiting WHERE kind = $1 AND event_id = ANY($2)`, [kind, eventIds]);
  }
}

/** Milliseconds still to wait (<= 0: the wait is over), and the bound to give the library. */
export function remainingWait(firstSeen: Date, now: Date, waitMs: number): { remainingMs: number; libraryMaxWaitMs: number } {
  const remainingMs = firstSeen.getTime() + waitMs - now.getTime();
  return { remainingMs, libraryMaxWaitMs: Math.max(remainingMs, 0) + GRACE_MS };
}
