// `npm stop`: services first (SIGTERM, SIGKILL after a grace period), then the infrastructure
// (both Kafka modes, Zipkin, an embedded Postgres). Data stays unless --purge, which deletes
// Kafka's data AND the services' databases, on the machine's own Postgres too: the databases'
// stored offsets and decisions count a Kafka that no longer exists, so keeping one without the
// other is not a reset (the consumers would detect the mismatch and start over, see issue 14).
import { Command } from 'commander';
import { Client } from 'pg';
import { databaseUrl } from '@platform/persistence';
import { readInfraState, infraDown } from '@platform/tools-infra';
import { SERVICES, stopService } from './services';

/** Each service's own database (apps/<svc>/src/config.ts defaults). */
const SERVICE_DATABASES = [
  'campaign_claims',
  'campaign_emoticons',
  'campaign_coupons',
  'campaign_passes',
  'campaign_relief',
  'campaign_app_api',
] as const;

async function dropServiceDatabases(serverUrl: string): Promise<string[]> {
  const admin = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const dropped: string[] = [];
    for (const db of SERVICE_DATABASES) {
      const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (r.rowCount === 0) continue;
      await admin.query(`DROP DATABASE "${db}" WITH (FORCE)`);
      dropped.push(db);
    }
    return dropped;
  } finally {
    await admin.end();
  }
}

async function main(): Promise<void> {
  const o = new Command('stop')
    .option('--purge', "also delete Kafka's data and the services' databases (a full reset)")
    .option('--services-only', 'leave the infrastructure running')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL', (v) => Number.parseInt(v, 10), 15)
    .parse(process.argv)
    .opts<{ purge?: boolean; servicesOnly?: boolean; grace: number }>();
  const stopped = await Promise.all(SERVICES.map(async (s) => ((await stopService(s, o.grace * 1000)) ? s.name : null)));
  const names = stopped.filter((n): n is string => n !== null);
  console.log(`[stop] services: ${names.length ? `stopped ${names.join(', ')}` : 'none running'}`);
  if (o.purge) {
    const url = readInfraState()?.databaseUrl ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
    const dropped = await dropServiceDatabases(url).catch((e: unknown) => {
      console.error(`[stop] could not drop the services' databases on ${url.replace(/\/\/[^@]*@/, '//')}: ${String(e)}`);
      process.exitCode = 1;
      return null;
    });
    if (dropped) console.log(`[stop] purge: dropped ${dropped.length ? dropped.join(', ') : 'no service database (none existed)'}`);
  }
  if (!o.servicesOnly) await infraDown({ all: true, purge: o.purge ?? false });
}

main().catch((e: unknown) => {
  console.error(`[stop] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
