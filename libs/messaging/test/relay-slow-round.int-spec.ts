// A relay round that waits on Kafka longer than the pool's idle-in-transaction bound (10 s) must
// still delete what Kafka acknowledged: otherwise the same rows are published round after round and
// never leave the outbox (a livelock the zone-outage drill hit on a busy machine).
import { DataSource } from 'typeorm';
import { TestDatabase, createTestDatabase, untilTime } from '@platform/testing';
import { migrate, serviceDataSourceOptions } from '@platform/persistence';
import { messagingMigrations, OutboxRelay, OutgoingRecord, SafePublisher } from '../src';

jest.setTimeout(60_000);

/** Kafka that takes 12 s (past the pool's 10 s idle bound) to acknowledge each publish (records what it was asked to send). */
class SlowKafka {
  published: OutgoingRecord[][] = [];
  async publish(records: readonly OutgoingRecord[]): Promise<void> {
    await untilTime(Date.now() + 12_000);
    this.published.push([...records]);
  }
  async maxRecordBytes(): Promise<number> {
    return 1_000_000;
  }
}

describe('OutboxRelay round slower than idle_in_transaction_session_timeout', () => {
  let db: TestDatabase;
  let ds: DataSource;
  beforeAll(async () => {
    db = await createTestDatabase('slowround');
    ds = new DataSource(serviceDataSourceOptions({ url: db.url, migrations: messagingMigrations, applicationName: 'slow-round-test' }));
    await ds.initialize();
    await migrate(ds);
  });
  afterAll(async () => {
    await ds?.destroy();
    await db?.drop();
  });

  it('deletes the rows Kafka acknowledged after 12 s', async () => {
    const idle = (await ds.query(`SHOW idle_in_transaction_session_timeout`)) as { idle_in_transaction_session_timeout: string }[];
    expect(idle[0]?.idle_in_transaction_session_timeout).toBe('10s'); // the pool's bound this test outlasts
    await ds.query(`INSERT INTO outbox_message (topic, key, value, headers) VALUES ('t', 'k1', 'v1', '{}'), ('t', 'k2', 'v2', '{}')`);
    const kafka = new SlowKafka();
    const relay = new OutboxRelay(ds, kafka as unknown as SafePublisher);
    expect(await relay.publishOnce()).toBe(2);
    expect(kafka.published).toHaveLength(1);
    const left = (await ds.query(`SELECT count(*)::int AS n FROM outbox_message`)) as { n: number }[];
    expect(left[0]?.n).toBe(0);
  });
});
