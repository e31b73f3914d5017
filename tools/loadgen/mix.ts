// The load mix: which messages a load run sends, and what the platform must answer to each.
// Pure: no I/O, no clock (callers pass `nowMs`), no Math.random. For a given seed, run id, campaign
// and sequence of `nowMs` values the output is identical byte for byte (see mix.spec.ts).
import { createHash } from 'node:crypto';
import { claimRejectionReasons, type ReliefAssessmentModel, type ReliefRejection } from '@platform/contracts';
import { assessDamageReport } from '@platform/rules';
import { derive, Prng } from './prng';

/** What a claim message is meant to exercise (each kind has exactly one defect, or none). */
export const CLAIM_KINDS = [
  'unique', // a new, eligible account: ACCEPTED
  'repeat', // the same event re-sent (same eventId and bytes): no second decision (R2)
  'second', // a new event for an account that already claimed: DUPLICATE (R2)
  'overseas', // a valid non-Korean number: OVERSEAS_NUMBER (R4)
  'badPhone', // an unparsable number: INVALID_PHONE (R4)
  'unlinked', // not linked to KakaoTalk: NOT_TALK_LINKED (R3)
  'early', // requestedAt before opensAt: CAMPAIGN_NOT_STARTED (R1)
  'late', // requestedAt at/after closesAt: CAMPAIGN_CLOSED (or INVALID while the window is still open, see below)
  'future', // requestedAt beyond the message's own timestamp + skew: INVALID (R1)
  'unknownCampaign', // a campaign id that does not exist: UNKNOWN_CAMPAIGN
  'badJson', // not JSON at all: DLQ
  'missingField', // a required field missing: DLQ
  'addedField', // an eligible claim with a field the contract does not list: ACCEPTED (added fields are fine)
  'wrongType', // a field of the wrong type: DLQ
] as const;
export type ClaimKind = (typeof CLAIM_KINDS)[number];

export const SCHEMA_KINDS: readonly ClaimKind[] = ['badJson', 'missingField', 'wrongType'];

export type ClaimMix = Record<ClaimKind, number>;

/** Shares in percent of claim messages. Mostly good traffic, every kind of bad input present. */
export const DEFAULT_MIX: ClaimMix = {
  unique: 70,
  repeat: 5,
  second: 5,
  overseas: 3,
  badPhone: 2,
  unlinked: 3,
  early: 2,
  late: 2,
  future: 1,
  unknownCampaign: 1,
  badJson: 1.5,
  missingField: 1.5,
  addedField: 1.5,
  wrongType: 1.5,
};

export const CLEAN_MIX: ClaimMix = Object.fromEntries(CLAIM_KINDS.map((k) => [k, k === 'unique' ? 100 : 0])) as ClaimMix;

/** Parses `unique=80,repeat=5,...` on top of a base mix (unlisted kinds keep the base weight). */
export function parseMix(text: string, base: ClaimMix = DEFAULT_MIX): ClaimMix {
  const mix = { ...base };
  for (const part of text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [k, v] = part.split('=').map((s) => s.trim());
    if (!k || v === undefined || !(CLAIM_KINDS as readonly string[]).includes(k)) {
      throw new Error(`bad mix entry "${part}" (kinds: ${CLAIM_KINDS.join(', ')})`);
    }
    const w = Number(v);
    if (!Number.isFinite(w) || w < 0) throw new Error(`bad weight in "${part}"`);
    mix[k as ClaimKind] = w;
  }
  if (Object.values(mix).every((w) => w === 0)) throw new Error('the mix has no weight at all');
  return mix;
}

/**
 * The claim rejections the mix provokes: every reason of the contract but DUPLICATE_PERSON (load
 * campaigns leave onePerPerson off: two accounts' random phone numbers may be the same).
 */
export type RejectionReason = Exclude<(typeof claimRejectionReasons)[number], 'DUPLICATE_PERSON'>;
export const REJECTION_REASONS: readonly RejectionReason[] = claimRejectionReasons.filter(
  (r): r is RejectionReason => r !== 'DUPLICATE_PERSON',
);

