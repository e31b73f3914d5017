import { z } from 'zod';
import { loadConfig, platformEnv } from '@platform/config';

export const claimsEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3001),
  /** How far `requestedAt` may be ahead of the message's Kafka timestamp before it is INVALID. */
  CLAIM_SKEW_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(86400).default(300),
  /** Salt for the stored phone hash (no raw numbers are kept). */
  PHONE_HASH_SALT: z.string().min(8).default('local-dev-salt-change-me'),
});

export type ClaimsConfig = z.infer<typeof claimsEnv>;

export const loadClaimsConfig = (env: NodeJS.ProcessEnv = process.env): ClaimsConfig => loadConfig(claimsEnv, env);
export const claimsDatabase = (c: ClaimsConfig): string => c.DB_NAME ?? 'campaign_claims';
