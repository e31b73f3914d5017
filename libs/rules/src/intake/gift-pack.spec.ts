import { HEART_PACK_REWARDS as rewards } from '../campaigns/heart-pack';
import { expectedGrants, giftPackStatus, PassProgress } from './gift-pack';

describe('gift pack progress', () => {
  it('expects three packs, two coupons for members only, and a pass when offered', () => {
    expect(expectedGrants(rewards, true)).toEqual({ emoticons: 3, coupons: 2, pass: true });
    expect(expectedGrants(rewards, false)).toEqual({ emoticons: 3, coupons: 0, pass: true });
    const coupons = { membersOnly: false, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 };
    expect(expectedGrants({ ...rewards, coupons, pass: null }, false)).toEqual({
      emoticons: 3,
      coupons: 2,
      pass: false,
    });
  });

  it.each<[number, number, PassProgress, boolean, string[]]>([
    [3, 2, 'SENT', true, []],
    [3, 2, 'SOLD_OUT', true, []],
    [3, 2, 'REGISTERED', true, []],
    [3, 2, 'EXPIRED', true, []],
    [3, 0, 'SENT', false, []],
    [2, 2, 'SENT', true, ['EMOTICONS: 2 of 3 granted']],
    [3, 1, 'SENT', true, ['COUPONS: 1 of 2 issued']],
    [3, 2, 'RESERVED', true, ['PASS: reserved, waiting in the send queue']],
    [0, 0, 'NONE', true, ['EMOTICONS: 0 of 3 granted', 'COUPONS: 0 of 2 issued', 'PASS: not reserved yet']],
  ])('%i packs, %i coupons, pass %s (member %s): pending %j', (emoticonsGranted, couponsIssued, pass, makersMember, pending) => {
    const s = giftPackStatus({ rewards, makersMember, emoticonsGranted, couponsIssued, pass });
    expect(s).toEqual(pending.length === 0 ? { status: 'COMPLETE' } : { status: 'PENDING', pending });
  });

  it('waits for the rewards when the decision carried none', () => {
    expect(giftPackStatus({ rewards: null, makersMember: true, emoticonsGranted: 3, couponsIssued: 2, pass: 'SENT' }).status).toBe(
      'PENDING',
    );
  });
});
