// Fault drills for ops.
//   npm run drill -- broker-loss [--broker N] [--trials K] [--pause S] [--rate R] [--json] [--keep]
//   npm run drill -- chaos [--claims M] [--faults N] [--seed S] [--rate R] [--no-postgres-restart] [--json]
// Runs on the 3-broker cluster (started if needed: npm run infra:up -- --brokers 3) with the claim
// path's services started by the drill itself on drill-only topics and databases.
import { Command } from 'commander';
import { cliTable } from '../ops/table';
import { randomUUID } from 'node:crypto';
import { readInfraState, stopKafka, ensureTopics } from '../infra';
import { ensurePostgres } from '../infra/postgres';
import { runBrokerLossTrial, TrialReport } from './broker-loss';
import { ensureCluster, grantDrillPrefix, revokeDrillPrefix } from './cluster';
import { startDrillPlatform } from './platform';
import { ChaosReport, runChaos } from './chaos';

const program = new Command().name('drill');

program
  .command('broker-loss')
  .description('kill -9 a Kafka broker under load and prove nothing acknowledged was lost or doubled')
  .option('--broker <n>', 'broker id to kill (default: the busiest leader of the claims topic)', (v) => Number(v))
  .option('--trials <k>', 'repeat', (v) => Number(v), 1)
  .option('--rate <r>', 'claims per second', (v) => Number(v), 200)
  .option('--before <s>', 'seconds of load before the kill', (v) => Number(v), 15)
  .option('--pause <s>', 'seconds the broker stays dead', (v) => Number(v), 15)
  .option('--after <s>', 'seconds of load after the restart', (v) => Number(v), 15)
  .option('--drain-timeout <s>', 'seconds to wait for consumers to drain', (v) => Number(v), 240)
  .option('--json', 'one JSON object on stdout')
  .option('--keep', 'keep the drill databases and leave the cluster running')
  .action(
    async (o: {
      broker?: number;
      trials: number;
      rate: number;
      before: number;
      pause: number;
      after: number;
      drainTimeout: number;
      json?: boolean;
      keep?: boolean;
    }) => {
      const log = (l: string) => (o.json ? process.stderr : process.stdout).write(`[drill] ${l}\n`);
      const cluster = await ensureCluster();
      log(`cluster ${cluster.brokers.join(',')}${cluster.startedHere ? ' (started for the drill)' : ''}`);
      const pg = await ensurePostgres({ embedded: readInfraState()?.embeddedPostgres ?? false });
      const suffix = randomUUID().slice(0, 6);
      const prefix = `drill-${suffix}.`;
      await ensureTopics({ brokers: cluster.brokers, prefix, replicationFactor: 3 });
      log(`${await grantDrillPrefix(cluster.brokers, prefix)} ACLs for prefix ${prefix}; every service connects as its own principal`);
      const platform = await startDrillPlatform({
        brokers: cluster.brokers,
        serverUrl: pg.databaseUrl,
        prefix,
        suffix,
        security: cluster.security,
      });
      log('services ready');
      const trials: TrialReport[] = [];
      try {
        for (let t = 1; t <= o.trials; t++) {
          log(`trial ${t}/${o.trials}`);
          trials.push(
            await runBrokerLossTrial({
              platform,
              brokers: cluster.brokers,
              security: cluster.security('app-backend'),
              broker: o.broker,
              ratePerSecond: o.rate,
              beforeSeconds: o.before,
              pauseSeconds: o.pause,
              afterSeconds: o.after,
              drainTimeoutSeconds: o.drainTimeout,
              log,
            }),
          );
        }
      } finally {
        await platform.stop(o.keep ?? false);
        if (!o.keep)
          await revokeDrillPrefix(cluster.brokers, prefix).catch((e: unknown) => log(`could not remove the drill's ACLs: ${String(e)}`));
        if (cluster.startedHere && !o.keep) await stopKafka({ brokers: 3 });
      }
      const ok = trials.every((t) => t.ok);
      if (o.json) {
        console.log(JSON.stringify({ drill: 'broker-loss', ok, trials }));
      } else {
        const table = cliTable({
          head: [
            'trial',
            'killed',
            'acked',
            'decided',
            'missing',
            'doubled',
            'grant faults',
            's w/o acks',
            's to healthy',
            'claims/s before/during/after',
            'ok',
          ],
        });
        trials.forEach((t, i) => {
          const g = t.grants;
          const faults =
            g.entitlementsMissing + g.entitlementsDoubled + g.couponsMissing + g.couponsDoubled + g.passesMissing + g.passesDoubled;
          table.push([
            i + 1,
            t.killedBroker,
            t.acknowledged,
            t.decided,
            t.missing,
            t.doubled,
            faults,
            t.secondsWithoutAcks,
            t.secondsUntilHealthy,
            `${t.claimsPerSecond.before}/${t.claimsPerSecond.during}/${t.claimsPerSecond.after}`,
            t.ok ? 'yes' : 'NO',
          ]);
        });
        console.log(table.toString());
        console.log(ok ? 'broker-loss drill passed: nothing acknowledged was lost or doubled' : 'broker-loss drill FAILED');
      }
      process.exitCode = ok ? 0 : 1;
    },
  );

