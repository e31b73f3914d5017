import { sqlMigration } from '@platform/messaging';
import { KAKAO_2023_HEART_PACK } from '../campaigns/default-campaign';
import { insertCampaignSql } from '../campaigns/campaign.repository';

/** Seeds the 2023 campaign; the service announces it on compensation.campaign.defined.v1 at boot. */
export class SeedDefaultCampaign1764300000200 extends sqlMigration('SeedDefaultCampaign1764300000200', {
  up: [insertCampaignSql(KAKAO_2023_HEART_PACK)],
  down: [{ sql: `DELETE FROM campaign WHERE campaign_id = $1`, params: [KAKAO_2023_HEART_PACK.campaignId] }],
}) {}
