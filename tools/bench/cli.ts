// `npm run bench`: the platform's fixed end-to-end benchmark on the local stack.
//
//  1. the machine (cpus, memory, node/java/Postgres/Kafka versions, load average);
//  2. the ceilings, measured in the same run: Kafka's ProducerPerformance (acks=all, 150-byte
//     records, as fast as possible, 6 partitions) and ConsumerPerformance over the same records,
//     and node-pg `INSERT ... SELECT FROM unnest` in 1000-row batches on one connection;
//  3. every service running (the `npm start` ones, reused or started through tools/ops; or a
//     private stack with --isolated): RSS at idle;
//  4. sustained end-to-end throughput: the load generator's default mix as fast as the platform
//     takes it for --duration s (closed loop: at most --max-in-flight claims awaiting a decision),
//     steady state = decisions per second after a --warmup, plus the pipeline behind it
//     (entitlements, pass decisions); RSS sampled throughout (loaded);
//  5. latency at a fixed moderate rate (--latency-rate claims/s for --latency-duration s).
// Writes bench/e2e-<time>.json and bench/e2e.json (latest) and prints a markdown summary.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Logger, LoggerService } from '@nestjs/common';
import { Command } from 'commander';
import { DEFAULT_MIX, DEFAULT_LOAD_OPTIONS, LoadResult, runLoad, jsonSummary, stageLabel } from '@platform/tools-loadgen';
import { ConsumerPerf, kafkaConsumerPerf, kafkaProducerPerf, pgInsertRate, PgInsertRate, ProducerPerf, withPerfTopic } from './ceilings';
import { describeMachine, MachineInfo } from './machine';
import { BenchServices, isolatedServices, localServices, RssSampler, RssStats } from './services';

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

export interface SteadyState {
  fromSecond: number;
  toSecond: number;
  decidedPerSecond: number;
  entitlementsPerSecond: number;
  passDecisionsPerSecond: number;
  sentPerSecond: number;
}

/** Mean per-second counts over [from, to) of the run's series. */
export function steadyState(r: LoadResult, from: number, to: number): SteadyState {
  const pts = r.series.filter((p) => p.t >= from && p.t < to);
  const n = Math.max(1, to - from);
  const sum = (k: string) => pts.reduce((s, p) => s + (p.counts[k] ?? 0), 0);
  return {
    fromSecond: from,
    toSecond: to,
    decidedPerSecond: round(sum('decided') / n),
    entitlementsPerSecond: round(sum('entitlements') / n),
    passDecisionsPerSecond: round(sum('passDecisions') / n),
    sentPerSecond: round(sum('sent') / n),
  };
}

interface BenchResult {
  benchmark: 'e2e';
  version: 1;
  startedAt: string;
  finishedAt: string;
  machine: MachineInfo;
  ceiling: { kafkaProducer: ProducerPerf | null; kafkaConsumer: ConsumerPerf | null; postgresInsert: PgInsertRate | null; errors: string[] };
  services: { mode: string; prefix: string; running: { name: string; pid: number | null; origin: string }[]; missing: string[] };
  memory: { idle: Record<string, RssStats>; loaded: Record<string, RssStats> };
  sustained: { durationS: number; warmupS: number; maxInFlight: number; steady: SteadyState; run: ReturnType<typeof jsonSummary> } | null;
  latency: { rate: number; durationS: number; run: ReturnType<typeof jsonSummary> } | null;
  ratios: Record<string, number | null>;
}

