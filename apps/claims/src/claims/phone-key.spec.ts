import { createHash, createHmac } from 'node:crypto';
import { loadClaimsConfig } from '../config';
import { phoneKey } from './phone-key';

describe('phoneKey', () => {
  it('is HMAC-SHA256 of the E.164 number under the secret (RFC 4231 test case 2 for the primitive)', () => {
    expect(createHmac('sha256', 'Jefe').update('what do ya want for nothing?').digest('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
    expect(phoneKey('Jefe', 'what do ya want for nothing?')).toBe('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  });

  it('gives equal keys for equal numbers, different keys under another secret, and is not the old salted hash', () => {
    const a = phoneKey('secret-one-0123456789abcdef012345', '+821012345678');
    expect(phoneKey('secret-one-0123456789abcdef012345', '+821012345678')).toBe(a);
    expect(phoneKey('secret-two-0123456789abcdef012345', '+821012345678')).not.toBe(a);
    expect(phoneKey('secret-one-0123456789abcdef012345', '+821012345679')).not.toBe(a);
    expect(a).not.toBe(createHash('sha256').update('secret-one-0123456789abcdef012345').update('+821012345678').digest('hex'));
  });
});

describe('claims configuration in production', () => {
  const prod = { NODE_ENV: 'production', AUTH_JWT_SECRET: 'x'.repeat(40) };

  it('refuses to start without a phone hash secret, or with the development one', () => {
    expect(() => loadClaimsConfig(prod)).toThrow(/PHONE_HASH_SECRET/);
    expect(() => loadClaimsConfig({ ...prod, PHONE_HASH_SECRET: 'local-dev-phone-secret-change-me' })).toThrow(/PHONE_HASH_SECRET/);
    expect(() => loadClaimsConfig({ ...prod, PHONE_HASH_SALT: 'local-dev-salt-change-me' })).toThrow(/PHONE_HASH_SECRET/);
    expect(() => loadClaimsConfig({ ...prod, PHONE_HASH_SECRET: 'too-short' })).toThrow(/PHONE_HASH_SECRET/);
  });

  it('takes a real secret (PHONE_HASH_SECRET, or the older name PHONE_HASH_SALT)', () => {
    expect(loadClaimsConfig({ ...prod, PHONE_HASH_SECRET: 's'.repeat(32) }).PHONE_HASH_SECRET).toBe('s'.repeat(32));
    expect(loadClaimsConfig({ ...prod, PHONE_HASH_SALT: 't'.repeat(32) }).PHONE_HASH_SECRET).toBe('t'.repeat(32));
  });

  it('uses the development secret outside production', () => {
    expect(loadClaimsConfig({}).PHONE_HASH_SECRET).toBe('local-dev-phone-secret-change-me');
  });
});
