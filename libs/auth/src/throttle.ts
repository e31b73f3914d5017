import { ExecutionContext, Injectable } from '@nestjs/common';
import { ThrottlerGuard } from '@nestjs/throttler';
import type { AuthenticatedRequest } from './decorators';
import { isPublicPath } from './guard';

/**
 * Rate limit per caller: the verified principal plus the account the request names (so one
 * service identity serving many users is not limited as one client, but hammering one account, or
 * guessing coupon ids for it, is), else the peer address. Runs after the auth guard.
 */
@Injectable()
export class CallerThrottlerGuard extends ThrottlerGuard {
  override async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    if (isPublicPath(ctx.switchToHttp().getRequest<AuthenticatedRequest>().path)) return true;
    return super.canActivate(ctx);
  }

  protected override getTracker(req: Record<string, unknown>): Promise<string> {
    const r = req as unknown as AuthenticatedRequest;
    const body = r.body as Record<string, unknown> | undefined;
    const account = r.params?.['accountId'] ?? (typeof body?.['accountId'] === 'string' ? body['accountId'] : undefined);
    return Promise.resolve(`${r.principal?.subject ?? 'anonymous'}|${account ?? r.socket?.remoteAddress ?? ''}`);
  }
}
