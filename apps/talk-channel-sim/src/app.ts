import { INestApplication } from '@nestjs/common';
import { createObservedApp } from '@platform/telemetry';
import { ChannelSimModule } from './channel-sim.module';
import type { ChannelSimConfig } from './config';
import type { MonotonicMs } from './tokens';

/** The Talk Drawer channel simulator as a Nest app (used by main.ts and by tests). */
export async function createTalkChannelSimApp(
  config: ChannelSimConfig,
  opts: { monotonicMs?: MonotonicMs } = {},
): Promise<INestApplication> {
  const app = await createObservedApp(ChannelSimModule.forRoot(config, opts), { service: 'talk-channel-sim', level: config.LOG_LEVEL });
  app.enableShutdownHooks();
  return app;
}
