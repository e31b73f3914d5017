// What both drills check after the load: every accepted claim has exactly its grants, and every
// outbox is empty. Counted in each service's own database, as the audit does.
import { Client } from 'pg';
import { CampaignDefinition } from '@platform/contracts';
import { waitFor } from '@platform/testing';

export interface GrantFaults {
  entitlementsMissing: number;
  entitlementsDoubled: number;
  couponsMissing: number;
  couponsDoubled: number;
  passesMissing: number;
  passesDoubled: number;
}

export interface DrillDbs {
  claims: Client;
  emoticons: Client;
  coupons: Client;
  passes: Client;
}

export async function scalar(db: Client, sql: string, params: unknown[] = []): Promise<number> {
  const r = await db.query<{ n: string }>(sql, params);
  return Number(r.rows[0]?.n ?? 0);
}

export const totalFaults = (g: GrantFaults): number =>
  g.entitlementsMissing + g.entitlementsDoubled + g.couponsMissing + g.couponsDoubled + g.passesMissing + g.passesDoubled;

/**
 * Waits (up to `timeoutMs`) until every accepted claim of the campaign has its packs, its coupons
 * when a member, and a pass or a sold-out answer; returns what is still missing or doubled then.
 */
export async function awaitGrants(
  dbs: DrillDbs,
  campaign: CampaignDefinition,
  timeoutMs: number,
): Promise<{ accepted: number; grants: GrantFaults }> {
  const accepted = (
    await dbs.claims.query<{ claim_id: string; makers_member: boolean }>(
      `SELECT claim_id::text, makers_member FROM claim WHERE campaign_id = $1 AND status = 'ACCEPTED'`,
      [campaign.campaignId],
    )
  ).rows;
  const ids = accepted.map((a) => a.claim_id);
  const members = new Set(accepted.filter((a) => a.makers_member).map((a) => a.claim_id));
  const nE = campaign.rewards.emoticons.length;
  const nC = campaign.rewards.coupons?.amountsWon.length ?? 0;
  const grants: GrantFaults = {
    entitlementsMissing: 0,
    entitlementsDoubled: 0,
    couponsMissing: 0,
    couponsDoubled: 0,
    passesMissing: 0,
    passesDoubled: 0,
  };
  const per = async (db: Client, sql: string) =>
    new Map((await db.query<{ claim_id: string; n: string }>(sql, [ids])).rows.map((r) => [r.claim_id, Number(r.n)]));
  const count = async (): Promise<boolean> => {
    const e = await per(dbs.emoticons, `SELECT claim_id, count(*) AS n FROM entitlement WHERE claim_id = ANY($1) GROUP BY claim_id`);
    const c = await per(dbs.coupons, `SELECT claim_id, count(*) AS n FROM coupon WHERE claim_id = ANY($1) GROUP BY claim_id`);
    const p = await per(
      dbs.passes,
      `SELECT claim_id, count(*) AS n FROM (SELECT claim_id FROM pass WHERE claim_id = ANY($1) UNION ALL SELECT claim_id FROM pass_sold_out WHERE claim_id = ANY($1)) x GROUP BY claim_id`,
    );
    grants.entitlementsMissing = ids.filter((id) => (e.get(id) ?? 0) < nE).length;
    grants.entitlementsDoubled = ids.filter((id) => (e.get(id) ?? 0) > nE).length;
    grants.couponsMissing = ids.filter((id) => (c.get(id) ?? 0) < (members.has(id) ? nC : 0)).length;
    grants.couponsDoubled = ids.filter((id) => (c.get(id) ?? 0) > (members.has(id) ? nC : 0)).length;
    grants.passesMissing = ids.filter((id) => (p.get(id) ?? 0) < 1).length;
    grants.passesDoubled = ids.filter((id) => (p.get(id) ?? 0) > 1).length;
    return grants.entitlementsMissing + grants.couponsMissing + grants.passesMissing === 0;
  };
  await waitFor('grants complete', count, timeoutMs, 1000).catch(() => undefined);
  await count();
  return { accepted: accepted.length, grants };
}

/** Waits until every service's outbox is empty; returns the rows left after `timeoutMs`. */
export async function awaitOutboxesEmpty(dbs: DrillDbs, timeoutMs: number): Promise<number> {
  let left = 0;
  await waitFor(
    'outboxes empty',
    async () => {
      left = 0;
      for (const db of Object.values(dbs)) left += await scalar(db, 'SELECT count(*) AS n FROM outbox_message');
      return left === 0;
    },
    timeoutMs,
    1000,
  ).catch(() => undefined);
  return left;
}
