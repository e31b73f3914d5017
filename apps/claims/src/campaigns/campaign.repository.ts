import { Injectable } from '@nestjs/common';
import { DataSource, EntityManager } from 'typeorm';
import { CampaignDefinition } from '@platform/contracts';

export interface CampaignRow {
  campaignId: string;
  definition: CampaignDefinition;
  opensAt: Date;
  closesAt: Date;
  createdAt: Date;
}

export function insertCampaignSql(c: CampaignDefinition): { sql: string; params: unknown[] } {
  return {
    sql: `INSERT INTO campaign (campaign_id, definition, opens_at, closes_at) VALUES ($1, $2, $3, $4)
          ON CONFLICT (campaign_id) DO NOTHING RETURNING campaign_id`,
    params: [c.campaignId, JSON.stringify(c), c.opensAt, c.closesAt],
  };
}

const toRow = (r: {
  campaign_id: string;
  definition: CampaignDefinition;
  opens_at: Date;
  closes_at: Date;
  created_at: Date;
}): CampaignRow => ({
  campaignId: r.campaign_id,
  definition: r.definition,
  opensAt: new Date(r.opens_at),
  closesAt: new Date(r.closes_at),
  createdAt: new Date(r.created_at),
});

@Injectable()
export class CampaignRepository {
  constructor(private readonly ds: DataSource) {}

  /** Inserts a new campaign; false when the id is taken (campaigns are immutable once defined). */
  async insert(m: EntityManager, c: CampaignDefinition): Promise<boolean> {
    const { sql, params } = insertCampaignSql(c);
    const rows = (await m.query(sql, params)) as unknown[];
    return rows.length === 1;
  }

  async findMany(m: EntityManager | DataSource, ids: string[]): Promise<Map<string, CampaignRow>> {
    const rows = (await m.query(`SELECT * FROM campaign WHERE campaign_id = ANY($1)`, [ids])) as Parameters<typeof toRow>[0][];
    return new Map(rows.map((r) => [r.campaign_id, toRow(r)]));
  }

  async list(): Promise<CampaignRow[]> {
    const rows = (await this.ds.query(`SELECT * FROM campaign ORDER BY opens_at, campaign_id`)) as Parameters<typeof toRow>[0][];
    return rows.map(toRow);
  }

  /** Locks and returns campaigns not yet announced to other services. */
  async takeUnannounced(m: EntityManager): Promise<CampaignRow[]> {
    const rows = (await m.query(
      `SELECT * FROM campaign WHERE announced_at IS NULL ORDER BY created_at FOR UPDATE SKIP LOCKED`,
    )) as Parameters<typeof toRow>[0][];
    return rows.map(toRow);
  }

  async markAnnounced(m: EntityManager, ids: string[], at: Date): Promise<void> {
    await m.query(`UPDATE campaign SET announced_at = $2 WHERE campaign_id = ANY($1)`, [ids, at]);
  }
}
