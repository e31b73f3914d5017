import { sqlMigration } from '@platform/messaging';

/**
 * The cost ledger (GET /v1/campaigns/:campaignId/cost) is computed from the timeline's stored events,
 * which are already kept once by natural key; it adds the campaign definitions (budget, unit values,
 * from compensation.campaign.defined.v1) and the indexes that find one campaign's events.
 */
export class CostLedger1765000006500 extends sqlMigration('CostLedger1765000006500', {
  up: [
    `
      CREATE TABLE cost_campaign (
        campaign_id text PRIMARY KEY,
        definition jsonb NOT NULL,
        -- the newest announcement wins (an older one redelivered changes nothing)
        defined_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL
      )`,
    // grants carry their campaign; redemptions and coupon expiries reach it through the coupon's issue
    `CREATE INDEX timeline_event_by_campaign ON timeline_event (topic, (payload->>'campaignId'))`,
    // a campaign known only from its decisions (its announcement left Kafka's retention before this service read it)
    `CREATE INDEX claim_decision_by_campaign ON claim_decision (campaign_id, decided_at)`,
  ],
  down: [`DROP INDEX claim_decision_by_campaign`, `DROP INDEX timeline_event_by_campaign`, `DROP TABLE cost_campaign`],
}) {}
