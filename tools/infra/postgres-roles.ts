// One Postgres role per service, owning only its database: no superuser, no CREATEDB/CREATEROLE,
// no CONNECT to another service's database (REVOKE CONNECT ... FROM PUBLIC). `audit_reader` may
// connect to every service database and read (pg_read_all_data, PG14+), never write. Migrations
// run as the owning role because the service connects as it. Created by `npm run infra:up` (and so
// by `npm start` and `npm test`/.ci/run); tests' per-suite databases keep using the superuser.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { PLATFORM_SERVICES, type PlatformService } from '@platform/contracts';
import { LOCAL_DIR } from './paths';

/** The database each service uses unless DB_NAME says otherwise (apps/<service>/src/config.ts). */
export const SERVICE_DATABASES: Readonly<Record<PlatformService, string>> = {
  claims: 'campaign_claims',
  emoticons: 'campaign_emoticons',
  coupons: 'campaign_coupons',
  'pass-dispatcher': 'campaign_passes',
  'merchant-relief': 'campaign_relief',
  'app-api': 'campaign_app_api',
};

export const AUDIT_READER = 'audit_reader';
export const PG_ROLES_FILE = path.join(LOCAL_DIR, 'credentials', 'postgres-roles.json');

/** A service's role name: the service name as a plain identifier (claims, pass_dispatcher, ...). */
export function serviceRole(service: PlatformService, rolePrefix = ''): string {
  return `${rolePrefix}${service.replace(/-/g, '_')}`;
}

export type PostgresPasswords = Record<string, string>;

