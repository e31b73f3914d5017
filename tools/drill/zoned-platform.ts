// The claim path as three zones on one machine: broker N of the secured 3-broker cluster is zone N
// (broker.rack), and every service runs one replica per zone (ZONE, INSTANCE_ID, its own port),
// each zone under its own supervisor that restarts a crashed replica with backoff. Replicas of a
// service share its database and consumer group (partitions are split between them); the pass
// dispatcher's replicas elect one sender per campaign by advisory lock. The channel simulator
// stands for Kakao's external API: one instance, outside the zones.
import { ChildProcess } from 'node:child_process';
import { Client } from 'pg';
import type { KafkaSecurityEnv } from '@platform/config';
import type { KafkaPrincipal, PlatformService } from '@platform/contracts';
import { databaseUrl, ensureDatabase } from '@platform/persistence';
import { spawnTs, waitFor } from '@platform/testing';
import { killBroker, startBroker, portOpen, ensureServiceRoles, Zone, ZONES, zoneBroker } from '@platform/tools-infra';
import { toolAuthEnv } from '@platform/tools-ops';
import { dropDrillDatabase, logged } from './platform';
import { Supervisor } from './supervisor';

export const ZONED_SERVICES = ['claims', 'emoticons', 'coupons', 'pass-dispatcher'] as const;
export type ZonedService = (typeof ZONED_SERVICES)[number];

/** Ports below the ephemeral range: zone a 3121.., b 3131.., c 3141..; the channel 3120. */
const CHANNEL_PORT = 3120;
const portOf = (service: ZonedService, zone: Zone): number => 3121 + ZONES.indexOf(zone) * 10 + ZONED_SERVICES.indexOf(service);
// 12 replicas share one Postgres (max_connections 100 by default) with the drill, the audit and
// whoever else uses the machine: small pools, the hot path a little larger.
const POOL: Record<ZonedService, number> = { claims: 5, emoticons: 4, coupons: 4, 'pass-dispatcher': 4 };

export interface Replica {
  service: ZonedService;
  zone: Zone;
  /** `claims@zone-b` */
  name: string;
  port: number;
  url: string;
  env: Record<string, string>;
}

export interface ZonedPlatform {
  zones: readonly Zone[];
  replicas: Replica[];
  supervisors: Map<Zone, Supervisor>;
  channelUrl: string;
  prefix: string;
  serverUrl: string;
  databases: Record<ZonedService, string>;
  /** A replica's base URL (default: the first zone's). */
  url(service: ZonedService, zone?: Zone): string;
  db(service: ZonedService): Promise<Client>;
  /** `/health/ready` of every replica (and the channel), by name. */
  readiness(): Promise<Record<string, boolean>>;
  /** The whole zone at once: its broker and every replica, kill -9; its supervisor halts with it. */
  zoneDown(zone: Zone): Promise<{ killedAt: number }>;
  /** Power back: the broker starts (resolves once it rejoined) and the supervisor starts the replicas. */
  zoneUp(zone: Zone): Promise<{ brokerBackAt: number }>;
  stop(keep: boolean): Promise<void>;
}

