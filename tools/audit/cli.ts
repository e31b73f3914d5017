// `npm run audit -- [--campaign ID] [--json] [--topics] [--strict]`: checks the invariants I1-I7
// and exits 1 if any fails. With --json, stdout is exactly one JSON object { ok, checks }.
import { cliTable } from '@platform/tools-ops';
import { Command } from 'commander';
import { auditReaderServerUrl, LOCAL_PG_URL } from '@platform/tools-infra';
import { runAudit } from './audit';
import { SERVICE_DB_KEYS, ServiceDb } from './db';

function parseDbs(text: string): Partial<Record<ServiceDb, string>> {
  const out: Partial<Record<ServiceDb, string>> = {};
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=');
    if (!k || !v || !(SERVICE_DB_KEYS as string[]).includes(k))
      throw new Error(`bad --db entry "${part}" (services: ${SERVICE_DB_KEYS.join(', ')})`);
    out[k as ServiceDb] = v;
  }
  return out;
}

async function main(): Promise<void> {
  const o = new Command('audit')
    .description('Check the platform invariants I1-I7 against the service databases')
    .option('--campaign <id>', 'only this campaign')
    .option('--json', 'print one JSON object { ok, checks }')
    .option('--topics', 'also read the claim-requested topic and compare its event ids with the decisions (slow)')
    .option('--strict', 'a check that cannot run (database or table missing) fails')
    .option('--only <ids>', 'comma-separated check ids, e.g. I2,I4')
    // read-only by default: audit_reader (created by infra:up) when no DATABASE_URL is given
    .option('--database-url <url>', 'Postgres server', process.env.DATABASE_URL ?? auditReaderServerUrl(LOCAL_PG_URL) ?? LOCAL_PG_URL)
    .option('--db <service=name,...>', `database names (defaults campaign_<service>; services: ${SERVICE_DB_KEYS.join(', ')})`)
    .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .option('--prefix <prefix>', 'topic prefix', process.env.KAFKA_TOPIC_PREFIX ?? '')
    .option('--channel-url <url>', 'channel simulator (delivery record); "none" to skip', 'http://127.0.0.1:3010')
    .option('--outbox-max-age <seconds>', 'an outbox row older than this fails I1/I7', (v) => Number.parseInt(v, 10), 60)
    .option('--no-diagnose', 'on a mismatch, do not stream rows to name the claims that differ')
    .parse(process.argv)
    .opts<{
      campaign?: string;
      json?: boolean;
      topics?: boolean;
      strict?: boolean;
      only?: string;
      databaseUrl: string;
      db?: string;
      brokers: string;
      prefix: string;
      channelUrl: string;
      outboxMaxAge: number;
      diagnose: boolean;
    }>();
  const t0 = Date.now();
  const report = await runAudit({
    databaseUrl: o.databaseUrl,
    databases: o.db ? parseDbs(o.db) : {},
    campaignId: o.campaign ?? null,
    topics: o.topics ?? false,
    strict: o.strict ?? false,
    only: o.only?.split(',').map((s) => s.trim().toUpperCase()),
    brokers: o.brokers.split(',').map((s) => s.trim()),
    prefix: o.prefix,
    channelUrl: o.channelUrl === 'none' ? null : o.channelUrl,
    outboxMaxAgeSeconds: o.outboxMaxAge,
    diagnose: o.diagnose,
  });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } else {
    const t = cliTable({
      head: ['check', 'result', 'detail', 'ms'],
      colWidths: [7, 8, 100, 8],
      wordWrap: true,
      style: { head: [], border: [] },
    });
    for (const c of report.checks) t.push([c.id, c.skipped ? 'SKIP' : c.ok ? 'PASS' : 'FAIL', c.detail, c.ms]);
    console.log(t.toString());
    console.log(
      `${report.ok ? 'all invariants hold' : `${report.checks.filter((c) => !c.ok).length} invariant(s) FAILED`}${o.campaign ? ` for campaign ${o.campaign}` : ''} (${((Date.now() - t0) / 1000).toFixed(1)} s)`,
    );
  }
  process.exitCode = report.ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(`[audit] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(2);
});
