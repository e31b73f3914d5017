import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { authSecret, verifyToken } from '@platform/auth';
import { ensureHttpCredentials, httpCredentialEnv, LOCAL_PRINCIPALS, toolAuthSettings } from './credentials';

describe('npm start HTTP credentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'creds-')), 'credentials');
  });

  it('writes a signing secret, a phone secret and one valid token per principal, readable by the owner only', async () => {
    const c = await ensureHttpCredentials(dir);
    expect(fs.readdirSync(dir).sort()).toEqual([
      'app-backend.token',
      'jwt-secret',
      'ops.token',
      'phone-hash-secret',
      'reader.token',
      'shop-backend.token',
    ]);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    for (const f of fs.readdirSync(dir)) expect([f, fs.statSync(path.join(dir, f)).mode & 0o777]).toEqual([f, 0o600]);

    // the services read the secret from the file they are pointed at, and accept it even in production
    const env = httpCredentialEnv(dir);
    expect(env.AUTH_JWT_SECRET_FILE).toBe(c.signingSecretFile);
    const key = authSecret({ NODE_ENV: 'production', AUTH_JWT_SECRET_FILE: env.AUTH_JWT_SECRET_FILE });
    for (const p of LOCAL_PRINCIPALS) {
      const token = fs.readFileSync(path.join(dir, p.file), 'utf8').trim();
      await expect(verifyToken(key, token)).resolves.toEqual({ subject: p.subject, roles: [p.role] });
    }
    expect(env.PHONE_HASH_SECRET?.length).toBeGreaterThanOrEqual(32);
    expect(toolAuthSettings(dir).AUTH_JWT_SECRET_FILE).toBe(c.signingSecretFile);
  });

  it('keeps the secrets across starts (stored phone keys depend on them) and renews the tokens', async () => {
    // iat and exp have second resolution: the restart is a controlled clock one second later, so
    // the renewed token differs without the test waiting for the wall clock.
    const start = Date.parse('2026-03-01T09:00:00.000Z');
    jest.useFakeTimers({ now: start, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      await ensureHttpCredentials(dir);
      const secret = fs.readFileSync(path.join(dir, 'jwt-secret'), 'utf8');
      const phone = fs.readFileSync(path.join(dir, 'phone-hash-secret'), 'utf8');
      const token = fs.readFileSync(path.join(dir, 'ops.token'), 'utf8');
      jest.setSystemTime(start + 1000);
      await ensureHttpCredentials(dir);
      expect(fs.readFileSync(path.join(dir, 'jwt-secret'), 'utf8')).toBe(secret);
      expect(fs.readFileSync(path.join(dir, 'phone-hash-secret'), 'utf8')).toBe(phone);
      const renewed = fs.readFileSync(path.join(dir, 'ops.token'), 'utf8');
      expect(renewed).not.toBe(token);
      // renewed at the restart: a week from then, not from the first start
      const exp = (t: string) => (JSON.parse(Buffer.from(t.split('.')[1] ?? '', 'base64url').toString()) as { exp: number }).exp;
      expect(exp(renewed) - exp(token)).toBe(1);
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives the services no credential settings before npm start created them (development defaults)', () => {
    expect(httpCredentialEnv(dir)).toEqual({});
    expect(toolAuthSettings(dir).AUTH_JWT_SECRET_FILE).toBeUndefined();
  });
});
