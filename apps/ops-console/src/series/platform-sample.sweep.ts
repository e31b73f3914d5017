import { Inject, Injectable, Logger } from '@nestjs/common';
import { ChannelAdminPaths, type ChannelStats } from '@platform/contracts';
import { SweepScheduler } from '@platform/messaging';
import { CONSOLE_CONFIG } from '../tokens';
import { ConsoleConfig, watchedServices } from '../config';
import { ServiceDatabaseRepository, type GrantCounts, type OldestUnsent, type ParkedCount } from '../platform/service-database.repository';
import { DeadLetterDesk } from '../platform/dead-letters';
import { ServiceApi } from '../platform/service-api';
import { claimCounts, CounterSample, MinuteBucket, perMinute, trimSamples } from './series';

interface CampaignDefinitionView {
  campaignId: string;
  name: string;
  opensAt: string;
  closesAt: string;
  createdAt?: string;
  rewards?: { pass?: { cap?: number } | null };
}
interface ClaimStats {
  campaigns: Record<string, { accepted: number; rejected: number; byReason: Record<string, number> }>;
}
interface PassStatus {
  now: string;
  campaigns: {
    campaignId: string;
    cap: number;
    reserved: number;
    remaining: number;
    soldOut: number;
    watermark: number;
    queued: number;
    paused: boolean;
    allowedRatePerSecond: number;
    currentRatePerSecond: number;
    estimateRatePerSecond: number;
    stalledSeconds: number;
    estimatedDrainAt: string | null;
    noticesSent: number;
    noticesByTrigger: Record<string, number>;
    leader: unknown;
    lastSendError: string | null;
  }[];
}
interface ReliefSummary {
  campaigns?: Record<string, unknown>;
}
/** What the ops console reads of the simulator's stats (its settings ride along). */
type ChannelSample = ChannelStats & { settings?: { outage?: boolean; ratePerSecond?: number } };

export interface ServiceHealthView {
  name: string;
  url: string;
  ready: boolean;
  status: number | null;
  /** Sum of the consumers' lag (messages behind the brokers' high watermarks), null without consumers. */
  lag: number | null;
  consumers: { topics: string[]; connected: boolean; lag: number; stuck: number; halted: number; secondsSinceProgress: number }[];
  outbox: { published?: number; quarantined?: number; secondsSinceSuccess?: number } | null;
  problem: string | null;
}

export interface Snapshot {
  at: string;
  tookMs: number;
  campaigns: {
    campaignId: string;
    name: string;
    opensAt: string;
    closesAt: string;
    claims: { accepted: number; rejected: number; byReason: Record<string, number> };
    grants: {
      emoticons: GrantCounts['emoticons'][string] | null;
      coupons: GrantCounts['coupons'][string] | null;
      passes: { reserved: number; sent: number; soldOut: number } | null;
    };
    passes: (PassStatus['campaigns'][number] & { oldestUnsent: (OldestUnsent & { ageSeconds: number | null }) | null }) | null;
    relief: unknown;
  }[];
  channel: { stats: ChannelSample | null; problem: string | null };
  dlq: { topics: { topic: string; depth: number }[]; total: number; problem: string | null };
  parked: { counts: ParkedCount[]; problems: string[] };
  services: ServiceHealthView[];
  /** Sources that could not be read this time (the rest of the page is still current). */
  problems: string[];
}

