import { z } from 'zod';
import { loadConfig, platformEnv } from '@platform/config';

export const reliefEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3005),
  /**
   * How long a damage report for a campaign this service has not heard of is kept waiting for the
   * campaign's definition (counted from when this service first saw the report); after that it is
   * decided REJECTED UNKNOWN_CAMPAIGN.
   */
  RELIEF_UNKNOWN_CAMPAIGN_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(120_000),
  /**
   * How long a committee decision for a merchant with no case in review is kept waiting for the
   * merchant's report (decisions can overtake reports); after that it is REJECTED NOT_IN_REVIEW.
   */
  RELIEF_REVIEW_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(120_000),
});

export type ReliefConfig = z.infer<typeof reliefEnv>;

export const loadReliefConfig = (env: NodeJS.ProcessEnv = process.env): ReliefConfig => loadConfig(reliefEnv, env);
export const reliefDatabase = (c: ReliefConfig): string => c.DB_NAME ?? 'campaign_relief';
