import { DynamicModule, Module } from '@nestjs/common';
import { authSecret, HttpAuthModule, ServiceToken } from '@platform/auth';
import { SweepScheduler } from '@platform/messaging';
import { MetricsController } from '@platform/telemetry';
import type { ConsoleConfig } from './config';
import { ConsoleController } from './console/console.controller';
import { HealthController } from './health/health.controller';
import { ServiceDatabaseRepository } from './platform/service-database.repository';
import { DeadLetterDesk } from './platform/dead-letters';
import { ServiceApi } from './platform/service-api';
import { PlatformSampleSweep } from './series/platform-sample.sweep';
import { CONSOLE_CONFIG, CONSOLE_SERVICE_TOKEN } from './tokens';

@Module({})
export class ConsoleModule {
  static forRoot(config: ConsoleConfig): DynamicModule {
    return {
      module: ConsoleModule,
      imports: [HttpAuthModule.forRoot(config)],
      controllers: [ConsoleController, HealthController, MetricsController],
      providers: [
        { provide: CONSOLE_CONFIG, useValue: config },
        { provide: CONSOLE_SERVICE_TOKEN, useValue: new ServiceToken(authSecret(config), 'ops-console', ['reader']) },
        ServiceApi,
        ServiceDatabaseRepository,
        DeadLetterDesk,
        PlatformSampleSweep,
        SweepScheduler,
      ],
    };
  }
}