/** What the platform must do with one message. */
export type Expectation =
  { outcome: 'ACCEPTED' } | { outcome: 'REJECTED'; reason: RejectionReason } | { outcome: 'NO_NEW_DECISION' } | { outcome: 'DLQ' };

/** The campaign facts the generator needs. */
export interface CampaignFacts {
  campaignId: string;
  opensAtMs: number;
  /** Exclusive end of the window. */
  closesAtMs: number;
  emoticonIds: string[];
  /** Coupons per accepted claim (0 when the campaign has none). */
  couponCount: number;
  couponsMembersOnly: boolean;
  couponAmountsWon: number[];
  couponMinPaidWon: number;
  /** null: the campaign offers no pass. */
  passCap: number | null;
  reliefTiers: { tier: 'T30K' | 'T50K'; maxLossWon: number; amountWon: number }[];
  /** The campaign's relief assessment model (raw-facts reports need one); absent: none. */
  reliefAssessment?: ReliefAssessmentModel | null;
}

export interface ClaimGeneratorOptions {
  seed: number;
  /** Makes ids unique per run: `lg-<runId>-e<seq>` (events) and `lg-<runId>-a<n>` (accounts). */
  runId: string;
  campaign: CampaignFacts;
  mix?: ClaimMix;
  /** Share of eligible claimants that are Kakao Makers members (the rest are non-members: no coupons). */
  makersShare?: number;
  /** Share of messages whose traceparent is sampled (01); tracing every message floods Zipkin. */
  traceSampleShare?: number;
  /** The claims service's skew tolerance (CLAIM_SKEW_TOLERANCE_SECONDS, default 300 s). */
  skewToleranceMs?: number;
  /** In-window claims are made during the last this-many ms before min(now, closesAt). */
  recentTapMs?: number;
}

export interface GeneratedMessage {
  kind: ClaimKind;
  /** Event sequence number (a repeat carries the sequence of the event it repeats). */
  seq: number;
  eventId: string | null;
  accountId: string;
  key: string;
  /** Exactly the bytes to send (UTF-8). */
  value: string;
  headers: Record<string, string>;
  expect: Expectation;
  /** Makers member, for eligible claims (coupon expectations). */
  makersMember: boolean;
}

export const HEADER_RUN = 'loadgen-run';
export const HEADER_SEQ = 'loadgen-seq';
export const HEADER_KIND = 'loadgen-kind';

/** Running totals of what was generated and what the platform owes in return. */
export interface ExpectedTally {
  sent: Record<ClaimKind, number>;
  messages: number;
  /** Distinct, schema-valid event ids: each must be decided exactly once. */
  decisions: number;
  accepted: number;
  acceptedMakers: number;
  rejected: Record<RejectionReason, number>;
  dlq: number;
}

export function emptyTally(): ExpectedTally {
  return {
    sent: Object.fromEntries(CLAIM_KINDS.map((k) => [k, 0])) as Record<ClaimKind, number>,
    messages: 0,
    decisions: 0,
    accepted: 0,
    acceptedMakers: 0,
    rejected: Object.fromEntries(REJECTION_REASONS.map((r) => [r, 0])) as Record<RejectionReason, number>,
    dlq: 0,
  };
}

/** Grants the platform owes for a tally, for a campaign created for this run (nothing claimed before). */
export function expectedGrants(
  t: ExpectedTally,
  c: CampaignFacts,
): { entitlements: number; coupons: number; passesReserved: number; soldOut: number } {
  const couponHolders = c.couponsMembersOnly ? t.acceptedMakers : t.accepted;
  const reserved = c.passCap === null ? 0 : Math.min(t.accepted, c.passCap);
  return {
    entitlements: t.accepted * c.emoticonIds.length,
    coupons: couponHolders * c.couponCount,
    passesReserved: reserved,
    soldOut: c.passCap === null ? 0 : t.accepted - reserved,
  };
}

interface Claimant {
  accountId: string;
  phoneDigits: string;
  makersMember: boolean;
}

interface SentClaim {
  seq: number;
  accountId: string;
  key: string;
  value: string;
  headers: Record<string, string>;
}

