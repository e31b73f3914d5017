import { INestApplication } from '@nestjs/common';
import { Clock, createServiceApp } from '@platform/messaging';
import { reliefDatabase, ReliefConfig } from './config';
import { ReliefModule } from './relief.module';

/** The merchant relief service as a Nest app (used by main.ts and by tests). */
export function createReliefApp(config: ReliefConfig, opts: { clock?: Clock } = {}): Promise<INestApplication> {
  return createServiceApp(ReliefModule.forRoot(config, opts), {
    serverUrl: config.DATABASE_URL,
    database: reliefDatabase(config),
    logLevel: config.LOG_LEVEL,
    service: 'merchant-relief',
  });
}
