// Runs the platform's services as child processes (the way `npm start` runs them) against a topic
// prefix and databases of the caller's choosing, for the end-to-end test and the benchmark. Apps
// are started through their own entry points (apps/<name>/src/main.ts), never imported: tools may
// not depend on apps.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { spawnTs, stopGracefully } from '@platform/testing';
import type { KafkaPrincipal } from '@platform/contracts';
import { localClusterSecurity } from '@platform/tools-infra';
import { toolAuthEnv } from '@platform/tools-ops';

export const SERVICE_NAMES = [
  'claims',
  'emoticons',
  'coupons',
  'pass-dispatcher',
  'merchant-relief',
  'app-api',
  'talk-channel-sim',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

const ROOT = path.resolve(__dirname, '../..');

export const entryOf = (s: ServiceName): string => path.join('apps', s, 'src', 'main.ts');
export const isBuilt = (s: ServiceName): boolean => fs.existsSync(path.join(ROOT, entryOf(s)));

export interface RunningService {
  name: ServiceName;
  port: number;
  url: string;
  child: ChildProcess & { output: string[] };
  pid: number;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

export async function healthy(url: string): Promise<boolean> {
  try {
    const r = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

export interface StackOptions {
  services: readonly ServiceName[];
  brokers: string[];
  databaseUrl: string;
  prefix: string;
  /** Database name per service (DB_NAME); default: the service's own default. */
  databases?: Partial<Record<ServiceName, string>>;
  /** Extra environment for every service, and per service. */
  env?: Record<string, string>;
  serviceEnv?: Partial<Record<ServiceName, Record<string, string>>>;
  /** Consumer group suffix for services that allow choosing their group (pass-dispatcher). */
  groupSuffix?: string;
  startTimeoutMs?: number;
}

export class Stack {
  constructor(readonly services: RunningService[]) {}

  get(name: ServiceName): RunningService | undefined {
    return this.services.find((s) => s.name === name);
  }

  url(name: ServiceName): string {
    const s = this.get(name);
    if (!s) throw new Error(`${name} is not running in this stack`);
    return s.url;
  }

  /** Last output lines of a service, for failure messages. */
  tail(name: ServiceName, lines = 30): string {
    return (this.get(name)?.child.output.join('') ?? '').split('\n').slice(-lines).join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.services.map((s) => stopGracefully(s.child, 20_000)));
  }
}

/**
 * Starts the services in dependency order (the channel simulator first, so the dispatcher finds
 * it) and waits until each answers GET /health/ready. Services not built yet are skipped: check
 * `stack.services` for what runs.
 */
export async function startStack(o: StackOptions): Promise<Stack> {
  const wanted = SERVICE_NAMES.filter((s) => o.services.includes(s) && isBuilt(s));
  const ports = new Map<ServiceName, number>();
  for (const s of wanted) ports.set(s, await freePort());
  const running: RunningService[] = [];
  const url = (s: ServiceName) => `http://127.0.0.1:${ports.get(s)}`;
  const start = (s: ServiceName): RunningService => {
    const env: Record<string, string> = {
      KAFKA_BROKERS: o.brokers.join(','),
      KAFKA_TOPIC_PREFIX: o.prefix,
      DATABASE_URL: o.databaseUrl,
      PORT: String(ports.get(s)),
      OTEL_SDK_DISABLED: 'true',
      LOG_LEVEL: 'warn',
      // the same signing key as the tokens this process mints (toolBearer)
      ...toolAuthEnv(),
      // on the secured cluster each service is its own Kafka principal
      ...(s === 'talk-channel-sim' ? {} : localClusterSecurity(o.brokers, s as KafkaPrincipal)),
      ...(o.databases?.[s] ? { DB_NAME: o.databases[s] as string } : {}),
      ...(s === 'pass-dispatcher' && ports.has('talk-channel-sim') ? { TALK_CHANNEL_URL: url('talk-channel-sim') } : {}),
      ...(s === 'pass-dispatcher' && o.groupSuffix ? { CONSUMER_GROUP: `pass-dispatcher-${o.groupSuffix}` } : {}),
      ...(o.env ?? {}),
      ...(o.serviceEnv?.[s] ?? {}),
    };
    const child = spawnTs(entryOf(s), env);
    const r: RunningService = { name: s, port: ports.get(s) as number, url: url(s), child, pid: child.pid ?? -1 };
    running.push(r);
    return r;
  };
  const stack = new Stack(running);
  const deadline = Date.now() + (o.startTimeoutMs ?? 180_000);
  const waitHealthy = async (r: RunningService): Promise<void> => {
    while (!(await healthy(r.url))) {
      if (r.child.exitCode !== null || r.child.signalCode !== null)
        throw new Error(`${r.name} exited during start-up:\n${stack.tail(r.name)}`);
      if (Date.now() > deadline) throw new Error(`${r.name} not healthy in time:\n${stack.tail(r.name)}`);
      await new Promise((res) => setTimeout(res, 500));
    }
  };
  try {
    if (wanted.includes('talk-channel-sim')) await waitHealthy(start('talk-channel-sim'));
    // The rest boot in parallel: on 2 cores each takes ~10-20 s, mostly TypeScript compilation.
    await Promise.all(wanted.filter((s) => s !== 'talk-channel-sim').map((s) => waitHealthy(start(s))));
  } catch (e) {
    await stack.stop();
    throw e;
  }
  return stack;
}

/** Resident memory of a process in MiB (VmRSS from /proc/<pid>/status), or null when gone. */
export function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : null;
  } catch {
    return null;
  }
}
