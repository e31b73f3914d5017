// `npm run status [-- --json]`: services (table or JSON) and the infrastructure behind them.
import { Command } from 'commander';
import { infraStatus } from '@platform/tools-infra';
import { SERVICES, serviceStatus } from './services';
import { servicesTable } from './table';

async function main(): Promise<void> {
  const o = new Command('status').option('--json', 'print JSON').parse(process.argv).opts<{ json?: boolean }>();
  const [services, infra] = await Promise.all([Promise.all(SERVICES.map(serviceStatus)), infraStatus()]);
  if (o.json) {
    console.log(JSON.stringify({ services, infra }, null, 2));
    return;
  }
  console.log(servicesTable(services));
  const up = (xs: { running: boolean }[]) => `${xs.filter((x) => x.running).length}/${xs.length} running`;
  console.log(`Kafka single:  ${infra.kafka.single.map((n) => n.address).join(',')} (${up(infra.kafka.single)})`);
  console.log(`Kafka cluster: ${infra.kafka.cluster.map((n) => n.address).join(',')} (${up(infra.kafka.cluster)})`);
  console.log(`Postgres:      ${infra.postgres.url ?? '(infra not up)'} ${infra.postgres.reachable ? 'reachable' : 'unreachable'}`);
  console.log(`Zipkin:        ${infra.zipkin.url} ${infra.zipkin.healthy ? 'healthy' : 'down'}`);
}

main().catch((e: unknown) => {
  console.error(`[status] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