export async function startZonedPlatform(o: {
  brokers: string[];
  serverUrl: string;
  prefix: string;
  suffix: string;
  security: (principal: KafkaPrincipal) => Partial<KafkaSecurityEnv>;
  /** Extra environment per service (e.g. the dispatch rate). */
  env?: Partial<Record<ZonedService, Record<string, string>>>;
  log: (line: string) => void;
}): Promise<ZonedPlatform> {
  const ports = [CHANNEL_PORT, ...ZONES.flatMap((z) => ZONED_SERVICES.map((s) => portOf(s, z)))];
  const taken = (await Promise.all(ports.map(async (p) => ((await portOpen(p)) ? p : null)))).filter((p) => p !== null);
  if (taken.length > 0)
    throw new Error(`ports ${taken.join(', ')} are in use (another drill still running? see: ss -ltnp | grep -E ':31[2-4][0-9]')`);
  const databases = Object.fromEntries(ZONED_SERVICES.map((s) => [s, `drill_${s.replace(/-/g, '_')}_${o.suffix}`])) as Record<
    ZonedService,
    string
  >;
  const roles = await ensureServiceRoles({ superuserUrl: o.serverUrl, databases: databases as Record<PlatformService, string> });
  for (const db of Object.values(databases)) await ensureDatabase(o.serverUrl, db);

  const common = (): Record<string, string> => ({
    KAFKA_BROKERS: o.brokers.join(','),
    KAFKA_TOPIC_PREFIX: o.prefix,
    OTEL_SDK_DISABLED: 'true',
    LOG_LEVEL: 'warn',
    ...toolAuthEnv(),
  });
  const channelEnv = { ...common(), DATABASE_URL: o.serverUrl, PORT: String(CHANNEL_PORT), SIM_RATE_LIMIT_PER_SECOND: '2000' };
  const external = new Supervisor('external', { log: o.log });
  external.add({
    name: 'talk-channel-sim',
    start: () => logged('talk-channel-sim', o.prefix, spawnTs('apps/talk-channel-sim/src/main.ts', channelEnv)),
  });

  const replicas: Replica[] = [];
  const supervisors = new Map<Zone, Supervisor>();
  for (const zone of ZONES) {
    const sup = new Supervisor(zone, { log: o.log });
    supervisors.set(zone, sup);
    for (const service of ZONED_SERVICES) {
      const port = portOf(service, zone);
      const env: Record<string, string> = {
        ...common(),
        DATABASE_URL: roles.urls[service],
        DB_NAME: databases[service],
        DB_POOL_SIZE: String(POOL[service]),
        PORT: String(port),
        ZONE: zone,
        INSTANCE_ID: `${service}-${zone}`,
        TALK_CHANNEL_URL: `http://127.0.0.1:${CHANNEL_PORT}`,
        ...Object.fromEntries(
          Object.entries(o.security(service))
            .filter(([, v]) => v !== undefined)
            .map(([k, v]) => [k, String(v)]),
        ),
        ...(o.env?.[service] ?? {}),
      };
      const name = `${service}@${zone}`;
      replicas.push({ service, zone, name, port, url: `http://127.0.0.1:${port}`, env });
    }
  }

  const ready = async (url: string): Promise<boolean> => {
    try {
      return (await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) })).ok;
    } catch {
      return false;
    }
  };
  const readiness = async (): Promise<Record<string, boolean>> => {
    const out: Record<string, boolean> = {};
    await Promise.all([
      ...replicas.map(async (r) => void (out[r.name] = await ready(r.url))),
      (async () => void (out['talk-channel-sim'] = await ready(`http://127.0.0.1:${CHANNEL_PORT}`)))(),
    ]);
    return out;
  };
  const url = (service: ZonedService, zone: Zone = ZONES[0]): string => `http://127.0.0.1:${portOf(service, zone)}`;

  const stop = async (keep: boolean): Promise<void> => {
    await Promise.all([...supervisors.values(), external].map((s) => s.stop(20_000)));
    if (!keep) for (const db of Object.values(databases)) await dropDrillDatabase(o.serverUrl, db).catch(() => undefined);
  };
  try {
    // Zone after zone: 12 Node processes compiling at once on a shared 2-core machine starve each
    // other (and their Kafka sessions) for minutes; four at a time come up far sooner.
    for (const zone of ZONES) {
      const sup = supervisors.get(zone) as Supervisor;
      const mine = replicas.filter((r) => r.zone === zone);
      for (const r of mine)
        sup.add({ name: r.name, start: (): ChildProcess => logged(r.name, o.prefix, spawnTs(`apps/${r.service}/src/main.ts`, r.env)) });
      await waitFor(
        `every replica of ${zone} ready`,
        async () => {
          const ok = await Promise.all(mine.map((r) => ready(r.url)));
          return ok.every(Boolean);
        },
        600_000,
        1000,
      );
      o.log(`${zone}: ${mine.map((r) => r.name).join(', ')} ready`);
    }
    await waitFor('the channel simulator ready', async () => ready(`http://127.0.0.1:${CHANNEL_PORT}`), 120_000, 1000);
  } catch (e) {
    await stop(false);
    throw e;
  }

  return {
    zones: ZONES,
    replicas,
    supervisors,
    channelUrl: `http://127.0.0.1:${CHANNEL_PORT}`,
    prefix: o.prefix,
    serverUrl: o.serverUrl,
    databases,
    url,
    readiness,
    async db(service) {
      const c = new Client({ connectionString: databaseUrl(o.serverUrl, databases[service]) });
      c.on('error', () => undefined);
      await c.connect();
      return c;
    },
    async zoneDown(zone) {
      const sup = supervisors.get(zone) as Supervisor;
      const killedAt = Date.now();
      await Promise.all([killBroker(zoneBroker(zone)), sup.haltAndKill()]);
      return { killedAt };
    },
    async zoneUp(zone) {
      const sup = supervisors.get(zone) as Supervisor;
      // As after a power cut: the machines boot together; the services retry Kafka until it is up.
      sup.resume();
      await startBroker(zoneBroker(zone));
      return { brokerBackAt: Date.now() };
    },
    stop,
  };
}
