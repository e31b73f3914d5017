import type { ReliefAssessmentModel, ReliefExplanation, ReliefRejection, ReliefTier } from '@platform/contracts';
import { wholeWon } from './amount';
import { decideReliefTier, ReliefProgramme, ReliefTierName } from './tier';

/** What a damage report says, as the contract delivers it (figures unvalidated). */
export interface DamageReport {
  readonly assessedLossWon?: number | null;
  readonly facts?: {
    readonly service?: string | null;
    readonly category?: string | null;
    readonly revenueLostWon?: number | null;
    readonly usualDailyRevenueWon?: number | null;
    readonly outageHours?: number | null;
  } | null;
}

export type AssessmentVerdict =
  | { ok: true; tier: ReliefTierName; amountWon: number; assessedLossWon: number; explanation: ReliefExplanation }
  | { ok: false; reason: ReliefRejection; explanation: ReliefExplanation };

export const ROUNDING = 'every step is floored to whole won (the assessed loss is at most 1 won per step below the exact product)';

const BP = 10_000n;

/** floor(amount x bp / 10,000), exactly (BigInt: no float error at any size the bounds allow). */
export function applyBasisPoints(amountWon: number, bp: number): number {
  return Number((BigInt(amountWon) * BigInt(bp)) / BP);
}

/**
 * Outage hours with at most two decimals, as hundredths of an hour (10.25 h -> 1025), or null when
 * negative, not finite or finer than that: a figure we cannot apply exactly is not guessed at.
 */
export function outageCentiHours(hours: number | null | undefined): number | null {
  if (hours === null || hours === undefined || !Number.isFinite(hours) || hours < 0) return null;
  const centi = Math.round(hours * 100);
  if (Math.abs(hours * 100 - centi) > 1e-6 || !Number.isSafeInteger(centi)) return null;
  return centi;
}

const num = (v: number | null | undefined): number | null => (typeof v === 'number' ? v : null);
const str = (v: string | null | undefined): string | null => (typeof v === 'string' ? v : null);

/**
 * R10 with the assessment: a report's assessed sales loss and tier, with the explanation that is
 * stored and published with the decision.
 *
 * - `assessedLossWon` present: an upstream assessment, used as is (the facts are only recorded).
 * - otherwise the campaign's model turns the facts into a loss, each step floored to whole won:
 *     gross   = revenueLostWon, or floor(usualDailyRevenueWon x outageHours / 24)
 *     x operating margin of the category, x substitute factor of the service, x Kakao's share of it
 * - a report with neither is INVALID_AMOUNT (as before facts existed); facts without a model in
 *   the campaign are NO_ASSESSMENT_MODEL; missing, unknown, malformed or out-of-bounds facts get
 *   MISSING_FACTS, UNKNOWN_SERVICE, UNKNOWN_CATEGORY, INVALID_FACTS or IMPLAUSIBLE_FACTS.
 */
