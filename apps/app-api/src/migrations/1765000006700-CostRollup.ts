import { sqlMigration } from '@platform/messaging';

/**
 * The cost ledger read its counts by scanning a campaign's events in timeline_event at every
 * request: about 7 s for 2 million events here, minutes for the 2023 campaign's ~100 million. Now a
 * statement trigger on timeline_event keeps per-day counts as events are stored. It sees only the
 * rows an INSERT really added (the table keeps each event once by natural key, ON CONFLICT DO
 * NOTHING), in the same transaction, so redelivery and replays still change nothing.
 *   - cost_rollup: packs granted, passes reserved and sent, coupons issued (with face value), per
 *     campaign, item and KST day; one row per database backend (`shard`), so two consumers'
 *     transactions never wait for each other's row;
 *   - cost_coupon_outcome: one row per coupon redeemed or expired. Those events name no campaign:
 *     the trigger takes it from the coupon's issue if stored, an issue stored later fills it in, and
 *     a read resolves the few left open (both stored at once, neither saw the other).
 */
export class CostRollup1765000006700 extends sqlMigration('CostRollup1765000006700', {
  up: [
    `
      CREATE TABLE cost_rollup (
        campaign_id text NOT NULL,
        measure text NOT NULL CHECK (measure IN ('EMOTICON_GRANTED', 'PASS_RESERVED', 'PASS_SENT', 'COUPON_ISSUED')),
        -- emoticonId, 'pass', or the coupon's face value
        item text NOT NULL,
        -- the calendar day in Asia/Seoul
        day date NOT NULL,
        shard integer NOT NULL,
        events bigint NOT NULL,
        face_won bigint NOT NULL,
        PRIMARY KEY (campaign_id, measure, item, day, shard)
      )`,
    `
      CREATE TABLE cost_coupon_outcome (
        coupon_id text NOT NULL,
        outcome text NOT NULL CHECK (outcome IN ('REDEEMED', 'EXPIRED')),
        -- the first such answer (a second REDEEMED for one coupon is not a second cost)
        at timestamptz NOT NULL,
        campaign_id text,
        face_won bigint,
        PRIMARY KEY (coupon_id, outcome),
        CHECK ((campaign_id IS NULL) = (face_won IS NULL))
      )`,
    `CREATE INDEX cost_coupon_outcome_by_campaign ON cost_coupon_outcome (campaign_id) WHERE campaign_id IS NOT NULL`,
    `CREATE INDEX cost_coupon_outcome_open ON cost_coupon_outcome (coupon_id) WHERE campaign_id IS NULL`,
    `
      CREATE FUNCTION cost_ledger_apply() RETURNS trigger LANGUAGE plpgsql AS $fn$
      BEGIN
        ${rollup('new_events')}
        ${outcomes('new_events')}
        UPDATE cost_coupon_outcome o SET campaign_id = n.payload->>'campaignId', face_won = (n.payload->>'amountWon')::bigint
          FROM new_events n
         WHERE n.topic = 'couponIssued' AND o.coupon_id = n.natural_key AND o.campaign_id IS NULL;
        RETURN NULL;
      END
      $fn$`,
    // Created before the backfill, in one transaction: its lock holds inserts back until both are
    // committed, so every event is counted by exactly one of the two.
    `
      CREATE TRIGGER cost_ledger AFTER INSERT ON timeline_event
        REFERENCING NEW TABLE AS new_events FOR EACH STATEMENT EXECUTE FUNCTION cost_ledger_apply()`,
    rollup('timeline_event'),
    outcomes('timeline_event'),
    // the read no longer scans events by campaign
    `DROP INDEX timeline_event_by_campaign`,
  ],
  down: [
    `CREATE INDEX timeline_event_by_campaign ON timeline_event (topic, (payload->>'campaignId'))`,
    `DROP TRIGGER cost_ledger ON timeline_event`,
    `DROP FUNCTION cost_ledger_apply()`,
    `DROP TABLE cost_coupon_outcome`,
    `DROP TABLE cost_rollup`,
  ],
}) {}

/** Adds the counted events of `source` to cost_rollup (grouped and in key order: one update per row, no lock-order cycles). */
function rollup(source: string): string {
  return `
    INSERT INTO cost_rollup AS c (campaign_id, measure, item, day, shard, events, face_won)
    SELECT campaign_id, measure, item, day, pg_backend_pid(), count(*), sum(face)
      FROM (SELECT payload->>'campaignId' AS campaign_id,
                   CASE topic WHEN 'entitlementGranted' THEN 'EMOTICON_GRANTED' WHEN 'passReserved' THEN 'PASS_RESERVED'
                              WHEN 'passSent' THEN 'PASS_SENT' ELSE 'COUPON_ISSUED' END AS measure,
                   CASE topic WHEN 'entitlementGranted' THEN payload->>'emoticonId' WHEN 'couponIssued' THEN payload->>'amountWon'
                              ELSE 'pass' END AS item,
                   (occurred_at AT TIME ZONE 'Asia/Seoul')::date AS day,
                   CASE topic WHEN 'couponIssued' THEN (payload->>'amountWon')::bigint ELSE 0 END AS face
              FROM ${source}
             WHERE topic IN ('entitlementGranted', 'passReserved', 'passSent', 'couponIssued')) e
     GROUP BY campaign_id, measure, item, day
     ORDER BY campaign_id, measure, item, day
    ON CONFLICT (campaign_id, measure, item, day, shard)
      DO UPDATE SET events = c.events + EXCLUDED.events, face_won = c.face_won + EXCLUDED.face_won;`;
}

/** Records coupons redeemed or expired in `source`, with their campaign and face value when the issue is stored. */
function outcomes(source: string): string {
  return `
    INSERT INTO cost_coupon_outcome AS o (coupon_id, outcome, at, campaign_id, face_won)
    SELECT x.coupon_id, x.outcome, min(x.at), min(i.payload->>'campaignId'), min((i.payload->>'amountWon')::bigint)
      FROM (SELECT payload->>'couponId' AS coupon_id, 'REDEEMED' AS outcome, occurred_at AS at
              FROM ${source} WHERE topic = 'couponRedemptionDecided' AND payload->>'status' = 'REDEEMED'
            UNION ALL
            SELECT natural_key, 'EXPIRED', occurred_at FROM ${source} WHERE topic = 'couponExpired') x
      LEFT JOIN timeline_event i ON i.topic = 'couponIssued' AND i.natural_key = x.coupon_id
     GROUP BY x.coupon_id, x.outcome
     ORDER BY x.coupon_id, x.outcome
    ON CONFLICT (coupon_id, outcome) DO UPDATE
      SET at = LEAST(o.at, EXCLUDED.at), campaign_id = coalesce(o.campaign_id, EXCLUDED.campaign_id),
          face_won = coalesce(o.face_won, EXCLUDED.face_won);`;
}
