import type { Role } from './principal';
import { issueToken } from './token';

/**
 * A service's own bearer token for calling another service (the pass dispatcher calling the
 * channel): short-lived, re-issued when half its lifetime has passed.
 */
export class ServiceToken {
  private cached: { token: Promise<string>; renewAt: number } | null = null;

  constructor(
    private readonly secret: Uint8Array,
    private readonly subject: string,
    private readonly roles: Role[],
    private readonly ttlSeconds = 3600,
  ) {}

  get(): Promise<string> {
    const now = Date.now();
    if (!this.cached || now >= this.cached.renewAt) {
      const token = issueToken(this.secret, { subject: this.subject, roles: this.roles, ttlSeconds: this.ttlSeconds });
      this.cached = { token, renewAt: now + this.ttlSeconds * 500 };
      token.catch(() => (this.cached = null));
    }
    return this.cached.token;
  }
}
