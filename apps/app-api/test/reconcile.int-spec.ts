import { randomUUID } from 'node:crypto';
import { PayloadOf } from '@platform/contracts';
import { startTelemetry, Telemetry } from '@platform/telemetry';
import { TopicCollector, waitFor } from '@platform/testing';
import { ClaimReconcileSweep, ReconciliationReport } from '../src/reconcile/claim-reconcile.sweep';
import type { Timeline } from '../src/timeline/timeline.service';
import { AppApiHarness, heartPackRewards } from './harness';

jest.setTimeout(120_000);

const rewards = heartPackRewards();

const MAX_ATTEMPTS = 3;

/**
 * Gift packs that converge. No granting service runs: the test is the platform. A decision whose
 * grants never come is asked for again up to RECONCILE_MAX_ATTEMPTS times and ends STUCK; one whose
 * grants arrive after the first request ends COMPLETED; a complete one is never asked for.
 */
describe('app-api: the claim reconciler', () => {
  const h = new AppApiHarness({ database: 'app_api_reconcile', topics: 'app-api-rc' });
  const run = Date.now().toString(36);
  const campaignId = `rc-${run}`;
  let collector: TopicCollector;
  let reader: Record<string, string>;
  let telemetry: Telemetry;

  const publish = h.publish.bind(h);
  const requests = (claimId: string) =>
    collector
      .on(h.topic('claimRedriveRequested'))
      .map((m) => m.json<PayloadOf<'claimRedriveRequested'>>())
      .filter((r) => r.claimId === claimId);
  /** A GET that must answer 200: its body. */
  const ok = async <T>(path: string): Promise<T> => {
    const r = await h.get<T>(path, reader);
    expect(r.status).toBe(200);
    return r.body;
  };
  const report = () => ok<ReconciliationReport>(`/v1/reconciliation?campaignId=${campaignId}`);
  const timeline = (accountId: string) => ok<Timeline>(`/v1/accounts/${accountId}/timeline`);
  const decide = async (accountId: string) => {
    const d: PayloadOf<'claimDecided'> = {
      claimId: randomUUID(),
      eventId: `${accountId}-ev`,
      campaignId,
      accountId,
      status: 'ACCEPTED',
      decidedAt: new Date().toISOString(),
      requestedAt: new Date().toISOString(),
      makersMember: true,
      rewards,
    };
    await publish('claimDecided', d, accountId);
    return d;
  };
  /** Everything the granting services would emit for a decision. */
  const grant = async (d: PayloadOf<'claimDecided'>) => {
    const at = new Date().toISOString();
    const base = { claimId: d.claimId, eventId: d.eventId, accountId: d.accountId, campaignId };
    for (const [i, e] of rewards.emoticons.entries())
      await publish(
        'entitlementGranted',
        { ...base, entitlementId: `${d.claimId}-e${i}`, emoticonId: e.emoticonId, validityDays: e.validityDays, grantedAt: at },
        d.accountId,
      );
    for (const [i, amountWon] of [2000, 3000].entries())
      await publish('couponIssued', { ...base, couponId: `${d.claimId}-k${i}`, amountWon, issuedAt: at, expiresAt: at }, d.accountId);
    await publish('passReserved', { ...base, passId: `${d.claimId}-p`, slot: 1, claimedAt: at, reservedAt: at }, d.accountId);
  };

  beforeAll(async () => {
    telemetry = startTelemetry({ serviceName: 'app-api', disabled: true });
    await h.start({
      RECONCILE_INTERVAL_MS: '200',
      RECONCILE_AFTER_MS: '1500',
      RECONCILE_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
      // long enough for grants published after a request to reach the read model before the next check
      RECONCILE_BACKOFF_MS: '1500',
      RECONCILE_MAX_BACKOFF_MS: '2000',
    });
    reader = await h.as('reader');
    collector = await new TopicCollector([h.topic('claimRedriveRequested')], h.infra.brokers).start();
  });

  afterAll(async () => {
    await collector?.stop();
    await h.stop();
    await telemetry?.shutdown();
  });

  it('re-drives what is missing up to max attempts (STUCK), completes a claim whose grants come after the first request, leaves complete ones alone', async () => {
    const never = await decide(`${run}-never`);
    const late = await decide(`${run}-late`);
    const complete = await decide(`${run}-complete`);
    await grant(complete);

    // the late one's grants arrive after its first re-drive request (as a re-driven decision's would)
    const [first] = await waitFor('the first request for the late claim', () =>
      requests(late.claimId).length > 0 ? requests(late.claimId) : null,
    );
    expect(first).toMatchObject({ claimId: late.claimId, accountId: late.accountId, campaignId, attempt: 1 });
    expect([...(first?.missing ?? [])].sort()).toEqual(['COUPONS', 'EMOTICONS', 'PASS']);
    await grant(late);

    const stuck = await waitFor(
      'the never-granted claim STUCK and the late one COMPLETED',
      async () => {
        const r = await report();
        return r.counts.STUCK === 1 && r.counts.COMPLETED === 1 ? r : null;
      },
      60_000,
    );
    expect(stuck.counts).toEqual({ RE_DRIVEN: 0, STUCK: 1, COMPLETED: 1 });
    expect(stuck.checked).toBe(3);
    expect(stuck.stuck).toEqual([
      expect.objectContaining({
        claimId: never.claimId,
        accountId: never.accountId,
        attempts: MAX_ATTEMPTS,
        missing: ['EMOTICONS', 'COUPONS', 'PASS'],
      }),
    ]);
    expect(requests(never.claimId).map((r) => r.attempt)).toEqual([1, 2, 3]);
    expect(requests(late.claimId).map((r) => r.attempt)).toEqual([1]);
    expect(requests(complete.claimId)).toEqual([]);

    // further passes ask for nothing more: STUCK is reported, not retried forever
    const reconciler = h.app.get(ClaimReconcileSweep);
    const again = await reconciler.reconcileOnce();
    expect(again.redriven).toBe(0);
    expect(requests(never.claimId)).toHaveLength(MAX_ATTEMPTS);

    const res = await fetch(`${h.url}/metrics`, { headers: reader });
    const text = await res.text();
    expect(text).toMatch(new RegExp(`heartpack_reconciler_claims\\{[^}]*campaign="${campaignId}"[^}]*status="STUCK"[^}]*\\} 1`));
    expect(text).toMatch(new RegExp(`heartpack_reconciler_redrives_total\\{[^}]*campaign="${campaignId}"[^}]*\\} 4`));

    // the account's timeline says so, with what is missing
    const stuckTimeline = await timeline(never.accountId);
    expect(stuckTimeline).toMatchObject({
      status: 'STUCK',
      pending: [`${campaignId} EMOTICONS: 0 of 3 granted`, `${campaignId} COUPONS: 0 of 2 issued`, `${campaignId} PASS: not reserved yet`],
      claims: [
        {
          giftPack: {
            status: 'STUCK',
            reconciliation: { status: 'STUCK', attempts: MAX_ATTEMPTS, missing: ['EMOTICONS', 'COUPONS', 'PASS'] },
          },
        },
      ],
    });
    expect((await timeline(late.accountId)).status).toBe('PENDING'); // its pass waits in the send queue: no longer the reconciler's

    // grants that come late (a service back after hours, a DLQ replay) still complete a STUCK claim
    await grant(never);
    await waitFor('the stuck claim COMPLETED once its grants arrived', async () => (await report()).counts.COMPLETED === 2, 30_000);
    expect((await report()).stuck).toEqual([]);
    expect((await timeline(never.accountId)).status).toBe('PENDING');
  });

  it('answers only readers and ops, and checks its parameters', async () => {
    expect((await fetch(`${h.url}/v1/reconciliation`)).status).toBe(401);
    expect((await fetch(`${h.url}/v1/reconciliation?limit=-1`, { headers: reader })).status).toBe(400);
  });
});
