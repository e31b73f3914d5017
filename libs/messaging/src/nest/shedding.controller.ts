import { BadRequestException, Body, ConflictException, Controller, Get, Logger, Put } from '@nestjs/common';
import { z } from 'zod';
import { Actor, CurrentActor, Roles } from '@platform/auth';
import { servicePriority } from '@platform/contracts';
import { MessagingRuntime } from './runtime';

const sheddingBody = z.strictObject({
  mode: z.enum(['auto', 'on', 'off']),
  /** How long `on`/`off` holds before the configured policy applies again (default SHED_MAX_SECONDS). */
  forSeconds: z.number().int().min(1).max(86_400).optional(),
});

/**
 * Service priorities, per service (every service answers; only sheddable ones can be switched).
 * The switch is this replica's: with several replicas, set each, or SHEDDING in config for all.
 */
@Controller('ops/shedding')
export class SheddingController {
  private readonly log = new Logger('Shedding');

  constructor(private readonly runtime: MessagingRuntime) {}

  @Get()
  @Roles('reader', 'ops')
  status() {
    const service = this.runtime.options.service;
    const shedding = this.runtime.shedding;
    if (!shedding)
      return { service, priority: servicePriority(service), mode: 'off', active: false, reason: 'critical service: never sheds' };
    return { service, priority: 'sheddable', ...shedding.status() };
  }

  /** `{ mode: 'on' | 'off' | 'auto', forSeconds? }`: shed now, never, or by the claims lag again. Audited in the log. */
  @Put()
  @Roles('ops')
  async set(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const parsed = sheddingBody.safeParse(body);
    if (!parsed.success)
      throw new BadRequestException({
        error: 'INVALID_SHEDDING',
        detail: "expected { mode: 'auto' | 'on' | 'off', forSeconds?: 1..86400 }",
      });
    const shedding = this.runtime.shedding;
    if (!shedding) throw new ConflictException({ error: 'CRITICAL_SERVICE', detail: `${this.runtime.options.service} is never shed` });
    const { mode, forSeconds } = parsed.data;
    await shedding.set(mode, forSeconds === undefined ? undefined : forSeconds * 1000);
    // who, what, when (the log line's time), from where
    this.log.warn(
      `ops action ops.shedding.set by ${actor.subject} [${actor.roles.join(',')}] from ${actor.from ?? '?'}: ${JSON.stringify(parsed.data)}`,
    );
    return this.status();
  }
}
