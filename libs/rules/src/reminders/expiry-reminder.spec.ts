import { reminderDueAt } from './index';

describe('expiry reminders', () => {
  const end = new Date('2023-02-10T00:00:00.000Z');

  it.each([
    ['no end (permanent pack)', null, 3600, null],
    ['no lead', end, undefined, null],
    ['null lead', end, null, null],
    ['one second', end, 1, new Date(end.getTime() - 1000)],
    ['three days', end, 3 * 86400, new Date('2023-02-07T00:00:00.000Z')],
  ])('%s', (_n, endsAt, lead, due) => {
    expect(reminderDueAt(endsAt, lead)).toEqual(due);
  });

  it.each([0, -1, 1.5])('refuses a lead of %p', (lead) => {
    expect(() => reminderDueAt(end, lead)).toThrow(RangeError);
  });
});
