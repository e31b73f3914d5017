import {
  BadRequestException,
  Body,
  Controller,
  Get,
  HttpCode,
  HttpException,
  Inject,
  Logger,
  NotFoundException,
  Param,
  Post,
  Put,
  Query,
  Req,
} from '@nestjs/common';
import type { Request } from 'express';
import { z } from 'zod';
import { Actor, CurrentActor, CurrentPrincipal, Principal, Roles } from '@platform/auth';
import { CONSOLE_CONFIG } from '../tokens';
import type { ConsoleConfig } from '../config';
import { DeadLetterDesk, DeadLetterNotFound, UnknownDeadLetterTopic } from '../platform/dead-letters';
import { ServiceApi } from '../platform/service-api';
import { PlatformSampleSweep } from '../series/platform-sample.sweep';

const ID = /^[\x21-\x7e]{1,128}$/;
const replayBody = z.strictObject({
  topic: z.string().min(1).max(300),
  partition: z.number().int().min(0).max(100_000),
  offset: z.string().regex(/^\d{1,20}$/),
});
const rateBody = z.strictObject({ perSecond: z.number().positive().max(100_000).nullable() });

/**
 * The console's API for its page. Reads need `reader` (or `ops`); actions need `ops`, ask the
 * owning service with the person's own token (so the service audits that person), and are also
 * written to this service's audit log (context `OpsAudit`) with what the service answered.
 */
@Controller('api')
export class ConsoleController {
  private readonly audit = new Logger('OpsAudit');

  constructor(
    private readonly sampler: PlatformSampleSweep,
    private readonly dlq: DeadLetterDesk,
    private readonly api: ServiceApi,
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
  ) {}

  @Get('me')
  @Roles('reader', 'ops')
  me(@CurrentPrincipal() p: Principal) {
    return { subject: p.subject, roles: p.roles, canAct: p.roles.includes('ops') };
  }

  /** Everything the page shows; `fresh=1` samples first (otherwise the last sample, at most SAMPLE_INTERVAL_MS old). */
  @Get('overview')
  @Roles('reader', 'ops')
  async overview(@CurrentPrincipal() p: Principal, @Query('fresh') fresh?: string) {
    if (fresh === '1' || !this.sampler.snapshot()) await this.sampler.sampleNow();
    return {
      viewer: { subject: p.subject, roles: p.roles, canAct: p.roles.includes('ops') },
      sampleIntervalMs: this.config.SAMPLE_INTERVAL_MS,
      snapshot: this.sampler.snapshot(),
      history: this.sampler.history(),
    };
  }

  /** The parked messages of one DLQ topic (phone numbers masked), with their reasons. */
  @Get('dlq/:topic')
  @Roles('reader', 'ops')
  async deadLetters(@Param('topic') topic: string) {
    try {
      const r = await this.dlq.letters(topic);
      const byReason: Record<string, number> = {};
      for (const l of r.letters) {
        const kind = /^[A-Z_]+/.exec(l.reason)?.[0] ?? l.reason.slice(0, 40);
        byReason[kind] = (byReason[kind] ?? 0) + 1;
      }
      return { topic, ...r, byReason };
    } catch (e) {
      if (e instanceof UnknownDeadLetterTopic) throw new NotFoundException({ error: 'UNKNOWN_DLQ_TOPIC', topic });
      throw e;
    }
  }

  @Post('dlq/replay')
  @HttpCode(200)
  @Roles('ops')
  async replay(@Body() body: unknown, @CurrentActor() actor: Actor) {
    const parsed = replayBody.safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_REPLAY', detail: 'expected { topic, partition, offset }' });
    const { topic, partition, offset } = parsed.data;
    try {
      const letter = await this.dlq.replay(topic, partition, offset, actor.subject);
      this.record(actor, 'dlq.replay', `${topic}:${partition}:${offset}`, { sourceTopic: letter.source.topic, reason: letter.reason }, 200);
      return { replayed: letter };
    } catch (e) {
      if (e instanceof UnknownDeadLetterTopic) throw new NotFoundException({ error: 'UNKNOWN_DLQ_TOPIC', topic });
      if (e instanceof DeadLetterNotFound) throw new NotFoundException({ error: 'UNKNOWN_DEAD_LETTER', topic, partition, offset });
      throw e;
    }
  }

  @Post('passes/:campaignId/pause')
  @HttpCode(200)
  @Roles('ops')
  pause(@Param('campaignId') id: string, @Req() req: Request, @CurrentActor() actor: Actor) {
    return this.passControl(req, actor, 'passes.campaign.pause', id, 'POST', 'pause');
  }

  @Post('passes/:campaignId/resume')
  @HttpCode(200)
  @Roles('ops')
  resume(@Param('campaignId') id: string, @Req() req: Request, @CurrentActor() actor: Actor) {
    return this.passControl(req, actor, 'passes.campaign.resume', id, 'POST', 'resume');
  }

  /** `{ perSecond: number }` sets the campaign's pass send rate, `{ perSecond: null }` returns to the default. */
  @Put('passes/:campaignId/rate')
  @Roles('ops')
  rate(@Param('campaignId') id: string, @Body() body: unknown, @Req() req: Request, @CurrentActor() actor: Actor) {
    const parsed = rateBody.safeParse(body);
    if (!parsed.success) throw new BadRequestException({ error: 'INVALID_RATE', detail: 'expected { perSecond: number > 0 | null }' });
    return this.passControl(req, actor, 'passes.campaign.rate', id, 'PUT', 'rate', parsed.data);
  }

  private async passControl(
    req: Request,
    actor: Actor,
    action: string,
    id: string,
    method: 'POST' | 'PUT',
    verb: string,
    body?: { perSecond: number | null },
  ) {
    if (!ID.test(id)) throw new BadRequestException({ error: 'INVALID_CAMPAIGN_ID' });
    const bearer = req.headers.authorization ?? '';
    let answer: { status: number; body: unknown };
    try {
      answer = await this.api.act(this.config.PASSES_URL, `/passes/campaigns/${encodeURIComponent(id)}/${verb}`, method, bearer, body);
    } catch (e) {
      this.record(actor, action, id, body ?? {}, null);
      throw new HttpException({ error: 'PASS_DISPATCHER_UNREACHABLE', detail: e instanceof Error ? e.message : String(e) }, 502);
    }
    this.record(actor, action, id, body ?? {}, answer.status);
    if (answer.status >= 400) throw new HttpException(answer.body as Record<string, unknown>, answer.status);
    void this.sampler.sampleNow();
    return answer.body;
  }

  private record(actor: Actor, action: string, target: string, detail: unknown, status: number | null): void {
    this.audit.log(
      JSON.stringify({
        at: new Date().toISOString(),
        actor: actor.subject,
        roles: actor.roles,
        action,
        target,
        detail,
        from: actor.from,
        status,
      }),
    );
  }
}
