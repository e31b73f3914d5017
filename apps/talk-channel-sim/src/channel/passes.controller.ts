import { Body, Controller, Headers, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import {
  ChannelHeaders,
  channelIdempotencyKey,
  ChannelPaths,
  channelSendPassRequest,
  ChannelSendPassResponse,
  ChannelStatus,
} from '@platform/contracts';
import { Roles, SkipThrottle } from '@platform/auth';
import { TalkChannel } from './talk-channel.service';

/**
 * Stand-in for Kakao's channel API (`ChannelPaths.passes` in @platform/contracts, with an
 * `Idempotency-Key` header). 201: delivered now; 200: the same key was delivered before (body marks
 * `duplicate: true` and carries the original delivery); 429 + Retry-After (seconds, rounded up) and
 * Retry-After-Ms; 503 during an outage; injected 500/502/503; 400 bad request; 422 a key reused for
 * another pass. Callable by the pass dispatcher's service identity only; the channel's own token
 * bucket (429) is its rate limit, the platform's per-caller limit would only distort it.
 */
@Controller(ChannelPaths.passes)
@Roles('pass-dispatcher')
@SkipThrottle()
export class PassesController {
  constructor(private readonly channel: TalkChannel) {}

  @Post()
  async send(
    @Headers(ChannelHeaders.idempotencyKey) key: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): Promise<ChannelSendPassResponse> {
    const idempotencyKey = channelIdempotencyKey.safeParse(key);
    if (!idempotencyKey.success) {
      this.channel.countBadRequest();
      res.status(ChannelStatus.badRequest);
      return { error: 'IDEMPOTENCY_KEY_REQUIRED' };
    }
    const parsed = channelSendPassRequest.safeParse(body);
    if (!parsed.success) {
      this.channel.countBadRequest();
      res.status(ChannelStatus.badRequest);
      return { error: 'INVALID_BODY', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') };
    }
    const out = await this.channel.send(idempotencyKey.data, parsed.data);
    switch (out.kind) {
      case 'DELIVERED':
        res.status(ChannelStatus.delivered);
        return { duplicate: false, delivery: out.delivery };
      case 'DUPLICATE':
        res.status(ChannelStatus.duplicate);
        return { duplicate: true, delivery: out.delivery };
      case 'KEY_REUSED':
        res.status(ChannelStatus.keyReused);
        return { error: 'IDEMPOTENCY_KEY_REUSED', delivery: out.delivery };
      case 'OUTAGE':
        res.status(ChannelStatus.unavailable).setHeader(ChannelHeaders.retryAfter, '1');
        return { error: 'CHANNEL_UNAVAILABLE' };
      case 'RATE_LIMITED':
        res
          .status(ChannelStatus.rateLimited)
          .setHeader(ChannelHeaders.retryAfter, String(Math.ceil(out.retryAfterMs / 1000)))
          .setHeader(ChannelHeaders.retryAfterMs, String(out.retryAfterMs));
        return { error: 'RATE_LIMITED', retryAfterMs: out.retryAfterMs };
      case 'ERROR':
        res.status(out.status);
        return { error: 'INTERNAL' };
    }
  }
}
