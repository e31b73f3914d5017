// Runs the invariant checks I1-I7 against the services' databases (and Kafka, and the channel
// simulator when reachable). Each check is one or a few set-based queries; see checks/*.ts.
import { AuditDatabases, ServiceDb } from './db';
import { i1DecidedOnce } from './checks/i1-decided-once';
import { i2OneAccepted } from './checks/i2-one-accepted';
import { i3Grants } from './checks/i3-grants';
import { i4PassSlots } from './checks/i4-pass-slots';
import { i5PassOrder } from './checks/i5-pass-order';
import { i6DelayNotice } from './checks/i6-delay-notice';
import { i7NoSilentDrops } from './checks/i7-no-silent-drops';
import { AuditOptions, CheckResult, InvariantCheck } from './checks/types';

export const CHECKS: readonly InvariantCheck[] = [
  i1DecidedOnce,
  i2OneAccepted,
  i3Grants,
  i4PassSlots,
  i5PassOrder,
  i6DelayNotice,
  i7NoSilentDrops,
];

export interface AuditReport {
  ok: boolean;
  checks: CheckResult[];
}

export interface RunAuditOptions extends Partial<AuditOptions> {
  databaseUrl: string;
  /** Database name per service (defaults: campaign_<service>). */
  databases?: Partial<Record<ServiceDb, string>>;
  /** Count a skipped check (database or table missing) as a failure. */
  strict?: boolean;
  /** Run only these checks (ids). */
  only?: string[];
}

export async function runAudit(o: RunAuditOptions): Promise<AuditReport> {
  const dbs = await AuditDatabases.connect(o.databaseUrl, o.databases ?? {});
  const ctx = {
    dbs,
    campaignId: o.campaignId ?? null,
    topics: o.topics ?? false,
    brokers: o.brokers ?? ['127.0.0.1:9092'],
    prefix: o.prefix ?? '',
    channelUrl: o.channelUrl === undefined ? 'http://127.0.0.1:3010' : o.channelUrl,
    outboxMaxAgeSeconds: o.outboxMaxAgeSeconds ?? 60,
    diagnose: o.diagnose ?? true,
  };
  const checks: CheckResult[] = [];
  try {
    for (const c of CHECKS) {
      if (o.only && !o.only.includes(c.id)) continue;
      const t0 = Date.now();
      try {
        const r = await c.run(ctx);
        checks.push({ id: c.id, name: c.name, ...r, ok: r.ok && !(o.strict && r.skipped), ms: Date.now() - t0 });
      } catch (e) {
        checks.push({
          id: c.id,
          name: c.name,
          ok: false,
          detail: `ERROR: ${e instanceof Error ? e.message : String(e)}`,
          counts: {},
          ms: Date.now() - t0,
        });
      }
    }
  } finally {
    await dbs.close();
  }
  return { ok: checks.every((c) => c.ok), checks };
}