export function assessDamageReport(report: DamageReport, campaign: { relief: ReliefProgramme | null } | undefined): AssessmentVerdict {
  const f = report.facts ?? null;
  const upstream = report.assessedLossWon !== null && report.assessedLossWon !== undefined;
  const model = campaign?.relief?.assessment;
  const explanation: ReliefExplanation = {
    method: upstream || !f ? 'UPSTREAM' : 'MODEL',
    modelVersion: !upstream && f && model ? model.version : null,
    inputs: {
      assessedLossWon: num(report.assessedLossWon),
      service: str(f?.service),
      category: str(f?.category),
      revenueLostWon: num(f?.revenueLostWon),
      usualDailyRevenueWon: num(f?.usualDailyRevenueWon),
      outageHours: num(f?.outageHours),
    },
    basis: null,
    grossLossWon: null,
    factors: [],
    rounding: ROUNDING,
    assessedLossWon: null,
    tiers: campaign?.relief
      ? [...campaign.relief.tiers].sort((a, b) => a.maxLossWon - b.maxLossWon).map((t: ReliefTier) => ({ ...t }))
      : [],
    tier: null,
    amountWon: 0,
  };
  const reject = (reason: ReliefRejection, detail?: string): AssessmentVerdict => ({
    ok: false,
    reason,
    explanation: { ...explanation, reason, ...(detail ? { detail } : {}) },
  });
  const tiered = (loss: number | null | undefined): AssessmentVerdict => {
    const v = decideReliefTier(loss, campaign);
    if (!v.ok) return reject(v.reason);
    return {
      ok: true,
      tier: v.tier,
      amountWon: v.amountWon,
      assessedLossWon: v.assessedLossWon,
      explanation: { ...explanation, assessedLossWon: v.assessedLossWon, tier: v.tier, amountWon: v.amountWon },
    };
  };

  if (!campaign) return reject('UNKNOWN_CAMPAIGN');
  if (!campaign.relief) return reject('NO_RELIEF');
  if (upstream || !f) return tiered(report.assessedLossWon);
  if (!model) return reject('NO_ASSESSMENT_MODEL', 'the campaign has no assessment model: the report needs an upstream assessedLossWon');

  const m: ReliefAssessmentModel = model;
  if (!f.service || !f.category)
    return reject(
      'MISSING_FACTS',
      `missing ${[!f.service && 'facts.service', !f.category && 'facts.category'].filter(Boolean).join(' and ')}`,
    );
  const service = m.services.find((s) => s.service === f.service);
  if (!service) return reject('UNKNOWN_SERVICE', `service ${f.service} is not in model ${m.version}`);
  const category = m.categories.find((c) => c.category === f.category);
  if (!category) return reject('UNKNOWN_CATEGORY', `category ${f.category} is not in model ${m.version}`);

  // Lost revenue is bounded by the largest plausible day over the whole outage.
  const maxRevenueLostWon = Math.floor((m.maxDailyRevenueWon * m.maxOutageHours) / 24);
  let gross: number;
  let basis: NonNullable<ReliefExplanation['basis']>;
  if (f.revenueLostWon !== null && f.revenueLostWon !== undefined) {
    const lost = wholeWon(f.revenueLostWon);
    if (lost === null) return reject('INVALID_FACTS', 'facts.revenueLostWon must be a whole, non-negative number of won');
    if (lost > maxRevenueLostWon)
      return reject(
        'IMPLAUSIBLE_FACTS',
        `facts.revenueLostWon ${lost} is above ${maxRevenueLostWon} (${m.maxDailyRevenueWon} a day for ${m.maxOutageHours} h)`,
      );
    gross = lost;
    basis = 'REVENUE_LOST';
  } else {
    const hasDaily = f.usualDailyRevenueWon !== null && f.usualDailyRevenueWon !== undefined;
    const hasHours = f.outageHours !== null && f.outageHours !== undefined;
    if (!hasDaily || !hasHours) {
      return reject('MISSING_FACTS', 'facts need revenueLostWon, or usualDailyRevenueWon and outageHours');
    }
    const daily = wholeWon(f.usualDailyRevenueWon);
    if (daily === null) return reject('INVALID_FACTS', 'facts.usualDailyRevenueWon must be a whole, non-negative number of won');
    const centi = outageCentiHours(f.outageHours);
    if (centi === null)
      return reject('INVALID_FACTS', 'facts.outageHours must be a non-negative number of hours with at most two decimals');
    if (daily > m.maxDailyRevenueWon)
      return reject('IMPLAUSIBLE_FACTS', `facts.usualDailyRevenueWon ${daily} is above ${m.maxDailyRevenueWon}`);
    if (centi > m.maxOutageHours * 100)
      return reject('IMPLAUSIBLE_FACTS', `facts.outageHours ${f.outageHours} is above ${m.maxOutageHours}`);
    gross = Number((BigInt(daily) * BigInt(centi)) / 2400n);
    basis = 'DAILY_REVENUE_X_OUTAGE_HOURS';
  }

  const substituteBp = m.substituteFactorsBp[service.substitute];
  const afterMargin = applyBasisPoints(gross, category.operatingMarginBp);
  const afterSubstitute = applyBasisPoints(afterMargin, substituteBp);
  const assessed = applyBasisPoints(afterSubstitute, service.kakaoShareBp);
  explanation.basis = basis;
  explanation.grossLossWon = gross;
  explanation.factors = [
    { factor: 'OPERATING_MARGIN', key: category.category, bp: category.operatingMarginBp, resultWon: afterMargin },
    { factor: 'SUBSTITUTE', key: `${service.service}:${service.substitute}`, bp: substituteBp, resultWon: afterSubstitute },
    { factor: 'KAKAO_SHARE', key: service.service, bp: service.kakaoShareBp, resultWon: assessed },
  ];
  return tiered(assessed);
}
