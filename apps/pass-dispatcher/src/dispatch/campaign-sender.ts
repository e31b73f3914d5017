import { Logger } from '@nestjs/common';
import { Counter, metrics } from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { isTransientError } from '@platform/persistence';
import { causedBy, Clock, MessagingRuntime, withSpan } from '@platform/messaging';
import { announcedDeliveryAt, registerByFor } from '@platform/rules';
import { DelayNoticeRepository } from '../notices/delay-notice.repository';
import { ChannelClient, ChannelResult } from './channel-client';
import { DispatchRepository, QueuedPassRow } from './dispatch.repository';

let responses: Counter | null = null;
const channelResponses = (): Counter =>
  (responses ??= metrics.getMeter('pass-dispatcher').createCounter('heartpack_channel_responses', {
    description:
      'Talk Drawer channel answers to pass sends, by campaign and outcome (delivered, duplicate, rate_limited, unavailable, server_error, client_error, network_error)',
  }));

/** A closed set of outcomes (never the error text: bounded cardinality). */
export function channelOutcome(r: ChannelResult): string {
  switch (r.kind) {
    case 'DELIVERED':
      return r.duplicate ? 'duplicate' : 'delivered';
    case 'RETRY_AFTER':
      return r.status === 429 ? 'rate_limited' : 'unavailable';
    case 'FAILED': {
      const status = Number(/^HTTP (\d{3})/.exec(r.error)?.[1] ?? 0);
      if (status === 429) return 'rate_limited';
      if (status >= 500) return 'server_error';
      if (status >= 400) return 'client_error';
      return 'network_error';
    }
  }
}

/** The campaign has a newer sender (our epoch is stale): stop at once. */
export class LeadershipLost extends Error {}

export interface SenderOptions {
  campaignId: string;
  /** Fencing token from the takeover; every watermark write checks it. */
  epoch: number;
  /** The committed watermark at takeover: sending resumes at the slot after it. */
  watermark: number;
  defaultRate: number;
  maxUncommitted: number;
  retryMaxMs: number;
  noticeMarginMs: number;
  /** Group-commit window for the watermark. */
  commitIntervalMs: number;
  /** Most sends back to back to catch up after a hiccup (keep it within the channel's burst). */
  catchUpSlots: number;
}

export interface SenderStats {
  delivered: number;
  duplicates: number;
  retries: number;
  rateLimited: number;
  lastError: string | null;
  cursor: number;
  committed: number;
  /** Channel calls and the time spent in them (round trip as the sender sees it). */
  calls: number;
  channelMs: number;
  /** Time spent waiting for the next send time (pacing) and in commits the sender had to wait for. */
  pacingWaitMs: number;
  /** Control reads from the database that found the campaign paused (tests wait on it: the pause is seen). */
  pausedReads: number;
}

interface QueuedPass extends QueuedPassRow {
  /** When the sender read this pass (performance.now()); its controls must be read after that. */
  fetchedAt: number;
}

interface Confirmed {
  pass: QueuedPass;
  sentAt: Date;
  duplicate: boolean;
}

const CONTROL_REFRESH_MS = 500;
const IDLE_MS = 100;
const FETCH = 500;

/**
 * The one active sender of a campaign (R8, I5). Sends pass after pass in slot order, paced by
 * absolute time at the allowed rate, each with its pass id as idempotency key; a slot is retried
 * until the channel takes it (429/503 honour Retry-After, 5xx/timeouts back off), never skipped.
 * Confirmed deliveries are committed in the background as a contiguous watermark, in groups, with
 * their `talkdrawer.pass.sent.v1` events; at most `maxUncommitted` may wait, which is also the most
 * a successor re-sends (as channel-side duplicates) after a crash.
 *
 * Order holds even if an old sender has not noticed yet that it was replaced: each sender sends
 * slot s only after the channel confirmed s - 1, and the channel delivers a key once, so the first
 * delivery of s always follows the first delivery of s - 1.
 */
