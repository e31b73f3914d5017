import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Request } from 'express';
import type { Principal, Role } from './principal';

export const ROLES_KEY = 'platform:auth:roles';
export const ACCOUNT_KEY = 'platform:auth:account';

/** The roles that may call a route (any one suffices). A route without it is refused to everyone. */
export const Roles = (...roles: [Role, ...Role[]]) => SetMetadata(ROLES_KEY, roles);

/** Where a route names the account it acts on; an account-bound token must name its own. */
export type AccountSource = { param: string } | { body: string };
export const NamesAccount = (source: AccountSource) => SetMetadata(ACCOUNT_KEY, source);

export interface AuthenticatedRequest extends Request {
  principal?: Principal;
}

/** The verified caller of this request (the guard ran first). */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const p = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!p) throw new Error('CurrentPrincipal used on a route the auth guard did not check');
  return p;
});

/** Who did it and from where, for the audit log. */
export interface Actor {
  subject: string;
  roles: Role[];
  /** The peer address of the request (X-Forwarded-For is not trusted: nothing here sits behind a proxy). */
  from: string | null;
}

export const CurrentActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<AuthenticatedRequest>();
  if (!req.principal) throw new Error('CurrentActor used on a route the auth guard did not check');
  return { subject: req.principal.subject, roles: req.principal.roles, from: req.socket.remoteAddress ?? null };
});
