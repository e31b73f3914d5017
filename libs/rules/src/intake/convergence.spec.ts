import { HEART_PACK_REWARDS as rewards } from '../campaigns/heart-pack';
import { missingGrants, nextReconcileStep, RedrivePolicy, redriveBackoffMs } from './convergence';

// three packs, two coupons for members only, a pass
const [a, b, c] = rewards.emoticons.map((e) => e.emoticonId);
const all = { emoticonIds: [a, b, c], couponsIssued: 2, passAnswered: true };

describe('gift packs that converge: what is missing', () => {
  it.each<[string, Partial<typeof all>, boolean, string[]]>([
    ['everything granted', {}, true, []],
    ['nothing yet', { emoticonIds: [], couponsIssued: 0, passAnswered: false }, true, ['EMOTICONS', 'COUPONS', 'PASS']],
    ['two of three packs', { emoticonIds: [a, c] }, true, ['EMOTICONS']],
    ['three packs, one of another campaign', { emoticonIds: [a, b, 'x'] }, true, ['EMOTICONS']],
    ['one of two coupons', { couponsIssued: 1 }, true, ['COUPONS']],
    ['no coupons for a non-member', { couponsIssued: 0 }, false, []],
    ['no pass answer yet', { passAnswered: false }, true, ['PASS']],
  ])('%s', (_name, seen, member, missing) => {
    expect(missingGrants(rewards, member, { ...all, ...seen })).toEqual(missing);
  });

  it('expects no pass when the campaign offers none, and coupons for anyone when not members-only', () => {
    const open = { ...rewards, pass: null, coupons: { membersOnly: false, amountsWon: [2000, 3000], validityDays: 30, minPaidWon: 100 } };
    expect(missingGrants(open, false, { ...all, couponsIssued: 1, passAnswered: false })).toEqual(['COUPONS']);
  });
});

describe('gift packs that converge: the next step', () => {
  const p: RedrivePolicy = { maxAttempts: 3, backoffMs: 1000, maxBackoffMs: 3000 };
  const now = new Date('2026-12-02T00:00:00Z');
  const at = (ms: number) => new Date(now.getTime() + ms);

  it('doubles the wait after each request, up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => redriveBackoffMs(a, p))).toEqual([1000, 2000, 3000, 3000]);
  });

  it.each<[number, string[], ReturnType<typeof nextReconcileStep>]>([
    [0, ['EMOTICONS'], { kind: 'REDRIVE', attempt: 1, nextCheckAt: at(1000) }],
    [1, ['PASS'], { kind: 'REDRIVE', attempt: 2, nextCheckAt: at(2000) }],
    [2, ['PASS'], { kind: 'REDRIVE', attempt: 3, nextCheckAt: at(3000) }],
    [3, ['PASS'], { kind: 'STUCK', nextCheckAt: at(3000) }],
    [3, [], { kind: 'COMPLETED' }],
    [1, [], { kind: 'COMPLETED' }],
  ])('after %i requests, missing %j', (attempts, missing, step) => {
    expect(nextReconcileStep(attempts, missing as never, p, now)).toEqual(step);
  });
});
