import { Logger } from '@nestjs/common';
import {
  Context,
  context as otelContext,
  Link,
  propagation,
  ROOT_CONTEXT,
  Span,
  SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { createHash } from 'node:crypto';
import { Admin, Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import { DataSource, EntityManager } from 'typeorm';
import { decode, DlqReason, dlqReason, formatReason, headersToStrings, TopicSpec, topicSpecByName, WaitReason } from '@platform/contracts';
import { isTransientError } from '@platform/persistence';
import { Clock, systemClock } from './clock';
import { GroupMembershipWatch } from './group-membership';
import { guardKafkajsRunner } from './kafkajs-runner-guard';
import { countCommitted } from './business-metrics';
import { messagingMetrics } from './metrics';
import { appendToOutbox, sleep } from './outbox';
import { TopicNamer } from './topic-namer';
import { headerListFromJson, headerListOf, headerListToJson, HeaderList } from './records';
import { deadLetterRecord, InboundMessage, TxContext } from './tx-context';

/** Handles a batch of one topic's messages inside one database transaction. */
export type BatchHandler = (messages: InboundMessage<unknown>[], ctx: TxContext) => Promise<void>;

export interface TopicHandler {
  spec: TopicSpec;
  handle: BatchHandler;
}

export interface BatchConsumerOptions {
  groupId: string;
  kafka: Kafka;
  dataSource: DataSource;
  namer: TopicNamer;
  handlers: TopicHandler[];
  clock?: Clock;
  /** Messages per transaction. */
  chunkSize?: number;
  /** Partitions processed at once. */
  concurrency?: number;
  /** Called after every commit that wrote outbox rows. */
  onOutboxWrite?: () => void;
  /** A consumer without any sign of life for this long is restarted. */
  stallMs?: number;
  /** How long the group coordinator waits for a silent member before it reassigns its partitions. */
  sessionTimeoutMs?: number;
  /**
   * What to do when stored offsets do not match the topic (recreated topic, purged or replaced
   * cluster): `rewind` starts the partition over from its earliest record, relying on every
   * handler's dedupe by natural keys; `halt` pauses the partition and fails readiness.
   */
  onOffsetMismatch?: 'rewind' | 'halt';
  /** Awaited before each chunk: back-pressure (e.g. while the outbox backlog is over its bound). */
  beforeChunk?: (keepAlive: () => Promise<void>, alive: () => boolean) => Promise<void>;
  /** How often lag is measured against the brokers' high watermarks. */
  lagIntervalMs?: number;
}

class Aborted extends Error {}

/** A partition that cannot go on without a person: readiness says so until it is resolved. */
export interface HaltedPartition {
  topic: string;
  partition: number;
  reason: string;
  since: string;
}

/** Per assigned partition: where it is against the broker, and whether it moves. */
export interface PartitionProgress {
  nextOffset: bigint;
  highWatermark: bigint;
  movedAt: number;
  /** Set while a chunk keeps failing for a transient reason (database or broker trouble). */
  blockedSince: number | null;
  blockedBy: string | null;
}

/** Identity of a record: what the stored offset is checked against after a rebalance. */
export function recordFingerprint(m: Pick<KafkaMessage, 'timestamp' | 'key'>): string {
  const key = m.key ? createHash('sha256').update(m.key).digest('hex').slice(0, 16) : '-';
  return `${m.timestamp}:${key}`;
}

// Before any consumer exists: a consumer stopped while its fetchers are rebuilt must not spin.
guardKafkajsRunner();

/** The consumer group session timeout when none is given (see startConsumer). */
export const DEFAULT_SESSION_TIMEOUT_MS = 6000;

/** How long a restart waits for the old kafkajs consumer to disconnect. */
const DISCONNECT_BOUND_MS = 10_000;

const jitter = (ms: number): number => Math.round(ms * (0.75 + Math.random() * 0.5));

const getter = {
  keys: (c: Record<string, string>) => Object.keys(c),
  get: (c: Record<string, string>, k: string) => c[k],
};

/**
 * At-least-once delivery turned into exactly-once effects:
 * - each chunk of a partition's batch is applied in one Postgres transaction that also advances
 *   this group's offset for the partition (table consumer_offset); redelivered messages below that
 *   offset are skipped, so a crash between DB commit and Kafka commit changes nothing;
 * - Kafka offsets are committed explicitly, only after the transaction committed;
 * - invalid messages go to `<topic>.dlq` through the outbox, in the same transaction;
 * - transient failures (database down, lost races) retry the chunk with backoff, never skipping;
 * - a handler failure that is not transient is narrowed down to the message that causes it, which
 *   is dead-lettered with the error while the rest of the chunk is applied.
 */
export class BatchConsumer {
  private readonly log: Logger;
  private consumer: Consumer | null = null;
  private readonly handlers = new Map<string, TopicHandler>();
  private readonly clock: Clock;
  private readonly chunkSize: number;
  private readonly concurrency: number;
  private readonly stallMs: number;
  private readonly sessionTimeoutMs: number;
  private stopping = false;
  private watchdog: NodeJS.Timeout | null = null;
  private deferredTimer: NodeJS.Timeout | null = null;
  private deferredRun: Promise<void> | null = null;
  private lagTimer: NodeJS.Timeout | null = null;
  private lagRun: Promise<void> | null = null;
  private admin: Admin | null = null;
  private clusterId: string | null = null;
  /** Partitions whose stored offset was checked against the topic since the last assignment. */
  private readonly verified = new Set<string>();
  private readonly seekedToVerify = new Set<string>();
  private assignment = new Map<string, number[]>();
  /** Last sign of life from kafkajs (heartbeat, fetch, batch) or from our own work. */
  lastProgressAt = Date.now();
  connected = false;
  restarts = 0;
  readonly lag = new Map<string, number>();
  readonly progress = new Map<string, PartitionProgress>();
  readonly halted = new Map<string, HaltedPartition>();
  parked = 0;
  lastError: string | null = null;
  /** Held on purpose (load shedding): partitions with lag are waiting, not stuck. */
  private held = false;
  readonly blockedAfterMs: number;

  constructor(private readonly o: BatchConsumerOptions) {
    this.log = new Logger(`BatchConsumer:${o.groupId}`);
    for (const h of o.handlers) this.handlers.set(h.spec.name, h);
    this.clock = o.clock ?? systemClock;
    this.chunkSize = o.chunkSize ?? 1000;
    this.concurrency = o.concurrency ?? 3;
    this.stallMs = o.stallMs ?? 60_000;
    this.sessionTimeoutMs = o.sessionTimeoutMs ?? DEFAULT_SESSION_TIMEOUT_MS;
    this.blockedAfterMs = Math.min(this.stallMs, 30_000);
  }

  get topics(): string[] {
    return [...this.handlers.keys()];
  }

  async start(): Promise<void> {
    this.stopping = false;
    await this.startConsumer();
    this.watchdog = setInterval(() => void this.checkStall(), 5000);
    this.watchdog.unref();
    this.deferredTimer = setInterval(() => {
      if (!this.deferredRun) {
        this.deferredRun = this.retryDeferred()
          .then(() => undefined)
          // Never an unhandled rejection: the rows stay and the next tick tries again.
          .catch((e: unknown) => {
            this.lastError = String(e);
            this.log.error(`deferred retry round failed (will try again): ${String(e)}`);
          })
          .finally(() => {
            this.deferredRun = null;
          });
      }
    }, 1000);
    this.deferredTimer.unref();
    this.lagTimer = setInterval(() => {
      if (!this.lagRun) {
        this.lagRun = this.measureLag()
          .catch((e: unknown) => this.log.warn(`lag measurement failed: ${String(e)}`))
          .finally(() => {
            this.lagRun = null;
          });
      }
    }, this.o.lagIntervalMs ?? 5000);
    this.lagTimer.unref();
  }

  /** Stops fetching, lets the chunk in flight finish (or abandons it uncommitted), disconnects. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.watchdog) clearInterval(this.watchdog);
    if (this.deferredTimer) clearInterval(this.deferredTimer);
    if (this.lagTimer) clearInterval(this.lagTimer);
    await this.deferredRun;
    await this.lagRun;
    if (this.admin) await this.admin.disconnect().catch(() => undefined);
    this.admin = null;
    const c = this.consumer;
    this.consumer = null;
    if (c) await c.disconnect().catch((e: unknown) => this.log.warn(`disconnect: ${String(e)}`));
    this.connected = false;
  }

  /**
   * Healthy: connected, not stalled, no halted partition, and every assigned partition with lag
   * has moved within the stall bound (a consumer that heartbeats while retrying forever is stuck).
   */
  isHealthy(): boolean {
    return (
      this.connected && Date.now() - this.lastProgressAt < this.stallMs && this.halted.size === 0 && this.stuckPartitions().length === 0
    );
  }

  /** Load shedding holds or releases this consumer; a release restarts the stall clocks. */
  setHeld(held: boolean): void {
    if (this.held && !held) for (const p of this.progress.values()) p.movedAt = Date.now();
    this.held = held;
  }

  /** Assigned partitions with lag that made no progress for the stall bound, or blocked by retries. */
  stuckPartitions(): { partition: string; lag: number; secondsStill: number; blockedBy: string | null }[] {
    if (this.held) return [];
    const now = Date.now();
    const out = [];
    for (const [tp, p] of this.progress) {
      const lag = Number(p.highWatermark - p.nextOffset);
      const blocked = p.blockedSince !== null && now - p.blockedSince > this.blockedAfterMs;
      if (blocked || (lag > 0 && now - p.movedAt > this.stallMs)) {
        out.push({ partition: tp, lag, secondsStill: Math.round((now - p.movedAt) / 1000), blockedBy: p.blockedBy });
      }
    }
    return out;
  }

  private async getAdmin(): Promise<Admin> {
    if (!this.admin) {
      const admin = this.o.kafka.admin();
      await admin.connect();
      this.admin = admin;
    }
    return this.admin;
  }

  /**
   * Lag against the brokers' high watermarks and the offsets stored in the database, for the
   * partitions assigned to this instance; a batch-time figure would read 0 for a partition that
   * never gets a batch through.
   */
  private async measureLag(): Promise<void> {
    if (this.stopping || this.assignment.size === 0) return;
    const admin = await this.getAdmin();
    const rows = (await this.o.dataSource.query(`SELECT topic, partition, next_offset FROM consumer_offset WHERE group_id = $1`, [
      this.o.groupId,
    ])) as {
      topic: string;
      partition: number;
      next_offset: string;
    }[];
    const stored = new Map(rows.map((r) => [`${r.topic}:${r.partition}`, BigInt(r.next_offset)]));
    const now = Date.now();
    const seen = new Set<string>();
    for (const [physical, partitions] of this.assignment) {
      const topic = this.o.namer.canonical(physical);
      const offsets = await admin.fetchTopicOffsets(physical);
      for (const o of offsets) {
        if (!partitions.includes(o.partition)) continue;
        const tp = `${topic}:${o.partition}`;
        seen.add(tp);
        const hw = BigInt(o.high);
        const next = stored.get(tp) ?? BigInt(o.low);
        const prev = this.progress.get(tp);
        const moved = !prev || prev.nextOffset !== next || next >= hw;
        this.progress.set(tp, {
          nextOffset: next,
          highWatermark: hw,
          movedAt: moved ? now : prev.movedAt,
          blockedSince: prev?.blockedSince ?? null,
          blockedBy: prev?.blockedBy ?? null,
        });
        this.lag.set(tp, Number(hw > next ? hw - next : 0n));
      }
    }
    for (const tp of [...this.progress.keys()]) if (!seen.has(tp)) this.progress.delete(tp);
    for (const tp of [...this.lag.keys()]) if (!seen.has(tp)) this.lag.delete(tp);
  }

  private markBlocked(tp: string, why: string | null): void {
    const p = this.progress.get(tp);
    if (!p) {
      if (why) this.progress.set(tp, { nextOffset: 0n, highWatermark: 0n, movedAt: Date.now(), blockedSince: Date.now(), blockedBy: why });
      return;
    }
    if (why === null) {
      p.blockedSince = null;
      p.blockedBy = null;
      p.movedAt = Date.now();
    } else {
      if (p.blockedSince === null) p.blockedSince = Date.now();
      p.blockedBy = why.slice(0, 500);
    }
  }

  private async startConsumer(): Promise<void> {
    const c = this.o.kafka.consumer({
      groupId: this.o.groupId,
      // A member that died with its zone holds its partitions until this runs out, and a new
      // coordinator (the old one died with the zone) starts the clock again when it loads the group:
      // the zone drill's recovery is ~broker fencing + this. 6 s is the brokers' smallest allowed
      // (group.min.session.timeout.ms); heartbeats go every second, so a live member is not evicted.
      sessionTimeout: this.sessionTimeoutMs,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 1024 * 1024,
      allowAutoTopicCreation: false,
      // kafkajs fetches from every broker in its cached metadata and, when one of them refuses the
      // connection, stops all fetchers and retries; it refreshes that metadata only when it is older
      // than this (default 5 min). A dead broker thus stalled every partition of the consumer until
      // something else refreshed it (zone drill: 20-40 s). Fenced brokers leave the metadata ~9 s
      // after death; a 3 s age makes the consumer see the new leaders within seconds of that.
      metadataMaxAge: 3000,
      // The fetch loop's retries: short waits (at most 1 s) so that it tries again soon after the
      // leaders moved, instead of sleeping 5 s on a backoff grown while the broker was being fenced;
      // more of them so the loop still outlasts a ~30 s outage before kafkajs restarts the consumer.
      retry: { retries: 30, initialRetryTime: 200, maxRetryTime: 1000 },
    });
    const alive = (): void => {
      this.lastProgressAt = Date.now();
    };
    c.on(c.events.HEARTBEAT, alive);
    c.on(c.events.FETCH, alive);
    c.on(c.events.GROUP_JOIN, (e) => {
      alive();
      this.connected = true;
      // New assignment: every partition's stored offset is checked again on its first batch.
      this.assignment = new Map(Object.entries(e.payload.memberAssignment));
      this.verified.clear();
      this.seekedToVerify.clear();
      // Offsets that count another cluster or a shorter topic are caught even if no batch comes.
      const assignment = this.assignment;
      void (async () => {
        // Right after topic creation or a leader move the metadata may lag: try a few times.
        for (let attempt = 1; ; attempt++) {
          try {
            await this.verifyAssignment(assignment);
            return;
          } catch (err) {
            if (attempt >= 5 || this.stopping || assignment !== this.assignment) {
              this.log.warn(`offset check at assignment failed (the first batch checks again): ${String(err)}`);
              return;
            }
            await sleep(1000 * attempt);
          }
        }
      })();
    });
    c.on(c.events.CONNECT, () => {
      this.connected = true;
    });
    c.on(c.events.DISCONNECT, () => {
      this.connected = false;
    });
    c.on(c.events.CRASH, (e) => {
      this.lastError = String(e.payload.error);
      this.log.error(`consumer crashed (restart=${String(e.payload.restart)}): ${String(e.payload.error)}`);
      // kafkajs restarts by itself on retriable errors; otherwise we do.
      if (!e.payload.restart && !this.stopping) void this.restart('crash without restart');
    });
    if (!this.clusterId) {
      this.clusterId = await this.getAdmin()
        .then((a) => a.describeCluster())
        .then((d) => d.clusterId)
        .catch((e: unknown) => {
          this.log.warn(`cannot read the cluster id (offsets are checked against the topic only): ${String(e)}`);
          return null;
        });
    }
    await c.connect();
    await c.subscribe({
      topics: this.topics.map((t) => this.o.namer.physical(t)),
      fromBeginning: true,
    });
    this.consumer = c;
    await c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.concurrency,
      eachBatch: (p) => this.onBatch(p),
    });
    this.connected = true;
    alive();
  }

  private restarting = false;

  /** Recreates the kafkajs consumer (watchdog and non-restarting crashes). */
  async restart(why: string): Promise<void> {
    if (this.restarting || this.stopping) return;
    this.restarting = true;
    this.restarts++;
    this.log.warn(`restarting consumer: ${why}`);
    try {
      const old = this.consumer;
      this.consumer = null;
      // Bounded: a consumer stuck on a dead coordinator must not hold the restart (and with it
      // the watchdog) forever; its member is evicted after the session timeout either way.
      if (old) {
        const gone = await Promise.race([
          old.disconnect().then(
            () => true,
            () => true,
          ),
          sleep(DISCONNECT_BOUND_MS).then(() => false),
        ]);
        if (!gone) this.log.warn(`the old consumer did not disconnect within ${DISCONNECT_BOUND_MS} ms; starting a new one anyway`);
      }
      for (;;) {
        if (this.stopping) return;
        try {
          await this.startConsumer();
          return;
        } catch (e) {
          this.log.warn(`restart failed, retrying: ${String(e)}`);
          await sleep(2000);
        }
      }
    } finally {
      this.restarting = false;
    }
  }

  private async checkStall(): Promise<void> {
    if (this.stopping || this.restarting) return;
    if (Date.now() - this.lastProgressAt > this.stallMs) {
      await this.restart(`no heartbeat, fetch or progress for ${Math.round((Date.now() - this.lastProgressAt) / 1000)} s`);
    }
  }

  private readonly membership = new GroupMembershipWatch();

  /** Throws what needs a rejoin (kafkajs then finds the coordinator again); logs the rest. */
  private groupTrouble(e: unknown, what: string): void {
    const rejoin = this.membership.failed(e, Date.now());
    if (rejoin) {
      this.log.warn(`${what} failed, rejoining the group: ${rejoin.message}`);
      throw rejoin;
    }
    this.log.warn(`${what} failed (harmless, deduped): ${String(e)}`);
  }

  private async onBatch(p: EachBatchPayload): Promise<void> {
    const { batch } = p;
    const canonical = this.o.namer.canonical(batch.topic);
    const handler = this.handlers.get(canonical);
    if (!handler) throw new Error(`no handler for ${batch.topic}`); // never commit what we cannot handle
    const alive = (): boolean => p.isRunning() && !p.isStale() && !this.stopping;
    const hw = Number(batch.highWatermark);
    const tp = `${canonical}:${batch.partition}`;
    if (this.halted.has(tp)) return; // paused; nothing resolved, nothing skipped
    if (
      !this.verified.has(tp) &&
      (await this.verifyBinding({
        topic: canonical,
        physical: batch.topic,
        partition: batch.partition,
        highWatermark: batch.highWatermark,
        messages: batch.messages,
      })) === 'refetch'
    )
      return;
    try {
      for (let i = 0; i < batch.messages.length; i += this.chunkSize) {
        if (!alive()) return;
        await this.o.beforeChunk?.(() => p.heartbeat(), alive);
        if (!alive()) return;
        const chunk = batch.messages.slice(i, i + this.chunkSize);
        await this.applyChunk(handler, canonical, batch.partition, chunk, p.heartbeat, alive);
        const last = chunk[chunk.length - 1];
        if (!last) continue;
        p.resolveOffset(last.offset);
        this.lag.set(`${canonical}:${batch.partition}`, Math.max(0, hw - Number(last.offset) - 1));
        this.lastProgressAt = Date.now();
        // Explicit commit (autoCommit is off): the effects are durable now. One attempt, not the
        // consumer's retry chain: a failed commit is covered by the next chunk's (redelivery is
        // deduped), and group trouble is answered by a rejoin (GroupMembershipWatch).
        try {
          await p.commitOffsetsIfNecessary({
            topics: [{ topic: batch.topic, partitions: [{ partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }] }],
          });
          this.membership.succeeded();
        } catch (e) {
          this.groupTrouble(e, 'offset commit');
        }
        try {
          await p.heartbeat();
        } catch (e) {
          this.groupTrouble(e, 'heartbeat');
        }
      }
    } catch (e) {
      if (e instanceof Aborted) return;
      throw e;
    }
  }

  private readonly checking = new Map<string, Promise<'ok' | 'refetch'>>();

  /** One check at a time per partition (assignment-time and batch-time checks may overlap). */
  private verifyBinding(b: BindingCheck): Promise<'ok' | 'refetch'> {
    const tp = `${b.topic}:${b.partition}`;
    const prev = this.checking.get(tp) ?? Promise.resolve('ok' as const);
    const next = prev.catch(() => 'ok' as const).then(() => (this.verified.has(tp) ? ('ok' as const) : this.checkBinding(b)));
    this.checking.set(tp, next);
    return next;
  }

  /** At assignment: the checks that need no record (cluster, partition end), before any batch. */
  private async verifyAssignment(assignment: Map<string, number[]>): Promise<void> {
    const admin = await this.getAdmin();
    for (const [physical, partitions] of assignment) {
      const offsets = await admin.fetchTopicOffsets(physical);
      for (const p of partitions) {
        const hw = offsets.find((o) => o.partition === p)?.high;
        if (hw !== undefined)
          await this.verifyBinding({ topic: this.o.namer.canonical(physical), physical, partition: p, highWatermark: hw, messages: null });
      }
    }
  }

  /**
   * Checks, once per assignment, that the offset stored for this partition counts this topic: the
   * same cluster, not beyond the partition's end, and the record it last applied is still the one
   * at that offset. Otherwise the topic was recreated or the cluster replaced (a purged local
   * Kafka, a failover to another data centre) and skipping "already applied" offsets would drop
   * new messages silently. Returns 'refetch' when it moved the fetch position (batch abandoned).
   * Without `messages` (at assignment) the record check waits for the first batch.
   */
  private async checkBinding({ topic, physical, partition, highWatermark, messages }: BindingCheck): Promise<'ok' | 'refetch'> {
    const tp = `${topic}:${partition}`;
    if (this.halted.has(tp)) return 'refetch';
    const rows = (await this.o.dataSource.query(
      `SELECT next_offset, cluster_id, last_fingerprint FROM consumer_offset WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [this.o.groupId, topic, partition],
    )) as { next_offset: string; cluster_id: string | null; last_fingerprint: string | null }[];
    const row = rows[0];
    const next = BigInt(row?.next_offset ?? '0');
    if (!row || next === 0n) {
      this.verified.add(tp);
      return 'ok';
    }
    let mismatch: string | null = null;
    if (row.cluster_id && this.clusterId && row.cluster_id !== this.clusterId) {
      mismatch = `stored offsets belong to cluster ${row.cluster_id}, connected to ${this.clusterId}`;
    } else if (next > BigInt(highWatermark)) {
      mismatch = `stored next offset ${next} is beyond the partition's end ${highWatermark}`;
    } else if (row.last_fingerprint) {
      if (!messages) return 'ok'; // the first batch compares the record
      const target = next - 1n;
      const m = messages.find((x) => BigInt(x.offset) === target);
      if (m) {
        if (recordFingerprint(m) !== row.last_fingerprint) mismatch = `the record at offset ${target} is not the one last applied`;
      } else if (!this.seekedToVerify.has(tp)) {
        // Read the last applied record again to compare (one extra fetch per assignment).
        this.seekedToVerify.add(tp);
        this.consumer?.seek({ topic: physical, partition, offset: target.toString() });
        return 'refetch';
      } else {
        this.log.warn(`${tp}: record ${target} is gone (retention); stored offset ${next} accepted unverified`);
      }
    }
    this.seekedToVerify.delete(tp);
    if (!mismatch) {
      if (messages || !row.last_fingerprint) this.verified.add(tp);
      return 'ok';
    }
    messagingMetrics().offsetRebinds.add(1, { topic });
    if ((this.o.onOffsetMismatch ?? 'rewind') === 'halt') {
      this.log.error(`${tp}: ${mismatch}; partition halted (CONSUMER_ON_OFFSET_MISMATCH=halt)`);
      this.halted.set(tp, { topic, partition, reason: `OFFSET_MISMATCH: ${mismatch}`, since: new Date().toISOString() });
      this.consumer?.pause([{ topic: physical, partitions: [partition] }]);
      return 'refetch';
    }
    const [low] = (await (await this.getAdmin()).fetchTopicOffsets(physical))
      .filter((o) => o.partition === partition)
      .map((o) => BigInt(o.low));
    const start = low ?? 0n;
    await this.o.dataSource.transaction(async (manager) => {
      await manager.query(
        `INSERT INTO consumer_offset_rebind (group_id, topic, partition, old_next_offset, old_cluster_id, new_cluster_id, new_next_offset, reason)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [this.o.groupId, topic, partition, next.toString(), row.cluster_id, this.clusterId, start.toString(), mismatch],
      );
      await manager.query(
        `UPDATE consumer_offset SET next_offset = $4, cluster_id = $5, last_fingerprint = NULL, updated_at = now()
          WHERE group_id = $1 AND topic = $2 AND partition = $3`,
        [this.o.groupId, topic, partition, start.toString(), this.clusterId],
      );
    });
    this.log.warn(`${tp}: ${mismatch}; offsets rebound, starting over at ${start} (handlers dedupe by natural keys)`);
    this.verified.add(tp);
    const first = messages?.[0];
    if (first && BigInt(first.offset) === start) return 'ok';
    this.consumer?.seek({ topic: physical, partition, offset: start.toString() });
    return 'refetch';
  }

  private async applyChunk(
    handler: TopicHandler,
    topic: string,
    partition: number,
    chunk: KafkaMessage[],
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<void> {
    const tracer = trace.getTracer('messaging');
    const prepared = chunk.map((m) => this.prepare(handler.spec, topic, partition, m));
    const links: Link[] = prepared
      .slice(0, 32)
      .map((p) => ({ context: trace.getSpanContext(p.parent) }))
      .filter((l): l is Link => l.context !== undefined);
    const batchSpan = tracer.startSpan(`consume ${topic}`, {
      kind: SpanKind.CONSUMER,
      links,
      attributes: {
        'messaging.destination.name': topic,
        'messaging.destination.partition.id': String(partition),
        'messaging.batch.message_count': chunk.length,
      },
    });
    const started = Date.now();
    const tp = `${topic}:${partition}`;
    let backoff = 100;
    try {
      for (;;) {
        try {
          await otelContext.with(trace.setSpan(ROOT_CONTEXT, batchSpan), () => this.transact(handler, topic, partition, prepared));
          this.markBlocked(tp, null);
          break;
        } catch (e) {
          if (e instanceof Aborted) throw e;
          if (isTransientError(e)) {
            // Database or broker trouble (down, failover, timeouts, locks): never a reason to
            // dead-letter a valid message. Retry with jittered backoff; past a bound, readiness fails.
            this.lastError = String(e);
            this.markBlocked(tp, errorText(e));
            messagingMetrics().transientFailures.add(1, { topic });
            const wait = jitter(backoff);
            this.log.warn(`transient failure on ${topic}[${partition}], retrying in ${wait} ms: ${String(e)}`);
            await sleep(wait);
            backoff = Math.min(backoff * 2, 5000);
            // nothing of this chunk is committed: a rejoin here loses nothing
            await heartbeat().catch((he: unknown) => this.groupTrouble(he, 'heartbeat'));
            if (!alive()) throw new Aborted();
            continue;
          }
          // Not transient: find the message(s) responsible, one transaction per message.
          this.log.error(`handler failed on ${topic}[${partition}], isolating the poison message: ${String(e)}`);
          await this.isolate(handler, topic, partition, prepared, heartbeat, alive);
          break;
        }
      }
      messagingMetrics().batchSize.record(chunk.length, { topic });
      messagingMetrics().batchDurationMs.record(Date.now() - started, {
        topic,
      });
    } catch (e) {
      batchSpan.setStatus({ code: SpanStatusCode.ERROR, message: String(e) });
      throw e;
    } finally {
      for (const p of prepared) p.span.end();
      batchSpan.end();
    }
  }

  private async isolate(
    handler: TopicHandler,
    topic: string,
    partition: number,
    prepared: Prepared[],
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<void> {
    for (const one of prepared) {
      let backoff = 100;
      for (;;) {
        try {
          await this.transact(handler, topic, partition, [one]);
          break;
        } catch (e) {
          if (isTransientError(e)) {
            await sleep(backoff);
            backoff = Math.min(backoff * 2, 5000);
            // nothing of this chunk is committed: a rejoin here loses nothing
            await heartbeat().catch((he: unknown) => this.groupTrouble(he, 'heartbeat'));
            if (!alive()) throw new Aborted();
            continue;
          }
          await this.deadLetterOrPark(
            handler,
            topic,
            partition,
            one,
            one.invalid ?? dlqReason('HANDLER_ERROR', errorText(e)),
            heartbeat,
            alive,
          );
          break;
        }
      }
    }
  }

  /**
   * The message could not be handled: dead-letter it; if even that cannot be written, keep it in
   * parked_message (last resort) and move on; if that fails too, halt the partition (never skip).
   */
  private async deadLetterOrPark(
    handler: TopicHandler,
    topic: string,
    partition: number,
    one: Prepared,
    reason: DlqReason,
    heartbeat: () => Promise<void>,
    alive: () => boolean,
  ): Promise<void> {
    let backoff = 100;
    for (;;) {
      try {
        await this.transact(handler, topic, partition, [{ ...one, invalid: reason }]);
        return;
      } catch (e) {
        if (isTransientError(e)) {
          await sleep(jitter(backoff));
          backoff = Math.min(backoff * 2, 5000);
          await heartbeat().catch(() => undefined);
          if (!alive()) throw new Aborted();
          continue;
        }
        this.log.error(`dead letter for ${topic}[${partition}]@${one.raw.offset} cannot be written, parking it: ${String(e)}`);
        try {
          await this.park(topic, partition, one, reason, errorText(e));
          return;
        } catch (parkError) {
          if (isTransientError(parkError)) {
            await sleep(jitter(backoff));
            await heartbeat().catch(() => undefined);
            if (!alive()) throw new Aborted();
            continue;
          }
          const tp = `${topic}:${partition}`;
          messagingMetrics().parkFailures.add(1, { topic });
          this.halted.set(tp, {
            topic,
            partition,
            reason: `PARK_FAILED at offset ${one.raw.offset}: ${errorText(parkError)}`,
            since: new Date().toISOString(),
          });
          this.log.error(`${tp}@${one.raw.offset} could not even be parked; partition halted: ${String(parkError)}`);
          throw parkError;
        }
      }
    }
  }

  /** Last resort: the message as received, the reason and the failure, and the offset advanced. */
  private async park(topic: string, partition: number, one: Prepared, reason: DlqReason, failure: string): Promise<void> {
    await this.o.dataSource.transaction(async (manager) => {
      const next = await this.lockOffset(manager, topic, partition);
      if (BigInt(one.raw.offset) < next) return;
      await manager.query(
        `INSERT INTO parked_message (group_id, topic, partition, "offset", key, value, header_list, kafka_timestamp, reason, failure)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING`,
        [
          this.o.groupId,
          topic,
          partition,
          one.raw.offset,
          one.message.rawKey,
          one.raw.value,
          JSON.stringify(headerListToJson(one.message.headerList)),
          one.message.rawTimestamp,
          formatReason(reason).replaceAll('\u0000', ' '), // text columns cannot hold NUL
          failure.replaceAll('\u0000', ' '),
        ],
      );
      await this.advanceOffset(manager, topic, partition, one.raw);
    });
    this.parked++;
    messagingMetrics().parked.add(1, { topic });
  }

  private async advanceOffset(manager: EntityManager, topic: string, partition: number, last: KafkaMessage): Promise<void> {
    await manager.query(
      `UPDATE consumer_offset SET next_offset = $4, last_fingerprint = $5, cluster_id = coalesce($6, cluster_id), updated_at = now()
        WHERE group_id = $1 AND topic = $2 AND partition = $3`,
      [this.o.groupId, topic, partition, (BigInt(last.offset) + 1n).toString(), recordFingerprint(last), this.clusterId],
    );
  }

  private prepare(spec: TopicSpec, topic: string, partition: number, m: KafkaMessage): Prepared {
    const headers = headersToStrings(m.headers as Record<string, unknown>);
    const headerList: HeaderList = headerListOf(m.headers);
    const parent = propagation.extract(ROOT_CONTEXT, headers, getter);
    const span = trace.getTracer('messaging').startSpan(
      `process ${topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: { 'messaging.kafka.offset': m.offset },
      },
      parent,
    );
    const decoded = decode(spec, m.value);
    return {
      raw: m,
      parent,
      span,
      invalid: decoded.ok ? null : decoded.reason,
      message: {
        topic,
        partition,
        offset: m.offset,
        key: m.key ? m.key.toString('utf8') : null,
        rawKey: m.key,
        value: decoded.ok ? decoded.value : undefined,
        rawValue: m.value,
        headers,
        headerList,
        timestamp: new Date(Number(m.timestamp)),
        rawTimestamp: m.timestamp,
        trace: trace.setSpan(parent, span),
      },
    };
  }

  /** One transaction: skip what this group already applied, handle the rest, advance the offset. */
  private async transact(handler: TopicHandler, topic: string, partition: number, prepared: Prepared[]): Promise<void> {
    const first = prepared[0];
    const last = prepared[prepared.length - 1];
    if (!first || !last) return;
    let wroteOutbox = false;
    let committed: TxContext | null = null;
    await this.o.dataSource.transaction(async (manager) => {
      const next = await this.lockOffset(manager, topic, partition);
      const fresh = prepared.filter((p) => BigInt(p.raw.offset) >= next);
      if (fresh.length === 0) return;
      const ctx = new TxContext(manager, this.o.namer, this.o.groupId, this.clock.now());
      const valid: InboundMessage<unknown>[] = [];
      for (const p of fresh) {
        if (p.invalid !== null) {
          ctx.outgoing.push(this.deadLetter(topic, partition, p, p.invalid, ctx.now));
          p.span.setStatus({ code: SpanStatusCode.ERROR, message: formatReason(p.invalid) });
        } else {
          valid.push(p.message);
        }
      }
      if (valid.length > 0) await handler.handle(valid, ctx);
      await this.saveDeferrals(manager, ctx);
      await appendToOutbox(manager, ctx.outgoing);
      wroteOutbox = ctx.outgoing.length > 0;
      await this.advanceOffset(manager, topic, partition, last.raw);
      const dead = fresh.length - valid.length + ctx.rejected.size;
      messagingMetrics().consumed.add(fresh.length, { topic });
      if (dead > 0) messagingMetrics().deadLettered.add(dead, { topic });
      if (ctx.deferrals.length > 0) messagingMetrics().deferred.add(ctx.deferrals.length, { topic });
      committed = ctx;
    });
    if (committed) countCommitted((committed as TxContext).emitted, (committed as TxContext).outgoing);
    if (wroteOutbox) this.o.onOutboxWrite?.();
  }

  private deadLetter(topic: string, partition: number, p: Prepared, reason: DlqReason, now: Date) {
    return deadLetterRecord(this.o.namer, this.o.groupId, {
      topic,
      partition,
      offset: p.raw.offset,
      key: p.raw.key,
      value: p.raw.value,
      headerList: p.message.headerList,
      timestamp: p.raw.timestamp,
      reason,
      now,
    });
  }

  private async lockOffset(manager: EntityManager, topic: string, partition: number): Promise<bigint> {
    await manager.query(
      `INSERT INTO consumer_offset (group_id, topic, partition, next_offset) VALUES ($1, $2, $3, 0)
       ON CONFLICT DO NOTHING`,
      [this.o.groupId, topic, partition],
    );
    const rows = (await manager.query(
      `SELECT next_offset FROM consumer_offset WHERE group_id = $1 AND topic = $2 AND partition = $3 FOR UPDATE`,
      [this.o.groupId, topic, partition],
    )) as { next_offset: string }[];
    return BigInt(rows[0]?.next_offset ?? '0');
  }

  private async saveDeferrals(manager: EntityManager, ctx: TxContext): Promise<void> {
    for (const d of ctx.deferrals) {
      const m = d.message;
      await manager.query(
        `INSERT INTO deferred_message (group_id, topic, partition, "offset", key, value, headers, header_list, kafka_timestamp, reason,
                                       next_attempt_at, give_up_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::timestamptz + interval '500 milliseconds', $11::timestamptz + ($12 || ' milliseconds')::interval)
         ON CONFLICT (group_id, topic, partition, "offset") DO NOTHING`,
        [
          this.o.groupId,
          m.topic,
          m.partition,
          m.offset,
          m.rawKey,
          m.rawValue,
          JSON.stringify(m.headers).replace(/\\u0000/g, ''),
          JSON.stringify(headerListToJson(m.headerList)),
          m.timestamp,
          formatReason(d.reason),
          ctx.now,
          String(d.maxWaitMs),
        ],
      );
    }
  }

  /**
   * Retries deferred messages that are due. The handler sees them again; one that is still not
   * decidable is pushed back (with backoff) or, past its deadline, parked in the DLQ.
   */
  async retryDeferred(): Promise<number> {
    if (this.stopping) return 0;
    try {
      return await this.retryDeferredRound(null);
    } catch (e) {
      if (isTransientError(e)) {
        this.log.warn(`deferred retry failed (will try again): ${String(e)}`);
        return 0;
      }
      // A handler failure that is not transient: retry the due rows one by one, so the one that
      // fails is dead-lettered instead of blocking every other waiting message forever.
      this.log.error(`deferred retry failed, isolating: ${String(e)}`);
      return this.isolateDeferred();
    }
  }

  private async isolateDeferred(): Promise<number> {
    const due = (await this.o.dataSource.query(
      `SELECT id FROM deferred_message WHERE group_id = $1 AND next_attempt_at <= $2 ORDER BY id LIMIT 200`,
      [this.o.groupId, this.clock.now()],
    )) as { id: string }[];
    let handled = 0;
    for (const { id } of due) {
      try {
        handled += await this.retryDeferredRound(id);
      } catch (e) {
        if (isTransientError(e)) return handled;
        handled += await this.retryDeferredRound(id, dlqReason('HANDLER_ERROR', errorText(e)));
      }
    }
    return handled;
  }

  /** One round over due deferred rows (or one row); `failure` dead-letters that row unhandled. */
  private async retryDeferredRound(onlyId: string | null, failure?: DlqReason): Promise<number> {
    let handled = 0;
    const contexts: TxContext[] = [];
    await this.o.dataSource.transaction(async (manager) => {
      contexts.length = 0; // a retried transaction counts its last attempt only
      const now = this.clock.now();
      const rows = (await manager.query(
        `SELECT id, topic, partition, "offset", key, value, headers, header_list, kafka_timestamp, reason, attempts, give_up_at, first_deferred_at
             FROM deferred_message WHERE group_id = $1 AND next_attempt_at <= $2 AND ($3::bigint IS NULL OR id = $3)
            ORDER BY id LIMIT 200 FOR UPDATE SKIP LOCKED`,
        [this.o.groupId, now, onlyId],
      )) as DeferredRow[];
      if (rows.length === 0) return;
      const outgoing = [];
      for (const topicName of new Set(rows.map((r) => r.topic))) {
        const spec = topicSpecByName(topicName);
        const handler = this.handlers.get(topicName);
        const group = rows.filter((r) => r.topic === topicName);
        const messages = new Map<InboundMessage<unknown>, DeferredRow>();
        for (const r of group) {
          const decoded = spec ? decode(spec, r.value) : { ok: false as const, reason: dlqReason('UNKNOWN_TOPIC', topicName) };
          const headers = r.headers;
          const parent = propagation.extract(ROOT_CONTEXT, headers, getter);
          const timestamp = new Date(r.kafka_timestamp);
          messages.set(
            {
              topic: r.topic,
              partition: r.partition,
              offset: r.offset,
              key: r.key ? r.key.toString('utf8') : null,
              rawKey: r.key,
              value: decoded.ok ? decoded.value : undefined,
              rawValue: r.value,
              headers,
              headerList: r.header_list ? headerListFromJson(r.header_list) : Object.entries(headers).map(([k, v]) => [k, Buffer.from(v)]),
              timestamp,
              rawTimestamp: String(timestamp.getTime()),
              deferredSince: new Date(r.first_deferred_at),
              trace: parent,
            },
            r,
          );
        }
        const ctx = new TxContext(manager, this.o.namer, this.o.groupId, now);
        // A row whose topic this group no longer handles (a handler removed in a release) is
        // dead-lettered with that reason, never deleted as if it had been handled.
        const why = failure ?? (handler ? undefined : dlqReason('NO_HANDLER', `group ${this.o.groupId} no longer handles ${topicName}`));
        if (!why && handler) await handler.handle([...messages.keys()], ctx);
        const again = new Map(ctx.deferrals.map((d) => [d.message, d]));
        for (const [m, row] of messages) {
          const d = again.get(m);
          const giveUp =
            why ?? (d && now.getTime() >= new Date(row.give_up_at).getTime() ? timedOut(d.reason, row.attempts + 1) : undefined);
          if (!giveUp && !d) {
            await manager.query('DELETE FROM deferred_message WHERE id = $1', [row.id]);
            handled++;
          } else if (giveUp) {
            ctx.outgoing.push(
              deadLetterRecord(this.o.namer, this.o.groupId, {
                topic: m.topic,
                partition: m.partition,
                offset: m.offset,
                key: m.rawKey,
                value: m.rawValue,
                headerList: m.headerList,
                timestamp: m.rawTimestamp,
                reason: giveUp,
                now,
              }),
            );
            messagingMetrics().deadLettered.add(1, { topic: m.topic });
            await manager.query('DELETE FROM deferred_message WHERE id = $1', [row.id]);
            handled++;
          } else {
            const delayMs = Math.min(500 * 2 ** Math.min(row.attempts, 6), 30_000);
            await manager.query(
              `UPDATE deferred_message SET attempts = attempts + 1, reason = $2,
                        next_attempt_at = LEAST($3::timestamptz + ($4 || ' milliseconds')::interval, give_up_at)
                  WHERE id = $1`,
              [row.id, d ? formatReason(d.reason) : row.reason, now, String(delayMs)],
            );
          }
        }
        outgoing.push(...ctx.outgoing);
        contexts.push(ctx);
      }
      await appendToOutbox(manager, outgoing);
      if (outgoing.length > 0) this.o.onOutboxWrite?.();
    });
    for (const ctx of contexts) countCommitted(ctx.emitted, ctx.outgoing);
    return handled;
  }
}

/** A partition whose stored offset is checked against what it counts (BatchConsumer.checkBinding). */
interface BindingCheck {
  /** Canonical: the name its offsets are stored under. */
  topic: string;
  /** As fetched (prefixed): where a seek or pause goes. */
  physical: string;
  partition: number;
  highWatermark: string;
  /** The batch fetched; null at assignment, before any. */
  messages: KafkaMessage[] | null;
}

interface Prepared {
  raw: KafkaMessage;
  parent: Context;
  span: Span;
  invalid: DlqReason | null;
  message: InboundMessage<unknown>;
}

/** A deferred message past its bound: parked with the reason it waited for. */
function timedOut(wait: WaitReason, attempts: number): DlqReason {
  return dlqReason('DEFERRED_TIMEOUT', `${formatReason(wait)} (gave up after ${attempts} attempts)`);
}

interface DeferredRow {
  id: string;
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  header_list: unknown;
  kafka_timestamp: string;
  reason: string;
  attempts: number;
  give_up_at: string;
  first_deferred_at: string;
}

function errorText(e: unknown): string {
  return (e instanceof Error ? `${e.name}: ${e.message}` : String(e)).slice(0, 1000);
}
