import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SignJWT, UnsecuredJWT } from 'jose';
import { authSecret, DEV_AUTH_SECRET, InsecureSecretError } from './key';
import { InvalidToken, issueToken, TOKEN_AUDIENCE, TOKEN_ISSUER, verifyToken } from './token';

const secret = new TextEncoder().encode('a-test-secret-that-is-long-enough-0123');

describe('authSecret', () => {
  it('uses the development key outside production only', () => {
    expect(Buffer.from(authSecret({ NODE_ENV: 'development' })).toString()).toBe(DEV_AUTH_SECRET);
    expect(() => authSecret({ NODE_ENV: 'production' })).toThrow(InsecureSecretError);
    expect(() => authSecret({ NODE_ENV: 'production', AUTH_JWT_SECRET: DEV_AUTH_SECRET })).toThrow(/refuses the development/);
  });

  it('reads the key from AUTH_JWT_SECRET, else from AUTH_JWT_SECRET_FILE, and refuses short keys', () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'auth-')), 'jwt-secret');
    fs.writeFileSync(file, 'x'.repeat(40) + '\n');
    expect(Buffer.from(authSecret({ NODE_ENV: 'production', AUTH_JWT_SECRET_FILE: file })).toString()).toBe('x'.repeat(40));
    expect(
      Buffer.from(authSecret({ NODE_ENV: 'production', AUTH_JWT_SECRET: 'y'.repeat(32), AUTH_JWT_SECRET_FILE: file })).toString(),
    ).toBe('y'.repeat(32));
    fs.writeFileSync(file, 'short');
    expect(() => authSecret({ NODE_ENV: 'development', AUTH_JWT_SECRET_FILE: file })).toThrow(/at least 32/);
  });
});

describe('tokens', () => {
  it('round-trips subject, roles and account', async () => {
    const t = await issueToken(secret, { subject: 'shop', roles: ['shop-backend'], account: 'acct-1', ttlSeconds: 60 });
    await expect(verifyToken(secret, t)).resolves.toEqual({ subject: 'shop', roles: ['shop-backend'], account: 'acct-1' });
  });

  it('ignores roles the platform does not know', async () => {
    const t = await issueToken(secret, { subject: 's', roles: ['reader', 'root' as never], ttlSeconds: 60 });
    await expect(verifyToken(secret, t)).resolves.toEqual({ subject: 's', roles: ['reader'] });
  });

  const signed = (claims: Record<string, unknown>, o: { iss?: string; aud?: string; exp?: number; key?: Uint8Array } = {}) => {
    const j = new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).setSubject('x').setIssuedAt();
    j.setIssuer(o.iss ?? TOKEN_ISSUER).setAudience(o.aud ?? TOKEN_AUDIENCE);
    j.setExpirationTime(o.exp ?? Math.floor(Date.now() / 1000) + 60);
    return j.sign(o.key ?? secret);
  };

  it.each([
    ['another key', () => signed({ roles: ['ops'] }, { key: new TextEncoder().encode('b'.repeat(40)) })],
    ['another issuer', () => signed({ roles: ['ops'] }, { iss: 'someone-else' })],
    ['another audience', () => signed({ roles: ['ops'] }, { aud: 'another-service' })],
    ['expired', () => signed({ roles: ['ops'] }, { exp: Math.floor(Date.now() / 1000) - 120 })],
    [
      'unsigned (alg none)',
      () =>
        Promise.resolve(
          new UnsecuredJWT({ roles: ['ops'] })
            .setSubject('x')
            .setIssuer(TOKEN_ISSUER)
            .setAudience(TOKEN_AUDIENCE)
            .setIssuedAt()
            .setExpirationTime('1h')
            .encode(),
        ),
    ],
    ['no roles', () => signed({})],
    [
      'no expiry',
      () =>
        new SignJWT({ roles: ['ops'] })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('x')
          .setIssuedAt()
          .setIssuer(TOKEN_ISSUER)
          .setAudience(TOKEN_AUDIENCE)
          .sign(secret),
    ],
  ])('refuses a token with %s', async (_, make) => {
    await expect(verifyToken(secret, await make())).rejects.toBeInstanceOf(InvalidToken);
  });
});
