import { DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, MessagingModule, OpsAuditTable1764900000000, sheddingPolicy } from '@platform/messaging';
import { databaseUrl, serviceDataSourceOptions } from '@platform/persistence';
import { MetricsController } from '@platform/telemetry';
import { CampaignRepository } from './campaigns/campaign.repository';
import { passesDatabase, PassDispatcherConfig } from './config';
import { DispatchCoordinator } from './dispatch/dispatch.coordinator';
import { DispatchRepository } from './dispatch/dispatch.repository';
import { PassesSchema1764300004000 } from './migrations/1764300004000-PassesSchema';
import { RegistrationRequestHash1764800004100 } from './migrations/1764800004100-RegistrationRequestHash';
import { PassTraceParent1764900004200 } from './migrations/1764900004200-PassTraceParent';
import { RegistrationReminders1765000004300 } from './migrations/1765000004300-RegistrationReminders';
import { ReservationNoticeTrigger1765100004400 } from './migrations/1765100004400-ReservationNoticeTrigger';
import { DelayNoticeRepository } from './notices/delay-notice.repository';
import { DelayNoticeService } from './notices/delay-notice.service';
import { DelayNoticeSweep } from './notices/delay-notice.sweep';
import { PassMetrics } from './passes/pass-metrics';
import { PassRepository } from './passes/pass.repository';
import { PassesController } from './passes/passes.controller';
import { ExpirySweep } from './registration/expiry.sweep';
import { RegistrationHandler } from './registration/registration.handler';
import { RegistrationRepository } from './registration/registration.repository';
import { PassReservationHandler } from './reservation/pass-reservation.handler';
import { ReservationRepository } from './reservation/reservation.repository';
import { PASS_DISPATCHER_CONFIG } from './tokens';

export const passDispatcherMigrations = [
  ...messagingMigrations,
  PassesSchema1764300004000,
  RegistrationRequestHash1764800004100,
  OpsAuditTable1764900000000,
  PassTraceParent1764900004200,
  RegistrationReminders1765000004300,
  ReservationNoticeTrigger1765100004400,
];

@Module({})
export class PassDispatcherModule {
  static forRoot(config: PassDispatcherConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: PassDispatcherModule,
      imports: [
        TypeOrmModule.forRoot(
          serviceDataSourceOptions({
            url: databaseUrl(config.DATABASE_URL, passesDatabase(config)),
            migrations: passDispatcherMigrations,
            poolSize: config.DB_POOL_SIZE,
            applicationName: 'pass-dispatcher',
          }),
        ),
        MessagingModule.forRoot(
          {
            service: config.CONSUMER_GROUP,
            brokers: config.KAFKA_BROKERS,
            security: config,
            topicPrefix: config.KAFKA_TOPIC_PREFIX,
            chunkSize: config.CONSUMER_CHUNK_SIZE,
            concurrency: config.CONSUMER_CONCURRENCY,
            outboxBackpressureRows: config.OUTBOX_BACKPRESSURE_ROWS,
            onOffsetMismatch: config.CONSUMER_ON_OFFSET_MISMATCH,
            shedding: sheddingPolicy(config),
          },
          { clock: opts.clock },
        ),
        HttpAuthModule.forRoot(config),
      ],
      controllers: [PassReservationHandler, RegistrationHandler, PassesController, MetricsController],
      providers: [
        { provide: PASS_DISPATCHER_CONFIG, useValue: config },
        CampaignRepository,
        PassRepository,
        ReservationRepository,
        DispatchRepository,
        DelayNoticeRepository,
        RegistrationRepository,
        DelayNoticeService,
        DispatchCoordinator,
        DelayNoticeSweep,
        ExpirySweep,
        PassMetrics,
      ],
    };
  }
}
