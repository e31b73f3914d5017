import { sqlMigration } from '@platform/messaging';

/** Campaign coupon rewards from compensation.campaign.defined.v1: the fallback for decisions without `rewards`. */
export class CampaignRewards1764300003100 extends sqlMigration('CampaignRewards1764300003100', {
  up: [
    `
      CREATE TABLE campaign_reward (
        campaign_id text PRIMARY KEY,
        -- rewards.coupons of the definition; NULL: the campaign offers no coupons
        coupons jsonb,
        defined_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL
      )`,
  ],
  down: [`DROP TABLE campaign_reward`],
}) {}
