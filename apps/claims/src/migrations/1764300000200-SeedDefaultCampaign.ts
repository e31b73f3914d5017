import { MigrationInterface, QueryRunner } from 'typeorm';
import { KAKAO_2023_HEART_PACK } from '../campaigns/default-campaign';
import { insertCampaignSql } from '../campaigns/campaign.repository';

/** Seeds the 2023 campaign; the service announces it on compensation.campaign.defined.v1 at boot. */
export class SeedDefaultCampaign1764300000200 implements MigrationInterface {
  name = 'SeedDefaultCampaign1764300000200';

  async up(q: QueryRunner): Promise<void> {
    const { sql, params } = insertCampaignSql(KAKAO_2023_HEART_PACK);
    await q.query(sql, params);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM campaign WHERE campaign_id = $1`, [KAKAO_2023_HEART_PACK.campaignId]);
  }
}
