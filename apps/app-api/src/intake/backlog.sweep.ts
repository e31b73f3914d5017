import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { metrics } from '@opentelemetry/api';
import type { Admin } from 'kafkajs';
import { consumerGroupId, Topics } from '@platform/contracts';
import { MessagingRuntime, SweepScheduler } from '@platform/messaging';
import { admit, Admission, BacklogSource, CounterSample, DEFAULT_ADMISSION_POLICY, ratePerSecond } from '@platform/rules';
import { ClaimRepository } from '../claims/claim.repository';
import type { AppApiConfig } from '../config';
import { APP_API_CONFIG } from '../tokens';

export interface BacklogSnapshot {
  measuredAt: string | null;
  sources: BacklogSource[];
  /** Claims taken in since the last measurement (counted into intake-pending until the next one). */
  takenSinceMeasured: number;
  refused: number;
}

/**
 * Measures the queues behind the front door once per interval, off the request path: the claims
 * this service took in that are not decided yet (its own queue, end to end: outbox, Kafka, the
 * claims consumer, the decision on its way back) and the claims service's consumer lag on
 * compensation.claim.requested.v1 (every producer's claims, read from Kafka), each with the rate it
 * drains at. Requests are admitted or refused against the last measurement plus what was taken in
 * since, so a burst between two measurements cannot run far past the bound. Runs every
 * INTAKE_SAMPLE_INTERVAL_MS from bootstrap on (SweepScheduler: one run at a time, awaited at shutdown).
 */
@Injectable()
export class BacklogSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly log = new Logger('BacklogMonitor');
  private admin: Admin | null = null;
  private lagSamples: CounterSample[] = [];
  private lagFailing = false;
  private sources: BacklogSource[] = [];
  private measuredAt: Date | null = null;
  private taken = 0;
  private refused = 0;
  private readonly policy;

  constructor(
    private readonly claims: ClaimRepository,
    private readonly messaging: MessagingRuntime,
    @Inject(APP_API_CONFIG) private readonly config: AppApiConfig,
    sweeps: SweepScheduler,
  ) {
    this.policy = { ...DEFAULT_ADMISSION_POLICY, maxRetryAfterSeconds: config.INTAKE_MAX_RETRY_AFTER_SECONDS };
    sweeps.every({ name: 'intake backlog measurement', everyMs: config.INTAKE_SAMPLE_INTERVAL_MS, log: this.log, runAtStart: true }, () =>
      this.measure(),
    );
  }

  onApplicationBootstrap(): void {
    const meter = metrics.getMeter('app-api');
    meter.createObservableGauge('intake_backlog', { description: 'Items waiting behind the front door, per source' }).addCallback((r) => {
      for (const s of this.sources) r.observe(s.backlog + (s.name === 'intake-pending' ? this.taken : 0), { source: s.name });
    });
    meter.createObservableGauge('intake_drain_per_second', { description: 'Measured drain rate, per source' }).addCallback((r) => {
      for (const s of this.sources) r.observe(s.drainPerSecond, { source: s.name });
    });
    meter
      .createObservableCounter('intake_refused_total', { description: 'Claims answered 429 (backlog over its bound)' })
      .addCallback((r) => r.observe(this.refused));
  }

  /** The measurements stopped with the other sweeps (onModuleDestroy), before this: the admin client goes last. */
  async onApplicationShutdown(): Promise<void> {
    await this.admin?.disconnect().catch(() => undefined);
  }

  /** Admit a new claim, or refuse it with the wait; `spread` (0..1) spreads the refused callers' returns. */
  admit(spread: number): Admission {
    const sources = this.sources.map((s) => (s.name === 'intake-pending' ? { ...s, backlog: s.backlog + this.taken } : s));
    return admit(sources, spread, this.policy);
  }

  /** A new claim was taken in (committed). */
  noteTaken(): void {
    this.taken++;
  }

  /** A new claim was answered 429. */
  noteRefused(): void {
    this.refused++;
  }

  snapshot(): BacklogSnapshot {
    return {
      measuredAt: this.measuredAt?.toISOString() ?? null,
      sources: this.sources.map((s) => ({ ...s })),
      takenSinceMeasured: this.taken,
      refused: this.refused,
    };
  }

  /** One measurement (also called by tests to measure now). */
  async measure(): Promise<void> {
    const sources: BacklogSource[] = [];
    try {
      const takenBefore = this.taken;
      // Counting stops well past the bound: enough to say how long it takes to drain, cheap at any size.
      const cap = this.config.INTAKE_MAX_PENDING * 10;
      const { pending, settled } = await this.claims.intakeBacklog(cap, this.config.INTAKE_RATE_WINDOW_MS / 1000);
      this.taken -= takenBefore; // those are in the count now (or decided already)
      sources.push({
        name: 'intake-pending',
        backlog: pending,
        bound: this.config.INTAKE_MAX_PENDING,
        drainPerSecond: settled / (this.config.INTAKE_RATE_WINDOW_MS / 1000),
      });
    } catch (e) {
      // Without a measurement the last one stands; the database being down fails the request anyway.
      this.log.warn(`intake backlog not measured: ${String(e)}`);
      return;
    }
    const lag = await this.claimsLag();
    if (lag) sources.push(lag);
    this.sources = sources;
    this.measuredAt = new Date();
  }

  private async claimsLag(): Promise<BacklogSource | null> {
    const topic = this.messaging.namer.physical(Topics.claimRequested.name);
    const groupId = this.config.CLAIMS_CONSUMER_GROUP ?? consumerGroupId('claims', this.config.KAFKA_TOPIC_PREFIX);
    try {
      if (!this.admin) {
        const admin = this.messaging.kafka.admin();
        await admin.connect();
        this.admin = admin;
      }
      const [ends, [committed]] = await Promise.all([
        this.admin.fetchTopicOffsets(topic),
        this.admin.fetchOffsets({ groupId, topics: [topic] }),
      ]);
      const done = new Map((committed?.partitions ?? []).map((p) => [p.partition, Number(p.offset)]));
      let lag = 0;
      let consumed = 0;
      for (const p of ends) {
        const high = Number(p.high);
        const at = Math.max(done.get(p.partition) ?? -1, Number(p.low));
        lag += Math.max(high - at, 0);
        consumed += at;
      }
      this.lagSamples.push({ atMs: Date.now(), total: consumed });
      const keepFrom = Date.now() - this.config.INTAKE_RATE_WINDOW_MS;
      this.lagSamples = this.lagSamples.filter((x) => x.atMs >= keepFrom);
      if (this.lagFailing) this.log.log('claims consumer lag measured again');
      this.lagFailing = false;
      return {
        name: 'claims-consumer-lag',
        backlog: lag,
        bound: this.config.INTAKE_MAX_CLAIMS_LAG,
        drainPerSecond: ratePerSecond(this.lagSamples, this.config.INTAKE_RATE_WINDOW_MS),
      };
    } catch (e) {
      if (!this.lagFailing) this.log.warn(`claims consumer lag not measured (admitting on the intake's own backlog): ${String(e)}`);
      this.lagFailing = true;
      await this.admin?.disconnect().catch(() => undefined);
      this.admin = null;
      return null;
    }
  }
}
