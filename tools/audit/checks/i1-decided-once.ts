// I1: every inbound claim event is decided exactly once; none lost, none decided twice.
import { campaignFilter } from '../db';
import { cursor } from '../fingerprint';
import { auditKafka, scanClaimTopic } from '../topics';
import { AuditContext, CheckOutcome, InvariantCheck, num, skipped } from './types';

/** One statement: decisions, event ids decided more than once, and the claims outbox. */
export const I1_SQL = `
  SELECT (SELECT count(*) FROM claim WHERE ${campaignFilter('campaign_id', 1)}) AS decided,
         (SELECT count(*) FROM (SELECT 1 FROM claim WHERE ${campaignFilter('campaign_id', 1)}
                                 GROUP BY event_id HAVING count(*) > 1) d) AS events_decided_twice,
         (SELECT count(*) FROM outbox_message) AS outbox_rows,
         (SELECT coalesce(extract(epoch FROM now() - min(created_at)), 0) FROM outbox_message) AS outbox_oldest_s`;

export const i1DecidedOnce: InvariantCheck = {
  id: 'I1',
  name: 'every claim event decided exactly once',
  async run(ctx: AuditContext): Promise<CheckOutcome> {
    const db = ctx.dbs.get('claims');
    const why = await db.why('claim', 'outbox_message');
    if (why) return skipped(why);
    const r = await db.one<Record<string, string>>(I1_SQL, [ctx.campaignId]);
    const counts: CheckOutcome['counts'] = {
      decided: num(r.decided),
      eventsDecidedTwice: num(r.events_decided_twice),
      outboxRows: num(r.outbox_rows),
      outboxOldestSeconds: Math.round(num(r.outbox_oldest_s)),
    };
    const problems: string[] = [];
    if (num(r.events_decided_twice) > 0) problems.push(`${num(r.events_decided_twice)} event ids decided more than once`);
    if (num(r.outbox_rows) > 0 && num(r.outbox_oldest_s) > ctx.outboxMaxAgeSeconds) {
      problems.push(`claims outbox stuck: ${num(r.outbox_rows)} rows, oldest ${Math.round(num(r.outbox_oldest_s))} s`);
    }
    if (ctx.topics) {
      const scan = await scanClaimTopic(auditKafka(ctx.brokers), ctx.prefix, ctx.campaignId);
      // Every decided event id removes itself from the topic's set: what remains was never decided.
      let notOnTopic = 0;
      for await (const chunk of cursor(db, `SELECT event_id AS k, 1 AS n FROM claim WHERE ${campaignFilter('campaign_id', 1)}`, [
        ctx.campaignId,
      ])) {
        for (const row of chunk) if (!scan.eventIds.delete(row.k)) notOnTopic++;
      }
      Object.assign(counts, {
        topicMessages: scan.messages,
        topicUndecodable: scan.undecodable,
        claimsDlqMessages: scan.dlq,
        undecidedEvents: scan.eventIds.size,
        decidedNotOnTopic: notOnTopic,
      });
      if (scan.eventIds.size > 0)
        problems.push(
          `${scan.eventIds.size} valid event ids on the topic were never decided (e.g. ${[...scan.eventIds].slice(0, 3).join(', ')})`,
        );
      if (scan.dlq < scan.undecodable)
        problems.push(`${scan.undecodable} undecodable messages on the topic but only ${scan.dlq} in its DLQ`);
    }
    const ok = problems.length === 0;
    const detail = ok
      ? `${counts.decided} decisions, none twice; outbox ${num(r.outbox_rows) === 0 ? 'empty' : `draining (${num(r.outbox_rows)} rows)`}${ctx.topics ? `; all ${num(counts.topicMessages)} topic messages decided or parked` : ''}`
      : problems.join('; ');
    return { ok, detail, counts };
  },
};
