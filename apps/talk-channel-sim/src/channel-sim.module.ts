import { DynamicModule, Module } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { HttpAuthModule } from '@platform/auth';
import { MetricsController } from '@platform/telemetry';
import { AdminController } from './admin/admin.controller';
import { PassesController } from './channel/passes.controller';
import { TalkChannel } from './channel/talk-channel.service';
import type { ChannelSimConfig } from './config';
import { HealthController } from './health/health.controller';
import { CHANNEL_SIM_CONFIG, MONOTONIC_MS, MonotonicMs } from './tokens';

@Module({})
export class ChannelSimModule {
  static forRoot(config: ChannelSimConfig, opts: { monotonicMs?: MonotonicMs } = {}): DynamicModule {
    return {
      module: ChannelSimModule,
      imports: [HttpAuthModule.forRoot(config)],
      controllers: [PassesController, AdminController, HealthController, MetricsController],
      providers: [
        { provide: CHANNEL_SIM_CONFIG, useValue: config },
        { provide: MONOTONIC_MS, useValue: opts.monotonicMs ?? (() => performance.now()) },
        TalkChannel,
      ],
    };
  }
}
