// I4: pass slots are unique, contiguous from 1, never above the cap; one pass per accepted claim
// until the cap, SOLD_OUT after it.
import { campaignFilter } from '../db';
import { cursor, describeDiff, diffKeyCounts, fingerprint, fingerprintSql, sameFingerprint } from '../fingerprint';
import { AuditContext, CheckOutcome, InvariantCheck, num, skipped } from './types';

/**
 * Per campaign, one statement: slot statistics (contiguity is max(slot) = count(*) = count(DISTINCT
 * slot) with min 1), the counter, sold-out rows, and claims that got both a pass and SOLD_OUT.
 */
export const I4_SLOTS_SQL = `
  SELECT pc.campaign_id, pc.cap, pc.reserved, pc.sold_out AS sold_out_counter,
         p.n, p.distinct_slots, p.min_slot, p.max_slot, p.distinct_claims, s.n AS sold_out_rows, b.n AS both_rows
    FROM pass_campaign pc
    CROSS JOIN LATERAL (SELECT count(*) AS n, count(DISTINCT slot) AS distinct_slots, min(slot) AS min_slot,
                               max(slot) AS max_slot, count(DISTINCT claim_id) AS distinct_claims
                          FROM pass WHERE campaign_id = pc.campaign_id) p
    CROSS JOIN LATERAL (SELECT count(*) AS n FROM pass_sold_out WHERE campaign_id = pc.campaign_id) s
    CROSS JOIN LATERAL (SELECT count(*) AS n FROM pass x JOIN pass_sold_out y USING (claim_id)
                         WHERE x.campaign_id = pc.campaign_id) b
   WHERE ${campaignFilter('pc.campaign_id', 1)}
   ORDER BY pc.campaign_id`;

/** Accepted claims of campaigns that offer a pass: each must have a pass or a SOLD_OUT, once. */
export const I4_OWED_SQL = fingerprintSql(
  `c.claim_id::text`,
  `FROM claim c JOIN campaign k ON k.campaign_id = c.campaign_id
    WHERE c.status = 'ACCEPTED' AND jsonb_typeof(k.definition->'rewards'->'pass') = 'object' AND ${campaignFilter('c.campaign_id', 1)}`,
);
export const I4_DECIDED_SQL = fingerprintSql(
  `claim_id`,
  `FROM (SELECT claim_id FROM pass WHERE ${campaignFilter('campaign_id', 1)}
         UNION ALL SELECT claim_id FROM pass_sold_out WHERE ${campaignFilter('campaign_id', 1)}) u`,
);
const OWED_PER_CLAIM = `SELECT c.claim_id::text AS k, 1 AS n FROM claim c JOIN campaign k ON k.campaign_id = c.campaign_id
    WHERE c.status = 'ACCEPTED' AND jsonb_typeof(k.definition->'rewards'->'pass') = 'object' AND ${campaignFilter('c.campaign_id', 1)}
    ORDER BY c.claim_id::text COLLATE "C"`;
const DECIDED_PER_CLAIM = `SELECT claim_id AS k, count(*) AS n FROM (SELECT claim_id FROM pass WHERE ${campaignFilter('campaign_id', 1)}
    UNION ALL SELECT claim_id FROM pass_sold_out WHERE ${campaignFilter('campaign_id', 1)}) u GROUP BY claim_id ORDER BY claim_id COLLATE "C"`;

interface SlotRow {
  campaign_id: string;
  cap: number;
  reserved: number;
  sold_out_counter: string;
  n: string;
  distinct_slots: string;
  min_slot: number | null;
  max_slot: number | null;
  distinct_claims: string;
  sold_out_rows: string;
  both_rows: string;
}

export const i4PassSlots: InvariantCheck = {
  id: 'I4',
  name: 'pass slots unique, contiguous from 1, within the cap; SOLD_OUT only after the cap',
  async run(ctx: AuditContext): Promise<CheckOutcome> {
    const db = ctx.dbs.get('passes');
    const why = await db.why('pass_campaign', 'pass', 'pass_sold_out');
    if (why) return skipped(why);
    const rows = await db.query<SlotRow>(I4_SLOTS_SQL, [ctx.campaignId]);
    const problems: string[] = [];
    let passes = 0;
    let soldOut = 0;
    for (const r of rows) {
      const n = num(r.n);
      const so = num(r.sold_out_rows);
      passes += n;
      soldOut += so;
      const c = r.campaign_id;
      if (num(r.distinct_slots) !== n) problems.push(`${c}: ${n - num(r.distinct_slots)} duplicate slots`);
      if (n > 0 && (r.min_slot !== 1 || r.max_slot !== num(r.distinct_slots))) {
        problems.push(`${c}: slots not contiguous from 1 (min ${r.min_slot}, max ${r.max_slot}, ${num(r.distinct_slots)} distinct)`);
      }
      if ((r.max_slot ?? 0) > r.cap) problems.push(`${c}: slot ${r.max_slot} above the cap ${r.cap}`);
      if (n > r.cap) problems.push(`${c}: ${n} passes for a cap of ${r.cap}`);
      if (r.reserved !== n) problems.push(`${c}: counter says ${r.reserved} reserved, ${n} passes exist`);
      if (num(r.distinct_claims) !== n) problems.push(`${c}: ${n - num(r.distinct_claims)} claims with more than one pass`);
      if (so > 0 && n < r.cap) problems.push(`${c}: ${so} SOLD_OUT while only ${n} of ${r.cap} passes were reserved`);
      if (num(r.both_rows) > 0) problems.push(`${c}: ${num(r.both_rows)} claims got a pass and SOLD_OUT`);
      if (num(r.sold_out_counter) !== so) problems.push(`${c}: sold-out counter ${num(r.sold_out_counter)} but ${so} SOLD_OUT rows`);
    }
    const counts: CheckOutcome['counts'] = { campaigns: rows.length, passes, soldOut };
    const claims = ctx.dbs.get('claims');
    const claimsWhy = await claims.why('claim', 'campaign');
    if (!claimsWhy) {
      const [owed, decided] = await Promise.all([
        fingerprint(claims, I4_OWED_SQL, [ctx.campaignId]),
        fingerprint(db, I4_DECIDED_SQL, [ctx.campaignId]),
      ]);
      counts.acceptedWithPassOffer = owed.n;
      if (!sameFingerprint(owed, decided)) {
        let text = `${owed.n} accepted claims in campaigns with a pass, ${decided.n} passes + SOLD_OUT`;
        if (ctx.diagnose) {
          const d = await diffKeyCounts(cursor(claims, OWED_PER_CLAIM, [ctx.campaignId]), cursor(db, DECIDED_PER_CLAIM, [ctx.campaignId]));
          text += `; ${describeDiff(d, 'claims')}`;
          counts.claimsWithoutPassDecision = d.missing;
          counts.passDecisionsWithoutAcceptedClaim = d.unexpected;
          counts.claimsDecidedTwice = d.wrongCount;
        }
        problems.push(text);
      }
    }
    const ok = problems.length === 0;
    return {
      ok,
      detail: ok
        ? `${passes} passes in ${rows.length} campaigns, slots 1..n without gaps or duplicates, ${soldOut} SOLD_OUT after the cap${claimsWhy ? ` (claims not compared: ${claimsWhy})` : ', one decision per accepted claim'}`
        : problems.slice(0, 10).join('; '),
      counts,
    };
  },
};