const RING = 4096;
const KST_MS = 9 * 3600_000;
const OVERSEAS: readonly ((p: Prng) => string)[] = [
  (p) => `+1 ${p.pick(['212', '415', '650', '617', '206', '312'])} ${p.between(200, 999)} ${p.between(1000, 9999)}`,
  (p) => `+81 90-${p.between(1000, 9999)}-${p.between(1000, 9999)}`,
  (p) => `+81 80 ${p.between(1000, 9999)} ${p.between(1000, 9999)}`,
  (p) => `+44 ${p.pick(['7400', '7500', '7800', '7900'])} ${p.between(100000, 999999)}`,
  (p) => `+86 138 ${p.between(1000, 9999)} ${p.between(1000, 9999)}`,
  (p) => `+33 6 ${p.between(10, 38)} ${p.between(10, 99)} ${p.between(10, 99)} ${p.between(10, 99)}`,
  (p) => `+49 151 ${p.between(10000000, 99999999)}`,
  (p) => `+65 8${p.between(100, 999)} ${p.between(1000, 9999)}`,
];
const BAD_PHONES: readonly string[] = [
  '',
  'not-a-phone',
  '010-123',
  '+82',
  '12345',
  '+999 1234',
  '010-1234-56789-0',
  '+82 10 1234',
  'phone: 010',
  '0000-0000-0000',
];
const SCHEMA_FIELDS = ['eventId', 'campaignId', 'accountId', 'talkLinked', 'phoneNumber', 'makersMember', 'requestedAt'] as const;

/** Formats an instant the way different app backends would: UTC `Z` or Korean time `+09:00`. */
export function isoWithOffset(ms: number, kst: boolean): string {
  if (!kst) return new Date(ms).toISOString();
  return new Date(ms + KST_MS).toISOString().replace('Z', '+09:00');
}

/** A Korean mobile number (010 + 8 digits) written in one of the forms users and backends use. */
function koreanPhone(p: Prng, digits: string): string {
  const a = digits.slice(0, 4);
  const b = digits.slice(4);
  switch (p.int(5)) {
    case 0:
      return `010-${a}-${b}`;
    case 1:
      return `010${a}${b}`;
    case 2:
      return `+8210${a}${b}`;
    case 3:
      return `+82 10-${a}-${b}`;
    default:
      return `010 ${a} ${b}`;
  }
}

/**
 * Generates claim messages one at a time. `next(nowMs)` decides the kind by weighted draw, builds
 * the message and updates the expected tally. Repeats and second claims refer to recent messages
 * (a ring of 4096), so memory stays constant however long the run.
 */
export class ClaimGenerator {
  readonly tally: ExpectedTally = emptyTally();
  private readonly prng: Prng;
  private readonly weights: (readonly [ClaimKind, number])[];
  private readonly makersShare: number;
  private readonly traceShare: number;
  private readonly skewMs: number;
  private readonly recentTapMs: number;
  private nextSeq = 1;
  private nextAccount = 1;
  private readonly recentSent = new Ring<SentClaim>();
  private readonly recentClaimants = new Ring<Claimant>();

  constructor(private readonly o: ClaimGeneratorOptions) {
    this.prng = derive(o.seed, `claims:${o.runId}`);
    const mix = o.mix ?? DEFAULT_MIX;
    this.weights = CLAIM_KINDS.map((k) => [k, mix[k] ?? 0] as const).filter(([, w]) => w > 0);
    this.makersShare = o.makersShare ?? 0.6;
    this.traceShare = o.traceSampleShare ?? 0.01;
    this.skewMs = o.skewToleranceMs ?? 300_000;
    this.recentTapMs = o.recentTapMs ?? 10 * 60_000;
  }

  get campaign(): CampaignFacts {
    return this.o.campaign;
  }

  eventId(seq: number): string {
    return `lg-${this.o.runId}-e${seq}`;
  }

