import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CampaignDefined, CouponReward, definitionReplacesSql } from '@platform/contracts';

@Injectable()
export class CampaignRewardRepository {
  /** Stores definitions (one per campaign: newestDefinitions); one at least as new as the stored one replaces it (the contract's rule). */
  async upsert(m: EntityManager, definitions: CampaignDefined[], now: Date): Promise<void> {
    if (definitions.length === 0) return;
    await m.query(
      `INSERT INTO campaign_reward (campaign_id, coupons, defined_at, received_at)
       SELECT t.campaign_id, t.coupons::jsonb, t.defined_at, $4 FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS t(campaign_id, coupons, defined_at)
       ON CONFLICT (campaign_id) DO UPDATE SET coupons = EXCLUDED.coupons, defined_at = EXCLUDED.defined_at, received_at = EXCLUDED.received_at
        WHERE ${definitionReplacesSql('campaign_reward')}`,
      [
        definitions.map((d) => d.campaign.campaignId),
        definitions.map((d) => (d.campaign.rewards.coupons ? JSON.stringify(d.campaign.rewards.coupons) : null)),
        definitions.map((d) => d.definedAt),
        now,
      ],
    );
  }

  /** The coupon rewards of known campaigns (null value: known, offers no coupons). */
  async find(m: EntityManager, ids: string[]): Promise<Map<string, CouponReward | null>> {
    if (ids.length === 0) return new Map();
    const rows = (await m.query(`SELECT campaign_id, coupons FROM campaign_reward WHERE campaign_id = ANY($1::text[])`, [ids])) as {
      campaign_id: string;
      coupons: CouponReward | null;
    }[];
    return new Map(rows.map((r) => [r.campaign_id, r.coupons]));
  }
}
