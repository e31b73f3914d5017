import type { CampaignRewards } from '@platform/contracts';

/** Where an accepted claim's pass stands. */
export type PassProgress = 'NONE' | 'RESERVED' | 'SOLD_OUT' | 'SENT' | 'REGISTERED' | 'EXPIRED';

export interface GiftPackFacts {
  /** The campaign's rewards copied into the ACCEPTED decision (absent: not known yet). */
  rewards: CampaignRewards | null;
  makersMember: boolean;
  emoticonsGranted: number;
  couponsIssued: number;
  pass: PassProgress;
}

export interface GiftPackExpectation {
  emoticons: number;
  coupons: number;
  pass: boolean;
}

/** What an accepted claim should end up with (R5-R7, I3): the campaign's packs, coupons for members, a pass if offered. */
export function expectedGrants(rewards: CampaignRewards, makersMember: boolean): GiftPackExpectation {
  const coupons = rewards.coupons && (makersMember || !rewards.coupons.membersOnly) ? rewards.coupons.amountsWon.length : 0;
  return { emoticons: rewards.emoticons.length, coupons, pass: rewards.pass !== null };
}

export type GiftPackStatus = { status: 'COMPLETE' } | { status: 'PENDING'; pending: string[] };

/**
 * An accepted claim's gift pack is COMPLETE when every expected grant arrived and the pass, if the
 * campaign offers one, was delivered (or the claim came after the cap: SOLD_OUT is an answer, not
 * a wait). Otherwise PENDING, naming what is still missing.
 */
export function giftPackStatus(f: GiftPackFacts): GiftPackStatus {
  if (!f.rewards) return { status: 'PENDING', pending: ['REWARDS: the campaign definition has not arrived'] };
  const want = expectedGrants(f.rewards, f.makersMember);
  const pending: string[] = [];
  if (f.emoticonsGranted < want.emoticons) pending.push(`EMOTICONS: ${f.emoticonsGranted} of ${want.emoticons} granted`);
  if (f.couponsIssued < want.coupons) pending.push(`COUPONS: ${f.couponsIssued} of ${want.coupons} issued`);
  if (want.pass) {
    if (f.pass === 'NONE') pending.push('PASS: not reserved yet');
    else if (f.pass === 'RESERVED') pending.push('PASS: reserved, waiting in the send queue');
  }
  return pending.length === 0 ? { status: 'COMPLETE' } : { status: 'PENDING', pending };
}
