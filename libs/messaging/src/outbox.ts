import { Logger } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientError } from '@platform/persistence';
import { SafePublisher } from './publisher';
import { OutgoingRecord } from './records';
import { messagingMetrics } from './metrics';

/** Writes records into the outbox inside the caller's transaction (one statement per call). */
export async function appendToOutbox(manager: EntityManager, records: readonly OutgoingRecord[]): Promise<void> {
  if (records.length === 0) return;
  const topics: string[] = [];
  const keys: (string | null)[] = [];
  const values: Buffer[] = [];
  const headers: string[] = [];
  for (const r of records) {
    topics.push(r.topic);
    keys.push(r.key);
    values.push(r.value);
    headers.push(JSON.stringify(r.headers));
  }
  await manager.query(
    `INSERT INTO outbox_message (topic, key, value, headers)
     SELECT * FROM unnest($1::text[], $2::text[], $3::bytea[], $4::jsonb[])`,
    [topics, keys, values, headers],
  );
}

export interface RelayOptions {
  /** Rows per publish round. */
  batchSize?: number;
  /** Poll interval when idle (other processes may write too); a local kick is immediate. */
  idlePollMs?: number;
  /** Advisory lock key: one relay per database publishes at a time, so per-key order holds. */
  lockKey?: number;
}

/**
 * Publishes outbox rows to Kafka in id order and deletes them in the same transaction, only after
 * Kafka acknowledged every one of them (acks=all, one partition per request). A crash anywhere
 * leaves the rows in place: at worst they are published again, and consumers dedupe.
 */
export class OutboxRelay {
  private readonly log = new Logger('OutboxRelay');
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private kicked = false;
  private readonly batchSize: number;
  private readonly idlePollMs: number;
  private readonly lockKey: number;
  lastSuccessAt = Date.now();
  lastError: string | null = null;
  backlog = 0;
  published = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: SafePublisher,
    options: RelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 5000;
    this.idlePollMs = options.idlePollMs ?? 100;
    this.lockKey = options.lockKey ?? 727002;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Something was just committed to the outbox: publish now instead of at the next poll. */
  kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** Publishes until the outbox is empty (used by shutdown, tests and drills). */
  async drain(timeoutMs = 30000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const n = await this.publishOnce();
      if (n === 0) {
        const [{ count }] = (await this.ds.query('SELECT count(*)::int AS count FROM outbox_message')) as { count: number }[];
        if (count === 0) return;
        await sleep(50);
      }
    }
    throw new Error('outbox did not drain in time');
  }

  private async run(): Promise<void> {
    let backoff = 100;
    while (this.running) {
      try {
        const n = await this.publishOnce();
        backoff = 100;
        if (n >= this.batchSize) continue;
        if (!this.kicked) await this.sleepUntilKicked(this.idlePollMs);
        this.kicked = false;
      } catch (e) {
        this.lastError = String(e);
        this.log.warn(`publish failed, retrying in ${backoff} ms: ${String(e)}`);
        await this.sleepUntilKicked(backoff);
        backoff = Math.min(backoff * 2, 5000);
      }
    }
  }

  /** One round: returns how many rows were published. */
  async publishOnce(): Promise<number> {
    return this.ds.transaction(async (m) => {
      const [{ locked }] = (await m.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [this.lockKey])) as {
        locked: boolean;
      }[];
      if (!locked) return 0;
      const rows = (await m.query(
        `SELECT id, topic, key, value, headers FROM outbox_message ORDER BY id LIMIT $1`,
        [this.batchSize],
      )) as { id: string; topic: string; key: string | null; value: Buffer; headers: Record<string, string> }[];
      if (rows.length === 0) {
        this.backlog = 0;
        this.lastSuccessAt = Date.now();
        return 0;
      }
      const span = trace.getTracer('messaging').startSpan('outbox publish', {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.batch.message_count': rows.length },
      });
      try {
        await context.with(trace.setSpan(context.active(), span), () =>
          this.publisher.publish(rows.map((r) => ({ topic: r.topic, key: r.key, value: r.value, headers: r.headers }))),
        );
      } finally {
        span.end();
      }
      await m.query('DELETE FROM outbox_message WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      this.published += rows.length;
      messagingMetrics().published.add(rows.length);
      this.lastSuccessAt = Date.now();
      this.lastError = null;
      const last = rows[rows.length - 1];
      const first = rows[0];
      this.backlog = rows.length < this.batchSize || !last || !first ? 0 : rows.length;
      return rows.length;
    });
  }

  /** Rows waiting, estimated cheaply from the id range (exact count is slow on a big backlog). */
  async estimateBacklog(): Promise<number> {
    const [r] = (await this.ds.query('SELECT coalesce(max(id) - min(id) + 1, 0)::bigint AS n FROM outbox_message')) as {
      n: string;
    }[];
    return Number(r?.n ?? 0);
  }

  isHealthy(maxStallMs = 60000): boolean {
    return this.lastError === null || Date.now() - this.lastSuccessAt < maxStallMs;
  }

  private sleepUntilKicked(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}

export function isRetryable(e: unknown): boolean {
  return isTransientError(e);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
