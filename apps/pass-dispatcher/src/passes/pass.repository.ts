import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';

/** A pass row as the ops view shows it. */
export interface PassRow {
  pass_id: string;
  campaign_id: string;
  slot: number;
  claim_id: string;
  claimed_at: Date;
  reserved_at: Date;
  notice_deadline: Date;
  sent_at: Date | null;
  register_by: Date | null;
  notice_at: Date | null;
  notice_eta: Date | null;
  notice_trigger: string | null;
  registered_at: Date | null;
  valid_until: Date | null;
  expired_at: Date | null;
}

export interface SoldOutRow {
  claim_id: string;
  campaign_id: string;
  decided_at: Date;
}

/** Reads of `pass` and `pass_sold_out` for the ops view and the queue metrics (on the pool). */
@Injectable()
export class PassRepository {
  constructor(private readonly ds: DataSource) {}

  /** An account's passes, in reservation order. */
  async byAccount(accountId: string): Promise<PassRow[]> {
    return (await this.ds.query(`SELECT * FROM pass WHERE account_id = $1 ORDER BY reserved_at, slot`, [accountId])) as PassRow[];
  }

  /** An account's claims that came past a cap. */
  async soldOutByAccount(accountId: string): Promise<SoldOutRow[]> {
    return (await this.ds.query(`SELECT claim_id, campaign_id, decided_at FROM pass_sold_out WHERE account_id = $1`, [
      accountId,
    ])) as SoldOutRow[];
  }

  /** Delay notices sent, per campaign and trigger. */
  async noticeCounts(): Promise<{ campaignId: string; trigger: string; count: number }[]> {
    const rows = (await this.ds.query(
      `SELECT campaign_id, notice_trigger, count(*)::bigint AS n FROM pass WHERE notice_at IS NOT NULL GROUP BY 1, 2`,
    )) as { campaign_id: string; notice_trigger: string; n: string }[];
    return rows.map((r) => ({ campaignId: r.campaign_id, trigger: r.notice_trigger, count: Number(r.n) }));
  }

  /** When the claim of the campaign's pass at `slot` was made; undefined when there is none. */
  async claimedAt(campaignId: string, slot: number): Promise<Date | undefined> {
    const [row] = (await this.ds.query(`SELECT claimed_at FROM pass WHERE campaign_id = $1 AND slot = $2`, [campaignId, slot])) as {
      claimed_at: Date;
    }[];
    return row ? new Date(row.claimed_at) : undefined;
  }
}
