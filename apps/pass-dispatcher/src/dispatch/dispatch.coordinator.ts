import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { Client } from 'pg';
import { authSecret, ServiceToken } from '@platform/auth';
import { CLOCK, Clock, MessagingRuntime, SweepScheduler, SweepTask } from '@platform/messaging';
import { databaseUrl } from '@platform/persistence';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import { passesDatabase, type PassDispatcherConfig } from '../config';
import { DelayNoticeRepository } from '../notices/delay-notice.repository';
import { CampaignSender, SenderStats } from './campaign-sender';
import { ChannelClient } from './channel-client';
import { DispatchRepository } from './dispatch.repository';

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });

/**
 * Leader election, one sender per campaign across all replicas: a replica becomes a campaign's
 * sender by taking a Postgres session advisory lock on its own dedicated connection (a pg Client,
 * never a pooled one, so the lock lives exactly as long as that connection). When the holder dies,
 * its connection closes and Postgres releases the lock; if it freezes or is cut off, Postgres ends
 * the idle session after LEADER_SESSION_TIMEOUT_MS. Another replica's next poll takes over, raising
 * the campaign's leader epoch, which fences the old sender's watermark writes. The holder checks
 * its connection every poll and stops all its senders the moment it is in doubt.
 */
@Injectable()
export class DispatchCoordinator implements BeforeApplicationShutdown {
  private readonly log = new Logger('DispatchCoordinator');
  private client: Client | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly senders = new Map<string, CampaignSender>();
  private readonly rounds: SweepTask;
  private readonly channel: ChannelClient;

  constructor(
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    private readonly repo: DispatchRepository,
    private readonly notices: DelayNoticeRepository,
    private readonly messaging: MessagingRuntime,
    @Inject(CLOCK) private readonly clock: Clock,
    sweeps: SweepScheduler,
  ) {
    this.channel = new ChannelClient(
      config.TALK_CHANNEL_URL,
      config.CHANNEL_TIMEOUT_MS,
      new ServiceToken(authSecret(config), 'pass-dispatcher', ['pass-dispatcher']),
    );
    // the first round at start: campaigns nobody leads get a sender without waiting a poll period
    this.rounds = sweeps.every(
      { name: 'dispatch leadership round', everyMs: config.DISPATCH_ENABLED ? config.LEADER_POLL_MS : 0, log: this.log, runAtStart: true },
      (stopping) => this.poll(stopping),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    // the scheduler stopped the rounds already (onModuleDestroy); stopping again keeps the order plain
    await this.rounds.stop();
    await this.release('shutdown');
    this.channel.close();
  }

  /** Campaigns this replica currently sends for, with their counters. */
  leading(): { campaignId: string; stats: SenderStats }[] {
    return [...this.senders.values()].filter((s) => !s.finished).map((s) => ({ campaignId: s.campaignId, stats: { ...s.stats } }));
  }

  /** One leadership round now (serialized with the periodic ones: rounds never overlap). */
  pollOnce(): Promise<void> {
    return this.rounds.runNow();
  }

  /** One round: check our lock connection, reap stopped senders, take campaigns nobody leads. */
  private async poll(stopping: AbortSignal): Promise<void> {
    if (stopping.aborted) return;
    const client = await this.connection();
    if (!client) return;
    try {
      await withTimeout(client.query('SELECT 1'), 5000, 'leader heartbeat');
    } catch (e) {
      await this.release(`lock connection failed: ${String(e)}`);
      return;
    }
    for (const [id, s] of this.senders) {
      if (!s.finished) continue;
      this.senders.delete(id);
      await this.repo.releaseSenderLock(client, id);
      this.log.warn(`sender of ${id} ended (${s.exitReason ?? 'stopped'}); leadership released`);
    }
    for (const id of await this.repo.campaignIds()) {
      if (this.senders.has(id) || stopping.aborted) continue;
      if (!(await this.repo.trySenderLock(client, id))) continue;
      try {
        await this.takeOver(id);
      } catch (e) {
        await this.repo.releaseSenderLock(client, id).catch(() => undefined);
        throw e;
      }
    }
  }

  private async takeOver(campaignId: string): Promise<void> {
    const row = await this.repo.takeOver(campaignId, this.config.INSTANCE_ID, this.clock.now());
    if (!row) throw new Error(`campaign ${campaignId} vanished`);
    const sender = new CampaignSender(
      {
        campaignId,
        epoch: row.epoch,
        watermark: row.watermark,
        defaultRate: this.config.DISPATCH_RATE_PER_SECOND,
        maxUncommitted: this.config.DISPATCH_MAX_UNCOMMITTED,
        retryMaxMs: this.config.DISPATCH_RETRY_MAX_MS,
        noticeMarginMs: this.config.DELAY_NOTICE_MARGIN_MS,
        commitIntervalMs: this.config.DISPATCH_COMMIT_INTERVAL_MS,
        catchUpSlots: this.config.DISPATCH_CATCH_UP_SLOTS,
      },
      this.repo,
      this.notices,
      this.messaging,
      this.channel,
      this.clock,
    );
    this.senders.set(campaignId, sender);
    sender.start();
    this.log.log(`${this.config.INSTANCE_ID} is now the sender of ${campaignId} (epoch ${row.epoch}, watermark ${row.watermark})`);
  }

  private async connection(): Promise<Client | null> {
    if (this.client) return this.client;
    const client = new Client({
      connectionString: databaseUrl(this.config.DATABASE_URL, passesDatabase(this.config)),
      application_name: `pass-dispatcher-leader:${this.config.INSTANCE_ID}`,
      keepAlive: true,
      connectionTimeoutMillis: 5000,
    });
    client.on('error', (e) => {
      this.log.error(`lock connection error: ${String(e)}`);
      void this.release(`lock connection error: ${String(e)}`);
    });
    try {
      await client.connect();
    } catch (e) {
      await client.end().catch(() => undefined);
      this.log.warn(`cannot open lock connection: ${String(e)}`);
      return null;
    }
    // If we stop heartbeating (frozen, cut off), Postgres ends this session and frees our locks.
    const timeout = Math.max(this.config.LEADER_SESSION_TIMEOUT_MS, 3 * this.config.LEADER_POLL_MS);
    await client.query(`SET idle_session_timeout = ${Math.round(timeout)}`).catch((e: unknown) => {
      // Postgres < 14: only a closed connection frees the lock (a frozen leader holds it until TCP gives up)
      this.log.warn(`idle_session_timeout not available: ${String(e)}`);
    });
    this.client = client;
    // Keeps the session busy on its own timer: a poll round can wait longer than the idle timeout
    // (a takeover UPDATE queued behind a frozen leader's open transaction on the campaign row), and
    // an idle lock session would then be ended under a live leader. A frozen process stops this too.
    this.heartbeat = setInterval(
      () => {
        client.query('SELECT 1').catch(() => undefined);
      },
      Math.max(100, Math.min(this.config.LEADER_POLL_MS, timeout / 3)),
    );
    this.heartbeat.unref();
    return client;
  }

  /** Stops every sender of this replica and drops the lock connection (which frees the locks). */
  private async release(why: string): Promise<void> {
    const client = this.client;
    this.client = null;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    const senders = [...this.senders.values()];
    this.senders.clear();
    if (senders.length > 0) this.log.warn(`stopping ${senders.length} sender(s): ${why}`);
    await Promise.all(senders.map((s) => s.stop()));
    if (client) await client.end().catch(() => undefined);
  }
}
