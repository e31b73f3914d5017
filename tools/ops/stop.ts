// `npm stop`: services first (SIGTERM, SIGKILL after a grace period), then the infrastructure
// (both Kafka modes, Zipkin, an embedded Postgres). Data stays unless --purge.
import { Command } from 'commander';
import { infraDown } from '../infra/up';
import { SERVICES, stopService } from './services';

async function main(): Promise<void> {
  const o = new Command('stop')
    .option('--purge', 'also delete Kafka and embedded Postgres data')
    .option('--services-only', 'leave the infrastructure running')
    .option('--grace <seconds>', 'seconds between SIGTERM and SIGKILL', (v) => Number.parseInt(v, 10), 15)
    .parse(process.argv)
    .opts<{ purge?: boolean; servicesOnly?: boolean; grace: number }>();
  const stopped = await Promise.all(SERVICES.map(async (s) => ((await stopService(s, o.grace * 1000)) ? s.name : null)));
  const names = stopped.filter((n): n is string => n !== null);
  console.log(`[stop] services: ${names.length ? `stopped ${names.join(', ')}` : 'none running'}`);
  if (!o.servicesOnly) await infraDown({ all: true, purge: o.purge ?? false });
}

main().catch((e: unknown) => {
  console.error(`[stop] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
