// CPU time of the platform's processes from /proc: the services, the Kafka broker JVM(s) the bench
// talks to and every process of the Postgres server. Sampled before and after a phase, the
// difference divided by the claims decided in it is the platform's CPU cost per claim.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { Client } from 'pg';

/** The CPU fields of /proc/<pid>/stat, in clock ticks. */
export interface ProcTimes {
  pid: number;
  comm: string;
  ppid: number;
  utime: number;
  stime: number;
  /** Time of children this process has waited for (exited backends count here). */
  cutime: number;
  cstime: number;
}

/**
 * Parses one /proc/<pid>/stat line. The command name is in parentheses and may itself contain
 * spaces and parentheses, so the fields are counted from the last ')'.
 */
export function parseProcStat(text: string): ProcTimes {
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open) throw new Error(`not a /proc stat line: ${text.slice(0, 80)}`);
  // a[0] is field 3 (state) of proc(5): ppid is field 4, utime..cstime fields 14-17.
  const a = text
    .slice(close + 2)
    .trim()
    .split(/\s+/);
  const num = (i: number) => Number(a[i] ?? Number.NaN);
  const t: ProcTimes = { pid: Number(text.slice(0, open).trim()), comm: text.slice(open + 1, close), ppid: num(1), utime: num(11), stime: num(12), cutime: num(13), cstime: num(14) };
  if ([t.pid, t.ppid, t.utime, t.stime, t.cutime, t.cstime].some((x) => !Number.isFinite(x))) throw new Error(`unexpected /proc stat line: ${text.slice(0, 120)}`);
  return t;
}

/** Every process visible in /proc now. */
export function readProcs(): Map<number, ProcTimes> {
  const out = new Map<number, ProcTimes>();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const t = parseProcStat(fs.readFileSync(`/proc/${d}/stat`, 'utf8'));
      out.set(t.pid, t);
    } catch {
      // exited while we looked
    }
  }
  return out;
}

/** `root` and its live descendants. */
export function processTree(root: number, procs: ReadonlyMap<number, ProcTimes>): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs.values()) children.set(p.ppid, [...(children.get(p.ppid) ?? []), p.pid]);
  const out: number[] = [];
  const todo = procs.has(root) ? [root] : [];
  while (todo.length) {
    const pid = todo.pop() as number;
    out.push(pid);
    todo.push(...(children.get(pid) ?? []));
  }
  return out;
}

/**
 * Ticks spent by a group of process trees: each live process's own time plus the time of its
 * children that exited and were reaped (so a Postgres backend that ends between two samples is
 * still counted, in the postmaster's cutime/cstime).
 */
export function treeTicks(roots: readonly number[], procs: ReadonlyMap<number, ProcTimes>): { ticks: number; pids: number } {
  const seen = new Set<number>();
  for (const r of roots) for (const pid of processTree(r, procs)) seen.add(pid);
  let ticks = 0;
  for (const pid of seen) {
    const p = procs.get(pid);
    if (p) ticks += p.utime + p.stime + p.cutime + p.cstime;
  }
  return { ticks, pids: seen.size };
}

export interface CpuGroup {
  /** A service name, `kafka` or `postgres`. */
  name: string;
  kind: 'service' | 'kafka' | 'postgres';
  roots: number[];
}

export interface CpuSample {
  atMs: number;
  ticks: Record<string, number>;
  pids: Record<string, number>;
}

export function sampleCpu(groups: readonly CpuGroup[], procs: ReadonlyMap<number, ProcTimes> = readProcs(), atMs = Date.now()): CpuSample {
  const s: CpuSample = { atMs, ticks: {}, pids: {} };
  for (const g of groups) {
    const t = treeTicks(g.roots, procs);
    s.ticks[g.name] = t.ticks;
    s.pids[g.name] = t.pids;
  }
  return s;
}

export interface CpuReport {
  clockTicksPerSecond: number;
  wallSeconds: number;
  /** CPU seconds per group (service name, kafka, postgres) over the phase. */
  cpuSeconds: Record<string, number>;
  byKind: { services: number; kafka: number; postgres: number };
  totalCpuSeconds: number;
  decidedClaims: number;
  /** Summed over every process of the platform: services, Kafka, Postgres. */
  cpuSecondsPerDecidedClaim: number | null;
  /** The same in milliseconds, easier to read. */
  cpuMsPerDecidedClaim: number | null;
  /** Mean cores busy over the phase. */
  coresBusy: number;
  groups: { name: string; kind: CpuGroup['kind']; roots: number[]; processesAtEnd: number }[];
  /** The load generator (this process): not the platform's, shown for scale. */
  benchProcessCpuSeconds: number;
}

