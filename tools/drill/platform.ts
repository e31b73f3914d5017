import { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import type { KafkaSecurityEnv } from '@platform/config';
import type { KafkaPrincipal, PlatformService } from '@platform/contracts';
import { databaseUrl, ensureDatabase } from '@platform/persistence';
import { spawnTs, stopGracefully, waitFor } from '@platform/testing';
import { LOGS_DIR, ensureServiceRoles } from '@platform/tools-infra';
import { toolAuthEnv } from '@platform/tools-ops';

/** A service instance the drill runs against the 3-broker cluster, isolated by prefix and database. */
export interface DrillService {
  name: string;
  port: number;
  database: string | null;
  child: ChildProcess & { output: string[] };
  /** The environment it was started with (a restart uses the same). */
  env: Record<string, string>;
}

const SERVICES = [
  { name: 'talk-channel-sim', port: 3110, db: false },
  { name: 'claims', port: 3101, db: true },
  { name: 'emoticons', port: 3102, db: true },
  { name: 'coupons', port: 3103, db: true },
  { name: 'pass-dispatcher', port: 3104, db: true },
] as const;

export interface DrillPlatform {
  services: DrillService[];
  prefix: string;
  serverUrl: string;
  url(name: string): string;
  db(name: string): Promise<Client>;
  readiness(): Promise<Record<string, boolean>>;
  /** Starts a service again with its environment (after a kill); resolves when it is ready. */
  restart(name: string, timeoutMs?: number): Promise<void>;
  stop(keep: boolean): Promise<void>;
}

/** Starts the claim path's services as processes (the way `npm start` does), on drill-only topics and databases. */
export async function startDrillPlatform(o: {
  brokers: string[];
  serverUrl: string;
  prefix: string;
  suffix: string;
  /** Kafka client settings per principal: each service connects as itself. */
  security?: (principal: KafkaPrincipal) => Partial<KafkaSecurityEnv>;
}): Promise<DrillPlatform> {
  const services: DrillService[] = [];
  const drillDb = (name: string) => `drill_${name.replace(/-/g, '_')}_${o.suffix}`;
  // As in production, each service connects as its own Postgres role, owner of its drill database.
  const dbServices = SERVICES.filter((s) => s.db).map((s) => s.name as PlatformService);
  const roles = await ensureServiceRoles({
    superuserUrl: o.serverUrl,
    databases: Object.fromEntries(dbServices.map((n) => [n, drillDb(n)])),
  });
  for (const s of SERVICES) {
    const database = s.db ? drillDb(s.name) : null;
    if (database) await ensureDatabase(o.serverUrl, database);
    const env: Record<string, string> = {
      KAFKA_BROKERS: o.brokers.join(','),
      KAFKA_TOPIC_PREFIX: o.prefix,
      DATABASE_URL: s.db ? roles.urls[s.name as PlatformService] : o.serverUrl,
      PORT: String(s.port),
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'warn',
      TALK_CHANNEL_URL: 'http://127.0.0.1:3110',
      // a fast channel: the drill is about Kafka, not the channel's rate limit
      SIM_RATE_LIMIT_PER_SECOND: '2000',
      DISPATCH_RATE_PER_SECOND: '1000',
      // the same signing key as the tokens the drill mints (toolBearer)
      ...toolAuthEnv(),
    };
    if (database) env.DB_NAME = database;
    if (o.security && s.name !== 'talk-channel-sim') {
      for (const [k, v] of Object.entries(o.security(s.name))) if (v !== undefined) env[k] = String(v);
    }
    services.push({
      name: s.name,
      port: s.port,
      database,
      env,
      child: logged(s.name, o.prefix, spawnTs(`apps/${s.name}/src/main.ts`, env)),
    });
  }
  const url = (name: string): string => `http://127.0.0.1:${services.find((s) => s.name === name)?.port ?? 0}`;
  const readiness = async (): Promise<Record<string, boolean>> => {
    const out: Record<string, boolean> = {};
    await Promise.all(
      services.map(async (s) => {
        try {
          const r = await fetch(`${url(s.name)}/health/ready`, { signal: AbortSignal.timeout(2000) });
          out[s.name] = r.ok;
        } catch {
          out[s.name] = false;
        }
      }),
    );
    return out;
  };
  for (const s of services) {
    await waitFor(
      `${s.name} ready`,
      async () => {
        if (s.child.exitCode !== null) throw new Error(`${s.name} exited: ${s.child.output.join('').slice(-2000)}`);
        return (await readiness())[s.name];
      },
      180_000,
      500,
    );
  }
  return {
    services,
    prefix: o.prefix,
    serverUrl: o.serverUrl,
    url,
    readiness,
    async restart(name: string, timeoutMs = 180_000) {
      const s = services.find((x) => x.name === name);
      if (!s) throw new Error(`no service ${name}`);
      if (s.child.exitCode === null && s.child.signalCode === null) await stopGracefully(s.child, 20_000);
      s.child = logged(s.name, o.prefix, spawnTs(`apps/${s.name}/src/main.ts`, s.env));
      await waitFor(`${name} ready again`, async () => (await readiness())[name], timeoutMs, 500);
    },
    async db(name: string) {
      const s = services.find((x) => x.name === name);
      if (!s?.database) throw new Error(`${name} has no database`);
      const c = new Client({ connectionString: databaseUrl(o.serverUrl, s.database) });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    async stop(keep: boolean) {
      await Promise.all(services.map((s) => stopGracefully(s.child, 20000)));
      if (!keep) for (const s of services) if (s.database) await dropDrillDatabase(o.serverUrl, s.database).catch(() => undefined);
    },
  };
}

/** Keeps a drill service's output in .local/logs/drill/<prefix><name>.log (appended across restarts), for the post-mortem. */
export function logged<C extends ChildProcess>(name: string, prefix: string, child: C): C {
  fs.mkdirSync(path.join(LOGS_DIR, 'drill'), { recursive: true });
  const out = fs.createWriteStream(path.join(LOGS_DIR, 'drill', `${prefix}${name}.log`), { flags: 'a' });
  child.stdout?.pipe(out, { end: false });
  child.stderr?.pipe(out, { end: false });
  child.once('exit', (code, signal) => out.end(`\n[drill] ${name} exited (${code ?? signal})\n`));
  return child;
}

/** Drops a database this drill created (the name is checked, nothing else can be dropped). */
export async function dropDrillDatabase(serverUrl: string, name: string): Promise<void> {
  if (!/^drill_[a-z0-9_]+$/.test(name)) throw new Error(`refusing to drop ${name}`);
  const admin = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}
