// I6: every pass delivered later than claim + threshold (72 h by default) had a delay notice
// emitted before that moment. The deadline is recomputed here from the pass's claim time and the
// campaign's threshold, not read from the service's own notice_deadline column.
import { campaignFilter } from '../db';
import { AuditContext, CheckOutcome, InvariantCheck, num, skipped } from './types';

export const I6_SQL = `
  WITH p AS (
    SELECT x.pass_id, x.sent_at, x.notice_at,
           x.claimed_at + make_interval(secs => pc.delay_notice_after_seconds) AS deadline
      FROM pass x JOIN pass_campaign pc ON pc.campaign_id = x.campaign_id
     WHERE ${campaignFilter('x.campaign_id', 1)})
  SELECT count(*) AS passes,
         count(*) FILTER (WHERE sent_at > deadline) AS delivered_late,
         count(*) FILTER (WHERE sent_at > deadline AND (notice_at IS NULL OR notice_at > deadline)) AS late_without_timely_notice,
         count(*) FILTER (WHERE sent_at IS NULL AND deadline < now() AND (notice_at IS NULL OR notice_at > deadline)) AS overdue_without_notice,
         count(*) FILTER (WHERE notice_at IS NOT NULL) AS noticed,
         (array_agg(pass_id::text) FILTER (WHERE (sent_at > deadline OR (sent_at IS NULL AND deadline < now()))
                                          AND (notice_at IS NULL OR notice_at > deadline)))[1:3] AS examples
    FROM p`;

export const i6DelayNotice: InvariantCheck = {
  id: 'I6',
  name: 'a pass delivered after claim + threshold had a delay notice before the threshold',
  async run(ctx: AuditContext): Promise<CheckOutcome> {
    const db = ctx.dbs.get('passes');
    const why = await db.why('pass_campaign', 'pass');
    if (why) return skipped(why);
    const r = await db.one<Record<string, string> & { examples: string[] | null }>(I6_SQL, [ctx.campaignId]);
    const counts = {
      passes: num(r.passes),
      deliveredLate: num(r.delivered_late),
      lateWithoutTimelyNotice: num(r.late_without_timely_notice),
      overdueUnsentWithoutNotice: num(r.overdue_without_notice),
      noticed: num(r.noticed),
    };
    const bad = counts.lateWithoutTimelyNotice + counts.overdueUnsentWithoutNotice;
    const ok = bad === 0;
    return {
      ok,
      detail: ok
        ? `${counts.deliveredLate} passes delivered after the threshold, each noticed in time; ${counts.noticed} notices in all`
        : `${counts.lateWithoutTimelyNotice} late deliveries and ${counts.overdueUnsentWithoutNotice} overdue unsent passes without a timely notice (e.g. ${(r.examples ?? []).join(', ')})`,
      counts,
    };
  },
};