/** The difference of two samples. A group missing from `before` (or a process that restarted) counts from 0. */
export function cpuBetween(groups: readonly CpuGroup[], before: CpuSample, after: CpuSample, clockTicksPerSecond: number, decidedClaims: number, benchProcessCpuSeconds = 0): CpuReport {
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  const cpuSeconds: Record<string, number> = {};
  const byKind = { services: 0, kafka: 0, postgres: 0 };
  for (const g of groups) {
    const d = (after.ticks[g.name] ?? 0) - (before.ticks[g.name] ?? 0);
    // A process that was replaced between the samples (restart): its new ticks are a lower bound.
    const secs = (d >= 0 ? d : (after.ticks[g.name] ?? 0)) / clockTicksPerSecond;
    cpuSeconds[g.name] = r3(secs);
    byKind[g.kind === 'service' ? 'services' : g.kind] += secs;
  }
  const total = byKind.services + byKind.kafka + byKind.postgres;
  const wall = Math.max(0.001, (after.atMs - before.atMs) / 1000);
  const per = decidedClaims > 0 ? total / decidedClaims : null;
  return {
    clockTicksPerSecond,
    wallSeconds: r3(wall),
    cpuSeconds,
    byKind: { services: r3(byKind.services), kafka: r3(byKind.kafka), postgres: r3(byKind.postgres) },
    totalCpuSeconds: r3(total),
    decidedClaims,
    cpuSecondsPerDecidedClaim: per === null ? null : Number(per.toPrecision(4)),
    cpuMsPerDecidedClaim: per === null ? null : Math.round(per * 1e6) / 1000,
    coresBusy: Math.round((total / wall) * 100) / 100,
    groups: groups.map((g) => ({ name: g.name, kind: g.kind, roots: g.roots, processesAtEnd: after.pids[g.name] ?? 0 })),
    benchProcessCpuSeconds: r3(benchProcessCpuSeconds),
  };
}

/** `getconf CLK_TCK` (100 on every Linux we run on, but asked rather than assumed). */
export function clockTicksPerSecond(): number {
  const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(r.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

/** Ports a broker listens on, from `listeners=` of its server.properties. */
export function listenerPorts(properties: string): number[] {
  const line = properties.split('\n').find((l) => /^\s*listeners\s*=/.test(l));
  if (!line) return [];
  return [...line.matchAll(/:(\d+)(?=,|\s|$)/g)].map((m) => Number(m[1]));
}

/**
 * The Kafka broker JVMs (main class kafka.Kafka) serving one of `brokers`: the broker's
 * server.properties (its last argument) names the listener ports. A JVM whose properties cannot
 * be read is included when no broker matched otherwise.
 */
export function kafkaBrokerPids(brokers: readonly string[], procs: ReadonlyMap<number, ProcTimes> = readProcs()): number[] {
  const wanted = new Set(brokers.map((b) => Number(b.slice(b.lastIndexOf(':') + 1))));
  const matched: number[] = [];
  const unknown: number[] = [];
  for (const p of procs.values()) {
    if (p.comm !== 'java') continue;
    let args: string[];
    try {
      args = fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').split('\0');
    } catch {
      continue;
    }
    const main = args.indexOf('kafka.Kafka');
    if (main < 0) continue;
    const props = args.slice(main + 1).find((a) => a.endsWith('.properties'));
    let ports: number[] | null = null;
    try {
      ports = props ? listenerPorts(fs.readFileSync(props, 'utf8')) : null;
    } catch {
      ports = null;
    }
    if (ports === null) unknown.push(p.pid);
    else if (ports.some((x) => wanted.has(x))) matched.push(p.pid);
  }
  return matched.length ? matched : unknown;
}

/** The postmaster of the server at `databaseUrl`: the parent of our own backend. */
export async function postmasterPid(databaseUrl: string, procs: ReadonlyMap<number, ProcTimes> = readProcs()): Promise<number | null> {
  const c = new Client({ connectionString: databaseUrl });
  try {
    await c.connect();
    const backend = Number(((await c.query('SELECT pg_backend_pid() AS pid')).rows[0] as { pid: number }).pid);
    const b = procs.get(backend) ?? readProcs().get(backend);
    return b ? b.ppid : null;
  } catch {
    return null;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Every process of the platform: each service, the brokers in use, the whole Postgres server. */
export async function platformGroups(services: readonly { name: string; pid: number | null }[], brokers: readonly string[], databaseUrl: string): Promise<{ groups: CpuGroup[]; notes: string[] }> {
  const procs = readProcs();
  const notes: string[] = [];
  const groups: CpuGroup[] = services.filter((s) => s.pid !== null).map((s) => ({ name: s.name, kind: 'service', roots: [s.pid as number] }));
  const kafka = kafkaBrokerPids(brokers, procs);
  if (kafka.length) groups.push({ name: 'kafka', kind: 'kafka', roots: kafka });
  else notes.push('no local Kafka broker JVM found: Kafka CPU not counted');
  const pm = await postmasterPid(databaseUrl, procs);
  if (pm !== null) groups.push({ name: 'postgres', kind: 'postgres', roots: [pm] });
  else notes.push('Postgres postmaster not found in /proc: Postgres CPU not counted');
  return { groups, notes };
}
