import { decode, formatReason, Topics } from '@platform/contracts';
import { assessDamageReport, judgeEligibility, judgePhone, KAKAO_2023_ASSESSMENT } from '@platform/rules';
import {
  CampaignFacts,
  CLAIM_KINDS,
  ClaimGenerator,
  CLEAN_MIX,
  DEFAULT_MIX,
  expectedGrants,
  GeneratedMessage,
  generateMerchantReports,
  parseMix,
  planRedemption,
  planReview,
  proofOfDamage,
  reliefTierFor,
  SCHEMA_KINDS,
} from './mix';
import { Prng } from './prng';

const NOW = Date.parse('2026-11-28T12:00:00Z');
const HOUR = 3_600_000;

function campaign(over: Partial<CampaignFacts> = {}): CampaignFacts {
  return {
    campaignId: 'lg-test-campaign',
    opensAtMs: NOW - 2 * HOUR,
    closesAtMs: NOW - 5 * 60_000,
    emoticonIds: ['choonsik-friends-2', 'tosimi-tomungi', 'broken-bear'],
    couponCount: 2,
    couponsMembersOnly: true,
    couponAmountsWon: [2000, 3000],
    couponMinPaidWon: 100,
    passCap: 1000,
    reliefTiers: [
      { tier: 'T30K', maxLossWon: 300_000, amountWon: 30_000 },
      { tier: 'T50K', maxLossWon: 500_000, amountWon: 50_000 },
    ],
    ...over,
  };
}

function run(seed: number, n: number, c = campaign(), mix = DEFAULT_MIX): { gen: ClaimGenerator; msgs: GeneratedMessage[] } {
  const gen = new ClaimGenerator({ seed, runId: 'r1', campaign: c, mix });
  const msgs: GeneratedMessage[] = [];
  for (let i = 0; i < n; i++) msgs.push(gen.next(NOW + i * 3));
  return { gen, msgs };
}

describe('Prng', () => {
  it('is a fixed sequence per seed and spreads evenly', () => {
    const a = new Prng(42);
    const b = new Prng(42);
    const xs = Array.from({ length: 1000 }, () => a.next());
    expect(Array.from({ length: 1000 }, () => b.next())).toEqual(xs);
    expect(new Prng(43).next()).not.toBe(xs[0]);
    const buckets = new Array<number>(10).fill(0);
    const p = new Prng(7);
    for (let i = 0; i < 100_000; i++) {
      const b = Math.floor(p.next() * 10);
      buckets[b] = (buckets[b] ?? 0) + 1;
    }
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });
});

