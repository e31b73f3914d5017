import type { CampaignRewards, PayloadOf } from '@platform/contracts';
import { expectedGrants } from './gift-pack';

/** A kind of grant an ACCEPTED claim is owed, by the service that makes it. */
export type ClaimGrantKind = PayloadOf<'claimRedriveRequested'>['missing'][number];

/** What the read model holds for one accepted claim. */
export interface GrantsSeen {
  /** Emoticon ids of the entitlements granted for the claim. */
  emoticonIds: readonly string[];
  couponsIssued: number;
  /** A pass was reserved for the claim, or it was answered SOLD_OUT (both settle the pass). */
  passAnswered: boolean;
}

/**
 * The grants an ACCEPTED claim still misses (I3, R7): a pack per emoticon of the campaign, the
 * coupons a member (or anyone, when not members-only) gets, and a reservation or sold-out answer
 * when the campaign offers the pass. Delivery of a reserved pass is the sender's queue, not a gap.
 */
export function missingGrants(rewards: CampaignRewards, makersMember: boolean, seen: GrantsSeen): ClaimGrantKind[] {
  const want = expectedGrants(rewards, makersMember);
  const granted = new Set(seen.emoticonIds);
  const missing: ClaimGrantKind[] = [];
  if (rewards.emoticons.some((e) => !granted.has(e.emoticonId))) missing.push('EMOTICONS');
  if (seen.couponsIssued < want.coupons) missing.push('COUPONS');
  if (want.pass && !seen.passAnswered) missing.push('PASS');
  return missing;
}

export interface RedrivePolicy {
  /** Re-drive requests per claim before it is reported STUCK. */
  maxAttempts: number;
  /** Wait after the first request before checking again; doubled after each further one. */
  backoffMs: number;
  /** The longest wait between two checks (also how often a STUCK claim is looked at again). */
  maxBackoffMs: number;
}

/** How long to wait after re-drive request `attempt` (1-based) before checking the claim again. */
export function redriveBackoffMs(attempt: number, p: RedrivePolicy): number {
  return Math.min(p.backoffMs * 2 ** Math.max(attempt - 1, 0), p.maxBackoffMs);
}

export type ReconcileStep =
  { kind: 'COMPLETED' } | { kind: 'REDRIVE'; attempt: number; nextCheckAt: Date } | { kind: 'STUCK'; nextCheckAt: Date };

/**
 * What the reconciler does with a claim after `attempts` re-drive requests, given what is still
 * missing now: nothing missing completes it; under the bound it asks again (with backoff); at the
 * bound it is STUCK and reported, and still checked now and then, so grants that arrive late (a
 * service back after hours, a DLQ replay) complete it.
 */
export function nextReconcileStep(attempts: number, missing: readonly ClaimGrantKind[], p: RedrivePolicy, now: Date): ReconcileStep {
  if (missing.length === 0) return { kind: 'COMPLETED' };
  if (attempts < p.maxAttempts) {
    const attempt = attempts + 1;
    return { kind: 'REDRIVE', attempt, nextCheckAt: new Date(now.getTime() + redriveBackoffMs(attempt, p)) };
  }
  return { kind: 'STUCK', nextCheckAt: new Date(now.getTime() + p.maxBackoffMs) };
}
