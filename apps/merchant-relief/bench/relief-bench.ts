// Measures the relief service on real Kafka and Postgres (isolated topics and database):
//   node tools/run.js apps/merchant-relief/bench/relief-bench.ts [reports=50000]
// Publishes the reports (2% are second reports of a merchant), then committee decisions for every
// merchant referred to review, and reports decisions per second and whether the ledger balances.
import { campaign, ReliefHarness } from '../test/harness';

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? 50_000);
  const h = await new ReliefHarness().start('relief_bench', { LOG_LEVEL: 'error' });
  try {
    await h.defineCampaigns([campaign('bench')]);
    const reports = Array.from({ length: n }, (_, i) => ({
      eventId: `r-${i}`,
      campaignId: 'bench',
      merchantId: `m-${i % Math.floor(n * 0.98)}`,
      assessedLossWon: (i * 7919) % 800_000,
      reportedAt: '2023-01-12T10:00:00+09:00',
    }));
    const count = async (table: string): Promise<number> =>
      Number((await h.pg.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
    const until = async (table: string, want: number): Promise<void> => {
      while ((await count(table)) < want) await new Promise((r) => setTimeout(r, 200));
    };

    let t0 = Date.now();
    for (let i = 0; i < reports.length; i += 10_000) await h.send('merchantDamageReported', reports.slice(i, i + 10_000));
    const published = Date.now() - t0;
    await until('relief_report', n);
    const reportsMs = Date.now() - t0;

    const inReview = (await h.pg.query<{ merchant_id: string }>(`SELECT merchant_id FROM relief WHERE tier = 'REVIEW'`)).rows.map(
      (r) => r.merchant_id,
    );
    const decisions = inReview.map((m, i) => ({
      eventId: `v-${i}`,
      merchantId: m,
      approved: i % 3 !== 0,
      ...(i % 3 !== 0 ? { additionalAmountWon: 100_000 + i } : {}),
      decidedAt: '2023-03-01T10:00:00+09:00',
    }));
    t0 = Date.now();
    for (let i = 0; i < decisions.length; i += 10_000) await h.send('merchantReviewDecided', decisions.slice(i, i + 10_000));
    await until('review_decision', decisions.length);
    const reviewsMs = Date.now() - t0;

    const summary = await h.get<{
      campaigns: Record<string, { merchants: number; owedWon: number; balanced: boolean; rejectedReports: Record<string, number> }>;
    }>('/relief/summary');
    const b = summary.body.campaigns.bench;
    console.log(
      JSON.stringify(
        {
          reports: n,
          publishMs: published,
          reportsDecidedMs: reportsMs,
          reportsPerSecond: Math.round((n * 1000) / reportsMs),
          reviewDecisions: decisions.length,
          reviewsAppliedMs: reviewsMs,
          reviewsPerSecond: Math.round((decisions.length * 1000) / reviewsMs),
          merchants: b?.merchants,
          rejected: b?.rejectedReports,
          owedWon: b?.owedWon,
          ledgerBalanced: b?.balanced,
        },
        null,
        2,
      ),
    );
  } finally {
    await h.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
