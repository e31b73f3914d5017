import { z } from 'zod';

/**
 * The Talk Drawer channel's HTTP API (Kakao's; talk-channel-sim answers it in tests and drills),
 * stated once: the pass dispatcher's client sends and reads it, the simulator validates and answers
 * it. Only the send endpoint is the channel's; the simulator's /admin controls are its own.
 */
export const ChannelPaths = {
  /** POST: deliver one pass; idempotent by the `Idempotency-Key` header. */
  passes: '/v1/passes',
} as const;

/**
 * Header names as the channel writes them. HTTP header names are case-insensitive; Node hands a
 * client or a server the headers it received under lower-cased names (`.toLowerCase()` to read them).
 */
export const ChannelHeaders = {
  /** The caller's key for one delivery (the dispatcher uses the pass id): the same key again is never delivered twice. */
  idempotencyKey: 'Idempotency-Key',
  /** With 429 and 503: whole seconds to wait (rounded up), or an HTTP date. */
  retryAfter: 'Retry-After',
  /** With 429: the wait in milliseconds, more precise than Retry-After. */
  retryAfterMs: 'Retry-After-Ms',
} as const;

/** Printable ASCII without spaces, at most 200 characters. */
export const channelIdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,200}$/);

/** The pass and who gets it: the fields the channel reads from a send. */
export const channelPass = z.object({
  passId: z.string().min(1).max(128),
  accountId: z.string().min(1).max(128),
  slot: z.number().int().positive(),
  campaignId: z.string().min(1).max(128).optional(),
});
export type ChannelPass = z.infer<typeof channelPass>;

/** The body of `POST /v1/passes`: a {@link channelPass}; other fields (the dispatcher sends `storageGb`) are kept but not interpreted. */
export const channelSendPassRequest = channelPass.loose();
export type ChannelSendPassRequest = z.infer<typeof channelSendPassRequest>;

/** A first delivery as the channel recorded it (the original, when answering a duplicate). */
export const channelDelivery = z.object({
  sequence: z.number().int().positive(),
  idempotencyKey: z.string(),
  passId: z.string(),
  accountId: z.string(),
  campaignId: z.string().nullable(),
  slot: z.number().int().positive(),
  deliveredAt: z.string(),
});
export type ChannelDelivery = z.infer<typeof channelDelivery>;

/** 201 (delivered now, `duplicate: false`) or 200 (the same key was delivered before: `duplicate: true` and the original delivery). */
export const channelSendPassAccepted = z.object({ duplicate: z.boolean(), delivery: channelDelivery });
export type ChannelSendPassAccepted = z.infer<typeof channelSendPassAccepted>;

/** The channel's answers to a send, by status. */
export const ChannelStatus = {
  delivered: 201,
  duplicate: 200,
  /** No or bad Idempotency-Key, or a body that is not a pass. */
  badRequest: 400,
  /** The key was delivered before for another pass (or slot, or account). */
  keyReused: 422,
  /** The channel's rate limit: Retry-After and Retry-After-Ms say when to come back. */
  rateLimited: 429,
  /** An outage (with Retry-After), or an injected failure. */
  unavailable: 503,
} as const;

export const CHANNEL_ERRORS = [
  'IDEMPOTENCY_KEY_REQUIRED',
  'INVALID_BODY',
  'IDEMPOTENCY_KEY_REUSED',
  'RATE_LIMITED',
  'CHANNEL_UNAVAILABLE',
  'INTERNAL',
] as const;
export type ChannelErrorCode = (typeof CHANNEL_ERRORS)[number];

/** Every non-2xx answer: the code, and what goes with it. */
export const channelError = z.object({
  error: z.enum(CHANNEL_ERRORS),
  /** INVALID_BODY: which fields are wrong. */
  detail: z.string().optional(),
  /** IDEMPOTENCY_KEY_REUSED: the delivery the key belongs to. */
  delivery: channelDelivery.optional(),
  /** RATE_LIMITED: the same wait as the Retry-After-Ms header. */
  retryAfterMs: z.number().optional(),
});
export type ChannelError = z.infer<typeof channelError>;

/** What `POST /v1/passes` answers, whatever the status. */
export type ChannelSendPassResponse = ChannelSendPassAccepted | ChannelError;

/** The simulator's admin API, what tests, drills and the ops console read from it. */
export const ChannelAdminPaths = { stats: '/admin/stats', audit: '/admin/audit' } as const;

/** `GET /admin/stats`: counters since start or the last reset. */
export interface ChannelStats {
  requests: number;
  delivered: number;
  duplicates: number;
  rateLimited: number;
  outageRejected: number;
  errorsBeforeDelivery: number;
  errorsAfterDelivery: number;
  keyReused: number;
  badRequests: number;
}

/** One campaign in `GET /admin/audit`: slot order and uniqueness over everything delivered. */
export interface ChannelCampaignAudit {
  campaignId: string;
  delivered: number;
  firstSlot: number;
  lastSlot: number;
  inOrder: boolean;
  unique: boolean;
  contiguousFromOne: boolean;
  violations: string[];
}

/** `GET /admin/audit`. */
export interface ChannelAuditReport {
  delivered: number;
  campaigns: ChannelCampaignAudit[];
}
