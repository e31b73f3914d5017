import { DynamicModule, Module } from '@nestjs/common';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, OpsAuditTable1764900000000, serviceInfrastructure } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import { CampaignController } from './campaigns/campaign.controller';
import { CampaignRepository } from './campaigns/campaign.repository';
import { CampaignService } from './campaigns/campaign.service';
import { ClaimRedriveHandler } from './claims/claim-redrive.handler';
import { ClaimRequestHandler } from './claims/claim-request.handler';
import { ClaimRepository } from './claims/claim.repository';
import { ClaimsController } from './claims/claims.controller';
import { claimsDatabase, ClaimsConfig } from './config';
import { ClaimsSchema1764300000100 } from './migrations/1764300000100-ClaimsSchema';
import { SeedDefaultCampaign1764300000200 } from './migrations/1764300000200-SeedDefaultCampaign';
import { ClaimRequestHash1764800000100 } from './migrations/1764800000100-ClaimRequestHash';
import { OneGiftPerPerson1765000000300 } from './migrations/1765000000300-OneGiftPerPerson';
import { CampaignCostAndReminders1765000000400 } from './migrations/1765000000400-CampaignCostAndReminders';
import { CLAIMS_CONFIG } from './tokens';

export const claimsMigrations = [
  ...messagingMigrations,
  ClaimsSchema1764300000100,
  SeedDefaultCampaign1764300000200,
  ClaimRequestHash1764800000100,
  OpsAuditTable1764900000000,
  OneGiftPerPerson1765000000300,
  CampaignCostAndReminders1765000000400,
];

@Module({})
export class ClaimsModule {
  static forRoot(config: ClaimsConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: ClaimsModule,
      imports: [
        ...serviceInfrastructure({
          service: 'claims',
          config,
          database: claimsDatabase(config),
          migrations: claimsMigrations,
          clock: opts.clock,
        }),
        HttpAuthModule.forRoot(config),
      ],
      controllers: [ClaimRequestHandler, ClaimRedriveHandler, CampaignController, ClaimsController, MetricsController],
      providers: [{ provide: CLAIMS_CONFIG, useValue: config }, CampaignRepository, CampaignService, ClaimRepository],
    };
  }
}
