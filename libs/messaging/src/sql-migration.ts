import type { MigrationInterface, QueryRunner } from 'typeorm';

/** One statement: SQL text, or SQL with the parameters it is sent with. */
export type SqlStatement = string | { sql: string; params: unknown[] };

export interface SqlMigrationSteps {
  /** Run in order, each awaited before the next. */
  up: readonly SqlStatement[];
  /** Run in order to revert `up`; empty where there is nothing to undo. */
  down: readonly SqlStatement[];
}

/**
 * A TypeORM migration that runs fixed statements, e.g.
 * `export class ClaimRequestHash1764800000100 extends sqlMigration('ClaimRequestHash1764800000100', { up: [...], down: [...] }) {}`.
 * `name` is what schema_migrations records (TypeORM reads the timestamp from its last 13 digits and
 * runs by it): a migration that ran somewhere keeps its name and its statements for good.
 */
export function sqlMigration(name: string, steps: SqlMigrationSteps): new () => MigrationInterface {
  if (!/\d{13}$/.test(name)) throw new Error(`migration name ${name} must end with its 13-digit timestamp`);
  return class SqlMigration implements MigrationInterface {
    readonly name = name;

    async up(q: QueryRunner): Promise<void> {
      await run(q, steps.up);
    }

    async down(q: QueryRunner): Promise<void> {
      await run(q, steps.down);
    }
  };
}

async function run(q: QueryRunner, statements: readonly SqlStatement[]): Promise<void> {
  for (const s of statements) {
    if (typeof s === 'string') await q.query(s);
    else await q.query(s.sql, s.params);
  }
}
