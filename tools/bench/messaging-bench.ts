// Messaging throughput benchmark (issue 3): consume -> transaction -> outbox -> publish with a
// trivial handler, compared in the same run with the plain-kafkajs ceiling and the stock NestJS
// Kafka transport used per message. Prints a table and writes bench/messaging.json.
//
//   npm run bench:messaging -- [--messages 20000] [--stock-messages 3000]
import { Controller, INestApplication, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientKafka, ClientsModule, EventPattern, MicroserviceOptions, Payload, Transport } from '@nestjs/microservices';
import { Inject } from '@nestjs/common';
import { Command } from 'commander';
import { writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Pool } from 'pg';
import { lastValueFrom } from 'rxjs';
import { Topics } from '@platform/contracts';
import { SafePublisher } from '@platform/messaging';
import { createTestDatabase, createTestTopics, testInfra, testKafka, topicTimeSpan, uniqueSuffix, waitFor } from '@platform/testing';
import { claim, createFixtureApp } from '@platform/messaging/testing';
import { toolKafka } from '@platform/tools-infra';

const program = new Command()
  .option('--messages <n>', 'messages per batched run', (v) => Number(v), 20000)
  .option('--stock-messages <n>', 'messages for the per-message runs', (v) => Number(v), 3000)
  .option('--out <file>', 'result file', 'bench/messaging.json')
  .parse();
const opts = program.opts<{ messages: number; stockMessages: number; out: string }>();
const { brokers } = testInfra();

interface Result {
  style: string;
  messages: number;
  /** From the first to the last output message (Kafka timestamps): steady-state, startup excluded. */
  seconds: number;
  perSecond: number;
}

async function preload(prefix: string, n: number): Promise<void> {
  const pub = new SafePublisher(toolKafka({ profile: 'service', brokers, clientId: 'bench-preload' }));
  for (let i = 0; i < n; i += 5000) {
    const values = Array.from({ length: Math.min(5000, n - i) }, (_, k) => claim(i + k, 'bench'));
    await pub.publish(values.map((v) => ({ topic: prefix + Topics.claimRequested.name, key: v.accountId, value: Buffer.from(JSON.stringify(v)), headers: {} })));
  }
  await pub.close();
}

async function countTopic(topic: string): Promise<number> {
  const admin = testKafka().admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  return offsets.reduce((s, o) => s + Number(o.high) - Number(o.low), 0);
}

async function timeUntil(what: string, n: number, topic: string, start: () => Promise<unknown>): Promise<number> {
  await start();
  await waitFor(what, async () => (await countTopic(topic)) >= n, 600_000, 100);
  return (await topicTimeSpan(topic, n)).seconds;
}

async function effectsTable(url: string): Promise<Pool> {
  const pool = new Pool({ connectionString: url, max: 4 });
  await pool.query('CREATE TABLE IF NOT EXISTS fixture_effect (event_id text NOT NULL, account_id text NOT NULL, at timestamptz DEFAULT now())');
  return pool;
}

