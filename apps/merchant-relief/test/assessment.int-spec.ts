import { createHash } from 'node:crypto';
import { CampaignDefinition, ReliefAssessmentModel } from '@platform/contracts';
import { DLQ_HEADERS } from '@platform/messaging';
import { KAKAO_2023_ASSESSMENT } from '@platform/rules';
import { waitFor } from '@platform/testing';
import { campaign, ReliefHarness, refusedReview } from './harness';

jest.setTimeout(120_000);

// Factors that multiply to exactly 1/10 (20 % margin x no substitute x 50 % share), so a report
// can aim at the tier boundaries with raw facts: 3,000,000 won lost -> 300,000 assessed.
const TENTH: ReliefAssessmentModel = {
  version: 'int-tenth-v1',
  categories: [{ category: 'shop', operatingMarginBp: 2_000 }],
  services: [{ service: 'svc', kakaoShareBp: 5_000, substitute: 'NONE' }],
  substituteFactorsBp: { NONE: 10_000, PARTIAL: 5_000, AVAILABLE: 2_000 },
  maxOutageHours: 120,
  maxDailyRevenueWon: 10_000_000,
};
const TIERS = campaign('x').relief?.tiers ?? [];
const withModel = (id: string, assessment: ReliefAssessmentModel): CampaignDefinition => campaign(id, { tiers: TIERS, assessment });

const C = 'assess-2023'; // the 2023 default tables
const T = 'assess-tenth';
const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
const facts = (eventId: string, merchantId: string, f: Record<string, unknown>, extra: Record<string, unknown> = {}, campaignId = C) => ({
  eventId,
  campaignId,
  merchantId,
  facts: f,
  reportedAt: '2023-01-12T10:00:00+09:00',
  ...extra,
});
const decision = (eventId: string, merchantId: string, approved: boolean, additionalAmountWon: number, evidenceIds?: string[]) => ({
  eventId,
  merchantId,
  approved,
  additionalAmountWon,
  ...(evidenceIds ? { evidenceIds } : {}),
  decidedAt: '2023-03-01T10:00:00+09:00',
});
const submission = (
  eventId: string,
  merchantId: string,
  evidence: { documentId: string; sha256: string }[],
  submittedAt = '2023-02-01T09:00:00+09:00',
) => ({
  eventId,
  campaignId: C,
  merchantId,
  evidence,
  submittedAt,
});

interface MerchantView {
  reliefs: {
    campaignId: string;
    tier: string;
    assessedLossWon: number;
    explanation: Record<string, unknown> | null;
    evidence: { documentId: string; sha256: string }[];
    review: Record<string, unknown> | null;
  }[];
  reports: { eventId: string; explanation?: Record<string, unknown> }[];
  evidenceSubmissions: { eventId: string; status: string }[];
  heldEvidence: { campaignId: string; documentId: string }[];
}
interface QueuePage {
  reviews: {
    merchantId: string;
    explanation: Record<string, unknown> | null;
    evidence: { documentId: string; sha256: string; sourceEventId: string }[];
    reviewEvidenceIds: string[] | null;
  }[];
}

