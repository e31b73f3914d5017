import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Counter, metrics } from '@opentelemetry/api';
import { MessagingRuntime, SweepScheduler, TxContext } from '@platform/messaging';
import { ClaimGrantKind, GrantsSeen, missingGrants, nextReconcileStep, RedrivePolicy, redriveBackoffMs } from '@platform/rules';
import type { AppApiConfig } from '../config';
import { APP_API_CONFIG } from '../tokens';
import { ClaimReconcileRepository, DecisionRow, ReconcileUpdate, ReconciliationStatus } from './claim-reconcile.repository';

export { RECONCILIATION_STATUSES } from './claim-reconcile.repository';
export type { ReconciliationStatus } from './claim-reconcile.repository';

/** One pass of the reconciler: what it looked at and what it did. */
export interface ReconcileRun {
  /** ACCEPTED claims checked for the first time (their bound had passed). */
  checked: number;
  /** Of those, claims missing grants (each got its first re-drive request). */
  found: number;
  /** Re-drive requests emitted (first and later ones). */
  redriven: number;
  completed: number;
  stuck: number;
}

export interface ReconciliationReport {
  counts: Record<ReconciliationStatus, number>;
  campaigns: ({ campaignId: string } & Record<ReconciliationStatus, number>)[];
  /** ACCEPTED claims checked once past their bound. */
  checked: number;
  /** The first checks went through the decisions this service recorded up to here. */
  checkedThroughRecordedAt: string | null;
  lastRunAt: string | null;
  policy: { intervalMs: number; afterMs: number; maxAttempts: number; backoffMs: number; maxBackoffMs: number };
  stuck: {
    claimId: string;
    eventId: string;
    campaignId: string;
    accountId: string;
    attempts: number;
    missing: ClaimGrantKind[];
    firstFoundAt: string;
    lastRequestedAt: string;
    stuckAt: string | null;
  }[];
}

/** What the read model shows of these claims' grants. */
type Seen = Map<string, GrantsSeen>;

/** Campaign ids are data: a label per campaign is fine for a handful, past that `other`. */
const MAX_CAMPAIGN_LABELS = 50;

/**
 * Gift packs that converge (I3, continuously). Each ACCEPTED decision is checked once its bound
 * (RECONCILE_AFTER_MS after it reached this service) has passed, against the timeline read model:
 * a pack per emoticon of its rewards, the member's coupons, a pass reservation or sold-out answer.
 * A claim missing any gets `compensation.claim.redrive.requested.v1` (the claims service publishes
 * its decision again; the granting services are idempotent by claim, so only the gaps are filled)
 * and is checked again with backoff; after RECONCILE_MAX_ATTEMPTS requests it is STUCK: reported on
 * /metrics (alert GiftPackStuck), GET /v1/reconciliation and the account's timeline, and still
 * checked now and then, so late grants complete it. State and requests commit in one transaction;
 * replicas take turns (a transaction-scoped advisory lock), so a claim is never asked for twice at once.
 */
@Injectable()
export class ClaimReconcileSweep implements OnApplicationBootstrap {
  private readonly log = new Logger('ClaimReconciler');
  private readonly policy: RedrivePolicy;
  private counts: { campaign: string; status: ReconciliationStatus; n: number }[] = [];
  private checkedTotal = 0;
  private lastRunAt: Date | null = null;
  private redrives: Counter | null = null;
  private readonly campaignLabels = new Set<string>();

  constructor(
    private readonly reconciliations: ClaimReconcileRepository,
    private readonly messaging: MessagingRuntime,
    @Inject(APP_API_CONFIG) private readonly config: AppApiConfig,
    sweeps: SweepScheduler,
  ) {
    this.policy = {
      maxAttempts: config.RECONCILE_MAX_ATTEMPTS,
      backoffMs: config.RECONCILE_BACKOFF_MS,
      maxBackoffMs: Math.max(config.RECONCILE_MAX_BACKOFF_MS, config.RECONCILE_BACKOFF_MS),
    };
    // every RECONCILE_INTERVAL_MS (0: never on its own), one pass at a time, awaited at shutdown
    sweeps.every({ name: 'claim reconciliation', everyMs: config.RECONCILE_INTERVAL_MS, log: this.log }, (stopping) =>
      this.reconcileOnce(stopping),
    );
  }

  onApplicationBootstrap(): void {
    const meter = metrics.getMeter('app-api');
    meter
      .createObservableGauge('heartpack_reconciler_claims', {
        description: 'Accepted claims the reconciler found missing grants, by campaign and status (RE_DRIVEN, STUCK, COMPLETED)',
      })
      .addCallback((r) => {
        for (const c of this.counts) r.observe(c.n, { campaign: c.campaign, status: c.status });
      });
    meter
      .createObservableCounter('heartpack_reconciler_checked', {
        description: 'Accepted claims checked once their bound passed (all replicas)',
      })
      .addCallback((r) => r.observe(this.checkedTotal));
    meter
      .createObservableGauge('heartpack_reconciler_last_run_timestamp_seconds', { description: 'When this replica last finished a pass' })
      .addCallback((r) => {
        if (this.lastRunAt) r.observe(this.lastRunAt.getTime() / 1000);
      });
    this.redrives = meter.createCounter('heartpack_reconciler_redrives', {
      description: 'Re-drive requests emitted (committed), by campaign',
    });
  }

