import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { PlatformSampleSweep } from '../series/platform-sample.sweep';

/**
 * The console's own health. Ready while its sampler runs: the platform's state (services down,
 * unreadable sources) is what the console shows, not a reason to take the console out of service.
 */
@Controller('health')
export class HealthController {
  constructor(private readonly sampler: PlatformSampleSweep) {}

  @Get('live')
  live() {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  ready() {
    const s = this.sampler.snapshot();
    const sampler = { status: this.sampler.alive() && s ? 'up' : 'down', lastSampleAt: s?.at ?? null };
    if (sampler.status !== 'up')
      throw new ServiceUnavailableException({ status: 'error', info: {}, error: { sampler }, details: { sampler } });
    return { status: 'ok', info: { sampler }, error: {}, details: { sampler } };
  }
}
