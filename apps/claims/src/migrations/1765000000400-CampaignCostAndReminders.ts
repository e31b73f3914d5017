import { sqlMigration } from '@platform/messaging';

/**
 * The 2023 campaign gains its budget, unit values (cost ledger) and reminder lead times (issue 19)
 * on databases seeded before they existed; a fresh database is seeded with them already. Values are
 * written here, not imported, so this migration means the same thing whenever it runs.
 */
export class CampaignCostAndReminders1765000000400 extends sqlMigration('CampaignCostAndReminders1765000000400', {
  up: [
    `UPDATE campaign SET definition = jsonb_set(jsonb_set(jsonb_set(
           definition || '{"budgetWon": 300000000000}'::jsonb,
           '{rewards,emoticons}',
           (SELECT coalesce(jsonb_agg(e || '{"valueWon": 2500}'::jsonb
                     || CASE WHEN e->'validityDays' = 'null'::jsonb THEN '{}'::jsonb
                             ELSE '{"remindBeforeExpirySeconds": 604800}'::jsonb END ORDER BY i), '[]'::jsonb)
              FROM jsonb_array_elements(definition->'rewards'->'emoticons') WITH ORDINALITY AS x(e, i))),
           '{rewards,coupons}', (definition->'rewards'->'coupons') || '{"remindBeforeExpirySeconds": 259200}'::jsonb),
           '{rewards,pass}', (definition->'rewards'->'pass') || '{"valueWon": 1900, "remindBeforeRegistrationEndsSeconds": 259200}'::jsonb)
        WHERE campaign_id = 'kakao-2023-heart-pack' AND NOT (definition ? 'budgetWon')
          AND jsonb_typeof(definition->'rewards'->'coupons') = 'object' AND jsonb_typeof(definition->'rewards'->'pass') = 'object'`,
  ],
  // Data only: the fields are optional, so leaving them is harmless.
  down: [],
}) {}
