import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Clock, MessagingModule, MessagingTables1764300000000 } from '@platform/messaging';
import { databaseUrl, serviceDataSourceOptions } from '@platform/persistence';
import { MetricsController } from '@platform/telemetry';
import { CampaignController } from './campaigns/campaign.controller';
import { CampaignRepository } from './campaigns/campaign.repository';
import { CampaignService } from './campaigns/campaign.service';
import { ClaimDecider } from './claims/claim-decider';
import { ClaimsController } from './claims/claims.controller';
import { claimsDatabase, ClaimsConfig } from './config';
import { ClaimsSchema1764300000100 } from './migrations/1764300000100-ClaimsSchema';
import { SeedDefaultCampaign1764300000200 } from './migrations/1764300000200-SeedDefaultCampaign';
import { CLAIMS_CONFIG } from './tokens';

export const claimsMigrations = [MessagingTables1764300000000, ClaimsSchema1764300000100, SeedDefaultCampaign1764300000200];

@Module({})
export class ClaimsModule {
  static forRoot(config: ClaimsConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: ClaimsModule,
      imports: [
        TypeOrmModule.forRoot(
          serviceDataSourceOptions({
            url: databaseUrl(config.DATABASE_URL, claimsDatabase(config)),
            migrations: claimsMigrations,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'claims',
          }),
        ),
        MessagingModule.forRoot(
          {
            service: 'claims',
            brokers: config.KAFKA_BROKERS,
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            chunkSize: config.CONSUMER_CHUNK_SIZE,
            concurrency: config.CONSUMER_CONCURRENCY,
          },
          { clock: opts.clock },
        ),
      ],
      controllers: [ClaimDecider, CampaignController, ClaimsController, MetricsController],
      providers: [{ provide: CLAIMS_CONFIG, useValue: config }, CampaignRepository, CampaignService],
    };
  }
}
