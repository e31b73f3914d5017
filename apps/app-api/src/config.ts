import { z } from 'zod';
import { loadConfig, platformEnv } from '@platform/config';

/** Only ever used outside production; a production process refuses to start with it. */
export const DEV_FINGERPRINT_SECRET = 'local-dev-phone-secret-change-me';

export const appApiEnv = platformEnv
  .extend({
    PORT: z.coerce.number().int().min(0).max(65535).default(3006),
    /**
     * Claims taken in but not decided yet (outbox, claims consumer, decision on its way back) above
     * which new claims get 429 with Retry-After instead of joining the queue.
     */
    INTAKE_MAX_PENDING: z.coerce.number().int().min(1).max(100_000_000).default(50_000),
    /** Consumer lag of the claims service on compensation.claim.requested.v1 (all producers) above which the same happens. */
    INTAKE_MAX_CLAIMS_LAG: z.coerce.number().int().min(1).max(100_000_000).default(200_000),
    /** How often the backlog and the drain rates are measured. */
    INTAKE_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(1000),
    /** The window drain rates are measured over. */
    INTAKE_RATE_WINDOW_MS: z.coerce.number().int().min(1000).max(600_000).default(15_000),
    /** The longest Retry-After answered (also the answer while nothing drains). */
    INTAKE_MAX_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).max(3600).default(120),
    /** The claims service's consumer group (its lag is read from Kafka); default: `claims` with the topic prefix. */
    CLAIMS_CONSUMER_GROUP: z.string().min(1).optional(),
    /**
     * Key of the HMAC that fingerprints each request (same key, same body?): the body holds a phone
     * number, and an unkeyed hash of ~10^8 numbers is reversed in minutes. The platform's phone-key
     * secret (the claims service's), at least 32 characters in production.
     */
    PHONE_HASH_SECRET: z.string().min(8).optional(),
    /** How often the reconciler looks for ACCEPTED claims whose grants are missing (0: never, e.g. a read-only replica). */
    RECONCILE_INTERVAL_MS: z.coerce.number().int().min(0).max(3_600_000).default(30_000),
    /** How long after its decision reached this service a claim may still be missing grants before it is re-driven. */
    RECONCILE_AFTER_MS: z.coerce
      .number()
      .int()
      .min(0)
      .max(7 * 86_400_000)
      .default(15 * 60_000),
    /** Re-drive requests per claim before it is reported STUCK (metric, alert GiftPackStuck, timeline). */
    RECONCILE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(5),
    /** Wait after the first re-drive request before checking again; doubled after each further one. */
    RECONCILE_BACKOFF_MS: z.coerce.number().int().min(10).max(86_400_000).default(60_000),
    /** The longest wait between two checks of a claim (also how often a STUCK claim is checked again). */
    RECONCILE_MAX_BACKOFF_MS: z.coerce
      .number()
      .int()
      .min(10)
      .max(7 * 86_400_000)
      .default(3_600_000),
    /** Claims looked at per statement (a tick repeats until the backlog is read). */
    RECONCILE_BATCH: z.coerce.number().int().min(1).max(100_000).default(1000),
  })
  .transform(({ PHONE_HASH_SECRET, ...rest }, ctx) => {
    if (
      rest.NODE_ENV === 'production' &&
      (!PHONE_HASH_SECRET || PHONE_HASH_SECRET === DEV_FINGERPRINT_SECRET || PHONE_HASH_SECRET.length < 32)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['PHONE_HASH_SECRET'],
        message: 'NODE_ENV=production needs a secret of at least 32 characters (not the development default)',
      });
      return z.NEVER;
    }
    return { ...rest, PHONE_HASH_SECRET: PHONE_HASH_SECRET ?? DEV_FINGERPRINT_SECRET };
  });

export type AppApiConfig = z.infer<typeof appApiEnv>;

export const loadAppApiConfig = (env: NodeJS.ProcessEnv = process.env): AppApiConfig => loadConfig(appApiEnv, env);
export const appApiDatabase = (c: AppApiConfig): string => c.DB_NAME ?? 'campaign_app_api';
