import { DataSource, DataSourceOptions, MixedList, EntitySchema } from 'typeorm';

export interface ServiceDataSourceOptions {
  url: string;
  entities?: MixedList<string | (new () => unknown) | EntitySchema>;
  migrations: MixedList<string | (new () => unknown)>;
  poolSize?: number;
  applicationName?: string;
}

/** TypeORM options for a service database: migrations only, never synchronize. */
export function serviceDataSourceOptions(o: ServiceDataSourceOptions): DataSourceOptions {
  return {
    type: 'postgres',
    url: o.url,
    entities: o.entities ?? [],
    migrations: o.migrations,
    migrationsTableName: 'schema_migrations',
    synchronize: false,
    migrationsRun: false,
    // TypeORM's failed-query log prints the parameters (phone numbers, raw message bytes): errors reach callers anyway
    logging: false,
    extra: {
      max: o.poolSize ?? 10,
      application_name: o.applicationName ?? 'platform',
      // Fail fast while Postgres is down so callers can back off instead of hanging.
      connectionTimeoutMillis: 5000,
      statement_timeout: 60000,
      // A frozen lock holder must not stall everyone behind it: waiters give up (55P03, retried),
      // and a session idle inside a transaction (a frozen or hung process: none of our
      // transactions waits on anything but Postgres) is cut off by the server, freeing its locks
      // before the waiters' lock_timeout.
      lock_timeout: 15000,
      idle_in_transaction_session_timeout: 10000,
      // Client-side bound for when the server (or the network to it) stops answering altogether.
      query_timeout: 75000,
      // Notice a dead peer (frozen VM, cut network) on idle pooled connections.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10000,
    },
  };
}

/**
 * Runs pending migrations under a session advisory lock, so replicas starting together do not
 * race each other through the same migration.
 */
export async function migrate(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock(727001)');
    const done = await ds.runMigrations({ transaction: 'each' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock(727001)').catch(() => undefined);
    await runner.release();
  }
}
