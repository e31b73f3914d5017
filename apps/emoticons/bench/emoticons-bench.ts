// Measures the emoticons service on real Kafka + Postgres, in an isolated test database and topic
// prefix (dropped afterwards):
//   node tools/run.js apps/emoticons/bench/emoticons-bench.ts [claims=20000] [tableRows=1500000] [due=50000]
// 0. handler cost without Kafka: 1000-message chunks handed straight to the handlers in a transaction;
// 1. grant throughput: `claims` ACCEPTED decisions published at once, time until all entitlements exist;
// 2. download throughput: one first download per granted claim, time until all are decided;
// 3. sweep cost on a big table: `tableRows` entitlements, `due` of them past their end; EXPLAIN of
//    one sweep batch and the time sweepOnce() takes to expire them all (events into the outbox).
import { ROOT_CONTEXT } from '@opentelemetry/api';
import { Client } from 'pg';
import { PayloadOf } from '@platform/contracts';
import { InboundMessage, ManualClock, MessagingRuntime } from '@platform/messaging';
import { createTestDatabase, createTestTopics, deleteTestTopics, waitFor } from '@platform/testing';
import { createEmoticonsApp } from '../src/app';
import { DownloadHandler } from '../src/entitlements/download.handler';
import { ExpirySweep } from '../src/entitlements/expiry.sweep';
import { GrantHandler } from '../src/entitlements/grant.handler';
import { acceptedDecision, download, Feeder, testConfig } from '../test/helpers';

const [claims = 20_000, tableRows = 1_500_000, due = 50_000] = process.argv.slice(2).map(Number);
const T0 = new Date('2023-01-10T03:00:00Z');

