import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, MessagingModule, MessagingTables1764300000000 } from '@platform/messaging';
import { databaseUrl, serviceDataSourceOptions } from '@platform/persistence';
import { MetricsController } from '@platform/telemetry';
import { CampaignListener } from './campaigns/campaign-listener';
import { CampaignRepository } from './campaigns/campaign.repository';
import { reliefDatabase, ReliefConfig } from './config';
import { ReliefController } from './http/relief.controller';
import { ReliefQueries } from './http/relief-queries';
import { LedgerRepository } from './ledger/ledger.repository';
import { ReliefSchema1764300000100 } from './migrations/1764300000100-ReliefSchema';
import { ReportDecider } from './reports/report-decider';
import { ReportRepository } from './reports/report.repository';
import { ReviewDecider } from './reviews/review-decider';
import { ReviewRepository } from './reviews/review.repository';
import { RELIEF_CONFIG } from './tokens';
import { WaitingRepository } from './waiting/waiting.repository';

export const reliefMigrations = [MessagingTables1764300000000, ReliefSchema1764300000100];

@Module({})
export class ReliefModule {
  static forRoot(config: ReliefConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: ReliefModule,
      imports: [
        TypeOrmModule.forRoot(
          serviceDataSourceOptions({
            url: databaseUrl(config.DATABASE_URL, reliefDatabase(config)),
            migrations: reliefMigrations,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'merchant-relief',
          }),
        ),
        MessagingModule.forRoot(
          {
            service: 'merchant-relief',
            brokers: config.KAFKA_BROKERS,
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            chunkSize: config.CONSUMER_CHUNK_SIZE,
            concurrency: config.CONSUMER_CONCURRENCY,
          },
          { clock: opts.clock },
        ),
      ],
      controllers: [CampaignListener, ReportDecider, ReviewDecider, ReliefController, MetricsController],
      providers: [
        { provide: RELIEF_CONFIG, useValue: config },
        CampaignRepository,
        ReportRepository,
        ReviewRepository,
        LedgerRepository,
        WaitingRepository,
        ReliefQueries,
      ],
    };
  }
}
