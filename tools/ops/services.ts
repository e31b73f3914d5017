// The deployable services and how to run one locally: a detached `node tools/run.js
// apps/<name>/src/main.ts` with the infra env, a log and a pid file under .local, healthy when
// GET /health/ready answers 200.
import fs from 'node:fs';
import path from 'node:path';
import {
  LOGS_DIR,
  PIDS_DIR,
  ROOT,
  httpOk,
  livePid,
  removeFile,
  spawnDetached,
  stopPid,
  tail,
  auditReaderServerUrl,
  serviceServerUrl,
  infraEnv,
  type InfraState,
} from '@platform/tools-infra';
import { PLATFORM_SERVICES, type PlatformService } from '@platform/contracts';
import { httpCredentialEnv } from './credentials';

export interface ServiceDef {
  name: string;
  port: number;
  /** Extra environment for this service. */
  env?: Record<string, string>;
}

export const TALK_CHANNEL_URL = 'http://127.0.0.1:3010';

export const SERVICES: readonly ServiceDef[] = [
  { name: 'claims', port: 3001 },
  { name: 'emoticons', port: 3002 },
  { name: 'coupons', port: 3003 },
  { name: 'pass-dispatcher', port: 3004, env: { TALK_CHANNEL_URL } },
  { name: 'merchant-relief', port: 3005 },
  { name: 'app-api', port: 3006 },
  { name: 'talk-channel-sim', port: 3010 },
  // reads the others (HTTP APIs, DLQ topics, their databases as audit_reader): started last
  { name: 'ops-console', port: 3007, env: { TALK_CHANNEL_URL } },
];

export const OPS_CONSOLE = 'ops-console';

export const serviceEntry = (s: ServiceDef) => path.join('apps', s.name, 'src', 'main.ts');
export const serviceUrl = (s: ServiceDef) => `http://127.0.0.1:${s.port}`;
export const serviceLog = (s: ServiceDef) => path.join(LOGS_DIR, `${s.name}.log`);
const pidFile = (s: ServiceDef) => path.join(PIDS_DIR, `${s.name}.pid`);

/** An app whose entry point does not exist yet (being written) is "not built", not an error. */
export function isBuilt(s: ServiceDef): boolean {
  return fs.existsSync(path.join(ROOT, serviceEntry(s)));
}

/** The pid of this checkout's running instance (guarded against pid reuse), or null. */
export function servicePid(s: ServiceDef): number | null {
  return livePid(pidFile(s), serviceEntry(s));
}

export function serviceHealthy(s: ServiceDef): Promise<boolean> {
  return httpOk(`${serviceUrl(s)}/health/ready`);
}

export type ServiceState = 'healthy' | 'starting' | 'unhealthy' | 'stopped' | 'not built';

export interface ServiceStatus {
  name: string;
  url: string;
  healthy: boolean;
  state: ServiceState;
  pid: number | null;
  port: number;
  log: string;
}

export async function serviceStatus(s: ServiceDef): Promise<ServiceStatus> {
  const pid = servicePid(s);
  const healthy = await serviceHealthy(s);
  const state: ServiceState = healthy ? 'healthy' : !isBuilt(s) ? 'not built' : pid ? 'unhealthy' : 'stopped';
  return { name: s.name, url: serviceUrl(s), healthy, state, pid, port: s.port, log: path.relative(ROOT, serviceLog(s)) };
}

export function serviceEnv(s: ServiceDef, infra: InfraState): NodeJS.ProcessEnv {
  // the secrets `npm start` generated (.local/credentials/): signing key, phone hash secret
  const env: NodeJS.ProcessEnv = { ...process.env, ...infraEnv(infra), ...httpCredentialEnv(), PORT: String(s.port), ...(s.env ?? {}) };
  // each service connects to Postgres as its own role (created by infra:up), never as the superuser
  if ((PLATFORM_SERVICES as readonly string[]).includes(s.name))
    env.DATABASE_URL = serviceServerUrl(infra.databaseUrl, s.name as PlatformService);
  // the console only reads the services' databases: as audit_reader when infra:up created it
  if (s.name === OPS_CONSOLE) env.DATABASE_URL = auditReaderServerUrl(infra.databaseUrl) ?? infra.databaseUrl;
  return env;
}

/**
 * Starts the service unless it already runs (healthy or still booting) or is not built.
 * Returns the pid, or null when there was nothing to start.
 */
export async function startService(s: ServiceDef, infra: InfraState): Promise<number | null> {
  if (!isBuilt(s)) return null;
  const existing = servicePid(s);
  if (existing) return existing;
  if (await serviceHealthy(s)) return null; // something else already serves this port healthily
  return spawnDetached({
    command: process.execPath,
    args: ['tools/run.js', serviceEntry(s)],
    cwd: ROOT,
    env: serviceEnv(s, infra),
    logFile: serviceLog(s),
    pidFile: pidFile(s),
  });
}

/** SIGTERM (the services drain and close), SIGKILL after `graceMs`. */
export async function stopService(s: ServiceDef, graceMs = 15_000): Promise<boolean> {
  const pid = servicePid(s);
  if (pid) await stopPid(pid, { signal: 'SIGTERM', graceMs });
  removeFile(pidFile(s));
  return pid !== null;
}

export function serviceLogTail(s: ServiceDef, lines = 40): string {
  return tail(serviceLog(s), lines);
}
