// Zipkin server (in-memory storage) for local trace viewing: the exec jar from Maven Central, run
// detached on 127.0.0.1:9411. Services export spans to ZIPKIN_URL (/api/v2/spans).
import path from 'node:path';
import { ensureMavenJar } from './maven';
import { LOGS_DIR, PIDS_DIR, ROOT, ZIPKIN_DEPLOY_DIR, rel } from './paths';
import { GiveUp, httpOk, isAlive, livePid, removeFile, spawnDetached, stopPid, tail, waitFor } from './processes';

export const ZIPKIN_VERSION = '3.5.1';
export const ZIPKIN_JAR = path.join(ZIPKIN_DEPLOY_DIR, `zipkin-server-${ZIPKIN_VERSION}-exec.jar`);
const PID_FILE = path.join(PIDS_DIR, 'zipkin.pid');
const LOG_FILE = path.join(LOGS_DIR, 'zipkin.log');

export function zipkinPort(): number {
  return Number.parseInt(process.env.ZIPKIN_PORT ?? '9411', 10);
}
export const zipkinBaseUrl = () => `http://127.0.0.1:${zipkinPort()}`;
/** What services get as ZIPKIN_URL. */
export const zipkinSpansUrl = () => `${zipkinBaseUrl()}/api/v2/spans`;
export const zipkinUiUrl = () => `${zipkinBaseUrl()}/zipkin/`;

export function zipkinPid(): number | null {
  return livePid(PID_FILE, ZIPKIN_JAR);
}

export function zipkinHealthy(): Promise<boolean> {
  return httpOk(`${zipkinBaseUrl()}/health`);
}

export async function ensureZipkinJar(): Promise<void> {
  await ensureMavenJar(path.join(ZIPKIN_DEPLOY_DIR, 'pom.xml'), ZIPKIN_JAR);
}

export async function startZipkin(opts: { timeoutMs?: number } = {}): Promise<{ url: string; started: boolean }> {
  if (await zipkinHealthy()) return { url: zipkinSpansUrl(), started: false };
  let pid = zipkinPid();
  const spawned = !pid;
  if (!pid) {
    await ensureZipkinJar();
    pid = spawnDetached({
      command: process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java',
      // Armeria serves Zipkin; bind it to loopback only.
      args: [
        '-Xmx256m',
        '-XX:+ExitOnOutOfMemoryError',
        '-jar',
        ZIPKIN_JAR,
        `--armeria.ports[0].ip=127.0.0.1`,
        `--armeria.ports[0].port=${zipkinPort()}`,
        '--armeria.ports[0].protocols[0]=http',
      ],
      cwd: ROOT,
      logFile: LOG_FILE,
      pidFile: PID_FILE,
    });
  }
  const watched = pid;
  await waitFor(
    `Zipkin on ${zipkinBaseUrl()}`,
    async () => {
      if (!isAlive(watched)) throw new GiveUp('Zipkin exited');
      return zipkinHealthy();
    },
    { timeoutMs: opts.timeoutMs ?? 90_000, onTimeout: () => `--- ${rel(LOG_FILE)} (tail)\n${tail(LOG_FILE, 30)}` },
  );
  return { url: zipkinSpansUrl(), started: spawned };
}

export async function stopZipkin(): Promise<boolean> {
  const pid = zipkinPid();
  if (pid) await stopPid(pid, { signal: 'SIGTERM', graceMs: 15_000 });
  removeFile(PID_FILE);
  return pid !== null;
}
