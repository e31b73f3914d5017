/**
 * Who may call the platform's HTTP APIs. Humans get `ops` (controls that change what the platform
 * does) or `reader` (status, stats, lookups); the systems around the platform get one identity
 * each, limited to what that system needs.
 */
export const ROLES = ['ops', 'reader', 'app-backend', 'shop-backend', 'pass-dispatcher'] as const;
export type Role = (typeof ROLES)[number];

export const isRole = (r: unknown): r is Role => typeof r === 'string' && (ROLES as readonly string[]).includes(r);

/** A verified caller. */
export interface Principal {
  /** `sub` of the token: the person or system acting (written to the audit log). */
  subject: string;
  roles: Role[];
  /**
   * Set on a token issued for one account (a user-delegated token): such a caller may only name
   * that account, on routes that name one. Service tokens without it act for the account they name.
   */
  account?: string;
}
