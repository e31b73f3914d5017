import { Injectable } from '@nestjs/common';
import { TxContext } from '@platform/messaging';

export type LedgerKind = 'TIER_PAYMENT' | 'REVIEW_ADDITION';

export interface LedgerEntry {
  campaignId: string;
  merchantId: string;
  kind: LedgerKind;
  amountWon: number;
  /** The event that caused the entry: its key makes the entry once-only. */
  sourceEventId: string;
}

/** Entry key: one entry per kind per source event, so a replay can never count money twice. */
export const ledgerEntryKey = (e: Pick<LedgerEntry, 'kind' | 'sourceEventId'>): string => `${e.kind}:${e.sourceEventId}`;

/** The payout ledger: append-only (the database refuses updates and deletes). */
@Injectable()
export class LedgerRepository {
  /** Appends entries with a positive amount; returns how many were new. */
  async append(ctx: TxContext, entries: LedgerEntry[]): Promise<number> {
    const paying = entries.filter((e) => e.amountWon > 0);
    if (paying.length === 0) return 0;
    const col = <T>(f: (e: LedgerEntry) => T): T[] => paying.map(f);
    const rows = await ctx.query(
      `INSERT INTO payout_ledger (entry_key, campaign_id, merchant_id, kind, amount_won, source_event_id, created_at)
       SELECT t.*, $7::timestamptz FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bigint[], $6::text[]) AS t
       ON CONFLICT (entry_key) DO NOTHING RETURNING entry_id`,
      [
        col(ledgerEntryKey),
        col((e) => e.campaignId),
        col((e) => e.merchantId),
        col((e) => e.kind),
        col((e) => e.amountWon),
        col((e) => e.sourceEventId),
        ctx.now,
      ],
    );
    return rows.length;
  }
}
