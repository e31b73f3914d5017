import { Controller, Inject, Logger } from '@nestjs/common';
import { context } from '@opentelemetry/api';
import { Ctx, Payload } from '@nestjs/microservices';
import { randomUUID } from 'node:crypto';
import { DlqReason } from '@platform/contracts';
import { Batch, eventIdReusedReason, Inbound, OnBatch, requestHash, TxContext } from '@platform/messaging';
import { ClaimRejection, judgeEligibility, secondClaimReason } from '@platform/rules';
import { CampaignRepository } from '../campaigns/campaign.repository';
import { CLAIMS_CONFIG } from '../tokens';
import type { ClaimsConfig } from '../config';
import { phoneKey } from './phone-key';

type Request = Inbound<'claimRequested'>;
type Reason = ClaimRejection | 'DUPLICATE' | 'DUPLICATE_PERSON';

interface Pending {
  m: Request;
  hash: string;
}

interface Decision extends Pending {
  claimId: string;
  /** DECIDED_ELSEWHERE: another transaction decided this eventId while we were deciding it. */
  status: 'ACCEPTED' | 'REJECTED' | 'DECIDED_ELSEWHERE';
  reason: Reason | null;
  phoneCountry: string | null;
  phoneHash: string | null;
  /** The campaign's one-gift-per-person option applies to this claim (it has a phone key). */
  onePerPerson: boolean;
}

function reused(m: Request): DlqReason {
  return eventIdReusedReason(m.value.eventId, 'claim');
}

/**
 * Decides every claim exactly once (I1) and accepts at most one per account per campaign (I2).
 * A whole chunk is decided with a handful of set-based statements; the "once per account" rule and
 * the campaign's "one gift per person" rule are the database's partial unique indexes, so racing
 * duplicates (same account, or same phone key on another account) cannot both be accepted.
 */
@Controller()
export class ClaimRequestHandler {
  // the log context keeps the old class name: log queries and dashboards filter on it
  private readonly log = new Logger('ClaimDecider');

  constructor(
    private readonly campaigns: CampaignRepository,
    @Inject(CLAIMS_CONFIG) private readonly config: ClaimsConfig,
  ) {}

  @OnBatch('claimRequested')
  async decide(@Payload() messages: Batch<'claimRequested'>, @Ctx() ctx: TxContext): Promise<void> {
    // R2: the same eventId again (a retry, a double delivery) is not a second claim; the same
    // eventId with another body is not a claim at all (EVENT_ID_REUSED).
    const byEvent = new Map<string, Pending>();
    for (const m of messages) {
      const hash = requestHash(m);
      const first = byEvent.get(m.value.eventId);
      if (!first) byEvent.set(m.value.eventId, { m, hash });
      else if (first.hash !== hash) ctx.reject(m, reused(m));
    }
    await this.dropDecided(ctx, byEvent);
    if (byEvent.size === 0) return;

    const campaigns = await this.campaigns.findMany(ctx.manager, [...new Set([...byEvent.values()].map((p) => p.m.value.campaignId))]);
    const decisions: Decision[] = [];
    for (const { m, hash } of byEvent.values()) {
      const c = campaigns.get(m.value.campaignId);
      const verdict = judgeEligibility(
        {
          talkLinked: m.value.talkLinked,
          phoneNumber: m.value.phoneNumber,
          requestedAt: new Date(m.value.requestedAt),
          producedAt: m.timestamp,
        },
        c && { opensAt: c.opensAt, closesAt: c.closesAt },
        this.config.CLAIM_SKEW_TOLERANCE_SECONDS * 1000,
      );
      const phoneHash = verdict.phoneE164 ? phoneKey(this.config.PHONE_HASH_SECRET, verdict.phoneE164) : null;
      decisions.push({
        m,
        hash,
        claimId: randomUUID(),
        status: verdict.eligible ? 'ACCEPTED' : 'REJECTED',
        reason: verdict.eligible ? null : verdict.reason,
        phoneCountry: verdict.phoneCountry,
        phoneHash,
        onePerPerson: c?.definition.onePerPerson === true && phoneHash !== null,
      });
    }

    // Eligible ones try to become the account's accepted claim; the unique index picks one winner.
    // Every decision emitted below is a row this transaction inserted: when another transaction
    // (another partition, another replica) decided the same eventId first, its answer stands alone.
    const inserted = new Set<string>();
    const eligible = decisions.filter((d) => d.status === 'ACCEPTED');
    if (eligible.length > 0) {
      for (const id of await this.insert(ctx, eligible)) inserted.add(id);
      const lost = new Map([...byEvent].filter(([id]) => eligible.some((d) => d.m.value.eventId === id) && !inserted.has(id)));
      await this.dropDecided(ctx, lost);
      const losers = eligible.filter((d) => !inserted.has(d.m.value.eventId) && lost.has(d.m.value.eventId));
      const why = await this.whyNotAccepted(ctx, losers);
      for (const d of eligible) {
        if (!inserted.has(d.m.value.eventId) && lost.has(d.m.value.eventId)) {
          d.status = 'REJECTED';
          d.reason = why.get(d.m.value.eventId) ?? 'DUPLICATE';
        } else if (!inserted.has(d.m.value.eventId)) {
          d.status = 'DECIDED_ELSEWHERE';
        }
      }
    }
    const rejected = decisions.filter((d) => d.status === 'REJECTED');
    if (rejected.length > 0) {
      for (const id of await this.insert(ctx, rejected)) inserted.add(id);
      const lost = new Map([...byEvent].filter(([id]) => rejected.some((d) => d.m.value.eventId === id) && !inserted.has(id)));
      await this.dropDecided(ctx, lost);
    }

    const decidedAt = ctx.now.toISOString();
    for (const d of decisions) {
      if (!inserted.has(d.m.value.eventId) || d.status === 'DECIDED_ELSEWHERE') continue;
      const c = campaigns.get(d.m.value.campaignId);
      ctx.emit(
        'claimDecided',
        {
          claimId: d.claimId,
          eventId: d.m.value.eventId,
          campaignId: d.m.value.campaignId,
          accountId: d.m.value.accountId,
          status: d.status,
          ...(d.reason ? { reason: d.reason } : {}),
          decidedAt,
          requestedAt: d.m.value.requestedAt,
          makersMember: d.m.value.makersMember,
          ...(d.status === 'ACCEPTED' && c ? { rewards: c.definition.rewards } : {}),
        },
        d.m,
      );
      // One line per decision (LOG_LEVEL=debug), in the claim's trace: trace_id joins it to Zipkin.
      context.with(d.m.trace, () =>
        this.log.debug({
          msg: 'claim decided',
          claimId: d.claimId,
          eventId: d.m.value.eventId,
          campaignId: d.m.value.campaignId,
          status: d.status,
          reason: d.reason,
        }),
      );
    }
  }