function markdown(b: BenchResult): string {
  const m = b.machine;
  const c = b.ceiling;
  const s = b.sustained;
  const l = b.latency;
  const lines: string[] = [];
  lines.push(`### End-to-end benchmark (${b.startedAt.slice(0, 16).replace('T', ' ')} UTC)`);
  lines.push('');
  lines.push(`Machine: ${m.cpus} x ${m.cpuModel}, ${m.memoryGiB} GiB; Node ${m.node}, ${m.java ?? 'no java'}, Postgres ${m.postgres ?? '?'}, Kafka ${m.kafka ?? '?'} (single broker), kafkajs ${m.kafkajs}. Load average ${m.loadAverageStart} at start, ${m.loadAverageEnd ?? '?'} at end.`);
  lines.push(`Services: ${b.services.running.map((x) => x.name).join(', ')} (${b.services.mode}${b.services.missing.length ? `; missing: ${b.services.missing.join(', ')}` : ''}).`);
  lines.push('');
  lines.push('| measure | value | ratio to ceiling |');
  lines.push('|---|---|---|');
  if (c.kafkaProducer) lines.push(`| Kafka ProducerPerformance, acks=all, 150 B | ${c.kafkaProducer.recordsPerSecond.toLocaleString('en-US')} rec/s (p99 ${c.kafkaProducer.p99Ms} ms) | ceiling |`);
  if (c.kafkaConsumer) lines.push(`| Kafka ConsumerPerformance | ${c.kafkaConsumer.recordsPerSecond.toLocaleString('en-US')} rec/s | ceiling |`);
  if (c.postgresInsert) lines.push(`| Postgres node-pg unnest insert, 1000-row batches, 1 conn | ${c.postgresInsert.rowsPerSecond.toLocaleString('en-US')} rows/s | ceiling |`);
  if (s) {
    const r = b.ratios;
    lines.push(
      `| **claims decided/s, sustained ${s.durationS} s** (steady s ${s.steady.fromSecond}-${s.steady.toSecond}) | **${s.steady.decidedPerSecond.toLocaleString('en-US')}/s** | ${r.decidedVsKafkaProducer ?? '-'} of producer, ${r.decidedVsKafkaConsumer ?? '-'} of consumer, ${r.decidedVsPostgresInsert ?? '-'} of PG insert |`,
    );
    lines.push(`| entitlements granted/s (same window) | ${s.steady.entitlementsPerSecond.toLocaleString('en-US')}/s | |`);
    lines.push(`| pass decisions/s (same window) | ${s.steady.passDecisionsPerSecond.toLocaleString('en-US')}/s | |`);
    lines.push(`| sustained run: expected answers all observed | ${s.run.ok ? 'yes' : `NO (${s.run.comparison.filter((x) => !x.ok).map((x) => x.what).join(', ')})`} | |`);
  }
  if (l) {
    lines.push('');
    lines.push(`Latency at ${l.rate} claims/s for ${l.durationS} s (ms, request to answer, Kafka timestamps):`);
    lines.push('');
    lines.push('| stage | p50 | p95 | p99 | max |');
    lines.push('|---|---|---|---|---|');
    for (const [stage, x] of Object.entries(l.run.latencyMs)) if (x) lines.push(`| ${stageLabel(stage)} | ${x.p50} | ${x.p95} | ${x.p99} | ${x.max} |`);
  }
  lines.push('');
  lines.push('Memory (RSS MiB): idle / loaded max');
  lines.push('');
  lines.push('| service | idle | loaded max |');
  lines.push('|---|---|---|');
  for (const x of b.services.running) lines.push(`| ${x.name} | ${b.memory.idle[x.name]?.meanMiB ?? '-'} | ${b.memory.loaded[x.name]?.maxMiB ?? '-'} |`);
  if (c.errors.length) lines.push('', `Ceiling errors: ${c.errors.join('; ')}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const o = new Command('bench')
    .description('End-to-end benchmark of the platform on the local stack, with the machine ceilings in the same run')
    .option('--duration <s>', 'sustained phase length', (v) => Number.parseInt(v, 10), 60)
    .option('--warmup <s>', 'seconds excluded from the steady state', (v) => Number.parseInt(v, 10), 10)
    .option('--max-in-flight <n>', 'claims awaiting a decision before the sender pauses', (v) => Number.parseInt(v, 10), 20_000)
    .option('--latency-rate <r>', 'claims per second in the latency phase', (v) => Number.parseInt(v, 10), 200)
    .option('--latency-duration <s>', 'latency phase length', (v) => Number.parseInt(v, 10), 30)
    .option('--kafka-records <n>', 'records for the Kafka perf tools', (v) => Number.parseInt(v, 10), 500_000)
    .option('--pg-rows <n>', 'rows for the Postgres insert ceiling', (v) => Number.parseInt(v, 10), 300_000)
    .option('--skip-ceiling', 'skip the Kafka and Postgres ceilings')
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
      skipCeiling?: boolean;
      skipE2e?: boolean;
      isolated?: boolean;
      seed: number;
      brokers: string;
      databaseUrl: string;
      outDir: string;
    }>();
  Logger.overrideLogger(new QuietLogger());
  const brokers = o.brokers.split(',').map((s) => s.trim());
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
      ceiling.errors.push(`kafka: ${e instanceof Error ? e.message : String(e)}`);
    }
    try {
      say(`Postgres insert: ${o.pgRows} rows ...`);
      ceiling.postgresInsert = await pgInsertRate(o.databaseUrl, o.pgRows);
      say(`  ${ceiling.postgresInsert.rowsPerSecond} rows/s`);
    } catch (e) {
      ceiling.errors.push(`postgres: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  const result: BenchResult = {
    benchmark: 'e2e',
    version: 1,
    startedAt,
    finishedAt: '',
    machine,
    ceiling,
    services: { mode: 'none', prefix: '', running: [], missing: [] },
    memory: { idle: {}, loaded: {} },
    sustained: null,
    latency: null,
    ratios: {},
  };

  if (!o.skipE2e) {
    say(o.isolated ? 'starting a private stack ...' : 'using the npm start services (starting those not running) ...');
    const svc: BenchServices = o.isolated ? await isolatedServices(brokers, o.databaseUrl) : await localServices();
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
      result.memory.loaded = loaded.stop();
      const steady = steadyState(sustained, Math.min(o.warmup, o.duration - 1), o.duration);
      result.sustained = { durationS: o.duration, warmupS: o.warmup, maxInFlight: o.maxInFlight, steady, run: jsonSummary(sustained) };
      say(`  steady state: ${steady.decidedPerSecond} decided/s, ${steady.entitlementsPerSecond} entitlements/s`);

      say(`latency: ${o.latencyRate} claims/s for ${o.latencyDuration} s ...`);
      const latency = await runLoad({ ...base, seed: o.seed + 1, durationS: o.latencyDuration, rate: o.latencyRate });
      result.latency = { rate: o.latencyRate, durationS: o.latencyDuration, run: jsonSummary(latency) };
    } finally {
      await svc.release();
    }
  }

  const ratio = (a: number | undefined, b: number | undefined) => (a && b ? round(a / b, 3) : null);
  const decided = result.sustained?.steady.decidedPerSecond;
  result.ratios = {
    decidedVsKafkaProducer: ratio(decided, ceiling.kafkaProducer?.recordsPerSecond),
    decidedVsKafkaConsumer: ratio(decided, ceiling.kafkaConsumer?.recordsPerSecond),
    decidedVsPostgresInsert: ratio(decided, ceiling.postgresInsert?.rowsPerSecond),
  };
  result.machine.loadAverageEnd = round(os.loadavg()[0] ?? 0, 2);
  result.finishedAt = new Date().toISOString();
  fs.mkdirSync(o.outDir, { recursive: true });
  const file = path.join(o.outDir, `e2e-${startedAt.replace(/[:.]/g, '-').slice(0, 19)}.json`);
  fs.writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
  fs.writeFileSync(path.join(o.outDir, 'e2e.json'), `${JSON.stringify(result, null, 2)}\n`);
  say(`results: ${file} (and ${path.join(o.outDir, 'e2e.json')})`);
  console.log(markdown(result));
}

main().catch((e: unknown) => {
  process.stderr.write(`[bench] ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
