import { Injectable } from '@nestjs/common';
import { TxContext } from '@platform/messaging';
import { EtaModel } from '@platform/rules';

/** Advisory (transaction) lock class: one estimator run per campaign at a time across replicas. */
const ESTIMATOR_LOCK_CLASS = 727101;
/** Most passes one notice statement takes (a caller repeats while a statement returns this many). */
export const NOTICE_BATCH = 5000;

/** Who noticed a pass by the deadline-within-margin rule (the `pass.notice_trigger` column). */
export type DueTrigger = 'WATCHDOG' | 'RESERVATION';

export interface NoticedRow {
  pass_id: string;
  account_id: string;
  slot: number;
  claimed_at: Date;
  notice_eta: Date;
  trace_parent: string | null;
}

/**
 * SQL for a pass's estimated delivery under a model ($base, $watermark, $msPerSlot), same rounding
 * as estimateDeliveryAt (libs/rules; test/eta-parity.int-spec.ts holds the two together).
 */
export const ETA_SQL = (base: string, watermark: string, msPerSlot: string): string =>
  `(${base}::timestamptz + ceil(greatest(1, slot - ${watermark}::int) * ${msPerSlot}::float8) * interval '1 millisecond')`;

/**
 * The delay-notice columns of `pass` (notice_at, notice_eta, notice_trigger), set exactly once per
 * pass: the `notice_at IS NULL` guard is rechecked under the row lock, and rows locked by another
 * run are skipped, not waited for.
 */
@Injectable()
export class DelayNoticeRepository {
  /** Takes the campaign's estimator lock for this transaction; false when another run holds it. */
  async tryEstimatorLock(ctx: TxContext, campaignId: string): Promise<boolean> {
    const [lock] = await ctx.query<{ ok: boolean }>('SELECT pg_try_advisory_xact_lock($1, hashtext($2)) AS ok', [
      ESTIMATOR_LOCK_CLASS,
      campaignId,
    ]);
    return lock?.ok ?? false;
  }

  /**
   * Notices (up to NOTICE_BATCH, earliest deadline first) every unsent, unnoticed pass of the
   * campaign (only those of `passIds` when given) whose deadline <= now + margin, with the later of
   * the deadline and its ETA under `model`.
   */
  noticeDue(
    ctx: TxContext,
    campaignId: string,
    marginMs: number,
    model: EtaModel,
    trigger: DueTrigger,
    passIds?: string[],
  ): Promise<NoticedRow[]> {
    return ctx.query<NoticedRow>(
      `UPDATE pass p SET notice_at = $2, notice_trigger = $7,
              notice_eta = greatest(p.notice_deadline, ${ETA_SQL('$4', '$5', '$6')})
         FROM (SELECT pass_id FROM pass
                WHERE campaign_id = $1 AND sent_at IS NULL AND notice_at IS NULL
                  AND notice_deadline <= $2::timestamptz + ($3 || ' milliseconds')::interval
                  AND ($8::uuid[] IS NULL OR pass_id = ANY($8::uuid[]))
                ORDER BY notice_deadline LIMIT ${NOTICE_BATCH} FOR UPDATE SKIP LOCKED) due
        WHERE p.pass_id = due.pass_id AND p.notice_at IS NULL AND p.sent_at IS NULL
        RETURNING p.pass_id, p.account_id, p.slot, p.claimed_at, p.notice_eta, p.trace_parent`,
      [campaignId, ctx.now, String(marginMs), model.baseAt, model.watermark, model.secondsPerSlot * 1000, trigger, passIds ?? null],
    );
  }

  /**
   * Notices (up to NOTICE_BATCH, earliest deadline first) every unsent, unnoticed pass whose ETA
   * under `model` is later than its deadline; `reserved` is the queue's last slot.
   */
  noticeLate(ctx: TxContext, campaignId: string, model: EtaModel, reserved: number): Promise<NoticedRow[]> {
    const eta = ETA_SQL('$3', '$4', '$5');
    // Only a pass whose deadline is before the whole queue's estimated drain can be late.
    return ctx.query<NoticedRow>(
      `UPDATE pass p SET notice_at = $2, notice_trigger = 'ESTIMATE', notice_eta = ${eta.replace(/slot/g, 'p.slot')}
         FROM (SELECT pass_id FROM pass
                WHERE campaign_id = $1 AND sent_at IS NULL AND notice_at IS NULL
                  AND notice_deadline < ${eta.replace(/slot/g, '$6::int')}
                  AND notice_deadline < ${eta}
                ORDER BY notice_deadline LIMIT ${NOTICE_BATCH} FOR UPDATE SKIP LOCKED) late
        WHERE p.pass_id = late.pass_id AND p.notice_at IS NULL AND p.sent_at IS NULL
        RETURNING p.pass_id, p.account_id, p.slot, p.claimed_at, p.notice_eta, p.trace_parent`,
      [campaignId, ctx.now, model.baseAt, model.watermark, model.secondsPerSlot * 1000, reserved],
    );
  }

  /** The sender's notice of one pass about to go out late (trigger SENDER); undefined when already noticed or sent. */
  async noticeBeforeSending(ctx: TxContext, passId: string, eta: Date): Promise<{ pass_id: string; claimed_at: Date } | undefined> {
    const [row] = await ctx.query<{ pass_id: string; claimed_at: Date }>(
      `UPDATE pass SET notice_at = $2, notice_eta = $3, notice_trigger = 'SENDER'
          WHERE pass_id = $1 AND notice_at IS NULL AND sent_at IS NULL RETURNING pass_id, claimed_at`,
      [passId, ctx.now, eta],
    );
    return row;
  }
}
