// Local HTTP credentials for `npm start`: the signing secret every service verifies bearer tokens
// with, the phone hash secret of the claims service, and one token per principal a developer (or
// a tool) calls the services as. Everything lives in .local/credentials/, readable by the owner only.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { authSecret, type AuthKeySettings, issueToken, type Role } from '@platform/auth';
import { loadConfig, platformEnv } from '@platform/config';
import { LOCAL_DIR } from '@platform/tools-infra';

export const HTTP_CREDENTIALS_DIR = path.join(LOCAL_DIR, 'credentials');
export const SIGNING_SECRET_FILE = 'jwt-secret';
export const PHONE_SECRET_FILE = 'phone-hash-secret';

/** The tokens `npm start` writes: who, with which role. */
export const LOCAL_PRINCIPALS: readonly { file: string; subject: string; role: Role }[] = [
  { file: 'ops.token', subject: 'local-ops', role: 'ops' },
  { file: 'reader.token', subject: 'local-reader', role: 'reader' },
  { file: 'app-backend.token', subject: 'app-backend', role: 'app-backend' },
  { file: 'shop-backend.token', subject: 'shop-backend', role: 'shop-backend' },
];

/** Long enough for a working week, short enough that a leaked local token dies on its own. */
export const LOCAL_TOKEN_TTL_SECONDS = 7 * 86_400;

export interface HttpCredentials {
  dir: string;
  signingSecretFile: string;
  phoneSecretFile: string;
  tokens: Record<Role, string>;
}

/** A secret file, created with 48 random bytes unless it exists (secrets survive restarts: stored phone keys depend on theirs). */
function ensureSecret(file: string): string {
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  const secret = randomBytes(48).toString('base64url');
  fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Creates the secrets once, and fresh tokens on every call (a restart renews them). Returns where
 * everything is.
 */
export async function ensureHttpCredentials(dir = HTTP_CREDENTIALS_DIR): Promise<HttpCredentials> {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const signingSecretFile = path.join(dir, SIGNING_SECRET_FILE);
  const phoneSecretFile = path.join(dir, PHONE_SECRET_FILE);
  const key = new TextEncoder().encode(ensureSecret(signingSecretFile));
  ensureSecret(phoneSecretFile);
  const tokens = {} as Record<Role, string>;
  for (const p of LOCAL_PRINCIPALS) {
    const file = path.join(dir, p.file);
    fs.writeFileSync(file, `${await issueToken(key, { subject: p.subject, roles: [p.role], ttlSeconds: LOCAL_TOKEN_TTL_SECONDS })}\n`, {
      mode: 0o600,
    });
    tokens[p.role] = file;
  }
  return { dir, signingSecretFile, phoneSecretFile, tokens };
}

/**
 * What a locally started service needs to find its secrets: the signing key file (all services)
 * and the phone hash secret (claims). Empty until `npm start` created them, so the services fall
 * back to their development defaults.
 */
export function httpCredentialEnv(dir = HTTP_CREDENTIALS_DIR): Record<string, string> {
  const env: Record<string, string> = {};
  const signing = path.join(dir, SIGNING_SECRET_FILE);
  const phone = path.join(dir, PHONE_SECRET_FILE);
  if (fs.existsSync(signing)) env.AUTH_JWT_SECRET_FILE = signing;
  if (fs.existsSync(phone)) env.PHONE_HASH_SECRET = fs.readFileSync(phone, 'utf8').trim();
  return env;
}

/**
 * The signing-key settings a tool uses, and passes to the services it starts itself: this
 * process's environment, else the secret `npm start` created, else (nothing set) the development
 * key the services fall back to as well. So a tool and the services it talks to always agree.
 */
export function toolAuthSettings(dir = HTTP_CREDENTIALS_DIR): AuthKeySettings {
  const env = loadConfig(platformEnv.pick({ NODE_ENV: true, AUTH_JWT_SECRET: true, AUTH_JWT_SECRET_FILE: true }));
  const local = path.join(dir, SIGNING_SECRET_FILE);
  if (env.AUTH_JWT_SECRET === undefined && env.AUTH_JWT_SECRET_FILE === undefined && fs.existsSync(local))
    return { ...env, AUTH_JWT_SECRET_FILE: local };
  return env;
}

/** Environment for a service a tool spawns, so it verifies the tool's tokens. */
export function toolAuthEnv(): Record<string, string> {
  const s = toolAuthSettings();
  return s.AUTH_JWT_SECRET_FILE && !s.AUTH_JWT_SECRET ? { AUTH_JWT_SECRET_FILE: s.AUTH_JWT_SECRET_FILE } : {};
}

const toolTokens = new Map<Role, Promise<string>>();

/** `{ authorization: 'Bearer …' }` for a tool calling the services as `role` (a short-lived token, subject `tool-<role>`). */
export async function toolBearer(role: Role): Promise<Record<string, string>> {
  let t = toolTokens.get(role);
  if (!t) {
    t = issueToken(authSecret(toolAuthSettings()), { subject: `tool-${role}`, roles: [role], ttlSeconds: 6 * 3600 });
    toolTokens.set(role, t);
  }
  return { authorization: `Bearer ${await t}` };
}
