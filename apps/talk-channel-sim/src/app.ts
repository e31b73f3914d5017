import { INestApplication, LogLevel } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ChannelSimModule } from './channel-sim.module';
import type { ChannelSimConfig } from './config';
import type { MonotonicMs } from './tokens';

const levels: LogLevel[] = ['error', 'warn', 'log', 'debug', 'verbose'];

/** The Talk Drawer channel simulator as a Nest app (used by main.ts and by tests). */
export async function createTalkChannelSimApp(
  config: ChannelSimConfig,
  opts: { monotonicMs?: MonotonicMs } = {},
): Promise<INestApplication> {
  const app = await NestFactory.create(ChannelSimModule.forRoot(config, opts), {
    logger: levels.slice(0, levels.indexOf(config.LOG_LEVEL) + 1),
  });
  app.enableShutdownHooks();
  return app;
}