  next(nowMs: number): GeneratedMessage {
    let kind = this.prng.weighted(this.weights);
    if (kind === 'repeat' && this.recentSent.items.length === 0) kind = 'unique';
    if (kind === 'second' && this.recentClaimants.items.length === 0) kind = 'unique';
    const msg = this.build(kind, nowMs);
    this.tally.sent[msg.kind]++;
    this.tally.messages++;
    switch (msg.expect.outcome) {
      case 'ACCEPTED':
        this.tally.decisions++;
        this.tally.accepted++;
        if (msg.makersMember) this.tally.acceptedMakers++;
        break;
      case 'REJECTED':
        this.tally.decisions++;
        this.tally.rejected[msg.expect.reason]++;
        break;
      case 'DLQ':
        this.tally.dlq++;
        break;
      case 'NO_NEW_DECISION':
        break;
    }
    return msg;
  }

  private build(kind: ClaimKind, nowMs: number): GeneratedMessage {
    const p = this.prng;
    const c = this.o.campaign;
    if (kind === 'repeat') {
      const prev = p.pick(this.recentSent.items);
      return {
        kind,
        seq: prev.seq,
        eventId: this.eventId(prev.seq),
        accountId: prev.accountId,
        key: prev.key,
        value: prev.value,
        headers: { ...prev.headers, [HEADER_KIND]: 'repeat' },
        expect: { outcome: 'NO_NEW_DECISION' },
        makersMember: false,
      };
    }
    const seq = this.nextSeq++;
    const eventId = this.eventId(seq);
    let claimant: Claimant;
    if (kind === 'second') {
      claimant = p.pick(this.recentClaimants.items);
    } else {
      claimant = {
        accountId: `lg-${this.o.runId}-a${this.nextAccount++}`,
        // 010-5xxx is partly unassigned in libphonenumber's metadata (e.g. 010-5976-...): stay clear of it.
        phoneDigits: `${p.pick([2, 3, 4, 6, 7, 8, 9])}${p.between(100, 999)}${p.between(1000, 9999)}`,
        makersMember: p.chance(this.makersShare),
      };
    }
    const kst = p.chance(0.5);
    const inWindow = (): number => {
      const hi = Math.min(nowMs, c.closesAtMs - 1);
      if (hi < c.opensAtMs) throw new Error(`campaign ${c.campaignId} has not opened yet (opensAt ${new Date(c.opensAtMs).toISOString()})`);
      const lo = Math.max(c.opensAtMs, hi - this.recentTapMs);
      return lo + Math.floor(p.next() * (hi - lo + 1));
    };
    const value: Record<string, unknown> = {
      eventId,
      campaignId: c.campaignId,
      accountId: claimant.accountId,
      talkLinked: true,
      phoneNumber: koreanPhone(p, claimant.phoneDigits),
      makersMember: claimant.makersMember,
      requestedAt: '',
    };
    let requestedAtMs = inWindow();
    let expect: Expectation = { outcome: 'ACCEPTED' };
    switch (kind) {
      case 'unique':
      case 'addedField':
        break;
      case 'second':
        expect = { outcome: 'REJECTED', reason: 'DUPLICATE' };
        break;
      case 'overseas':
        value.phoneNumber = p.pick(OVERSEAS)(p);
        expect = { outcome: 'REJECTED', reason: 'OVERSEAS_NUMBER' };
        break;
      case 'badPhone':
        value.phoneNumber = p.pick(BAD_PHONES);
        expect = { outcome: 'REJECTED', reason: 'INVALID_PHONE' };
        break;
      case 'unlinked':
        value.talkLinked = false;
        expect = { outcome: 'REJECTED', reason: 'NOT_TALK_LINKED' };
        break;
      case 'early':
        requestedAtMs = c.opensAtMs - p.between(1000, 86_400_000);
        expect = { outcome: 'REJECTED', reason: 'CAMPAIGN_NOT_STARTED' };
        break;
      case 'late':
        if (c.closesAtMs <= nowMs) {
          // The window closed already: a tap between closesAt and now is honest and too late.
          requestedAtMs = c.closesAtMs + Math.floor(p.next() * Math.min(nowMs - c.closesAtMs + 1, 3_600_000));
          expect = { outcome: 'REJECTED', reason: 'CAMPAIGN_CLOSED' };
        } else {
          // The window is still open: a tap after closesAt lies in the future, which is forged.
          requestedAtMs = Math.max(c.closesAtMs, nowMs + this.skewMs) + p.between(60_000, 3_600_000);
          expect = { outcome: 'REJECTED', reason: 'INVALID' };
        }
        break;
      case 'future':
        requestedAtMs = nowMs + this.skewMs + p.between(600_000, 86_400_000);
        expect = { outcome: 'REJECTED', reason: 'INVALID' };
        break;
      case 'unknownCampaign':
        value.campaignId = `lg-${this.o.runId}-no-such-campaign`;
        expect = { outcome: 'REJECTED', reason: 'UNKNOWN_CAMPAIGN' };
        break;
      case 'badJson':
      case 'missingField':
      case 'wrongType':
        expect = { outcome: 'DLQ' };
        break;
    }
    value.requestedAt = isoWithOffset(requestedAtMs, kst);
    let text = JSON.stringify(value);
    if (kind === 'badJson') {
      text = p.chance(0.5) ? text.slice(0, 40 + p.int(40)) : `claim ${eventId} for ${claimant.accountId}`;
    } else if (kind === 'missingField') {
      delete value[p.pick(SCHEMA_FIELDS)];
      text = JSON.stringify(value);
    } else if (kind === 'addedField') {
      text = JSON.stringify({ ...value, [p.pick(['coupon', 'referrer', 'deviceId', 'isVip'])]: p.pick(['FREE', 'x', 1, true]) });
    } else if (kind === 'wrongType') {
      const broken = { ...value };
      const which = p.int(4);
      if (which === 0) broken.talkLinked = 'yes';
      else if (which === 1) broken.requestedAt = 'yesterday';
      else if (which === 2) broken.phoneNumber = Number(`10${claimant.phoneDigits}`);
      else broken.accountId = null;
      text = JSON.stringify(broken);
    }
    const sampled = p.chance(this.traceShare);
    const headers: Record<string, string> = {
      traceparent: `00-${p.hex(32)}-${p.hex(16)}-${sampled ? '01' : '00'}`,
      [HEADER_RUN]: this.o.runId,
      [HEADER_SEQ]: String(seq),
      [HEADER_KIND]: kind,
    };
    const msg: GeneratedMessage = {
      kind,
      seq,
      eventId: SCHEMA_KINDS.includes(kind) ? null : eventId,
      accountId: claimant.accountId,
      key: claimant.accountId,
      value: text,
      headers,
      expect,
      makersMember: claimant.makersMember,
    };
    if (!SCHEMA_KINDS.includes(kind)) this.recentSent.add({ seq, accountId: claimant.accountId, key: msg.key, value: text, headers });
    if (kind === 'unique' || kind === 'addedField') this.recentClaimants.add(claimant);
    return msg;
  }
}