describe('merchant-relief: assessment from raw facts, explanations and proof of damage (real Kafka and Postgres)', () => {
  const h = new ReliefHarness();

  beforeAll(async () => {
    await h.start('relief_assess', { RELIEF_REVIEW_WAIT_MS: '1000' });
    await h.defineCampaigns([withModel(C, KAKAO_2023_ASSESSMENT), withModel(T, TENTH), campaign('no-model')]);
  });

  afterAll(() => h.stop());

  it('gives a report with raw facts the tier of the documented model, with its explanation on the event and over HTTP', async () => {
    // restaurant (12 %) on kakaotalk-channel (partial substitute 60 %, Kakao share 90 %):
    //   1,000,000 -> 120,000 -> 72,000 -> 64,800 won assessed: T30K
    // taxi (30 %) on kakao-t (60 %, 90 %), 1,000,000 a day for 20 h = 833,333 -> 249,999 -> 149,999 -> 134,999: T30K
    // taxi on kakao-t, 3,000,000 lost -> 900,000 -> 540,000 -> 486,000: T50K
    // restaurant on kakaotalk-channel, 10,000,000 lost -> 648,000: REVIEW
    await h.send('merchantDamageReported', [
      facts('f-rest', 'm-rest', { service: 'kakaotalk-channel', category: 'restaurant', revenueLostWon: 1_000_000 }),
      facts('f-taxi', 'm-taxi', { service: 'kakao-t', category: 'taxi', usualDailyRevenueWon: 1_000_000, outageHours: 20 }),
      facts('f-taxi50', 'm-taxi50', { service: 'kakao-t', category: 'taxi', revenueLostWon: 3_000_000 }),
      facts('f-big', 'm-big', { service: 'kakaotalk-channel', category: 'restaurant', revenueLostWon: 10_000_000 }),
    ]);
    const got = await h.answers('reliefDecided', ['f-rest', 'f-taxi', 'f-taxi50', 'f-big']);
    expect(
      ['f-rest', 'f-taxi', 'f-taxi50', 'f-big'].map((id) => [
        got.get(id)?.tier,
        got.get(id)?.amountWon,
        got.get(id)?.explanation?.assessedLossWon,
      ]),
    ).toEqual([
      ['T30K', 30_000, 64_800],
      ['T30K', 30_000, 134_999],
      ['T50K', 50_000, 486_000],
      ['REVIEW', 0, 648_000],
    ]);
    const rest = got.get('f-rest');
    expect(rest?.explanation).toEqual({
      method: 'MODEL',
      modelVersion: KAKAO_2023_ASSESSMENT.version,
      inputs: {
        assessedLossWon: null,
        service: 'kakaotalk-channel',
        category: 'restaurant',
        revenueLostWon: 1_000_000,
        usualDailyRevenueWon: null,
        outageHours: null,
      },
      basis: 'REVENUE_LOST',
      grossLossWon: 1_000_000,
      factors: [
        { factor: 'OPERATING_MARGIN', key: 'restaurant', bp: 1_200, resultWon: 120_000 },
        { factor: 'SUBSTITUTE', key: 'kakaotalk-channel:PARTIAL', bp: 6_000, resultWon: 72_000 },
        { factor: 'KAKAO_SHARE', key: 'kakaotalk-channel', bp: 9_000, resultWon: 64_800 },
      ],
      rounding: expect.stringMatching(/floored/),
      assessedLossWon: 64_800,
      tiers: TIERS,
      tier: 'T30K',
      amountWon: 30_000,
    });
    expect(got.get('f-taxi')?.explanation).toMatchObject({
      basis: 'DAILY_REVENUE_X_OUTAGE_HOURS',
      grossLossWon: 833_333,
      inputs: { usualDailyRevenueWon: 1_000_000, outageHours: 20 },
    });

    // The merchant's "why did I get 30,000?" over HTTP: the stored relief and the answer both explain it.
    const m = await h.get<MerchantView>('/relief/m-rest');
    expect(m.status).toBe(200);
    expect(m.body.reliefs).toHaveLength(1);
    expect(m.body.reliefs[0]).toMatchObject({ campaignId: C, tier: 'T30K', assessedLossWon: 64_800, review: null });
    expect(m.body.reliefs[0]?.explanation).toEqual(rest?.explanation);
    expect(m.body.reports[0]?.explanation).toEqual(rest?.explanation);
    const row = await h.pg.query(`SELECT model_version, assessed_loss_won::int AS loss FROM relief WHERE merchant_id = 'm-rest'`);
    expect(row.rows).toEqual([{ model_version: KAKAO_2023_ASSESSMENT.version, loss: 64_800 }]);
  });

  it('is exact at 300,000 and 500,000 assessed won, from raw facts', async () => {
    const cases: [string, Record<string, unknown>, number, string, number][] = [
      ['e-300k', { revenueLostWon: 3_000_000 }, 300_000, 'T30K', 30_000],
      ['e-300k-floor', { revenueLostWon: 3_000_009 }, 300_000, 'T30K', 30_000], // 300,000.45 floored
      ['e-300k+1', { revenueLostWon: 3_000_010 }, 300_001, 'T50K', 50_000],
      ['e-300k-hours', { usualDailyRevenueWon: 1_200_000, outageHours: 60 }, 300_000, 'T30K', 30_000],
      ['e-500k', { revenueLostWon: 5_000_000 }, 500_000, 'T50K', 50_000],
      ['e-500k-hours', { usualDailyRevenueWon: 2_000_000, outageHours: 60 }, 500_000, 'T50K', 50_000],
      ['e-500k+1', { revenueLostWon: 5_000_010 }, 500_001, 'REVIEW', 0],
    ];
    await h.send(
      'merchantDamageReported',
      cases.map(([id, f]) => facts(id, `m-${id}`, { service: 'svc', category: 'shop', ...f }, {}, T)),
    );
    const got = await h.answers(
      'reliefDecided',
      cases.map(([id]) => id),
    );
    for (const [id, , loss, tier, amountWon] of cases) {
      expect([id, got.get(id)?.status, got.get(id)?.explanation?.assessedLossWon, got.get(id)?.tier, got.get(id)?.amountWon]).toEqual([
        id,
        'DECIDED',
        loss,
        tier,
        amountWon,
      ]);
    }
    expect(Object.fromEntries([...(await h.owed())].filter(([k]) => k.startsWith(`${T}:`)))).toEqual({
      [`${T}:m-e-300k`]: 30_000,
      [`${T}:m-e-300k-floor`]: 30_000,
      [`${T}:m-e-300k+1`]: 50_000,
      [`${T}:m-e-300k-hours`]: 30_000,
      [`${T}:m-e-500k`]: 50_000,
      [`${T}:m-e-500k-hours`]: 50_000,
    });
  });

  it('answers bad facts with a reason (never a crash), and parks only schema-breaking ones', async () => {
    const bad: [string, Record<string, unknown>, string, string][] = [
      ['b-service', { service: 'kakao-bank', category: 'restaurant', revenueLostWon: 1 }, 'UNKNOWN_SERVICE', C],
      ['b-category', { service: 'kakao-t', category: 'casino', revenueLostWon: 1 }, 'UNKNOWN_CATEGORY', C],
      ['b-negative', { service: 'kakao-t', category: 'taxi', revenueLostWon: -1_000 }, 'INVALID_FACTS', C],
      ['b-fraction', { service: 'kakao-t', category: 'taxi', usualDailyRevenueWon: 100_000.5, outageHours: 5 }, 'INVALID_FACTS', C],
      ['b-hours', { service: 'kakao-t', category: 'taxi', usualDailyRevenueWon: 100_000, outageHours: -3 }, 'INVALID_FACTS', C],
      ['b-absurd', { service: 'kakao-t', category: 'taxi', revenueLostWon: 1e15 }, 'IMPLAUSIBLE_FACTS', C],
      ['b-long', { service: 'kakao-t', category: 'taxi', usualDailyRevenueWon: 100_000, outageHours: 1_000 }, 'IMPLAUSIBLE_FACTS', C],
      ['b-rich', { service: 'kakao-t', category: 'taxi', usualDailyRevenueWon: 900_000_000, outageHours: 1 }, 'IMPLAUSIBLE_FACTS', C],
      ['b-nothing', { service: 'kakao-t', category: 'taxi' }, 'MISSING_FACTS', C],
      ['b-noservice', { category: 'taxi', revenueLostWon: 10 }, 'MISSING_FACTS', C],
      ['b-nomodel', { service: 'kakao-t', category: 'taxi', revenueLostWon: 10 }, 'NO_ASSESSMENT_MODEL', 'no-model'],
    ];
    await h.send(
      'merchantDamageReported',
      bad.map(([id, f, , c]) => facts(id, `m-${id}`, f, {}, c)),
    );
    await h.send('merchantDamageReported', [
      facts('b-typed', 'm-b-typed', { service: 'kakao-t', category: 'taxi', revenueLostWon: '1000' }),
    ]);
    const got = await h.answers(
      'reliefDecided',
      bad.map(([id]) => id),
    );
    for (const [id, f, reason] of bad) {
      expect([id, got.get(id)?.status, got.get(id)?.reason, got.get(id)?.amountWon]).toEqual([id, 'REJECTED', reason, 0]);
      expect(got.get(id)?.explanation).toMatchObject({
        reason,
        inputs: expect.objectContaining({ service: f.service ?? null }),
        tier: null,
        amountWon: 0,
      });
    }
    expect(got.get('b-absurd')?.explanation?.detail).toMatch(/revenueLostWon/);
    await waitFor('mistyped facts parked', () => h.deadLetters('merchantDamageReported').length === 1);
    expect(h.deadLetters('merchantDamageReported')[0]?.headers[DLQ_HEADERS.reason]).toMatch(/^SCHEMA_VIOLATION: facts\.revenueLostWon/);
    // rejected reports are no relief: the merchant can report again with corrected facts
    await h.send('merchantDamageReported', [
      facts('b-negative-fixed', 'm-b-negative', { service: 'kakao-t', category: 'taxi', revenueLostWon: 1_000 }),
    ]);
    expect((await h.answers('reliefDecided', ['b-negative-fixed'])).get('b-negative-fixed')).toMatchObject({
      status: 'DECIDED',
      tier: 'T30K',
    });
    const summary = await h.get<{ campaigns: Record<string, { rejectedReports: Record<string, number> }> }>(
      `/relief/summary?campaignId=${C}`,
    );
    expect(summary.body.campaigns[C]?.rejectedReports).toEqual({
      UNKNOWN_SERVICE: 1,
      UNKNOWN_CATEGORY: 1,
      INVALID_FACTS: 3,
      IMPLAUSIBLE_FACTS: 3,
      MISSING_FACTS: 2,
    });
  });

  it('refuses to approve a REVIEW case without evidence, then approves it once proof arrives and records what was relied on', async () => {
    // m-big went to REVIEW without evidence (first test)
    await h.send('merchantReviewDecided', [
      decision('v-noproof', 'm-big', true, 200_000),
      decision('v-named', 'm-big', true, 200_000, ['made-up']),
    ]);
    const refused = await h.answers('reliefReviewApplied', ['v-noproof', 'v-named']);
    expect(refused.get('v-noproof')).toMatchObject(refusedReview('EVIDENCE_REQUIRED'));
    expect(refused.get('v-named')).toMatchObject(refusedReview('EVIDENCE_REQUIRED'));
    expect((await h.owed()).get(`${C}:m-big`)).toBeUndefined();

    // the merchant sends proof later: references only
    const receipts = { documentId: 'pos-export-2022-10', sha256: sha('pos export').toUpperCase() };
    const photo = { documentId: 'closed-sign-photo', sha256: sha('photo') };
    await h.send('merchantEvidenceSubmitted', [submission('ev-1', 'm-big', [receipts, photo])]);
    const recorded = await h.answers('reliefEvidenceDecided', ['ev-1']);
    expect(recorded.get('ev-1')).toMatchObject({
      status: 'RECORDED',
      merchantId: 'm-big',
      campaignId: C,
      evidenceIds: ['pos-export-2022-10', 'closed-sign-photo'],
    });

    // the committee queue shows the case with its explanation and its evidence
    const queue = await h.get<QueuePage>(`/relief/reviews?status=pending&campaignId=${C}`);
    const item = queue.body.reviews.find((r) => r.merchantId === 'm-big');
    expect(item?.explanation).toMatchObject({
      method: 'MODEL',
      modelVersion: KAKAO_2023_ASSESSMENT.version,
      assessedLossWon: 648_000,
      tier: 'REVIEW',
    });
    expect(item?.evidence.map((e) => [e.documentId, e.sha256, e.sourceEventId])).toEqual([
      ['closed-sign-photo', sha('photo'), 'ev-1'],
      ['pos-export-2022-10', sha('pos export'), 'ev-1'], // stored lower-case
    ]);

    // an approval naming a document the case does not hold is refused; one naming held proof is applied
    await h.send('merchantReviewDecided', [decision('v-unknown', 'm-big', true, 200_000, ['pos-export-2022-10', 'made-up'])]);
    expect((await h.answers('reliefReviewApplied', ['v-unknown'])).get('v-unknown')).toMatchObject(refusedReview('UNKNOWN_EVIDENCE'));
    await h.send('merchantReviewDecided', [decision('v-ok', 'm-big', true, 200_000, ['pos-export-2022-10'])]);
    const ok = (await h.answers('reliefReviewApplied', ['v-ok'])).get('v-ok');
    expect(ok).toMatchObject({
      status: 'APPROVED',
      additionalAmountWon: 200_000,
      totalAmountWon: 200_000,
      evidenceIds: ['pos-export-2022-10'],
    });
    expect((await h.owed()).get(`${C}:m-big`)).toBe(200_000);
    const m = await h.get<MerchantView>('/relief/m-big');
    expect(m.body.reliefs[0]?.review).toMatchObject({ status: 'APPROVED', reviewEventId: 'v-ok', evidenceIds: ['pos-export-2022-10'] });
    expect(m.body.reliefs[0]?.evidence).toHaveLength(2);
    const approved = await h.get<QueuePage>(`/relief/reviews?status=approved&campaignId=${C}`);
    expect(approved.body.reviews.find((r) => r.merchantId === 'm-big')?.reviewEvidenceIds).toEqual(['pos-export-2022-10']);

    // a decided case keeps the evidence its decision relied on
    await h.send('merchantEvidenceSubmitted', [
      submission('ev-late', 'm-big', [{ documentId: 'later', sha256: sha('later') }], '2023-03-02T09:00:00+09:00'),
    ]);
    expect((await h.answers('reliefEvidenceDecided', ['ev-late'])).get('ev-late')).toMatchObject({
      status: 'REJECTED',
      reason: 'ALREADY_DECIDED',
    });
  });

  it('takes proof of damage with the report itself, refuses evidence for tier reliefs and conflicting hashes, and parks broken references', async () => {
    const doc = { documentId: 'ledger-scan', sha256: sha('ledger') };
    await h.send('merchantDamageReported', [
      facts('p-big', 'm-proof', { service: 'kakao-t', category: 'taxi', revenueLostWon: 5_000_000 }, { evidence: [doc] }),
    ]);
    expect((await h.answers('reliefDecided', ['p-big'])).get('p-big')).toMatchObject({
      tier: 'REVIEW',
      explanation: { assessedLossWon: 810_000 },
    });
    await h.send('merchantEvidenceSubmitted', [
      submission('ev-conflict', 'm-proof', [{ documentId: 'ledger-scan', sha256: sha('forged') }]),
      submission('ev-tier', 'm-rest', [doc]),
      submission('ev-early', 'm-not-yet', [doc]),
    ]);
    await h.send('merchantEvidenceSubmitted', [submission('ev-badhash', 'm-proof', [{ documentId: 'x', sha256: 'not-a-hash' }])]);
    const got = await h.answers('reliefEvidenceDecided', ['ev-conflict', 'ev-tier', 'ev-early']);
    expect(got.get('ev-conflict')).toMatchObject({ status: 'REJECTED', reason: 'EVIDENCE_CONFLICT', evidenceIds: ['ledger-scan'] });
    expect(got.get('ev-tier')).toMatchObject({ status: 'REJECTED', reason: 'NOT_IN_REVIEW' });
    // evidence ahead of its report is held for the case the report opens
    expect(got.get('ev-early')).toMatchObject({ status: 'RECORDED', evidenceIds: ['ledger-scan'] });
    await waitFor('broken hash parked', () => h.deadLetters('merchantEvidenceSubmitted').length === 1);
    expect(h.deadLetters('merchantEvidenceSubmitted')[0]?.headers[DLQ_HEADERS.reason]).toMatch(/^SCHEMA_VIOLATION: evidence\.0\.sha256/);
    const early = await h.get<MerchantView>('/relief/m-not-yet');
    expect(early.body.heldEvidence).toEqual([expect.objectContaining({ campaignId: C, documentId: 'ledger-scan' })]);
    await h.send('merchantDamageReported', [
      facts('p-late', 'm-not-yet', { service: 'kakao-t', category: 'taxi', revenueLostWon: 5_000_000 }),
    ]);
    await h.answers('reliefDecided', ['p-late']);

    // the same evidence event again gets the same answer and records nothing twice
    await h.send('merchantEvidenceSubmitted', [submission('ev-early', 'm-not-yet', [doc])]);
    await h.answers('reliefEvidenceDecided', ['ev-early'], 2);
    expect(h.evidenceAnswers('ev-early')[1]).toEqual(h.evidenceAnswers('ev-early')[0]);

    // both cases can be approved on the proof they hold
    await h.send('merchantReviewDecided', [
      decision('v-proof', 'm-proof', true, 100_000, ['ledger-scan']),
      decision('v-not-yet', 'm-not-yet', true, 90_000, ['ledger-scan']),
    ]);
    const applied = await h.answers('reliefReviewApplied', ['v-proof', 'v-not-yet']);
    expect(applied.get('v-proof')).toMatchObject({ status: 'APPROVED', evidenceIds: ['ledger-scan'] });
    expect(applied.get('v-not-yet')).toMatchObject({ status: 'APPROVED', evidenceIds: ['ledger-scan'] });
    const stored = await h.pg.query(
      `SELECT merchant_id, sha256, source_event_id FROM relief_evidence WHERE document_id = 'ledger-scan' ORDER BY merchant_id`,
    );
    expect(stored.rows).toEqual([
      { merchant_id: 'm-not-yet', sha256: sha('ledger'), source_event_id: 'ev-early' },
      { merchant_id: 'm-proof', sha256: sha('ledger'), source_event_id: 'p-big' },
    ]);
  });
});
