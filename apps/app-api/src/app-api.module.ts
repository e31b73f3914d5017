import { DynamicModule, Module } from '@nestjs/common';
import { HttpAuthModule } from '@platform/auth';
import { Clock, messagingMigrations, serviceInfrastructure } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import { ClaimIntakeController } from './claims/claim-intake.controller';
import { ClaimIntakeService } from './claims/claim-intake.service';
import { DecisionConsumer } from './claims/decision-consumer';
import { CampaignDefinitionConsumer } from './cost/campaign-definition-consumer';
import { CostController } from './cost/cost.controller';
import { CostService } from './cost/cost.service';
import { appApiDatabase, AppApiConfig } from './config';
import { BacklogController } from './intake/backlog.controller';
import { BacklogMonitor } from './intake/backlog-monitor';
import { IntakeSchema1765000006000 } from './migrations/1765000006000-IntakeSchema';
import { TimelineReadModel1765000006100 } from './migrations/1765000006100-TimelineReadModel';
import { CostLedger1765000006500 } from './migrations/1765000006500-CostLedger';
import { CostRollup1765000006700 } from './migrations/1765000006700-CostRollup';
import { ClaimReconciliation1765000006600 } from './migrations/1765000006600-ClaimReconciliation';
import { ClaimReconciler } from './reconcile/claim-reconciler';
import { ReconciliationController } from './reconcile/reconciliation.controller';
import { TimelineConsumer } from './timeline/timeline-consumer';
import { TimelineController } from './timeline/timeline.controller';
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
        DecisionConsumer,
        TimelineConsumer,
        TimelineController,
        BacklogController,
        CampaignDefinitionConsumer,
        CostController,
        ReconciliationController,
        MetricsController,
      ],
      providers: [
        { provide: APP_API_CONFIG, useValue: config },
        BacklogMonitor,
        ClaimIntakeService,
        TimelineService,
        CostService,
        ClaimReconciler,
      ],
    };
  }
}
