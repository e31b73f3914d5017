import { INestApplication } from '@nestjs/common';
import { Clock, createServiceApp } from '@platform/messaging';
import { passesDatabase, PassDispatcherConfig } from './config';
import { PassDispatcherModule } from './pass-dispatcher.module';

/** The pass dispatcher as a Nest app (used by main.ts and by tests). */
export function createPassDispatcherApp(config: PassDispatcherConfig, opts: { clock?: Clock } = {}): Promise<INestApplication> {
  return createServiceApp(PassDispatcherModule.forRoot(config, opts), {
    serverUrl: config.DATABASE_URL,
    database: passesDatabase(config),
    logLevel: config.LOG_LEVEL,
    service: 'pass-dispatcher',
  });
}
