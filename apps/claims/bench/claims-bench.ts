// Accepted claims per second for the claims service alone: N valid claims (distinct accounts) are
// preloaded on an isolated topic, then the service is started and decides them; the rate is taken
// from the first to the last decision's Kafka timestamp (startup excluded).
//   node tools/run.js apps/claims/bench/claims-bench.ts [N=50000] [--out bench/claims.json]
// Prints one JSON line with `acceptedPerSecond` (`npm run bench` runs it and reads that line).
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bearer } from '@platform/auth/testing';
import { Topics } from '@platform/contracts';
import { createKafka, SafePublisher } from '@platform/messaging';
import { createTestDatabase, createTestTopics, deleteTestTopics, testInfra, testKafka, topicTimeSpan, uniqueSuffix, waitFor } from '@platform/testing';
import { createClaimsApp } from '../src/app';
import { loadClaimsConfig } from '../src/config';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const outFile = outAt >= 0 ? (args[outAt + 1] ?? 'bench/claims.json') : 'bench/claims.json';
const n = Number(args.find((a, i) => /^\d+$/.test(a) && i !== outAt + 1) ?? 50000);

void (async () => {
  const { brokers, databaseUrl } = testInfra();
  const db = await createTestDatabase('claims_bench');
  const prefix = await createTestTopics('claimsbench');
  const config = loadClaimsConfig({ DATABASE_URL: databaseUrl, DB_NAME: db.name, KAFKA_BROKERS: brokers.join(','), KAFKA_TOPIC_PREFIX: prefix, LOG_LEVEL: 'warn', CONSUMER_CONCURRENCY: process.env.CONSUMER_CONCURRENCY, CONSUMER_CHUNK_SIZE: process.env.CONSUMER_CHUNK_SIZE });
  // The seeded 2023 campaign is closed: create one around now through the service itself.
  const app = await createClaimsApp(config);
  await app.listen(0, '127.0.0.1');
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
  const campaignId = `bench-${uniqueSuffix()}`;
  const now = Date.now();
  await fetch(`${url}/campaigns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await bearer(config, 'ops', { subject: 'claims-bench' })) },
    body: JSON.stringify({
      campaignId,
      name: 'bench',
      opensAt: new Date(now - 3600_000).toISOString(),
      closesAt: new Date(now + 3600_000).toISOString(),
      rewards: { emoticons: [{ emoticonId: 'e', name: 'E', validityDays: null }], coupons: null, pass: null },
      relief: null,
    }),
  });
  await app.close();

  const publisher = new SafePublisher(createKafka({ brokers, clientId: 'claims-bench' }));
  const topic = prefix + Topics.claimRequested.name;
  for (let i = 0; i < n; i += 5000) {
    const batch = Array.from({ length: Math.min(5000, n - i) }, (_, k) => {
      const j = i + k;
      return { eventId: `b-${j}`, campaignId, accountId: `acct-${j}`, talkLinked: true, phoneNumber: '010-1234-5678', makersMember: j % 2 === 0, requestedAt: new Date().toISOString() };
    });
    await publisher.publish(batch.map((c) => ({ topic, key: c.accountId, value: Buffer.from(JSON.stringify(c)), headers: {} })));
  }
  await publisher.close();

  const app2 = await createClaimsApp(config);
  await app2.init();
  const out = prefix + Topics.claimDecided.name;
  const admin = testKafka().admin();
  await admin.connect();
  await waitFor('all decided', async () => (await admin.fetchTopicOffsets(out)).reduce((s, o) => s + Number(o.high), 0) >= n + 0, 900_000, 500);
  await admin.disconnect();
  const { seconds, marked: accepted } = await topicTimeSpan(out, n, '"ACCEPTED"');
  await app2.close();
  await db.drop();
  await deleteTestTopics(prefix).catch(() => undefined);
  const result = { benchmark: 'claims-service-alone', at: new Date().toISOString(), claims: n, accepted, seconds, acceptedPerSecond: Math.round(accepted / seconds), cpus: os.cpus().length, loadavg: os.loadavg() };
  console.log(JSON.stringify(result));
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify(result, null, 2)}\n`);
  process.exit(0);
})();
