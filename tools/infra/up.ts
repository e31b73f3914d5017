// Bringing the whole local infrastructure up and down (Kafka, Postgres, Zipkin, topics, state
// file). Shared by the infra CLI, `npm start`/`npm stop` and the test runner.
import { bootstrapServers, kafkaStatus, startKafka, stopKafka, type NodeStatus } from './kafka';
import { POSTGRES_DATA_DIR, rel } from './paths';
import { canConnect, embeddedPostgresPid, ensurePostgres, stopEmbeddedPostgres } from './postgres';
import { ensureServiceRoles } from './postgres-roles';
import { withLock } from './processes';
import { clearInfraState, readInfraState, writeInfraState, type BrokersMode, type InfraState } from './state';
import { ensureTopics } from './topics';
import { startZipkin, stopZipkin, zipkinHealthy, zipkinPid, zipkinSpansUrl } from './zipkin';

export interface InfraUpOptions {
  /** 1 (default): single broker on 9092; 3: the three-broker cluster. */
  brokers?: BrokersMode;
  /** Start Zipkin too (default true). */
  zipkin?: boolean;
  /** Create the contract's topics (default true). */
  topics?: boolean;
  /** Topic name prefix; default env KAFKA_TOPIC_PREFIX, else none. */
  topicPrefix?: string;
  log?: (line: string) => void;
}

const secs = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;

/** Idempotent: whatever already runs and is healthy is left alone. Returns the new state. */
export async function infraUp(opts: InfraUpOptions = {}): Promise<InfraState> {
  const mode: BrokersMode = opts.brokers ?? 1;
  const log = opts.log ?? ((l: string) => console.log(`[infra] ${l}`));
  return withLock('infra', async () => {
    const t0 = Date.now();
    const [kafka, pg, zipkin] = await Promise.all([
      startKafka({ brokers: mode }),
      ensurePostgres(),
      opts.zipkin === false ? Promise.resolve(null) : startZipkin(),
    ]);
    const kafkaWhat = kafka.external
      ? 'already running (not started by this checkout)'
      : kafka.started.length > 0
        ? `started node(s) ${kafka.started.join(',')}`
        : 'already running';
    log(`kafka ${kafka.brokers.join(',')}: ${kafkaWhat}`);
    log(`postgres ${redact(pg.databaseUrl)}: ${pg.embedded ? 'embedded, ' : ''}${pg.started ? 'started' : 'already running'}`);
    // one role per service owning only its database, and audit_reader (tools/infra/postgres-roles.ts)
    try {
      const roles = await ensureServiceRoles({ superuserUrl: pg.databaseUrl });
      log(`postgres roles: ${roles.roles.join(', ')} (passwords in .local/credentials/postgres-roles.json)`);
    } catch (e) {
      // e.g. a DATABASE_URL that is not a superuser: services then connect as that user
      log(
        `postgres roles NOT created (${e instanceof Error ? e.message : String(e)}): services connect as ${new URL(pg.databaseUrl).username || 'the default user'}`,
      );
    }
    let zipkinUrl: string | null = null;
    if (zipkin) {
      zipkinUrl = zipkin.url;
      log(`zipkin ${zipkin.url}: ${zipkin.started ? 'started' : 'already running'}`);
    } else if (await zipkinHealthy()) {
      zipkinUrl = zipkinSpansUrl(); // left running by an earlier `up`
    }
    if (opts.topics !== false) {
      const t = await ensureTopics({
        brokers: kafka.brokers,
        replicationFactor: mode,
        ...(opts.topicPrefix !== undefined ? { prefix: opts.topicPrefix } : {}),
      });
      log(`topics: ${t.created.length} created, ${t.existing.length} already present`);
    }
    const state: InfraState = {
      kafkaBrokers: kafka.brokers,
      databaseUrl: pg.databaseUrl,
      zipkinUrl,
      brokersMode: mode,
      embeddedPostgres: pg.embedded,
    };
    writeInfraState(state);
    log(`ready in ${secs(t0)} (state: .local/infra.json)`);
    return state;
  });
}

export interface InfraDownOptions {
  /** Which Kafka to stop: 1 (default) or 3. */
  brokers?: BrokersMode;
  /** Stop both Kafka modes. */
  all?: boolean;
  /** Also delete data (Kafka logs, embedded Postgres data dir). */
  purge?: boolean;
  log?: (line: string) => void;
}

/**
 * Stops the chosen Kafka mode; Zipkin and an embedded Postgres stop once no Kafka of this
 * checkout runs any more. A machine-wide Postgres (5432, DATABASE_URL) is never touched.
 */
export async function infraDown(opts: InfraDownOptions = {}): Promise<void> {
  const log = opts.log ?? ((l: string) => console.log(`[infra] ${l}`));
  const modes: BrokersMode[] = opts.all ? [1, 3] : [opts.brokers ?? 1];
  await withLock('infra', async () => {
    const t0 = Date.now();
    for (const mode of modes) {
      const stopped = await stopKafka({ brokers: mode, purge: opts.purge ?? false });
      log(
        `kafka ${mode === 1 ? 'single broker' : '3-broker cluster'}: ${stopped.length ? `stopped node(s) ${stopped.join(',')}` : 'not running'}${opts.purge ? ', data purged' : ''}`,
      );
    }
    const otherRunning = ([1, 3] as BrokersMode[]).filter((m) => !modes.includes(m) && kafkaStatus(m).some((n) => n.running));
    if (otherRunning.length === 0) {
      log(`zipkin: ${(await stopZipkin()) ? 'stopped' : 'not running'}`);
      const pgStopped = await stopEmbeddedPostgres({ purge: opts.purge ?? false });
      if (pgStopped || opts.purge)
        log(`embedded postgres: ${pgStopped ? 'stopped' : 'not running'}${opts.purge ? `, ${rel(POSTGRES_DATA_DIR)} purged` : ''}`);
    }
    const state = readInfraState();
    if (state && modes.includes(state.brokersMode)) {
      const other = otherRunning[0];
      if (other) writeInfraState({ ...state, brokersMode: other, kafkaBrokers: bootstrapServers(other) });
      else clearInfraState();
    }
    log(`down in ${secs(t0)}`);
  });
}

export interface InfraStatus {
  state: InfraState | null;
  kafka: { single: NodeStatus[]; cluster: NodeStatus[] };
  postgres: { url: string | null; reachable: boolean; embeddedPid: number | null };
  zipkin: { url: string; healthy: boolean; pid: number | null };
}

export async function infraStatus(): Promise<InfraStatus> {
  const state = readInfraState();
  const url = state?.databaseUrl ?? null;
  return {
    state,
    kafka: { single: kafkaStatus(1), cluster: kafkaStatus(3) },
    postgres: { url: url ? redact(url) : null, reachable: url ? await canConnect(url) : false, embeddedPid: embeddedPostgresPid() },
    zipkin: { url: zipkinSpansUrl(), healthy: await zipkinHealthy(), pid: zipkinPid() },
  };
}

/** A connection URL without its password, for printing. */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
