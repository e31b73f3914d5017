// Reads the platform's answers with the load generator's own consumer group (starting at the end
// offsets taken before the run, so earlier traffic is ignored), keeps only this run's messages
// (ids `lg-<runId>-...`, or the run header on dead letters) and measures end-to-end latency from
// the send time recorded per event to the answer's Kafka timestamp.
import type { Consumer, Kafka } from 'kafkajs';
import { dlqName, headersToStrings, Topics } from '@platform/contracts';
import { DLQ_HEADERS, settledTopicOffsets } from '@platform/messaging';
import { toolKafka } from '@platform/tools-infra';
import { HEADER_RUN } from './mix';
import { LatencyHistogram, TimeSeries } from './stats';

/** Send times by claim sequence number, growable, 8 bytes per claim. */
export class SendTimes {
  private times = new Float64Array(1 << 16);
  private flags = new Uint8Array(1 << 16);

  private grow(seq: number): void {
    let n = this.times.length;
    while (n <= seq) n *= 2;
    if (n === this.times.length) return;
    const t = new Float64Array(n);
    t.set(this.times);
    this.times = t;
    const f = new Uint8Array(n);
    f.set(this.flags);
    this.flags = f;
  }

  /** Records the first send of a sequence (a repeat keeps the original time). */
  sent(seq: number, atMs: number): void {
    this.grow(seq);
    if (this.times[seq] === 0) this.times[seq] = atMs;
  }

  at(seq: number): number | null {
    const t = seq < this.times.length ? this.times[seq] : 0;
    return t ? t : null;
  }

  /** Marks a decision; returns false when this sequence was already decided (a double decision). */
  decide(seq: number): boolean {
    this.grow(seq);
    if (this.flags[seq]) return false;
    this.flags[seq] = 1;
    return true;
  }
}

export type Stage =
  'publish' | 'decision' | 'entitlement' | 'coupon' | 'reservation' | 'download' | 'redemption' | 'registration' | 'relief' | 'review';

export interface ObservedCounts {
  decided: number;
  decidedTwice: number;
  accepted: number;
  rejected: Record<string, number>;
  entitlements: number;
  coupons: number;
  passesReserved: number;
  soldOut: number;
  delayNotices: number;
  passesSent: number;
  activations: number;
  downloadRejections: Record<string, number>;
  redemptions: Record<string, number>;
  registrations: Record<string, number>;
  relief: Record<string, number>;
  reviews: Record<string, number>;
  dlq: Record<string, number>;
  dlqReasons: Record<string, number>;
  /**
   * Identical copies of a dead letter already counted (same source record and group): the outbox
   * publishes at least once, so a process killed between publishing and deleting its rows sends
   * them again. Counted apart, like decidedTwice.
   */
  dlqTwice: number;
  /** Answers to this run's events whose request was never recorded (should stay 0). */
  unmatched: number;
}

export interface ObserverHooks {
  couponIssued?(c: { couponId: string; accountId: string; amountWon: number }): void;
  entitlementGranted?(g: { accountId: string; emoticonId: string; validityDays: number | null }): void;
  passSent?(p: { passId: string; accountId: string }): void;
  reliefDecided?(r: { merchantId: string; tier: string | undefined }): void;
}

const OUTPUT_TOPICS = [
  Topics.claimDecided,
  Topics.entitlementGranted,
  Topics.couponIssued,
  Topics.passReserved,
  Topics.passSoldOut,
  Topics.passDelayNotice,
  Topics.passSent,
  Topics.entitlementActivated,
  Topics.downloadRejected,
  Topics.couponRedemptionDecided,
  Topics.passRegistrationDecided,
  Topics.reliefDecided,
  Topics.reliefReviewApplied,
].map((t) => t.name);
const DLQ_TOPICS = [
  Topics.claimRequested,
  Topics.emoticonDownloaded,
  Topics.couponRedemptionRequested,
  Topics.passRegistrationRequested,
  Topics.merchantDamageReported,
  Topics.merchantReviewDecided,
  Topics.claimDecided,
].map((t) => dlqName(t.name));

const bump = (r: Record<string, number>, k: string, n = 1): void => {
  r[k] = (r[k] ?? 0) + n;
};

