import { Logger } from '@nestjs/common';
import type { Admin, Kafka } from 'kafkajs';
import { consumerGroupId, Topics } from '@platform/contracts';
import type { TopicNamer } from './topic-namer';

/**
 * Service priorities (issue 17): when claims pile up, the services that can wait (coupons, pass
 * dispatch, merchant relief) stop taking new work so the CPU and database go to claim decisions
 * and emoticon grants. Nothing is lost: a shed consumer simply does not fetch its next chunk, its
 * offsets stay where they are, and it picks up where it stopped when shedding ends.
 */
export type SheddingMode = 'auto' | 'on' | 'off';

export interface SheddingPolicy {
  /** `auto`: shed while the claims consumer lag is over `lagAbove`; `on`/`off`: ops decided. */
  mode: SheddingMode;
  /** Start shedding when the claims service is this many claim requests behind. */
  lagAbove: number;
  /** Stop when it is back under this (hysteresis: no flapping around one threshold). */
  resumeBelow: number;
  /**
   * Shed at most this long in one go, then run for at least half of it: shed work must still make
   * its own deadlines (pass delay notices, coupon expiry) however long an overload lasts.
   */
  maxShedMs: number;
  /** How often the claims lag is measured. */
  checkMs: number;
}

export interface ShedState {
  active: boolean;
  /** Why it is shedding (or why it stopped), for health and the ops switch. */
  reason: string;
  /** When the current shed period began (ms since epoch), null while running. */
  since: number | null;
  /** Auto shedding may not start again before this (after a period hit maxShedMs). */
  cooldownUntil: number;
}

const ON = 'shedding on (ops)';

export const RUNNING: ShedState = { active: false, reason: 'not shedding', since: null, cooldownUntil: 0 };

/**
 * The shedding decision, free of I/O. `lag` is the claims consumer lag, or null when it could not
 * be measured (then an active period keeps going until its bound, an idle one does not start).
 */
export function nextShedState(s: ShedState, mode: SheddingMode, lag: number | null, now: number, p: SheddingPolicy): ShedState {
  if (mode === 'off') return s.active || s.reason !== 'shedding off' ? { ...RUNNING, reason: 'shedding off' } : s;
  // ops on: shedding whatever the lag (a period already running keeps its start)
  if (mode === 'on')
    return s.active && s.reason === ON ? s : { active: true, reason: ON, since: s.active ? s.since : now, cooldownUntil: 0 };
  if (s.active) {
    if (s.since !== null && now - s.since >= p.maxShedMs)
      return {
        active: false,
        reason: `shed for ${Math.round(p.maxShedMs / 1000)} s: running again`,
        since: null,
        cooldownUntil: now + p.maxShedMs / 2,
      };
    if (lag !== null && lag < p.resumeBelow)
      return { active: false, reason: `claims lag ${lag} < ${p.resumeBelow}`, since: null, cooldownUntil: 0 };
    return s;
  }
  if (lag !== null && lag > p.lagAbove && now >= s.cooldownUntil)
    return { active: true, reason: `claims lag ${lag} > ${p.lagAbove}`, since: now, cooldownUntil: 0 };
  return s;
}

/**
 * Holds a sheddable service's consumers (and its own timers that ask) while shedding is active.
 * The claims lag is read from Kafka like an operator would: the claims group's committed offsets on
 * the claim-requested topic against its high watermarks (the ACLs allow sheddable services to
 * describe exactly that group and topic).
 */
export class LoadShedder {
  private readonly log = new Logger('LoadShedder');
  private state: ShedState = RUNNING;
  private override: { mode: SheddingMode; until: number } | null = null;
  private timer: NodeJS.Timeout | null = null;
  private admin: Admin | null = null;
  private checking: Promise<void> | null = null;
  private readonly listeners: ((active: boolean) => void)[] = [];
  /** The last measured claims lag (null: not measured yet or unreachable). */
  claimsLag: number | null = null;
  /** Shed periods since start, and milliseconds spent shedding (ended periods). */
  periods = 0;
  shedMs = 0;
  /** Chunks waiting at the gate right now (at most one per partition being consumed). */
  holding = 0;
  private lagErrorLoggedAt = -Infinity;

  constructor(
    readonly policy: SheddingPolicy,
    private readonly kafka: Kafka,
    private readonly namer: TopicNamer,
    private readonly topicPrefix: string,
    private readonly now: () => number = Date.now,
  ) {}

  get active(): boolean {
    return this.state.active;
  }