interface PassSample {
  at: number;
  reserved: number;
  watermark: number;
  currentRatePerSecond: number;
  noticesSent: number;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

function healthView(
  name: string,
  url: string,
  r: { ready: boolean; status: number | null; body: unknown; error?: string },
): ServiceHealthView {
  const details = ((r.body as { details?: Record<string, Record<string, unknown>> } | null)?.details ?? {}) as Record<
    string,
    Record<string, unknown>
  >;
  const raw = (details['kafka-consumers']?.consumers ?? null) as
    | {
        topics: string[];
        connected: boolean;
        lag: Record<string, number>;
        stuck: unknown[];
        halted: unknown[];
        secondsSinceProgress: number;
      }[]
    | null;
  const consumers = (raw ?? []).map((c) => ({
    topics: c.topics,
    connected: c.connected,
    lag: Object.values(c.lag ?? {}).reduce((a, b) => a + b, 0),
    stuck: c.stuck?.length ?? 0,
    halted: c.halted?.length ?? 0,
    secondsSinceProgress: c.secondsSinceProgress,
  }));
  const down = Object.entries(details)
    .filter(([, v]) => v?.status === 'down')
    .map(([k]) => k);
  return {
    name,
    url,
    ready: r.ready,
    status: r.status,
    lag: raw ? consumers.reduce((a, c) => a + c.lag, 0) : null,
    consumers,
    outbox: (details.outbox as ServiceHealthView['outbox']) ?? null,
    problem: r.error ? `unreachable: ${r.error}` : r.ready ? null : down.length ? `down: ${down.join(', ')}` : `HTTP ${r.status}`,
  };
}

/**
 * Samples the platform every SAMPLE_INTERVAL_MS: the services' APIs and readiness, the DLQ depths
 * and the read-only database figures. Keeps the latest snapshot and, for the charts, the cumulative
 * counters over HISTORY_MINUTES (in memory). One sample at a time (SweepScheduler; a tick while
 * one is under way is skipped, and the one in flight is awaited at shutdown).
 */
@Injectable()
export class PlatformSampleSweep {
  private readonly log = new Logger('PlatformSampler');
  private running: Promise<void> | null = null;
  private latest: Snapshot | null = null;
  private lastAttemptAt = 0;
  private readonly claimHistory = new Map<string, CounterSample[]>();
  private readonly passHistory = new Map<string, PassSample[]>();
  private dlqHistory: { at: number; total: number }[] = [];
  private lagHistory: { at: number; lag: Record<string, number | null> }[] = [];

  constructor(
    @Inject(CONSOLE_CONFIG) private readonly config: ConsoleConfig,
    private readonly api: ServiceApi,
    private readonly dbs: ServiceDatabaseRepository,
    private readonly dlq: DeadLetterDesk,
    sweeps: SweepScheduler,
  ) {
    sweeps.every({ name: 'platform sample', everyMs: config.SAMPLE_INTERVAL_MS, log: this.log, runAtStart: true }, () => this.sampleNow());
  }

  /** Takes a sample unless one is under way (then waits for it). */
  sampleNow(): Promise<void> {
    this.running ??= this.sample()
      .catch((e: unknown) => this.log.warn(`sample failed: ${errorText(e)}`))
      .finally(() => (this.running = null));
    return this.running;
  }

  /** Whether the sampler is alive: it attempted a sample within three intervals. */
  alive(): boolean {
    return Date.now() - this.lastAttemptAt < 3 * this.config.SAMPLE_INTERVAL_MS + 15_000;
  }

  snapshot(): Snapshot | null {
    return this.latest;
  }

  history(now = Date.now()) {
    const minutes = this.config.HISTORY_MINUTES;
    const claimsPerMinute: Record<string, MinuteBucket[]> = {};
    for (const [id, samples] of this.claimHistory) claimsPerMinute[id] = perMinute(samples, now, Math.min(minutes, 30));
    const passes: Record<string, PassSample[]> = {};
    for (const [id, samples] of this.passHistory) passes[id] = samples;
    return { claimsPerMinute, passes, dlq: this.dlqHistory, lag: this.lagHistory };
  }