type Json = Record<string, unknown>;
const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export class LoadObserver {
  readonly counts: ObservedCounts = {
    decided: 0,
    decidedTwice: 0,
    accepted: 0,
    rejected: {},
    entitlements: 0,
    coupons: 0,
    passesReserved: 0,
    soldOut: 0,
    delayNotices: 0,
    passesSent: 0,
    activations: 0,
    downloadRejections: {},
    redemptions: {},
    registrations: {},
    relief: {},
    reviews: {},
    dlq: {},
    dlqReasons: {},
    dlqTwice: 0,
    unmatched: 0,
  };
  readonly latency = new Map<Stage, LatencyHistogram>();
  /** Send times of follow-up requests (redemptions, registrations, downloads, reports, reviews) by eventId. */
  readonly followUpSent = new Map<string, number>();
  lastOutputAt = 0;
  /** Kafka timestamp of the latest decision of this run. */
  lastDecisionAt = 0;
  /** Follow-up requests answered (matched by eventId). */
  answered = 0;
  messages = 0;
  private consumer: Consumer | null = null;
  private readonly positions = new Map<string, bigint>();
  private readonly dlqSeen = new Set<string>();
  private readonly idPrefix: string;
  private readonly claimPrefix: string;
  private readonly accountPrefix: string;
  private readonly kafka: Kafka;

  constructor(
    private readonly o: {
      brokers: string[];
      prefix: string;
      runId: string;
      sendTimes: SendTimes;
      series: TimeSeries;
      hooks?: ObserverHooks;
    },
  ) {
    this.idPrefix = `lg-${o.runId}-`;
    this.claimPrefix = `lg-${o.runId}-e`;
    this.accountPrefix = `lg-${o.runId}-a`;
    this.kafka = toolKafka({ clientId: `loadgen-observer-${o.runId}`, brokers: o.brokers, principal: 'ops' });
  }

  get groupId(): string {
    return `loadgen-${this.o.runId}`;
  }

  private record(stage: Stage, ms: number, atMs: number): void {
    let h = this.latency.get(stage);
    if (!h) {
      h = new LatencyHistogram();
      this.latency.set(stage, h);
    }
    h.record(ms);
    if (stage === 'decision') this.o.series.latency('decision', atMs, ms);
  }

  /** Time a claim batch took from its send time to the broker's acknowledgement. */
  recordPublish(ms: number): void {
    this.record('publish', ms, Date.now());
  }

  /** Latency of a claim-stage answer; false when the event id is not one of this run's claims. */
  private claimStage(stage: Stage, eventId: string, atMs: number): boolean {
    if (!eventId.startsWith(this.claimPrefix)) return false;
    const sent = this.o.sendTimes.at(Number(eventId.slice(this.claimPrefix.length)));
    if (sent === null) {
      this.counts.unmatched++;
      return true;
    }
    this.record(stage, atMs - sent, atMs);
    return true;
  }

  private followUpStage(stage: Stage, eventId: string, atMs: number): boolean {
    if (!eventId.startsWith(this.idPrefix)) return false;
    const sent = this.followUpSent.get(eventId);
    if (sent === undefined) this.counts.unmatched++;
    else {
      this.answered++;
      this.record(stage, atMs - sent, atMs);
    }
    return true;
  }

  /**
   * Topics that exist get subscribed. The end offsets are taken first and the consumer is moved
   * to them right after it joined (seek), so nothing sent after start() returns can be missed,
   * whatever offset the new group would reset to. (kafkajs' admin.setOffsets joins the group
   * once per topic, ~5 s each: too slow for 20 topics.)
   */
  async start(joinTimeoutMs = 60_000): Promise<string[]> {
    const admin = this.kafka.admin();
    await admin.connect();
    let topics: string[];
    const ends: { topic: string; partition: number; offset: string }[] = [];
    try {
      const existing = new Set(await admin.listTopics());
      topics = [...OUTPUT_TOPICS, ...DLQ_TOPICS].map((t) => this.o.prefix + t).filter((t) => existing.has(t));
      if (!topics.includes(this.o.prefix + Topics.claimDecided.name))
        throw new Error(`topic ${this.o.prefix + Topics.claimDecided.name} does not exist (npm run infra:up creates topics)`);
      for (const t of topics)
        for (const p of await settledTopicOffsets(admin, t)) ends.push({ topic: t, partition: p.partition, offset: p.high });
    } finally {
      await admin.disconnect();
    }
    const c = this.kafka.consumer({
      groupId: this.groupId,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 2 * 1024 * 1024,
      sessionTimeout: 30_000,
    });
    const joined = new Promise<void>((resolve) => c.on(c.events.GROUP_JOIN, () => resolve()));
    await c.connect();
    await c.subscribe({ topics, fromBeginning: false });
    await c.run({
      autoCommit: false,
      partitionsConsumedConcurrently: 4,
      eachBatch: async ({ batch, heartbeat }) => {
        const canonical = this.o.prefix && batch.topic.startsWith(this.o.prefix) ? batch.topic.slice(this.o.prefix.length) : batch.topic;
        let i = 0;
        for (const m of batch.messages) {
          this.handle(canonical, m.value, m.headers as Record<string, unknown> | undefined, Number(m.timestamp));
          this.positions.set(`${batch.topic}\u0000${batch.partition}`, BigInt(m.offset) + 1n);
          if (++i % 2000 === 0) await heartbeat();
        }
        this.messages += batch.messages.length;
      },
    });
    this.consumer = c;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        joined,
        new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('observer did not join its group in time')), joinTimeoutMs))),
      ]);
    } finally {
      clearTimeout(timer);
    }
    for (const e of ends) {
      c.seek(e);
      this.positions.set(`${e.topic}\u0000${e.partition}`, BigInt(e.offset));
    }
    return topics;
  }

  private handle(topic: string, raw: Buffer | null, rawHeaders: Record<string, unknown> | undefined, ts: number): void {
    if (!raw) return;
    if (topic.endsWith('.dlq')) {
      const headers = headersToStrings(rawHeaders);
      const ours = headers[HEADER_RUN] === this.o.runId || raw.includes(this.idPrefix);
      if (!ours) return;
      const source = headers[DLQ_HEADERS.sourceTopic];
      if (source !== undefined) {
        const id = [
          source,
          headers[DLQ_HEADERS.sourcePartition],
          headers[DLQ_HEADERS.sourceOffset],
          headers[DLQ_HEADERS.consumerGroup],
        ].join('\u0000');
        if (this.dlqSeen.has(id)) {
          this.counts.dlqTwice++;
          return;
        }
        this.dlqSeen.add(id);
      }
      bump(this.counts.dlq, topic.slice(0, -4));
      bump(this.counts.dlqReasons, (headers['dlq-reason'] ?? 'UNKNOWN').split(':')[0] ?? 'UNKNOWN');
      this.lastOutputAt = Date.now();
      return;
    }
    if (!raw.includes(this.idPrefix)) return;
    let v: Json;
    try {
      v = JSON.parse(raw.toString('utf8')) as Json;
    } catch {
      return;
    }
    const eventId = str(v.eventId);
    let ours = false;
    switch (topic) {
      case Topics.claimDecided.name: {
        ours = this.claimStage('decision', eventId, ts);
        if (!ours) break;
        if (!this.o.sendTimes.decide(Number(eventId.slice(this.claimPrefix.length)))) {
          this.counts.decidedTwice++;
          break;
        }
        this.counts.decided++;
        if (ts > this.lastDecisionAt) this.lastDecisionAt = ts;
        this.o.series.count('decided', ts);
        if (v.status === 'ACCEPTED') this.counts.accepted++;
        else bump(this.counts.rejected, str(v.reason) || 'NO_REASON');
        break;
      }
      case Topics.entitlementGranted.name:
        ours = this.claimStage('entitlement', eventId, ts);
        if (ours) {
          this.counts.entitlements++;
          this.o.series.count('entitlements', ts);
          this.o.hooks?.entitlementGranted?.({
            accountId: str(v.accountId),
            emoticonId: str(v.emoticonId),
            validityDays: typeof v.validityDays === 'number' ? v.validityDays : null,
          });
        }
        break;
      case Topics.couponIssued.name:
        ours = this.claimStage('coupon', eventId, ts);
        if (ours) {
          this.counts.coupons++;
          this.o.series.count('coupons', ts);
          this.o.hooks?.couponIssued?.({ couponId: str(v.couponId), accountId: str(v.accountId), amountWon: Number(v.amountWon) });
        }
        break;
      case Topics.passReserved.name:
        ours = this.claimStage('reservation', eventId, ts);
        if (ours) {
          this.counts.passesReserved++;
          this.o.series.count('passDecisions', ts);
        }
        break;
      case Topics.passSoldOut.name:
        ours = this.claimStage('reservation', eventId, ts);
        if (ours) {
          this.counts.soldOut++;
          this.o.series.count('passDecisions', ts);
        }
        break;
      case Topics.passDelayNotice.name:
        ours = str(v.accountId).startsWith(this.accountPrefix);
        if (ours) this.counts.delayNotices++;
        break;
      case Topics.passSent.name:
        ours = str(v.accountId).startsWith(this.accountPrefix);
        if (ours) {
          this.counts.passesSent++;
          this.o.hooks?.passSent?.({ passId: str(v.passId), accountId: str(v.accountId) });
        }
        break;
      case Topics.entitlementActivated.name:
        ours = this.followUpStage('download', eventId, ts);
        if (ours) this.counts.activations++;
        break;
      case Topics.downloadRejected.name:
        ours = this.followUpStage('download', eventId, ts);
        if (ours) bump(this.counts.downloadRejections, str(v.reason));
        break;
      case Topics.couponRedemptionDecided.name:
        ours = this.followUpStage('redemption', eventId, ts);
        if (ours) bump(this.counts.redemptions, v.status === 'REDEEMED' ? 'REDEEMED' : `REJECTED:${str(v.reason)}`);
        break;
      case Topics.passRegistrationDecided.name:
        ours = this.followUpStage('registration', eventId, ts);
        if (ours) bump(this.counts.registrations, v.status === 'REGISTERED' ? 'REGISTERED' : `REJECTED:${str(v.reason)}`);
        break;
      case Topics.reliefDecided.name:
        ours = this.followUpStage('relief', eventId, ts);
        if (ours) {
          bump(this.counts.relief, v.status === 'DECIDED' ? `DECIDED:${str(v.tier)}` : `REJECTED:${str(v.reason)}`);
          if (v.status === 'DECIDED') this.o.hooks?.reliefDecided?.({ merchantId: str(v.merchantId), tier: str(v.tier) });
        }
        break;
      case Topics.reliefReviewApplied.name:
        ours = this.followUpStage('review', eventId, ts);
        if (ours) bump(this.counts.reviews, v.status === 'REJECTED' ? `REJECTED:${str(v.reason)}` : str(v.status));
        break;
      default:
        break;
    }
    if (ours) this.lastOutputAt = Date.now();
  }

  /** Messages behind the end of each subscribed topic, for this observer. */
  async lag(): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      let lag = 0;
      const topics = new Set([...this.positions.keys()].map((k) => k.split('\u0000')[0] ?? ''));
      for (const t of topics) {
        for (const p of await admin.fetchTopicOffsets(t)) {
          const pos = this.positions.get(`${t}\u0000${p.partition}`);
          if (pos !== undefined) lag += Number(BigInt(p.high) - pos);
        }
      }
      return lag;
    } finally {
      await admin.disconnect();
    }
  }

  async stop(): Promise<void> {
    const c = this.consumer;
    this.consumer = null;
    if (c) await c.disconnect().catch(() => undefined);
    // The group served only this run: remove it so groups do not pile up on the broker.
    const admin = this.kafka.admin();
    await admin.connect().catch(() => undefined);
    await admin.deleteGroups([this.groupId]).catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Lag of the platform's consumer groups on this prefix's topics: for every group with committed
 * offsets on one of the inbound or decision topics, end offset minus committed offset.
 */
export async function platformLag(
  brokers: string[],
  prefix: string,
  skipGroups: (g: string) => boolean,
): Promise<Record<string, Record<string, number>>> {
  const kafka = toolKafka({ clientId: 'loadgen-lag', brokers, principal: 'ops' });
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const topics = [
      Topics.claimRequested,
      Topics.claimDecided,
      Topics.emoticonDownloaded,
      Topics.couponRedemptionRequested,
      Topics.passRegistrationRequested,
      Topics.merchantDamageReported,
      Topics.merchantReviewDecided,
      Topics.campaignDefined,
    ]
      .map((t) => prefix + t.name)
      .filter((t) => existing.has(t));
    const ends = new Map<string, Map<number, bigint>>();
    for (const t of topics) ends.set(t, new Map((await settledTopicOffsets(admin, t)).map((p) => [p.partition, BigInt(p.high)])));
    const { groups } = await admin.listGroups();
    const out: Record<string, Record<string, number>> = {};
    for (const g of groups.filter((x) => !skipGroups(x.groupId))) {
      const offsets = await admin.fetchOffsets({ groupId: g.groupId, topics });
      for (const t of offsets) {
        const committed = t.partitions.filter((p) => Number(p.offset) >= 0);
        if (committed.length === 0) continue;
        let lag = 0;
        for (const p of t.partitions) {
          const end = ends.get(t.topic)?.get(p.partition) ?? 0n;
          lag += Number(end - (Number(p.offset) >= 0 ? BigInt(p.offset) : 0n));
        }
        (out[g.groupId] ??= {})[prefix ? t.topic.slice(prefix.length) : t.topic] = lag;
      }
    }
    return out;
  } finally {
    await admin.disconnect();
  }
}
