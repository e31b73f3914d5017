// Throughput of the coupon service on real Kafka and Postgres, in-process, on a throwaway database
// and topic prefix: `node tools/run.js apps/coupons/bench/coupons-bench.ts [claims=5000] [httpRequests=1000] [httpConcurrency=16]`.
import { ManualClock } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { PayloadOf, Topics } from '@platform/contracts';
import { couponIdFor } from '../src/coupons/coupon-id';
import { acceptedClaim, startHarness } from '../test/fixtures';

async function main(): Promise<void> {
  const [n = 5000, httpN = 1000, conc = 16] = process.argv.slice(2).map(Number);
  const clock = new ManualClock(new Date());
  const h = await startHarness('coupons_bench', clock, [Topics.couponIssued.name, Topics.couponRedemptionDecided.name]);
  try {
    const base = await h.app.getUrl();
    const t0 = clock.now();
    let started = Date.now();
    await h.feeder.send(
      'claimDecided',
      Array.from({ length: n }, (_, i) => acceptedClaim(`bench-${i}`, t0)),
    );
    const published = Date.now() - started;
    await waitFor('coupons stored', async () => (await h.count(`SELECT count(*) n FROM coupon`)) >= 2 * n, 600_000, 50);
    const stored = Date.now() - started;
    await waitFor('coupon.issued published', () => h.collector.on(h.topic('couponIssued')).length >= 2 * n, 600_000, 50);
    const seen = Date.now() - started;
    console.log(
      `issuance: ${n} accepted member claims -> ${2 * n} coupons; inputs published ${published} ms, stored ${stored} ms (${Math.round((n / stored) * 1000)} claims/s), all coupon.issued seen ${seen} ms`,
    );

    started = Date.now();
    await h.feeder.send(
      'couponRedemptionRequested',
      Array.from({ length: n }, (_, i) => ({
        eventId: `bench-req-${i}`,
        couponId: couponIdFor(`claim-bench-${i}`, 0),
        accountId: `acct-bench-${i}`,
        orderId: `order-${i}`,
        orderAmountWon: 10_000,
        requestedAt: new Date().toISOString(),
      })),
    );
    const pub2 = Date.now() - started;
    await waitFor('redemptions decided', async () => (await h.count(`SELECT count(*) n FROM redemption`)) >= n, 600_000, 50);
    const dec = Date.now() - started;
    await waitFor('decisions published', () => h.collector.on(h.topic('couponRedemptionDecided')).length >= n, 600_000, 50);
    const seen2 = Date.now() - started;
    const redeemed = h.collector
      .on(h.topic('couponRedemptionDecided'))
      .filter((m) => m.json<PayloadOf<'couponRedemptionDecided'>>().status === 'REDEEMED').length;
    console.log(
      `event redemptions: ${n} requests (${redeemed} REDEEMED); inputs published ${pub2} ms, decided ${dec} ms (${Math.round((n / dec) * 1000)}/s), all decisions seen ${seen2} ms`,
    );

    const m = Math.min(httpN, n);
    const shop = await h.bearer('shop-backend');
    const latencies: number[] = [];
    let next = 0;
    started = Date.now();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        for (let i = next++; i < m; i = next++) {
          const t = performance.now();
          const r = await fetch(`${base}/coupons/${couponIdFor(`claim-bench-${i}`, 1)}/redemptions`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'idempotency-key': `bench-http-${i}`, ...shop },
            body: JSON.stringify({ accountId: `acct-bench-${i}`, orderId: `order-http-${i}`, orderAmountWon: 10_000 }),
          });
          if (r.status !== 200) throw new Error(`HTTP ${r.status}`);
          await r.json();
          latencies.push(performance.now() - t);
        }
      }),
    );
    const ms = Date.now() - started;
    latencies.sort((a, b) => a - b);
    const pct = (p: number): string =>
      (latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0).toFixed(1);
    console.log(
      `HTTP redemptions: ${m} requests, concurrency ${conc}: ${ms} ms (${Math.round((m / ms) * 1000)} req/s), latency p50 ${pct(50)} ms, p95 ${pct(95)} ms, p99 ${pct(99)} ms`,
    );
  } finally {
    await h.close();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
