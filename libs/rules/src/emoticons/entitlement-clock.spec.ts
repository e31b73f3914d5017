import { EntitlementClock, isImplausibleDownloadTime, isPackExpiredAt, judgeDownload, packExpiresAt, packViewAt } from './index';

const t = (iso: string) => new Date(iso);
const DAY = 86_400_000;

const notDownloaded = (validityDays: number | null): EntitlementClock => ({ validityDays, firstDownloadedAt: null, expiresAt: null });
const downloaded = (first: string, validityDays: number | null = 90): EntitlementClock => ({
  validityDays,
  firstDownloadedAt: t(first),
  expiresAt: validityDays === null ? null : new Date(t(first).getTime() + validityDays * DAY),
});

describe('packExpiresAt (R5: 90 days from the first download)', () => {
  it.each([
    [90, '2023-01-10T12:00:00+09:00', '2023-04-10T03:00:00.000Z'],
    [90, '2023-01-31T23:59:59.999Z', '2023-05-01T23:59:59.999Z'],
    [1, '2023-01-10T00:00:00Z', '2023-01-11T00:00:00.000Z'],
    [30, '2024-02-01T00:00:00Z', '2024-03-02T00:00:00.000Z'], // leap year: exact days, not months
  ])('%i days from %s ends at %s', (days, from, end) => {
    expect(packExpiresAt(days, t(from))?.toISOString()).toBe(end);
  });

  it('is null for a permanent pack', () => {
    expect(packExpiresAt(null, t('2023-01-10T00:00:00Z'))).toBeNull();
  });

  it.each([0, -1, 1.5])('refuses a nonsensical validity of %p days', (days) => {
    expect(() => packExpiresAt(days, t('2023-01-10T00:00:00Z'))).toThrow(RangeError);
  });
});

describe('isPackExpiredAt: the exact end instant is already expired', () => {
  const end = t('2023-04-10T03:00:00Z');
  it.each([
    ['2023-04-10T02:59:59.999Z', false],
    ['2023-04-10T03:00:00.000Z', true],
    ['2023-04-10T12:00:00+09:00', true], // same instant, other offset
    ['2023-04-10T03:00:00.001Z', true],
  ])('at %s -> %p', (at, expired) => {
    expect(isPackExpiredAt(end, t(at))).toBe(expired);
  });
  it('a permanent pack (no end) never expires', () => {
    expect(isPackExpiredAt(null, t('9999-12-31T23:59:59Z'))).toBe(false);
  });
});

describe('judgeDownload', () => {
  it('the first download of a time-limited pack starts its 90-day clock', () => {
    expect(judgeDownload(notDownloaded(90), t('2023-01-10T12:00:00+09:00'))).toEqual({
      kind: 'ACTIVATE',
      expiresAt: t('2023-04-10T12:00:00+09:00'),
    });
  });

  it('uses the campaign validity, not a hard-coded 90', () => {
    expect(judgeDownload(notDownloaded(7), t('2023-01-10T00:00:00Z'))).toEqual({ kind: 'ACTIVATE', expiresAt: t('2023-01-17T00:00:00Z') });
  });

  it('the first download of a permanent pack is recorded, nothing to expire', () => {
    expect(judgeDownload(notDownloaded(null), t('2023-01-10T00:00:00Z'))).toEqual({ kind: 'FIRST_PERMANENT' });
  });

  it('a permanent pack never expires, however late the download', () => {
    expect(judgeDownload(downloaded('2023-01-10T00:00:00Z', null), t('2123-01-10T00:00:00Z'))).toEqual({ kind: 'REPEAT' });
  });

  const first = '2023-01-10T00:00:00Z'; // clock ends 2023-04-10T00:00:00Z
  it.each([
    ['the next minute', '2023-01-10T00:01:00Z', 'REPEAT'],
    ['one millisecond before the end', '2023-04-09T23:59:59.999Z', 'REPEAT'],
    ['exactly at the end', '2023-04-10T00:00:00.000Z', 'EXPIRED'],
    ['after the end', '2023-05-01T00:00:00Z', 'EXPIRED'],
    ['earlier than the download that started the clock (late arrival)', '2023-01-09T00:00:00Z', 'REPEAT'],
  ])('a later download %s (%s) -> %s, and never resets the clock', (_what, at, kind) => {
    const v = judgeDownload(downloaded(first), t(at));
    expect(v.kind).toBe(kind);
    if (v.kind === 'EXPIRED') expect(v.expiresAt).toEqual(t('2023-04-10T00:00:00Z'));
  });
});

describe('isImplausibleDownloadTime (a clock cannot start in the future)', () => {
  const produced = t('2023-01-10T12:00:00Z');
  const tol = 5 * 60 * 1000;
  it.each([
    ['2023-01-01T00:00:00Z', false],
    ['2023-01-10T12:05:00.000Z', false],
    ['2023-01-10T12:05:00.001Z', true],
    ['2030-01-01T00:00:00Z', true],
  ])('downloadedAt %s -> %p', (at, bad) => {
    expect(isImplausibleDownloadTime(t(at), produced, tol)).toBe(bad);
  });
  it('an unreadable time is implausible', () => {
    expect(isImplausibleDownloadTime(new Date(Number.NaN), produced, tol)).toBe(true);
  });
});

describe('packViewAt (keyboard tab)', () => {
  it.each([
    [
      'time-limited, not downloaded',
      notDownloaded(90),
      '2030-01-01T00:00:00Z',
      { state: 'NOT_DOWNLOADED', usable: true, permanent: false, usableUntil: null },
    ],
    [
      'permanent, not downloaded',
      notDownloaded(null),
      '2030-01-01T00:00:00Z',
      { state: 'NOT_DOWNLOADED', usable: true, permanent: true, usableUntil: null },
    ],
    [
      'permanent, downloaded',
      downloaded('2023-01-10T00:00:00Z', null),
      '2099-01-01T00:00:00Z',
      { state: 'ACTIVE', usable: true, permanent: true, usableUntil: null },
    ],
    [
      'time-limited, 1 ms before the end',
      downloaded('2023-01-10T00:00:00Z'),
      '2023-04-09T23:59:59.999Z',
      { state: 'ACTIVE', usable: true, permanent: false, usableUntil: t('2023-04-10T00:00:00Z') },
    ],
    [
      'time-limited, exactly at the end',
      downloaded('2023-01-10T00:00:00Z'),
      '2023-04-10T00:00:00Z',
      { state: 'EXPIRED', usable: false, permanent: false, usableUntil: t('2023-04-10T00:00:00Z') },
    ],
  ])('%s', (_what, e, at, view) => {
    expect(packViewAt(e, t(at))).toEqual(view);
  });
});
