import { hostname } from 'node:os';
import { z } from 'zod';
import { envBool, loadConfig, platformEnv } from '@platform/config';

const ms = (fallback: number) => z.coerce.number().int().min(0).max(86_400_000).default(fallback);

export const passDispatcherEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3004),
  /** Consumer group (and Kafka client id); tests give each suite its own. */
  CONSUMER_GROUP: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('pass-dispatcher'),
  /** This replica's name in leader records and logs. */
  INSTANCE_ID: z
    .string()
    .min(1)
    .max(100)
    .default(() => `${hostname()}-${process.pid}`),

  /** The Talk Drawer channel API. */
  TALK_CHANNEL_URL: z.url().default('http://127.0.0.1:3010'),
  CHANNEL_TIMEOUT_MS: ms(5000),
  /** Run the sender at all (reservation-only replicas and tests turn it off). */
  DISPATCH_ENABLED: envBool(true),
  /** Sends per second per campaign unless ops set a campaign's rate (PUT /passes/campaigns/:id/rate). */
  DISPATCH_RATE_PER_SECOND: z.coerce.number().positive().max(100_000).default(100),
  /** Deliveries confirmed by the channel but not yet committed as the watermark, at most. */
  DISPATCH_MAX_UNCOMMITTED: z.coerce.number().int().min(1).max(100_000).default(500),
  /** Confirmed deliveries are committed (watermark + sent events) in groups at most this often. */
  DISPATCH_COMMIT_INTERVAL_MS: ms(50),
  /** After a hiccup the sender may send this many passes back to back to catch up (pacing is by absolute time). */
  DISPATCH_CATCH_UP_SLOTS: z.coerce.number().int().min(0).max(1000).default(4),
  /** Retry backoff cap for a failing slot (5xx, timeouts, network). */
  DISPATCH_RETRY_MAX_MS: ms(5000),
  /** How often a replica tries to become the sender of campaigns nobody leads. */
  LEADER_POLL_MS: ms(1000),
  /** Postgres ends the leader's lock session after this long without a heartbeat (takeover time if the leader freezes). */
  LEADER_SESSION_TIMEOUT_MS: ms(10_000),

  /** Delay-notice estimator period (0: off). */
  ESTIMATOR_INTERVAL_MS: ms(1000),
  /** Window over which the send rate is measured. */
  RATE_WINDOW_SECONDS: z.coerce.number().positive().max(86_400).default(60),
  /** Watchdog period (0: off). */
  WATCHDOG_INTERVAL_MS: ms(1000),
  /** The watchdog notices every unsent pass whose claim + threshold - margin <= now. */
  DELAY_NOTICE_MARGIN_MS: ms(15 * 60_000),

  /** Expiry sweep period (0: off). */
  EXPIRY_SWEEP_INTERVAL_MS: ms(10_000),
  /** The sweep expires passes this long after registerBy (requests in flight still count). */
  EXPIRY_GRACE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /** How far a registration's requestedAt may be ahead of its message before it is clamped. */
  REGISTRATION_SKEW_TOLERANCE_SECONDS: z.coerce.number().int().min(0).max(86_400).default(300),
  /**
   * A registration for a pass the sender may have delivered but not yet committed (within its
   * uncommitted window) waits this long for the commit instead of being answered NOT_SENT_YET.
   */
  REGISTRATION_NOT_SENT_WAIT_MS: z.coerce.number().int().min(0).max(86_400_000).default(120_000),
});

export type PassDispatcherConfig = z.infer<typeof passDispatcherEnv>;

export const loadPassDispatcherConfig = (env: NodeJS.ProcessEnv = process.env): PassDispatcherConfig => loadConfig(passDispatcherEnv, env);
export const passesDatabase = (c: PassDispatcherConfig): string => c.DB_NAME ?? 'campaign_passes';
