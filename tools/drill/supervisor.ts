// A small process supervisor, the local stand-in for what Kubernetes (or systemd) does on a node:
// every process it owns is restarted when it exits, after a backoff that doubles while the process
// keeps crashing soon after its start (0.5 s, 1 s, 2 s, ... up to a cap) and starts over once a run
// lasted long enough. One supervisor per zone: a zone outage halts it (it died with the zone) and
// kills its processes; restoring the zone resumes it, which starts everything again.
import { ChildProcess } from 'node:child_process';

export interface SupervisedProcess {
  /** Unique within the supervisor, e.g. `claims@zone-b`. */
  name: string;
  /** Starts one incarnation; called again for every restart. */
  start: () => ChildProcess;
}

export interface SupervisorOptions {
  /** First restart delay after a crash. */
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** A run at least this long counts as stable: the next crash restarts after the initial delay again. */
  stableAfterMs?: number;
  log?: (line: string) => void;
}

export interface ProcessState {
  name: string;
  pid: number | null;
  running: boolean;
  /** Incarnations started by the supervisor after the first (crash restarts and resumes). */
  restarts: number;
  lastExit: { code: number | null; signal: NodeJS.Signals | null; at: string } | null;
  /** The delay before the next restart (while a restart is pending). */
  nextRestartInMs: number | null;
}

interface Entry {
  spec: SupervisedProcess;
  child: ChildProcess | null;
  startedAt: number;
  restarts: number;
  backoffMs: number;
  timer: NodeJS.Timeout | null;
  nextRestartAt: number | null;
  lastExit: ProcessState['lastExit'];
  /** Resolves when the current incarnation exits. */
  exited: Promise<void>;
}

export class Supervisor {
  private readonly entries = new Map<string, Entry>();
  private halted = false;
  private stopping = false;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly stableAfterMs: number;
  private readonly log: (line: string) => void;

  constructor(
    readonly name: string,
    o: SupervisorOptions = {},
  ) {
    this.initialBackoffMs = o.initialBackoffMs ?? 500;
    this.maxBackoffMs = o.maxBackoffMs ?? 10_000;
    this.stableAfterMs = o.stableAfterMs ?? 30_000;
    this.log = o.log ?? (() => undefined);
    if (this.initialBackoffMs <= 0 || this.maxBackoffMs < this.initialBackoffMs) throw new Error('backoff: 0 < initial <= max');
  }

  /** Adds a process and starts it (unless the supervisor is halted: then it starts on resume). */
  add(spec: SupervisedProcess): void {
    if (this.entries.has(spec.name)) throw new Error(`${this.name}: ${spec.name} is supervised already`);
    const e: Entry = {
      spec,
      child: null,
      startedAt: 0,
      restarts: -1,
      backoffMs: this.initialBackoffMs,
      timer: null,
      nextRestartAt: null,
      lastExit: null,
      exited: Promise.resolve(),
    };
    this.entries.set(spec.name, e);
    if (!this.halted && !this.stopping) this.spawn(e);
  }

  get names(): string[] {
    return [...this.entries.keys()];
  }

  child(name: string): ChildProcess | null {
    return this.entry(name).child;
  }

  state(name: string): ProcessState {
    const e = this.entry(name);
    return {
      name,
      pid: e.child?.pid ?? null,
      running: e.child !== null,
      restarts: Math.max(0, e.restarts),
      lastExit: e.lastExit,
      nextRestartInMs: e.nextRestartAt === null ? null : Math.max(0, e.nextRestartAt - Date.now()),
    };
  }

  states(): ProcessState[] {
    return this.names.map((n) => this.state(n));
  }

  /** Sends a signal to one process (a crash test: SIGKILL, and the supervisor restarts it). */
  signal(name: string, signal: NodeJS.Signals): boolean {
    return this.entry(name).child?.kill(signal) ?? false;
  }

  /**
   * The zone goes dark: no more restarts, every process SIGKILLed at once. Resolves when all have
   * exited.
   */
  async haltAndKill(): Promise<void> {
    this.halted = true;
    for (const e of this.entries.values()) this.cancelRestart(e);
    const exits = [...this.entries.values()].map((e) => e.exited);
    for (const e of this.entries.values()) e.child?.kill('SIGKILL');
    await Promise.all(exits);
  }

  /** The zone is back: starts every process that is not running, with a fresh backoff. */
  resume(): void {
    if (this.stopping) throw new Error(`${this.name} is stopping`);
    this.halted = false;
    for (const e of this.entries.values()) {
      e.backoffMs = this.initialBackoffMs;
      if (!e.child) {
        this.cancelRestart(e);
        this.spawn(e);
      }
    }
  }

  get isHalted(): boolean {
    return this.halted;
  }

  /** Stops everything for good: SIGTERM, SIGKILL after `graceMs`; no restarts. */
  async stop(graceMs = 20_000): Promise<void> {
    this.stopping = true;
    await Promise.all(
      [...this.entries.values()].map(async (e) => {
        this.cancelRestart(e);
        const c = e.child;
        if (!c) return;
        const t = setTimeout(() => c.kill('SIGKILL'), graceMs);
        c.kill('SIGTERM');
        await e.exited;
        clearTimeout(t);
      }),
    );
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new Error(`${this.name}: no process ${name}`);
    return e;
  }

  private cancelRestart(e: Entry): void {
    if (e.timer) clearTimeout(e.timer);
    e.timer = null;
    e.nextRestartAt = null;
  }

  private spawn(e: Entry): void {
    let child: ChildProcess;
    try {
      child = e.spec.start();
    } catch (err) {
      // a start that throws is a crash too: try again after the backoff
      this.log(`${this.name}: ${e.spec.name} did not start: ${err instanceof Error ? err.message : String(err)}`);
      e.lastExit = { code: null, signal: null, at: new Date().toISOString() };
      this.scheduleRestart(e, 0);
      return;
    }
    e.child = child;
    e.startedAt = Date.now();
    e.restarts++;
    e.exited = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        if (e.child === child) e.child = null;
        e.lastExit = { code, signal, at: new Date().toISOString() };
        const ranMs = Date.now() - e.startedAt;
        if (!this.halted && !this.stopping) {
          this.log(`${this.name}: ${e.spec.name} exited (${code ?? signal}) after ${ranMs} ms`);
          this.scheduleRestart(e, ranMs);
        }
        resolve();
      });
    });
  }

  private scheduleRestart(e: Entry, ranMs: number): void {
    if (ranMs >= this.stableAfterMs) e.backoffMs = this.initialBackoffMs;
    const delay = e.backoffMs;
    e.backoffMs = Math.min(this.maxBackoffMs, e.backoffMs * 2);
    e.nextRestartAt = Date.now() + delay;
    this.log(`${this.name}: restarting ${e.spec.name} in ${delay} ms`);
    e.timer = setTimeout(() => {
      e.timer = null;
      e.nextRestartAt = null;
      if (!this.halted && !this.stopping && !e.child) this.spawn(e);
    }, delay);
  }
}
