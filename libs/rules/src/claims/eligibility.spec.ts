import { judgeEligibility, judgePhone } from './index';

const window = { opensAt: new Date('2023-01-05T00:00:00+09:00'), closesAt: new Date('2023-01-21T00:00:00+09:00') };
const tol = 5 * 60 * 1000;
const facts = (over: Partial<{ talkLinked: boolean; phoneNumber: string; requestedAt: string; producedAt: string }> = {}) => ({
  talkLinked: over.talkLinked ?? true,
  phoneNumber: over.phoneNumber ?? '010-1234-5678',
  requestedAt: new Date(over.requestedAt ?? '2023-01-10T12:00:00+09:00'),
  producedAt: new Date(over.producedAt ?? over.requestedAt ?? '2023-01-10T12:00:00+09:00'),
});

describe('claim window (R1), judged in KST on requestedAt', () => {
  it.each([
    ['2023-01-04T23:59:59.999+09:00', 'CAMPAIGN_NOT_STARTED'],
    ['2023-01-05T00:00:00+09:00', 'ACCEPT'],
    ['2023-01-04T15:00:00Z', 'ACCEPT'], // the same instant in UTC
    ['2023-01-20T23:59:59.999+09:00', 'ACCEPT'],
    ['2023-01-21T00:00:00+09:00', 'CAMPAIGN_CLOSED'],
    ['2023-01-20T15:00:00Z', 'CAMPAIGN_CLOSED'],
  ])('requestedAt %s -> %s', (requestedAt, expected) => {
    const r = judgeEligibility(facts({ requestedAt }), window, tol);
    expect(r.eligible ? 'ACCEPT' : r.reason).toBe(expected);
  });

  it('honours an in-window claim processed weeks later (backlog)', () => {
    const r = judgeEligibility(facts({ requestedAt: '2023-01-20T23:00:00+09:00', producedAt: '2023-01-20T23:00:01+09:00' }), window, tol);
    expect(r.eligible).toBe(true);
  });

  it('rejects a requestedAt later than the message itself beyond the tolerance as INVALID', () => {
    const produced = '2023-01-10T12:00:00+09:00';
    expect(judgeEligibility(facts({ requestedAt: '2023-01-10T12:05:00+09:00', producedAt: produced }), window, tol).eligible).toBe(true);
    const r = judgeEligibility(facts({ requestedAt: '2023-01-10T12:05:00.001+09:00', producedAt: produced }), window, tol);
    expect(r.eligible ? 'ACCEPT' : r.reason).toBe('INVALID');
  });

  it('rejects an unknown campaign', () => {
    const r = judgeEligibility(facts(), undefined, tol);
    expect(r.eligible ? 'ACCEPT' : r.reason).toBe('UNKNOWN_CAMPAIGN');
  });
});

describe('KakaoTalk link (R3)', () => {
  it('rejects unlinked accounts', () => {
    const r = judgeEligibility(facts({ talkLinked: false }), window, tol);
    expect(r.eligible ? 'ACCEPT' : r.reason).toBe('NOT_TALK_LINKED');
  });
});

describe('phone numbers (R4)', () => {
  it.each([
    ['010-1234-5678', 'KOREAN'],
    ['01012345678', 'KOREAN'],
    ['+82 10 1234 5678', 'KOREAN'],
    ['+821012345678', 'KOREAN'],
    ['+82-2-312-3456', 'KOREAN'], // Seoul landline is still a Korean number
    ['+1 415 555 2671', 'OVERSEAS'],
    ['+81 90 1234 5678', 'OVERSEAS'],
    ['+44 7911 123456', 'OVERSEAS'],
    ['hello', 'INVALID'],
    ['', 'INVALID'],
    ['010-12', 'INVALID'],
    ['+82 10 1', 'INVALID'],
    ['9'.repeat(40), 'INVALID'],
  ])('%s is %s', (raw, kind) => {
    expect(judgePhone(raw).kind).toBe(kind);
  });

  it('maps verdicts to claim reasons', () => {
    const over = judgeEligibility(facts({ phoneNumber: '+1 415 555 2671' }), window, tol);
    expect(over).toMatchObject({ eligible: false, reason: 'OVERSEAS_NUMBER', phoneCountry: 'US' });
    const bad = judgeEligibility(facts({ phoneNumber: 'nope' }), window, tol);
    expect(bad).toMatchObject({ eligible: false, reason: 'INVALID_PHONE' });
    const ok = judgeEligibility(facts({ phoneNumber: '+82 10 1234 5678' }), window, tol);
    expect(ok).toEqual({ eligible: true, phoneCountry: 'KR', phoneE164: '+821012345678' });
  });
});