export class CampaignSender {
  private readonly log: Logger;
  private stopping = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private cursor: number;
  private committed: number;
  private pending: Confirmed[] = [];
  private committing: Promise<void> | null = null;
  private commitError: unknown = null;
  private nextAt = performance.now();
  private errorWrittenAt = -Infinity;
  private control = { paused: false, rate: 1, storageGb: 0, at: -Infinity };
  readonly stats: SenderStats;
  finished = false;
  exitReason: string | null = null;

  constructor(
    private readonly o: SenderOptions,
    private readonly repo: DispatchRepository,
    private readonly notices: DelayNoticeRepository,
    private readonly messaging: MessagingRuntime,
    private readonly channel: ChannelClient,
    private readonly clock: Clock,
  ) {
    this.log = new Logger(`Sender:${o.campaignId}`);
    this.cursor = o.watermark;
    this.committed = o.watermark;
    this.control.rate = o.defaultRate;
    this.stats = {
      delivered: 0,
      duplicates: 0,
      retries: 0,
      rateLimited: 0,
      lastError: null,
      cursor: o.watermark,
      committed: o.watermark,
      calls: 0,
      channelMs: 0,
      pausedReads: 0,
      pacingWaitMs: 0,
    };
  }

  get campaignId(): string {
    return this.o.campaignId;
  }

  start(): void {
    this.loop = this.run()
      .catch((e: unknown) => {
        this.exitReason = e instanceof LeadershipLost ? 'replaced by a newer sender' : `failed: ${String(e)}`;
        if (e instanceof LeadershipLost) this.log.warn('another sender took over; stopping');
        else this.log.error(`sender stopped: ${String(e)}`);
      })
      .finally(() => {
        this.finished = true;
      });
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    this.log.log(`sending from slot ${this.cursor + 1} (epoch ${this.o.epoch})`);
    let queue: QueuedPass[] = [];
    try {
      while (!this.stopping) {
        this.throwIfCommitFailed();
        await this.refreshControl();
        if (this.held()) {
          await this.pause(IDLE_MS);
          this.nextAt = performance.now();
          continue;
        }
        if (queue.length === 0) queue = await this.fetchNext();
        const p = queue[0];
        if (!p) {
          this.kickCommit();
          await this.pause(IDLE_MS);
          this.nextAt = performance.now();
          continue;
        }
        while (this.pending.length >= this.o.maxUncommitted && !this.stopping) {
          this.kickCommit();
          await this.committing;
          this.throwIfCommitFailed();
        }
        if (!p.noticed && this.clock.now().getTime() >= p.noticeDeadline.getTime() - this.o.noticeMarginMs)
          await this.noticeBeforeSending(p);
        const confirmed = await this.deliver(p);
        if (!confirmed) break;
        queue.shift();
        this.cursor = p.slot;
        this.stats.cursor = p.slot;
        this.pending.push(confirmed);
        this.kickCommit();
      }
    } finally {
      // Commit what the channel confirmed (unless we were replaced: then the successor resends it).
      await this.drainCommits().catch((e: unknown) => this.log.warn(`final commit failed (successor will resend): ${String(e)}`));
    }
    this.throwIfCommitFailed();
  }

