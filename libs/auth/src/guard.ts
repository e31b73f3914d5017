import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import { ACCOUNT_KEY, AccountSource, AuthenticatedRequest, ROLES_KEY } from './decorators';
import type { Role } from './principal';
import { InvalidToken, verifyToken } from './token';

export const AUTH_SECRET = Symbol('AUTH_SECRET');

/** The one exemption: probes must work without credentials (and reveal nothing but up/down). */
export const isPublicPath = (path: string): boolean => path.startsWith('/health/');

const BEARER = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/;

/**
 * Every HTTP route but /health/* needs a valid bearer token (401 otherwise) carrying one of the
 * route's roles (403 otherwise). Fails closed: a route that declares no roles is refused to
 * everyone, so a new endpoint cannot be reachable by accident. Message handlers (Kafka) are not
 * HTTP and pass through.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    @Inject(AUTH_SECRET) private readonly secret: Uint8Array,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    if (ctx.getType() !== 'http') return true;
    const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
    if (isPublicPath(req.path)) return true;

    const match = BEARER.exec(req.headers.authorization ?? '');
    if (!match?.[1]) return this.unauthorized(ctx, 'MISSING_BEARER_TOKEN');
    let principal;
    try {
      principal = await verifyToken(this.secret, match[1]);
    } catch (e) {
      if (e instanceof InvalidToken) return this.unauthorized(ctx, 'INVALID_TOKEN');
      throw e;
    }

    const allowed = this.reflector.getAllAndOverride<Role[] | undefined>(ROLES_KEY, [ctx.getHandler(), ctx.getClass()]);
    if (!allowed?.length) throw new ForbiddenException({ error: 'ROUTE_NOT_AUTHORISED' });
    if (!principal.roles.some((r) => allowed.includes(r))) throw new ForbiddenException({ error: 'FORBIDDEN', requiredRole: allowed });

    if (principal.account !== undefined) {
      const source = this.reflector.getAllAndOverride<AccountSource | undefined>(ACCOUNT_KEY, [ctx.getHandler(), ctx.getClass()]);
      const named =
        source === undefined
          ? undefined
          : 'param' in source
            ? req.params[source.param]
            : (req.body as Record<string, unknown> | undefined)?.[source.body];
      if (named !== principal.account) throw new ForbiddenException({ error: 'ACCOUNT_MISMATCH' });
    }
    req.principal = principal;
    return true;
  }

  private unauthorized(ctx: ExecutionContext, error: string): never {
    ctx.switchToHttp().getResponse<Response>().setHeader('WWW-Authenticate', 'Bearer realm="heart-pack"');
    throw new UnauthorizedException({ error });
  }
}
