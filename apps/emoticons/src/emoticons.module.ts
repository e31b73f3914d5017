import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, MessagingModule, MessagingTables1764300000000 } from '@platform/messaging';
import { databaseUrl, serviceDataSourceOptions } from '@platform/persistence';
import { MetricsController } from '@platform/telemetry';
import { emoticonsDatabase, EmoticonsConfig } from './config';
import { DownloadHandler } from './entitlements/download.handler';
import { EntitlementRepository } from './entitlements/entitlement.repository';
import { EntitlementsController } from './entitlements/entitlements.controller';
import { ExpirySweeper } from './entitlements/expiry.sweeper';
import { GrantHandler } from './entitlements/grant.handler';
import { EmoticonsSchema1764300000100 } from './migrations/1764300000100-EmoticonsSchema';
import { EMOTICONS_CONFIG } from './tokens';

export const emoticonsMigrations = [MessagingTables1764300000000, EmoticonsSchema1764300000100];

@Module({})
export class EmoticonsModule {
  static forRoot(config: EmoticonsConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: EmoticonsModule,
      imports: [
        TypeOrmModule.forRoot(
          serviceDataSourceOptions({
            url: databaseUrl(config.DATABASE_URL, emoticonsDatabase(config)),
            migrations: emoticonsMigrations,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'emoticons',
          }),
        ),
        MessagingModule.forRoot(
          {
            service: 'emoticons',
            brokers: config.KAFKA_BROKERS,
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            chunkSize: config.CONSUMER_CHUNK_SIZE,
            concurrency: config.CONSUMER_CONCURRENCY,
          },
          { clock: opts.clock },
        ),
      ],
      controllers: [GrantHandler, DownloadHandler, EntitlementsController, MetricsController],
      providers: [{ provide: EMOTICONS_CONFIG, useValue: config }, EntitlementRepository, ExpirySweeper],
    };
  }
}