async function main(): Promise<void> {
  const db = await createTestDatabase('emoticons_bench');
  const prefix = await createTestTopics('emoticons-bench');
  const clock = new ManualClock(T0);
  const config = testConfig(db, prefix, { CONSUMER_CHUNK_SIZE: '1000', EMOTICON_SWEEP_BATCH_SIZE: '1000', EMOTICON_SWEEP_MAX_BATCHES: '100000' });
  const app = await createEmoticonsApp(config, { clock });
  await app.init();
  const pg = new Client({ connectionString: db.url });
  await pg.connect();
  const feeder = new Feeder(prefix);
  const count = async (sql: string): Promise<number> => Number((await pg.query<{ n: string }>(sql)).rows[0]?.n ?? 0);
  try {
    // 0. handlers alone
    const runtime = app.get(MessagingRuntime);
    const asMessages = <T>(values: T[]): InboundMessage<T>[] =>
      values.map((value, i) => ({ topic: 't', partition: 0, offset: String(i), key: null, rawKey: null, value, rawValue: null, headers: {}, headerList: [], timestamp: new Date(), rawTimestamp: String(Date.now()), trace: ROOT_CONTEXT }));
    const chunks = 10;
    let t = Date.now();
    for (let c = 0; c < chunks; c++) {
      const msgs = asMessages(Array.from({ length: 1000 }, (_, i): PayloadOf<'claimDecided'> => acceptedDecision(`direct-${c}-${i}`)));
      await runtime.transaction((ctx) => app.get(GrantHandler).onClaimDecided(msgs, ctx));
    }
    let ms = Date.now() - t;
    console.log(`grant handler alone: ${chunks} chunks of 1000 decisions in ${ms} ms = ${Math.round(ms / chunks)} ms/chunk, ${Math.round((chunks * 1000 * 1000) / ms)} decisions/s`);
    t = Date.now();
    for (let c = 0; c < chunks; c++) {
      const msgs = asMessages(Array.from({ length: 1000 }, (_, i) => download(`direct-dl-${c}-${i}`, `direct-${c}-${i}`, 'broken-bear', T0)));
      await runtime.transaction((ctx) => app.get(DownloadHandler).onDownloaded(msgs, ctx));
    }
    ms = Date.now() - t;
    console.log(`download handler alone: ${chunks} chunks of 1000 first downloads in ${ms} ms = ${Math.round(ms / chunks)} ms/chunk, ${Math.round((chunks * 1000 * 1000) / ms)} downloads/s`);
    await waitFor('outbox drained', async () => (await count('SELECT count(*) AS n FROM outbox_message')) === 0, 600_000, 250);

    // 1. grants
    const decisions = Array.from({ length: claims }, (_, i) => acceptedDecision(`bench-${i}`));
    t = Date.now();
    for (let i = 0; i < decisions.length; i += 5000) await feeder.send('claimDecided', decisions.slice(i, i + 5000));
    const published = Date.now() - t;
    await waitFor('grants', async () => (await count(`SELECT count(*) AS n FROM entitlement WHERE account_id LIKE 'bench-%'`)) === claims * 3, 600_000, 250);
    const grantMs = Date.now() - t;
    console.log(`grants: ${claims} decisions (published in ${published} ms) -> ${claims * 3} entitlements in ${grantMs} ms = ${Math.round((claims / grantMs) * 1000)} decisions/s`);

    // 2. downloads
    const downloads = Array.from({ length: claims }, (_, i) => download(`dl-${i}`, `bench-${i}`, 'tosimi-tomungi', T0));
    t = Date.now();
    for (let i = 0; i < downloads.length; i += 5000) await feeder.send('emoticonDownloaded', downloads.slice(i, i + 5000));
    await waitFor('downloads', async () => (await count(`SELECT count(*) AS n FROM download WHERE event_id LIKE 'dl-%'`)) === claims, 600_000, 250);
    const dlMs = Date.now() - t;
    console.log(`downloads: ${claims} first downloads -> activations in ${dlMs} ms = ${Math.round((claims / dlMs) * 1000)} downloads/s`);

    // 3. sweep on a big table: a third permanent, a third never downloaded, a third running clocks
    t = Date.now();
    const extra = Math.max(0, tableRows - claims * 3);
    const running = Math.floor(extra / 3);
    await pg.query(
      `INSERT INTO entitlement (entitlement_id, claim_id, claim_event_id, campaign_id, account_id, emoticon_id, name, position, validity_days,
                                state, granted_at, first_downloaded_at, expires_at)
       SELECT 'big-' || i, 'c-' || (i / 3), 'e-' || (i / 3), 'kakao-2023-heart-pack', 'big-' || (i / 3),
              (ARRAY['choonsik-friends-2', 'tosimi-tomungi', 'broken-bear'])[i % 3 + 1], 'pack', i % 3,
              CASE WHEN i % 3 = 0 THEN NULL ELSE 90 END,
              CASE WHEN i % 3 = 2 THEN 'GRANTED' ELSE 'ACTIVE' END,
              $1, CASE WHEN i % 3 = 2 THEN NULL ELSE $1::timestamptz END,
              CASE WHEN i % 3 = 1 THEN $1::timestamptz + interval '1 day' + ((i % 7776000) || ' seconds')::interval END
         FROM generate_series(0, $2::int - 1) AS i`,
      [T0, extra],
    );
    await pg.query('ANALYZE entitlement');
    console.log(`seeded ${extra} more entitlements (${running} running clocks) in ${Date.now() - t} ms; table now ${await count('SELECT count(*) AS n FROM entitlement')} rows`);

    // a `now` at which `due` running clocks are past their end
    const { rows } = await pg.query<{ at: Date }>(
      `SELECT expires_at AS at FROM entitlement WHERE state = 'ACTIVE' AND expires_at IS NOT NULL ORDER BY expires_at OFFSET $1 LIMIT 1`,
      [due],
    );
    const now = rows[0]?.at ?? new Date(T0.getTime() + 200 * 86_400_000);
    const plan = await pg.query<{ 'QUERY PLAN': string }>(
      `EXPLAIN (ANALYZE, BUFFERS) SELECT entitlement_id FROM entitlement WHERE state = 'ACTIVE' AND expires_at IS NOT NULL AND expires_at <= $1
        ORDER BY expires_at LIMIT 1000 FOR UPDATE SKIP LOCKED`,
      [now],
    );
    console.log(plan.rows.map((r) => `  ${r['QUERY PLAN']}`).join('\n'));
    const dueNow = await count(`SELECT count(*) AS n FROM entitlement WHERE state = 'ACTIVE' AND expires_at <= '${new Date(now).toISOString()}'`);
    clock.set(new Date(now));
    t = Date.now();
    const expired = await app.get(ExpirySweep).sweepOnce();
    const sweepMs = Date.now() - t;
    console.log(`sweep: expired ${expired} of ${dueNow} due in ${sweepMs} ms = ${Math.round((expired / sweepMs) * 1000)} entitlements/s (batches of 1000)`);
    t = Date.now();
    await waitFor('outbox drained', async () => (await count('SELECT count(*) AS n FROM outbox_message')) === 0, 600_000, 250);
    console.log(`relay published the expired events ${Date.now() - t} ms after the sweep`);
  } finally {
    await feeder.close();
    await app.close();
    await pg.end();
    await db.drop();
    await deleteTestTopics(prefix);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
