import fs from 'node:fs';
import path from 'node:path';
import { DataSource, MigrationExecutor, type Migration, type MigrationInterface, type QueryRunner } from 'typeorm';
import { sqlMigration } from './sql-migration';

// Every migration a service runs at boot must keep doing what it did when databases ran it:
// schema_migrations holds its name (and the timestamp TypeORM reads from the name's last 13
// digits), so a rename or another statement would be run again, skipped, or silently differ
// between databases migrated before and after. The snapshot was recorded from the migrations as
// first written; a new migration is added to it with RECORD_MIGRATION_STATEMENTS=1 (recorded
// entries are never rewritten).
const ROOT = path.resolve(__dirname, '../../..');
const SNAPSHOT = path.join(__dirname, 'sql-migration.snapshot.json');

type MigrationClass = new () => MigrationInterface;
/** The arguments of each q.query call, in order. */
type Calls = unknown[][];
interface Recorded {
  className: string;
  timestamp: number;
  transaction: boolean | null;
  up: Calls;
  down: Calls;
}
interface Snapshot {
  lists: Record<string, string[]>;
  migrations: Record<string, Recorded>;
}

const isMigrationList = (v: unknown): v is MigrationClass[] =>
  Array.isArray(v) && v.length > 0 && v.every((m) => typeof m === 'function' && typeof m.prototype?.up === 'function');

/**
 * The migration list each app's Nest module exports (e.g. claimsMigrations), loaded by path: a
 * library may not import apps, and these are the very lists the services hand to TypeORM.
 */
async function serviceLists(): Promise<Map<string, MigrationClass[]>> {
  const lists = new Map<string, MigrationClass[]>();
  for (const app of fs.readdirSync(path.join(ROOT, 'apps')).sort()) {
    const src = path.join(ROOT, 'apps', app, 'src');
    const modules = fs.existsSync(src) ? fs.readdirSync(src).filter((f) => f.endsWith('.module.ts')) : [];
    for (const file of modules) {
      const exported = Object.values((await import(path.join(src, file))) as Record<string, unknown>);
      exported.filter(isMigrationList).forEach((list, i) => lists.set(i === 0 ? app : `${app}#${i}`, list));
    }
  }
  return lists;
}

/** A QueryRunner that only records q.query calls: a migration that needs anything else fails here. */
function recordingRunner(calls: Calls): QueryRunner {
  const query = async (...args: unknown[]) => {
    calls.push(JSON.parse(JSON.stringify(args)) as unknown[]);
    return [];
  };
  return new Proxy({} as QueryRunner, {
    get: (_, prop) => {
      if (prop === 'query') return query;
      if (prop === 'then') return undefined;
      throw new Error(`migration used QueryRunner.${String(prop)}: only query() is recorded`);
    },
  });
}

/** Name, timestamp and order as TypeORM itself derives them from the list (no database needed). */
async function asTypeorm(list: MigrationClass[]): Promise<Migration[]> {
  const ds = new DataSource({ type: 'postgres', migrations: list });
  await (ds as unknown as { buildMetadatas(): Promise<void> }).buildMetadatas();
  return (new MigrationExecutor(ds) as unknown as { getMigrations(): Migration[] }).getMigrations();
}

async function record(list: MigrationClass[]): Promise<{ order: string[]; migrations: Record<string, Recorded> }> {
  const migrations: Record<string, Recorded> = {};
  for (const m of await asTypeorm(list)) {
    const up: Calls = [];
    const down: Calls = [];
    const instance = m.instance as MigrationInterface;
    await instance.up(recordingRunner(up));
    await instance.down(recordingRunner(down));
    migrations[m.name] = {
      className: instance.constructor.name,
      timestamp: m.timestamp,
      transaction: instance.transaction ?? null,
      up,
      down,
    };
  }
  return { order: Object.keys(migrations), migrations };
}

async function current(): Promise<Snapshot> {
  const now: Snapshot = { lists: {}, migrations: {} };
  for (const [app, list] of await serviceLists()) {
    const { order, migrations } = await record(list);
    now.lists[app] = order;
    for (const [name, r] of Object.entries(migrations)) {
      // one class shared by several services (messaging, ops audit) must mean one thing everywhere
      if (now.migrations[name]) expect(r).toEqual(now.migrations[name]);
      now.migrations[name] = r;
    }
  }
  return now;
}

/** Adds what the snapshot lacks; a recorded migration, or the recorded start of a list, stays. */
function recordNew(was: Snapshot, now: Snapshot): Snapshot {
  const merged: Snapshot = { lists: { ...was.lists }, migrations: { ...now.migrations, ...was.migrations } };
  for (const [app, order] of Object.entries(now.lists)) {
    const before = was.lists[app] ?? [];
    if (before.some((name, i) => order[i] !== name)) throw new Error(`${app}: recorded migrations changed order or went away`);
    merged.lists[app] = order;
  }
  return merged;
}

const recorded = (): Snapshot =>
  (fs.existsSync(SNAPSHOT) ? JSON.parse(fs.readFileSync(SNAPSHOT, 'utf8')) : { lists: {}, migrations: {} }) as Snapshot;

describe('service migrations', () => {
  it('run the recorded statements under the recorded names, in the recorded order', async () => {
    const now = await current();
    if (process.env.RECORD_MIGRATION_STATEMENTS) fs.writeFileSync(SNAPSHOT, `${JSON.stringify(recordNew(recorded(), now), null, 2)}\n`);
    const was = recorded();
    expect(Object.keys(now.lists).length).toBeGreaterThanOrEqual(6);
    expect(now).toEqual(was);
  });
});

describe('sqlMigration', () => {
  class AddColumn1764000000000 extends sqlMigration('AddColumn1764000000000', {
    up: [`ALTER TABLE t ADD COLUMN c text`, { sql: `UPDATE t SET c = $1`, params: ['x'] }],
    down: [`ALTER TABLE t DROP COLUMN c`],
  }) {}

  it('runs its statements in order, parameters only where given', async () => {
    const up: Calls = [];
    const down: Calls = [];
    const m = new AddColumn1764000000000();
    await m.up(recordingRunner(up));
    await m.down(recordingRunner(down));
    expect(up).toEqual([[`ALTER TABLE t ADD COLUMN c text`], [`UPDATE t SET c = $1`, ['x']]]);
    expect(down).toEqual([[`ALTER TABLE t DROP COLUMN c`]]);
  });

  it('is recorded under its name and the timestamp at its end, in its own class', async () => {
    const [m] = await asTypeorm([AddColumn1764000000000]);
    expect({ name: m.name, timestamp: m.timestamp, className: m.instance?.constructor.name }).toEqual({
      name: 'AddColumn1764000000000',
      timestamp: 1764000000000,
      className: 'AddColumn1764000000000',
    });
  });

  it('waits for each statement before the next', async () => {
    const order: string[] = [];
    let release: () => void = () => undefined;
    const q = {
      query: (sql: string) => {
        order.push(`start ${sql}`);
        return sql === 'a' ? new Promise<void>((r) => (release = () => (order.push('end a'), r()))) : Promise.resolve();
      },
    } as unknown as QueryRunner;
    const running = new (sqlMigration('Two1764000000000', { up: ['a', 'b'], down: [] }))().up(q);
    await Promise.resolve();
    expect(order).toEqual(['start a']);
    release();
    await running;
    expect(order).toEqual(['start a', 'end a', 'start b']);
  });

  it('refuses a name without its 13-digit timestamp (TypeORM orders and records by it)', () => {
    expect(() => sqlMigration('AddColumn', { up: [], down: [] })).toThrow('must end with its 13-digit timestamp');
  });
});
