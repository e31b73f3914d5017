// I2: at most one ACCEPTED claim per account per campaign.
import { campaignFilter } from '../db';
import { CheckOutcome, InvariantCheck, num, skipped } from './types';

export const I2_SQL = `
  SELECT (SELECT count(*) FROM claim WHERE status = 'ACCEPTED' AND ${campaignFilter('campaign_id', 1)}) AS accepted,
         count(*) AS accounts_over, coalesce(sum(n - 1), 0) AS extra_accepted,
         (array_agg(campaign_id || '/' || account_id ORDER BY account_id))[1:3] AS examples
    FROM (SELECT campaign_id, account_id, count(*) AS n FROM claim
           WHERE status = 'ACCEPTED' AND ${campaignFilter('campaign_id', 1)}
           GROUP BY campaign_id, account_id HAVING count(*) > 1) x`;

export const i2OneAccepted: InvariantCheck = {
  id: 'I2',
  name: 'at most one accepted claim per account per campaign',
  async run(ctx): Promise<CheckOutcome> {
    const db = ctx.dbs.get('claims');
    const why = await db.why('claim');
    if (why) return skipped(why);
    const r = await db.one<{ accepted: string; accounts_over: string; extra_accepted: string; examples: string[] | null }>(I2_SQL, [
      ctx.campaignId,
    ]);
    const counts = { accepted: num(r.accepted), accountsWithMoreThanOne: num(r.accounts_over), extraAccepted: num(r.extra_accepted) };
    const ok = counts.accountsWithMoreThanOne === 0;
    return {
      ok,
      detail: ok
        ? `${counts.accepted} accepted claims, one per account`
        : `${counts.accountsWithMoreThanOne} accounts have more than one accepted claim (${counts.extraAccepted} extra; e.g. ${(r.examples ?? []).join(', ')})`,
      counts,
    };
  },
};
