// How the audit scales: builds the five service schemas (from the services' migration files) in
// scratch test databases, fills them with N consistent claims using set-based SQL (generate_series),
// times each check of the audit, and drops the databases.
//
//   node tools/run.js tools/bench/audit-scale.ts --claims 1000000 [--keep]
import os from 'node:os';
import { Command } from 'commander';
import { Client } from 'pg';
import { databaseUrl, dropDatabase, ensureDatabase } from '@platform/persistence';
import { HEART_PACK_REWARDS, KAKAO_2023_HEART_PACK } from '@platform/rules';
import { runAudit, SERVICE_APPS, SERVICE_DB_KEYS, ServiceDb } from '@platform/tools-audit';
import { applyServiceSchema } from '@platform/tools-audit/testing';

const CAMPAIGN = 'scale';
const DEFINITION = {
  ...KAKAO_2023_HEART_PACK,
  campaignId: CAMPAIGN,
  name: 'audit scale',
  rewards: { ...HEART_PACK_REWARDS, pass: HEART_PACK_REWARDS.pass && { ...HEART_PACK_REWARDS.pass, cap: 100_000_000 } },
  relief: null,
};

// Claim i: accepted unless i % 10 = 0; Makers member when i is even; id md5('c' || i)::uuid.
const ID = `md5('c' || i)::uuid`;
const ACCEPTED = `i % 10 <> 0`;

