import { errors, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { isRole, Principal, Role } from './principal';

/** Fixed, checked exactly on every token: a token minted for something else is not ours. */
export const TOKEN_ISSUER = 'heart-pack-platform';
export const TOKEN_AUDIENCE = 'heart-pack-services';
const ALG = 'HS256';

const claims = z.object({
  sub: z.string().min(1).max(200),
  roles: z.array(z.string()).min(1),
  account: z
    .string()
    .regex(/^[\x21-\x7e]{1,128}$/)
    .optional(),
});

export interface TokenRequest {
  subject: string;
  roles: Role[];
  account?: string;
  /** Lifetime; tokens without expiry are not issued (and not accepted). */
  ttlSeconds: number;
}

/** Signs a bearer token (npm start's credentials, tools, tests). */
export function issueToken(secret: Uint8Array, t: TokenRequest): Promise<string> {
  return new SignJWT({ roles: t.roles, ...(t.account !== undefined ? { account: t.account } : {}) })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setSubject(t.subject)
    .setIssuer(TOKEN_ISSUER)
    .setAudience(TOKEN_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + t.ttlSeconds)
    .sign(secret);
}

export class InvalidToken extends Error {}

/**
 * Verifies signature (HS256 only: no `alg: none`, no algorithm confusion), issuer, audience and
 * expiry, then reads the principal. Roles the platform does not know are ignored.
 */
export async function verifyToken(secret: Uint8Array, token: string): Promise<Principal> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, secret, {
      algorithms: [ALG],
      issuer: TOKEN_ISSUER,
      audience: TOKEN_AUDIENCE,
      requiredClaims: ['exp', 'iat', 'sub'],
      clockTolerance: 30,
    }));
  } catch (e) {
    if (e instanceof errors.JOSEError) throw new InvalidToken(e.code);
    throw e;
  }
  const parsed = claims.safeParse(payload);
  if (!parsed.success) throw new InvalidToken('ERR_CLAIMS_INVALID');
  const roles = parsed.data.roles.filter(isRole);
  return { subject: parsed.data.sub, roles, ...(parsed.data.account !== undefined ? { account: parsed.data.account } : {}) };
}
