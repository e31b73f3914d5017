import { Injectable } from '@nestjs/common';
import { PayloadOf } from '@platform/contracts';
import { TxContext } from '@platform/messaging';

type Decided = PayloadOf<'passRegistrationDecided'>;

/** Most passes one sweep statement takes (the sweep repeats while a statement returns this many). */
export const SWEEP_BATCH = 5000;

/** A pass as registration judges it, with its campaign's validity. */
export interface RegistrationPassRow {
  pass_id: string;
  account_id: string;
  sent_at: Date | null;
  register_by: Date | null;
  registered_at: Date | null;
  valid_until: Date | null;
  expired_at: Date | null;
  validity_seconds: number;
}

/** A pass's place in its campaign's queue. */
export interface QueuePosition {
  pass_id: string;
  slot: number;
  sent_watermark: number;
}

/** A stored answer to a registration request. */
export interface StoredDecision {
  event_id: string;
  decision: Decided;
  request_hash: string | null;
}

/** A decision to store, with the request's hash (a reused eventId with another body is told apart by it). */
export interface DecisionToStore {
  decided: Decided;
  requestHash: string | null;
}

/** A sent, unregistered pass an expiry or a reminder is about. */
export interface RegistrationDueRow {
  pass_id: string;
  account_id: string;
  campaign_id: string;
  register_by: Date;
}

/**
 * Registration's statements: the registration columns of `pass` (registered_at, valid_until,
 * expired_at, registration_reminded_at) and the stored answers (`pass_registration`), in the
 * caller's transaction.
 */
@Injectable()
export class RegistrationRepository {
  /** Slot and campaign watermark of the passes of `passIds` (lower-case uuids). */
  queuePositions(ctx: TxContext, passIds: string[]): Promise<QueuePosition[]> {
    return ctx.query<QueuePosition>(
      `SELECT p.pass_id, p.slot, c.sent_watermark FROM pass p JOIN pass_campaign c USING (campaign_id) WHERE p.pass_id = ANY($1::uuid[])`,
      [passIds],
    );
  }

  /** Locks the passes of `passIds` (sorted lower-case uuids) in id order, so a registration and the expiry sweep cannot both win. */
  lockPasses(ctx: TxContext, passIds: string[]): Promise<RegistrationPassRow[]> {
    return ctx.query<RegistrationPassRow>(
      `SELECT p.pass_id, p.account_id, p.sent_at, p.register_by, p.registered_at, p.valid_until, p.expired_at, c.validity_seconds
         FROM pass p JOIN pass_campaign c USING (campaign_id)
        WHERE p.pass_id = ANY($1::uuid[]) ORDER BY p.pass_id FOR UPDATE OF p`,
      [passIds],
    );
  }

  /** Marks passes registered (never a second time). */
  async markRegistered(ctx: TxContext, registered: [passId: string, r: { at: Date; validUntil: Date }][]): Promise<void> {
    await ctx.query(
      `UPDATE pass p SET registered_at = u.at, valid_until = u.valid_until
           FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS u (pass_id, at, valid_until)
          WHERE p.pass_id = u.pass_id AND p.registered_at IS NULL`,
      [registered.map(([id]) => id), registered.map(([, r]) => r.at), registered.map(([, r]) => r.validUntil)],
    );
  }

  /** Stores the answers, decided now; returns the eventIds stored here (the others were answered meanwhile). */
  async storeDecisions(ctx: TxContext, decisions: DecisionToStore[]): Promise<Set<string>> {
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
        decisions.map((x) => x.requestHash),
        ctx.now,
      ],
    );
    return new Set(inserted.map((r) => r.event_id));
  }

  /** The stored answers to the requests of `eventIds`. */
  storedDecisions(ctx: TxContext, eventIds: string[]): Promise<StoredDecision[]> {
    return ctx.query<StoredDecision>(`SELECT event_id, decision, request_hash FROM pass_registration WHERE event_id = ANY($1)`, [eventIds]);
  }

  /**
   * Expires (up to SWEEP_BATCH) sent passes not registered by registerBy + `graceSeconds`, now;
   * rows another sweep holds are skipped.
   */
  expireDue(ctx: TxContext, graceSeconds: number): Promise<RegistrationDueRow[]> {
    return ctx.query<RegistrationDueRow>(
      `UPDATE pass p SET expired_at = $1
             FROM (SELECT pass_id FROM pass
                    WHERE registered_at IS NULL AND expired_at IS NULL AND register_by IS NOT NULL
                      AND register_by < $1::timestamptz - ($2 || ' seconds')::interval
                    ORDER BY register_by LIMIT ${SWEEP_BATCH} FOR UPDATE SKIP LOCKED) due
            WHERE p.pass_id = due.pass_id AND p.registered_at IS NULL AND p.expired_at IS NULL
            RETURNING p.pass_id, p.account_id, p.campaign_id, p.register_by`,
      [ctx.now, String(graceSeconds)],
    );
  }

  /**
   * Marks reminded (up to SWEEP_BATCH) the passes whose reminder is due: now <= registerBy <= now +
   * lead (libs/rules reminderDueAt, per campaign). The reminded mark is re-checked in the UPDATE,
   * with SKIP LOCKED: once across replicas and restarts.
   */
  remindDue(ctx: TxContext): Promise<RegistrationDueRow[]> {
    return ctx.query<RegistrationDueRow>(
      `UPDATE pass p SET registration_reminded_at = $1
               FROM (SELECT d.pass_id FROM pass d JOIN pass_campaign c ON c.campaign_id = d.campaign_id
                      WHERE c.remind_before_registration_ends_seconds IS NOT NULL
                        AND d.register_by IS NOT NULL AND d.registered_at IS NULL AND d.expired_at IS NULL
                        AND d.registration_reminded_at IS NULL
                        AND d.register_by >= $1
                        AND d.register_by <= $1::timestamptz + make_interval(secs => c.remind_before_registration_ends_seconds)
                      ORDER BY d.register_by LIMIT ${SWEEP_BATCH} FOR UPDATE OF d SKIP LOCKED) due
              WHERE p.pass_id = due.pass_id AND p.registration_reminded_at IS NULL AND p.registered_at IS NULL
              RETURNING p.pass_id, p.account_id, p.campaign_id, p.register_by`,
      [ctx.now],
    );
  }
}
