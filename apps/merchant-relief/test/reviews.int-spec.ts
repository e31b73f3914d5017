import { createHash } from 'node:crypto';
import { waitFor } from '@platform/testing';
import { campaign, campaignSummary, ReliefHarness, refusedReview } from './harness';

jest.setTimeout(90_000);

const C = 'review-2023';
const WAIT_MS = 60_000;
// Every report referred to review here carries one proof-of-damage document, `<merchant>-proof`.
const proofOf = (merchantId: string) => ({
  documentId: `${merchantId}-proof`,
  sha256: createHash('sha256').update(merchantId).digest('hex'),
});
const report = (eventId: string, merchantId: string, assessedLossWon: number, campaignId = C) => ({
  eventId,
  campaignId,
  merchantId,
  assessedLossWon,
  evidence: [proofOf(merchantId)],
  reportedAt: '2023-01-12T10:00:00+09:00',
});
const decision = (eventId: string, merchantId: string, approved: boolean, additionalAmountWon?: unknown) => ({
  eventId,
  merchantId,
  approved,
  ...(additionalAmountWon === undefined ? {} : { additionalAmountWon }),
  evidenceIds: [`${merchantId}-proof`],
  decidedAt: '2023-03-01T10:00:00+09:00',
});

interface QueuePage {
  status: string;
  reviews: { merchantId: string; campaignId: string; assessedLossWon: number; status: string; additionalAmountWon: number }[];
  next: string | null;
}

