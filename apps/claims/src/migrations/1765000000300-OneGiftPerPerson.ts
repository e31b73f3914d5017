import { sqlMigration } from '@platform/messaging';

/**
 * One gift per person (campaign option onePerPerson): at most one ACCEPTED claim per phone key per
 * campaign, enforced by the database like the per-account rule, so two accounts of one person
 * racing on two partitions (or two replicas) cannot both be accepted. The flag is stored per claim
 * (the campaign's option at decision time), so claims decided before stay as they were.
 */
export class OneGiftPerPerson1765000000300 extends sqlMigration('OneGiftPerPerson1765000000300', {
  up: [
    `ALTER TABLE claim ADD COLUMN one_per_person boolean NOT NULL DEFAULT false`,
    `CREATE UNIQUE INDEX claim_one_per_person ON claim (campaign_id, phone_hash) WHERE status = 'ACCEPTED' AND one_per_person`,
    // The 2023 campaign turns it on (a documented choice, apps/claims/src/campaigns/default-campaign.ts).
    `UPDATE campaign SET definition = jsonb_set(definition, '{onePerPerson}', 'true'::jsonb)
        WHERE campaign_id = 'kakao-2023-heart-pack' AND NOT (definition ? 'onePerPerson')`,
  ],
  down: [`DROP INDEX claim_one_per_person`, `ALTER TABLE claim DROP COLUMN one_per_person`],
}) {}
