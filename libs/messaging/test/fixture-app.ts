// A minimal service on the messaging library, used by the library's own integration and fault
// tests: it consumes claim requests, records one effect row per message WITHOUT any domain-level
// dedupe (so a doubled effect would show), and emits one decision per message through the outbox.
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Ctx, Payload } from '@nestjs/microservices';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource, MigrationInterface, QueryRunner } from 'typeorm';
import { dlqReason, PayloadOf } from '@platform/contracts';
import { migrate, serviceDataSourceOptions } from '@platform/persistence';
import { InboundMessage, MessagingModule, messagingMigrations, OnBatch, SheddingPolicy, startMessaging, TxContext } from '../src';

export class FixtureTables1764300000001 implements MigrationInterface {
  name = 'FixtureTables1764300000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE fixture_effect (event_id text NOT NULL, account_id text NOT NULL, at timestamptz DEFAULT now())`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE fixture_effect`);
  }
}

export interface FixtureOptions {
  databaseUrl: string;
  brokers: string[];
  prefix: string;
  service?: string;
  slowMs?: number;
  relay?: boolean;
  chunkSize?: number;
  /** Account ids whose message makes the handler throw a non-transient error. */
  poisonAccounts?: string[];
  onOffsetMismatch?: 'rewind' | 'halt';
  stallMs?: number;
  outboxBackpressureRows?: number;
  shedding?: SheddingPolicy;
}

@Controller()
export class FixtureHandler {
  static options: FixtureOptions;

  @OnBatch('claimRequested')
  async onClaims(@Payload() messages: InboundMessage<PayloadOf<'claimRequested'>>[], @Ctx() ctx: TxContext): Promise<void> {
    const o = FixtureHandler.options;
    for (const m of messages) {
      if (o.poisonAccounts?.includes(m.value.accountId)) throw new Error(`poison ${m.value.accountId}`);
      if (m.value.phoneNumber === 'park-me') ctx.reject(m, dlqReason('SCHEMA_VIOLATION', 'phoneNumber: park-me is no phone number'));
    }
    const ok = messages.filter((m) => m.value.phoneNumber !== 'park-me');
    await ctx.query(`INSERT INTO fixture_effect (event_id, account_id) SELECT * FROM unnest($1::text[], $2::text[])`, [
      ok.map((m) => m.value.eventId),
      ok.map((m) => m.value.accountId),
    ]);
    if (o.slowMs) await new Promise((r) => setTimeout(r, o.slowMs));
    for (const m of ok) {
      ctx.emit(
        'claimDecided',
        {
          claimId: `c-${m.value.eventId}`,
          eventId: m.value.eventId,
          campaignId: m.value.campaignId,
          accountId: m.value.accountId,
          status: 'ACCEPTED',
          decidedAt: ctx.now.toISOString(),
          requestedAt: m.value.requestedAt,
          makersMember: m.value.makersMember,
        },
        m,
      );
    }
  }
}

/** A second "service" for trace tests: consumes the decisions the first one emits. */
@Controller()
export class DecisionObserver {
  static seen: string[] = [];

  @OnBatch('claimDecided')
  async onDecided(@Payload() messages: InboundMessage<PayloadOf<'claimDecided'>>[]): Promise<void> {
    for (const m of messages) DecisionObserver.seen.push(m.value.eventId);
  }
}

export async function createFixtureApp(o: FixtureOptions & { role?: 'claims' | 'observer' }) {
  FixtureHandler.options = o;
  @Module({
    imports: [
      TypeOrmModule.forRoot(
        serviceDataSourceOptions({ url: o.databaseUrl, migrations: [...messagingMigrations, FixtureTables1764300000001] }),
      ),
      MessagingModule.forRoot({
        service: o.service ?? 'fixture',
        brokers: o.brokers,
        topicPrefix: o.prefix,
        relay: o.relay ?? true,
        chunkSize: o.chunkSize ?? 200,
        stallMs: o.stallMs ?? 60000,
        onOffsetMismatch: o.onOffsetMismatch,
        outboxBackpressureRows: o.outboxBackpressureRows,
        shedding: o.shedding,
      }),
    ],
    controllers: [o.role === 'observer' ? DecisionObserver : FixtureHandler],
  })
  class FixtureModule {}
  const app = await NestFactory.create(FixtureModule, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await migrate(app.get(DataSource));
  await startMessaging(app);
  await app.init();
  return app;
}

// Run as a process by fault tests: configuration from the environment.
if (process.argv[1]?.endsWith('fixture-app.ts')) {
  const env = process.env;
  void createFixtureApp({
    databaseUrl: env.DATABASE_URL ?? '',
    brokers: (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
    prefix: env.KAFKA_TOPIC_PREFIX ?? '',
    slowMs: Number(env.FIXTURE_SLOW_MS ?? 0),
    relay: env.FIXTURE_RELAY !== 'false',
    chunkSize: Number(env.FIXTURE_CHUNK ?? 200),
  }).then(() => console.log('FIXTURE_READY'));
}
