// I6: every pass delivered later than claim + threshold (72 h by default) had a delay notice
// emitted before that moment. The deadline is recomputed here from the pass's claim time and the
// campaign's threshold, not read from the service's own notice_deadline column.
//
// A pass reserved only after its deadline had passed (a claim processed from a backlog older than
// the threshold) cannot be noticed before the deadline; for those the notice must come before the
// delivery. They are counted apart (reservedAfterDeadline).
import { campaignFilter } from '../db';
import { AuditContext, CheckOutcome, InvariantCheck, num, skipped } from './types';

export const I6_SQL = `
  WITH p AS (
    SELECT x.pass_id, x.sent_at, x.notice_at, x.reserved_at,
           x.claimed_at + make_interval(secs => pc.delay_notice_after_seconds) AS deadline
      FROM pass x JOIN pass_campaign pc ON pc.campaign_id = x.campaign_id
     WHERE ${campaignFilter('x.campaign_id', 1)}),
  v AS (
    SELECT *,
           (sent_at > deadline AND reserved_at <= deadline AND (notice_at IS NULL OR notice_at > deadline)) AS late_unnoticed,
           (sent_at > deadline AND reserved_at > deadline AND (notice_at IS NULL OR notice_at > sent_at)) AS backlog_unnoticed,
           (sent_at IS NULL AND deadline < now() AND reserved_at <= deadline AND (notice_at IS NULL OR notice_at > deadline)) AS overdue_unnoticed
      FROM p)
  SELECT count(*) AS passes,
         count(*) FILTER (WHERE sent_at > deadline) AS delivered_late,
         count(*) FILTER (WHERE late_unnoticed) AS late_without_timely_notice,
         count(*) FILTER (WHERE backlog_unnoticed) AS backlog_late_without_notice,
         count(*) FILTER (WHERE overdue_unnoticed) AS overdue_without_notice,
         count(*) FILTER (WHERE reserved_at > deadline) AS reserved_after_deadline,
         count(*) FILTER (WHERE notice_at IS NOT NULL) AS noticed,
         (array_agg(pass_id::text) FILTER (WHERE late_unnoticed OR backlog_unnoticed OR overdue_unnoticed))[1:3] AS examples
    FROM v`;

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
      backlogLateWithoutNotice: num(r.backlog_late_without_notice),
      overdueUnsentWithoutNotice: num(r.overdue_without_notice),
      reservedAfterDeadline: num(r.reserved_after_deadline),
      noticed: num(r.noticed),
    };
    const bad = counts.lateWithoutTimelyNotice + counts.backlogLateWithoutNotice + counts.overdueUnsentWithoutNotice;
    const ok = bad === 0;
    return {
      ok,
      detail: ok
        ? `${counts.deliveredLate} passes delivered after the threshold, each noticed in time; ${counts.noticed} notices in all${counts.reservedAfterDeadline ? ` (${counts.reservedAfterDeadline} reserved after their deadline: noticed before delivery)` : ''}`
        : `${counts.lateWithoutTimelyNotice} late deliveries and ${counts.overdueUnsentWithoutNotice} overdue unsent passes without a notice before the deadline, ${counts.backlogLateWithoutNotice} passes reserved after their deadline delivered without a prior notice (e.g. ${(r.examples ?? []).join(', ')})`,
      counts,
    };
  },
};
