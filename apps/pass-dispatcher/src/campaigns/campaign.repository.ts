import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { TxContext } from '@platform/messaging';
import { EtaModel, etaModel, measuredRate } from '@platform/rules';

/** Where a read runs: a transaction (TxContext) or the pool (DataSource); both answer a SELECT with its rows. */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface PassCampaign {
  campaignId: string;
  cap: number;
  reserved: number;
  soldOut: number;
  delayNoticeAfterSeconds: number;
  registrationWindowSeconds: number;
  validitySeconds: number;
  storageGb: number;
  sentWatermark: number;
  progressAt: Date;
  paused: boolean;
  ratePerSecond: number | null;
  leaderEpoch: number;
  leaderId: string | null;
  leaderSince: Date | null;
  lastSendError: string | null;
}

/** A campaign's ops controls after a change. */
export interface CampaignControls {
  campaign_id: string;
  paused: boolean;
  rate_per_second: number | null;
}

interface Row {
  campaign_id: string;
  cap: number;
  reserved: number;
  sold_out: string;
  delay_notice_after_seconds: number;
  registration_window_seconds: number;
  validity_seconds: number;
  storage_gb: number;
  sent_watermark: number;
  progress_at: Date;
  paused: boolean;
  rate_per_second: number | null;
  leader_epoch: string;
  leader_id: string | null;
  leader_since: Date | null;
  last_send_error: string | null;
}

const toCampaign = (r: Row): PassCampaign => ({
  campaignId: r.campaign_id,
  cap: r.cap,
  reserved: r.reserved,
  soldOut: Number(r.sold_out),
  delayNoticeAfterSeconds: r.delay_notice_after_seconds,
  registrationWindowSeconds: r.registration_window_seconds,
  validitySeconds: r.validity_seconds,
  storageGb: r.storage_gb,
  sentWatermark: r.sent_watermark,
  progressAt: new Date(r.progress_at),
  paused: r.paused,
  ratePerSecond: r.rate_per_second,
  leaderEpoch: Number(r.leader_epoch),
  leaderId: r.leader_id,
  leaderSince: r.leader_since ? new Date(r.leader_since) : null,
  lastSendError: r.last_send_error,
});

/** The allowed send rate of a campaign: its ops setting, else the service default. */
export const allowedRate = (c: PassCampaign, defaultRate: number): number => c.ratePerSecond ?? defaultRate;

/**
 * The campaigns' rows (`pass_campaign`: terms, counters, watermark, ops controls) and their
 * progress samples (`pass_progress_sample`), with the delivery-time model built from them. Reads
 * run on the pool unless a transaction is given.
 */
@Injectable()
export class CampaignRepository {
  constructor(private readonly ds: DataSource) {}

  /** Campaigns (all, or those given; with `waiting`, only those with passes to send), ordered by id. */
  async load(opts: { ids?: string[]; waiting?: boolean } = {}, q: Queryable = this.ds): Promise<PassCampaign[]> {
    const rows = (await q.query(
      `SELECT * FROM pass_campaign WHERE ($1::text[] IS NULL OR campaign_id = ANY($1))
        AND (NOT $2 OR reserved > sent_watermark) ORDER BY campaign_id`,
      [opts.ids ?? null, opts.waiting ?? false],
    )) as Row[];
    return rows.map(toCampaign);
  }

  /** Watermark samples of the last window of progress (see libs/rules passes/eta.ts). */
  async progressSamples(c: PassCampaign, windowMs: number, q: Queryable = this.ds): Promise<{ at: Date; watermark: number }[]> {
    const rows = (await q.query(
      `SELECT at, watermark FROM pass_progress_sample WHERE campaign_id = $1 AND at >= $2::timestamptz - ($3 || ' milliseconds')::interval ORDER BY at`,
      [c.campaignId, c.progressAt, String(windowMs)],
    )) as { at: Date; watermark: number }[];
    return rows.map((r) => ({ at: new Date(r.at), watermark: r.watermark }));
  }

  /** The delivery-time model of a campaign now (rate measured while progressing, plus the current stall). */
  async etaModel(c: PassCampaign, now: Date, o: { windowMs: number; defaultRate: number }, q: Queryable = this.ds): Promise<EtaModel> {
    const samples = await this.progressSamples(c, o.windowMs, q);
    return etaModel({
      now,
      watermark: c.sentWatermark,
      reserved: c.reserved,
      progressAt: c.progressAt,
      measuredRatePerSecond: measuredRate(samples, o.windowMs),
      allowedRatePerSecond: allowedRate(c, o.defaultRate),
    });
  }

  /** Records (progress_at, watermark) when the watermark moved since the last sample; keeps `keepSeconds` of them. */
  async recordProgress(ctx: TxContext, c: PassCampaign, keepSeconds: number): Promise<void> {
    await ctx.query(
      `INSERT INTO pass_progress_sample (campaign_id, at, watermark)
       SELECT $1, $2, $3 WHERE $3 > 0 AND NOT EXISTS (SELECT 1 FROM pass_progress_sample WHERE campaign_id = $1 AND watermark >= $3)
       ON CONFLICT DO NOTHING`,
      [c.campaignId, c.progressAt, c.sentWatermark],
    );
    await ctx.query(`DELETE FROM pass_progress_sample WHERE campaign_id = $1 AND at < $2::timestamptz - ($3 || ' seconds')::interval`, [
      c.campaignId,
      c.progressAt,
      String(keepSeconds),
    ]);
  }

  /** Ops: pauses the campaign's sending; undefined for an unknown campaign. */
  pause(ctx: TxContext, campaignId: string): Promise<CampaignControls | undefined> {
    return this.setControls(ctx, campaignId, 'paused = true', []);
  }

  /** Ops: resumes sending; the queue waits from `at` on (a paused period is not a stall of the channel to extrapolate). */
  resume(ctx: TxContext, campaignId: string, at: Date): Promise<CampaignControls | undefined> {
    return this.setControls(
      ctx,
      campaignId,
      'paused = false, progress_at = CASE WHEN paused THEN greatest(progress_at, $2) ELSE progress_at END',
      [at],
    );
  }

  /** Ops: the campaign's send rate (null: the service default). */
  setRate(ctx: TxContext, campaignId: string, perSecond: number | null): Promise<CampaignControls | undefined> {
    return this.setControls(ctx, campaignId, 'rate_per_second = $2', [perSecond]);
  }

  private async setControls(ctx: TxContext, campaignId: string, set: string, params: unknown[]): Promise<CampaignControls | undefined> {
    const [changed] = await ctx.query<CampaignControls>(
      `UPDATE pass_campaign SET ${set} WHERE campaign_id = $1 RETURNING campaign_id, paused, rate_per_second`,
      [campaignId, ...params],
    );
    return changed;
  }
}
