import type { AuditDatabases } from '../db';

export interface AuditOptions {
  /** Only this campaign (null: every campaign). */
  campaignId: string | null;
  /** Also read the claim-requested topic and compare its distinct event ids with the decisions (slow). */
  topics: boolean;
  brokers: string[];
  /** Topic prefix (KAFKA_TOPIC_PREFIX of the services audited). */
  prefix: string;
  /** The channel simulator (GET /admin/deliveries), or null not to ask it. */
  channelUrl: string | null;
  /** An outbox row older than this means the relay is stuck. */
  outboxMaxAgeSeconds: number;
  /** On a fingerprint mismatch, stream both sides to name the claims that differ. */
  diagnose: boolean;
}

export interface AuditContext extends AuditOptions {
  dbs: AuditDatabases;
}

export type Counts = Record<string, number | string | null>;

export interface CheckOutcome {
  ok: boolean;
  /** The check could not run (database or table missing); counted as ok unless --strict. */
  skipped?: boolean;
  detail: string;
  counts: Counts;
}

export interface CheckResult extends CheckOutcome {
  id: string;
  name: string;
  ms: number;
}

export interface InvariantCheck {
  id: string;
  name: string;
  run(ctx: AuditContext): Promise<CheckOutcome>;
}

export function skipped(why: string): CheckOutcome {
  return { ok: true, skipped: true, detail: `SKIPPED: ${why}`, counts: {} };
}

/** Numbers from Postgres bigint/numeric come back as strings. */
export function num(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}
