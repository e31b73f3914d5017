import { z } from 'zod';
import { isoInstant } from './primitives';

/**
 * An ops action taken over HTTP (pause, resume or re-rate a campaign's pass dispatch, create a
 * campaign): who did it, what, to what, when and from where. The acting service also keeps it in
 * its own database (`ops_audit`), written in the same transaction as the change.
 */
export const opsActionAudited = z.object({
  auditId: z.string(),
  /** The service that performed the action. */
  service: z.string(),
  /** The token's subject. */
  actor: z.string(),
  roles: z.array(z.string()),
  /** e.g. `passes.campaign.pause`, `claims.campaign.create`. */
  action: z.string(),
  /** What it acted on (a campaign id). */
  target: z.string(),
  /** The request's settings (new rate, campaign window...), never a secret. */
  detail: z.record(z.string(), z.unknown()),
  /** Peer address of the request. */
  from: z.string().nullable(),
  at: isoInstant,
});
