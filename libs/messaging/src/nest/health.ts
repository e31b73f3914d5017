import { Controller, Get, Inject, Injectable, Optional } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorResult, HealthIndicatorService, TypeOrmHealthIndicator } from '@nestjs/terminus';
import { MessagingRuntime } from './runtime';

export const EXTRA_HEALTH = Symbol('EXTRA_HEALTH');
export type ExtraHealthCheck = () => Promise<HealthIndicatorResult>;

@Injectable()
export class MessagingHealthIndicator {
  constructor(
    private readonly runtime: MessagingRuntime,
    private readonly indicators: HealthIndicatorService,
  ) {}

  /** Which replica answers: service and zone (always up; it only names the instance). */
  instance(): HealthIndicatorResult {
    return this.indicators.check('instance').up({ service: this.runtime.options.service, zone: this.runtime.options.zone ?? null });
  }

  /** Consumers connected and making progress (not stuck). */
  consumers(): HealthIndicatorResult {
    const i = this.indicators.check('kafka-consumers');
    const states = this.runtime.consumers.map((c) => ({
      topics: c.topics,
      connected: c.connected,
      secondsSinceProgress: Math.round((Date.now() - c.lastProgressAt) / 1000),
      restarts: c.restarts,
      lag: Object.fromEntries(c.lag),
      stuck: c.stuckPartitions(),
      halted: [...c.halted.values()],
      lastResortParked: c.parked,
      throttledByOutbox: this.runtime.throttled,
      lastError: c.lastError,
    }));
    // Shedding is deliberate: it is reported, and does not make the service unready.
    const shedding = this.runtime.shedding?.status() ?? null;
    const ok = this.runtime.consumers.every((c) => c.isHealthy());
    return ok ? i.up({ consumers: states, shedding }) : i.down({ consumers: states, shedding });
  }

  /** The outbox relay publishes (or has nothing to publish). */
  outbox(): HealthIndicatorResult {
    const i = this.indicators.check('outbox');
    const r = this.runtime.relay;
    const detail = {
      published: r.published,
      quarantined: r.quarantined,
      lastError: r.lastError,
      secondsSinceSuccess: Math.round((Date.now() - r.lastSuccessAt) / 1000),
    };
    return r.isHealthy() ? i.up(detail) : i.down(detail);
  }
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly messaging: MessagingHealthIndicator,
    @Optional() @Inject(EXTRA_HEALTH) private readonly extra?: ExtraHealthCheck[],
  ) {}

  /** The process is alive (no dependencies checked: restarting would not help them). */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([() => this.messaging.instance()]);
  }

  /** Ready to do work: database reachable, consumers not stuck, outbox publishing. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check([
      () => this.messaging.instance(),
      () => this.db.pingCheck('database', { timeout: 2000 }),
      () => this.messaging.consumers(),
      () => this.messaging.outbox(),
      ...(this.extra ?? []),
    ]);
  }
}
