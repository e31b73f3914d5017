// Fault drills for ops.
//   npm run drill -- broker-loss [--broker N] [--trials K] [--pause S] [--rate R] [--json] [--keep]
//   npm run drill -- chaos [--claims M] [--faults N] [--seed S] [--rate R] [--no-postgres-restart] [--json]
//   npm run drill -- zone-outage [--zone b | --zone a,b,c] [--rate R] [--pause S] [--postgres-restart] [--json]
// Runs on the 3-broker cluster (started if needed: npm run infra:up -- --brokers 3) with the claim
// path's services started by the drill itself on drill-only topics and databases.
import { Command } from 'commander';
import { cliTable } from '@platform/tools-ops';
import { randomUUID } from 'node:crypto';
import { readInfraState, stopKafka, ensureTopics, ensurePostgres, parseZone } from '@platform/tools-infra';
import { runBrokerLossTrial, TrialReport } from './broker-loss';
import { ensureCluster, grantDrillPrefix, revokeDrillPrefix } from './cluster';
import { totalFaults } from './grants';
import { startDrillPlatform } from './platform';
import { ChaosReport, runChaos } from './chaos';
import { runZoneOutage, ZoneOutageReport } from './zone-outage';
import { startZonedPlatform } from './zoned-platform';

/**
 * Runs a drill's trials one after the other, one per item of `each`, releases the drill whatever
 * happened, then reports them (one JSON object with --json, else `print`) and sets the exit code:
 * 0 when every trial passed.
 */
async function runTrials<T extends { ok: boolean }, X>(d: {
  drill: string;
  json: boolean | undefined;
  each: readonly X[];
  /** The `i`th trial (from 0), on its item. */
  trial: (x: X, i: number) => Promise<T>;
  /** How the log names a trial's item (default: only its number). */
  label?: (x: X) => string;
  log: (line: string) => void;
  release: () => Promise<void>;
  print: (trials: T[], ok: boolean) => void;
}): Promise<void> {
  const trials: T[] = [];
  try {
    for (const [i, x] of d.each.entries()) {
      d.log(`trial ${i + 1}/${d.each.length}${d.label ? `: ${d.label(x)}` : ''}`);
      trials.push(await d.trial(x, i));
    }
  } finally {
    await d.release();
  }
  const ok = trials.every((t) => t.ok);
  if (d.json) console.log(JSON.stringify({ drill: d.drill, ok, trials }));
  else d.print(trials, ok);
  process.exitCode = ok ? 0 : 1;
}

/** The load and its phases as the kill drills' trials take them (from --rate, --before, --pause, --after, --drain-timeout). */
const loadPlan = (o: { rate: number; before: number; pause: number; after: number; drainTimeout: number }) => ({
  ratePerSecond: o.rate,
  beforeSeconds: o.before,
  pauseSeconds: o.pause,
  afterSeconds: o.after,
  drainTimeoutSeconds: o.drainTimeout,
});

/** After a drill: stop its platform, and unless kept, remove its ACLs and the cluster it started. */
async function releaseDrill(d: {
  platform: { stop(keep: boolean): Promise<void> };
  cluster: { brokers: string[]; startedHere: boolean };
  prefix: string;
  keep: boolean;
  log: (line: string) => void;
}): Promise<void> {
  await d.platform.stop(d.keep);
  if (d.keep) return;
  await revokeDrillPrefix(d.cluster.brokers, d.prefix).catch((e: unknown) => d.log(`could not remove the drill's ACLs: ${String(e)}`));
  if (d.cluster.startedHere) await stopKafka({ brokers: 3 });
}

/** A drill's log: stderr with --json (stdout carries the report), else stdout; each line with the time of day. */
const drillLog = (json: boolean | undefined) => (l: string) => {
  (json ? process.stderr : process.stdout).write(`[drill] ${new Date().toISOString().slice(11, 19)} ${l}\n`);
};

/**
 * What every drill stands on: the secured 3-broker cluster (started if needed), Postgres, and the
 * drill's own topic prefix with its topics and ACLs; `ground` is what a drill platform starts on.
 */