/** The last RING entries: a bounded memory of recent messages for repeats and second claims. */
class Ring<T> {
  readonly items: T[] = [];
  private written = 0;

  add(x: T): void {
    if (this.items.length < RING) this.items.push(x);
    else this.items[this.written % RING] = x;
    this.written++;
  }
}

// ---------------------------------------------------------------------------------------------
// Merchant damage reports (R10)

// t30k..badAmount carry an upstream assessedLossWon; facts and badFacts carry raw facts for the
// campaign's assessment model (without a model they fall back to t30k); duplicate re-reports.
export type MerchantKind = 't30k' | 't50k' | 'review' | 'boundary' | 'badAmount' | 'facts' | 'badFacts' | 'duplicate';

export const MERCHANT_MIX: Record<MerchantKind, number> = {
  t30k: 35,
  t50k: 15,
  review: 15,
  boundary: 5,
  badAmount: 5,
  facts: 17,
  badFacts: 3,
  duplicate: 5,
};

export type MerchantExpectation =
  { outcome: 'DECIDED'; tier: 'T30K' | 'T50K' | 'REVIEW'; amountWon: number } | { outcome: 'REJECTED'; reason: ReliefRejection };

/**
 * The proof of damage a load-test merchant referred to review sends with its report (by
 * reference: an id and a SHA-256), which planReview's decisions then name.
 */
