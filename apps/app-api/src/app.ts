import { INestApplication } from '@nestjs/common';
import { Clock, createServiceApp } from '@platform/messaging';
import { AppApiModule } from './app-api.module';
import { appApiDatabase, AppApiConfig } from './config';

/** The app backend's HTTP front door as a Nest app (used by main.ts and by tests). */
export function createAppApiApp(config: AppApiConfig, opts: { clock?: Clock } = {}): Promise<INestApplication> {
  return createServiceApp(AppApiModule.forRoot(config, opts), {
    serverUrl: config.DATABASE_URL,
    database: appApiDatabase(config),
    logLevel: config.LOG_LEVEL,
  });
}