async function prepareDrill(log: (l: string) => void) {
  const cluster = await ensureCluster();
  log(`cluster ${cluster.brokers.join(',')}${cluster.startedHere ? ' (started for the drill)' : ''}`);
  const embedded = readInfraState()?.embeddedPostgres ?? false;
  const pg = await ensurePostgres({ embedded });
  const suffix = randomUUID().slice(0, 6);
  const prefix = `drill-${suffix}.`;
  await ensureTopics({ brokers: cluster.brokers, prefix, replicationFactor: 3 });
  log(`${await grantDrillPrefix(cluster.brokers, prefix)} ACLs for prefix ${prefix}; every service connects as its own principal`);
  const ground = { brokers: cluster.brokers, serverUrl: pg.databaseUrl, prefix, suffix, security: cluster.security };
  return { cluster, embedded, prefix, ground };
}

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
      const log = drillLog(o.json);
      const { cluster, prefix, ground } = await prepareDrill(log);
      const platform = await startDrillPlatform(ground);
      log('services ready');
      await runTrials<TrialReport, number>({
        drill: 'broker-loss',
        json: o.json,
        each: Array.from({ length: o.trials }, (_, i) => i + 1),
        trial: () =>
          runBrokerLossTrial({
            platform,
            brokers: cluster.brokers,
            security: cluster.security('app-backend'),
            broker: o.broker,
            ...loadPlan(o),
            log,
          }),
        log,
        release: () => releaseDrill({ platform, cluster, prefix, keep: o.keep ?? false, log }),
        print: (trials, ok) => {
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
            const faults = totalFaults(t.grants);
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
        },
      });
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
      const log = drillLog(o.json);
      const { cluster, embedded, ground } = await prepareDrill(log);
      const platform = await startDrillPlatform(ground);
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

