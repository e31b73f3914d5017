import { DynamicModule, INestApplication, Logger, LogLevel, Type } from '@nestjs/common';
import type { DestinationStream } from 'pino';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, MixedList } from 'typeorm';
import type { KafkaSecurityEnv, PlatformEnv } from '@platform/config';
import { databaseUrl, ensureDatabase, migrate, serviceDataSourceOptions } from '@platform/persistence';
import { createObservedApp, currentTelemetry } from '@platform/telemetry';
import { Clock } from '../clock';
import type { SheddingPolicy } from '../shedding';
import { MessagingModule, startMessaging } from './module';

/**
 * Creates a service's Nest app the same way in production and in tests: its database exists and
 * is migrated, the batch transport is connected, shutdown hooks drain consumers before the pool
 * closes. The caller decides whether to `listen` on a port (`app.listen`) or just `init`.
 */
export async function createServiceApp(
  rootModule: DynamicModule | Type,
  o: {
    serverUrl: string;
    database: string;
    logLevel?: LogLevel;
    /** The `service` of log lines; default: the name telemetry was started with. */
    service?: string;
    /** Tests read the JSON log lines back from here. */
    logDestination?: DestinationStream;
  },
): Promise<INestApplication> {
  await ensureDatabase(o.serverUrl, o.database);
  const app = await createObservedApp(rootModule, {
    service: o.service ?? currentTelemetry()?.serviceName ?? o.database,
    level: o.logLevel,
    destination: o.logDestination,
  });
  app.enableShutdownHooks();
  installCrashGuard(app);
  await migrate(app.get(DataSource));
  await startMessaging(app);
  return app;
}

let guarded = false;

/**
 * A rejection nobody handled, or an exception nobody caught, means the process is in a state no
 * code planned for. Log it, shut down in order (consumers stop uncommitted, the relay keeps its
 * rows), and exit non-zero so the supervisor restarts a clean process: never die silently, never
 * limp on. Nothing is lost: offsets only move after effects are durable.
 */
function installCrashGuard(app: INestApplication): void {
  if (guarded || process.env.JEST_WORKER_ID) return; // jest owns its workers' process handlers
  guarded = true;
  const log = new Logger('CrashGuard');
  const fail = (kind: string) => (e: unknown) => {
    log.error(`${kind}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}; shutting down for the supervisor to restart`);
    const hardStop = setTimeout(() => process.exit(70), 10_000);
    hardStop.unref();
    void app
      .close()
      .catch(() => undefined)
      .finally(() => process.exit(70));
  };
  process.on('unhandledRejection', fail('unhandled rejection'));
  process.on('uncaughtException', fail('uncaught exception'));
}

export interface ServiceInfrastructure {
  /** Service name: consumer group, Kafka client id, Postgres application_name. */
  service: string;
  config: Pick<
    PlatformEnv,
    'DATABASE_URL' | 'DB_POOL_SIZE' | 'KAFKA_BROKERS' | 'KAFKA_TOPIC_PREFIX' | 'CONSUMER_CHUNK_SIZE' | 'CONSUMER_CONCURRENCY'
  > &
    Partial<KafkaSecurityEnv> &
    Partial<Pick<PlatformEnv, 'OUTBOX_BACKPRESSURE_ROWS' | 'CONSUMER_ON_OFFSET_MISMATCH' | 'ZONE'>> &
    SheddingSettings;
  database: string;
  migrations: MixedList<string | (new () => unknown)>;
  clock?: Clock;
  /** Run the outbox relay in this process (default true). */
  relay?: boolean;
}

export type SheddingSettings = Partial<
  Pick<PlatformEnv, 'SHEDDING' | 'SHED_CLAIMS_LAG_ABOVE' | 'SHED_RESUME_BELOW' | 'SHED_MAX_SECONDS' | 'SHED_CHECK_MS'>
>;

/** The shedding policy from validated config (used by sheddable services only; see SERVICE_PRIORITIES). */
export function sheddingPolicy(c: SheddingSettings): SheddingPolicy {
  const p: SheddingPolicy = {
    mode: c.SHEDDING ?? 'auto',
    lagAbove: c.SHED_CLAIMS_LAG_ABOVE ?? 50_000,
    resumeBelow: c.SHED_RESUME_BELOW ?? 5_000,
    maxShedMs: (c.SHED_MAX_SECONDS ?? 900) * 1000,
    checkMs: c.SHED_CHECK_MS ?? 2_000,
  };
  if (p.resumeBelow >= p.lagAbove)
    throw new Error(`Invalid configuration:\n  SHED_RESUME_BELOW (${p.resumeBelow}) must be below SHED_CLAIMS_LAG_ABOVE (${p.lagAbove})`);
  return p;
}

/** The imports every service module starts with: its own database (migrations only) and the messaging runtime. */
export function serviceInfrastructure(o: ServiceInfrastructure): DynamicModule[] {
  return [
    TypeOrmModule.forRoot(
      serviceDataSourceOptions({
        url: databaseUrl(o.config.DATABASE_URL, o.database),
        migrations: o.migrations,
        poolSize: o.config.DB_POOL_SIZE,
        applicationName: o.config.ZONE ? `${o.service}@${o.config.ZONE}` : o.service,
      }),
    ),
    MessagingModule.forRoot(
      {
        service: o.service,
        brokers: o.config.KAFKA_BROKERS,
        security: o.config,
        topicPrefix: o.config.KAFKA_TOPIC_PREFIX,
        chunkSize: o.config.CONSUMER_CHUNK_SIZE,
        concurrency: o.config.CONSUMER_CONCURRENCY,
        outboxBackpressureRows: o.config.OUTBOX_BACKPRESSURE_ROWS,
        onOffsetMismatch: o.config.CONSUMER_ON_OFFSET_MISMATCH,
        relay: o.relay,
        zone: o.config.ZONE,
        shedding: sheddingPolicy(o.config),
      },
      { clock: o.clock },
    ),
  ];
}
