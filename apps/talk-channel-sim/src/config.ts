import { z } from 'zod';
import { envBool, loadConfig, platformEnv } from '@platform/config';

/**
 * The Talk Drawer channel simulator needs no Kafka and no database (its delivery record is kept in
 * memory, see README.md); it shares the platform settings for telemetry and logging only.
 */
export const channelSimEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3010),
  /** Allowed sends per second (token bucket refill); 0 = unlimited. */
  SIM_RATE_LIMIT_PER_SECOND: z.coerce.number().min(0).max(100_000).default(100),
  /** Token bucket capacity: how many requests may arrive at once. */
  SIM_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Lognormal response latency: median and 99th percentile (ms). */
  SIM_LATENCY_MEDIAN_MS: z.coerce.number().min(0).max(60_000).default(2),
  SIM_LATENCY_P99_MS: z.coerce.number().min(0).max(60_000).default(20),
  /** Share of requests answered with a 5xx. */
  SIM_ERROR_RATE: z.coerce.number().min(0).max(1).default(0),
  /** Of those 5xx, the share that happens after the pass was delivered (response lost). */
  SIM_ERROR_AFTER_DELIVERY_SHARE: z.coerce.number().min(0).max(1).default(0.5),
  /** Start with the channel down (every send answered 503). */
  SIM_OUTAGE: envBool(false),
  /** Seed for latency and error draws (reproducible runs); random when unset. */
  SIM_SEED: z.coerce.number().int().optional(),
});

export type ChannelSimConfig = z.infer<typeof channelSimEnv>;

export const loadChannelSimConfig = (env: NodeJS.ProcessEnv = process.env): ChannelSimConfig => loadConfig(channelSimEnv, env);
