// One load run: ensure the campaign, start the observer, send the mix at the target rate (or as
// fast as possible) for a count or a duration, feed follow-ups (downloads, redemptions,
// registrations, committee reviews) as the platform's answers reveal their ids, wait for the
// answers to drain, then compare what was expected with what was observed.
import { Topics, type CampaignDefinition } from '@platform/contracts';
import { SafePublisher, type OutgoingRecord } from '@platform/messaging';
import { localClusterSecurity, toolKafka } from '@platform/tools-infra';
import { ensureCampaign, factsOf, type WindowMode } from './campaign';
import {
  CampaignFacts,
  ClaimGenerator,
  ClaimKind,
  ClaimMix,
  DEFAULT_MIX,
  expectedGrants,
  ExpectedTally,
  FollowUp,
  GeneratedReport,
  generateMerchantReports,
  planDownload,
  planRedemption,
  planRegistration,
  planReview,
} from './mix';
import { LoadObserver, ObservedCounts, platformLag, SendTimes, Stage } from './observer';
import { derive } from './prng';
import { LatencySummary, ratePerSecond, SeriesPoint, TimeSeries } from './stats';

export interface LoadOptions {
  brokers: string[];
  prefix: string;
  claimsUrl: string;
  /** Claim against this existing campaign; omitted: create a fresh one. */
  campaignId?: string;
  /** Use this definition as is (already known to the platform), without asking the claims service. */
  campaign?: CampaignDefinition;
  passCap: number;
  window: WindowMode;
  /** A fresh campaign's pass delay-notice threshold (default 72 h). */
  delayNoticeAfterSeconds?: number;
  /** Stop after this many claim messages (all kinds). */
  claims?: number;
  /** Stop after this many seconds. */
  durationS?: number;
  /** Claim messages per second; 0: as fast as possible. */
  rate: number;
  seed: number;
  runId?: string;
  mix: ClaimMix;
  makersShare: number;
  traceSampleShare: number;
  /** Share of granted packs downloaded, of issued coupons redeemed, of sent passes registered. */
  downloads: number;
  redemptions: number;
  registrations: number;
  /** Merchant damage reports to send (spread over the run). */
  merchants: number;
  /** Answer committee reviews for merchants referred to REVIEW. */
  reviews: boolean;
  drainTimeoutS: number;
  /** Stop waiting when no answer arrived for this long. */
  settleS: number;
  /** Largest publish call (messages). */
  batchSize: number;
  /**
   * Closed loop: pause sending while more than this many claims await their decision (0: open
   * loop). Measures sustained capacity without building an unbounded backlog.
   */
  maxInFlight: number;
  skewToleranceMs: number;
  onProgress?: (p: Progress) => void;
}

export const DEFAULT_LOAD_OPTIONS: Omit<LoadOptions, 'brokers' | 'prefix' | 'claimsUrl'> = {
  passCap: 10_000_000,
  window: 'recent',
  rate: 0,
  seed: 1,
  mix: DEFAULT_MIX,
  makersShare: 0.6,
  traceSampleShare: 0.01,
  downloads: 0,
  redemptions: 0,
  registrations: 0,
  merchants: 0,
  reviews: false,
  drainTimeoutS: 120,
  settleS: 30,
  batchSize: 2000,
  maxInFlight: 0,
  skewToleranceMs: 300_000,
};

export interface Progress {
  phase: 'send' | 'drain';
  sent: number;
  /** Planned claim messages, or null for a duration run. */
  total: number | null;
  elapsedS: number;
  durationS: number | null;
  sendRate: number;
  decided: number;
  expectedDecisions: number;
}

export interface Comparison {
  what: string;
  expected: number;
  observed: number;
  ok: boolean;
}

