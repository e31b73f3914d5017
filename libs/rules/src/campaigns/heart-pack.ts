import type { CampaignDefinition, CampaignRewards, PassReward } from '@platform/contracts';
import { KAKAO_2023_ASSESSMENT } from '../relief';

/**
 * The campaign of January 2023 (DOMAIN.md R1-R10): the claims service seeds it by migration as
 * data, and code never reads these numbers; services learn them from the campaign table and
 * events. Tests, load tests, drills and benches start from it instead of copying it.
 */
export const KAKAO_2023_HEART_PACK: CampaignDefinition = {
  campaignId: 'kakao-2023-heart-pack',
  name: 'Kakao heart gift pack (2022-10-15 outage compensation)',
  opensAt: '2023-01-05T00:00:00+09:00',
  closesAt: '2023-01-21T00:00:00+09:00',
  // A documented choice: one person with several Kakao accounts gets one gift pack (issue 19).
  onePerPerson: true,
  // The seed's "300 billion won or more" industry estimate; unit values below are assumed list
  // prices (an emoticon pack sells for about 2,500 won, Talk drawer Plus 100 GB for a month 1,900 won).
  budgetWon: 300_000_000_000,
  rewards: {
    emoticons: [
      { emoticonId: 'choonsik-friends-2', name: 'Choonsik is Friends 2', validityDays: null, valueWon: 2500 },
      {
        emoticonId: 'tosimi-tomungi',
        name: 'Tosimi and Tomungi',
        validityDays: 90,
        valueWon: 2500,
        remindBeforeExpirySeconds: 7 * 86400,
      },
      { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90, valueWon: 2500, remindBeforeExpirySeconds: 7 * 86400 },
    ],
    coupons: {
      membersOnly: true,
      amountsWon: [2000, 3000],
      validityDays: 30,
      minPaidWon: 100,
      remindBeforeExpirySeconds: 3 * 86400,
    },
    pass: {
      cap: 3_000_000,
      delayNoticeAfterSeconds: 72 * 3600,
      registrationWindowSeconds: 30 * 86400,
      validitySeconds: 30 * 86400,
      storageGb: 100,
      valueWon: 1900,
      remindBeforeRegistrationEndsSeconds: 3 * 86400,
    },
  },
  relief: {
    tiers: [
      { tier: 'T30K', maxLossWon: 300_000, amountWon: 30_000 },
      { tier: 'T50K', maxLossWon: 500_000, amountWon: 50_000 },
    ],
    // How merchant-relief turns raw damage facts into an assessed loss (assumed tables, apps/merchant-relief/README.md).
    assessment: KAKAO_2023_ASSESSMENT,
  },
};

/** The 2023 rewards, as the claims service copies them into every ACCEPTED decision. */
export const HEART_PACK_REWARDS: CampaignRewards = KAKAO_2023_HEART_PACK.rewards;

export interface CampaignAroundOptions {
  campaignId?: string;
  name?: string;
  /** How long before `now` the window opened (default 1 h). */
  openedMsAgo?: number;
  /** How long after `now` it closes; negative for a window that already closed (default 24 h). */
  closesInMs?: number;
  /** Pass terms to change (cap, delay-notice bound, ...). */
  pass?: Partial<PassReward>;
  /** `null`: no merchant relief (default: the 2023 tiers and assessment). */
  relief?: CampaignDefinition['relief'];
  /** One gift per person (the 2023 campaign's choice); default off, since load tests reuse phone numbers. */
  onePerPerson?: boolean;
}

/** The 2023 campaign's terms with its window around `now`: what load tests, drills and fixtures run. */
export function campaignAround(now: Date | number, o: CampaignAroundOptions = {}): CampaignDefinition {
  const at = typeof now === 'number' ? now : now.getTime();
  const base = KAKAO_2023_HEART_PACK;
  const rewards = base.rewards;
  return {
    campaignId: o.campaignId ?? base.campaignId,
    name: o.name ?? base.name,
    opensAt: new Date(at - (o.openedMsAgo ?? 3_600_000)).toISOString(),
    closesAt: new Date(at + (o.closesInMs ?? 24 * 3_600_000)).toISOString(),
    budgetWon: base.budgetWon,
    rewards: {
      emoticons: rewards.emoticons.map((e) => ({ ...e })),
      coupons: rewards.coupons ? { ...rewards.coupons, amountsWon: [...rewards.coupons.amountsWon] } : rewards.coupons,
      pass: rewards.pass ? { ...rewards.pass, ...o.pass } : rewards.pass,
    },
    relief: o.relief === undefined ? base.relief : o.relief,
    ...(o.onePerPerson === undefined ? {} : { onePerPerson: o.onePerPerson }),
  };
}
