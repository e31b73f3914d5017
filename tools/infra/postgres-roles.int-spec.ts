// Issue 15: a service's Postgres role owns its database and nothing else. Runs against the test
// Postgres with its own role names and databases (roles are cluster-wide: the real ones are untouched).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { PLATFORM_SERVICES, type PlatformService } from '@platform/contracts';
import { databaseUrl } from '@platform/persistence';
import { testInfra, uniqueSuffix } from '@platform/testing';
import { dropTestRoles, ensureServiceRoles, type ServiceRoles } from './postgres-roles';

jest.setTimeout(120_000);

describe('one Postgres role per service', () => {
  const superuser = databaseUrl(testInfra().databaseUrl, 'postgres');
  const sfx = uniqueSuffix();
  const databases = Object.fromEntries(PLATFORM_SERVICES.map((s) => [s, `test_roles_${s.replace(/-/g, '_')}_${sfx}`])) as Record<
    PlatformService,
    string
  >;
  let roles: ServiceRoles;

  async function as<T>(serverUrl: string, db: string, fn: (c: Client) => Promise<T>): Promise<T> {
    const c = new Client({ connectionString: databaseUrl(serverUrl, db) });
    c.on('error', () => undefined);
    await c.connect();
    try {
      return await fn(c);
    } finally {
      await c.end();
    }
  }
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'ok',
      (e: { code?: string }) => e.code ?? String(e),
    );

  beforeAll(async () => {
    // a table the superuser made before roles existed (an older checkout's migrations)
    const admin = new Client({ connectionString: superuser });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${databases.claims}`);
    await admin.end();
    await as(superuser, databases.claims, (c) => c.query('CREATE TABLE legacy (id serial PRIMARY KEY, v text)'));
    const passwordsFile = path.join(mkdtempSync(path.join(tmpdir(), 'pg-roles-')), 'roles.json');
    roles = await ensureServiceRoles({ superuserUrl: superuser, databases, rolePrefix: `test_${sfx}_`, passwordsFile });
    // idempotent: a second run (every infra:up) changes nothing and does not fail
    await ensureServiceRoles({ superuserUrl: superuser, databases, rolePrefix: `test_${sfx}_`, passwordsFile });
  });

  afterAll(async () => {
    const admin = new Client({ connectionString: superuser });
    await admin.connect();
    for (const db of Object.values(databases)) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    await admin.end();
    if (roles) await dropTestRoles(superuser, roles.roles);
  });

  it('lets a service migrate and use its own database, including tables the superuser made earlier', async () => {
    await as(roles.urls.claims, databases.claims, async (c) => {
      await c.query('CREATE TABLE claim_probe (id int PRIMARY KEY)');
      await c.query('INSERT INTO claim_probe VALUES (1)');
      await c.query('ALTER TABLE legacy ADD COLUMN added int');
      await c.query("INSERT INTO legacy (v) VALUES ('x')");
      expect((await c.query('SELECT current_user AS u')).rows[0].u).toBe(`test_${sfx}_claims`);
    });
  });

  it("refuses a service's role another service's database", async () => {
    expect(await code(as(roles.urls.claims, databases.coupons, (c) => c.query('SELECT 1')))).toBe('42501');
    expect(await code(as(roles.urls['pass-dispatcher'], databases.claims, (c) => c.query('SELECT 1')))).toBe('42501');
    // positive control: the owner gets in
    expect(await code(as(roles.urls.coupons, databases.coupons, (c) => c.query('SELECT 1')))).toBe('ok');
  });

  it('gives a service role no superuser powers: no roles, no databases', async () => {
    await as(roles.urls.claims, databases.claims, async (c) => {
      expect(await code(c.query(`CREATE ROLE test_${sfx}_intruder LOGIN`))).toBe('42501');
      expect(await code(c.query(`CREATE DATABASE test_${sfx}_intruder`))).toBe('42501');
      expect(await code(c.query(`ALTER ROLE test_${sfx}_claims SUPERUSER`))).toBe('42501');
      const r = await c.query('SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user');
      expect(r.rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    });
  });

  it('lets audit_reader read every service database and write none', async () => {
    await as(roles.auditReaderUrl, databases.claims, async (c) => {
      expect((await c.query('SELECT count(*)::int AS n FROM claim_probe')).rows[0].n).toBe(1);
      expect(await code(c.query('INSERT INTO claim_probe VALUES (2)'))).toBe('42501');
      expect(await code(c.query('CREATE TABLE reader_table (id int)'))).toBe('42501');
    });
    expect(await code(as(roles.auditReaderUrl, databases['merchant-relief'], (c) => c.query('SELECT 1')))).toBe('ok');
  });
});
