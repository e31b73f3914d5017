import { DynamicModule, Module } from '@nestjs/common';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, serviceInfrastructure } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import { ClaimIntakeController } from './claims/claim-intake.controller';
import { ClaimIntakeService } from './claims/claim-intake.service';
import { ClaimDecisionHandler } from './claims/claim-decision.handler';
import { ClaimRepository } from './claims/claim.repository';
import { CampaignDefinitionHandler } from './cost/campaign-definition.handler';
import { CostController } from './cost/cost.controller';
import { CostRepository } from './cost/cost.repository';
import { CostService } from './cost/cost.service';
import { appApiDatabase, AppApiConfig } from './config';
import { BacklogController } from './intake/backlog.controller';
import { BacklogSweep } from './intake/backlog.sweep';
import { IntakeSchema1765000006000 } from './migrations/1765000006000-IntakeSchema';
import { TimelineReadModel1765000006100 } from './migrations/1765000006100-TimelineReadModel';
import { CostLedger1765000006500 } from './migrations/1765000006500-CostLedger';
import { CostRollup1765000006700 } from './migrations/1765000006700-CostRollup';
import { ClaimReconciliation1765000006600 } from './migrations/1765000006600-ClaimReconciliation';
import { ClaimReconcileRepository } from './reconcile/claim-reconcile.repository';
import { ClaimReconcileSweep } from './reconcile/claim-reconcile.sweep';
import { ReconciliationController } from './reconcile/reconciliation.controller';
import { TimelineController } from './timeline/timeline.controller';
import { TimelineHandler } from './timeline/timeline.handler';
import { TimelineRepository } from './timeline/timeline.repository';
import { TimelineService } from './timeline/timeline.service';
import { APP_API_CONFIG } from './tokens';

export const appApiMigrations = [
  ...messagingMigrations,
  IntakeSchema1765000006000,
  TimelineReadModel1765000006100,
  CostLedger1765000006500,
  ClaimReconciliation1765000006600,
  CostRollup1765000006700,
];

@Module({})
export class AppApiModule {
  static forRoot(config: AppApiConfig, opts: { clock?: Clock } = {}): DynamicModule {
    return {
      module: AppApiModule,
      imports: [
        ...serviceInfrastructure({
          service: 'app-api',
          config,
          database: appApiDatabase(config),
          migrations: appApiMigrations,
          clock: opts.clock,
        }),
        HttpAuthModule.forRoot(config),
      ],
      controllers: [
        ClaimIntakeController,
        ClaimDecisionHandler,
        TimelineHandler,
        TimelineController,
        BacklogController,
        CampaignDefinitionHandler,
        CostController,
        ReconciliationController,
        MetricsController,
      ],
      providers: [
        { provide: APP_API_CONFIG, useValue: config },
        ClaimRepository,
        BacklogSweep,
        ClaimIntakeService,
        TimelineRepository,
        TimelineService,
        CostRepository,
        CostService,
        ClaimReconcileRepository,
        ClaimReconcileSweep,
      ],
    };
  }
}
