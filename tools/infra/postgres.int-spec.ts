// The embedded-PostgreSQL fallback must work on machines without a database server; here a server
// runs on 5432, so PG_EMBEDDED=1 forces the embedded path. Uses its own data dir.
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { LOCAL_DIR } from './paths';
import { EMBEDDED_PG_PORT, embeddedPostgresPid, ensureDatabase, ensurePostgres, stopEmbeddedPostgres } from './postgres';
import { portOpen } from './processes';

jest.setTimeout(180_000);

const dataDir = path.join(LOCAL_DIR, 'test', `postgres-embedded-${process.pid}`);

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

describe('embedded PostgreSQL (PG_EMBEDDED=1)', () => {
  const saved = process.env.PG_EMBEDDED;
  let port = EMBEDDED_PG_PORT;

  beforeAll(async () => {
    process.env.PG_EMBEDDED = '1';
    // 54329 is the embedded port; if a developer's embedded server already holds it, do not fight it.
    if (await portOpen(EMBEDDED_PG_PORT)) port = await freePort();
  });

  afterAll(async () => {
    await stopEmbeddedPostgres({ dataDir, purge: true });
    if (saved === undefined) delete process.env.PG_EMBEDDED;
    else process.env.PG_EMBEDDED = saved;
  });

  it('initialises, starts detached, serves a new database, and stops', async () => {
    const pg = await ensurePostgres({ port, dataDir }); // DATABASE_URL from npm test is ignored when forced
    expect(pg).toMatchObject({ embedded: true, started: true });
    expect(pg.databaseUrl).toContain(`:${port}/`);
    expect(fs.existsSync(path.join(dataDir, 'PG_VERSION'))).toBe(true);
    const pid = embeddedPostgresPid(dataDir);
    expect(pid).not.toBeNull();

    // Idempotent: a second call finds the running server.
    await expect(ensurePostgres({ port, dataDir })).resolves.toMatchObject({ embedded: true, started: false });

    const dbUrl = await ensureDatabase(pg.databaseUrl, 'embedded_check');
    const c = new Client({ connectionString: dbUrl });
    await c.connect();
    try {
      const r = await c.query<{ db: string; v: string }>('select current_database() as db, current_setting($1) as v', [
        'server_version_num',
      ]);
      expect(r.rows[0]?.db).toBe('embedded_check');
      expect(Number(r.rows[0]?.v)).toBeGreaterThanOrEqual(150000);
    } finally {
      await c.end();
    }

    await expect(stopEmbeddedPostgres({ dataDir })).resolves.toBe(true);
    expect(embeddedPostgresPid(dataDir)).toBeNull();
    expect(await portOpen(port)).toBe(false);
  });
});
