// `npm run bench`: the platform's fixed end-to-end benchmark on the local stack, every part in one
// run on the same broker and database, so the results read as ratios:
//
//  1. the machine (cpus, memory, node/java/Postgres/Kafka versions, load average);
//  2. the ceilings: Kafka's ProducerPerformance (acks=all, 150-byte records, as fast as possible,
//     6 partitions) and ConsumerPerformance over the same records, and node-pg
//     `INSERT ... SELECT FROM unnest` in 1000-row batches on one connection; the Postgres bound is
//     that insert rate divided by the row writes a claim costs (report.ts, ROW_WRITES_PER_CLAIM);
//  3. one hop over --hop-records preloaded claims: the raw kafkajs + pg pipeline written plainly
//     (raw-pipeline.ts), then the claims service alone (apps/claims/bench/claims-bench.ts);
//  4. every service running (the `npm start` ones, reused or started through tools/ops; or a
//     private stack with --isolated): RSS at idle;
//  5. sustained end-to-end throughput: the load generator's default mix as fast as the platform
//     takes it for --duration s (closed loop: at most --max-in-flight claims awaiting a decision),
//     steady state = decisions per second after a --warmup, plus the pipeline behind it
//     (entitlements, pass decisions); RSS sampled throughout (loaded); CPU time of every platform
//     process (services, Kafka broker JVMs, all Postgres server processes) from /proc before and
//     after, per decided claim;
//  6. latency at a fixed rate (--latency-rate claims/s for --latency-duration s).
// Writes <out-dir>/e2e-<time>.json, <out-dir>/e2e.json (latest), <out-dir>/report.html (charts)
// and prints a markdown summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger, LoggerService } from '@nestjs/common';
import { Command } from 'commander';
import { DEFAULT_MIX, DEFAULT_LOAD_OPTIONS, runLoad, jsonSummary } from '@platform/tools-loadgen';
import { kafkaConsumerPerf, kafkaProducerPerf, pgInsertRate, withPerfTopic } from './ceilings';
import { runClaimsAlone } from './claims-alone';
import { clockTicksPerSecond, cpuBetween, platformGroups, sampleCpu } from './cpu';
import { describeMachine } from './machine';
import { runRawPipeline } from './raw-pipeline';
import { BenchResult, benchRatios, htmlReport, markdown, postgresBound, steadyState, throughputSeries } from './report';
import { BenchServices, isolatedServices, localServices, RssSampler } from './services';

class QuietLogger implements LoggerService {
  log(): void {
    // informational library logs are dropped
  }
  error(m: unknown): void {
    process.stderr.write(`[bench] error ${String(m)}\n`);
  }
  warn(m: unknown): void {
    process.stderr.write(`[bench] warn ${String(m)}\n`);
  }
}

