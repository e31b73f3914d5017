import { maskDeadLetterValue, maskDigits, maskPhoneNumbersInText } from './phone-mask';

describe('dead-letter masking', () => {
  it('masks every digit but the last two, keeping separators', () => {
    expect(maskDigits('010-1234-5678')).toBe('***-****-**78');
    expect(maskDigits('+82 10 1234 5678')).toBe('+** ** **** **78');
  });

  it('masks phone fields and numbers inside other strings of a JSON claim, leaving ids, times and amounts readable', () => {
    const raw = JSON.stringify({
      eventId: 'e-1',
      accountId: 'acct-1',
      phoneNumber: '010-1234-5678',
      requestedAt: '2023-01-05T00:00:00+09:00',
      orderAmountWon: 100_000_000,
      note: 'call me on +1 415 555 2671',
    });
    const masked = JSON.parse(maskDeadLetterValue(raw)) as Record<string, unknown>;
    expect(masked).toEqual({
      eventId: 'e-1',
      accountId: 'acct-1',
      phoneNumber: '***-****-**78',
      requestedAt: '2023-01-05T00:00:00+09:00',
      orderAmountWon: 100_000_000,
      note: 'call me on +* *** *** **71',
    });
    expect(maskDeadLetterValue(raw)).not.toMatch(/1234|5678|415/);
  });

  it('masks a phone field whatever its type, and numbers in malformed messages', () => {
    expect(JSON.parse(maskDeadLetterValue('{"phoneNumber":1012345678}'))).toEqual({ phoneNumber: '********78' });
    const broken = '{"eventId":"e-2","phoneNumber":"01012345678",';
    expect(maskDeadLetterValue(broken)).toBe('{"eventId":"e-2","phoneNumber":"*********78",');
    expect(maskPhoneNumbersInText('no numbers here')).toBe('no numbers here');
  });
});
