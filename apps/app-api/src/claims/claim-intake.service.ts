import { Inject, Injectable } from '@nestjs/common';
import { createHash, createHmac } from 'node:crypto';
import { PayloadOf } from '@platform/contracts';
import { MessagingRuntime } from '@platform/messaging';
import { isTransientError } from '@platform/persistence';
import type { AppApiConfig } from '../config';
import { BacklogMonitor } from '../intake/backlog-monitor';
import { APP_API_CONFIG } from '../tokens';

export type ClaimRequest = PayloadOf<'claimRequested'>;

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

interface IntakeRow {
  event_id: string;
  request_fingerprint: string;
  account_id: string;
  status: 'PENDING' | 'ACCEPTED' | 'REJECTED';
  reason: string | null;
  claim_id: string | null;
  decided_at: Date | null;
}

interface DecisionRow {
  event_id: string;
  account_id: string;
  status: 'ACCEPTED' | 'REJECTED';
  reason: string | null;
  claim_id: string;
  decided_at: Date;
}

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
    private readonly backlog: BacklogMonitor,
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
    const known = await this.find(claim.eventId);
    if (known) return this.answer(known, fingerprint);

    const a = this.backlog.admit(spreadOf(claim.eventId));
    if (!a.admit) {
      this.backlog.noteRefused();
      return { kind: 'BUSY', ...a };
    }

    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.messaging.transaction(async (ctx): Promise<SubmitResult> => {
          const inserted = await ctx.query(
            `INSERT INTO claim_intake (event_id, request_fingerprint, campaign_id, account_id, received_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (event_id) DO NOTHING RETURNING event_id`,
            [claim.eventId, fingerprint, claim.campaignId, claim.accountId, ctx.now],
          );
          if (inserted.length === 1) {
            ctx.emit('claimRequested', claim);
            return { kind: 'TAKEN', status: { eventId: claim.eventId, status: 'PENDING' } };
          }
          // A concurrent request with this key committed first (the insert waited for it).
          const [row] = await ctx.query<IntakeRow>(`SELECT * FROM claim_intake WHERE event_id = $1`, [claim.eventId]);
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
    const row = await this.find(eventId);
    if (row) return { ...toStatus(row), accountId: row.account_id };
    const [d] = (await this.messaging.dataSource.query(`SELECT * FROM claim_decision WHERE event_id = $1`, [eventId])) as DecisionRow[];
    return d ? { ...toStatus(d), accountId: d.account_id } : null;
  }

  private async find(eventId: string): Promise<IntakeRow | null> {
    const [row] = (await this.messaging.dataSource.query(`SELECT * FROM claim_intake WHERE event_id = $1`, [eventId])) as IntakeRow[];
    return row ?? null;
  }

  private answer(row: IntakeRow, fingerprint: string): SubmitResult {
    return row.request_fingerprint === fingerprint ? { kind: 'REPLAY', status: toStatus(row) } : { kind: 'CONFLICT' };
  }
}