/** The ceiling: plain kafkajs eachBatch, one unnest INSERT per batch, chunked parallel sends, commit after. */
async function runCeiling(n: number): Promise<Result> {
  const db = await createTestDatabase('bench_ceiling');
  const prefix = await createTestTopics('benchceil');
  await preload(prefix, n);
  const pool = await effectsTable(db.url);
  const kafka = toolKafka({ profile: 'service', brokers, clientId: 'bench-ceiling' });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId: `ceiling-${uniqueSuffix()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topic: prefix + Topics.claimRequested.name, fromBeginning: true });
  const out = prefix + Topics.claimDecided.name;
  const seconds = await timeUntil('ceiling output', n, out, () =>
    consumer.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch }) => {
        const vals = batch.messages.map((m) => JSON.parse(m.value?.toString() ?? '{}') as { eventId: string; accountId: string });
        await pool.query('INSERT INTO fixture_effect (event_id, account_id) SELECT * FROM unnest($1::text[], $2::text[])', [vals.map((v) => v.eventId), vals.map((v) => v.accountId)]);
        const msgs = vals.map((v) => ({ key: v.accountId, value: JSON.stringify({ eventId: v.eventId, status: 'ACCEPTED' }) }));
        const sends = [];
        for (let i = 0; i < msgs.length; i += 1000) sends.push(producer.send({ topic: out, acks: -1, messages: msgs.slice(i, i + 1000) }));
        await Promise.all(sends);
        const last = batch.messages[batch.messages.length - 1];
        if (last) await consumer.commitOffsets([{ topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() }]);
      },
    }),
  );
  await consumer.disconnect();
  await producer.disconnect();
  await pool.end();
  await db.drop();
  return { style: 'ceiling: plain kafkajs eachBatch + unnest insert + chunked sends', messages: n, seconds, perSecond: (n - 1) / seconds };
}

/** Ours: the messaging library (batch transport, consumer_offset inbox, outbox, relay). */
async function runOurs(n: number, chunk: number): Promise<Result> {
  const db = await createTestDatabase(`bench_ours_${chunk}`);
  const prefix = await createTestTopics(`benchours${chunk}`);
  await preload(prefix, n);
  let app: INestApplication | undefined;
  const seconds = await timeUntil(`ours chunk ${chunk}`, n, prefix + Topics.claimDecided.name, async () => {
    app = await createFixtureApp({ databaseUrl: db.url, brokers, prefix, chunkSize: chunk, service: `bench-${chunk}` });
  });
  await app?.close();
  await db.drop();
  return { style: `platform messaging lib, ${chunk} per transaction`, messages: n, seconds, perSecond: (n - 1) / seconds };
}

/** What a user would otherwise write: the stock Nest Kafka transport, one INSERT and one emit per message. */
async function runStock(n: number): Promise<Result> {
  const db = await createTestDatabase('bench_stock');
  const prefix = await createTestTopics('benchstock');
  await preload(prefix, n);
  const pool = await effectsTable(db.url);
  const inTopic = prefix + Topics.claimRequested.name;
  const outTopic = prefix + Topics.claimDecided.name;

  @Controller()
  class StockHandler {
    constructor(@Inject('OUT') private readonly client: ClientKafka) {}
    @EventPattern(inTopic)
    async handle(@Payload() v: { eventId: string; accountId: string }): Promise<void> {
      await pool.query('INSERT INTO fixture_effect (event_id, account_id) VALUES ($1, $2)', [v.eventId, v.accountId]);
      await lastValueFrom(this.client.emit(outTopic, { key: v.accountId, value: JSON.stringify({ eventId: v.eventId, status: 'ACCEPTED' }) }));
    }
  }
  @Module({
    imports: [ClientsModule.register([{ name: 'OUT', transport: Transport.KAFKA, options: { client: { clientId: 'stock-out', brokers }, producerOnlyMode: true } }])],
    controllers: [StockHandler],
  })
  class StockModule {}

  const app = await NestFactory.createMicroservice<MicroserviceOptions>(StockModule, {
    logger: ['error'],
    transport: Transport.KAFKA,
    options: {
      client: { clientId: 'stock', brokers },
      consumer: { groupId: `stock-${uniqueSuffix()}` },
      subscribe: { fromBeginning: true },
    },
  });
  const client = app.get<ClientKafka>('OUT');
  await client.connect();
  const seconds = await timeUntil('stock output', n, outTopic, () => app.listen());
  await app.close();
  await pool.end();
  await db.drop();
  return { style: 'stock @nestjs/microservices Kafka transport, per message', messages: n, seconds, perSecond: (n - 1) / seconds };
}

void (async () => {
  const results: Result[] = [];
  results.push(await runCeiling(opts.messages));
  results.push(await runStock(opts.stockMessages));
  results.push(await runOurs(Math.min(opts.stockMessages, opts.messages), 1));
  results.push(await runOurs(opts.messages, 100));
  results.push(await runOurs(opts.messages, 500));
  const ceiling = results[0]?.perSecond ?? 1;
  const stock = results[1]?.perSecond ?? 1;
  console.log('\nstyle | messages | seconds | msg/s | x stock | of ceiling');
  for (const r of results) {
    console.log(`${r.style} | ${r.messages} | ${r.seconds.toFixed(1)} | ${Math.round(r.perSecond)} | ${(r.perSecond / stock).toFixed(1)} | ${((100 * r.perSecond) / ceiling).toFixed(0)}%`);
  }
  const out = {
    benchmark: 'messaging',
    at: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, kafka: '4.4.0 single broker' },
    results,
  };
  mkdirSync(path.dirname(opts.out), { recursive: true });
  writeFileSync(opts.out, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`\nsaved ${opts.out}`);
  process.exit(0);
})().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