export interface LoadResult {
  ok: boolean;
  runId: string;
  seed: number;
  campaign: { campaignId: string; created: boolean; opensAt: string; closesAt: string; passCap: number | null };
  options: { rate: number; claims: number | null; durationS: number | null; mix: ClaimMix; makersShare: number; prefix: string };
  sent: {
    claims: number;
    byKind: Record<ClaimKind, number>;
    merchantReports: number;
    downloads: number;
    redemptions: number;
    registrations: number;
    reviews: number;
  };
  decided: { total: number; twice: number; byStatus: { ACCEPTED: number; REJECTED: number }; byReason: Record<string, number> };
  grants: { entitlements: number; coupons: number };
  passes: { reserved: number; soldOut: number; delayNotices: number; sent: number };
  dlq: { total: number; byTopic: Record<string, number>; byReason: Record<string, number> };
  followUps: Pick<ObservedCounts, 'activations' | 'downloadRejections' | 'redemptions' | 'registrations' | 'relief' | 'reviews'>;
  throughput: { sendSeconds: number; sendPerSecond: number; decisionSeconds: number; decidedPerSecond: number; totalSeconds: number };
  latencyMs: Partial<Record<Stage, LatencySummary>>;
  lag: { observer: number; groups: Record<string, Record<string, number>> };
  expected: ExpectedTally & { entitlements: number; coupons: number; passesReserved: number; soldOut: number };
  comparison: Comparison[];
  drained: boolean;
  notes: string[];
  series: SeriesPoint[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const t0 = Date.now();
  const runId = o.runId ?? `${o.seed}-${t0.toString(36)}`;
  const notes: string[] = [];
  let created = false;
  let definition: CampaignDefinition;
  if (o.campaign) definition = o.campaign;
  else {
    const c = await ensureCampaign({
      claimsUrl: o.claimsUrl,
      campaignId: o.campaignId,
      runId,
      nowMs: t0,
      passCap: o.passCap,
      window: o.window,
      delayNoticeAfterSeconds: o.delayNoticeAfterSeconds,
    });
    definition = c.definition;
    created = c.created;
  }
  const facts: CampaignFacts = factsOf(definition);
  const fresh = created || !!o.campaign;
  const gen = new ClaimGenerator({
    seed: o.seed,
    runId,
    campaign: facts,
    mix: o.mix,
    makersShare: o.makersShare,
    traceSampleShare: o.traceSampleShare,
    skewToleranceMs: o.skewToleranceMs,
  });
  const sendTimes = new SendTimes();
  const series = new TimeSeries(t0);
  const topic = (name: string) => o.prefix + name;

  // Follow-ups are planned from the platform's answers; they are queued here and sent by the loop.
  const queue: { topic: string; f: FollowUp }[] = [];
  let followSeq = 0;
  const nextSeq = () => ++followSeq;
  const sentFollowUps = { downloads: 0, redemptions: 0, registrations: 0, reviews: 0, merchantReports: 0 };
  let answersExpected = 0;
  const base = () => ({ seed: o.seed, runId, nextSeq, nowMs: Date.now() });
  const observer = new LoadObserver({
    brokers: o.brokers,
    prefix: o.prefix,
    runId,
    sendTimes,
    series,
    hooks: {
      entitlementGranted: (g) => {
        if (o.downloads > 0 && derive(o.seed, `dl:${g.accountId}:${g.emoticonId}`).chance(o.downloads)) {
          for (const f of planDownload(base(), g)) queue.push({ topic: topic(Topics.emoticonDownloaded.name), f });
        }
      },
      couponIssued: (c) => {
        if (o.redemptions > 0 && derive(o.seed, `rd:${c.accountId}:${c.amountWon}`).chance(o.redemptions)) {
          for (const f of planRedemption({ ...base(), minPaidWon: facts.couponMinPaidWon }, c))
            queue.push({ topic: topic(Topics.couponRedemptionRequested.name), f });
        }
      },
      passSent: (p) => {
        if (o.registrations > 0 && derive(o.seed, `rg:${p.accountId}`).chance(o.registrations)) {
          queue.push({ topic: topic(Topics.passRegistrationRequested.name), f: planRegistration(base(), p) });
        }
      },
      reliefDecided: (r) => {
        if (o.reviews && r.tier === 'REVIEW')
          queue.push({ topic: topic(Topics.merchantReviewDecided.name), f: planReview(base(), r.merchantId) });
      },
    },
  });
  await observer.start();
  // the ops principal on the secured cluster (it may write inbound topics and read everything)
  const kafka = toolKafka({
    profile: 'service',
    brokers: o.brokers,
    clientId: `loadgen-${runId}`,
    security: localClusterSecurity(o.brokers, 'ops'),
  });
  const publisher = new SafePublisher(kafka, { chunkSize: 1000 });

  const reports: GeneratedReport[] =
    o.merchants > 0 ? generateMerchantReports({ seed: o.seed, runId, campaign: facts, count: o.merchants, nowMs: t0 }) : [];
  let reportsSent = 0;

  const flushFollowUps = async (extra: OutgoingRecord[] = []): Promise<void> => {
    const batch = queue.splice(0, queue.length);
    const now = Date.now();
    for (const { f } of batch) {
      observer.followUpSent.set(f.eventId, now);
      if (f.expectStatus !== 'NO_EVENT') answersExpected++;
      const kind = f.headers['loadgen-kind']?.split(':')[0];
      if (kind === 'download') sentFollowUps.downloads++;
      else if (kind === 'redeem') sentFollowUps.redemptions++;
      else if (kind === 'register') sentFollowUps.registrations++;
      else if (kind === 'review') sentFollowUps.reviews++;
    }
    const records: OutgoingRecord[] = [
      ...extra,
      ...batch.map(({ topic: t, f }) => ({ topic: t, key: f.key, value: Buffer.from(f.value), headers: f.headers })),
    ];
    if (records.length > 0) await publisher.publish(records);
  };

  const sendReportsUpTo = (progress: number): OutgoingRecord[] => {
    const due = Math.min(reports.length, Math.floor(reports.length * progress));
    const out: OutgoingRecord[] = [];
    const now = Date.now();
    for (; reportsSent < due; reportsSent++) {
      const r = reports[reportsSent] as GeneratedReport;
      observer.followUpSent.set(r.eventId, now);
      answersExpected++;
      sentFollowUps.merchantReports++;
      out.push({ topic: topic(Topics.merchantDamageReported.name), key: r.merchantId, value: Buffer.from(r.value), headers: r.headers });
    }
    return out;
  };

  // Metadata before the clock starts: the first publish should not pay for it.
  const claimTopic = topic(Topics.claimRequested.name);
  try {
    await publisher.partitionCount(claimTopic);
  } catch (e) {
    await publisher.close();
    await observer.stop();
    throw e;
  }

  const total = o.claims ?? (o.durationS ? Number.POSITIVE_INFINITY : 10_000);
  const sendStart = Date.now();
  series.startMs = sendStart;
  const deadline = o.durationS ? sendStart + o.durationS * 1000 : Number.POSITIVE_INFINITY;
  let sent = 0;
  let lastProgress = 0;
  const progress = (phase: Progress['phase']): void => {
    if (!o.onProgress) return;
    const now = Date.now();
    if (phase === 'send' && now - lastProgress < 250) return;
    lastProgress = now;
    o.onProgress({
      phase,
      sent,
      total: Number.isFinite(total) ? total : null,
      elapsedS: (now - sendStart) / 1000,
      durationS: o.durationS ?? null,
      sendRate: ratePerSecond(sent, sendStart, Math.max(now, sendStart + 1)),
      decided: observer.counts.decided,
      expectedDecisions: gen.tally.decisions,
    });
  };
  try {
    while (sent < total && Date.now() < deadline) {
      const elapsedMs = Date.now() - sendStart;
      let n = o.rate > 0 ? Math.floor((o.rate * elapsedMs) / 1000) - sent : o.batchSize;
      n = Math.min(n, o.batchSize, total - sent);
      if (o.maxInFlight > 0 && gen.tally.decisions - observer.counts.decided > o.maxInFlight) {
        await sleep(5);
        continue;
      }
      if (n <= 0) {
        // Sleep until the next message is due (at least 2 ms, to let answers in).
        await sleep(Math.max(2, Math.ceil(((sent + 1) / o.rate) * 1000 - elapsedMs)));
        continue;
      }
      const now = Date.now();
      const records: OutgoingRecord[] = [];
      for (let i = 0; i < n; i++) {
        const m = gen.next(now);
        sendTimes.sent(m.seq, now);
        records.push({ topic: claimTopic, key: m.key, value: Buffer.from(m.value), headers: m.headers });
      }
      await publisher.publish(records);
      // The loader's own share: from the send time to the broker's acknowledgement (acks=all).
      observer.recordPublish(Date.now() - now);
      sent += n;
      series.count('sent', now, n);
      const p = Number.isFinite(total) ? sent / total : Math.min(1, (Date.now() - sendStart) / (o.durationS ?? 1) / 1000);
      await flushFollowUps(sendReportsUpTo(p));
      progress('send');
    }
    const sendEnd = Date.now();
    await flushFollowUps(sendReportsUpTo(1));

    // Drain: wait for every expected answer, the drain timeout, or silence for settleS.
    const grantsExpected = expectedGrants(gen.tally, facts);
    const complete = (): boolean => {
      const c = observer.counts;
      const passAnswers = facts.passCap === null ? true : c.passesReserved + c.soldOut >= gen.tally.accepted;
      return (
        c.decided >= gen.tally.decisions &&
        (c.dlq[Topics.claimRequested.name] ?? 0) >= gen.tally.dlq &&
        c.entitlements >= grantsExpected.entitlements &&
        c.coupons >= grantsExpected.coupons &&
        passAnswers &&
        observer.answered >= answersExpected &&
        queue.length === 0
      );
    };
    const drainDeadline = sendEnd + o.drainTimeoutS * 1000;
    let drained = complete();
    while (!drained) {
      if (Date.now() > drainDeadline) {
        notes.push(`drain timeout (${o.drainTimeoutS} s) reached before every expected answer arrived`);
        break;
      }
      if (Date.now() - Math.max(observer.lastOutputAt, sendEnd) > o.settleS * 1000) {
        notes.push(`no answer for ${o.settleS} s: stopped waiting (is every service running?)`);
        break;
      }
      await sleep(200);
      await flushFollowUps();
      progress('drain');
      drained = complete();
    }
    progress('drain');
    const end = Date.now();

    const c = observer.counts;
    const lag = {
      observer: await observer.lag().catch(() => -1),
      groups: await platformLag(o.brokers, o.prefix, (g) => /^(loadgen|audit|collector|test)-/.test(g)).catch((e: unknown) => {
        notes.push(`platform lag not read: ${String(e)}`);
        return {};
      }),
    };
    const t = gen.tally;
    const expected = { ...t, ...grantsExpected };
    const cmp = (what: string, e: number, obs: number): Comparison => ({ what, expected: e, observed: obs, ok: e === obs });
    const comparison: Comparison[] = [
      cmp('decisions', t.decisions, c.decided),
      cmp('decided twice', 0, c.decidedTwice),
      cmp('accepted', t.accepted, c.accepted),
      ...Object.entries(t.rejected)
        .filter(([r, n]) => n > 0 || (c.rejected[r] ?? 0) > 0)
        .map(([r, n]) => cmp(`rejected ${r}`, n, c.rejected[r] ?? 0)),
      ...Object.keys(c.rejected)
        .filter((r) => !(r in t.rejected))
        .map((r) => cmp(`rejected ${r}`, 0, c.rejected[r] ?? 0)),
      cmp('claims DLQ', t.dlq, c.dlq[Topics.claimRequested.name] ?? 0),
      cmp('dead letters twice', 0, c.dlqTwice),
      cmp('entitlements', grantsExpected.entitlements, c.entitlements),
      cmp('coupons', grantsExpected.coupons, c.coupons),
    ];
    if (facts.passCap !== null) {
      if (fresh)
        comparison.push(
          cmp('passes reserved', grantsExpected.passesReserved, c.passesReserved),
          cmp('sold out', grantsExpected.soldOut, c.soldOut),
        );
      else comparison.push(cmp('pass decisions (reserved + sold out)', t.accepted, c.passesReserved + c.soldOut));
    }
    if (reports.length > 0) {
      const want: Record<string, number> = {};
      for (const r of reports) {
        const k = r.expect.outcome === 'DECIDED' ? `DECIDED:${r.expect.tier}` : `REJECTED:${r.expect.reason}`;
        want[k] = (want[k] ?? 0) + 1;
      }
      for (const k of new Set([...Object.keys(want), ...Object.keys(c.relief)]))
        comparison.push(cmp(`relief ${k}`, want[k] ?? 0, c.relief[k] ?? 0));
    }
    if (answersExpected > 0) comparison.push(cmp('follow-up answers', answersExpected, observer.answered));
    const decisionSpan = observer.lastDecisionAt > 0 ? observer.lastDecisionAt - sendStart : 0;
    const dlqTotal = Object.values(c.dlq).reduce((s, n) => s + n, 0);
    return {
      ok: comparison.every((x) => x.ok),
      runId,
      seed: o.seed,
      campaign: {
        campaignId: facts.campaignId,
        created,
        opensAt: definition.opensAt,
        closesAt: definition.closesAt,
        passCap: facts.passCap,
      },
      options: {
        rate: o.rate,
        claims: o.claims ?? null,
        durationS: o.durationS ?? null,
        mix: o.mix,
        makersShare: o.makersShare,
        prefix: o.prefix,
      },
      sent: { claims: sent, byKind: t.sent, ...sentFollowUps },
      decided: {
        total: c.decided,
        twice: c.decidedTwice,
        byStatus: { ACCEPTED: c.accepted, REJECTED: c.decided - c.accepted },
        byReason: c.rejected,
      },
      grants: { entitlements: c.entitlements, coupons: c.coupons },
      passes: { reserved: c.passesReserved, soldOut: c.soldOut, delayNotices: c.delayNotices, sent: c.passesSent },
      dlq: { total: dlqTotal, byTopic: c.dlq, byReason: c.dlqReasons },
      followUps: {
        activations: c.activations,
        downloadRejections: c.downloadRejections,
        redemptions: c.redemptions,
        registrations: c.registrations,
        relief: c.relief,
        reviews: c.reviews,
      },
      throughput: {
        sendSeconds: (sendEnd - sendStart) / 1000,
        sendPerSecond: ratePerSecond(sent, sendStart, sendEnd),
        decisionSeconds: decisionSpan / 1000,
        decidedPerSecond: ratePerSecond(c.decided, sendStart, sendStart + decisionSpan),
        totalSeconds: (end - t0) / 1000,
      },
      latencyMs: Object.fromEntries([...observer.latency.entries()].map(([k, h]) => [k, h.summary()])),
      lag,
      expected,
      comparison,
      drained,
      notes,
      series: series.points(),
    };
  } finally {
    await publisher.close();
    await observer.stop();
  }
}
