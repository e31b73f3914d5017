import { z } from 'zod';
import { envBool, loadConfig, platformEnv } from '@platform/config';

const url = (fallback: string) => z.url().default(fallback);
const dbName = (fallback: string) =>
  z
    .string()
    .regex(/^[a-z0-9_]+$/)
    .default(fallback);

/**
 * The ops console reads the services' HTTP APIs (with its own `reader` identity), the DLQ topics
 * (Kafka, the `ops` principal on a secured cluster) and, for what no API reports (grants per
 * campaign, the oldest unsent pass, last-resort parked messages), the services' databases as
 * `audit_reader` (DATABASE_URL; read-only). Ops actions are forwarded with the logged-in person's
 * own token, so the services audit that person.
 */
export const consoleEnv = platformEnv.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3007),
  CLAIMS_URL: url('http://127.0.0.1:3001'),
  EMOTICONS_URL: url('http://127.0.0.1:3002'),
  COUPONS_URL: url('http://127.0.0.1:3003'),
  PASSES_URL: url('http://127.0.0.1:3004'),
  RELIEF_URL: url('http://127.0.0.1:3005'),
  TALK_CHANNEL_URL: url('http://127.0.0.1:3010'),
  /** The services' databases (read as audit_reader on DATABASE_URL's server). */
  CLAIMS_DB: dbName('campaign_claims'),
  EMOTICONS_DB: dbName('campaign_emoticons'),
  COUPONS_DB: dbName('campaign_coupons'),
  PASSES_DB: dbName('campaign_passes'),
  RELIEF_DB: dbName('campaign_relief'),
  /** How often the console samples the platform (the page refreshes as often). */
  SAMPLE_INTERVAL_MS: z.coerce.number().int().min(200).max(600_000).default(5000),
  /** How much history the charts keep (in memory: a restarted console starts its series again). */
  HISTORY_MINUTES: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 60)
    .default(60),
  /** Parked messages read per DLQ view (the depth is exact; the list stops here). */
  DLQ_VIEW_LIMIT: z.coerce.number().int().min(1).max(10_000).default(200),
  /** Set the session cookie's Secure flag (behind TLS). */
  SESSION_COOKIE_SECURE: envBool(false),
  /** Where index.html, console.js and console.css are (default: apps/ops-console/public). */
  CONSOLE_STATIC_DIR: z.string().min(1).optional(),
});

export type ConsoleConfig = z.infer<typeof consoleEnv>;

export const loadConsoleConfig = (env: NodeJS.ProcessEnv = process.env): ConsoleConfig => loadConfig(consoleEnv, env);

/** The services the console watches, with their HTTP base URLs. */
export const watchedServices = (c: ConsoleConfig) =>
  [
    { name: 'claims', url: c.CLAIMS_URL },
    { name: 'emoticons', url: c.EMOTICONS_URL },
    { name: 'coupons', url: c.COUPONS_URL },
    { name: 'pass-dispatcher', url: c.PASSES_URL },
    { name: 'merchant-relief', url: c.RELIEF_URL },
    { name: 'talk-channel-sim', url: c.TALK_CHANNEL_URL },
  ] as const;