  /** Sends one pass until the channel takes it; null when stopping. */
  private async deliver(p: QueuedPass): Promise<Confirmed | null> {
    let backoff = 50;
    for (;;) {
      if (this.stopping) return null;
      this.throwIfCommitFailed();
      // Controls read after this pass was: a pass reserved after a pause answered is never sent.
      await this.refreshControl(p.fetchedAt);
      if (this.held()) {
        await this.pause(IDLE_MS);
        this.nextAt = performance.now();
        continue;
      }
      const interval = 1000 / this.control.rate;
      // Schedule by absolute time: no drift from send latency; a small catch-up after a hiccup.
      this.nextAt = Math.max(this.nextAt, performance.now() - interval * this.o.catchUpSlots);
      const waitFrom = performance.now();
      await this.sleepUntil(this.nextAt);
      const callFrom = performance.now();
      this.stats.pacingWaitMs += callFrom - waitFrom;
      if (this.stopping) return null;
      const r = await this.channel.send({
        passId: p.passId,
        accountId: p.accountId,
        campaignId: this.o.campaignId,
        slot: p.slot,
        storageGb: this.control.storageGb,
      });
      this.stats.calls++;
      this.stats.channelMs += performance.now() - callFrom;
      channelResponses().add(1, { campaign: this.o.campaignId, outcome: channelOutcome(r) });
      switch (r.kind) {
        case 'DELIVERED':
          this.nextAt += interval;
          this.stats.delivered++;
          if (r.duplicate) this.stats.duplicates++;
          this.stats.lastError = null;
          return { pass: p, sentAt: this.clock.now(), duplicate: r.duplicate };
        case 'RETRY_AFTER':
          this.stats.rateLimited++;
          this.stats.retries++;
          if (r.status !== 429) this.reportError(`slot ${p.slot}: HTTP ${r.status} (retry after ${r.waitMs} ms)`);
          this.nextAt = performance.now() + r.waitMs;
          break;
        case 'FAILED': {
          this.stats.retries++;
          this.reportError(`slot ${p.slot}: ${r.error}`);
          const wait = r.retryable ? Math.min(backoff, this.o.retryMaxMs) : this.o.retryMaxMs;
          if (!r.retryable) this.log.error(`slot ${p.slot} refused by the channel (retrying, never skipping): ${r.error}`);
          backoff = Math.min(backoff * 2, this.o.retryMaxMs);
          this.nextAt = performance.now() + wait * (0.75 + Math.random() * 0.5);
          break;
        }
      }
    }
  }

  /** Keeps the latest send error for ops (GET /passes/status), written at most every 2 s. */
  private reportError(error: string): void {
    this.stats.lastError = error;
    const now = performance.now();
    if (now - this.errorWrittenAt < 2000) return;
    this.errorWrittenAt = now;
    this.repo
      .recordSendError(this.o.campaignId, this.o.epoch, error)
      .catch((e: unknown) => this.log.warn(`could not record send error: ${String(e)}`));
  }

  private async fetchNext(): Promise<QueuedPass[]> {
    const rows = await this.repo.queuedAfter(this.o.campaignId, this.cursor, FETCH);
    const out: QueuedPass[] = [];
    const fetchedAt = performance.now();
    let expected = this.cursor + 1;
    for (const r of rows) {
      if (r.slot !== expected) break; // never skip: wait for the missing slot's commit
      out.push({ ...r, fetchedAt });
      expected++;
    }
    return out;
  }

  /** Last line of defence for I6: a pass about to go out at or past deadline - margin without a notice gets one first. */
  private async noticeBeforeSending(p: QueuedPass): Promise<void> {
    await withSpan('pass delay notice before sending', { attributes: this.spanAttributes(p.slot, p.slot) }, () =>
      this.noticeInTransaction(p),
    );
    p.noticed = true;
  }

  private spanAttributes(first: number, last: number): Record<string, string | number> {
    return { 'campaign.id': this.o.campaignId, 'pass.slot.first': first, 'pass.slot.last': last, 'sender.epoch': this.o.epoch };
  }

  private async noticeInTransaction(p: QueuedPass): Promise<void> {
    await this.messaging.transaction(async (ctx) => {
      const row = await this.notices.noticeBeforeSending(ctx, p.passId, announcedDeliveryAt(ctx.now, p.noticeDeadline));
      if (!row) return;
      ctx.emit(
        'passDelayNotice',
        {
          passId: p.passId,
          accountId: p.accountId,
          campaignId: this.o.campaignId,
          slot: p.slot,
          claimedAt: new Date(row.claimed_at).toISOString(),
          estimatedDeliveryAt: announcedDeliveryAt(ctx.now, p.noticeDeadline).toISOString(),
          noticedAt: ctx.now.toISOString(),
        },
        causedBy(p.traceparent, 'pass delay notice', { 'pass.slot': p.slot }),
      );
    });
  }

  /** Paused by ops, or shedding (service priorities: claims first); the pass waits, in order. */
  private held(): boolean {
    return this.control.paused || (this.messaging.shedding?.active ?? false);
  }

