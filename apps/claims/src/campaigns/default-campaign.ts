import { CampaignDefinition } from '@platform/contracts';
import { KAKAO_2023_ASSESSMENT } from '@platform/rules';

/**
 * The campaign of January 2023, seeded by migration as data (see ../../shared/DOMAIN.md R1-R10).
 * Code never reads these numbers; services learn them from the campaign table and events.
 */
export const KAKAO_2023_HEART_PACK: CampaignDefinition = {
  campaignId: 'kakao-2023-heart-pack',
  name: 'Kakao heart gift pack (2022-10-15 outage compensation)',
  opensAt: '2023-01-05T00:00:00+09:00',
  closesAt: '2023-01-21T00:00:00+09:00',
  // A documented choice: one person with several Kakao accounts gets one gift pack (issue 19).
  onePerPerson: true,
  rewards: {
    emoticons: [
      { emoticonId: 'choonsik-friends-2', name: 'Choonsik is Friends 2', validityDays: null },
      { emoticonId: 'tosimi-tomungi', name: 'Tosimi and Tomungi', validityDays: 90 },
      { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90 },
    ],
    coupons: { membersOnly: true, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 },
    pass: {
      cap: 3_000_000,
      delayNoticeAfterSeconds: 72 * 3600,
      registrationWindowSeconds: 30 * 86400,
      validitySeconds: 30 * 86400,
      storageGb: 100,
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
