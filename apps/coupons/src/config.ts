import { z } from 'zod';
import { loadConfig, platformEnv } from '@platform/config';
import { MAX_ORDER_AMOUNT_WON } from '@platform/rules';

export const couponsEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3003),
  /** How often the expiry sweep runs; 0 disables the timer (tests call sweepOnce()). */
  COUPON_SWEEP_INTERVAL_MS: z.coerce.number().int().min(0).max(86_400_000).default(30_000),
  /** Coupons expired per sweep transaction. */
  COUPON_SWEEP_BATCH: z.coerce.number().int().min(1).max(10_000).default(1000),
  /** How far an event's `requestedAt` may be ahead of its Kafka timestamp before it is INVALID. */
  REDEMPTION_SKEW_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** How long an ACCEPTED decision without rewards waits for its campaign's definition before the DLQ. */
  COUPON_REWARDS_WAIT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(7 * 86_400_000)
    .default(600_000),
  /** Order amounts above this are implausible: INVALID. */
  MAX_ORDER_AMOUNT_WON: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).default(MAX_ORDER_AMOUNT_WON),
});

export type CouponsConfig = z.infer<typeof couponsEnv>;

export const loadCouponsConfig = (env: NodeJS.ProcessEnv = process.env): CouponsConfig => loadConfig(couponsEnv, env);
export const couponsDatabase = (c: CouponsConfig): string => c.DB_NAME ?? 'campaign_coupons';