  /** The mode in force: the ops override while it lasts, else the configured policy. */
  get mode(): SheddingMode {
    return this.override?.mode ?? this.policy.mode;
  }

  status(): {
    mode: SheddingMode;
    configuredMode: SheddingMode;
    overrideUntil: string | null;
    active: boolean;
    reason: string;
    since: string | null;
    claimsLag: number | null;
    lagAbove: number;
    resumeBelow: number;
    maxShedSeconds: number;
    periods: number;
    shedSeconds: number;
  } {
    const s = this.state;
    return {
      mode: this.mode,
      configuredMode: this.policy.mode,
      overrideUntil: this.override ? new Date(this.override.until).toISOString() : null,
      active: s.active,
      reason: s.reason,
      since: s.since === null ? null : new Date(s.since).toISOString(),
      claimsLag: this.claimsLag,
      lagAbove: this.policy.lagAbove,
      resumeBelow: this.policy.resumeBelow,
      maxShedSeconds: Math.round(this.policy.maxShedMs / 1000),
      periods: this.periods,
      shedSeconds: Math.round((this.shedMs + (s.since === null ? 0 : this.now() - s.since)) / 1000),
    };
  }

  onChange(fn: (active: boolean) => void): void {
    this.listeners.push(fn);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.check(), this.policy.checkMs);
    this.timer.unref();
    void this.check();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.checking;
    await this.admin?.disconnect().catch(() => undefined);
    this.admin = null;
    this.apply({ ...RUNNING, reason: 'stopping' });
  }

  /**
   * The ops switch: `on` or `off` for `forMs` (default: the policy's maxShedMs, so a forgotten
   * switch does not starve shed work), `auto` to go back to the configured policy.
   */
  async set(mode: SheddingMode, forMs?: number): Promise<void> {
    this.override = mode === 'auto' ? null : { mode, until: this.now() + (forMs ?? this.policy.maxShedMs) };
    // A check already under way read the old mode: let it finish, then decide with the new one
    // (any check started from here on sees the override), so the caller's answer is the new state.
    await this.checking;
    await this.check();
  }

  /** Measures the claims lag and applies the decision; one at a time. */
  async check(): Promise<void> {
    if (this.checking) return this.checking;
    this.checking = (async () => {
      const now = this.now();
      if (this.override && now >= this.override.until) this.override = null;
      const mode = this.mode;
      this.claimsLag = mode === 'auto' ? await this.measureClaimsLag() : this.claimsLag;
      this.apply(nextShedState(this.state, mode, mode === 'auto' ? this.claimsLag : null, now, this.policy));
    })().finally(() => {
      this.checking = null;
    });
    return this.checking;
  }

  /** Waits while shedding is active, keeping the consumer group's heartbeats going. */
  async hold(keepAlive: () => Promise<void>, alive: () => boolean): Promise<void> {
    if (!this.state.active) return;
    this.holding++;
    try {
      while (this.state.active && alive()) {
        await new Promise((r) => setTimeout(r, 250));
        await keepAlive().catch(() => undefined);
      }
    } finally {
      this.holding--;
    }
  }

  private apply(next: ShedState): void {
    const prev = this.state;
    this.state = next;
    if (prev.active === next.active) return;
    if (next.active) {
      this.periods++;
      this.log.warn(`shedding: consumers hold new work (${next.reason})`);
    } else {
      if (prev.since !== null) this.shedMs += this.now() - prev.since;
      this.log.log(`shedding ended: consuming again (${next.reason})`);
    }
    for (const fn of this.listeners) fn(next.active);
  }

  private async measureClaimsLag(): Promise<number | null> {
    const topic = this.namer.physical(Topics.claimRequested.name);
    try {
      if (!this.admin) {
        const admin = this.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const [committed, ends] = await Promise.all([
        this.admin.fetchOffsets({ groupId: consumerGroupId('claims', this.topicPrefix), topics: [topic] }),
        this.admin.fetchTopicOffsets(topic),
      ]);
      const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      let lag = 0;
      for (const e of ends) {
        const at = done.get(e.partition) ?? -1;
        // No committed offset yet: everything since the log start is waiting.
        lag += Math.max(0, Number(e.high) - (at < 0 ? Number(e.low) : at));
      }
      return lag;
    } catch (e) {
      if (Date.now() - this.lagErrorLoggedAt > 60_000) {
        this.lagErrorLoggedAt = Date.now();
        this.log.warn(`claims lag unknown (${String(e)}): keeping the current shedding state`);
      }
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
      return null;
    }
  }
}
