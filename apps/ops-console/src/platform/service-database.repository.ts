import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { Pool } from 'pg';
import { databaseUrl } from '@platform/persistence';
import { CONSOLE_CONFIG } from '../tokens';
import type { ConsoleConfig } from '../config';

export type ServiceDbName = 'claims' | 'emoticons' | 'coupons' | 'passes' | 'relief';

export interface GrantCounts {
  emoticons: Record<string, { total: number; byPack: Record<string, number>; activated: number }>;
  coupons: Record<string, { total: number; byAmountWon: Record<string, number>; redeemed: number }>;
}

export interface OldestUnsent {
  campaignId: string;
  slot: number | null;
  claimedAt: string | null;
  /** The campaign's delay-notice threshold (R8: three days by default). */
  boundSeconds: number;
}

export interface ParkedCount {
  service: ServiceDbName;
  topic: string;
  reason: string;
  count: number;
}

const MISSING_TABLE = '42P01';

/**
 * Read-only access to the services' databases for what their APIs do not report: grants per
 * campaign, the oldest unsent pass, and the last-resort `parked_message` rows. Connects as whoever
 * DATABASE_URL names (audit_reader under `npm start`); small pools with a statement timeout, so a
 * slow database slows the console's sample, never the services.
 */
@Injectable()
export class ServiceDatabaseRepository implements OnModuleDestroy {
  private readonly log = new Logger('ServiceDatabases');
  private readonly pools = new Map<ServiceDbName, Pool>();

  constructor(@Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig) {}

  private names(): Record<ServiceDbName, string> {
    const c = this.config;
    return { claims: c.CLAIMS_DB, emoticons: c.EMOTICONS_DB, coupons: c.COUPONS_DB, passes: c.PASSES_DB, relief: c.RELIEF_DB };
  }

  private pool(db: ServiceDbName): Pool {
    let p = this.pools.get(db);
    if (!p) {
      p = new Pool({
        connectionString: databaseUrl(this.config.DATABASE_URL, this.names()[db]),
        max: 2,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 3000,
        statement_timeout: 10_000,
        application_name: 'ops-console',
      });
      p.on('error', (e) => this.log.warn(`${db} pool: ${e.message}`));
      this.pools.set(db, p);
    }
    return p;
  }

  private async rows<T>(db: ServiceDbName, sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.pool(db).query(sql, params)).rows as T[];
  }

  async grants(): Promise<GrantCounts> {
    const [emoticons, coupons] = await Promise.all([
      this.rows<{ campaign_id: string; emoticon_id: string; n: string; activated: string }>(
        'emoticons',
        `SELECT campaign_id, emoticon_id, count(*)::bigint AS n, count(first_downloaded_at)::bigint AS activated
           FROM entitlement GROUP BY 1, 2`,
      ),
      this.rows<{ campaign_id: string; amount_won: number; n: string; redeemed: string }>(
        'coupons',
        `SELECT campaign_id, amount_won, count(*)::bigint AS n, count(redeemed_by)::bigint AS redeemed FROM coupon GROUP BY 1, 2`,
      ),
    ]);
    const out: GrantCounts = { emoticons: {}, coupons: {} };
    for (const r of emoticons) {
      const e = (out.emoticons[r.campaign_id] ??= { total: 0, byPack: {}, activated: 0 });
      e.total += Number(r.n);
      e.activated += Number(r.activated);
      e.byPack[r.emoticon_id] = Number(r.n);
    }
    for (const r of coupons) {
      const c = (out.coupons[r.campaign_id] ??= { total: 0, byAmountWon: {}, redeemed: 0 });
      c.total += Number(r.n);
      c.redeemed += Number(r.redeemed);
      c.byAmountWon[String(r.amount_won)] = Number(r.n);
    }
    return out;
  }

  /** The next pass to send of each campaign (slot watermark + 1: passes go out in slot order), through the (campaign_id, slot) index. */
  async oldestUnsent(): Promise<OldestUnsent[]> {
    const rows = await this.rows<{ campaign_id: string; bound: number; slot: number | null; claimed_at: Date | null }>(
      'passes',
      `SELECT c.campaign_id, c.delay_notice_after_seconds AS bound, p.slot, p.claimed_at
         FROM pass_campaign c LEFT JOIN pass p ON p.campaign_id = c.campaign_id AND p.slot = c.sent_watermark + 1`,
    );
    return rows.map((r) => ({
      campaignId: r.campaign_id,
      slot: r.slot,
      claimedAt: r.claimed_at ? new Date(r.claimed_at).toISOString() : null,
      boundSeconds: r.bound,
    }));
  }

  /** Messages whose dead letter could not be written (libs/messaging's last resort), per service, topic and reason. */
  async parked(): Promise<{ counts: ParkedCount[]; errors: string[] }> {
    const counts: ParkedCount[] = [];
    const errors: string[] = [];
    await Promise.all(
      (Object.keys(this.names()) as ServiceDbName[]).map(async (db) => {
        try {
          const rows = await this.rows<{ topic: string; reason: string; n: string }>(
            db,
            `SELECT topic, reason, count(*)::bigint AS n FROM parked_message GROUP BY 1, 2`,
          );
          for (const r of rows) counts.push({ service: db, topic: r.topic, reason: r.reason, count: Number(r.n) });
        } catch (e) {
          // a service that has not migrated yet has no table: nothing parked there
          if ((e as { code?: string }).code !== MISSING_TABLE) errors.push(`${db}: ${e instanceof Error ? e.message : String(e)}`);
        }
      }),
    );
    return { counts, errors };
  }

  async onModuleDestroy(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end().catch(() => undefined)));
  }
}
