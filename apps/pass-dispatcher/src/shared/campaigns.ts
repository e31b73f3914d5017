import { EtaModel, etaModel, measuredRate } from '@platform/rules';

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

/** Campaigns (all, or those given), ordered by id. */
export async function loadCampaigns(q: Queryable, ids?: string[], opts: { waiting?: boolean } = {}): Promise<PassCampaign[]> {
  const rows = (await q.query(
    `SELECT * FROM pass_campaign WHERE ($1::text[] IS NULL OR campaign_id = ANY($1))
        AND (NOT $2 OR reserved > sent_watermark) ORDER BY campaign_id`,
    [ids ?? null, opts.waiting ?? false],
  )) as Row[];
  return rows.map(toCampaign);
}

/** The allowed send rate of a campaign: its ops setting, else the service default. */
export const allowedRate = (c: PassCampaign, defaultRate: number): number => c.ratePerSecond ?? defaultRate;

/** Watermark samples of the last window of progress (see libs/rules passes/eta.ts). */
export async function progressSamples(q: Queryable, c: PassCampaign, windowMs: number): Promise<{ at: Date; watermark: number }[]> {
  const rows = (await q.query(
    `SELECT at, watermark FROM pass_progress_sample WHERE campaign_id = $1 AND at >= $2::timestamptz - ($3 || ' milliseconds')::interval ORDER BY at`,
    [c.campaignId, c.progressAt, String(windowMs)],
  )) as { at: Date; watermark: number }[];
  return rows.map((r) => ({ at: new Date(r.at), watermark: r.watermark }));
}

/** The delivery-time model of a campaign now (rate measured while progressing, plus the current stall). */
export async function campaignEtaModel(
  q: Queryable,
  c: PassCampaign,
  now: Date,
  o: { windowMs: number; defaultRate: number },
): Promise<EtaModel> {
  const samples = await progressSamples(q, c, o.windowMs);
  return etaModel({
    now,
    watermark: c.sentWatermark,
    reserved: c.reserved,
    progressAt: c.progressAt,
    measuredRatePerSecond: measuredRate(samples, o.windowMs),
    allowedRatePerSecond: allowedRate(c, o.defaultRate),
  });
}

/** SQL for a pass's estimated delivery under a model ($base, $watermark, $msPerSlot), same rounding as estimateDeliveryAt. */
export const ETA_SQL = (base: string, watermark: string, msPerSlot: string): string =>
  `(${base}::timestamptz + ceil(greatest(1, slot - ${watermark}::int) * ${msPerSlot}::float8) * interval '1 millisecond')`;

/**
 * Rows of a query result. TypeORM's postgres driver returns `[rows, rowCount]` for UPDATE and
 * DELETE (RETURNING included) but plain rows for SELECT and INSERT; this accepts both.
 */
export function rowsOf<T>(result: unknown): T[] {
  if (Array.isArray(result) && result.length === 2 && Array.isArray(result[0]) && typeof result[1] === 'number') return result[0] as T[];
  return result as T[];
}

/** A query whose RETURNING rows are wanted, whatever the statement kind. */
export async function returning<T>(q: Queryable, sql: string, params: unknown[]): Promise<T[]> {
  return rowsOf<T>(await q.query(sql, params));
}
