// First checks per second of the claim reconciler: N ACCEPTED decisions (three packs, two coupons,
// a pass each) are loaded straight into the read model, all complete except every 100th (its
// packs are missing), then one reconciliation pass runs over them; the rate is N / its duration.
//   node tools/run.js apps/app-api/bench/reconcile-bench.ts [N=200000]
import { randomUUID } from 'node:crypto';
import { ClaimReconcileSweep } from '../src/reconcile/claim-reconcile.sweep';
import { AppApiHarness } from '../test/harness';

const n = Number(process.argv[2] ?? 200_000);

void (async () => {
  const h = await new AppApiHarness({ database: 'app_api_reconcile_bench', topics: 'rcbench' }).start({
    RECONCILE_INTERVAL_MS: '0',
    RECONCILE_AFTER_MS: '0',
    RECONCILE_BATCH: process.env.RECONCILE_BATCH,
  });
  const pg = await h.pg();
  const rewards = {
    emoticons: ['a', 'b', 'c'].map((e) => ({ emoticonId: e, name: e, validityDays: null })),
    coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
    pass: { cap: 3_000_000, delayNoticeAfterSeconds: 259200, registrationWindowSeconds: 2592000, validitySeconds: 2592000, storageGb: 100 },
  };
  const past = new Date(Date.now() - 60_000).toISOString();
  for (let i = 0; i < n; i += 10_000) {
    const ids = Array.from({ length: Math.min(10_000, n - i) }, (_, k) => ({ j: i + k, claimId: randomUUID() }));
    await pg.query(
      `INSERT INTO claim_decision (event_id, claim_id, campaign_id, account_id, status, makers_member, requested_at, decided_at, rewards, recorded_at)
       SELECT 'ev-' || j, c, 'bench', 'acct-' || j, 'ACCEPTED', true, $3, $3, $4, $3 FROM unnest($1::int[], $2::text[]) AS t (j, c)`,
      [ids.map((x) => x.j), ids.map((x) => x.claimId), past, JSON.stringify(rewards)],
    );
    const events: [string, string, string, string][] = [];
    for (const { j, claimId } of ids) {
      const acct = `acct-${j}`;
      if (j % 100 !== 0) for (const e of ['a', 'b', 'c']) events.push(['entitlementGranted', `${claimId}-${e}`, acct, JSON.stringify({ claimId, campaignId: 'bench', emoticonId: e })]);
      for (const [k, amountWon] of [2000, 3000].entries())
        events.push(['couponIssued', `${claimId}-${k}`, acct, JSON.stringify({ claimId, campaignId: 'bench', couponId: `${claimId}-${k}`, amountWon })]);
      events.push(['passReserved', `${claimId}-p`, acct, JSON.stringify({ claimId, campaignId: 'bench', passId: `${claimId}-p` })]);
    }
    await pg.query(
      `INSERT INTO timeline_event (topic, natural_key, account_id, occurred_at, payload, recorded_at)
       SELECT t.t, t.k, t.a, $5, t.p, $5 FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[]) AS t (t, k, a, p)`,
      [events.map((e) => e[0]), events.map((e) => e[1]), events.map((e) => e[2]), events.map((e) => e[3]), past],
    );
  }
  await pg.query('ANALYZE');
  const reconciler = h.app.get(ClaimReconcileSweep);
  const t0 = Date.now();
  const { checked, found } = await reconciler.reconcileOnce();
  const s = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ claims: n, checked, found, seconds: s, checksPerSecond: Math.round(checked / s), batch: h.config.RECONCILE_BATCH }));
  await h.stop();
  process.exit(0);
})();
