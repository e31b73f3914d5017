import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac } from 'node:crypto';
import { MessagingRuntime } from '@platform/messaging';
import { isTransientError } from '@platform/persistence';
import type { AppApiConfig } from '../config';
import { BacklogSweep } from '../intake/backlog.sweep';
import { APP_API_CONFIG } from '../tokens';
import { ClaimRepository, ClaimRequest, DecisionRow, IntakeRow } from './claim.repository';

/** What the front door answers about one claim. */
export interface ClaimStatus {
  eventId: string;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  reason?: string;
  claimId?: string;
  decidedAt?: string;
}

export type SubmitResult =
  /** Taken in now: the intake row and the outbox row are committed. */
  | { kind: 'TAKEN'; status: ClaimStatus }
  /** The same key with the same body again: what is known about it. */
  | { kind: 'REPLAY'; status: ClaimStatus }
  /** The key was already used for another body. */
  | { kind: 'CONFLICT' }
  /** The queue behind the door is over its bound: come back after `retryAfterSeconds`. */
  | { kind: 'BUSY'; retryAfterSeconds: number; source: string; backlog: number; bound: number; drainPerSecond: number };

const toStatus = (r: IntakeRow | DecisionRow): ClaimStatus => ({
  eventId: r.event_id,
  status: r.status,
  ...(r.reason ? { reason: r.reason } : {}),
  ...(r.claim_id ? { claimId: r.claim_id } : {}),
  ...(r.decided_at ? { decidedAt: new Date(r.decided_at).toISOString() } : {}),
});

/** 0..1 from the key: where in the Retry-After spread this caller lands (the same on every retry). */
export const spreadOf = (key: string): number => createHash('sha256').update(key).digest().readUInt32BE(0) / 2 ** 32;

/**
 * Takes claims in durably, once per Idempotency-Key. The key is the claim's eventId; the intake row
 * (primary key = eventId) and the outbox row of compensation.claim.requested.v1 are written in one
 * transaction, so a 202 is only ever answered for a claim that will reach the claims service, and
 * a retry storm on one key yields one row, one event and so one decision.
 */
@Injectable()
export class ClaimIntakeService {
  constructor(
    private readonly messaging: MessagingRuntime,
    private readonly claims: ClaimRepository,
    private readonly backlog: BacklogSweep,
    @Inject(APP_API_CONFIG) private readonly config: AppApiConfig,
  ) {}

  /** Keyed, so a stolen table does not give phone numbers back by brute force. */
  fingerprint(c: ClaimRequest): string {
    const canonical = [c.eventId, c.campaignId, c.accountId, c.talkLinked, c.phoneNumber, c.makersMember, c.requestedAt];
    return createHmac('sha256', this.config.PHONE_HASH_SECRET).update(JSON.stringify(canonical)).digest('hex');
  }

  async submit(claim: ClaimRequest): Promise<SubmitResult> {
    const fingerprint = this.fingerprint(claim);
    // A retry of a key already taken in is answered whatever the backlog: it adds nothing to it.
    const known = await this.claims.intake(claim.eventId);
    if (known) return this.answer(known, fingerprint);

    const a = this.backlog.admit(spreadOf(claim.eventId));
    if (!a.admit) {
      this.backlog.noteRefused();
      return { kind: 'BUSY', ...a };
    }

    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.messaging.transaction(async (ctx): Promise<SubmitResult> => {
          if (await this.claims.takeIn(ctx, claim, fingerprint)) {
            ctx.emit('claimRequested', claim);
            return { kind: 'TAKEN', status: { eventId: claim.eventId, status: 'PENDING' } };
          }
          // A concurrent request with this key committed first (the insert waited for it).
          const row = await this.claims.intake(claim.eventId, ctx);
          if (!row) throw new Error(`claim_intake ${claim.eventId} conflicted but is not there`);
          return this.answer(row, fingerprint);
        });
        if (result.kind === 'TAKEN') this.backlog.noteTaken();
        return result;
      } catch (e) {
        if (attempt >= 5 || !isTransientError(e)) throw e;
        await new Promise((r) => setTimeout(r, 20 * attempt + Math.floor(Math.random() * 30)));
      }
    }
  }

  /** The claim's state: taken in here (PENDING until decided) or decided from any source; null when unknown. */
  async status(eventId: string): Promise<(ClaimStatus & { accountId: string }) | null> {
    const row = await this.claims.intake(eventId);
    if (row) return { ...toStatus(row), accountId: row.account_id };
    const d = await this.claims.decision(eventId);
    return d ? { ...toStatus(d), accountId: d.account_id } : null;
  }

  private answer(row: IntakeRow, fingerprint: string): SubmitResult {
    return row.request_fingerprint === fingerprint ? { kind: 'REPLAY', status: toStatus(row) } : { kind: 'CONFLICT' };
  }
}
