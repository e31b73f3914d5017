import { DynamicModule, INestApplication, LogLevel, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { ensureDatabase, migrate } from '@platform/persistence';
import { startMessaging } from './module';

const levels: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/**
 * Creates a service's Nest app the same way in production and in tests: its database exists and
 * is migrated, the batch transport is connected, shutdown hooks drain consumers before the pool
 * closes. The caller decides whether to `listen` on a port (`app.listen`) or just `init`.
 */
export async function createServiceApp(
  rootModule: DynamicModule | Type,
  o: { serverUrl: string; database: string; logLevel?: LogLevel },
): Promise<INestApplication> {
  await ensureDatabase(o.serverUrl, o.database);
  const upTo = levels.indexOf(o.logLevel ?? 'log');
  const app = await NestFactory.create(rootModule, { logger: levels.slice(0, upTo + 1), bufferLogs: false });
  app.enableShutdownHooks();
  await migrate(app.get(DataSource));
  await startMessaging(app);
  return app;
}
