import { Controller, Get } from '@nestjs/common';

/**
 * The simulator has no Kafka and no database, so it does not use the messaging health checks:
 * alive and ready as long as it answers HTTP (same response shape as @nestjs/terminus).
 */
@Controller('health')
export class HealthController {
  @Get('live')
  live() {
    return { status: 'ok', info: {}, error: {}, details: {} };
  }

  @Get('ready')
  ready() {
    return { status: 'ok', info: { http: { status: 'up' } }, error: {}, details: { http: { status: 'up' } } };
  }
}
