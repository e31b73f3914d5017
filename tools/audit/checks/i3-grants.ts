// I3: every accepted claim has exactly the campaign's emoticon entitlements (3 by default), and
// exactly its coupons (2) if the claimant is a Makers member (or the coupons are not members-only),
// else none.
//
// Cross-database without moving rows: the claims database computes the multiset of what is owed
// ("claim | emoticonId" per pack, "claim | index | amount" per coupon, from each campaign's
// definition), the emoticons and coupons databases the multiset of what was granted; each side is
// one aggregate query (count + sum of 64-bit hashes, a sequential scan with no sort or hash table),
// so the check is linear in rows and runs at scan speed at tens of millions. Only on a mismatch
// are per-claim counts streamed from both sides in claim-id order and merge-joined (chunks of 100k).
import { campaignFilter } from '../db';
import { cursor, describeDiff, diffKeyCounts, fingerprint, Fingerprint, fingerprintSql, sameFingerprint } from '../fingerprint';
import { AuditContext, CheckOutcome, InvariantCheck, skipped } from './types';

const ACCEPTED = `FROM claim c JOIN campaign k ON k.campaign_id = c.campaign_id
  WHERE c.status = 'ACCEPTED' AND ${campaignFilter('c.campaign_id', 1)}`;

/** The campaign's coupon amounts this claim is owed (an empty array when none). */
const OWED_COUPONS = `CASE WHEN jsonb_typeof(k.definition->'rewards'->'coupons') = 'object'
      AND (c.makers_member OR NOT (k.definition->'rewards'->'coupons'->>'membersOnly')::boolean)
    THEN k.definition->'rewards'->'coupons'->'amountsWon' ELSE '[]'::jsonb END`;

export const I3_SQL = {
  owedEntitlements: fingerprintSql(
    `c.claim_id::text || '|' || (e->>'emoticonId')`,
    `FROM claim c JOIN campaign k ON k.campaign_id = c.campaign_id
       CROSS JOIN LATERAL jsonb_array_elements(k.definition->'rewards'->'emoticons') e
      WHERE c.status = 'ACCEPTED' AND ${campaignFilter('c.campaign_id', 1)}`,
  ),
  grantedEntitlements: fingerprintSql(`claim_id || '|' || emoticon_id`, `FROM entitlement WHERE ${campaignFilter('campaign_id', 1)}`),
  owedCoupons: fingerprintSql(
    `c.claim_id::text || '|' || (a.ord - 1) || '|' || a.amount`,
    `FROM claim c JOIN campaign k ON k.campaign_id = c.campaign_id
       CROSS JOIN LATERAL jsonb_array_elements_text(${OWED_COUPONS}) WITH ORDINALITY AS a(amount, ord)
      WHERE c.status = 'ACCEPTED' AND ${campaignFilter('c.campaign_id', 1)}`,
  ),
  issuedCoupons: fingerprintSql(`claim_id || '|' || idx || '|' || amount_won`, `FROM coupon WHERE ${campaignFilter('campaign_id', 1)}`),
  // Diagnosis only: per-claim counts in claim-id order (bytewise, so both sides sort alike).
  owedEntitlementsPerClaim: `SELECT c.claim_id::text AS k, jsonb_array_length(k.definition->'rewards'->'emoticons') AS n ${ACCEPTED}
      AND jsonb_array_length(k.definition->'rewards'->'emoticons') > 0 ORDER BY c.claim_id::text COLLATE "C"`,
  grantedEntitlementsPerClaim: `SELECT claim_id AS k, count(*) AS n FROM entitlement WHERE ${campaignFilter('campaign_id', 1)}
      GROUP BY claim_id ORDER BY claim_id COLLATE "C"`,
  owedCouponsPerClaim: `SELECT c.claim_id::text AS k, jsonb_array_length(${OWED_COUPONS}) AS n ${ACCEPTED}
      AND jsonb_array_length(${OWED_COUPONS}) > 0 ORDER BY c.claim_id::text COLLATE "C"`,
  issuedCouponsPerClaim: `SELECT claim_id AS k, count(*) AS n FROM coupon WHERE ${campaignFilter('campaign_id', 1)}
      GROUP BY claim_id ORDER BY claim_id COLLATE "C"`,
};

