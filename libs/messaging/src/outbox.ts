import { Logger } from '@nestjs/common';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { DataSource, EntityManager } from 'typeorm';
import { isTransientError } from '@platform/persistence';
import { PublishRejected, SafePublisher } from './publisher';
import { headerListFromJson, headerListToJson, OutgoingRecord, recordSize } from './records';
import { messagingMetrics } from './metrics';

/** Writes records into the outbox inside the caller's transaction (one statement per call). */
export async function appendToOutbox(manager: EntityManager, records: readonly OutgoingRecord[]): Promise<void> {
  if (records.length === 0) return;
  const topics: string[] = [];
  const keys: (Buffer | null)[] = [];
  const values: (Buffer | null)[] = [];
  const headers: string[] = [];
  const lists: (string | null)[] = [];
  const sizes: number[] = [];
  for (const r of records) {
    topics.push(r.topic);
    keys.push(r.key === null ? null : Buffer.isBuffer(r.key) ? r.key : Buffer.from(r.key, 'utf8'));
    values.push(r.value);
    headers.push(JSON.stringify(r.headers));
    lists.push(r.headerList ? JSON.stringify(headerListToJson(r.headerList)) : null);
    sizes.push(recordSize(r));
  }
  await manager.query(
    `INSERT INTO outbox_message (topic, key, value, headers, header_list, size_bytes)
     SELECT * FROM unnest($1::text[], $2::bytea[], $3::bytea[], $4::jsonb[], $5::jsonb[], $6::int[])`,
    [topics, keys, values, headers, lists, sizes],
  );
}

interface OutboxRow {
  id: string;
  topic: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  header_list: unknown;
  created_at: Date;
}

function toRecord(r: OutboxRow): OutgoingRecord {
  return {
    topic: r.topic,
    key: r.key,
    value: r.value,
    headers: r.headers,
    headerList: r.header_list ? headerListFromJson(r.header_list) : undefined,
  };
}

