import { TxContext } from '@platform/messaging';

/** The tables that keep one answer per inbound event (primary key event_id, the answer as jsonb). */
export type AnswerTable = 'relief_report' | 'review_decision' | 'evidence_submission';

/**
 * One answer per inbound event, whatever the kind: each repository inserts its answers with its own
 * columns (ON CONFLICT (event_id) DO NOTHING RETURNING event_id), this reads them back and settles
 * races the same way everywhere.
 */
export class AnswerRepository<A extends { eventId: string }> {
  constructor(private readonly table: AnswerTable) {}

  /** Answers already given to these events. */
  async find(ctx: TxContext, eventIds: string[]): Promise<Map<string, A>> {
    if (eventIds.length === 0) return new Map();
    const rows = await ctx.query<{ event_id: string; answer: A }>(`SELECT event_id, answer FROM ${this.table} WHERE event_id = ANY($1)`, [
      eventIds,
    ]);
    return new Map(rows.map((r) => [r.event_id, r.answer]));
  }

  /**
   * Stores answers with the kind's own columns: `sql` inserts `columns` as $1..$n, the answer as
   * $n+1 (jsonb[]) and the decision time as $n+2, ON CONFLICT (event_id) DO NOTHING RETURNING event_id.
   * Returns the answers as stored (see asStored).
   */
  async save<R extends { answer: A }>(ctx: TxContext, sql: string, rows: R[], columns: ((r: R) => unknown)[]): Promise<Map<string, A>> {
    if (rows.length === 0) return new Map();
    const inserted = await ctx.query<{ event_id: string }>(sql, [
      ...columns.map((f) => rows.map(f)),
      rows.map((r) => JSON.stringify(r.answer)),
      ctx.now,
    ]);
    return this.asStored(
      ctx,
      rows.map((r) => r.answer),
      inserted,
    );
  }

  /**
   * The answers as stored: ours where our insert went in (`inserted`), else the one another
   * transaction stored first for the same event, so one event never gets two different answers.
   */
  async asStored(ctx: TxContext, ours: A[], inserted: { event_id: string }[]): Promise<Map<string, A>> {
    const out = new Map(ours.map((a) => [a.eventId, a]));
    const done = new Set(inserted.map((r) => r.event_id));
    const lost = ours.map((a) => a.eventId).filter((id) => !done.has(id));
    if (lost.length > 0) for (const [id, answer] of await this.find(ctx, lost)) out.set(id, answer);
    return out;
  }
}

/** An amount as the producer sent it, for a numeric column: null unless it is a finite number. */
export const numericOrNull = (v: unknown): string | null => (typeof v === 'number' && Number.isFinite(v) ? String(v) : null);

/** The first message of each event not answered yet, in offset order (later copies get the same answer). */
export function unanswered<M extends { value: { eventId: string } }>(
  messages: readonly M[],
  answers: Map<string, unknown>,
): Map<string, M> {
  const fresh = new Map<string, M>();
  for (const m of messages) if (!answers.has(m.value.eventId) && !fresh.has(m.value.eventId)) fresh.set(m.value.eventId, m);
  return fresh;
}
