import { z } from 'zod';
import { loadConfig, platformEnv } from '@platform/config';

/** Only ever used outside production; a production process refuses to start with it. */
export const DEV_PHONE_HASH_SECRET = 'local-dev-phone-secret-change-me';
const LEGACY_DEV_SALT = 'local-dev-salt-change-me';

export const claimsEnv = platformEnv
  .extend({
    PORT: z.coerce.number().int().min(0).max(65535).default(3001),
    /** How far `requestedAt` may be ahead of the message's Kafka timestamp before it is INVALID. */
    CLAIM_SKEW_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(86400).default(300),
    /** Key of the HMAC-SHA256 phone keys (no raw numbers are kept); at least 32 characters in production. */
    PHONE_HASH_SECRET: z.string().min(8).optional(),
    /** The older name of PHONE_HASH_SECRET, still read when the new one is unset. */
    PHONE_HASH_SALT: z.string().min(8).optional(),
  })
  .transform(({ PHONE_HASH_SALT, PHONE_HASH_SECRET, ...rest }, ctx) => {
    const secret = PHONE_HASH_SECRET ?? PHONE_HASH_SALT;
    if (
      rest.NODE_ENV === 'production' &&
      (secret === undefined || secret === DEV_PHONE_HASH_SECRET || secret === LEGACY_DEV_SALT || secret.length < 32)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['PHONE_HASH_SECRET'],
        message: 'NODE_ENV=production needs a secret of at least 32 characters (not the development default)',
      });
      return z.NEVER;
    }
    return { ...rest, PHONE_HASH_SECRET: secret ?? DEV_PHONE_HASH_SECRET };
  });

export type ClaimsConfig = z.infer<typeof claimsEnv>;

export const loadClaimsConfig = (env: NodeJS.ProcessEnv = process.env): ClaimsConfig => loadConfig(claimsEnv, env);
export const claimsDatabase = (c: ClaimsConfig): string => c.DB_NAME ?? 'campaign_claims';
