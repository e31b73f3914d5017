import type { IHeaders } from 'kafkajs';

/**
 * Headers exactly as they travel: repeated keys kept in order, values as bytes (any bytes), null
 * values kept. Dead letters carry these so nothing about the original is lost or re-encoded.
 */
export type HeaderList = [key: string, value: Buffer | null][];

/** A message on its way to Kafka, as stored in the outbox. */
export interface OutgoingRecord {
  /** Full topic name (prefix included). */
  topic: string;
  /** Bytes (dead letters keep the original key exactly) or a UTF-8 string (our own events). */
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /** Sent before `headers` (dead letters: the original headers, byte for byte). */
  headerList?: HeaderList;
}

export const DLQ_HEADERS = {
  reason: 'dlq-reason',
  sourceTopic: 'dlq-source-topic',
  sourcePartition: 'dlq-source-partition',
  sourceOffset: 'dlq-source-offset',
  sourceTimestamp: 'dlq-source-timestamp',
  consumerGroup: 'dlq-consumer-group',
  failedAt: 'dlq-failed-at',
  /**
   * Present when the original headers cannot be sent as they were (kafkajs cannot produce a null
   * header value): base64 JSON of the exact list, `[[key, base64 | null], ...]`, for replay.
   */
  originalHeaders: 'dlq-original-headers',
} as const;

/** kafkajs' decoded headers as an exact list (arrays are repeated keys, in order). */
export function headerListOf(headers: IHeaders | undefined): HeaderList {
  const out: HeaderList = [];
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    const values = Array.isArray(v) ? v : [v];
    for (const one of values) {
      if (one === undefined || one === null) out.push([k, null]);
      else out.push([k, Buffer.isBuffer(one) ? one : Buffer.from(String(one), 'utf8')]);
    }
  }
  return out;
}

/** Stored form (jsonb): values base64, null kept. */
export function headerListToJson(list: HeaderList): [string, string | null][] {
  return list.map(([k, v]) => [k, v === null ? null : v.toString('base64')]);
}

export function headerListFromJson(json: unknown): HeaderList {
  if (!Array.isArray(json)) return [];
  const out: HeaderList = [];
  for (const e of json) {
    if (!Array.isArray(e) || typeof e[0] !== 'string') continue;
    const v: unknown = e[1];
    out.push([e[0], typeof v === 'string' ? Buffer.from(v, 'base64') : null]);
  }
  return out;
}

/**
 * Headers for kafkajs: the list first (repeated keys as arrays), then the string headers. Null
 * values cannot be produced by kafkajs 2.2.4 (it measures them with Buffer.byteLength and throws),
 * so they are left out here and kept in `dlq-original-headers` by the dead-letter writer.
 */
export function toKafkaHeaders(list: HeaderList | undefined, strings: Record<string, string>): IHeaders {
  const out: Record<string, Buffer | string | (Buffer | string)[]> = {};
  const add = (k: string, v: Buffer | string): void => {
    const prev = out[k];
    if (prev === undefined) out[k] = v;
    else if (Array.isArray(prev)) prev.push(v);
    else out[k] = [prev, v];
  };
  for (const [k, v] of list ?? []) if (v !== null) add(k, v);
  for (const [k, v] of Object.entries(strings)) add(k, v);
  return out;
}

/** Bytes a record takes in a produce request (key, value, headers, per-record framing). */
export function recordSize(r: Pick<OutgoingRecord, 'key' | 'value' | 'headers' | 'headerList'>): number {
  let n = 32; // varints, attributes, timestamp and offset deltas: generous upper bound
  n += r.key === null ? 0 : Buffer.byteLength(r.key);
  n += r.value === null ? 0 : r.value.length;
  for (const [k, v] of r.headerList ?? []) n += 10 + Buffer.byteLength(k) + (v?.length ?? 0);
  for (const [k, v] of Object.entries(r.headers)) n += 10 + Buffer.byteLength(k) + Buffer.byteLength(v);
  return n;
}