export function proofOfDamage(merchantId: string): { documentId: string; sha256: string } {
  return { documentId: `${merchantId}-proof`, sha256: createHash('sha256').update(`proof:${merchantId}`).digest('hex') };
}

export interface GeneratedReport {
  kind: MerchantKind;
  seq: number;
  eventId: string;
  merchantId: string;
  value: string;
  headers: Record<string, string>;
  expect: MerchantExpectation;
}

/** The tier a loss earns under the campaign's relief tiers (above the last tier: committee review). */
export function reliefTierFor(
  lossWon: number,
  tiers: CampaignFacts['reliefTiers'],
): { tier: 'T30K' | 'T50K' | 'REVIEW'; amountWon: number } {
  const sorted = [...tiers].sort((a, b) => a.maxLossWon - b.maxLossWon);
  for (const t of sorted) if (lossWon <= t.maxLossWon) return { tier: t.tier, amountWon: t.amountWon };
  return { tier: 'REVIEW', amountWon: 0 };
}

/** `count` damage reports from distinct merchants, plus duplicates (a second report of the same merchant). */
export function generateMerchantReports(o: {
  seed: number;
  runId: string;
  campaign: CampaignFacts;
  count: number;
  nowMs: number;
}): GeneratedReport[] {
  const p = derive(o.seed, `merchants:${o.runId}`);
  const tiers = o.campaign.reliefTiers;
  const t30 = tiers.find((t) => t.tier === 'T30K')?.maxLossWon ?? 300_000;
  const t50 = tiers.find((t) => t.tier === 'T50K')?.maxLossWon ?? 500_000;
  const weights = Object.entries(MERCHANT_MIX) as [MerchantKind, number][];
  const out: GeneratedReport[] = [];
  const merchants: string[] = [];
  let seq = 0;
  for (let i = 0; i < o.count; i++) {
    let kind = p.weighted(weights);
    if (kind === 'duplicate' && merchants.length === 0) kind = 't30k';
    if ((kind === 'facts' || kind === 'badFacts') && !o.campaign.reliefAssessment) kind = 't30k';
    seq++;
    const merchantId = kind === 'duplicate' ? p.pick(merchants) : `lg-${o.runId}-m${seq}`;
    let loss = 0;
    let facts: Record<string, unknown> | null = null;
    const model = o.campaign.reliefAssessment;
    switch (kind) {
      case 't30k':
        loss = p.between(1, t30);
        break;
      case 't50k':
        loss = p.between(t30 + 1, t50);
        break;
      case 'review':
        loss = p.between(t50 + 1, t50 * 20);
        break;
      case 'boundary':
        loss = p.pick([t30, t30 + 1, t50, t50 + 1]);
        break;
      case 'badAmount':
        loss = p.pick([-5000, 12345.5, -1]);
        break;
      case 'duplicate':
        loss = p.between(1, t50);
        break;
      case 'facts':
      case 'badFacts': {
        const m = model as ReliefAssessmentModel;
        const service = kind === 'badFacts' ? 'lg-no-such-service' : p.pick(m.services).service;
        const category = p.pick(m.categories).category;
        facts = p.chance(0.5)
          ? { service, category, revenueLostWon: p.between(0, 20_000_000) }
          : { service, category, usualDailyRevenueWon: p.between(10_000, 3_000_000), outageHours: p.between(0, m.maxOutageHours * 4) / 4 };
        break;
      }
    }
    let expect: MerchantExpectation;
    if (kind === 'duplicate') expect = { outcome: 'REJECTED', reason: 'DUPLICATE_REPORT' };
    else if (kind === 'badAmount') expect = { outcome: 'REJECTED', reason: 'INVALID_AMOUNT' };
    else if (facts) {
      // The same pure rule the relief service applies, with the campaign's own model.
      const v = assessDamageReport({ facts }, { relief: { tiers, assessment: model ?? undefined } });
      expect = v.ok ? { outcome: 'DECIDED', tier: v.tier, amountWon: v.amountWon } : { outcome: 'REJECTED', reason: v.reason };
    } else expect = { outcome: 'DECIDED', ...reliefTierFor(loss, tiers) };
    if (expect.outcome === 'DECIDED') merchants.push(merchantId);
    const eventId = `lg-${o.runId}-d${seq}`;
    const report = {
      eventId,
      campaignId: o.campaign.campaignId,
      merchantId,
      ...(facts ? { facts } : { assessedLossWon: loss }),
      // cases referred to the committee come with proof of damage, so approvals can name it
      ...(expect.outcome === 'DECIDED' && expect.tier === 'REVIEW' ? { evidence: [proofOfDamage(merchantId)] } : {}),
      reportedAt: isoWithOffset(o.nowMs - p.int(86_400_000), true),
    };
    out.push({
      kind,
      seq,
      eventId,
      merchantId,
      value: JSON.stringify(report),
      headers: {
        traceparent: `00-${p.hex(32)}-${p.hex(16)}-00`,
        [HEADER_RUN]: o.runId,
        [HEADER_SEQ]: String(seq),
        [HEADER_KIND]: `merchant:${kind}`,
      },
      expect,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Follow-up requests that need ids the platform assigns (coupon ids, pass ids): decided from what
// was observed, with a PRNG derived from the seed and the observed id, so the same observation
// always yields the same request.

export type RedemptionKind = 'ok' | 'minPaidBoundary' | 'belowMinPaid' | 'notOwner' | 'reuse' | 'unknownCoupon';
export const REDEMPTION_MIX: Record<RedemptionKind, number> = {
  ok: 60,
  minPaidBoundary: 10,
  belowMinPaid: 10,
  notOwner: 5,
  reuse: 10,
  unknownCoupon: 5,
};

export interface FollowUp {
  kind: string;
  eventId: string;
  key: string;
  value: string;
  headers: Record<string, string>;
  /** Expected status of the answer, for the summary. */
  expectStatus: string;
}

/** Redemption requests for one issued coupon (two for a reuse: the second must be ALREADY_USED). */
export function planRedemption(
  o: { seed: number; runId: string; minPaidWon: number; nextSeq: () => number; nowMs: number },
  coupon: { couponId: string; accountId: string; amountWon: number },
): FollowUp[] {
  const p = derive(o.seed, `redeem:${coupon.accountId}:${coupon.amountWon}`);
  const kind = p.weighted(Object.entries(REDEMPTION_MIX) as [RedemptionKind, number][]);
  const mk = (over: Partial<{ couponId: string; accountId: string; order: number }>, expectStatus: string, k: string): FollowUp => {
    const seq = o.nextSeq();
    const eventId = `lg-${o.runId}-r${seq}`;
    const accountId = over.accountId ?? coupon.accountId;
    return {
      kind: k,
      eventId,
      key: accountId,
      value: JSON.stringify({
        eventId,
        couponId: over.couponId ?? coupon.couponId,
        accountId,
        orderId: `lg-${o.runId}-o${seq}`,
        orderAmountWon: over.order ?? coupon.amountWon + o.minPaidWon + p.between(0, 50_000),
        requestedAt: isoWithOffset(o.nowMs, p.chance(0.5)),
      }),
      headers: {
        traceparent: `00-${p.hex(32)}-${p.hex(16)}-00`,
        [HEADER_RUN]: o.runId,
        [HEADER_SEQ]: String(seq),
        [HEADER_KIND]: `redeem:${k}`,
      },
      expectStatus,
    };
  };
  switch (kind) {
    case 'ok':
      return [mk({}, 'REDEEMED', kind)];
    case 'minPaidBoundary':
      return [mk({ order: coupon.amountWon + o.minPaidWon }, 'REDEEMED', kind)];
    case 'belowMinPaid':
      return [mk({ order: coupon.amountWon + o.minPaidWon - 1 }, 'REJECTED:MIN_PAYMENT', kind)];
    case 'notOwner':
      return [mk({ accountId: `${coupon.accountId}-x` }, 'REJECTED:NOT_OWNER', kind)];
    case 'reuse':
      return [mk({}, 'REDEEMED', 'ok'), mk({}, 'REJECTED:ALREADY_USED', kind)];
    case 'unknownCoupon':
      return [mk({ couponId: `lg-${o.runId}-no-such-coupon-${p.hex(8)}` }, 'REJECTED:UNKNOWN_COUPON', kind)];
  }
}

/** A registration request for a sent pass (a few by someone else: NOT_OWNER). */
export function planRegistration(
  o: { seed: number; runId: string; nextSeq: () => number; nowMs: number },
  pass: { passId: string; accountId: string },
): FollowUp {
  const p = derive(o.seed, `register:${pass.accountId}`);
  const foreign = p.chance(0.05);
  const seq = o.nextSeq();
  const eventId = `lg-${o.runId}-g${seq}`;
  const accountId = foreign ? `${pass.accountId}-x` : pass.accountId;
  return {
    kind: foreign ? 'notOwner' : 'ok',
    eventId,
    key: accountId,
    value: JSON.stringify({ eventId, passId: pass.passId, accountId, requestedAt: isoWithOffset(o.nowMs, p.chance(0.5)) }),
    headers: {
      traceparent: `00-${p.hex(32)}-${p.hex(16)}-00`,
      [HEADER_RUN]: o.runId,
      [HEADER_SEQ]: String(seq),
      [HEADER_KIND]: `register:${foreign ? 'notOwner' : 'ok'}`,
    },
    expectStatus: foreign ? 'REJECTED:NOT_OWNER' : 'REGISTERED',
  };
}

/** Downloads of a granted pack: the first starts a time-limited pack's clock; a second one must not reset it. */
export function planDownload(
  o: { seed: number; runId: string; nextSeq: () => number; nowMs: number },
  grant: { accountId: string; emoticonId: string; validityDays: number | null },
): FollowUp[] {
  const p = derive(o.seed, `download:${grant.accountId}:${grant.emoticonId}`);
  const times = p.chance(0.2) ? 2 : 1;
  const out: FollowUp[] = [];
  for (let i = 0; i < times; i++) {
    const seq = o.nextSeq();
    const eventId = `lg-${o.runId}-w${seq}`;
    out.push({
      kind: i === 0 ? 'first' : 'again',
      eventId,
      key: grant.accountId,
      value: JSON.stringify({
        eventId,
        accountId: grant.accountId,
        emoticonId: grant.emoticonId,
        downloadedAt: isoWithOffset(o.nowMs + i, p.chance(0.5)),
      }),
      headers: {
        traceparent: `00-${p.hex(32)}-${p.hex(16)}-00`,
        [HEADER_RUN]: o.runId,
        [HEADER_SEQ]: String(seq),
        [HEADER_KIND]: `download:${i === 0 ? 'first' : 'again'}`,
      },
      // Only a time-limited pack's first download is answered (activated, with expiresAt).
      expectStatus: i === 0 && grant.validityDays !== null ? 'ACTIVATED' : 'NO_EVENT',
    });
  }
  return out;
}

/** A committee decision for a merchant in review: mostly approved with an additional amount, on the proof its report carried. */
export function planReview(o: { seed: number; runId: string; nextSeq: () => number; nowMs: number }, merchantId: string): FollowUp {
  const p = derive(o.seed, `review:${merchantId}`);
  const approved = p.chance(0.8);
  const seq = o.nextSeq();
  const eventId = `lg-${o.runId}-v${seq}`;
  return {
    kind: approved ? 'approved' : 'declined',
    eventId,
    key: merchantId,
    value: JSON.stringify({
      eventId,
      merchantId,
      approved,
      additionalAmountWon: approved ? p.between(1, 20) * 10_000 : 0,
      evidenceIds: [proofOfDamage(merchantId).documentId],
      decidedAt: isoWithOffset(o.nowMs, true),
    }),
    headers: {
      traceparent: `00-${p.hex(32)}-${p.hex(16)}-00`,
      [HEADER_RUN]: o.runId,
      [HEADER_SEQ]: String(seq),
      [HEADER_KIND]: `review:${approved ? 'approved' : 'declined'}`,
    },
    expectStatus: approved ? 'APPROVED' : 'DECLINED',
  };
}
