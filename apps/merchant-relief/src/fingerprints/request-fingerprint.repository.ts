import { Injectable } from '@nestjs/common';
import type { DlqReason } from '@platform/contracts';
import { eventIdReusedReason, InboundMessage, requestHash, TxContext } from '@platform/messaging';

export type RequestKind = 'REPORT' | 'REVIEW' | 'EVIDENCE';

/**
 * One eventId, one request: the body first seen under an eventId is the request; the same eventId
 * with another body later (or in the same chunk) is not a retry of it, and gets no answer of its
 * own. Events answered before fingerprints were kept take the first body seen from now on.
 */
@Injectable()
export class RequestFingerprintRepository {
  /** The messages that reuse an eventId for another body (the caller parks them as EVENT_ID_REUSED). */
  async reused<T extends { eventId: string }>(
    ctx: TxContext,
    kind: RequestKind,
    messages: InboundMessage<T>[],
  ): Promise<Set<InboundMessage<T>>> {
    const first = new Map<string, string>();
    const hashes = new Map<InboundMessage<T>, string>();
    for (const m of messages) {
      const h = requestHash(m);
      hashes.set(m, h);
      if (!first.has(m.value.eventId)) first.set(m.value.eventId, h);
    }
    if (first.size === 0) return new Set();
    await ctx.query(
      `INSERT INTO request_fingerprint (kind, event_id, request_hash) SELECT $1, e, h FROM unnest($2::text[], $3::text[]) AS t(e, h)
       ON CONFLICT DO NOTHING`,
      [kind, [...first.keys()], [...first.values()]],
    );
    const stored = await ctx.query<{ event_id: string; request_hash: string }>(
      `SELECT event_id, request_hash FROM request_fingerprint WHERE kind = $1 AND event_id = ANY($2)`,
      [kind, [...first.keys()]],
    );
    const byEvent = new Map(stored.map((r) => [r.event_id, r.request_hash]));
    return new Set(messages.filter((m) => byEvent.get(m.value.eventId) !== hashes.get(m)));
  }

  /**
   * Parks the messages that reuse an eventId for another body as EVENT_ID_REUSED (`what` names the
   * request in the reason) and returns the others, the ones to answer.
   */
  async parkReused<T extends { eventId: string }>(
    ctx: TxContext,
    kind: RequestKind,
    messages: InboundMessage<T>[],
    what: string,
  ): Promise<InboundMessage<T>[]> {
    const reused = await this.reused(ctx, kind, messages);
    for (const m of reused) ctx.reject(m, reusedReason(m, what));
    return messages.filter((m) => !reused.has(m));
  }
}

export function reusedReason(m: InboundMessage<{ eventId: string }>, what: string): DlqReason {
  return eventIdReusedReason(m.value.eventId, what);
}