async function main(): Promise<void> {
  const o = new Command('audit-scale')
    .option('--claims <n>', 'claims to generate', (v) => Number.parseInt(v, 10), 1_000_000)
    .option('--database-url <url>', 'Postgres server', process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--keep', 'keep the databases')
    .parse(process.argv)
    .opts<{ claims: number; databaseUrl: string; keep?: boolean }>();
  const sfx = Date.now().toString(36);
  const names = Object.fromEntries(SERVICE_DB_KEYS.map((s) => [s, `test_auditscale_${s}_${sfx}`])) as Record<ServiceDb, string>;
  const clients = {} as Record<ServiceDb, Client>;
  const t = (label: string, t0: number) => process.stderr.write(`[audit-scale] ${label}: ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  try {
    for (const s of SERVICE_DB_KEYS) {
      await ensureDatabase(o.databaseUrl, names[s]);
      await applyServiceSchema(databaseUrl(o.databaseUrl, names[s]), SERVICE_APPS[s]);
      clients[s] = new Client({ connectionString: databaseUrl(o.databaseUrl, names[s]) });
      await clients[s].connect();
    }
    const n = o.claims;
    let t0 = Date.now();
    await clients.claims.query(`INSERT INTO campaign (campaign_id, definition, opens_at, closes_at) VALUES ($1, $2, $3, $4)`, [CAMPAIGN, JSON.stringify(DEFINITION), DEFINITION.opensAt, DEFINITION.closesAt]);
    await clients.claims.query(
      `INSERT INTO claim (claim_id, event_id, campaign_id, account_id, status, reason, talk_linked, makers_member, requested_at, produced_at, decided_at)
       SELECT ${ID}, 'ev-' || i, $2, 'acct-' || i, CASE WHEN ${ACCEPTED} THEN 'ACCEPTED' ELSE 'REJECTED' END,
              CASE WHEN ${ACCEPTED} THEN NULL ELSE 'NOT_TALK_LINKED' END, true, i % 2 = 0, now(), now(), now()
         FROM generate_series(1, $1) AS i`,
      [n, CAMPAIGN],
    );
    t(`claims ${n}`, t0);
    t0 = Date.now();
    await clients.emoticons.query(
      `INSERT INTO entitlement (entitlement_id, claim_id, claim_event_id, campaign_id, account_id, emoticon_id, name, position, validity_days, state, granted_at)
       SELECT ${ID}::text || ':' || e.id, ${ID}::text, 'ev-' || i, $2, 'acct-' || i, e.id, e.id, e.pos, e.validity, 'GRANTED', now()
         FROM generate_series(1, $1) AS i
        CROSS JOIN (VALUES ('choonsik-friends-2', 0, NULL::int), ('tosimi-tomungi', 1, 90), ('broken-bear', 2, 90)) AS e (id, pos, validity)
        WHERE ${ACCEPTED}`,
      [n, CAMPAIGN],
    );
    t('entitlements', t0);
    t0 = Date.now();
    await clients.coupons.query(
      `INSERT INTO coupon (coupon_id, claim_id, claim_event_id, campaign_id, account_id, idx, amount_won, min_paid_won, issued_at, expires_at)
       SELECT ${ID}::text || ':' || c.idx, ${ID}::text, 'ev-' || i, $2, 'acct-' || i, c.idx, c.amount, 100, now(), now() + interval '30 days'
         FROM generate_series(1, $1) AS i CROSS JOIN (VALUES (0, 2000), (1, 3000)) AS c (idx, amount)
        WHERE ${ACCEPTED} AND i % 2 = 0`,
      [n, CAMPAIGN],
    );
    t('coupons', t0);
    t0 = Date.now();
    const accepted = n - Math.floor(n / 10);
    await clients.passes.query(
      `INSERT INTO pass_campaign (campaign_id, cap, reserved, delay_notice_after_seconds, registration_window_seconds, validity_seconds, storage_gb, sent_watermark, progress_at)
       VALUES ($1, 100000000, $2, 259200, 2592000, 2592000, 100, $3, now())`,
      [CAMPAIGN, accepted, Math.floor(accepted / 2)],
    );
    await clients.passes.query(
      `INSERT INTO pass (pass_id, campaign_id, slot, claim_id, event_id, account_id, claimed_at, reserved_at, notice_deadline, sent_at, register_by)
       SELECT md5('p' || i)::uuid, $2, s.slot, ${ID}::text, 'ev-' || i, 'acct-' || i, now(), now(), now() + interval '3 days',
              CASE WHEN s.slot <= $3 THEN now() - interval '1 hour' + s.slot * interval '1 millisecond' END,
              CASE WHEN s.slot <= $3 THEN now() + interval '30 days' END
         FROM (SELECT i, row_number() OVER (ORDER BY i)::int AS slot FROM generate_series(1, $1) AS i WHERE ${ACCEPTED}) s`,
      [n, CAMPAIGN, Math.floor(accepted / 2)],
    );
    t('passes', t0);
    for (const s of SERVICE_DB_KEYS) await clients[s].query('VACUUM ANALYZE');
    const sizes: Record<string, string> = {};
    for (const s of SERVICE_DB_KEYS) sizes[s] = ((await clients[s].query('SELECT pg_size_pretty(pg_database_size(current_database())) AS s')).rows[0] as { s: string }).s;
    t0 = Date.now();
    const report = await runAudit({ databaseUrl: o.databaseUrl, databases: names, channelUrl: null, brokers: [process.env.KAFKA_BROKERS ?? '127.0.0.1:9092'], prefix: `audit-scale-none-${sfx}.` });
    const total = (Date.now() - t0) / 1000;
    const out = {
      claims: n,
      acceptedClaims: accepted,
      entitlements: accepted * 3,
      coupons: Math.floor(accepted / 2) * 2,
      passes: accepted,
      sizes,
      loadAverage: os.loadavg()[0],
      auditSeconds: total,
      ok: report.ok,
      checks: report.checks.map((c) => ({ id: c.id, ok: c.ok, ms: c.ms })),
    };
    console.log(JSON.stringify(out));
  } finally {
    for (const s of SERVICE_DB_KEYS) await clients[s]?.end().catch(() => undefined);
    if (!o.keep) for (const s of SERVICE_DB_KEYS) await dropDatabase(o.databaseUrl, names[s]).catch(() => undefined);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`[audit-scale] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
