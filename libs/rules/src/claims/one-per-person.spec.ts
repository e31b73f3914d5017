import { secondClaimReason } from './one-per-person';

describe('second claim reason', () => {
  it.each([
    [false, false, true, null],
    [true, false, true, 'DUPLICATE'],
    [true, true, true, 'DUPLICATE'],
    [false, true, true, 'DUPLICATE_PERSON'],
    [false, true, false, null],
    [true, true, false, 'DUPLICATE'],
  ])('account accepted %s, person accepted %s, onePerPerson %s: %s', (accountHasAccepted, personHasAccepted, onePerPerson, reason) => {
    expect(secondClaimReason({ accountHasAccepted, personHasAccepted, onePerPerson })).toBe(reason);
  });
});
