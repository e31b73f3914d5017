// Pass dispatcher benchmark (R7/R8): reservation throughput through the real consumer and
// handler, and how close the sequential sender runs to the channel's allowed rate.
//
//   node tools/run.js apps/pass-dispatcher/bench/dispatch-bench.ts [--claims 50000] [--rate 200] [--seconds 60]
//
// 1) reservations/s: N accepted decisions are published first, then a dispatcher (sending off)
//    starts and reserves them; the rate is taken over the span of reservation timestamps.
// 2) sender pacing: the channel simulator allows --rate/s (token bucket, --burst), lognormal
//    latency; the dispatcher is told the same rate; deliveries are counted at the channel over a
//    --seconds window after a warm-up. Target: >= 98 % of the allowed rate.
// Prints the figures and writes bench/pass-dispatch.json.
import { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { createTestDatabase, deleteTestTopics, waitFor } from '@platform/testing';
import { createPassDispatcherApp } from '../src/app';
import { DispatchCoordinator } from '../src/dispatch/dispatch.coordinator';
import { accepted, createTopics, dispatcherConfig, Feeder, startSim } from '../test/helpers';

const program = new Command()
  .option('--claims <n>', 'accepted claims to reserve', (v) => Number(v), 50_000)
  .option('--rate <n>', 'channel rate limit and dispatcher rate (per second)', (v) => Number(v), 200)
  .option('--also-rates <list>', 'further rates to measure (comma separated), e.g. 100', (v) => v.split(',').filter(Boolean).map(Number), [] as number[])
  .option('--burst <n>', 'channel token bucket capacity', (v) => Number(v), 10)
  .option('--seconds <n>', 'measured dispatch window', (v) => Number(v), 60)
  .option('--warmup <n>', 'seconds before the window', (v) => Number(v), 3)
  .option('--latency-median <ms>', 'channel latency median', (v) => Number(v), 2)
  .option('--latency-p99 <ms>', 'channel latency p99', (v) => Number(v), 10)
  .option('--out <file>', 'result file', 'bench/pass-dispatch.json')
  .parse();
const opts = program.opts<{ claims: number; rate: number; alsoRates: number[]; burst: number; seconds: number; warmup: number; latencyMedian: number; latencyP99: number; out: string }>();

const log = (s: string) => console.log(`[bench] ${s}`);

async function reservationBench(): Promise<Record<string, number>> {
  const db = await createTestDatabase('bench_passes_reserve');
  const prefix = await createTopics('bench-passes-reserve');
  const feeder = new Feeder(prefix);
  const campaignId = 'bench-reserve';
  try {
    log(`publishing ${opts.claims} accepted decisions`);
    for (let i = 0; i < opts.claims; i += 5000) {
      await feeder.send('claimDecided', Array.from({ length: Math.min(5000, opts.claims - i) }, (_, k) => accepted(i + k, { campaignId })));
    }
    const app = await createPassDispatcherApp(
      dispatcherConfig(db, prefix, { DISPATCH_ENABLED: 'false', ESTIMATOR_INTERVAL_MS: '0', WATCHDOG_INTERVAL_MS: '0', LOG_LEVEL: 'error' }),
    );
    const pg = new Client({ connectionString: db.url });
    await pg.connect();
    try {
      const t0 = Date.now();
      await app.init();
      await waitFor(
        'all reserved',
        async () => {
          const r = await pg.query<{ reserved: number }>('SELECT reserved FROM pass_campaign WHERE campaign_id = $1', [campaignId]).catch(() => ({ rows: [] }));
          return r.rows[0]?.reserved === opts.claims;
        },
        600_000,
        100,
      );
      const wall = (Date.now() - t0) / 1000;
      const span = await pg.query<{ seconds: number; n: number; slots_ok: boolean }>(
        `SELECT extract(epoch FROM max(reserved_at) - min(reserved_at))::float8 AS seconds, count(*)::int AS n,
                (min(slot) = 1 AND max(slot) = count(*) AND count(DISTINCT slot) = count(*)) AS slots_ok FROM pass`,
      );
      const row = span.rows[0];
      if (!row?.slots_ok || row.n !== opts.claims) throw new Error('reservation result is wrong');
      const seconds = Math.max(0.001, row.seconds);
      return { claims: opts.claims, seconds, perSecond: opts.claims / seconds, wallSecondsFromStart: wall, perSecondWall: opts.claims / wall };
    } finally {
      await app.close();
      await pg.end();
    }
  } finally {
    await feeder.close();
    await db.drop();
    await deleteTestTopics(prefix);
  }
}

async function pacingBench(rate: number): Promise<Record<string, number>> {
  const db = await createTestDatabase('bench_passes_dispatch');
  const prefix = await createTopics('bench-passes-dispatch');
  const feeder = new Feeder(prefix);
  const sim = await startSim({
    SIM_RATE_LIMIT_PER_SECOND: String(rate),
    SIM_RATE_LIMIT_BURST: String(opts.burst),
    SIM_LATENCY_MEDIAN_MS: String(opts.latencyMedian),
    SIM_LATENCY_P99_MS: String(opts.latencyP99),
  });
  const campaignId = 'bench-dispatch';
  const passes = Math.ceil(rate * (opts.seconds + opts.warmup + 10));
  try {
    for (let i = 0; i < passes; i += 5000) {
      await feeder.send('claimDecided', Array.from({ length: Math.min(5000, passes - i) }, (_, k) => accepted(i + k, { campaignId })));
    }
    const app = await createPassDispatcherApp(dispatcherConfig(db, prefix, { TALK_CHANNEL_URL: sim.url, DISPATCH_RATE_PER_SECOND: String(rate), LOG_LEVEL: 'error' }));
    try {
      await app.init();
      const coordinator = app.get(DispatchCoordinator);
      log(`dispatching ${passes} passes at an allowed ${rate}/s; measuring ${opts.seconds} s after ${opts.warmup} s warm-up`);
      const firstAt = await waitFor('first delivery', async () => (await sim.deliveries()).at(0)?.deliveredAt, 120_000, 100);
      const from = Date.parse(firstAt) + opts.warmup * 1000;
      const to = from + opts.seconds * 1000;
      await new Promise((r) => setTimeout(r, Math.max(0, from - Date.now())));
      const s0 = coordinator.leading()[0]?.stats;
      await new Promise((r) => setTimeout(r, Math.max(0, to - Date.now())));
      const s1 = coordinator.leading()[0]?.stats;
      await new Promise((r) => setTimeout(r, 500));
      const calls = (s1?.calls ?? 0) - (s0?.calls ?? 0);
      const meanRoundTripMs = calls > 0 ? ((s1?.channelMs ?? 0) - (s0?.channelMs ?? 0)) / calls : 0;
      const deliveries = await sim.deliveries();
      const inWindow = deliveries.filter((d) => {
        const t = Date.parse(d.deliveredAt);
        return t >= from && t < to;
      });
      const slots = deliveries.map((d) => d.slot);
      if (slots.some((s, i) => s !== i + 1)) throw new Error('deliveries out of order or with gaps');
      const stats = await sim.stats();
      const achieved = inWindow.length / opts.seconds;
      return {
        allowedPerSecond: rate,
        windowSeconds: opts.seconds,
        deliveredInWindow: inWindow.length,
        achievedPerSecond: achieved,
        ratio: achieved / rate,
        rateLimited429: stats.rateLimited ?? 0,
        duplicates: stats.duplicates ?? 0,
        latencyMedianMs: opts.latencyMedian,
        latencyP99Ms: opts.latencyP99,
        burst: opts.burst,
        meanRoundTripMs,
        sendIntervalMs: 1000 / rate,
        // one request in flight: the sender cannot beat 1000 / round trip, whatever the pacing
        roundTripBoundPerSecond: meanRoundTripMs > 0 ? 1000 / meanRoundTripMs : 0,
      };
    } finally {
      await app.close();
    }
  } finally {
    await sim.close();
    await feeder.close();
    await db.drop();
    await deleteTestTopics(prefix);
  }
}

void (async () => {
  const loadBefore = os.loadavg()[0] ?? 0;
  const reservation = await reservationBench();
  log(`reservations: ${reservation.claims} in ${reservation.seconds.toFixed(2)} s = ${Math.round(reservation.perSecond ?? 0)}/s (wall from start ${reservation.wallSecondsFromStart?.toFixed(2)} s)`);
  const runs: Record<string, number>[] = [];
  for (const rate of [opts.rate, ...opts.alsoRates]) {
    const r = await pacingBench(rate);
    runs.push(r);
    log(
      `sender: ${r.achievedPerSecond?.toFixed(2)}/s of ${r.allowedPerSecond}/s allowed = ${((r.ratio ?? 0) * 100).toFixed(2)} % over ${r.windowSeconds} s (${r.rateLimited429} x 429, mean channel round trip ${r.meanRoundTripMs?.toFixed(2)} ms)`,
    );
  }
  const dispatch = runs[0] ?? {};
  const result = {
    benchmark: 'pass-dispatch',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? '', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAverage1mBefore: loadBefore, loadAverage1mAfter: os.loadavg()[0] ?? 0 },
    reservation,
    dispatch: { ...dispatch, target: 0.98, met: (dispatch.ratio ?? 0) >= 0.98 },
    otherRates: runs.slice(1).map((r) => ({ ...r, met: (r.ratio ?? 0) >= 0.98 })),
  };
  const out = path.resolve(__dirname, '../../..', opts.out);
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
  log(`wrote ${path.relative(process.cwd(), out)}`);
  process.exit(0);
})().catch((e: unknown) => {
  console.error('bench failed', e);
  process.exit(1);
});