  /** Re-reads pause/rate at most every CONTROL_REFRESH_MS, and always when the copy predates `notBefore`. */
  private async refreshControl(notBefore = -Infinity): Promise<void> {
    const now = performance.now();
    if (now - this.control.at < CONTROL_REFRESH_MS && this.control.at >= notBefore) return;
    const c = await this.repo.controls(this.o.campaignId);
    if (!c || c.epoch !== this.o.epoch) throw new LeadershipLost();
    this.control = { paused: c.paused, rate: c.ratePerSecond ?? this.o.defaultRate, storageGb: c.storageGb, at: now };
    if (c.paused) this.stats.pausedReads++;
  }

  private kickCommit(): void {
    if (this.committing || this.pending.length === 0) return;
    this.committing = this.commitLoop().finally(() => {
      this.committing = null;
    });
  }

  private async drainCommits(): Promise<void> {
    while (this.pending.length > 0 && !(this.commitError instanceof LeadershipLost)) {
      this.kickCommit();
      await this.committing;
      if (this.commitError && !(this.commitError instanceof LeadershipLost)) {
        const e = this.commitError;
        this.commitError = null;
        throw e;
      }
    }
  }

  private throwIfCommitFailed(): void {
    if (this.commitError) throw this.commitError;
  }

  /**
   * Commits confirmed deliveries in groups, in slot order; transient failures are retried. Waiting
   * `commitIntervalMs` before each group keeps database work per pass low at high send rates (a
   * crash resends at most that window's passes, as channel-side duplicates).
   */
  private async commitLoop(): Promise<void> {
    let backoff = 100;
    while (this.pending.length > 0) {
      if (!this.stopping && this.pending.length < this.o.maxUncommitted / 2)
        await new Promise((r) => setTimeout(r, this.o.commitIntervalMs));
      const batch = this.pending.slice(0, 1000);
      try {
        await this.commit(batch);
        this.pending.splice(0, batch.length);
        backoff = 100;
      } catch (e) {
        if (isTransientError(e) && !this.stopping) {
          this.log.warn(`watermark commit failed, retrying in ${backoff} ms: ${String(e)}`);
          await new Promise((r) => setTimeout(r, backoff));
          backoff = Math.min(backoff * 2, 5000);
          continue;
        }
        this.commitError = e;
        this.wake?.();
        return;
      }
    }
  }

  /** One send round's commit: a span of its own; each pass's event continues its claim's trace. */
  private async commit(batch: Confirmed[]): Promise<void> {
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (!first || !last) return;
    await withSpan(
      'pass send round',
      { attributes: { ...this.spanAttributes(first.pass.slot, last.pass.slot), 'pass.count': batch.length } },
      () => this.commitInTransaction(batch, first, last),
    );
    this.committed = last.pass.slot;
    this.stats.committed = this.committed;
  }

  private async commitInTransaction(batch: Confirmed[], first: Confirmed, last: Confirmed): Promise<void> {
    await this.messaging.transaction(async (ctx) => {
      const c = await this.repo.advanceWatermark(ctx, this.o.campaignId, this.o.epoch, {
        from: first.pass.slot - 1,
        to: last.pass.slot,
        progressAt: last.sentAt,
      });
      if (!c) throw new LeadershipLost(`watermark of ${this.o.campaignId} moved under epoch ${this.o.epoch}`);
      const registerBy = batch.map((b) => registerByFor(b.sentAt, c.registrationWindowSeconds));
      await this.repo.markSent(
        ctx,
        batch.map((b, i) => ({ passId: b.pass.passId, sentAt: b.sentAt, registerBy: registerBy[i] ?? b.sentAt, duplicate: b.duplicate })),
      );
      batch.forEach((b, i) => {
        ctx.emit(
          'passSent',
          {
            passId: b.pass.passId,
            accountId: b.pass.accountId,
            campaignId: this.o.campaignId,
            slot: b.pass.slot,
            sentAt: b.sentAt.toISOString(),
            registerBy: (registerBy[i] ?? b.sentAt).toISOString(),
          },
          causedBy(b.pass.traceparent, 'pass sent', { 'pass.slot': b.pass.slot }),
        );
      });
    });
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.wake === done) this.wake = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }

  private async sleepUntil(at: number): Promise<void> {
    const wait = at - performance.now();
    if (wait > 0) await this.pause(wait);
  }
}