  /**
   * Removes requests whose eventId already has a decision: a redelivery (same body) changes
   * nothing; another body under the same eventId is parked as EVENT_ID_REUSED.
   */
  private async dropDecided(ctx: TxContext, pending: Map<string, Pending>): Promise<void> {
    if (pending.size === 0) return;
    const decided = await ctx.query<{ event_id: string; request_hash: string | null }>(
      `SELECT event_id, request_hash FROM claim WHERE event_id = ANY($1)`,
      [[...pending.keys()]],
    );
    for (const d of decided) {
      const p = pending.get(d.event_id);
      if (!p) continue;
      if (d.request_hash !== null && d.request_hash !== p.hash) ctx.reject(p.m, reused(p.m));
      pending.delete(d.event_id);
    }
  }

  /**
   * Which accepted claim stood in the way of each eligible claim that was not inserted: one of its
   * account (DUPLICATE) or, under onePerPerson, one of another account with the same phone key
   * (DUPLICATE_PERSON). Rows this transaction inserted are visible here, so a twin in the same
   * chunk counts like one committed earlier.
   */
  private async whyNotAccepted(ctx: TxContext, losers: Decision[]): Promise<Map<string, 'DUPLICATE' | 'DUPLICATE_PERSON'>> {
    const out = new Map<string, 'DUPLICATE' | 'DUPLICATE_PERSON'>();
    if (losers.length === 0) return out;
    const rows = await ctx.query<{ campaign_id: string; account_id: string; phone_hash: string | null; one_per_person: boolean }>(
      `SELECT campaign_id, account_id, phone_hash, one_per_person FROM claim
        WHERE status = 'ACCEPTED' AND campaign_id = ANY($1) AND (account_id = ANY($2) OR (one_per_person AND phone_hash = ANY($3)))`,
      [
        [...new Set(losers.map((d) => d.m.value.campaignId))],
        [...new Set(losers.map((d) => d.m.value.accountId))],
        [...new Set(losers.flatMap((d) => (d.phoneHash ? [d.phoneHash] : [])))],
      ],
    );
    for (const d of losers) {
      const inCampaign = rows.filter((r) => r.campaign_id === d.m.value.campaignId);
      const reason = secondClaimReason({
        accountHasAccepted: inCampaign.some((r) => r.account_id === d.m.value.accountId),
        personHasAccepted: inCampaign.some((r) => r.one_per_person && r.phone_hash !== null && r.phone_hash === d.phoneHash),
        onePerPerson: d.onePerPerson,
      });
      if (reason) out.set(d.m.value.eventId, reason);
    }
    return out;
  }

  /**
   * Inserts decisions; returns the event ids that were inserted. ON CONFLICT without a target
   * covers every unique rule: one accepted claim per account, one per phone key under onePerPerson
   * (partial indexes) and one decision per eventId; the caller finds out which one stopped a row.
   */
  private async insert(ctx: TxContext, ds: Decision[]): Promise<Set<string>> {
    const col = <T>(f: (d: Decision) => T): T[] => ds.map(f);
    const rows = await ctx.query<{ event_id: string }>(
      `INSERT INTO claim (claim_id, event_id, campaign_id, account_id, status, reason, talk_linked, makers_member,
                          phone_country, phone_hash, requested_at, produced_at, request_hash, one_per_person, decided_at)
       SELECT t.*, $15::timestamptz FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                $7::bool[], $8::bool[], $9::text[], $10::text[], $11::timestamptz[], $12::timestamptz[], $13::text[],
                                $14::bool[]) AS t
       ON CONFLICT DO NOTHING
       RETURNING event_id`,
      [
        col((d) => d.claimId),
        col((d) => d.m.value.eventId),
        col((d) => d.m.value.campaignId),
        col((d) => d.m.value.accountId),
        col((d) => d.status),
        col((d) => d.reason),
        col((d) => d.m.value.talkLinked),
        col((d) => d.m.value.makersMember),
        col((d) => d.phoneCountry),
        col((d) => d.phoneHash),
        col((d) => (Number.isNaN(Date.parse(d.m.value.requestedAt)) ? null : d.m.value.requestedAt)),
        col((d) => d.m.timestamp.toISOString()),
        col((d) => d.hash),
        col((d) => d.onePerPerson),
        ctx.now,
      ],
    );
    return new Set(rows.map((r) => r.event_id));
  }
}
