import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CampaignDefinition } from '@platform/contracts';
import { ReliefProgramme } from '@platform/rules';

export interface KnownCampaign {
  campaignId: string;
  relief: ReliefProgramme | null;
}

@Injectable()
export class CampaignRepository {
  /**
   * Stores campaign definitions; a newer definition of a known campaign replaces the older one,
   * an older or repeated one changes nothing (the claims service re-announces after crashes).
   */
  async upsert(m: EntityManager, defs: { campaign: CampaignDefinition; definedAt: string }[], now: Date): Promise<number> {
    // One row per campaign per statement (ON CONFLICT DO UPDATE may touch a row only once).
    const latest = new Map<string, { campaign: CampaignDefinition; definedAt: string }>();
    for (const d of defs) {
      const seen = latest.get(d.campaign.campaignId);
      if (!seen || Date.parse(d.definedAt) >= Date.parse(seen.definedAt)) latest.set(d.campaign.campaignId, d);
    }
    const rows = [...latest.values()];
    if (rows.length === 0) return 0;
    const changed = (await m.query(
      `INSERT INTO campaign (campaign_id, definition, relief, defined_at, received_at)
       SELECT t.id, t.def, NULLIF(t.def -> 'relief', 'null'::jsonb), t.defined_at, $4
         FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS t(id, def, defined_at)
       ON CONFLICT (campaign_id) DO UPDATE
          SET definition = EXCLUDED.definition, relief = EXCLUDED.relief, defined_at = EXCLUDED.defined_at, received_at = EXCLUDED.received_at
        WHERE campaign.defined_at <= EXCLUDED.defined_at AND campaign.definition IS DISTINCT FROM EXCLUDED.definition
       RETURNING campaign_id`,
      [rows.map((r) => r.campaign.campaignId), rows.map((r) => JSON.stringify(r.campaign)), rows.map((r) => r.definedAt), now],
    )) as unknown[];
    return changed.length;
  }

  async findMany(m: EntityManager, ids: string[]): Promise<Map<string, KnownCampaign>> {
    if (ids.length === 0) return new Map();
    const rows = (await m.query(`SELECT campaign_id, relief FROM campaign WHERE campaign_id = ANY($1)`, [ids])) as {
      campaign_id: string;
      relief: ReliefProgramme | null;
    }[];
    return new Map(rows.map((r) => [r.campaign_id, { campaignId: r.campaign_id, relief: r.relief }]));
  }
}
