import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { DlqReason, PayloadOf, waitReason } from '@platform/contracts';
import { Batch, eventIdReusedReason, Inbound, OnBatch, requestHash, TxContext } from '@platform/messaging';
import { decideRegistration, PassRegistrationState } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';

type Request = Inbound<'passRegistrationRequested'>;
type Decided = PayloadOf<'passRegistrationDecided'>;

function reused(m: Request): DlqReason {
  return eventIdReusedReason(m.value.eventId, 'registration request');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface PassRow {
  pass_id: string;
  account_id: string;
  sent_at: Date | null;
  register_by: Date | null;
  registered_at: Date | null;
  valid_until: Date | null;
  expired_at: Date | null;
  validity_seconds: number;
}

/**
 * R9: decides each registration request (REGISTERED with validUntil, or REJECTED with a reason) and
 * stores the answer by request eventId: the same request again (re-published under another offset)
 * is answered with the very same decision, re-emitted unchanged. Pass rows are locked in id order
 * so a registration and the expiry sweep cannot both win.
 */
@Controller()
export class RegistrationHandler {
  constructor(@Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig) {}

  @OnBatch('passRegistrationRequested')
  async onRequested(@Payload() messages: Batch<'passRegistrationRequested'>, @Ctx() ctx: TxContext): Promise<void> {
    // One answer per eventId: the same request again gets the stored answer; the same eventId
    // with another body is not a retry at all (EVENT_ID_REUSED).
    const byEvent = new Map<string, Request>();
    const hashes = new Map<Request, string>();
    for (const m of messages) {
      hashes.set(m, requestHash(m));
      const first = byEvent.get(m.value.eventId);
      if (!first) byEvent.set(m.value.eventId, m);
      else if (hashes.get(first) !== hashes.get(m)) ctx.reject(m, reused(m));
    }
    await this.answerStored(ctx, byEvent, hashes);
    if (byEvent.size === 0) return;

    const campaigns = await ctx.query<{ pass_id: string; slot: number; sent_watermark: number }>(
      `SELECT p.pass_id, p.slot, c.sent_watermark FROM pass p JOIN pass_campaign c USING (campaign_id) WHERE p.pass_id = ANY($1::uuid[])`,
      [[...new Set([...byEvent.values()].map((m) => m.value.passId).filter((id) => UUID.test(id)))].map((id) => id.toLowerCase())],
    );
    const queue = new Map(campaigns.map((r) => [r.pass_id, r]));
    const ids = [...new Set([...byEvent.values()].map((m) => m.value.passId).filter((id) => UUID.test(id)))]
      .map((id) => id.toLowerCase())
      .sort();
    const rows = await ctx.query<PassRow>(
      `SELECT p.pass_id, p.account_id, p.sent_at, p.register_by, p.registered_at, p.valid_until, p.expired_at, c.validity_seconds
         FROM pass p JOIN pass_campaign c USING (campaign_id)
        WHERE p.pass_id = ANY($1::uuid[]) ORDER BY p.pass_id FOR UPDATE OF p`,
      [ids],
    );
    const passes = new Map<string, PassRow>(rows.map((r) => [r.pass_id, r]));
    const d = (x: Date | null) => (x ? new Date(x) : null);
    const registered = new Map<string, { at: Date; validUntil: Date }>();
    const decisions: { m: Request; decided: Decided }[] = [];
    for (const m of byEvent.values()) {
      const row = UUID.test(m.value.passId) ? passes.get(m.value.passId.toLowerCase()) : undefined;
      const justRegistered = registered.get(row?.pass_id ?? '');
      const state: PassRegistrationState | undefined = row && {
        accountId: row.account_id,
        sentAt: d(row.sent_at),
        registerBy: d(row.register_by),
        registeredAt: justRegistered?.at ?? d(row.registered_at),
        validUntil: justRegistered?.validUntil ?? d(row.valid_until),
        expiredAt: d(row.expired_at),
      };
      const verdict = decideRegistration(
        state,
        { accountId: m.value.accountId, requestedAt: new Date(m.value.requestedAt), producedAt: m.timestamp },
        { validitySeconds: row?.validity_seconds ?? 0, skewToleranceMs: this.config.REGISTRATION_SKEW_TOLERANCE_SECONDS * 1000 },
      );
      const base = { eventId: m.value.eventId, passId: m.value.passId, accountId: m.value.accountId, decidedAt: ctx.now.toISOString() };
      const q = row ? queue.get(row.pass_id) : undefined;
      const wait = this.config.REGISTRATION_NOT_SENT_WAIT_MS;
      const waited = m.deferredSince ? ctx.now.getTime() - m.deferredSince.getTime() : 0;
      if (
        verdict.status === 'REJECTED' &&
        verdict.reason === 'NOT_SENT_YET' &&
        wait > 0 &&
        waited < wait &&
        q &&
        q.slot <= q.sent_watermark + this.config.DISPATCH_MAX_UNCOMMITTED
      ) {
        // The sender may hold this pass delivered but not yet committed (or is delivering it right
        // now): wait for its commit rather than tell the user "not sent" about a pass that is
        // already in their drawer. Past the wait, NOT_SENT_YET is the answer.
        ctx.retryLater(
          m,
          waitReason('NOT_SENT_YET', `slot ${q.slot} within the sender's uncommitted window (watermark ${q.sent_watermark})`),
          wait + 60_000,
        );
        continue;
      }
      if (verdict.status === 'REGISTERED') {
        if (row && !verdict.alreadyRegistered) registered.set(row.pass_id, { at: verdict.registeredAt, validUntil: verdict.validUntil });
        decisions.push({ m, decided: { ...base, status: 'REGISTERED', validUntil: verdict.validUntil.toISOString() } });
      } else {
        decisions.push({ m, decided: { ...base, status: 'REJECTED', reason: verdict.reason } });
      }
    }

    if (registered.size > 0) {
      const list = [...registered.entries()];
      await ctx.query(
        `UPDATE pass p SET registered_at = u.at, valid_until = u.valid_until
           FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS u (pass_id, at, valid_until)
          WHERE p.pass_id = u.pass_id AND p.registered_at IS NULL`,
        [list.map(([id]) => id), list.map(([, r]) => r.at), list.map(([, r]) => r.validUntil)],
      );
    }
    if (decisions.length === 0) return;
    const inserted = await ctx.query<{ event_id: string }>(
      `INSERT INTO pass_registration (event_id, pass_id, account_id, status, reason, decision, request_hash, decided_at)
       SELECT t.*, $8::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::jsonb[], $7::text[]) AS t
       ON CONFLICT (event_id) DO NOTHING
       RETURNING event_id`,
      [
        decisions.map((x) => x.decided.eventId),
        decisions.map((x) => x.decided.passId),
        decisions.map((x) => x.decided.accountId),
        decisions.map((x) => x.decided.status),
        decisions.map((x) => x.decided.reason ?? null),
        decisions.map((x) => JSON.stringify(x.decided)),
        decisions.map((x) => hashes.get(x.m) ?? null),
        ctx.now,
      ],
    );
    const ours = new Set(inserted.map((r) => r.event_id));
    for (const x of decisions) if (ours.has(x.decided.eventId)) ctx.emit('passRegistrationDecided', x.decided, x.m);
    // Decided meanwhile by another transaction (the same eventId on another partition): the
    // stored answer is the answer, never a second, different one.
    await this.answerStored(
      ctx,
      new Map(decisions.filter((x) => !ours.has(x.decided.eventId)).map((x) => [x.decided.eventId, x.m])),
      hashes,
    );
  }

  /** Answers requests that already have a stored answer (and removes them from `pending`). */
  private async answerStored(ctx: TxContext, pending: Map<string, Request>, hashes: Map<Request, string>): Promise<void> {
    if (pending.size === 0) return;
    const earlier = await ctx.query<{ event_id: string; decision: Decided; request_hash: string | null }>(
      `SELECT event_id, decision, request_hash FROM pass_registration WHERE event_id = ANY($1)`,
      [[...pending.keys()]],
    );
    for (const e of earlier) {
      const m = pending.get(e.event_id);
      if (!m) continue;
      if (e.request_hash !== null && e.request_hash !== hashes.get(m)) ctx.reject(m, reused(m));
      else ctx.emit('passRegistrationDecided', e.decision, m);
      pending.delete(e.event_id);
    }
  }
}