  private async sample(): Promise<void> {
    const started = Date.now();
    this.lastAttemptAt = started;
    const c = this.config;
    const problems: string[] = [];
    const attempt = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
      try {
        return await f();
      } catch (e) {
        problems.push(`${what}: ${errorText(e)}`);
        return null;
      }
    };
    const [campaigns, stats, passes, relief, channel, grants, oldest, depths, parked, health] = await Promise.all([
      attempt('claims GET /campaigns', () => this.api.read<{ campaigns: CampaignDefinitionView[] }>(c.CLAIMS_URL, '/campaigns')),
      attempt('claims GET /claims/stats', () => this.api.read<ClaimStats>(c.CLAIMS_URL, '/claims/stats')),
      attempt('pass-dispatcher GET /passes/status', () => this.api.read<PassStatus>(c.PASSES_URL, '/passes/status')),
      attempt('merchant-relief GET /relief/summary', () => this.api.read<ReliefSummary>(c.RELIEF_URL, '/relief/summary')),
      attempt('talk-channel-sim GET /admin/stats', () => this.api.read<ChannelSample>(c.TALK_CHANNEL_URL, ChannelAdminPaths.stats)),
      attempt('emoticon and coupon grants (databases)', () => this.dbs.grants()),
      attempt('oldest unsent pass (database)', () => this.dbs.oldestUnsent()),
      attempt('DLQ depths (Kafka)', () => this.dlq.depths()),
      this.dbs.parked(),
      Promise.all(watchedServices(c).map(async (s) => healthView(s.name, s.url, await this.api.readiness(s.url)))),
    ]);
    const now = Date.now();
    const ids = new Set<string>([
      ...(campaigns?.campaigns ?? []).map((x) => x.campaignId),
      ...Object.keys(stats?.campaigns ?? {}),
      ...(passes?.campaigns ?? []).map((p) => p.campaignId),
    ]);
    const definitions = new Map((campaigns?.campaigns ?? []).map((d) => [d.campaignId, d]));
    const reliefByCampaign = (relief?.campaigns ?? {}) as Record<string, unknown>;
    const view: Snapshot['campaigns'] = [];
    for (const id of ids) {
      const d = definitions.get(id);
      const claims = stats?.campaigns[id] ?? { accepted: 0, rejected: 0, byReason: {} };
      const p = passes?.campaigns.find((x) => x.campaignId === id) ?? null;
      const o = oldest?.find((x) => x.campaignId === id) ?? null;
      view.push({
        campaignId: id,
        name: d?.name ?? id,
        opensAt: d?.opensAt ?? '',
        closesAt: d?.closesAt ?? '',
        claims,
        grants: {
          emoticons: grants ? (grants.emoticons[id] ?? { total: 0, byPack: {}, activated: 0 }) : null,
          coupons: grants ? (grants.coupons[id] ?? { total: 0, byAmountWon: {}, redeemed: 0 }) : null,
          passes: p ? { reserved: p.reserved, sent: p.watermark, soldOut: p.soldOut } : null,
        },
        passes: p
          ? {
              ...p,
              oldestUnsent: o
                ? { ...o, ageSeconds: o.claimedAt ? Math.max(0, Math.round((now - Date.parse(o.claimedAt)) / 1000)) : null }
                : null,
            }
          : null,
        relief: reliefByCampaign[id] ?? null,
      });
      if (stats) this.push(this.claimHistory, id, { at: now, counts: claimCounts(stats.campaigns[id]) });
      if (p)
        this.push(this.passHistory, id, {
          at: now,
          reserved: p.reserved,
          watermark: p.watermark,
          currentRatePerSecond: p.currentRatePerSecond,
          noticesSent: p.noticesSent,
        });
    }
    view.sort((a, b) => (b.opensAt || '').localeCompare(a.opensAt || '') || a.campaignId.localeCompare(b.campaignId));
    const dlqTopics = depths ? [...depths].map(([topic, depth]) => ({ topic, depth })) : [];
    const dlqTotal = dlqTopics.reduce((a, t) => a + t.depth, 0);
    const keep = this.config.HISTORY_MINUTES * 60_000;
    if (depths) this.dlqHistory = trimSamples([...this.dlqHistory, { at: now, total: dlqTotal }], now, keep);
    this.lagHistory = trimSamples(
      [...this.lagHistory, { at: now, lag: Object.fromEntries(health.map((h) => [h.name, h.lag])) }],
      now,
      keep,
    );
    this.latest = {
      at: new Date(now).toISOString(),
      tookMs: now - started,
      campaigns: view,
      channel: { stats: channel, problem: channel ? null : (problems.find((x) => x.startsWith('talk-channel-sim')) ?? null) },
      dlq: { topics: dlqTopics, total: dlqTotal, problem: depths ? null : (problems.find((x) => x.startsWith('DLQ')) ?? null) },
      parked: { counts: parked.counts, problems: parked.errors },
      services: health,
      problems: [...problems, ...parked.errors.map((e) => `parked_message ${e}`)],
    };
  }

  private push<T extends { at: number }>(m: Map<string, T[]>, id: string, s: T): void {
    m.set(id, trimSamples([...(m.get(id) ?? []), s], s.at, this.config.HISTORY_MINUTES * 60_000));
  }
}