  /**
   * One pass: first checks of claims past their bound, then the claims being followed that are due
   * (tests call it directly); `stopping` (shutdown began) ends it between two transactions.
   */
  async reconcileOnce(stopping?: AbortSignal): Promise<ReconcileRun> {
    const run: ReconcileRun = { checked: 0, found: 0, redriven: 0, completed: 0, stuck: 0 };
    for (const phase of [(ctx: TxContext) => this.firstChecks(ctx, run), (ctx: TxContext) => this.rechecks(ctx, run)]) {
      // until caught up (a backlog after a peak is read in one pass), or until shutdown
      while (!stopping?.aborted) {
        const before = run.redriven;
        const { more, perCampaign } = await this.messaging.transaction(phase, 'reconcile claims');
        // counted once committed (a rolled-back transaction asked for nothing)
        for (const [campaign, n] of perCampaign) this.redrives?.add(n, { campaign: this.label(campaign) });
        if (run.redriven > before) this.log.log(`re-drive requested for ${run.redriven - before} claims`);
        if (!more) break;
      }
    }
    await this.measure();
    this.lastRunAt = new Date();
    return run;
  }

  /** Counts per campaign and status, and how many claims were checked (for /metrics and the report). */
  async measure(): Promise<void> {
    const { rows, checked } = await this.reconciliations.counts();
    const byLabel = new Map<string, { campaign: string; status: ReconciliationStatus; n: number }>();
    for (const r of rows) {
      const campaign = this.label(r.campaign_id);
      const k = `${campaign}\u0000${r.status}`;
      const c = byLabel.get(k) ?? { campaign, status: r.status, n: 0 };
      c.n += Number(r.n);
      byLabel.set(k, c);
    }
    this.counts = [...byLabel.values()];
    this.checkedTotal = checked;
  }

  /** GET /v1/reconciliation: counts per campaign and status, how far the first checks got, and the stuck claims. */
  async report(opts: { limit: number; campaignId?: string }): Promise<ReconciliationReport> {
    const campaign = opts.campaignId ?? null;
    const { counts, cursor: cur, stuck } = await this.reconciliations.report(campaign, opts.limit);
    const total = { RE_DRIVEN: 0, STUCK: 0, COMPLETED: 0 };
    const byCampaign = new Map<string, ReconciliationReport['campaigns'][number]>();
    for (const r of counts) {
      const c = byCampaign.get(r.campaign_id) ?? { campaignId: r.campaign_id, RE_DRIVEN: 0, STUCK: 0, COMPLETED: 0 };
      c[r.status] += Number(r.n);
      total[r.status] += Number(r.n);
      byCampaign.set(r.campaign_id, c);
    }
    return {
      counts: total,
      campaigns: [...byCampaign.values()],
      checked: Number(cur?.checked ?? 0),
      checkedThroughRecordedAt: cur ? new Date(cur.recorded_at).toISOString() : null,
      lastRunAt: cur ? new Date(cur.ran_at).toISOString() : null,
      policy: {
        intervalMs: this.config.RECONCILE_INTERVAL_MS,
        afterMs: this.config.RECONCILE_AFTER_MS,
        maxAttempts: this.policy.maxAttempts,
        backoffMs: this.policy.backoffMs,
        maxBackoffMs: this.policy.maxBackoffMs,
      },
      stuck: stuck.map((r) => ({
        claimId: r.claim_id,
        eventId: r.event_id,
        campaignId: r.campaign_id,
        accountId: r.account_id,
        attempts: r.attempts,
        missing: r.missing,
        firstFoundAt: new Date(r.first_found_at).toISOString(),
        lastRequestedAt: new Date(r.last_requested_at).toISOString(),
        stuckAt: r.stuck_at ? new Date(r.stuck_at).toISOString() : null,
      })),
    };
  }

  private label(campaignId: string): string {
    if (this.campaignLabels.has(campaignId)) return campaignId;
    if (this.campaignLabels.size >= MAX_CAMPAIGN_LABELS) return 'other';
    this.campaignLabels.add(campaignId);
    return campaignId;
  }

