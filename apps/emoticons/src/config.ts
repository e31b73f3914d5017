import { z } from 'zod';
import { loadConfig, platformEnv } from '@platform/config';

const ms = (fallback: number, max = 30 * 86_400_000) => z.coerce.number().int().min(0).max(max).default(fallback);

export const emoticonsEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3002),
  /**
   * How long a download of a pack the account has no entitlement to is retried (the grant may still
   * be in flight on compensation.claim.decided.v1) before it is parked in the DLQ as NOT_GRANTED.
   */
  EMOTICON_DOWNLOAD_WAIT_MS: ms(120_000),
  /** How long an ACCEPTED decision without `rewards` waits for its campaign definition before the DLQ. */
  EMOTICON_REWARDS_WAIT_MS: ms(120_000),
  /** How far `downloadedAt` may be ahead of the message's Kafka timestamp before the download is INVALID. */
  EMOTICON_DOWNLOAD_SKEW_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** Expiry sweep period; 0 disables the timer (tests call sweepOnce() themselves). */
  EMOTICON_SWEEP_INTERVAL_MS: ms(10_000, 86_400_000),
  /** Entitlements expired per sweep transaction. */
  EMOTICON_SWEEP_BATCH_SIZE: z.coerce.number().int().min(1).max(20_000).default(1000),
  /** Upper bound of transactions per sweep pass (the next tick continues). */
  EMOTICON_SWEEP_MAX_BATCHES: z.coerce.number().int().min(1).max(100_000).default(100),
});

export type EmoticonsConfig = z.infer<typeof emoticonsEnv>;

export const loadEmoticonsConfig = (env: NodeJS.ProcessEnv = process.env): EmoticonsConfig => loadConfig(emoticonsEnv, env);
export const emoticonsDatabase = (c: EmoticonsConfig): string => c.DB_NAME ?? 'campaign_emoticons';
