import fs from 'node:fs';
import type { PlatformEnv } from '@platform/config';

/** Only ever used outside production; a production process refuses to start with it. */
export const DEV_AUTH_SECRET = 'local-dev-auth-secret-not-for-production';

export const MIN_SECRET_LENGTH = 32;

export type AuthKeySettings = Pick<PlatformEnv, 'NODE_ENV' | 'AUTH_JWT_SECRET' | 'AUTH_JWT_SECRET_FILE'>;

export class InsecureSecretError extends Error {}

/**
 * The HS256 key every service verifies bearer tokens with (and tools and tests sign with): the
 * value of AUTH_JWT_SECRET, else the content of AUTH_JWT_SECRET_FILE, else (outside production
 * only) the development key. Read once at boot.
 */
export function authSecret(c: AuthKeySettings): Uint8Array {
  const fromFile = c.AUTH_JWT_SECRET_FILE ? fs.readFileSync(c.AUTH_JWT_SECRET_FILE, 'utf8').trim() : undefined;
  const secret = c.AUTH_JWT_SECRET ?? fromFile;
  const production = c.NODE_ENV === 'production';
  if (secret === undefined) {
    if (production)
      throw new InsecureSecretError('NODE_ENV=production needs AUTH_JWT_SECRET or AUTH_JWT_SECRET_FILE (the development key is refused)');
    return new TextEncoder().encode(DEV_AUTH_SECRET);
  }
  if (secret.length < MIN_SECRET_LENGTH)
    throw new InsecureSecretError(`the HTTP signing secret must be at least ${MIN_SECRET_LENGTH} characters`);
  if (production && secret === DEV_AUTH_SECRET)
    throw new InsecureSecretError('NODE_ENV=production refuses the development HTTP signing secret');
  return new TextEncoder().encode(secret);
}
