import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CampaignDefined, definitionReplacesSql } from '@platform/contracts';
import { ReliefProgramme } from '@platform/rules';

export interface KnownCampaign {
  campaignId: string;
  relief: ReliefProgramme | null;
}

@Injectable()
export class CampaignRepository {
  /**
   * Stores campaign definitions, at most one per campaign (newestDefinitions: ON CONFLICT DO UPDATE
   * may touch a row only once per statement). A definition at least as new as the stored one
   * replaces it (definitionReplacesSql); an older one changes nothing, and neither does the same
   * definition again (the claims service re-announces after crashes), so the count is of real changes.
   */
  async upsert(m: EntityManager, rows: CampaignDefined[], now: Date): Promise<number> {
    if (rows.length === 0) return 0;
    const changed = (await m.query(
      `INSERT INTO campaign (campaign_id, definition, relief, defined_at, received_at)
       SELECT t.id, t.def, NULLIF(t.def -> 'relief', 'null'::jsonb), t.defined_at, $4
         FROM unnest($1::text[], $2::jsonb[], $3::timestamptz[]) AS t(id, def, defined_at)
       ON CONFLICT (campaign_id) DO UPDATE
          SET definition = EXCLUDED.definition, relief = EXCLUDED.relief, defined_at = EXCLUDED.defined_at, received_at = EXCLUDED.received_at
        WHERE ${definitionReplacesSql('campaign')} AND campaign.definition IS DISTINCT FROM EXCLUDED.definition
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
