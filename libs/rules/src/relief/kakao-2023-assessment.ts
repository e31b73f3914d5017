import type { ReliefAssessmentModel } from '@platform/contracts';

/**
 * Default assessment tables for the 2023 campaign. The seed says only *which* factors Kakao
 * weighed (operating margin, substitute service, Kakao's share), never their values: every number
 * here is an assumption, stated with its reasoning in apps/merchant-relief/README.md, for the
 * committee to replace. Campaigns carry a copy (campaign data), so changing this constant changes
 * no campaign already defined; bump `version` with any change.
 */
export const KAKAO_2023_ASSESSMENT: ReliefAssessmentModel = {
  version: 'kakao-2023-assumed-v1',
  categories: [
    { category: 'restaurant', operatingMarginBp: 1_200, note: 'restaurants, cafes, bars (assumption)' },
    { category: 'retail', operatingMarginBp: 800, note: 'shops selling goods (assumption)' },
    { category: 'online-seller', operatingMarginBp: 1_000, note: 'sellers on Kakao shopping, gift and Makers channels (assumption)' },
    { category: 'taxi', operatingMarginBp: 3_000, note: 'owner-drivers: fare minus fuel and fees (assumption)' },
    { category: 'delivery', operatingMarginBp: 2_000, note: 'drivers and couriers dispatched through Kakao apps (assumption)' },
    { category: 'personal-service', operatingMarginBp: 2_000, note: 'hair, beauty, repair, lessons (assumption)' },
    { category: 'lodging', operatingMarginBp: 1_500, note: 'guest houses and small hotels (assumption)' },
    { category: 'other', operatingMarginBp: 1_000, note: 'anything else (assumption)' },
  ],
  services: [
    {
      service: 'kakaotalk',
      kakaoShareBp: 9_500,
      substitute: 'PARTIAL',
      note: 'messaging with customers; phone and SMS remained (share: assumption)',
    },
    {
      service: 'kakaotalk-channel',
      kakaoShareBp: 9_000,
      substitute: 'PARTIAL',
      note: 'business channel, reservations and orders by chat (assumption)',
    },
    {
      service: 'kakao-t',
      kakaoShareBp: 9_000,
      substitute: 'PARTIAL',
      note: 'taxi and driver hailing; street hails and other apps remained (assumption)',
    },
    {
      service: 'kakao-map',
      kakaoShareBp: 2_500,
      substitute: 'AVAILABLE',
      note: 'maps and place listings; other map apps worked (assumption)',
    },
    {
      service: 'kakaopay',
      kakaoShareBp: 3_000,
      substitute: 'AVAILABLE',
      note: 'payments; cards and other payment apps worked (assumption)',
    },
    {
      service: 'kakao-gift',
      kakaoShareBp: 8_000,
      substitute: 'PARTIAL',
      note: 'KakaoTalk gifts (vouchers redeemed at shops) (assumption)',
    },
    {
      service: 'kakao-shopping',
      kakaoShareBp: 1_500,
      substitute: 'AVAILABLE',
      note: 'Talk store, Makers; other marketplaces worked (assumption)',
    },
  ],
  // The part of a loss that stays lost: all of it without a substitute, less when customers could switch.
  substituteFactorsBp: { NONE: 10_000, PARTIAL: 6_000, AVAILABLE: 3_000 },
  // DOMAIN.md: messaging came back after ~10 h, everything else within 5 days (5 x 24 h).
  maxOutageHours: 120,
  // A small business's sales: the largest statutory small-enterprise sales ceiling (12 billion won
  // a year, an assumption to be checked) spread over 365 days, rounded up.
  maxDailyRevenueWon: 33_000_000,
};
