import { BadRequestException, Body, Controller, Get, HttpCode, Logger, Post, Put, Query } from '@nestjs/common';
import { Actor, CurrentActor, Roles } from '@platform/auth';
import { z } from 'zod';
import { simSettings, TalkChannel } from '../channel/talk-channel.service';

const page = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

/**
 * Test and audit controls: behaviour at runtime, the delivery record, counters. Reads need
 * `reader`, changes need `ops`; the simulator has no database or Kafka, so its audit log is the
 * service log (context `OpsAudit`: who, what, when, from where).
 */
@Controller('admin')
export class AdminController {
  private readonly opsLog = new Logger('OpsAudit');

  constructor(private readonly channel: TalkChannel) {}

  private record(actor: Actor, action: string, detail: unknown): void {
    this.opsLog.log(
      JSON.stringify({ at: new Date().toISOString(), actor: actor.subject, roles: actor.roles, action, detail, from: actor.from }),
    );
  }

  @Get('config')
  @Roles('reader', 'ops')
  getConfig() {
    return this.channel.config();
  }

  /** Partial update: `{ ratePerSecond?, burst?, latencyMedianMs?, latencyP99Ms?, errorRate?, errorAfterDeliveryShare?, outage? }`. */
  @Post('config')
  @HttpCode(200)
  @Roles('ops')
  setConfig(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const parsed = simSettings.partial().safeParse(body);
    if (!parsed.success)
      throw new BadRequestException({
        error: 'INVALID_CONFIG',
        detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
      });
    this.record(actor, 'channel-sim.config', parsed.data);
    return this.channel.configure(parsed.data);
  }

  @Put('config')
  @Roles('ops')
  putConfig(@Body() body: unknown, @CurrentActor() actor: Actor) {
    return this.setConfig(body, actor);
  }

  /** `{ on: true }`: every send is answered 503 until `{ on: false }`. */
  @Post('outage')
  @HttpCode(200)
  @Roles('ops')
  outage(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const parsed = z.strictObject({ on: z.boolean() }).safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_BODY', detail: 'expected { on: boolean }' });
    this.record(actor, 'channel-sim.outage', parsed.data);
    return this.channel.configure({ outage: parsed.data.on });
  }

  /** Deliveries in order: sequence > after, at most limit. */
  @Get('deliveries')
  @Roles('reader', 'ops')
  deliveries(@Query() query: Record<string, string>) {
    const parsed = page.safeParse(query);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_QUERY' });
    const deliveries = this.channel.list(parsed.data.after, parsed.data.limit);
    return { deliveries, lastSequence: this.channel.lastSequence };
  }

  @Get('stats')
  @Roles('reader', 'ops')
  stats() {
    return this.channel.statistics();
  }

  /** Per campaign: slots strictly increasing, each once, contiguous from 1. */
  @Get('audit')
  @Roles('reader', 'ops')
  audit() {
    return this.channel.audit();
  }

  /** Forgets every delivery, key and counter (benchmarks and demos). */
  @Post('reset')
  @HttpCode(200)
  @Roles('ops')
  reset(@CurrentActor() actor: Actor) {
    this.record(actor, 'channel-sim.reset', {});
    this.channel.reset();
    return { ok: true };
  }
}