describe('merchant-relief: committee reviews on real Kafka and Postgres', () => {
  const h = new ReliefHarness();

  beforeAll(async () => {
    await h.start('relief_reviews', { RELIEF_REVIEW_WAIT_MS: String(WAIT_MS) });
    await h.defineCampaigns([campaign(C)]);
    await h.send('merchantDamageReported', [
      report('r-a', 'm-a', 600_000),
      report('r-b', 'm-b', 500_001),
      report('r-c', 'm-c', 2_000_000),
      report('r-d', 'm-d', 10_000_000),
      report('r-t30', 'm-t30', 300_000),
    ]);
    const got = await h.answers('reliefDecided', ['r-a', 'r-b', 'r-c', 'r-d', 'r-t30']);
    expect(['r-a', 'r-b', 'r-c', 'r-d'].map((id) => [got.get(id)?.tier, got.get(id)?.amountWon])).toEqual(Array(4).fill(['REVIEW', 0]));
  });

  afterAll(() => h.stop());

  it('lists merchants waiting for the committee, page by page', async () => {
    const all = await h.get<QueuePage>('/relief/reviews?status=pending');
    expect(all.status).toBe(200);
    expect(all.body.reviews.map((r) => r.merchantId).sort()).toEqual(['m-a', 'm-b', 'm-c', 'm-d']);
    expect(all.body.reviews.find((r) => r.merchantId === 'm-c')).toMatchObject({
      campaignId: C,
      assessedLossWon: 2_000_000,
      status: 'PENDING',
      additionalAmountWon: 0,
    });
    const p1 = await h.get<QueuePage>('/relief/reviews?status=pending&limit=3');
    expect(p1.body.reviews).toHaveLength(3);
    expect(p1.body.next).toEqual(expect.any(String));
    const p2 = await h.get<QueuePage>(`/relief/reviews?status=pending&limit=3&after=${p1.body.next ?? ''}`);
    expect(p2.body.reviews).toHaveLength(1);
    expect(p2.body.next).toBeNull();
    expect([...p1.body.reviews, ...p2.body.reviews].map((r) => r.merchantId)).toEqual(all.body.reviews.map((r) => r.merchantId));
    expect((await h.get('/relief/reviews?status=weird')).status).toBe(400);
    expect((await h.get('/relief/reviews?limit=0')).status).toBe(400);
    expect((await h.get('/relief/reviews?after=garbage')).status).toBe(400);
  });

  it('applies approvals (with the additional amount) and refusals, once per case', async () => {
    await h.send('merchantReviewDecided', [decision('v-a', 'm-a', true, 250_000), decision('v-b', 'm-b', false)]);
    const got = await h.answers('reliefReviewApplied', ['v-a', 'v-b']);
    expect(got.get('v-a')).toEqual({
      eventId: 'v-a',
      merchantId: 'm-a',
      status: 'APPROVED',
      additionalAmountWon: 250_000,
      totalAmountWon: 250_000,
      evidenceIds: ['m-a-proof'],
      decidedAt: h.clock.now().toISOString(),
    });
    expect(got.get('v-b')).toMatchObject({ status: 'DECLINED', additionalAmountWon: 0, totalAmountWon: 0 });
    // a second decision for a decided case changes nothing
    await h.send('merchantReviewDecided', [decision('v-a2', 'm-a', false), decision('v-b2', 'm-b', true, 1_000)]);
    const again = await h.answers('reliefReviewApplied', ['v-a2', 'v-b2']);
    expect(again.get('v-a2')).toMatchObject(refusedReview('ALREADY_DECIDED', 250_000));
    expect(again.get('v-b2')).toMatchObject(refusedReview('ALREADY_DECIDED'));
    const queue = await h.get<QueuePage>('/relief/reviews?status=approved');
    expect(queue.body.reviews.map((r) => [r.merchantId, r.additionalAmountWon])).toEqual([['m-a', 250_000]]);
  });

  it('answers a redelivered decision (same eventId) with the same answer and pays once', async () => {
    const first = h.applied('v-a');
    h.clock.advance(1_000);
    await h.send('merchantReviewDecided', [decision('v-a', 'm-a', true, 250_000)]);
    await h.answers('reliefReviewApplied', ['v-a'], 2);
    expect(h.applied('v-a')).toEqual([first[0], first[0]]);
    const entries = await h.pg.query(`SELECT kind, amount_won::int AS won FROM payout_ledger WHERE merchant_id = 'm-a'`);
    expect(entries.rows).toEqual([{ kind: 'REVIEW_ADDITION', won: 250_000 }]);
  });

  it('rejects bad amounts with INVALID_AMOUNT and keeps the case open for a corrected decision', async () => {
    await h.send('merchantReviewDecided', [
      decision('i-neg', 'm-c', true, -5),
      decision('i-frac', 'm-c', true, 1.5),
      decision('i-missing', 'm-c', true),
      decision('i-zero', 'm-c', true, 0),
      decision('i-declined-money', 'm-c', false, 100),
      decision('i-null', 'm-c', true, null),
    ]);
    const ids = ['i-neg', 'i-frac', 'i-missing', 'i-zero', 'i-declined-money', 'i-null'];
    const got = await h.answers('reliefReviewApplied', ids);
    for (const id of ids) expect(got.get(id)).toMatchObject(refusedReview('INVALID_AMOUNT'));
    await h.send('merchantReviewDecided', [decision('i-fixed', 'm-c', true, 70_000)]);
    expect((await h.answers('reliefReviewApplied', ['i-fixed'])).get('i-fixed')).toMatchObject({
      status: 'APPROVED',
      additionalAmountWon: 70_000,
      totalAmountWon: 70_000,
    });
  });

  it('waits for a report that comes after its decision (out of order), then applies the decision', async () => {
    await h.send('merchantReviewDecided', [decision('o-1', 'm-late', true, 99_000)]);
    await waitFor('decision deferred', async () => (await h.pg.query(`SELECT 1 FROM deferred_message`)).rowCount === 1);
    expect(h.applied('o-1')).toHaveLength(0);
    await h.send('merchantDamageReported', [report('r-late', 'm-late', 700_000)]);
    expect((await h.answers('reliefDecided', ['r-late'])).get('r-late')).toMatchObject({ tier: 'REVIEW' });
    await h.advanceUntil('deferred decision applied', () => h.applied('o-1').length === 1, 500);
    expect(h.applied('o-1')[0]).toMatchObject({ status: 'APPROVED', additionalAmountWon: 99_000, totalAmountWon: 99_000 });
  });

  it('rejects decisions for merchants not in review with NOT_IN_REVIEW once the wait is over', async () => {
    await h.send('merchantReviewDecided', [decision('n-t30', 'm-t30', true, 10_000), decision('n-nobody', 'm-nobody', false)]);
    await waitFor('decisions deferred', async () => (await h.pg.query(`SELECT 1 FROM deferred_message`)).rowCount === 2);
    const attempts = async () =>
      (await h.pg.query<{ id: string; attempts: number }>(`SELECT id, attempts FROM deferred_message ORDER BY id`)).rows;
    const before = await attempts();
    h.clock.advance(WAIT_MS - 5_000);
    // the retries run (each deferred decision is attempted again), but the wait is not over yet
    await waitFor('deferred decisions retried', async () => {
      const now = await attempts();
      return now.length === before.length && now.every((r, i) => r.attempts > (before[i]?.attempts ?? Infinity));
    });
    expect(h.applied('n-t30')).toHaveLength(0);
    await h.advanceUntil('not-in-review decisions', () => h.applied('n-t30').length === 1 && h.applied('n-nobody').length === 1, 5_000);
    expect(h.applied('n-t30')[0]).toMatchObject(refusedReview('NOT_IN_REVIEW'));
    expect(h.applied('n-nobody')[0]).toMatchObject(refusedReview('NOT_IN_REVIEW'));
    expect(h.deadLetters('merchantReviewDecided')).toHaveLength(0);
    const left = await h.pg.query(
      `SELECT (SELECT count(*)::int FROM deferred_message) AS deferred, (SELECT count(*)::int FROM relief_waiting) AS waiting`,
    );
    expect(left.rows[0]).toEqual({ deferred: 0, waiting: 0 });
  });

  it('balances the ledger: what each merchant is owed is its tier plus its approved addition', async () => {
    expect(Object.fromEntries(await h.owed())).toEqual({
      [`${C}:m-a`]: 250_000,
      [`${C}:m-c`]: 70_000,
      [`${C}:m-late`]: 99_000,
      [`${C}:m-t30`]: 30_000,
    });
    const mismatch = await h.pg.query(
      `SELECT r.merchant_id FROM relief r LEFT JOIN payout_balance b USING (campaign_id, merchant_id)
        WHERE r.tier_amount_won + r.additional_amount_won <> coalesce(b.owed_won, 0)`,
    );
    expect(mismatch.rows).toEqual([]);
    const summary = await h.get<{ campaigns: Record<string, Record<string, unknown>> }>(`/relief/summary?campaignId=${C}`);
    expect(summary.body.campaigns).toEqual({
      [C]: campaignSummary({
        T30K: { merchants: 1, amountWon: 30_000 },
        REVIEW: { merchants: 5, pending: 1, approved: 3, declined: 1, amountWon: 419_000 },
        ledger: { entries: 4, tierPaymentsWon: 30_000, reviewAdditionsWon: 419_000 },
      }),
    });
    const m = await h.get<{ reliefs: { review: unknown }[]; reviewDecisions: { eventId: string; status: string }[]; ledger: unknown[] }>(
      '/relief/m-a',
    );
    expect(m.body.reliefs[0]?.review).toMatchObject({ status: 'APPROVED', additionalAmountWon: 250_000, reviewEventId: 'v-a' });
    expect(m.body.reviewDecisions.map((d) => [d.eventId, d.status])).toEqual([
      ['v-a', 'APPROVED'],
      ['v-a2', 'REJECTED'],
    ]);
    expect(m.body.ledger).toHaveLength(1);
    const pending = await h.get<QueuePage>('/relief/reviews');
    expect(pending.body.reviews.map((r) => r.merchantId)).toEqual(['m-d']);
  });
});
