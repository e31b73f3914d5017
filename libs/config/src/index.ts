import { z } from 'zod';

/**
 * Reads configuration once at boot into a typed object. A bad value stops the process with every
 * problem listed, instead of failing later at first use. Nothing else reads process.env.
 */
export function loadConfig<S extends z.ZodType>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`Invalid configuration:\n${lines.join('\n')}`);
  }
  return parsed.data as z.infer<S>;
}

const csv = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((s) =>
      s
        .split(',')
        .map((x) => x.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[^:]+:\d+$/, 'host:port')).min(1));

const bool = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0', ''])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/**
 * How a Kafka client authenticates (libs/messaging's createKafka applies these). PLAINTEXT for the
 * local single broker; the 3-broker mode wants SASL_PLAINTEXT with SCRAM-SHA-512 and one
 * principal per service (its .local/credentials/<principal>.properties).
 */
export const kafkaSecurityEnv = z.object({
  KAFKA_SECURITY_PROTOCOL: z.enum(['PLAINTEXT', 'SASL_PLAINTEXT', 'SASL_SSL', 'SSL']).default('PLAINTEXT'),
  KAFKA_SASL_MECHANISM: z.enum(['scram-sha-512', 'scram-sha-256', 'plain']).default('scram-sha-512'),
  KAFKA_SASL_USERNAME: z.string().min(1).optional(),
  /** The password, or KAFKA_SASL_PASSWORD_FILE: a file holding it (a mounted secret). */
  KAFKA_SASL_PASSWORD: z.string().min(1).optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().min(1).optional(),
  /** PEM CA bundle to verify the brokers' certificates (SSL, SASL_SSL); default: the system's. */
  KAFKA_TLS_CA_FILE: z.string().min(1).optional(),
  /** Client certificate and key (PEM) for mutual TLS. */
  KAFKA_TLS_CERT_FILE: z.string().min(1).optional(),
  KAFKA_TLS_KEY_FILE: z.string().min(1).optional(),
});

export type KafkaSecurityEnv = z.infer<typeof kafkaSecurityEnv>;

/** Settings every service shares: where Kafka, Postgres and the trace backend are. */
export const platformEnv = z.object({
  KAFKA_BROKERS: csv('127.0.0.1:9092'),
  ...kafkaSecurityEnv.shape,
  /** Prepended to every topic name; empty in production, unique per test suite. */
  KAFKA_TOPIC_PREFIX: z
    .string()
    .regex(/^[a-z0-9._-]*$/)
    .default(''),
  DATABASE_URL: z.url().default('postgres://postgres@127.0.0.1:5432/postgres'),
  /** Overrides the service's own database name (campaign_<service> by default). */
  DB_NAME: z
    .string()
    .regex(/^[a-z0-9_]+$/)
    .optional(),
  DB_POOL_SIZE: z.coerce.number().int().min(2).max(100).default(10),
  ZIPKIN_URL: z.url().default('http://127.0.0.1:9411/api/v2/spans'),
  OTEL_SDK_DISABLED: bool(false),
  /** Share of new traces recorded (children follow their parent's decision). */
  TRACE_SAMPLE_RATIO: z.coerce.number().min(0).max(1).default(1),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** The failure zone this replica runs in (e.g. zone-b), shown by /health/* and in Postgres' application_name. */
  ZONE: z
    .string()
    .regex(/^[a-z0-9-]{1,40}$/)
    .optional(),
  /** Interface the HTTP server binds to: loopback unless a deployment says otherwise (e.g. 0.0.0.0 in a container). */
  HOST: z.string().min(1).default('127.0.0.1'),
  /** `production` refuses development defaults for secrets (the HTTP signing key, the phone hash secret). */
  NODE_ENV: z.string().default('development'),
  /** HS256 key for the bearer tokens every HTTP endpoint but /health/* requires (at least 32 characters)... */
  AUTH_JWT_SECRET: z.string().min(32).optional(),
  /** ...or a file holding it (`npm start` writes .local/credentials/jwt-secret). Unset both: a dev key, refused in production. */
  AUTH_JWT_SECRET_FILE: z.string().min(1).optional(),
  /** Requests per minute per caller (principal and account, or address) on rate-limited routes; 0 = no limit. */
  HTTP_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(1_000_000).default(1200),
  LOG_LEVEL: z.enum(['error', 'warn', 'log', 'debug', 'verbose']).default('log'),
  /** Messages per consumer transaction. */
  CONSUMER_CHUNK_SIZE: z.coerce.number().int().min(1).max(5000).default(1000),
  /** Partitions one service instance works on at the same time. */
  CONSUMER_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(3),
  /** Consumers wait while the outbox holds more rows than this (0: never wait). */
  OUTBOX_BACKPRESSURE_ROWS: z.coerce.number().int().min(0).default(200_000),
  /**
   * Stored offsets that do not match the topic (recreated topic, purged or replaced cluster):
   * `rewind` starts the partition over (handlers dedupe by natural keys), `halt` pauses it and
   * fails readiness until a person decides.
   */
  CONSUMER_ON_OFFSET_MISMATCH: z.enum(['rewind', 'halt']).default('rewind'),
  /**
   * Service priorities: a sheddable service (coupons, pass dispatch, relief) holds new work while
   * claims are behind. `auto` (default for them) sheds while the claims lag is over
   * SHED_CLAIMS_LAG_ABOVE, `on` always, `off` never. Critical services never shed.
   */
  SHEDDING: z.enum(['auto', 'on', 'off']).optional(),
  SHED_CLAIMS_LAG_ABOVE: z.coerce.number().int().min(1).default(50_000),
  SHED_RESUME_BELOW: z.coerce.number().int().min(0).default(5_000),
  /** One shed period lasts at most this long; then the service runs for at least half of it. */
  SHED_MAX_SECONDS: z.coerce.number().int().min(1).default(900),
  SHED_CHECK_MS: z.coerce.number().int().min(100).default(2_000),
});

export type PlatformEnv = z.infer<typeof platformEnv>;

export { bool as envBool, csv as envCsv };
