import { Controller, Inject } from '@nestjs/common';
import { Ctx, Payload } from '@nestjs/microservices';
import { DlqReason, PayloadOf, waitReason } from '@platform/contracts';
import { Batch, eventIdReusedReason, Inbound, OnBatch, requestHash, TxContext } from '@platform/messaging';
import { decideRegistration, PassRegistrationState } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { RegistrationPassRow, RegistrationRepository } from './registration.repository';

type Request = Inbound<'passRegistrationRequested'>;
type Decided = PayloadOf<'passRegistrationDecided'>;

function reused(m: Request): DlqReason {
  return eventIdReusedReason(m.value.eventId, 'registration request');
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * R9: decides each registration request (REGISTERED with validUntil, or REJECTED with a reason) and
 * stores the answer by request eventId: the same request again (re-published under another offset)
 * is answered with the very same decision, re-emitted unchanged. Pass rows are locked in id order
 * so a registration and the expiry sweep cannot both win.
 */
@Controller()
export class RegistrationHandler {
  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly repo: RegistrationRepository,
  ) {}

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

    const campaigns = await this.repo.queuePositions(
      ctx,
      [...new Set([...byEvent.values()].map((m) => m.value.passId).filter((id) => UUID.test(id)))].map((id) => id.toLowerCase()),
    );
    const queue = new Map(campaigns.map((r) => [r.pass_id, r]));
    const ids = [...new Set([...byEvent.values()].map((m) => m.value.passId).filter((id) => UUID.test(id)))]
      .map((id) => id.toLowerCase())
      .sort();
    const rows = await this.repo.lockPasses(ctx, ids);
    const passes = new Map<string, RegistrationPassRow>(rows.map((r) => [r.pass_id, r]));
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

    if (registered.size > 0) await this.repo.markRegistered(ctx, [...registered.entries()]);
    if (decisions.length === 0) return;
    const ours = await this.repo.storeDecisions(
      ctx,
      decisions.map((x) => ({ decided: x.decided, requestHash: hashes.get(x.m) ?? null })),
    );
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
    const earlier = await this.repo.storedDecisions(ctx, [...pending.keys()]);
    for (const e of earlier) {
      const m = pending.get(e.event_id);
      if (!m) continue;
      if (e.request_hash !== null && e.request_hash !== hashes.get(m)) ctx.reject(m, reused(m));
      else ctx.emit('passRegistrationDecided', e.decision, m);
      pending.delete(e.event_id);
    }
  }
}
