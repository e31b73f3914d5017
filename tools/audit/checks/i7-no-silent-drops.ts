// I7: no message silently dropped: malformed or rule-breaking input is decided with a reason or
// parked in a DLQ. Reports DLQ depth per topic, outbox backlog and deferred messages per service;
// fails on a stuck outbox, deferred messages past their give-up time (they should have reached
// the DLQ), a rejection without a reason, or anything in the last-resort tables (parked_message,
// outbox_quarantine: recorded, but waiting for a person).
import { SERVICE_DB_KEYS } from '../db';
import { auditKafka, dlqDepths } from '../topics';
import { AuditContext, CheckOutcome, InvariantCheck, num } from './types';

export const OUTBOX_SQL = `SELECT count(*) AS n, coalesce(extract(epoch FROM now() - min(created_at)), 0) AS oldest_s FROM outbox_message`;
export const DEFERRED_SQL = `SELECT count(*) AS n, count(*) FILTER (WHERE give_up_at < now() - interval '60 seconds') AS overdue FROM deferred_message`;

/** Decisions that reject without saying why, per table that stores rejections. */
const REASONLESS: { service: (typeof SERVICE_DB_KEYS)[number]; table: string; sql: string }[] = [
  { service: 'claims', table: 'claim', sql: `SELECT count(*) AS n FROM claim WHERE status = 'REJECTED' AND reason IS NULL` },
  { service: 'coupons', table: 'redemption', sql: `SELECT count(*) AS n FROM redemption WHERE status = 'REJECTED' AND reason IS NULL` },
  {
    service: 'passes',
    table: 'pass_registration',
    sql: `SELECT count(*) AS n FROM pass_registration WHERE status = 'REJECTED' AND reason IS NULL`,
  },
  {
    service: 'relief',
    table: 'relief_report',
    sql: `SELECT count(*) AS n FROM relief_report WHERE status = 'REJECTED' AND reason IS NULL`,
  },
  {
    service: 'relief',
    table: 'review_decision',
    sql: `SELECT count(*) AS n FROM review_decision WHERE status = 'REJECTED' AND reason IS NULL`,
  },
];

export const i7NoSilentDrops: InvariantCheck = {
  id: 'I7',
  name: 'nothing silently dropped: decided with a reason or parked in a DLQ',
  async run(ctx: AuditContext): Promise<CheckOutcome> {
    const counts: CheckOutcome['counts'] = {};
    const problems: string[] = [];
    const notes: string[] = [];
    for (const s of SERVICE_DB_KEYS) {
      const db = ctx.dbs.get(s);
      if (await db.has('outbox_message')) {
        const o = await db.one<{ n: string; oldest_s: string }>(OUTBOX_SQL);
        counts[`${s}.outbox`] = num(o.n);
        if (num(o.n) > 0 && num(o.oldest_s) > ctx.outboxMaxAgeSeconds)
          problems.push(`${s} outbox stuck: ${num(o.n)} rows, oldest ${Math.round(num(o.oldest_s))} s`);
      } else notes.push(`${s}: no outbox (${db.missing ?? 'table missing'})`);
      if (await db.has('deferred_message')) {
        const d = await db.one<{ n: string; overdue: string }>(DEFERRED_SQL);
        counts[`${s}.deferred`] = num(d.n);
        if (num(d.overdue) > 0) problems.push(`${s}: ${num(d.overdue)} deferred messages past their give-up time and not parked`);
      }
      // The last-resort tables: kept safe, but nobody can replay them from the DLQ; a person must look.
      if (await db.has('parked_message')) {
        const n = num((await db.one<{ n: string }>(`SELECT count(*) AS n FROM parked_message`)).n);
        counts[`${s}.lastResortParked`] = n;
        if (n > 0) problems.push(`${s}: ${n} messages in parked_message (their dead letter could not be written)`);
      }
      if (await db.has('outbox_quarantine')) {
        const n = num((await db.one<{ n: string }>(`SELECT count(*) AS n FROM outbox_quarantine`)).n);
        counts[`${s}.outboxQuarantined`] = n;
        if (n > 0) problems.push(`${s}: ${n} outgoing records in outbox_quarantine (Kafka refused them)`);
      }
      if (s === 'relief' && (await db.has('relief_waiting')))
        counts['relief.waiting'] = num((await db.one<{ n: string }>(`SELECT count(*) AS n FROM relief_waiting`)).n);
    }
    for (const r of REASONLESS) {
      const db = ctx.dbs.get(r.service);
      if (!(await db.has(r.table))) continue;
      const n = num((await db.one<{ n: string }>(r.sql)).n);
      if (n > 0) problems.push(`${r.service}.${r.table}: ${n} rejections without a reason`);
    }
    try {
      const depths = await dlqDepths(auditKafka(ctx.brokers), ctx.prefix);
      for (const [t, n] of Object.entries(depths)) counts[`dlq:${t}`] = n;
    } catch (e) {
      notes.push(`DLQ depths not read (Kafka at ${ctx.brokers.join(',')}: ${e instanceof Error ? e.message : String(e)})`);
    }
    const dlqTotal = Object.entries(counts)
      .filter(([k]) => k.startsWith('dlq:'))
      .reduce((s, [, v]) => s + num(v), 0);
    const ok = problems.length === 0;
    const parked = Object.entries(counts)
      .filter(([k, v]) => k.startsWith('dlq:') && num(v) > 0)
      .map(([k, v]) => `${k.slice(4)} ${v}`)
      .join(', ');
    return {
      ok,
      detail:
        (ok
          ? `outboxes drained, no stuck deferrals, every rejection has a reason; DLQ: ${dlqTotal} parked${parked ? ` (${parked})` : ''}`
          : problems.join('; ')) + (notes.length ? `; ${notes.join('; ')}` : ''),
      counts,
    };
  },
};