/** Passwords of the roles, created once (mode 600) so DATABASE_URLs stay valid across restarts. */
export function postgresPasswords(roles: string[], file = PG_ROLES_FILE): PostgresPasswords {
  let stored: PostgresPasswords = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as PostgresPasswords;
  } catch {
    // first run
  }
  const out: PostgresPasswords = { ...stored };
  for (const r of roles) out[r] ??= crypto.randomBytes(18).toString('base64url');
  if (roles.some((r) => stored[r] === undefined)) {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`, { mode: 0o600 });
  }
  return out;
}

/** The server URL (database path `/postgres`) a role connects with; services replace the path with their own database. */
export function roleServerUrl(superuserUrl: string, role: string, password: string): string {
  const u = new URL(superuserUrl);
  u.username = role;
  u.password = password;
  u.pathname = '/postgres';
  return u.toString();
}

export interface ServiceRolesOptions {
  /** A superuser connection (the machine's trust-auth postgres, or the embedded server's). */
  superuserUrl: string;
  /** Database per service; default SERVICE_DATABASES (drills pass their own). */
  databases?: Partial<Record<PlatformService, string>>;
  /** Tests use their own role names so they never touch the real roles. */
  rolePrefix?: string;
  passwordsFile?: string;
}

export interface ServiceRoles {
  /** Server URL per service, as its own role. */
  urls: Record<PlatformService, string>;
  auditReaderUrl: string;
  roles: string[];
}

/**
 * Creates or updates the roles and databases (idempotent, under the infra lock). A database that
 * existed before (created by the superuser in an older checkout) is handed to its role together
 * with its tables, sequences and views, so the role's migrations can alter them.
 */
export async function ensureServiceRoles(o: ServiceRolesOptions): Promise<ServiceRoles> {
  const prefix = o.rolePrefix ?? '';
  if (prefix && PLATFORM_SERVICES.some((s) => !o.databases?.[s]))
    throw new Error('test roles need a database of their own for every service');
  const databases = { ...SERVICE_DATABASES, ...(o.databases ?? {}) };
  const reader = `${prefix}${AUDIT_READER}`;
  const roles = [...PLATFORM_SERVICES.map((s) => serviceRole(s, prefix)), reader];
  const passwords = postgresPasswords(roles, o.passwordsFile);
  const admin = new Client({ connectionString: o.superuserUrl });
  await admin.connect();
  const id = (x: string) => admin.escapeIdentifier(x);
  try {
    for (const role of roles) {
      const exists = (await admin.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [role])).rowCount === 1;
      const attrs = 'LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS';
      // CREATE/ALTER ROLE take no bind parameters: the password is our own base64url string
      await admin.query(
        `${exists ? 'ALTER' : 'CREATE'} ROLE ${id(role)} WITH ${attrs} PASSWORD ${admin.escapeLiteral(passwords[role] as string)}`,
      );
    }
    await admin.query(`GRANT pg_read_all_data TO ${id(reader)}`);
    for (const service of PLATFORM_SERVICES) {
      const role = serviceRole(service, prefix);
      const db = databases[service];
      if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [db])).rowCount === 0) {
        await admin.query(`CREATE DATABASE ${id(db)} OWNER ${id(role)}`).catch((e: { code?: string }) => {
          if (e.code !== '42P04') throw e; // created concurrently
        });
      }
      await admin.query(`ALTER DATABASE ${id(db)} OWNER TO ${id(role)}`);
      await admin.query(`REVOKE ALL ON DATABASE ${id(db)} FROM PUBLIC`);
      await admin.query(`GRANT CONNECT, TEMPORARY ON DATABASE ${id(db)} TO ${id(role)}`);
      await admin.query(`GRANT CONNECT ON DATABASE ${id(db)} TO ${id(reader)}`);
      await handOver(o.superuserUrl, db, role);
    }
  } finally {
    await admin.end();
  }
  const urls = Object.fromEntries(
    PLATFORM_SERVICES.map((s) => [s, roleServerUrl(o.superuserUrl, serviceRole(s, prefix), passwords[serviceRole(s, prefix)] as string)]),
  ) as Record<PlatformService, string>;
  return { urls, auditReaderUrl: roleServerUrl(o.superuserUrl, reader, passwords[reader] as string), roles };
}

/** Gives the role what the superuser created in the database's public schema (older checkouts ran migrations as postgres). */
async function handOver(superuserUrl: string, db: string, role: string): Promise<void> {
  const u = new URL(superuserUrl);
  u.pathname = `/${db}`;
  const c = new Client({ connectionString: u.toString() });
  await c.connect();
  try {
    const owned = await c.query<{ kind: string; name: string }>(
      `SELECT CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END AS kind,
              quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name
         FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'S', 'v', 'm')
          AND pg_get_userbyid(c.relowner) <> $1
          -- sequences owned by a column follow their table
          AND NOT (c.relkind = 'S' AND EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')))`,
      [role],
    );
    for (const o of owned.rows) await c.query(`ALTER ${o.kind} ${o.name} OWNER TO ${c.escapeIdentifier(role)}`);
    const types = await c.query<{ name: string }>(
      `SELECT quote_ident(n.nspname) || '.' || quote_ident(t.typname) AS name FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public' AND t.typtype IN ('e', 'd') AND pg_get_userbyid(t.typowner) <> $1`,
      [role],
    );
    for (const t of types.rows) await c.query(`ALTER TYPE ${t.name} OWNER TO ${c.escapeIdentifier(role)}`);
    const fns = await c.query<{ sig: string }>(
      `SELECT p.oid::regprocedure::text AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> $1`,
      [role],
    );
    for (const f of fns.rows) await c.query(`ALTER ROUTINE ${f.sig} OWNER TO ${c.escapeIdentifier(role)}`);
  } finally {
    await c.end();
  }
}

/** Drops roles made with a test prefix (their databases must be gone first). */
export async function dropTestRoles(superuserUrl: string, roles: string[]): Promise<void> {
  const admin = new Client({ connectionString: superuserUrl });
  await admin.connect();
  try {
    for (const r of roles) {
      if (!/^test_/.test(r)) throw new Error(`refusing to drop role ${r}`);
      await admin.query(`DROP ROLE IF EXISTS ${admin.escapeIdentifier(r)}`);
    }
  } finally {
    await admin.end();
  }
}

/**
 * The server URL a service connects with: its own role when infra:up created the roles (the
 * passwords file exists), else the given URL unchanged (an external DATABASE_URL, e.g. compose).
 */
export function serviceServerUrl(superuserUrl: string, service: PlatformService, file = PG_ROLES_FILE): string {
  const role = serviceRole(service);
  let stored: PostgresPasswords;
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as PostgresPasswords;
  } catch {
    return superuserUrl;
  }
  const pw = stored[role];
  return pw ? roleServerUrl(superuserUrl, role, pw) : superuserUrl;
}

/** audit_reader's server URL, or null before infra:up created the roles. */
export function auditReaderServerUrl(superuserUrl: string, file = PG_ROLES_FILE): string | null {
  try {
    const pw = (JSON.parse(fs.readFileSync(file, 'utf8')) as PostgresPasswords)[AUDIT_READER];
    return pw ? roleServerUrl(superuserUrl, AUDIT_READER, pw) : null;
  } catch {
    return null;
  }
}