export interface RelayOptions {
  /** Rows per publish round. */
  batchSize?: number;
  /** Bytes per publish round (a round's rows are held in memory and sent together). */
  maxRoundBytes?: number;
  /** Poll interval when idle (other processes may write too); a local kick is immediate. */
  idlePollMs?: number;
  /** Advisory lock key: one relay per database publishes at a time, so per-key order holds. */
  lockKey?: number;
  /** How long one round's transaction may wait for Kafka before Postgres ends it (ms). */
  maxRoundMs?: number;
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
  private readonly maxRoundBytes: number;
  private readonly idlePollMs: number;
  private readonly lockKey: number;
  private readonly maxRoundMs: number;
  /** After a round failed for a reason other than an unreachable broker: send row by row to find the culprit. */
  private isolating = false;
  lastSuccessAt = Date.now();
  lastError: string | null = null;
  backlog = 0;
  published = 0;
  quarantined = 0;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: SafePublisher,
    options: RelayOptions = {},
  ) {
    this.batchSize = options.batchSize ?? 5000;
    this.maxRoundBytes = options.maxRoundBytes ?? 8 * 1024 * 1024;
    this.idlePollMs = options.idlePollMs ?? 100;
    this.lockKey = options.lockKey ?? 727002;
    this.maxRoundMs = Math.max(10_000, Math.round(options.maxRoundMs ?? 180_000));
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

  /** One round: returns how many rows were published (or quarantined). */
  async publishOnce(): Promise<number> {
    return this.ds.transaction(async (m) => {
      const [{ locked }] = (await m.query('SELECT pg_try_advisory_xact_lock($1) AS locked', [this.lockKey])) as {
        locked: boolean;
      }[];
      if (!locked) return 0;
      // The round holds no row lock until its final DELETE, only its own advisory lock, so the
      // pool's short idle-in-transaction bound (meant for frozen holders of row locks) must not end
      // it while Kafka acknowledges: a round slower than that (a busy machine, a leader election)
      // would be published again and again and never deleted (seen in the zone-outage drill).
      await m.query(`SET LOCAL idle_in_transaction_session_timeout = ${this.maxRoundMs}`);
      // Bounded by rows and by bytes (the first row always goes, whatever its size).
      const rows = (await m.query(
        `WITH head AS (
           SELECT id, coalesce(size_bytes, octet_length(value) + coalesce(octet_length(key), 0) + 256) AS size
             FROM outbox_message ORDER BY id LIMIT $1
         ), cut AS (
           SELECT id FROM (SELECT id, sum(size) OVER (ORDER BY id) - size AS before FROM head) s WHERE before < $2
         )
         SELECT o.id, o.topic, o.key, o.value, o.headers, o.header_list, o.created_at
           FROM outbox_message o JOIN cut USING (id) ORDER BY o.id`,
        [this.isolating ? 1 : this.batchSize, this.maxRoundBytes],
      )) as OutboxRow[];
      if (rows.length === 0) {
        this.backlog = 0;
        this.isolating = false;
        this.lastSuccessAt = Date.now();
        return 0;
      }
      const records = rows.map(toRecord);
      // A record Kafka would refuse for its size never goes out: it would fail forever and block
      // every row behind it. It is quarantined with the reason instead.
      const tooLarge: { row: OutboxRow; reason: string }[] = [];
      const sendable: { row: OutboxRow; record: OutgoingRecord }[] = [];
      const limits = new Map<string, number>();
      for (const t of new Set(rows.map((r) => r.topic))) limits.set(t, await this.publisher.maxRecordBytes(t));
      for (const [i, row] of rows.entries()) {
        const record = records[i] as OutgoingRecord;
        const limit = limits.get(row.topic) as number;
        const size = recordSize(record);
        if (size > limit) tooLarge.push({ row, reason: `TOO_LARGE_FOR_BROKER: ${size} bytes, limit ${limit} for ${row.topic}` });
        else sendable.push({ row, record });
      }
      if (tooLarge.length > 0) await this.quarantine(m, tooLarge);
      const span = trace.getTracer('messaging').startSpan('outbox publish', {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.batch.message_count': sendable.length },
      });
      try {
        await context.with(trace.setSpan(context.active(), span), () => this.publisher.publish(sendable.map((x) => x.record)));
      } catch (e) {
        if (!(e instanceof PublishRejected) || !this.isolating) {
          // Not yet known which row Kafka refuses (or the broker is just unreachable): retry; a
          // refusal makes the next rounds go row by row.
          if (e instanceof PublishRejected) this.isolating = true;
          throw e;
        }
        // Row by row, and Kafka refused this one for what it is: quarantine it, move on.
        await this.quarantine(
          m,
          sendable.map((x) => ({ row: x.row, reason: `REJECTED_BY_BROKER: ${e.message}`.slice(0, 2000) })),
        );
        return rows.length;
      } finally {
        span.end();
      }
      await m.query('DELETE FROM outbox_message WHERE id = ANY($1::bigint[])', [sendable.map((x) => x.row.id)]);
      this.published += sendable.length;
      if (sendable.length > 0) messagingMetrics().published.add(sendable.length);
      this.lastSuccessAt = Date.now();
      this.lastError = null;
      this.isolating = false;
      this.backlog = rows.length < this.batchSize ? 0 : rows.length;
      return rows.length;
    });
  }

  /** Moves rows Kafka will never take to outbox_quarantine, with the reason, in the round's transaction. */
  private async quarantine(m: EntityManager, bad: { row: OutboxRow; reason: string }[]): Promise<void> {
    for (const { row, reason } of bad) {
      await m.query(
        `INSERT INTO outbox_quarantine (id, topic, key, value, headers, header_list, created_at, reason)
         SELECT id, topic, key, value, headers, header_list, created_at, $2 FROM outbox_message WHERE id = $1
         ON CONFLICT (id) DO NOTHING`,
        [row.id, reason],
      );
      await m.query('DELETE FROM outbox_message WHERE id = $1', [row.id]);
      this.log.error(`outbox row ${row.id} for ${row.topic} quarantined: ${reason}`);
    }
    this.quarantined += bad.length;
    messagingMetrics().quarantined.add(bad.length);
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
