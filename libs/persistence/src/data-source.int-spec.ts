import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { serviceDataSourceOptions } from './data-source';
import { databaseUrl, dropDatabase, ensureDatabase } from './database';

// (@platform/testing may not be used here: it depends on this lib.)
const server = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `test_pool_${randomUUID().slice(0, 8)}`;

describe('a service pool on a real Postgres', () => {
  let ds: DataSource;

  beforeAll(async () => {
    await ensureDatabase(server, name);
    ds = await new DataSource(
      serviceDataSourceOptions({ url: databaseUrl(server, name), migrations: [], applicationName: 'pool-test' }),
    ).initialize();
  });

  afterAll(async () => {
    await ds?.destroy();
    await dropDatabase(server, name);
  });

  it('sets the timeouts that keep a frozen or hung holder from stalling everyone', async () => {
    const show = async (name: string) => ((await ds.query(`SHOW ${name}`)) as Record<string, string>[])[0]?.[name];
    expect(await show('lock_timeout')).toBe('15s');
    expect(await show('idle_in_transaction_session_timeout')).toBe('10s');
    expect(await show('statement_timeout')).toBe('1min');
    expect(await show('application_name')).toBe('pool-test');
  });

  it('a lock waiter gives up with 55P03 (retried by the consumers) instead of waiting forever', async () => {
    const holder = ds.createQueryRunner();
    await holder.connect();
    await holder.query('CREATE TABLE IF NOT EXISTS pool_lock (id int PRIMARY KEY)');
    await holder.query('INSERT INTO pool_lock VALUES (1) ON CONFLICT DO NOTHING');
    await holder.startTransaction();
    await holder.query('SELECT * FROM pool_lock WHERE id = 1 FOR UPDATE');
    const started = Date.now();
    const waiter = ds
      .query(`SET lock_timeout = '500ms'; UPDATE pool_lock SET id = 1 WHERE id = 1`)
      .catch((e: { driverError?: { code?: string }; code?: string }) => e.driverError?.code ?? e.code);
    expect(await waiter).toBe('55P03');
    expect(Date.now() - started).toBeLessThan(5000);
    await holder.rollbackTransaction();
    await holder.release();
  });
});
