// Process plumbing shared by the infra and ops tools: detached spawns with pid files, liveness
// checks that guard against recycled pids, graceful-then-forced stops, waits, log tails, a lock.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { LOCKS_DIR } from './paths';

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** True when the pid exists and is not a zombie (a killed child we have not reaped yet). */
export function isAlive(pid: number | null | undefined): pid is number {
  if (!pid || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (e) {
    // EPERM means it exists but belongs to someone else.
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return true; // no procfs: trust kill(0)
  }
}

export function cmdlineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return '';
  }
}

export function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8').trim().split('\n')[0] ?? '', 10);
    return Number.isFinite(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/**
 * The pid recorded in `file` if that process is alive and its command line contains `marker`
 * (so a pid recycled by an unrelated process is never signalled).
 */
export function livePid(file: string, marker: string): number | null {
  const pid = readPidFile(file);
  if (!isAlive(pid)) return null;
  const cmd = cmdlineOf(pid);
  return cmd === '' || cmd.includes(marker) ? pid : null;
}

export interface DetachedSpec {
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  logFile: string;
  pidFile?: string;
  uid?: number;
  gid?: number;
}

/** Starts a process that outlives the caller: own session, output appended to a log file. */
export function spawnDetached(spec: DetachedSpec): number {
  fs.mkdirSync(path.dirname(spec.logFile), { recursive: true });
  const fd = fs.openSync(spec.logFile, 'a');
  try {
    fs.writeSync(fd, `\n----- ${new Date().toISOString()} starting: ${spec.command} ${spec.args.join(' ')}\n`);
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: spec.env ?? process.env,
      detached: true,
      stdio: ['ignore', fd, fd],
      ...(spec.uid !== undefined ? { uid: spec.uid } : {}),
      ...(spec.gid !== undefined ? { gid: spec.gid } : {}),
    });
    if (!child.pid) throw new Error(`failed to spawn ${spec.command}`);
    // Reap it if it dies while we are still running, so isAlive() does not see a zombie.
    child.on('error', () => undefined);
    child.unref();
    if (spec.pidFile) {
      fs.mkdirSync(path.dirname(spec.pidFile), { recursive: true });
      fs.writeFileSync(spec.pidFile, `${child.pid}\n`);
    }
    return child.pid;
  } finally {
    fs.closeSync(fd);
  }
}

export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return true;
    await sleep(100);
  }
  return !isAlive(pid);
}

/** Sends `signal`, waits `graceMs`, then SIGKILLs. Resolves true if it had to force. */
export async function stopPid(pid: number, opts: { signal?: NodeJS.Signals; graceMs?: number } = {}): Promise<boolean> {
  if (!isAlive(pid)) return false;
  try {
    process.kill(pid, opts.signal ?? 'SIGTERM');
  } catch {
    return false;
  }
  if (await waitForExit(pid, opts.graceMs ?? 15_000)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
  await waitForExit(pid, 5_000);
  return true;
}

export function removeFile(file: string): void {
  fs.rmSync(file, { force: true });
}

/** Thrown by a waitFor probe to stop waiting at once (e.g. the process being waited on died). */
export class GiveUp extends Error {}

export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false>,
  opts: { timeoutMs: number; intervalMs?: number; onTimeout?: () => string },
): Promise<T> {
  const deadline = Date.now() + opts.timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if (e instanceof GiveUp) {
        const extra = opts.onTimeout ? `\n${opts.onTimeout()}` : '';
        throw new Error(`${e.message} while waiting for ${what}${extra}`);
      }
      lastError = e;
    }
    if (Date.now() >= deadline) break;
    await sleep(opts.intervalMs ?? 500);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  const extra = opts.onTimeout ? `\n${opts.onTimeout()}` : '';
  throw new Error(`timed out after ${Math.round(opts.timeoutMs / 1000)}s waiting for ${what}${why}${extra}`);
}

export function portOpen(port: number, host = '127.0.0.1', timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function httpOk(url: string, timeoutMs = 2_000): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    await res.arrayBuffer().catch(() => undefined);
    return res.status === 200;
  } catch {
    return false;
  }
}

/** The last `lines` lines of a text file (reads at most the last 64 KiB). */
export function tail(file: string, lines = 40): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const len = Math.min(size, 64 * 1024);
      const buf = Buffer.alloc(len);
      fs.readSync(fd, buf, 0, len, size - len);
      return buf
        .toString('utf8')
        .split('\n')
        .slice(-lines - 1)
        .join('\n')
        .trimEnd();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return `(no log at ${file})`;
  }
}

/**
 * A cross-process lock (a file created with O_EXCL holding the owner's pid). Concurrent
 * `npm test`/`npm start` runs serialize their infra start-up instead of racing on ports and data
 * dirs. A lock whose owner died is taken over.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 10 * 60_000): Promise<T> {
  fs.mkdirSync(LOCKS_DIR, { recursive: true });
  const file = path.join(LOCKS_DIR, `${name}.lock`);
  const deadline = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(file, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readPidFile(file);
      if (owner === process.pid) throw new Error(`lock ${name} is already held by this process`);
      if (!isAlive(owner)) {
        // Stale: only one contender wins the rename-free removal, the others retry the create.
        fs.rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for lock ${file} held by pid ${owner}`);
      if (!announced) {
        console.log(`[infra] waiting for another infra command (pid ${owner}) to finish`);
        announced = true;
      }
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    if (readPidFile(file) === process.pid) fs.rmSync(file, { force: true });
  }
}