program
  .command('zone-outage')
  .description('one zone goes dark under load (its broker and every service replica, kill -9), comes back; then drain and audit')
  .option('--zone <z>', 'zone to take out: a, b or c; a list (a,b,c) takes them out one after the other on the same platform', 'b')
  .option('--rate <r>', 'claim messages per second (launch-day mix)', (v) => Number(v), 100)
  .option('--before <s>', 'seconds of load before the outage', (v) => Number(v), 20)
  .option('--pause <s>', 'seconds the zone stays dark', (v) => Number(v), 30)
  .option('--after <s>', 'seconds of load after the zone is back', (v) => Number(v), 30)
  .option('--seed <s>', 'seed of the mix', (v) => Number(v), 1)
  .option('--dispatch-rate <r>', 'passes sent per second (below the accept rate, so delay notices are due)', (v) => Number(v))
  .option('--notice-after <s>', "the campaign's delay-notice threshold in seconds", (v) => Number(v), 45)
  .option('--postgres-restart', "also an immediate Postgres stop and start inside the outage window (restarts the machine's Postgres)")
  .option('--drain-timeout <s>', 'seconds to wait for consumers and the pass sender to drain', (v) => Number(v), 600)
  .option('--json', 'one JSON object on stdout')
  .option('--keep', 'keep the drill databases and leave the cluster running')
  .action(
    async (o: {
      zone: string;
      rate: number;
      before: number;
      pause: number;
      after: number;
      seed: number;
      dispatchRate?: number;
      noticeAfter: number;
      postgresRestart?: boolean;
      drainTimeout: number;
      json?: boolean;
      keep?: boolean;
    }) => {
      const zones = o.zone.split(',').map(parseZone);
      for (const [k, v] of Object.entries({ rate: o.rate, pause: o.pause, before: o.before, after: o.after, noticeAfter: o.noticeAfter }))
        if (!Number.isFinite(v) || v <= 0) throw new Error(`--${k} must be a positive number (got ${v})`);
      // before anything starts: a refused option leaves no cluster behind
      if (o.postgresRestart && readInfraState()?.embeddedPostgres)
        throw new Error("--postgres-restart needs the machine's Debian PostgreSQL (this checkout uses an embedded one)");
      const log = drillLog(o.json);
      const { cluster, prefix, ground } = await prepareDrill(log);
      // ~72% of the mix is accepted: sending below that builds a backlog, so delay notices fall due
      const dispatchRate = o.dispatchRate ?? Math.max(1, Math.round(o.rate * 0.45));
      log('starting 3 zones x 4 services (one replica per zone, each zone under its supervisor) and the channel simulator');
      const platform = await startZonedPlatform({
        ...ground,
        env: {
          'pass-dispatcher': {
            DISPATCH_RATE_PER_SECOND: String(dispatchRate),
            // the watchdog notices a pass this long before its (short) deadline
            DELAY_NOTICE_MARGIN_MS: String(Math.round(o.noticeAfter * 1000 * 0.3)),
            RATE_WINDOW_SECONDS: '10',
          },
        },
        log,
      }).catch(async (e: unknown) => {
        // nothing started is left behind: the drill's ACLs and a cluster it started go too
        await revokeDrillPrefix(cluster.brokers, prefix).catch(() => undefined);
        if (cluster.startedHere) await stopKafka({ brokers: 3 });
        throw e;
      });
      log('every replica ready');
      // Ctrl-C (or a SIGTERM) stops the replicas and the cluster too instead of orphaning them.
      let interrupted = false;
      const onSignal = (sig: NodeJS.Signals) => {
        if (interrupted) return;
        interrupted = true;
        log(`${sig}: stopping the zones`);
        void platform
          .stop(false)
          .then(() => revokeDrillPrefix(cluster.brokers, prefix))
          .catch(() => undefined)
          .then(() => (cluster.startedHere ? stopKafka({ brokers: 3 }) : []))
          .finally(() => process.exit(130));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await runTrials<ZoneOutageReport, (typeof zones)[number]>({
        drill: 'zone-outage',
        json: o.json,
        each: zones,
        label: (zone) => zone,
        trial: (zone, i) =>
          runZoneOutage({
            platform,
            brokers: cluster.brokers,
            security: cluster.security('app-backend'),
            adminSecurity: cluster.security('admin'),
            zone,
            seed: o.seed + i,
            ...loadPlan(o),
            noticeAfterSeconds: o.noticeAfter,
            postgresRestart: o.postgresRestart ?? false,
            log,
          }),
        log,
        release: () => releaseDrill({ platform, cluster, prefix, keep: o.keep ?? false, log }),
        print: (trials, ok) => {
          const t = cliTable({
            head: [
              'zone',
              'acked before/during/after',
              'decided',
              'lost',
              'doubled',
              's w/o acks',
              's until decided again',
              'pass gap s',
              'notices',
              'audit',
            ],
          });
          for (const report of trials) {
            const c = report.claims;
            t.push([
              report.zone,
              `${c.acknowledged.before}/${c.acknowledged.during}/${c.acknowledged.after}`,
              `${c.decided}/${c.decisionsExpected}`,
              c.lost,
              c.doubled,
              report.secondsWithoutAcks,
              report.recovery.secondsUntilDecidedAgain ?? 'never',
              report.passes.longestSendGapSeconds ?? '-',
              `${report.delayNotices.emitted} (${report.delayNotices.onTime ? 'on time' : 'LATE'})`,
              report.audit.ok ? 'green' : `FAILED ${report.audit.failed.map((x) => x.id).join(',')}`,
            ]);
          }
          console.log(t.toString());
          const s = cliTable({
            head: ['zone', 'service', 'survivors ready after s', 'served throughout', 'zone replica ready s after restore', 'restarts'],
          });
          for (const report of trials)
            for (const [name, r] of Object.entries(report.services))
              s.push([
                report.zone,
                name,
                r.survivorsReadyAfterSeconds,
                r.servedThroughout ? 'yes' : 'NO',
                r.zoneReplicaReadyAfterRestoreSeconds ?? 'never',
                r.survivorRestarts,
              ]);
          console.log(s.toString());
          for (const report of trials)
            console.log(
              `${report.zone}: pass sender ${report.passes.leaderBefore ?? '?'} -> ${report.passes.leaderAfter ?? '?'}, slot order ${report.passes.inSlotOrder ? 'kept' : 'BROKEN'}; load average ${report.loadAverage.join(' ')}`,
            );
          console.log(
            ok ? `zone-outage drill passed (${zones.join(', ')}): nothing lost, nothing doubled, audit green` : 'zone-outage drill FAILED',
          );
        },
      });
    },
  );

program.parseAsync().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(`drill: ${e instanceof Error ? e.stack : String(e)}`);
    process.exit(2);
  },
);