interface Side {
  what: string;
  service: 'emoticons' | 'coupons';
  table: string;
  owed: string;
  granted: string;
  owedPerClaim: string;
  grantedPerClaim: string;
}

const SIDES: Side[] = [
  {
    what: 'entitlements',
    service: 'emoticons',
    table: 'entitlement',
    owed: I3_SQL.owedEntitlements,
    granted: I3_SQL.grantedEntitlements,
    owedPerClaim: I3_SQL.owedEntitlementsPerClaim,
    grantedPerClaim: I3_SQL.grantedEntitlementsPerClaim,
  },
  {
    what: 'coupons',
    service: 'coupons',
    table: 'coupon',
    owed: I3_SQL.owedCoupons,
    granted: I3_SQL.issuedCoupons,
    owedPerClaim: I3_SQL.owedCouponsPerClaim,
    grantedPerClaim: I3_SQL.issuedCouponsPerClaim,
  },
];

export const i3Grants: InvariantCheck = {
  id: 'I3',
  name: 'each accepted claim has exactly its entitlements and coupons',
  async run(ctx: AuditContext): Promise<CheckOutcome> {
    const claims = ctx.dbs.get('claims');
    const why = await claims.why('claim', 'campaign');
    if (why) return skipped(why);
    const counts: CheckOutcome['counts'] = {};
    const problems: string[] = [];
    const notes: string[] = [];
    let ran = 0;
    // The owed side (claims database, one connection) and each granted side (own databases) run
    // at the same time; per side, one aggregate query.
    const owedAll = (async () => {
      const out: Fingerprint[] = [];
      for (const s of SIDES) out.push(await fingerprint(claims, s.owed, [ctx.campaignId]));
      return out;
    })();
    const grantedAll = Promise.all(
      SIDES.map(async (s) => {
        const db = ctx.dbs.get(s.service);
        const missing = await db.why(s.table);
        return missing ? { missing } : { missing: null, fp: await fingerprint(db, s.granted, [ctx.campaignId]) };
      }),
    );
    const [owedFps, grantedFps] = await Promise.all([owedAll, grantedAll]);
    for (const [i, s] of SIDES.entries()) {
      const db = ctx.dbs.get(s.service);
      const owed = owedFps[i] as Fingerprint;
      counts[`${s.what}Owed`] = owed.n;
      const g = grantedFps[i];
      if (!g || g.missing !== null || !g.fp) {
        notes.push(`${s.what} not checked (${g?.missing ?? 'unknown'})`);
        continue;
      }
      ran++;
      const granted = g.fp;
      counts[`${s.what}Granted`] = granted.n;
      if (sameFingerprint(owed, granted)) continue;
      let text = `${s.what}: ${owed.n} owed, ${granted.n} granted, contents differ`;
      if (ctx.diagnose) {
        const d = await diffKeyCounts(cursor(claims, s.owedPerClaim, [ctx.campaignId]), cursor(db, s.grantedPerClaim, [ctx.campaignId]));
        counts[`${s.what}ClaimsMissing`] = d.missing;
        counts[`${s.what}ClaimsUnexpected`] = d.unexpected;
        counts[`${s.what}ClaimsWrongCount`] = d.wrongCount;
        text = `${s.what}: ${owed.n} owed, ${granted.n} granted; claims: ${describeDiff(d, 'claims')}`;
        if (d.missing + d.unexpected + d.wrongCount === 0) text += ' (per-claim counts agree: wrong emoticon ids, indexes or amounts)';
      }
      problems.push(text);
    }
    if (ran === 0) return { ...skipped(notes.join('; ')), counts };
    const ok = problems.length === 0;
    const summary = SIDES.filter((s) => counts[`${s.what}Granted`] !== undefined)
      .map((s) => `${counts[`${s.what}Granted`]} ${s.what}`)
      .join(', ');
    return {
      ok,
      detail: (ok ? `exactly as owed: ${summary}` : problems.join('; ')) + (notes.length ? `; ${notes.join('; ')}` : ''),
      counts,
    };
  },
};
