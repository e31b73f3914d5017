// Set comparison across databases without moving rows: each side computes, in one aggregate
// query, the count and the sum of a 64-bit hash of every element of a multiset (for example
// "claim id | emoticon id" per expected and per granted entitlement). Equal multisets give equal
// fingerprints; a missing, extra or duplicated element changes the sum (a false match needs a
// 64-bit collision of sums). Only when fingerprints differ are rows streamed, sorted by key on both
// sides through server-side cursors (100k rows per fetch, memory bounded by one chunk), and
// merge-joined to name the keys that differ.
import type { AuditDb } from './db';
import { num } from './checks/types';

export interface Fingerprint {
  n: number;
  h: string;
}

/** SQL for the fingerprint of `expr` over `from` (a FROM ... WHERE ... tail). */
export function fingerprintSql(expr: string, from: string): string {
  return `SELECT count(*)::bigint AS n, coalesce(sum(hashtextextended(${expr}, 0)::numeric), 0)::text AS h ${from}`;
}

export async function fingerprint(db: AuditDb, sql: string, params: unknown[]): Promise<Fingerprint> {
  const r = await db.one<{ n: string; h: string }>(sql, params);
  return { n: num(r.n), h: r.h };
}

export const sameFingerprint = (a: Fingerprint, b: Fingerprint): boolean => a.n === b.n && a.h === b.h;

export interface KeyCount {
  k: string;
  n: number;
}

/** Rows of `sql` (which must be ordered by k COLLATE "C") in chunks, through a cursor in a read-only transaction. */
export async function* cursor(db: AuditDb, sql: string, params: unknown[], chunk = 100_000): AsyncGenerator<KeyCount[]> {
  const name = `audit_${Math.random().toString(36).slice(2, 10)}`;
  await db.query('BEGIN READ ONLY');
  try {
    await db.query(`DECLARE ${name} NO SCROLL CURSOR FOR ${sql}`, params);
    for (;;) {
      const rows = await db.query<{ k: string; n: string | number }>(`FETCH ${chunk} FROM ${name}`);
      if (rows.length === 0) break;
      yield rows.map((r) => ({ k: r.k, n: num(r.n) }));
    }
    await db.query(`CLOSE ${name}`);
  } finally {
    await db.query('COMMIT');
  }
}

async function* flat(chunks: AsyncIterable<KeyCount[]>): AsyncGenerator<KeyCount> {
  for await (const c of chunks) yield* c;
}

export interface KeyDiff {
  /** Keys expected but absent. */
  missing: number;
  /** Keys present but not expected. */
  unexpected: number;
  /** Keys on both sides with different counts. */
  wrongCount: number;
  examples: string[];
}

/** Merge-join of two key-sorted streams (bytewise order, as COLLATE "C" gives) of per-key counts. */
export async function diffKeyCounts(
  expected: AsyncIterable<KeyCount[]>,
  actual: AsyncIterable<KeyCount[]>,
  maxExamples = 5,
): Promise<KeyDiff> {
  const a = flat(expected)[Symbol.asyncIterator]();
  const b = flat(actual)[Symbol.asyncIterator]();
  const d: KeyDiff = { missing: 0, unexpected: 0, wrongCount: 0, examples: [] };
  const note = (s: string): void => {
    if (d.examples.length < maxExamples) d.examples.push(s);
  };
  let x = await a.next();
  let y = await b.next();
  while (!x.done || !y.done) {
    if (y.done || (!x.done && x.value.k < y.value.k)) {
      const v = x.value as KeyCount;
      d.missing++;
      note(`${v.k}: expected ${v.n}, found none`);
      x = await a.next();
    } else if (x.done || y.value.k < x.value.k) {
      d.unexpected++;
      note(`${y.value.k}: ${y.value.n} found, none expected`);
      y = await b.next();
    } else {
      if (x.value.n !== y.value.n) {
        d.wrongCount++;
        note(`${x.value.k}: expected ${x.value.n}, found ${y.value.n}`);
      }
      x = await a.next();
      y = await b.next();
    }
  }
  return d;
}

export function describeDiff(d: KeyDiff, what: string): string {
  return `${d.missing} ${what} missing, ${d.unexpected} unexpected, ${d.wrongCount} with a wrong count${d.examples.length ? ` (e.g. ${d.examples.join('; ')})` : ''}`;
}