const say = (s: string) => process.stderr.write(`[bench] ${s}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

async function main(): Promise<void> {
  const o = new Command('bench')
    .description('End-to-end benchmark of the platform on the local stack, with the machine ceilings in the same run')
    .option('--duration <s>', 'sustained phase length', (v) => Number.parseInt(v, 10), 60)
    .option('--warmup <s>', 'seconds excluded from the steady state', (v) => Number.parseInt(v, 10), 10)
    .option('--max-in-flight <n>', 'claims awaiting a decision before the sender pauses', (v) => Number.parseInt(v, 10), 20_000)
    .option('--latency-rate <r>', 'claims per second in the latency phase', (v) => Number.parseInt(v, 10), 1000)
    .option('--latency-duration <s>', 'latency phase length', (v) => Number.parseInt(v, 10), 30)
    .option('--kafka-records <n>', 'records for the Kafka perf tools', (v) => Number.parseInt(v, 10), 500_000)
    .option('--pg-rows <n>', 'rows for the Postgres insert ceiling', (v) => Number.parseInt(v, 10), 300_000)
    .option('--hop-records <n>', 'preloaded claims for the one-hop runs (raw pipeline, claims service alone)', (v) => Number.parseInt(v, 10), 200_000)
    .option('--skip-ceiling', 'skip the Kafka and Postgres ceilings')
    .option('--skip-hop', 'skip the one-hop runs (raw pipeline, claims service alone)')
    .option('--skip-e2e', 'skip the services (ceilings only)')
    .option('--isolated', 'run a private stack (own topic prefix, test databases) instead of the npm start services')
    .option('--seed <n>', 'load generator seed', (v) => Number.parseInt(v, 10), 42)
    .option('--brokers <list>', 'Kafka brokers', process.env.KAFKA_BROKERS ?? '127.0.0.1:9092')
    .option('--database-url <url>', 'Postgres server', process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres')
    .option('--out-dir <dir>', 'where results go', 'bench')
    .parse(process.argv)
    .opts<{
      duration: number;
      warmup: number;
      maxInFlight: number;
      latencyRate: number;
      latencyDuration: number;
      kafkaRecords: number;
      pgRows: number;
      hopRecords: number;
      skipCeiling?: boolean;
      skipHop?: boolean;
      skipE2e?: boolean;
      isolated?: boolean;
      seed: number;
      brokers: string;
      databaseUrl: string;
      outDir: string;
    }>();
  Logger.overrideLogger(new QuietLogger());
  const brokers = o.brokers.split(',').map((s) => s.trim());
  // the @platform/testing helpers the one-hop runs use read these
  process.env.KAFKA_BROKERS = brokers.join(',');
  process.env.DATABASE_URL = o.databaseUrl;
  const startedAt = new Date().toISOString();
  const machine = await describeMachine(o.databaseUrl);
  say(`machine: ${machine.cpus} cpus ${machine.cpuModel}, ${machine.memoryGiB} GiB, load ${machine.loadAverageStart}`);

  const ceiling: BenchResult['ceiling'] = { kafkaProducer: null, kafkaConsumer: null, postgresInsert: null, errors: [] };
  if (!o.skipCeiling) {
    try {
      await withPerfTopic(brokers, async (topic) => {
        say(`Kafka ProducerPerformance: ${o.kafkaRecords} records ...`);
        ceiling.kafkaProducer = await kafkaProducerPerf(brokers, topic, o.kafkaRecords);
        say(`  ${ceiling.kafkaProducer.recordsPerSecond} records/s`);
        say('Kafka ConsumerPerformance ...');
        ceiling.kafkaConsumer = await kafkaConsumerPerf(brokers, topic, o.kafkaRecords);
        say(`  ${ceiling.kafkaConsumer.recordsPerSecond} records/s`);
      });
    } catch (e) {
      ceiling.errors.push(`kafka: ${message(e)}`);
    }
    try {
      say(`Postgres insert: ${o.pgRows} rows ...`);
      ceiling.postgresInsert = await pgInsertRate(o.databaseUrl, o.pgRows);
      say(`  ${ceiling.postgresInsert.rowsPerSecond} rows/s`);
    } catch (e) {
      ceiling.errors.push(`postgres: ${message(e)}`);
    }
  }

  const result: BenchResult = {
    benchmark: 'e2e',
    version: 1,
    startedAt,
    finishedAt: '',
    machine,
    ceiling,
    hop: null,
    services: { mode: 'none', prefix: '', running: [], missing: [] },
    memory: { idle: {}, loaded: {} },
    sustained: null,
    latency: null,
    postgresBound: postgresBound(ceiling.postgresInsert?.rowsPerSecond),
    cpu: null,
    ratios: {},
  };
  fs.mkdirSync(o.outDir, { recursive: true });

  if (!o.skipHop) {
    const hop: NonNullable<BenchResult['hop']> = { records: o.hopRecords, raw: null, claimsAlone: null, errors: [] };
    result.hop = hop;
    try {
      say(`raw one-hop pipeline: ${o.hopRecords} claims ...`);
      hop.raw = await runRawPipeline(brokers, o.databaseUrl, o.hopRecords);
      say(`  ${hop.raw.recordsPerSecond} records/s`);
    } catch (e) {
      hop.errors.push(`raw pipeline: ${message(e)}`);
    }
    try {
      say(`claims service alone: ${o.hopRecords} claims ...`);
      hop.claimsAlone = await runClaimsAlone(o.hopRecords, brokers, o.databaseUrl, path.join(o.outDir, 'claims.json'));
      say(`  ${hop.claimsAlone.acceptedPerSecond} accepted/s`);
    } catch (e) {
      hop.errors.push(`claims alone: ${message(e)}`);
    }
  }

  if (!o.skipE2e) {
    say(o.isolated ? 'starting a private stack ...' : 'using the npm start services (starting those not running) ...');
    const svc: BenchServices = o.isolated ? await isolatedServices(brokers, o.databaseUrl) : await localServices();
    // Stopped early (Ctrl-C, kill): stop what the bench started and drop its scratch topics and databases.
    const onSignal = (signal: NodeJS.Signals) => {
      say(`${signal}: stopping the services the bench started ...`);
      void svc.release().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
    try {
      result.services = { mode: svc.mode, prefix: svc.prefix, running: svc.services.map((s) => ({ name: s.name, pid: s.pid, origin: s.origin })), missing: svc.missing };
      say(`services: ${svc.services.map((s) => `${s.name}(${s.origin})`).join(', ')}`);
      await sleep(10_000);
      const idle = new RssSampler(svc.services);
      idle.sampleOnce();
      await sleep(2000);
      idle.sampleOnce();
      result.memory.idle = idle.stop();

      const base = { ...DEFAULT_LOAD_OPTIONS, brokers, prefix: svc.prefix, claimsUrl: svc.claimsUrl, seed: o.seed, mix: DEFAULT_MIX, settleS: 30, drainTimeoutS: 180 };
      say(`sustained: as fast as possible for ${o.duration} s (at most ${o.maxInFlight} claims awaiting a decision) ...`);
      const loaded = new RssSampler(svc.services);
      loaded.start(2000);
      const { groups, notes } = await platformGroups(svc.services, brokers, o.databaseUrl);
      const ticks = clockTicksPerSecond();
      const benchCpu0 = process.cpuUsage();
      const cpu0 = sampleCpu(groups);
      let lastLine = 0;
      const sustained = await runLoad({
        ...base,
        durationS: o.duration,
        rate: 0,
        maxInFlight: o.maxInFlight,
        onProgress: (p) => {
          if (Date.now() - lastLine < 10_000) return;
          lastLine = Date.now();
          say(`  ${p.phase} ${p.elapsedS.toFixed(0)} s: sent ${p.sent}, decided ${p.decided}`);
        },
      });
      const cpu1 = sampleCpu(groups);
      const benchCpu = process.cpuUsage(benchCpu0);
      result.memory.loaded = loaded.stop();
      const steady = steadyState(sustained, Math.min(o.warmup, o.duration - 1), o.duration);
      result.sustained = { durationS: o.duration, warmupS: o.warmup, maxInFlight: o.maxInFlight, steady, run: jsonSummary(sustained), series: throughputSeries(sustained) };
      // The whole phase (drain and settle included) against every claim decided in it.
      result.cpu = { ...cpuBetween(groups, cpu0, cpu1, ticks, sustained.decided.total, (benchCpu.user + benchCpu.system) / 1e6), notes };
      say(`  steady state: ${steady.decidedPerSecond} decided/s, ${steady.entitlementsPerSecond} entitlements/s; CPU ${result.cpu.cpuMsPerDecidedClaim ?? '-'} ms per decided claim`);

      say(`latency: ${o.latencyRate} claims/s for ${o.latencyDuration} s ...`);
      const latency = await runLoad({ ...base, seed: o.seed + 1, durationS: o.latencyDuration, rate: o.latencyRate });
      result.latency = { rate: o.latencyRate, durationS: o.latencyDuration, run: jsonSummary(latency) };
    } finally {
      process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
      await svc.release();
    }
  }

  result.ratios = benchRatios(result);
  result.machine.loadAverageEnd = round(os.loadavg()[0] ?? 0, 2);
  result.finishedAt = new Date().toISOString();
  const file = path.join(o.outDir, `e2e-${startedAt.replace(/[:.]/g, '-').slice(0, 19)}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(o.outDir, 'e2e.json'), `${JSON.stringify(result, null, 2)}\n`);
  const html = path.join(o.outDir, 'report.html');
  fs.writeFileSync(html, htmlReport(result));
  say(`results: ${file} (and ${path.join(o.outDir, 'e2e.json')}); report: ${html}`);
  console.log(markdown(result));
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
