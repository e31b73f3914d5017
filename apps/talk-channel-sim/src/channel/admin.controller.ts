import { BadRequestException, Body, Controller, Get, HttpCode, Post, Put, Query } from '@nestjs/common';
import { z } from 'zod';
import { simSettings, TalkChannel } from './talk-channel';

const page = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
});

/** Test and audit controls: behaviour at runtime, the delivery record, counters. */
@Controller('admin')
export class AdminController {
  constructor(private readonly channel: TalkChannel) {}

  @Get('config')
  getConfig() {
    return this.channel.config();
  }

  /** Partial update: `{ ratePerSecond?, burst?, latencyMedianMs?, latencyP99Ms?, errorRate?, errorAfterDeliveryShare?, outage? }`. */
  @Post('config')
  @HttpCode(200)
  setConfig(@Body() body: unknown) {
    const parsed = simSettings.partial().safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_CONFIG', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
    return this.channel.configure(parsed.data);
  }

  @Put('config')
  putConfig(@Body() body: unknown) {
    return this.setConfig(body);
  }

  /** `{ on: true }`: every send is answered 503 until `{ on: false }`. */
  @Post('outage')
  @HttpCode(200)
  outage(@Body() body: unknown) {
    const parsed = z.strictObject({ on: z.boolean() }).safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_BODY', detail: 'expected { on: boolean }' });
    return this.channel.configure({ outage: parsed.data.on });
  }

  /** Deliveries in order: sequence > after, at most limit. */
  @Get('deliveries')
  deliveries(@Query() query: Record<string, string>) {
    const parsed = page.safeParse(query);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_QUERY' });
    const deliveries = this.channel.list(parsed.data.after, parsed.data.limit);
    return { deliveries, lastSequence: this.channel.lastSequence };
  }

  @Get('stats')
  stats() {
    return this.channel.statistics();
  }

  /** Per campaign: slots strictly increasing, each once, contiguous from 1. */
  @Get('audit')
  audit() {
    return this.channel.audit();
  }

  /** Forgets every delivery, key and counter (benchmarks and demos). */
  @Post('reset')
  @HttpCode(200)
  reset() {
    this.channel.reset();
    return { ok: true };
  }
}
