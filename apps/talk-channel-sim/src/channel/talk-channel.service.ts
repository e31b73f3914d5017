import { Inject, Injectable } from '@nestjs/common';
import { z } from 'zod';
import type { ChannelAuditReport, ChannelCampaignAudit, ChannelDelivery, ChannelSendPassRequest, ChannelStats } from '@platform/contracts';
import { CHANNEL_SIM_CONFIG, MONOTONIC_MS, type MonotonicMs } from '../tokens';
import type { ChannelSimConfig } from '../config';
import { lognormalMs, seededRandom } from './random';
import { TokenBucket } from './token-bucket';

/** Runtime-changeable behaviour (POST /admin/config). */
export const simSettings = z.strictObject({
  ratePerSecond: z.number().min(0).max(100_000),
  burst: z.number().int().min(1).max(100_000),
  latencyMedianMs: z.number().min(0).max(60_000),
  latencyP99Ms: z.number().min(0).max(60_000),
  errorRate: z.number().min(0).max(1),
  errorAfterDeliveryShare: z.number().min(0).max(1),
  outage: z.boolean(),
});
export type SimSettings = z.infer<typeof simSettings>;

export type SendOutcome =
  | { kind: 'DELIVERED'; delivery: ChannelDelivery }
  | { kind: 'DUPLICATE'; delivery: ChannelDelivery }
  | { kind: 'KEY_REUSED'; delivery: ChannelDelivery }
  | { kind: 'OUTAGE' }
  | { kind: 'RATE_LIMITED'; retryAfterMs: number }
  | { kind: 'ERROR'; status: number; delivered: boolean };

const emptyStats = (): ChannelStats => ({
  requests: 0,
  delivered: 0,
  duplicates: 0,
  rateLimited: 0,
  outageRejected: 0,
  errorsBeforeDelivery: 0,
  errorsAfterDelivery: 0,
  keyReused: 0,
  badRequests: 0,
});

const sleep = (ms: number): Promise<void> => (ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms)));

/**
 * The simulated Kakao Talk Drawer channel: rate limit (token bucket, 429 + Retry-After), lognormal
 * latency, injected 5xx (before or after delivering), an outage switch, and idempotency keys (the
 * same key again is answered with the original delivery, marked duplicate, and never delivered
 * twice). Every first delivery is recorded in arrival order with a sequence number.
 *
 * State is in memory (this is a test double): a restart forgets deliveries and keys.
 */
@Injectable()
export class TalkChannel {
  private settings: SimSettings;
  private readonly bucket: TokenBucket;
  private readonly random: () => number;
  private readonly deliveries: ChannelDelivery[] = [];
  private readonly byKey = new Map<string, ChannelDelivery>();
  private stats: ChannelStats = emptyStats();
  readonly startedAt = Date.now();

  constructor(
    @Inject(CHANNEL_SIM_CONFIG) config: ChannelSimConfig,
    @Inject(MONOTONIC_MS) private readonly monotonic: MonotonicMs,
  ) {
    this.settings = {
      ratePerSecond: config.SIM_RATE_LIMIT_PER_SECOND,
      burst: config.SIM_RATE_LIMIT_BURST,
      latencyMedianMs: config.SIM_LATENCY_MEDIAN_MS,
      latencyP99Ms: config.SIM_LATENCY_P99_MS,
      errorRate: config.SIM_ERROR_RATE,
      errorAfterDeliveryShare: config.SIM_ERROR_AFTER_DELIVERY_SHARE,
      outage: config.SIM_OUTAGE,
    };
    this.bucket = new TokenBucket(this.settings.ratePerSecond, this.settings.burst, monotonic());
    this.random = seededRandom(config.SIM_SEED ?? Math.floor(Math.random() * 2 ** 31));
  }

  config(): SimSettings {
    return { ...this.settings };
  }

  configure(patch: Partial<SimSettings>): SimSettings {
    this.settings = { ...this.settings, ...patch };
    this.bucket.reconfigure(this.settings.ratePerSecond, this.settings.burst, this.monotonic());
    return this.config();
  }

  countBadRequest(): void {
    this.stats.requests++;
    this.stats.badRequests++;
  }