describe('ClaimGenerator', () => {
  it('is deterministic for a seed (same bytes, keys, headers and expectations)', () => {
    const a = run(1234, 5000).msgs;
    const b = run(1234, 5000).msgs;
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const c = run(1235, 5000).msgs;
    expect(JSON.stringify(c)).not.toBe(JSON.stringify(a));
  });

  it('follows the mix proportions (100k messages, within 0.5 percentage points)', () => {
    const { gen } = run(99, 100_000);
    const total = Object.values(DEFAULT_MIX).reduce((s, w) => s + w, 0);
    for (const k of CLAIM_KINDS) {
      const share = gen.tally.sent[k] / gen.tally.messages;
      expect(Math.abs(share - DEFAULT_MIX[k] / total)).toBeLessThan(0.005);
    }
  });

  it('honours a custom mix and the clean preset', () => {
    const mix = parseMix('unique=50,repeat=50', CLEAN_MIX);
    const { gen } = run(5, 10_000, campaign(), mix);
    expect(gen.tally.sent.unique + gen.tally.sent.repeat).toBe(10_000);
    expect(Math.abs(gen.tally.sent.repeat / 10_000 - 0.5)).toBeLessThan(0.02);
    expect(() => parseMix('bogus=1')).toThrow(/bad mix entry/);
    expect(() => parseMix('unique=-1')).toThrow(/bad weight/);
  });

  it('builds messages that the contract and the claim rules judge exactly as expected', () => {
    const c = campaign();
    const { gen, msgs } = run(2024, 8000, c);
    const accepted = new Set<string>();
    const decidedEvents = new Set<string>();
    for (const [i, m] of msgs.entries()) {
      const decoded = decode(Topics.claimRequested, Buffer.from(m.value));
      if (SCHEMA_KINDS.includes(m.kind)) {
        expect(decoded.ok).toBe(false);
        expect(m.expect.outcome).toBe('DLQ');
        continue;
      }
      if (!decoded.ok) throw new Error(`${m.kind} does not decode: ${formatReason(decoded.reason)}`);
      const v = decoded.value;
      expect(v.eventId).toBe(m.eventId);
      expect(m.key).toBe(v.accountId);
      const now = NOW + i * 3;
      const verdict = judgeEligibility(
        { talkLinked: v.talkLinked, phoneNumber: v.phoneNumber, requestedAt: new Date(v.requestedAt), producedAt: new Date(now) },
        v.campaignId === c.campaignId ? { opensAt: new Date(c.opensAtMs), closesAt: new Date(c.closesAtMs) } : undefined,
        300_000,
      );
      switch (m.expect.outcome) {
        case 'NO_NEW_DECISION':
          expect(decidedEvents.has(v.eventId)).toBe(true);
          break;
        case 'ACCEPTED':
          expect(verdict.eligible).toBe(true);
          expect(accepted.has(v.accountId)).toBe(false);
          accepted.add(v.accountId);
          decidedEvents.add(v.eventId);
          break;
        case 'REJECTED':
          decidedEvents.add(v.eventId);
          if (m.expect.reason === 'DUPLICATE') {
            expect(verdict.eligible).toBe(true);
            expect(accepted.has(v.accountId)).toBe(true);
          } else {
            expect(verdict).toMatchObject({ eligible: false, reason: m.expect.reason });
          }
          break;
        case 'DLQ':
          throw new Error('a decodable message expected in the DLQ');
      }
    }
    expect(gen.tally.accepted).toBe(accepted.size);
    expect(gen.tally.decisions).toBe(decidedEvents.size);
    expect(gen.tally.rejected.CAMPAIGN_CLOSED).toBeGreaterThan(0);
    const g = expectedGrants(gen.tally, c);
    expect(g.entitlements).toBe(accepted.size * 3);
    expect(g.coupons).toBe(gen.tally.acceptedMakers * 2);
    expect(g.passesReserved + g.soldOut).toBe(accepted.size);
    expect(g.passesReserved).toBe(Math.min(1000, accepted.size));
  });

  it('makes "late" claims forged-future (INVALID) while the window is still open', () => {
    const c = campaign({ closesAtMs: NOW + 2 * HOUR });
    const { msgs } = run(3, 5000, c);
    const late = msgs.filter((m) => m.kind === 'late');
    expect(late.length).toBeGreaterThan(0);
    for (const m of late) expect(m.expect).toEqual({ outcome: 'REJECTED', reason: 'INVALID' });
  });

  it('uses Korean numbers in several written forms, real overseas numbers and unparsable ones', () => {
    const { msgs } = run(77, 8000);
    const forms = new Set<string>();
    for (const m of msgs) {
      if (SCHEMA_KINDS.includes(m.kind) || m.kind === 'repeat') continue;
      const phone = (JSON.parse(m.value) as { phoneNumber: string }).phoneNumber;
      const kind = judgePhone(phone).kind;
      if (m.kind === 'overseas') expect(kind).toBe('OVERSEAS');
      else if (m.kind === 'badPhone') expect(kind).toBe('INVALID');
      else {
        expect(kind).toBe('KOREAN');
        forms.add(phone.replace(/\d/g, '9'));
      }
    }
    expect(forms.size).toBeGreaterThanOrEqual(5);
  });

  it('refuses a campaign that has not opened yet', () => {
    const gen = new ClaimGenerator({
      seed: 1,
      runId: 'r',
      campaign: campaign({ opensAtMs: NOW + HOUR, closesAtMs: NOW + 2 * HOUR }),
      mix: CLEAN_MIX,
    });
    expect(() => gen.next(NOW)).toThrow(/has not opened yet/);
  });
});

