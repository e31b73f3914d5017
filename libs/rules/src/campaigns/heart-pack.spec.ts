import { campaignDefinition } from '@platform/contracts';
import { campaignAround, HEART_PACK_REWARDS, KAKAO_2023_HEART_PACK } from './heart-pack';

describe('the 2023 heart pack as data', () => {
  it('is a valid campaign definition with the rules of DOMAIN.md (3 packs, 2 coupons, 3,000,000 passes, 72 h notices)', () => {
    expect(campaignDefinition.parse(KAKAO_2023_HEART_PACK)).toEqual(KAKAO_2023_HEART_PACK);
    expect(HEART_PACK_REWARDS.emoticons.map((e) => e.validityDays)).toEqual([null, 90, 90]);
    expect(HEART_PACK_REWARDS.coupons).toMatchObject({ membersOnly: true, amountsWon: [2000, 3000], minPaidWon: 100 });
    expect(HEART_PACK_REWARDS.pass).toMatchObject({ cap: 3_000_000, delayNoticeAfterSeconds: 259_200 });
  });

  it('moves the window around now and changes only what it is told', () => {
    const now = new Date('2026-12-02T01:00:00Z');
    const c = campaignAround(now, { campaignId: 'drill-1', pass: { cap: 10 }, relief: null });
    expect(campaignDefinition.parse(c)).toEqual(c);
    expect(c).toMatchObject({
      campaignId: 'drill-1',
      opensAt: '2026-12-02T00:00:00.000Z',
      closesAt: '2026-12-03T01:00:00.000Z',
      relief: null,
    });
    expect(c.rewards.pass).toEqual({ ...HEART_PACK_REWARDS.pass, cap: 10 });
    expect(c.rewards.emoticons).toEqual(HEART_PACK_REWARDS.emoticons);
    expect(campaignAround(now.getTime(), { openedMsAgo: 0, closesInMs: -60_000 })).toMatchObject({
      campaignId: KAKAO_2023_HEART_PACK.campaignId,
      opensAt: '2026-12-02T01:00:00.000Z',
      closesAt: '2026-12-02T00:59:00.000Z',
      relief: KAKAO_2023_HEART_PACK.relief,
    });
  });

  it('hands out copies: a caller that edits its campaign does not edit the 2023 data', () => {
    const c = campaignAround(Date.now());
    for (const e of c.rewards.emoticons) e.validityDays = 1;
    c.rewards.coupons?.amountsWon.push(9);
    expect(c.rewards.coupons?.amountsWon).toEqual([2000, 3000, 9]);
    expect(HEART_PACK_REWARDS.emoticons[0]?.validityDays).toBeNull();
    expect(HEART_PACK_REWARDS.coupons?.amountsWon).toEqual([2000, 3000]);
  });
});
