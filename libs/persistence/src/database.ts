import { Client } from 'pg';

/** Replaces the database name in a server URL. */
export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

/** Creates the database if it does not exist yet (idempotent, safe for racing replicas). */
export async function ensureDatabase(serverUrl: string, database: string): Promise<void> {
  if (!/^[a-z0-9_]+$/.test(database)) throw new Error(`refusing database name ${database}`);
  const admin = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await admin.connect();
  try {
    const found = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      try {
        await admin.query(`CREATE DATABASE "${database}"`);
      } catch (e) {
        // 42P04 duplicate_database / 23505: another replica created it first.
        const code = (e as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw e;
      }
    }
  } finally {
    await admin.end();
  }
}

export async function dropDatabase(serverUrl: string, database: string): Promise<void> {
  assertTestDatabase(database);
  const admin = new Client({ connectionString: databaseUrl(serverUrl, 'postgres') });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** Tests may only create and drop databases whose name says so. */
export function assertTestDatabase(database: string): void {
  if (!/test/.test(database)) throw new Error(`refusing to touch non-test database ${database}`);
}
