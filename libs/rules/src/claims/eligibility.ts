import { judgePhone } from './phone';

export type ClaimRejection =
  'NOT_TALK_LINKED' | 'OVERSEAS_NUMBER' | 'INVALID_PHONE' | 'CAMPAIGN_NOT_STARTED' | 'CAMPAIGN_CLOSED' | 'UNKNOWN_CAMPAIGN' | 'INVALID';

export interface ClaimFacts {
  talkLinked: boolean;
  phoneNumber: string;
  /** When the user tapped (from the event). */
  requestedAt: Date;
  /** When the app backend produced the message (Kafka record timestamp). */
  producedAt: Date;
}

export interface ClaimWindow {
  opensAt: Date;
  /** Exclusive. */
  closesAt: Date;
}

export type Eligibility =
  | { eligible: true; phoneCountry: 'KR'; phoneE164: string }
  | { eligible: false; reason: ClaimRejection; phoneCountry: string | null; phoneE164: string | null };

/**
 * R1, R3, R4 for one claim, before the once-per-account rule (R2, which the database enforces).
 * The window is judged on `requestedAt`, so a backlog never costs a user the reward; a
 * `requestedAt` later than the message itself (beyond the skew tolerance) cannot be true: INVALID.
 */
export function judgeEligibility(facts: ClaimFacts, window: ClaimWindow | undefined, skewToleranceMs: number): Eligibility {
  const no = (reason: ClaimRejection, phoneCountry: string | null = null, phoneE164: string | null = null): Eligibility => ({
    eligible: false,
    reason,
    phoneCountry,
    phoneE164,
  });
  if (!window) return no('UNKNOWN_CAMPAIGN');
  if (Number.isNaN(facts.requestedAt.getTime())) return no('INVALID');
  if (facts.requestedAt.getTime() > facts.producedAt.getTime() + skewToleranceMs) return no('INVALID');
  if (facts.requestedAt.getTime() < window.opensAt.getTime()) return no('CAMPAIGN_NOT_STARTED');
  if (facts.requestedAt.getTime() >= window.closesAt.getTime()) return no('CAMPAIGN_CLOSED');
  if (!facts.talkLinked) return no('NOT_TALK_LINKED');
  const phone = judgePhone(facts.phoneNumber);
  switch (phone.kind) {
    case 'INVALID':
      return no('INVALID_PHONE');
    case 'OVERSEAS':
      return no('OVERSEAS_NUMBER', phone.country, phone.e164);
    case 'KOREAN':
      return { eligible: true, phoneCountry: 'KR', phoneE164: phone.e164 };
  }
}