  private async firstChecks(ctx: TxContext, run: ReconcileRun): Promise<{ more: boolean; perCampaign: Map<string, number> }> {
    const perCampaign = new Map<string, number>();
    if (!(await this.reconciliations.turn(ctx))) return { more: false, perCampaign };
    const bound = new Date(ctx.now.getTime() - this.config.RECONCILE_AFTER_MS);
    const rows = await this.reconciliations.acceptedAfterCursor(ctx, bound, this.config.RECONCILE_BATCH);
    const last = rows[rows.length - 1];
    if (!last) return { more: false, perCampaign };
    const seen = await this.grantsSeen(ctx, rows);
    const found: { d: DecisionRow; missing: ClaimGrantKind[] }[] = [];
    for (const d of rows) {
      const missing = this.missing(d, seen);
      if (missing.length > 0) found.push({ d, missing });
    }
    if (found.length > 0) {
      const nextCheckAt = new Date(ctx.now.getTime() + redriveBackoffMs(1, this.policy));
      const fresh = await this.reconciliations.follow(ctx, found, nextCheckAt);
      for (const f of found) {
        if (!fresh.has(f.d.claim_id)) continue; // already followed (a claim decided twice here cannot be, but be safe)
        this.request(ctx, f.d, f.missing, 1, perCampaign);
        run.found++;
        run.redriven++;
      }
    }
    run.checked += rows.length;
    await this.reconciliations.advanceCursor(ctx, last.event_id, rows.length);
    return { more: rows.length >= this.config.RECONCILE_BATCH, perCampaign };
  }

  private async rechecks(ctx: TxContext, run: ReconcileRun): Promise<{ more: boolean; perCampaign: Map<string, number> }> {
    const perCampaign = new Map<string, number>();
    if (!(await this.reconciliations.turn(ctx))) return { more: false, perCampaign };
    const rows = await this.reconciliations.dueForCheck(ctx, this.config.RECONCILE_BATCH);
    if (rows.length === 0) return { more: false, perCampaign };
    const seen = await this.grantsSeen(ctx, rows);
    const updates: ReconcileUpdate[] = [];
    for (const r of rows) {
      const missing = this.missing(r, seen);
      const step = nextReconcileStep(r.attempts, missing, this.policy, ctx.now);
      switch (step.kind) {
        case 'COMPLETED':
          updates.push({ claimId: r.claim_id, status: 'COMPLETED', attempts: r.attempts, missing, nextCheckAt: ctx.now });
          run.completed++;
          break;
        case 'REDRIVE':
          updates.push({ claimId: r.claim_id, status: 'RE_DRIVEN', attempts: step.attempt, missing, nextCheckAt: step.nextCheckAt });
          this.request(ctx, r, missing, step.attempt, perCampaign);
          run.redriven++;
          break;
        case 'STUCK':
          updates.push({ claimId: r.claim_id, status: 'STUCK', attempts: r.attempts, missing, nextCheckAt: step.nextCheckAt });
          if (r.status !== 'STUCK') {
            run.stuck++;
            this.log.warn({ msg: 'gift pack stuck', claimId: r.claim_id, campaignId: r.campaign_id, missing, attempts: r.attempts });
          }
          break;
      }
    }
    await this.reconciliations.update(ctx, updates);
    return { more: rows.length >= this.config.RECONCILE_BATCH, perCampaign };
  }

  private request(ctx: TxContext, d: DecisionRow, missing: ClaimGrantKind[], attempt: number, perCampaign: Map<string, number>): void {
    ctx.emit('claimRedriveRequested', {
      claimId: d.claim_id,
      campaignId: d.campaign_id,
      accountId: d.account_id,
      missing,
      attempt,
      requestedAt: ctx.now.toISOString(),
    });
    perCampaign.set(d.campaign_id, (perCampaign.get(d.campaign_id) ?? 0) + 1);
  }

  /** Missing grants of a decision; none when its rewards are unknown (a decision without them names nothing to wait for). */
  private missing(d: DecisionRow, seen: Seen): ClaimGrantKind[] {
    if (!d.rewards) return [];
    return missingGrants(
      d.rewards,
      d.makers_member === true,
      seen.get(d.claim_id) ?? { emoticonIds: [], couponsIssued: 0, passAnswered: false },
    );
  }

  private async grantsSeen(ctx: TxContext, ds: DecisionRow[]): Promise<Seen> {
    const rows = await this.reconciliations.grantEvents(
      ctx,
      ds.map((d) => d.claim_id),
    );
    const seen: Seen = new Map();
    for (const r of rows) {
      const s = seen.get(r.claim_id) ?? { emoticonIds: [], couponsIssued: 0, passAnswered: false };
      if (r.topic === 'entitlementGranted' && r.emoticon_id) s.emoticonIds = [...s.emoticonIds, r.emoticon_id];
      else if (r.topic === 'couponIssued') s.couponsIssued++;
      else if (r.topic === 'passReserved' || r.topic === 'passSoldOut') s.passAnswered = true;
      seen.set(r.claim_id, s);
    }
    return seen;
  }
}
