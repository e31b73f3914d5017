// The services a benchmark measures: those `npm start` runs (reused when healthy, else started
// through tools/ops and stopped again afterwards), or, with --isolated, a private stack on its own
// topic prefix and test databases (tools/loadgen/stack.ts).
import { createTestTopics, deleteTestTopics, uniqueSuffix } from '@platform/testing';
import { dropDatabase, ensureDatabase } from '@platform/persistence';
import { readInfraState } from '@platform/tools-infra';
import { isBuilt, serviceHealthy, servicePid, SERVICES, serviceUrl, startService, stopService, type ServiceDef } from '@platform/tools-ops';
import { rssMiB, SERVICE_NAMES, startStack, type ServiceName } from '@platform/tools-loadgen';

export interface BenchService {
  name: string;
  url: string;
  pid: number | null;
  /** reused: was running; started: started by this benchmark (stopped at the end). */
  origin: 'reused' | 'started' | 'isolated';
}

export interface BenchServices {
  mode: 'local' | 'isolated';
  prefix: string;
  claimsUrl: string;
  services: BenchService[];
  missing: string[];
  release(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitHealthy(s: ServiceDef, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await serviceHealthy(s))) {
    if (Date.now() > deadline) throw new Error(`${s.name} did not become healthy (see .local/logs/${s.name}.log)`);
    await sleep(500);
  }
}

/** The `npm start` services: reuse the healthy ones, start the others through tools/ops. */
export async function localServices(timeoutMs = 180_000): Promise<BenchServices> {
  const infra = readInfraState();
  if (!infra) throw new Error('no infrastructure state (.local/infra.json): run `npm run infra:up` or `npm start` first, or use --isolated');
  const services: BenchService[] = [];
  const started: ServiceDef[] = [];
  const missing: string[] = [];
  for (const s of SERVICES) {
    if (!isBuilt(s)) {
      missing.push(s.name);
      continue;
    }
    if (await serviceHealthy(s)) {
      services.push({ name: s.name, url: serviceUrl(s), pid: servicePid(s), origin: 'reused' });
      continue;
    }
    await startService(s, infra);
    started.push(s);
  }
  try {
    for (const s of started) {
      await waitHealthy(s, timeoutMs);
      services.push({ name: s.name, url: serviceUrl(s), pid: servicePid(s), origin: 'started' });
    }
  } catch (e) {
    for (const s of started) await stopService(s);
    throw e;
  }
  const claims = SERVICES.find((s) => s.name === 'claims');
  return {
    mode: 'local',
    prefix: process.env.KAFKA_TOPIC_PREFIX ?? '',
    claimsUrl: claims ? serviceUrl(claims) : 'http://127.0.0.1:3001',
    services,
    missing,
    release: async () => {
      for (const s of started) await stopService(s);
    },
  };
}

/** A private stack: fresh topics under a prefix, fresh test databases, dropped afterwards. */
export async function isolatedServices(brokers: string[], databaseUrl: string, serviceEnv: Partial<Record<ServiceName, Record<string, string>>> = {}): Promise<BenchServices> {
  const sfx = uniqueSuffix();
  const prefix = await createTestTopics('bench', brokers);
  const databases: Partial<Record<ServiceName, string>> = {};
  for (const s of SERVICE_NAMES) if (s !== 'talk-channel-sim') databases[s] = `test_bench_${s.replace(/-/g, '_')}_${sfx}`;
  for (const d of Object.values(databases)) if (d) await ensureDatabase(databaseUrl, d);
  const cleanup = async () => {
    for (const d of Object.values(databases)) if (d) await dropDatabase(databaseUrl, d).catch(() => undefined);
    await deleteTestTopics(prefix, brokers).catch(() => undefined);
  };
  let stack;
  try {
    stack = await startStack({ services: SERVICE_NAMES, brokers, databaseUrl, prefix, databases, groupSuffix: sfx, serviceEnv });
  } catch (e) {
    await cleanup();
    throw e;
  }
  const running = stack;
  return {
    mode: 'isolated',
    prefix,
    claimsUrl: stack.url('claims'),
    services: stack.services.map((s) => ({ name: s.name, url: s.url, pid: s.pid, origin: 'isolated' })),
    missing: SERVICE_NAMES.filter((s) => !stack.get(s)),
    release: async () => {
      await running.stop();
      await cleanup();
    },
  };
}

export interface RssStats {
  samples: number;
  minMiB: number;
  maxMiB: number;
  meanMiB: number;
}

/** Samples VmRSS of each service process every `everyMs` until stopped. */
export class RssSampler {
  private readonly values = new Map<string, number[]>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly services: BenchService[]) {}

  sampleOnce(): void {
    for (const s of this.services) {
      if (s.pid === null) continue;
      const v = rssMiB(s.pid);
      if (v === null) continue;
      const xs = this.values.get(s.name) ?? [];
      xs.push(v);
      this.values.set(s.name, xs);
    }
  }

  start(everyMs = 2000): void {
    this.sampleOnce();
    this.timer = setInterval(() => this.sampleOnce(), everyMs);
    this.timer.unref();
  }

  stop(): Record<string, RssStats> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const out: Record<string, RssStats> = {};
    for (const [name, xs] of this.values) {
      out[name] = {
        samples: xs.length,
        minMiB: Math.min(...xs),
        maxMiB: Math.max(...xs),
        meanMiB: Math.round((xs.reduce((a, b) => a + b, 0) / xs.length) * 10) / 10,
      };
    }
    return out;
  }
}
