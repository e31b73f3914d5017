import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { Roles, SkipThrottle } from '@platform/auth';
import { sendPassBody, TalkChannel } from './talk-channel';

const KEY = /^[\x21-\x7e]{1,200}$/;

/**
 * Stand-in for Kakao's channel API: `POST /v1/passes` with an `Idempotency-Key` header.
 * 201: delivered now; 200: the same key was delivered before (body marks `duplicate: true` and
 * carries the original delivery); 429 + Retry-After (seconds, rounded up) and Retry-After-Ms;
 * 503 during an outage; injected 500/502/503; 400 bad request; 422 a key reused for another pass.
 * Callable by the pass dispatcher's service identity only; the channel's own token bucket (429)
 * is its rate limit, the platform's per-caller limit would only distort it.
 */
@Controller('v1/passes')
@Roles('pass-dispatcher')
@SkipThrottle()
export class PassesController {
  constructor(private readonly channel: TalkChannel) {}

  @Post()
  async send(@Headers('idempotency-key') key: string | undefined, @Body() body: unknown, @Res({ passthrough: true }) res: Response) {
    if (!key || !KEY.test(key)) {
      this.channel.countBadRequest();
      res.status(400);
      return { error: 'IDEMPOTENCY_KEY_REQUIRED' };
    }
    const parsed = sendPassBody.safeParse(body);
    if (!parsed.success) {
      this.channel.countBadRequest();
      res.status(400);
      return { error: 'INVALID_BODY', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    }
    const out = await this.channel.send(key, parsed.data);
    switch (out.kind) {
      case 'DELIVERED':
        res.status(201);
        return { duplicate: false, delivery: out.delivery };
      case 'DUPLICATE':
        res.status(200);
        return { duplicate: true, delivery: out.delivery };
      case 'KEY_REUSED':
        res.status(422);
        return { error: 'IDEMPOTENCY_KEY_REUSED', delivery: out.delivery };
      case 'OUTAGE':
        res.status(503).setHeader('Retry-After', '1');
        return { error: 'CHANNEL_UNAVAILABLE' };
      case 'RATE_LIMITED':
        res
          .status(429)
          .setHeader('Retry-After', String(Math.ceil(out.retryAfterMs / 1000)))
          .setHeader('Retry-After-Ms', String(out.retryAfterMs));
        return { error: 'RATE_LIMITED', retryAfterMs: out.retryAfterMs };
      case 'ERROR':
        res.status(out.status);
        return { error: 'INTERNAL' };
    }
  }
}
