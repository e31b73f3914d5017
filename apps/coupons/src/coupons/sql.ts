import { EntityManager } from 'typeorm';

/**
 * Rows of an `UPDATE ... RETURNING` / `DELETE ... RETURNING`. TypeORM's Postgres driver returns
 * `[rows, affectedCount]` for those commands from `EntityManager.query` (and so from
 * `TxContext.query`), not the rows themselves as for SELECT and INSERT.
 */
export async function queryReturning<T>(m: EntityManager, sql: string, params: unknown[]): Promise<T[]> {
  const r = (await m.query(sql, params)) as unknown;
  if (Array.isArray(r) && r.length === 2 && Array.isArray(r[0]) && typeof r[1] === 'number') return r[0] as T[];
  return r as T[];
}
