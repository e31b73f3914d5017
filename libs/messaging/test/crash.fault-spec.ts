import { INestApplication } from '@nestjs/common';
import { Client } from 'pg';
import { dlqName, Topics } from '@platform/contracts';
import {
  TcpProxy,
  TestDatabase,
  TopicCollector,
  createTestDatabase,
  createTestTopics,
  killHard,
  spawnTs,
  stopGracefully,
  testInfra,
  testKafka,
  untilTime,
  waitFor,
} from '@platform/testing';
import { createFixtureApp } from './fixture-app';
import { claim, ClaimFeeder } from './helpers';
import { highWatermarks, waitCollected } from './service-harness';

jest.setTimeout(180_000);

const FIXTURE = 'libs/messaging/test/fixture-app.ts';

async function effectStats(pg: Client): Promise<{ distinct: number; total: number; doubled: number }> {
  const r = await pg.query<{ distinct: string; total: string; doubled: string }>(
    `SELECT count(DISTINCT event_id) AS distinct, count(*) AS total,
            (SELECT count(*) FROM (SELECT event_id FROM fixture_effect GROUP BY event_id HAVING count(*) > 1) d) AS doubled
       FROM fixture_effect`,
  );
  const row = r.rows[0];
  return { distinct: Number(row?.distinct), total: Number(row?.total), doubled: Number(row?.doubled) };
}

describe('crashes and outages lose nothing and double nothing', () => {
  const { brokers } = testInfra();
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  async function setup(label: string) {
    const db: TestDatabase = await createTestDatabase(label);
    const prefix = await createTestTopics(label);
    const feeder = new ClaimFeeder(brokers, prefix);
    const pg = new Client({ connectionString: db.url });
    pg.on('error', () => undefined); // the database is dropped with FORCE at the end
    await pg.connect();
    const collector = await new TopicCollector([prefix + Topics.claimDecided.name, prefix + dlqName(Topics.claimRequested.name)]).start();
    cleanups.push(
      () => db.drop(),
      () => pg.end(),
      () => feeder.close(),
      () => collector.stop(),
    );
    const env = { DATABASE_URL: db.url, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix };
    return { db, prefix, feeder, pg, collector, env };
  }

  it('kill -9 of a consumer in the middle of a batch: every effect exists exactly once after restart', async () => {
    const s = await setup('crash_mid');
    const first = spawnTs(FIXTURE, { ...s.env, FIXTURE_SLOW_MS: '400', FIXTURE_CHUNK: '200' });
    cleanups.push(() => killHard(first));
    await waitFor('fixture ready', () => first.output.join('').includes('FIXTURE_READY'), 60000);
    await s.feeder.send(Array.from({ length: 4000 }, (_, i) => claim(i)));
    await waitFor('some effects', async () => (await effectStats(s.pg)).distinct >= 600, 60000);
    await killHard(first); // mid-batch: the handler sleeps 400 ms inside every transaction
    const before = await effectStats(s.pg);
    expect(before.distinct).toBeLessThan(4000);

    const second = spawnTs(FIXTURE, { ...s.env, FIXTURE_CHUNK: '500' });
    cleanups.push(() => killHard(second));
    await waitFor('all effects', async () => (await effectStats(s.pg)).distinct === 4000, 120000, 250);
    const decided = () => new Set(s.collector.on(s.prefix + Topics.claimDecided.name).map((m) => m.json<{ eventId: string }>().eventId));
    await waitFor('all decisions published', () => decided().size === 4000, 60000);
    const after = await effectStats(s.pg);
    expect(after).toEqual({ distinct: 4000, total: 4000, doubled: 0 });
    expect(s.collector.on(s.prefix + dlqName(Topics.claimRequested.name))).toHaveLength(0);
    await stopGracefully(second);
  });

  it('kill -9 between the DB commit and the outbox publish: published after restart, exactly once', async () => {
    const s = await setup('crash_outbox');
    const first = spawnTs(FIXTURE, { ...s.env, FIXTURE_RELAY: 'false' });
    cleanups.push(() => killHard(first));
    await waitFor('fixture ready', () => first.output.join('').includes('FIXTURE_READY'), 60000);
    await s.feeder.send(Array.from({ length: 300 }, (_, i) => claim(i)));
    await waitFor(
      '300 committed, none published',
      async () => {
        const r = await s.pg.query<{ n: string }>('SELECT count(*) AS n FROM outbox_message');
        return Number(r.rows[0]?.n) === 300;
      },
      60000,
    );
    expect(s.collector.on(s.prefix + Topics.claimDecided.name)).toHaveLength(0);
    await killHard(first);

    const second = spawnTs(FIXTURE, { ...s.env });
    cleanups.push(() => killHard(second));
    await waitFor('300 decisions', () => s.collector.on(s.prefix + Topics.claimDecided.name).length >= 300, 60000);
    await waitFor('outbox empty', async () => {
      const r = await s.pg.query<{ n: string }>('SELECT count(*) AS n FROM outbox_message');
      return Number(r.rows[0]?.n) === 0;
    });
    // drained: the outbox is empty (nothing left to publish) and the collector has read the topic up
    // to its end, so a late duplicate would be among what it holds now
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      await waitCollected(s.collector, await highWatermarks(admin, [s.prefix + Topics.claimDecided.name]), 60_000);
    } finally {
      await admin.disconnect();
    }
    const ids = s.collector.on(s.prefix + Topics.claimDecided.name).map((m) => m.json<{ eventId: string }>().eventId);
    expect(ids).toHaveLength(300);
    expect(new Set(ids).size).toBe(300);
    expect(await effectStats(s.pg)).toEqual({ distinct: 300, total: 300, doubled: 0 });
    await stopGracefully(second);
  });

  it('Postgres unreachable for a few seconds under load: retried, nothing dead-lettered, nothing lost', async () => {
    const s = await setup('pg_outage');
    const target = new URL(s.db.url);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    cleanups.push(() => proxy.stop());
    const viaProxy = new URL(s.db.url);
    viaProxy.port = String(proxy.port);
    const app: INestApplication = await createFixtureApp({ databaseUrl: viaProxy.toString(), brokers, prefix: s.prefix, chunkSize: 100 });
    cleanups.push(() => app.close());

    const sending = (async () => {
      for (let b = 0; b < 20; b++) {
        await s.feeder.send(Array.from({ length: 150 }, (_, i) => claim(b * 150 + i)));
        await untilTime(Date.now() + 250); // domain time: the load is spread over ~5 s, so the outage falls inside it
      }
    })();
    await waitFor('load flowing', async () => (await effectStats(s.pg)).distinct >= 300, 60000);
    proxy.block();
    await untilTime(Date.now() + 5000); // domain time: the outage lasts 5 s
    const during = await effectStats(s.pg);
    proxy.unblock();
    await sending;
    await waitFor('all 3000 effects', async () => (await effectStats(s.pg)).distinct === 3000, 120000, 250);
    expect(during.distinct).toBeLessThan(3000);
    expect(await effectStats(s.pg)).toEqual({ distinct: 3000, total: 3000, doubled: 0 });
    await waitFor(
      'all decisions',
      () => new Set(s.collector.on(s.prefix + Topics.claimDecided.name).map((m) => m.key)).size === 3000,
      60000,
    );
    expect(s.collector.on(s.prefix + dlqName(Topics.claimRequested.name))).toHaveLength(0);
  });
});
