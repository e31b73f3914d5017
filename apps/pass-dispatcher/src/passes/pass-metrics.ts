import { Inject, Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { metrics, ObservableResult } from '@opentelemetry/api';
import { CLOCK, Clock } from '@platform/messaging';
import { estimateDrainAt } from '@platform/rules';
import { PASS_DISPATCHER_CONFIG } from '../tokens';
import type { PassDispatcherConfig } from '../config';
import { allowedRate, CampaignRepository } from '../campaigns/campaign.repository';
import { PassRepository } from './pass.repository';

interface QueueSample {
  campaign: string;
  reserved: number;
  watermark: number;
  queued: number;
  drainEtaSeconds: number;
  oldestUnsentAgeSeconds: number;
  delayBoundSeconds: number;
  allowedRate: number;
  paused: number;
}

/**
 * The pass queue on /metrics, per campaign (a handful: the label is bounded): reserved, sent
 * watermark, depth, estimated drain time (the same model as GET /passes/status and the delay
 * notices), age of the oldest unsent claim against the delay-notice bound (R8: three days).
 */
@Injectable()
export class PassMetrics implements OnApplicationBootstrap {
  private cache: { at: number; samples: Promise<QueueSample[]> } | null = null;

  constructor(
    private readonly campaigns: CampaignRepository,
    private readonly passes: PassRepository,
    @Inject(PASS_DISPATCHER_CONFIG) private readonly config: PassDispatcherConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    const meter = metrics.getMeter('pass-dispatcher');
    const gauge = (name: string, description: string, pick: (s: QueueSample) => number) =>
      meter.createObservableGauge(name, { description }).addCallback(async (r: ObservableResult) => {
        for (const s of await this.samples()) r.observe(pick(s), { campaign: s.campaign });
      });
    gauge('heartpack_pass_reserved', 'Passes reserved (slots handed out, R7)', (s) => s.reserved);
    gauge('heartpack_pass_sent_watermark', 'Highest slot sent with every slot before it (I5)', (s) => s.watermark);
    gauge('heartpack_pass_queue_depth', 'Passes reserved and not sent yet', (s) => s.queued);
    gauge('heartpack_pass_drain_eta_seconds', 'Estimated seconds until the queue is sent (0 when empty)', (s) => s.drainEtaSeconds);
    gauge('heartpack_pass_oldest_unsent_age_seconds', 'Age of the oldest unsent claim (0 when none)', (s) => s.oldestUnsentAgeSeconds);
    gauge('heartpack_pass_delay_bound_seconds', 'Delay after which a claim is owed a notice (R8)', (s) => s.delayBoundSeconds);
    gauge('heartpack_pass_allowed_rate_per_second', 'Send rate the sender is allowed', (s) => s.allowedRate);
    gauge('heartpack_pass_paused', '1 while ops paused the campaign', (s) => s.paused);
  }

  /** One set of queries per scrape (cached 5 s: every gauge above reads the same sample). */
  private samples(): Promise<QueueSample[]> {
    if (this.cache && Date.now() - this.cache.at < 5000) return this.cache.samples;
    const samples = this.measure().catch(() => []);
    this.cache = { at: Date.now(), samples };
    return samples;
  }

  private async measure(): Promise<QueueSample[]> {
    const now = this.clock.now();
    const windowMs = this.config.RATE_WINDOW_SECONDS * 1000;
    const out: QueueSample[] = [];
    for (const c of (await this.campaigns.load()).slice(0, 50)) {
      const model = await this.campaigns.etaModel(c, now, { windowMs, defaultRate: this.config.DISPATCH_RATE_PER_SECOND });
      const drainAt = c.reserved > c.sentWatermark ? estimateDrainAt(model, c.reserved) : null;
      const oldestClaimedAt = await this.passes.claimedAt(c.campaignId, c.sentWatermark + 1);
      out.push({
        campaign: c.campaignId,
        reserved: c.reserved,
        watermark: c.sentWatermark,
        queued: c.reserved - c.sentWatermark,
        drainEtaSeconds: drainAt ? Math.max(0, (drainAt.getTime() - now.getTime()) / 1000) : 0,
        oldestUnsentAgeSeconds: oldestClaimedAt ? Math.max(0, (now.getTime() - oldestClaimedAt.getTime()) / 1000) : 0,
        delayBoundSeconds: c.delayNoticeAfterSeconds,
        allowedRate: allowedRate(c, this.config.DISPATCH_RATE_PER_SECOND),
        paused: c.paused ? 1 : 0,
      });
    }
    return out;
  }
}
