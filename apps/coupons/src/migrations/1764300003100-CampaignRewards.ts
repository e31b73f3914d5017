import { MigrationInterface, QueryRunner } from 'typeorm';

/** Campaign coupon rewards from compensation.campaign.defined.v1: the fallback for decisions without `rewards`. */
export class CampaignRewards1764300003100 implements MigrationInterface {
  name = 'CampaignRewards1764300003100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE campaign_reward (
        campaign_id text PRIMARY KEY,
        -- rewards.coupons of the definition; NULL: the campaign offers no coupons
        coupons jsonb,
        defined_at timestamptz NOT NULL,
        received_at timestamptz NOT NULL
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE campaign_reward`);
  }
}