describe('merchant reports and follow-ups', () => {
  it('expects the tier the rules give, including the inclusive boundaries', () => {
    const tiers = campaign().reliefTiers;
    expect(reliefTierFor(300_000, tiers)).toEqual({ tier: 'T30K', amountWon: 30_000 });
    expect(reliefTierFor(300_001, tiers)).toEqual({ tier: 'T50K', amountWon: 50_000 });
    expect(reliefTierFor(500_000, tiers)).toEqual({ tier: 'T50K', amountWon: 50_000 });
    expect(reliefTierFor(500_001, tiers)).toEqual({ tier: 'REVIEW', amountWon: 0 });
    const a = generateMerchantReports({ seed: 9, runId: 'r', campaign: campaign(), count: 2000, nowMs: NOW });
    const b = generateMerchantReports({ seed: 9, runId: 'r', campaign: campaign(), count: 2000, nowMs: NOW });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    for (const r of a) {
      expect(decode(Topics.merchantDamageReported, Buffer.from(r.value)).ok).toBe(true);
      const sent = JSON.parse(r.value) as { assessedLossWon?: number; facts?: unknown; evidence?: unknown };
      expect(sent.facts).toBeUndefined(); // no assessment model in this campaign: upstream figures only
      if (r.expect.outcome === 'DECIDED') expect(reliefTierFor(sent.assessedLossWon ?? -1, tiers).tier).toBe(r.expect.tier);
      // reports that go to the committee carry the proof the planned decision names
      expect(sent.evidence).toEqual(
        r.expect.outcome === 'DECIDED' && r.expect.tier === 'REVIEW' ? [proofOfDamage(r.merchantId)] : undefined,
      );
    }
    expect(new Set(a.map((r) => r.kind)).size).toBe(6);
    const review = planReview({ seed: 9, runId: 'r', nextSeq: () => 1, nowMs: NOW }, 'm-1');
    expect(decode(Topics.merchantReviewDecided, Buffer.from(review.value)).ok).toBe(true);
    expect((JSON.parse(review.value) as { evidenceIds: string[] }).evidenceIds).toEqual([proofOfDamage('m-1').documentId]);
  });

  it('sends raw facts when the campaign has an assessment model, expecting what the model gives', () => {
    const c = { ...campaign(), reliefAssessment: KAKAO_2023_ASSESSMENT };
    const reports = generateMerchantReports({ seed: 4, runId: 'r', campaign: c, count: 3000, nowMs: NOW });
    const withFacts = reports.filter((r) => r.kind === 'facts' || r.kind === 'badFacts');
    expect(withFacts.length).toBeGreaterThan(300);
    const outcomes = new Set<string>();
    for (const r of withFacts) {
      const decoded = decode(Topics.merchantDamageReported, Buffer.from(r.value));
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) continue;
      expect(decoded.value.assessedLossWon).toBeUndefined();
      const v = assessDamageReport(decoded.value, { relief: { tiers: c.reliefTiers, assessment: KAKAO_2023_ASSESSMENT } });
      expect(r.expect).toEqual(
        v.ok ? { outcome: 'DECIDED', tier: v.tier, amountWon: v.amountWon } : { outcome: 'REJECTED', reason: v.reason },
      );
      outcomes.add(r.expect.outcome === 'DECIDED' ? r.expect.tier : r.expect.reason);
    }
    expect(outcomes).toEqual(new Set(['T30K', 'T50K', 'REVIEW', 'UNKNOWN_SERVICE']));
  });

  it('plans redemptions deterministically, with the min-paid boundary on both sides', () => {
    let seq = 0;
    const o = { seed: 3, runId: 'r', minPaidWon: 100, nextSeq: () => ++seq, nowMs: NOW };
    const statuses = new Set<string>();
    for (let i = 0; i < 500; i++) {
      for (const f of planRedemption(o, { couponId: `c${i}`, accountId: `a${i}`, amountWon: 2000 })) {
        statuses.add(f.expectStatus);
        expect(decode(Topics.couponRedemptionRequested, Buffer.from(f.value)).ok).toBe(true);
        const order = (JSON.parse(f.value) as { orderAmountWon: number }).orderAmountWon;
        if (f.kind === 'minPaidBoundary') expect(order).toBe(2100);
        if (f.kind === 'belowMinPaid') expect(order).toBe(2099);
      }
    }
    expect(statuses).toEqual(
      new Set(['REDEEMED', 'REJECTED:MIN_PAYMENT', 'REJECTED:NOT_OWNER', 'REJECTED:ALREADY_USED', 'REJECTED:UNKNOWN_COUPON']),
    );
  });
});