program
  .command('chaos')
  .description('random faults from a seed under the launch-day mix with hostile input; then drain and audit')
  .option('--claims <m>', 'unique claims to acknowledge', (v) => Number(v), 200_000)
  .option('--faults <n>', 'faults to inject', (v) => Number(v), 10)
  .option('--seed <s>', 'seed of the fault plan and the mix', (v) => Number(v), 1)
  .option('--rate <r>', 'messages per second offered', (v) => Number(v), 800)
  .option('--drain-timeout <s>', 'seconds to wait for consumers to drain', (v) => Number(v), 900)
  .option('--no-postgres-restart', 'leave Postgres alone (e.g. an embedded or shared one)')
  .option('--json', 'one JSON object on stdout')
  .option('--keep', 'keep the drill databases and leave the cluster running')
  .action(
    async (o: {
      claims: number;
      faults: number;
      seed: number;
      rate: number;
      drainTimeout: number;
      postgresRestart: boolean;
      json?: boolean;
      keep?: boolean;
    }) => {
      const log = (l: string) =>
        (o.json ? process.stderr : process.stdout).write(`[drill] ${new Date().toISOString().slice(11, 19)} ${l}\n`);
      const cluster = await ensureCluster();
      log(`cluster ${cluster.brokers.join(',')}${cluster.startedHere ? ' (started for the drill)' : ''}`);
      const embedded = readInfraState()?.embeddedPostgres ?? false;
      const pg = await ensurePostgres({ embedded });
      const suffix = randomUUID().slice(0, 6);
      const prefix = `drill-${suffix}.`;
      await ensureTopics({ brokers: cluster.brokers, prefix, replicationFactor: 3 });
      log(`${await grantDrillPrefix(cluster.brokers, prefix)} ACLs for prefix ${prefix}`);
      const platform = await startDrillPlatform({
        brokers: cluster.brokers,
        serverUrl: pg.databaseUrl,
        prefix,
        suffix,
        security: cluster.security,
      });
      log('services ready');
      let report: ChaosReport;
      try {
        report = await runChaos({
          platform,
          brokers: cluster.brokers,
          brokerIds: [1, 2, 3],
          security: cluster.security('app-backend'),
          claims: o.claims,
          ratePerSecond: o.rate,
          faults: o.faults,
          seed: o.seed,
          postgresRestart: o.postgresRestart && !embedded,
          drainTimeoutSeconds: o.drainTimeout,
          log,
        });
      } finally {
        await platform.stop(o.keep ?? false);
        if (cluster.startedHere && !o.keep) await stopKafka({ brokers: 3 });
      }
      if (o.json) {
        console.log(JSON.stringify({ drill: 'chaos', ...report }));
      } else {
        const faults = cliTable({ head: ['at s', 'fault', 'target', 'lasted s', 'recovered after s (from start)', 'error'] });
        for (const f of report.faults)
          faults.push([f.atSeconds, f.kind, f.target, f.durationSeconds, f.secondsUntilReady ?? 'never', f.error ?? '']);
        console.log(faults.toString());
        const c = report.claims;
        const g = report.grants;
        const t = cliTable({
          head: [
            'acked',
            'decided',
            'lost',
            'doubled',
            'accepted',
            'DUPLICATE',
            'hostile sent',
            'grant faults',
            'outbox left',
            'audit',
            'load s',
            'drain s',
          ],
        });
        t.push([
          c.acknowledged,
          c.decided,
          c.lost,
          c.doubled,
          c.accepted,
          c.duplicatesRejected,
          report.hostile.sent,
          g.entitlementsMissing + g.entitlementsDoubled + g.couponsMissing + g.couponsDoubled + g.passesMissing + g.passesDoubled,
          report.outboxRowsLeft,
          report.audit.ok ? 'green' : `FAILED ${report.audit.failed.map((x) => x.id).join(',')}`,
          report.seconds.load,
          report.seconds.drain,
        ]);
        console.log(t.toString());
        console.log(report.ok ? 'chaos drill passed: nothing lost, nothing doubled, audit green' : 'chaos drill FAILED');
      }
      process.exitCode = report.ok ? 0 : 1;
    },
  );

program.parseAsync().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(`drill: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(2);
  },
);
