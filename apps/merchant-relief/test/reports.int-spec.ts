import { DLQ_HEADERS } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { campaign, campaignSummary, ReliefHarness } from './harness';

jest.setTimeout(90_000);

const C = 'relief-2023';
const report = (eventId: string, merchantId: string, assessedLossWon: unknown, campaignId = C) => ({
  eventId,
  campaignId,
  merchantId,
  assessedLossWon,
  reportedAt: '2023-01-12T10:00:00+09:00',
});

describe('merchant-relief: damage reports on real Kafka and Postgres', () => {
  const h = new ReliefHarness();

  beforeAll(async () => {
    await h.start('relief_reports', { RELIEF_UNKNOWN_CAMPAIGN_WAIT_MS: '60000' });
    await h.defineCampaigns([
      campaign(C),
      campaign('no-relief', null),
      campaign('small-tiers', { tiers: [{ tier: 'T30K', maxLossWon: 1_000, amountWon: 7 }] }),
    ]);
  });

  afterAll(() => h.stop());

  it('decides the tier at every boundary with the campaign tiers (R10)', async () => {
    const cases: [number, string, number][] = [
      [0, 'T30K', 30_000],
      [300_000, 'T30K', 30_000],
      [300_001, 'T50K', 50_000],
      [500_000, 'T50K', 50_000],
      [500_001, 'REVIEW', 0],
    ];
    await h.send(
      'merchantDamageReported',
      cases.map(([loss]) => report(`b-${loss}`, `m-${loss}`, loss)),
    );
    const got = await h.answers(
      'reliefDecided',
      cases.map(([loss]) => `b-${loss}`),
    );
    for (const [loss, tier, amountWon] of cases) {
      expect(got.get(`b-${loss}`)).toEqual({
        eventId: `b-${loss}`,
        merchantId: `m-${loss}`,
        campaignId: C,
        status: 'DECIDED',
        tier,
        amountWon,
        // an upstream assessment is used as is, and says so
        explanation: expect.objectContaining({
          method: 'UPSTREAM',
          modelVersion: null,
          factors: [],
          assessedLossWon: loss,
          tier,
          amountWon,
        }),
        decidedAt: h.clock.now().toISOString(),
      });
    }
    // the campaign's own numbers, not the 2023 ones
    await h.send('merchantDamageReported', [
      report('s-1', 'm-small-1', 1_000, 'small-tiers'),
      report('s-2', 'm-small-2', 1_001, 'small-tiers'),
    ]);
    const small = await h.answers('reliefDecided', ['s-1', 's-2']);
    expect([small.get('s-1')?.tier, small.get('s-1')?.amountWon, small.get('s-2')?.tier, small.get('s-2')?.amountWon]).toEqual([
      'T30K',
      7,
      'REVIEW',
      0,
    ]);
  });

  it('rejects negative, non-integer and missing amounts with INVALID_AMOUNT, and parks schema-breaking reports', async () => {
    const bad: [string, unknown][] = [
      ['x-neg', -1],
      ['x-frac', 300_000.5],
      ['x-null', null],
      ['x-huge', 2 ** 53],
    ];
    await h.send('merchantDamageReported', [
      ...bad.map(([id, loss]) => report(id, `m-${id}`, loss)),
      { ...report('x-missing', 'm-x-missing', 0), assessedLossWon: undefined },
    ]);
    await h.send('merchantDamageReported', [report('x-string', 'm-x-string', '300000')]);
    const ids = [...bad.map(([id]) => id), 'x-missing'];
    const got = await h.answers('reliefDecided', ids);
    for (const id of ids)
      expect(got.get(id)).toMatchObject({ status: 'REJECTED', reason: 'INVALID_AMOUNT', amountWon: 0, merchantId: `m-${id}` });
    for (const id of ids) expect(got.get(id)?.tier).toBeUndefined();
    await waitFor('string amount parked', () => h.deadLetters('merchantDamageReported').length === 1);
    expect(h.deadLetters('merchantDamageReported')[0]?.headers[DLQ_HEADERS.reason]).toMatch(/^SCHEMA_VIOLATION: assessedLossWon/);
    // a rejected report is no relief: the merchant may report again properly
    await h.send('merchantDamageReported', [report('x-neg-fixed', 'm-x-neg', 10)]);
    expect((await h.answers('reliefDecided', ['x-neg-fixed'])).get('x-neg-fixed')).toMatchObject({ status: 'DECIDED', tier: 'T30K' });
  });

  it('grants one relief per merchant per campaign: a second, different report is DUPLICATE_REPORT', async () => {
    // two reports in one publish (one chunk), a third one later (the database decides)
    await h.send('merchantDamageReported', [
      report('d-1', 'm-dup', 100_000),
      report('d-2', 'm-dup', 400_000),
      report('d-other', 'm-dup', 100, 'small-tiers'),
    ]);
    const first = await h.answers('reliefDecided', ['d-1', 'd-2', 'd-other']);
    expect(first.get('d-1')).toMatchObject({ status: 'DECIDED', tier: 'T30K', amountWon: 30_000 });
    expect(first.get('d-2')).toMatchObject({ status: 'REJECTED', reason: 'DUPLICATE_REPORT', amountWon: 0 });
    expect(first.get('d-other')).toMatchObject({ status: 'DECIDED', tier: 'T30K', amountWon: 7 }); // another campaign
    await h.send('merchantDamageReported', [report('d-3', 'm-dup', 600_000)]);
    expect((await h.answers('reliefDecided', ['d-3'])).get('d-3')).toMatchObject({ status: 'REJECTED', reason: 'DUPLICATE_REPORT' });
    const rows = await h.pg.query(`SELECT report_event_id, tier FROM relief WHERE merchant_id = 'm-dup' ORDER BY campaign_id`);
    expect(rows.rows).toEqual([
      { report_event_id: 'd-1', tier: 'T30K' },
      { report_event_id: 'd-other', tier: 'T30K' },
    ]);
  });

  it('answers a redelivered report (same eventId) with the same decision, without paying twice', async () => {
    const before = await h.owed();
    const original = h.decided('d-1');
    const duplicateOriginal = h.decided('d-2');
    h.clock.advance(3_600_000); // a later decidedAt would show if the decision were made again
    await h.send('merchantDamageReported', [report('d-1', 'm-dup', 100_000), report('d-2', 'm-dup', 400_000)]);
    await h.answers('reliefDecided', ['d-1'], 2);
    await h.answers('reliefDecided', ['d-2'], 2);
    expect(original).toHaveLength(1);
    expect(h.decided('d-1')).toEqual([original[0], original[0]]);
    expect(h.decided('d-2')).toEqual([duplicateOriginal[0], duplicateOriginal[0]]);
    expect(await h.owed()).toEqual(before);
  });

  it('parks another body under an answered eventId as EVENT_ID_REUSED (no answer, no payment)', async () => {
    const before = await h.owed();
    const parkedBefore = h.deadLetters('merchantDamageReported').length;
    await h.send('merchantDamageReported', [report('d-1', 'm-dup', 999_999)]);
    await waitFor('parked', () => h.deadLetters('merchantDamageReported').length === parkedBefore + 1);
    expect(h.deadLetters('merchantDamageReported').at(-1)?.headers[DLQ_HEADERS.reason]).toBe(
      'EVENT_ID_REUSED: eventId d-1 was already used for a different damage report',
    );
    expect(h.decided('d-1')).toHaveLength(2);
    expect(await h.owed()).toEqual(before);
  });

  it('rejects reports for a campaign without relief with NO_RELIEF', async () => {
    await h.send('merchantDamageReported', [report('n-1', 'm-n', 100, 'no-relief')]);
    expect((await h.answers('reliefDecided', ['n-1'])).get('n-1')).toMatchObject({
      status: 'REJECTED',
      reason: 'NO_RELIEF',
      campaignId: 'no-relief',
    });
  });

  it('waits for a campaign defined late, and rejects UNKNOWN_CAMPAIGN once the wait is over', async () => {
    await h.send('merchantDamageReported', [
      report('u-late', 'm-late', 450_000, 'late-campaign'),
      report('u-never', 'm-never', 1, 'never-campaign'),
    ]);
    await waitFor('both deferred', async () => (await h.pg.query(`SELECT 1 FROM deferred_message`)).rowCount === 2);
    expect(h.decided('u-late')).toHaveLength(0);
    h.clock.advance(10_000);
    await h.defineCampaigns([campaign('late-campaign')]);
    await h.advanceUntil('late report decided', () => h.decided('u-late').length === 1, 1_000);
    expect(h.decided('u-late')[0]).toMatchObject({ status: 'DECIDED', tier: 'T50K', amountWon: 50_000 });
    expect(h.decided('u-never')).toHaveLength(0);
    await h.advanceUntil('unknown campaign decided', () => h.decided('u-never').length === 1, 5_000);
    expect(h.decided('u-never')[0]).toMatchObject({ status: 'REJECTED', reason: 'UNKNOWN_CAMPAIGN', campaignId: 'never-campaign' });
    // only the schema-breaking one and the reused eventId: waiting never ends in the DLQ
    expect(h.deadLetters('merchantDamageReported').map((d) => d.headers[DLQ_HEADERS.reason]?.split(':')[0])).toEqual([
      'SCHEMA_VIOLATION',
      'EVENT_ID_REUSED',
    ]);
    const left = await h.pg.query(
      `SELECT (SELECT count(*)::int FROM deferred_message) AS deferred, (SELECT count(*)::int FROM relief_waiting) AS waiting`,
    );
    expect(left.rows[0]).toEqual({ deferred: 0, waiting: 0 });
  });

  it('keeps an append-only ledger that balances with the decisions, and shows it over HTTP', async () => {
    const owed = await h.owed();
    expect(Object.fromEntries(owed)).toEqual({
      [`${C}:m-0`]: 30_000,
      [`${C}:m-300000`]: 30_000,
      [`${C}:m-300001`]: 50_000,
      [`${C}:m-500000`]: 50_000,
      [`${C}:m-x-neg`]: 30_000,
      [`${C}:m-dup`]: 30_000,
      'small-tiers:m-small-1': 7,
      'small-tiers:m-dup': 7,
      'late-campaign:m-late': 50_000,
    });
    // every DECIDED answer's amount is in the ledger exactly once
    const decidedTotal = h
      .decided()
      .filter((d, i, all) => d.status === 'DECIDED' && all.findIndex((x) => x.eventId === d.eventId) === i)
      .reduce((s, d) => s + d.amountWon, 0);
    expect([...owed.values()].reduce((a, b) => a + b, 0)).toBe(decidedTotal);
    await expect(h.pg.query(`UPDATE payout_ledger SET amount_won = 1`)).rejects.toThrow(/append-only/);
    await expect(h.pg.query(`DELETE FROM payout_ledger`)).rejects.toThrow(/append-only/);

    const summary = await h.get<{ campaigns: Record<string, Record<string, unknown>> }>(`/relief/summary`);
    expect(summary.status).toBe(200);
    expect(summary.body.campaigns[C]).toEqual(
      campaignSummary({
        T30K: { merchants: 4, amountWon: 120_000 },
        T50K: { merchants: 2, amountWon: 100_000 },
        REVIEW: { merchants: 1, pending: 1, approved: 0, declined: 0, amountWon: 0 },
        ledger: { entries: 6, tierPaymentsWon: 220_000, reviewAdditionsWon: 0 },
        rejectedReports: { INVALID_AMOUNT: 5, DUPLICATE_REPORT: 2 },
      }),
    );
    expect(summary.body.campaigns['no-relief']?.rejectedReports).toEqual({ NO_RELIEF: 1 });
    expect(summary.body.campaigns['never-campaign']?.rejectedReports).toEqual({ UNKNOWN_CAMPAIGN: 1 });

    const m = await h.get<{
      owedWon: number;
      reliefs: { campaignId: string; tier: string; owedWon: number }[];
      reports: { eventId: string }[];
    }>(`/relief/m-dup`);
    expect(m.status).toBe(200);
    expect(m.body.owedWon).toBe(30_007);
    expect(m.body.reliefs.map((r) => [r.campaignId, r.tier, r.owedWon])).toEqual([
      [C, 'T30K', 30_000],
      ['small-tiers', 'T30K', 7],
    ]);
    expect(m.body.reports.map((r) => r.eventId).sort()).toEqual(['d-1', 'd-2', 'd-3', 'd-other']);
    expect((await h.get('/relief/nobody')).status).toBe(404);
    expect((await h.get('/relief/%20bad')).status).toBe(400);
  });
});