  async send(idempotencyKey: string, body: ChannelSendPassRequest): Promise<SendOutcome> {
    this.stats.requests++;
    const s = this.settings;
    if (s.outage) {
      this.stats.outageRejected++;
      return { kind: 'OUTAGE' };
    }
    const token = this.bucket.take(this.monotonic());
    if (!token.ok) {
      this.stats.rateLimited++;
      return { kind: 'RATE_LIMITED', retryAfterMs: token.retryAfterMs };
    }
    const fail = this.random() < s.errorRate;
    const failAfter = fail && this.random() < s.errorAfterDeliveryShare;
    const status = [500, 502, 503][Math.floor(this.random() * 3)] ?? 500;
    await sleep(lognormalMs(this.random, s.latencyMedianMs, s.latencyP99Ms));
    if (fail && !failAfter) {
      this.stats.errorsBeforeDelivery++;
      return { kind: 'ERROR', status, delivered: false };
    }
    // Check and record without awaiting in between: two requests with one key cannot both deliver.
    const existing = this.byKey.get(idempotencyKey);
    let outcome: SendOutcome;
    if (existing) {
      if (existing.passId !== body.passId || existing.slot !== body.slot || existing.accountId !== body.accountId) {
        this.stats.keyReused++;
        return { kind: 'KEY_REUSED', delivery: existing };
      }
      this.stats.duplicates++;
      outcome = { kind: 'DUPLICATE', delivery: existing };
    } else {
      const delivery: ChannelDelivery = {
        sequence: this.deliveries.length + 1,
        idempotencyKey,
        passId: body.passId,
        accountId: body.accountId,
        campaignId: body.campaignId ?? null,
        slot: body.slot,
        deliveredAt: new Date().toISOString(),
      };
      this.deliveries.push(delivery);
      this.byKey.set(idempotencyKey, delivery);
      this.stats.delivered++;
      outcome = { kind: 'DELIVERED', delivery };
    }
    if (failAfter) {
      // Delivered, but the caller never hears about it: only its idempotency key saves a second delivery.
      this.stats.errorsAfterDelivery++;
      return { kind: 'ERROR', status, delivered: true };
    }
    return outcome;
  }

  /** Deliveries with sequence > after, oldest first. */
  list(after: number, limit: number): ChannelDelivery[] {
    return this.deliveries.slice(Math.max(0, after), Math.max(0, after) + limit);
  }

  get lastSequence(): number {
    return this.deliveries.length;
  }

  statistics(): ChannelStats & { lastSequence: number; uptimeSeconds: number; settings: SimSettings } {
    return {
      ...this.stats,
      lastSequence: this.lastSequence,
      uptimeSeconds: Math.round((Date.now() - this.startedAt) / 1000),
      settings: this.config(),
    };
  }

  /**
   * Order and uniqueness per campaign, over everything delivered: slots strictly increasing in
   * delivery order, no slot or pass twice, and whether the slots are 1..N without holes.
   */
  audit(): ChannelAuditReport {
    const per = new Map<string, ChannelCampaignAudit & { seen: Set<number>; passes: Set<string> }>();
    for (const d of this.deliveries) {
      const c = d.campaignId ?? '(none)';
      let a = per.get(c);
      if (!a) {
        a = {
          campaignId: c,
          delivered: 0,
          firstSlot: d.slot,
          lastSlot: d.slot,
          inOrder: true,
          unique: true,
          contiguousFromOne: false,
          violations: [],
          seen: new Set(),
          passes: new Set(),
        };
        per.set(c, a);
      } else if (d.slot <= a.lastSlot) {
        a.inOrder = false;
        if (a.violations.length < 20) a.violations.push(`sequence ${d.sequence}: slot ${d.slot} after slot ${a.lastSlot}`);
      }
      if (a.seen.has(d.slot) || a.passes.has(d.passId)) {
        a.unique = false;
        if (a.violations.length < 20) a.violations.push(`sequence ${d.sequence}: slot ${d.slot} / pass ${d.passId} delivered again`);
      }
      a.seen.add(d.slot);
      a.passes.add(d.passId);
      a.delivered++;
      a.lastSlot = Math.max(a.lastSlot, d.slot);
    }
    const campaigns = [...per.values()].map(({ seen, passes: _passes, ...a }) => {
      let max = 0;
      for (const s of seen) max = Math.max(max, s);
      return { ...a, contiguousFromOne: seen.size === max && a.unique };
    });
    return { delivered: this.deliveries.length, campaigns };
  }

  reset(): void {
    this.deliveries.length = 0;
    this.byKey.clear();
    this.stats = emptyStats();
  }
}
