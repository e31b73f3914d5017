import { DynamicModule, Module } from '@nestjs/common';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, serviceInfrastructure } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import { CampaignDefinitionHandler } from './campaigns/campaign-definition.handler';
import { CampaignRepository } from './campaigns/campaign.repository';
import { EvidenceHandler } from './evidence/evidence.handler';
import { EvidenceRepository } from './evidence/evidence.repository';
import { reliefDatabase, ReliefConfig } from './config';
import { LedgerRepository } from './ledger/ledger.repository';
import { ReliefSchema1764300000100 } from './migrations/1764300000100-ReliefSchema';
import { ReliefAssessmentEvidence1764300000200 } from './migrations/1764300000200-ReliefAssessmentEvidence';
import { RequestFingerprint1764800000300 } from './migrations/1764800000300-RequestFingerprint';
import { RequestFingerprintRepository } from './fingerprints/request-fingerprint.repository';
import { ReportHandler } from './reports/report.handler';
import { ReportRepository } from './reports/report.repository';
import { ReviewHandler } from './reviews/review.handler';
import { ReviewRepository } from './reviews/review.repository';
import { ReliefController } from './relief/relief.controller';
import { ReliefRepository } from './relief/relief.repository';
import { RELIEF_CONFIG } from './tokens';
import { WaitingRepository } from './waiting/waiting.repository';

export const reliefMigrations = [
  ...messagingMigrations,
  ReliefSchema1764300000100,
  ReliefAssessmentEvidence1764300000200,
  RequestFingerprint1764800000300,
];

@Module({})
export class ReliefModule {
  static forRoot(config: ReliefConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: ReliefModule,
      imports: [
        ...serviceInfrastructure({
          service: 'merchant-relief',
          config,
          database: reliefDatabase(config),
          migrations: reliefMigrations,
          clock: opts.clock,
        }),
        HttpAuthModule.forRoot(config),
      ],
      controllers: [CampaignDefinitionHandler, ReportHandler, ReviewHandler, EvidenceHandler, ReliefController, MetricsController],
      providers: [
        RequestFingerprintRepository,
        { provide: RELIEF_CONFIG, useValue: config },
        CampaignRepository,
        ReportRepository,
        ReviewRepository,
        LedgerRepository,
        WaitingRepository,
        EvidenceRepository,
        ReliefRepository,
      ],
    };
  }
}
