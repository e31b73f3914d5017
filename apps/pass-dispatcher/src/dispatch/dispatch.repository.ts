import { Injectable } from '@nestjs/common';
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { TxContext } from '@platform/messaging';

/** Advisory lock class of "sender of campaign X" (the object id is hashtext(campaign_id)). */
export const SENDER_LOCK_CLASS = 727100;

/** An unsent pass as the sender reads it. */
export interface QueuedPassRow {
  passId: string;
  accountId: string;
  slot: number;
  noticeDeadline: Date;
  noticed: boolean;
  /** The claim's trace (stored at reservation). */
  traceparent: string | null;
}

/** A campaign's sending controls (set by ops) and its leader epoch. */
export interface SenderControls {
  paused: boolean;
  ratePerSecond: number | null;
  storageGb: number;
  epoch: number;
}

/** A delivery the channel confirmed, to commit. */
export interface SentPass {
  passId: string;
  sentAt: Date;
  registerBy: Date;
  duplicate: boolean;
}

/**
 * The sending side's statements: leadership (the sender lock on the coordinator's own connection,
 * the epoch on `pass_campaign`), the sender's reads and its watermark commits. Every write of a
 * sender names its epoch, which fences a sender that was replaced.
 */
@Injectable()
export class DispatchRepository {
  constructor(private readonly ds: DataSource) {}

  /** Every campaign's id, in id order. */
  async campaignIds(): Promise<string[]> {
    const rows = (await this.ds.query(`SELECT campaign_id FROM pass_campaign ORDER BY campaign_id`)) as { campaign_id: string }[];
    return rows.map((r) => r.campaign_id);
  }

  /** Takes the sender lock of the campaign on `client` (a session lock: it lives as long as that connection) unless another holds it. */
  async trySenderLock(client: Client, campaignId: string): Promise<boolean> {
    const [got] = (
      await client.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1, hashtext($2)) AS locked', [SENDER_LOCK_CLASS, campaignId])
    ).rows;
    return got?.locked ?? false;
  }

  async releaseSenderLock(client: Client, campaignId: string): Promise<void> {
    await client.query('SELECT pg_advisory_unlock($1, hashtext($2))', [SENDER_LOCK_CLASS, campaignId]);
  }

  /** Makes `leaderId` the campaign's sender: a new epoch, and the watermark to resume after; undefined for an unknown campaign. */
  async takeOver(campaignId: string, leaderId: string, at: Date): Promise<{ epoch: number; watermark: number } | undefined> {
    // DataSource.query answers an UPDATE with [rows, count]; the runner's structured result is the rows
    const runner = this.ds.createQueryRunner();
    try {
      const { records } = (await runner.query(
        `UPDATE pass_campaign SET leader_epoch = leader_epoch + 1, leader_id = $2, leader_since = $3
        WHERE campaign_id = $1 RETURNING leader_epoch, sent_watermark`,
        [campaignId, leaderId, at],
        true,
      )) as { records: { leader_epoch: string; sent_watermark: number }[] };
      const [row] = records;
      return row && { epoch: Number(row.leader_epoch), watermark: row.sent_watermark };
    } finally {
      await runner.release();
    }
  }

  /** Keeps the latest send error for ops (GET /passes/status), while `epoch` leads. */
  async recordSendError(campaignId: string, epoch: number, error: string): Promise<void> {
    await this.ds.query(`UPDATE pass_campaign SET last_send_error = $3 WHERE campaign_id = $1 AND leader_epoch = $2`, [
      campaignId,
      epoch,
      error.slice(0, 500),
    ]);
  }

  /** Up to `limit` unsent passes after slot `cursor`, in slot order (gaps included: the caller stops at one). */
  async queuedAfter(campaignId: string, cursor: number, limit: number): Promise<QueuedPassRow[]> {
    const rows = (await this.ds.query(
      `SELECT pass_id, account_id, slot, notice_deadline, notice_at IS NOT NULL AS noticed, trace_parent
         FROM pass WHERE campaign_id = $1 AND slot > $2 ORDER BY slot LIMIT $3`,
      [campaignId, cursor, limit],
    )) as { pass_id: string; account_id: string; slot: number; notice_deadline: Date; noticed: boolean; trace_parent: string | null }[];
    return rows.map((r) => ({
      passId: r.pass_id,
      accountId: r.account_id,
      slot: r.slot,
      noticeDeadline: new Date(r.notice_deadline),
      noticed: r.noticed,
      traceparent: r.trace_parent,
    }));
  }

  /** The campaign's controls; undefined for an unknown campaign. */
  async controls(campaignId: string): Promise<SenderControls | undefined> {
    const rows = (await this.ds.query(
      `SELECT paused, rate_per_second, storage_gb, leader_epoch FROM pass_campaign WHERE campaign_id = $1`,
      [campaignId],
    )) as { paused: boolean; rate_per_second: number | null; storage_gb: number; leader_epoch: string }[];
    const c = rows[0];
    return c && { paused: c.paused, ratePerSecond: c.rate_per_second, storageGb: c.storage_gb, epoch: Number(c.leader_epoch) };
  }

  /**
   * Moves the watermark from `from` to `to` while `epoch` leads; returns the campaign's
   * registration window, or undefined when the watermark moved under another epoch.
   */
  async advanceWatermark(
    ctx: TxContext,
    campaignId: string,
    epoch: number,
    move: { from: number; to: number; progressAt: Date },
  ): Promise<{ registrationWindowSeconds: number } | undefined> {
    const [c] = await ctx.query<{ registration_window_seconds: number }>(
      `UPDATE pass_campaign SET sent_watermark = $3, progress_at = $4, last_send_error = NULL
          WHERE campaign_id = $1 AND leader_epoch = $2 AND sent_watermark = $5 RETURNING registration_window_seconds`,
      [campaignId, epoch, move.to, move.progressAt, move.from],
    );
    return c && { registrationWindowSeconds: c.registration_window_seconds };
  }

  /** Marks the passes sent (with their registration deadline and whether the channel had them already). */
  async markSent(ctx: TxContext, passes: SentPass[]): Promise<void> {
    await ctx.query(
      `UPDATE pass p SET sent_at = u.sent_at, register_by = u.register_by, channel_duplicate = u.dup
           FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::bool[]) AS u (pass_id, sent_at, register_by, dup)
          WHERE p.pass_id = u.pass_id`,
      [passes.map((p) => p.passId), passes.map((p) => p.sentAt), passes.map((p) => p.registerBy), passes.map((p) => p.duplicate)],
    );
  }
}
