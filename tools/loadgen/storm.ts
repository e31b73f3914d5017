// `npm run loadgen -- --storm N`: the claim path through the app backend's HTTP front door
// (apps/app-api) as mobile clients under timeouts drive it. Every claim is sent N times: each
// attempt leaves after a jittered, growing delay whether or not the previous one answered (the
// client timed out and tapped again), so copies of one request overlap; a 429 is waited out for
// its Retry-After. Reports intake latency, the answers (202/200/429/...), requests per second, and
// that each key was taken in and decided exactly once (read back from Kafka).
import type { Kafka } from 'kafkajs';
import { Topics } from '@platform/contracts';
import { settledTopicOffsets } from '@platform/messaging';
import { toolKafka } from '@platform/tools-infra';
import { toolBearer } from '@platform/tools-ops';
import { ensureCampaign } from './campaign';
import { derive } from './prng';
import { LatencyHistogram, LatencySummary } from './stats';

export interface StormOptions {
  apiUrl: string;
  claimsUrl: string;
  brokers: string[];
  prefix: string;
  /** Distinct claims (Idempotency-Keys). */
  claims: number;
  /** Attempts per claim. */
  storm: number;
  /** Requests in flight at most (the clients' connections). */
  concurrency: number;
  seed: number;
  runId?: string;
  campaignId?: string;
  /** The client's timeout: an attempt not answered by then counts as a timeout (and the client tries again). */
  clientTimeoutMs: number;
  drainTimeoutS: number;
  onProgress?: (line: string) => void;
}

export interface StormResult {
  runId: string;
  campaignId: string;
  claims: number;
  attemptsPerClaim: number;
  requests: number;
  seconds: number;
  requestsPerSecond: number;
  answers: Record<string, number>;
  /** Share of requests answered 429 (Retry-After honoured before the next attempt). */
  share429: number;
  timeouts: number;
  latencyMs: LatencySummary;
  /** Keys with one answer 202 without Idempotent-Replayed (taken in by that request; its answer may also have been lost to a client timeout, then a replay said so). */
  takenOnce: number;
  /** Keys taken in by two requests: must be 0. */
  takenTwice: number;
  /** Keys no attempt got a 200 or 202 for (refused, failed or timed out every time). */
  neverAnswered: number;
  /** compensation.claim.requested.v1 events per key, and decisions per key, read back from Kafka. */
  claimEvents: { exactlyOnce: number; missing: number; doubled: number };
  decisions: { exactlyOnce: number; missing: number; doubled: number; accepted: number; rejected: Record<string, number> };
  ok: boolean;
}

interface Counter {
  exactlyOnce: number;
  missing: number;
  doubled: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Reads a topic from its current end: `count` per eventId of this run. */
class EventWatcher {
  readonly perKey = new Map<string, number>();
  readonly reasons = new Map<string, string>();
  private consumer;
  private readonly groupId: string;
  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly keyPrefix: string,
    runId: string,
  ) {
    this.groupId = `loadgen-storm-${runId}`;
    this.consumer = kafka.consumer({ groupId: this.groupId, maxWaitTimeInMs: 100 });
  }

  async start(): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    const ends = await settledTopicOffsets(admin, this.topic).finally(() => admin.disconnect());
    const joined = new Promise<void>((resolve) => this.consumer.on(this.consumer.events.GROUP_JOIN, () => resolve()));
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [this.topic], fromBeginning: false });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          const text = m.value?.toString('utf8') ?? '';
          if (!text.includes(this.keyPrefix)) continue;
          try {
            const v = JSON.parse(text) as { eventId?: string; status?: string; reason?: string };
            if (!v.eventId?.startsWith(this.keyPrefix)) continue;
            this.perKey.set(v.eventId, (this.perKey.get(v.eventId) ?? 0) + 1);
            if (v.status) this.reasons.set(v.eventId, v.status === 'ACCEPTED' ? 'ACCEPTED' : (v.reason ?? 'REJECTED'));
          } catch {
            // not one of ours
          }
        }
      },
    });
    await joined;
    for (const e of ends) this.consumer.seek({ topic: this.topic, partition: e.partition, offset: e.high });
  }

  count(keys: readonly string[]): Counter {
    const c = { exactlyOnce: 0, missing: 0, doubled: 0 };
    for (const k of keys) {
      const n = this.perKey.get(k) ?? 0;
      if (n === 1) c.exactlyOnce++;
      else if (n === 0) c.missing++;
      else c.doubled++;
    }
    return c;
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    const admin = this.kafka.admin();
    await admin.connect();
    await admin.deleteGroups([this.groupId]).catch(() => undefined);
    await admin.disconnect();
  }
}

export async function runStorm(o: StormOptions): Promise<StormResult> {
  const runId = o.runId ?? `${o.seed}-${Date.now().toString(36)}`;
  const log = o.onProgress ?? (() => undefined);
  const { definition } = await ensureCampaign({
    claimsUrl: o.claimsUrl,
    campaignId: o.campaignId,
    runId: `storm-${runId}`,
    nowMs: Date.now(),
    passCap: 1_000_000,
    window: 'open',
  });
  const auth = await toolBearer('app-backend');
  const kafka = toolKafka({ clientId: `loadgen-storm-${runId}`, brokers: o.brokers, principal: 'ops' });
  const keyPrefix = `st-${runId}-`;
  const requested = new EventWatcher(kafka, o.prefix + Topics.claimRequested.name, keyPrefix, `${runId}-rq`);
  const decided = new EventWatcher(kafka, o.prefix + Topics.claimDecided.name, keyPrefix, `${runId}-dc`);
  await Promise.all([requested.start(), decided.start()]);

  const rng = derive(o.seed, 'storm');
  const keys = Array.from({ length: o.claims }, (_, i) => `${keyPrefix}${i}`);
  const bodies = keys.map((_, i) => ({
    campaignId: definition.campaignId,
    accountId: `${keyPrefix}a${i}`,
    talkLinked: true,
    // distinct Korean mobile numbers, so one-gift-per-person campaigns accept every claim
    phoneNumber: `010-${String(2000 + Math.floor(i / 10_000)).padStart(4, '0')}-${String(i % 10_000).padStart(4, '0')}`,
    makersMember: rng.next() < 0.5,
    requestedAt: new Date().toISOString(),
  }));

  const latency = new LatencyHistogram();
  const answers: Record<string, number> = {};
  const taken = new Map<string, number>();
  const answered = new Set<string>();
  let timeouts = 0;
  let inFlight = 0;
  let requests = 0;
  const slots: (() => void)[] = [];
  const acquire = async () => {
    while (inFlight >= o.concurrency) await new Promise<void>((r) => slots.push(r));
    inFlight++;
  };
  const release = () => {
    inFlight--;
    slots.shift()?.();
  };

  /** One attempt; resolves with the status (0: timeout or network error) and any Retry-After. */
  const attempt = async (i: number): Promise<{ status: number; retryAfterS: number }> => {
    await acquire();
    const t0 = performance.now();
    requests++;
    try {
      const r = await fetch(`${o.apiUrl}/v1/claims`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': keys[i] as string, ...auth },
        body: JSON.stringify(bodies[i]),
        signal: AbortSignal.timeout(o.clientTimeoutMs),
      });
      await r.arrayBuffer();
      latency.record(performance.now() - t0);
      answers[String(r.status)] = (answers[String(r.status)] ?? 0) + 1;
      if (r.status === 202 && r.headers.get('idempotent-replayed') !== 'true')
        taken.set(keys[i] as string, (taken.get(keys[i] as string) ?? 0) + 1);
      if (r.status === 202 || r.status === 200) answered.add(keys[i] as string);
      return { status: r.status, retryAfterS: Number(r.headers.get('retry-after') ?? 0) };
    } catch (e) {
      // the client gave up (its timeout) or the connection failed: either way it will try again
      const kind = e instanceof Error && e.name === 'TimeoutError' ? 'timeout' : 'network-error';
      if (kind === 'timeout') timeouts++;
      answers[kind] = (answers[kind] ?? 0) + 1;
      return { status: 0, retryAfterS: 0 };
    } finally {
      release();
    }
  };

  /** One client: N attempts with jittered exponential delays that do not wait for answers; a 429 makes it wait. */
  const client = async (i: number): Promise<void> => {
    const crng = derive(o.seed, `client-${i}`);
    const pending: Promise<{ status: number; retryAfterS: number }>[] = [];
    let holdUntil = 0;
    let ok = false;
    for (let n = 0; n < o.storm; n++) {
      const wait = Math.max(holdUntil - Date.now(), 0) + crng.next() * Math.min(50 * 2 ** n, 2000);
      await sleep(wait);
      const p = attempt(i);
      pending.push(p);
      void p.then((a) => {
        if (a.status === 429 || a.status === 503) holdUntil = Date.now() + a.retryAfterS * 1000;
        if (a.status === 202 || a.status === 200) ok = true;
      });
    }
    const results = await Promise.all(pending);
    ok = ok || results.some((a) => a.status === 202 || a.status === 200);
    // refused every time: keep honouring Retry-After until taken in (bounded by the drain timeout)
    const deadline = Date.now() + o.drainTimeoutS * 1000;
    let last = results[results.length - 1];
    while (!ok && Date.now() < deadline) {
      await sleep(Math.max(last?.retryAfterS ?? 1, 1) * 1000 * (1 + crng.next() * 0.2));
      last = await attempt(i);
      ok = last.status === 202 || last.status === 200;
    }
  };

  const started = Date.now();
  const ticker = setInterval(
    () =>
      log(`[storm] ${requests} requests, ${taken.size}/${o.claims} taken in, ${decided.perKey.size} decided, ${answers['429'] ?? 0} x 429`),
    2000,
  );
  try {
    await Promise.all(keys.map((_, i) => client(i)));
    const seconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + o.drainTimeoutS * 1000;
    while (Date.now() < deadline && decided.count(keys).missing > 0) await sleep(250);
    await sleep(2000); // a second decision or claim event would have arrived by now
    const d = decided.count(keys);
    const rejected: Record<string, number> = {};
    let accepted = 0;
    for (const k of keys) {
      const r = decided.reasons.get(k);
      if (r === 'ACCEPTED') accepted++;
      else if (r) rejected[r] = (rejected[r] ?? 0) + 1;
    }
    const e = requested.count(keys);
    const takenTwice = [...taken.values()].filter((n) => n > 1).length;
    const neverAnswered = keys.filter((k) => !answered.has(k)).length;
    const result: StormResult = {
      runId,
      campaignId: definition.campaignId,
      claims: o.claims,
      attemptsPerClaim: o.storm,
      requests,
      seconds: Math.round(seconds * 10) / 10,
      requestsPerSecond: Math.round(requests / seconds),
      answers,
      share429: requests ? Math.round(((answers['429'] ?? 0) / requests) * 10_000) / 10_000 : 0,
      timeouts,
      latencyMs: latency.summary(),
      takenOnce: [...taken.values()].filter((n) => n === 1).length,
      takenTwice,
      neverAnswered,
      claimEvents: e,
      decisions: { ...d, accepted, rejected },
      ok: takenTwice === 0 && neverAnswered === 0 && e.exactlyOnce === o.claims && d.exactlyOnce === o.claims && timeouts === 0,
    };
    return result;
  } finally {
    clearInterval(ticker);
    await Promise.all([requested.stop(), decided.stop()]).catch(() => undefined);
  }
}

export function stormTable(r: StormResult): string {
  const l = r.latencyMs;
  return [
    `storm ${r.runId} on campaign ${r.campaignId}: ${r.claims} claims x ${r.attemptsPerClaim} attempts`,
    `  requests        ${r.requests} in ${r.seconds} s (${r.requestsPerSecond}/s)`,
    `  answers         ${Object.entries(r.answers)
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ')}`,
    `  429 share       ${(r.share429 * 100).toFixed(2)} %   timeouts ${r.timeouts}`,
    `  intake latency  p50 ${l.p50} ms, p95 ${l.p95} ms, p99 ${l.p99} ms, max ${l.max} ms`,
    `  taken in        by one request ${r.takenOnce}, by two ${r.takenTwice}; never answered 200/202 ${r.neverAnswered}`,
    `  claim events    exactly once ${r.claimEvents.exactlyOnce}, missing ${r.claimEvents.missing}, doubled ${r.claimEvents.doubled}`,
    `  decisions       exactly once ${r.decisions.exactlyOnce}, missing ${r.decisions.missing}, doubled ${r.decisions.doubled} (accepted ${r.decisions.accepted}${Object.entries(
      r.decisions.rejected,
    )
      .map(([k, v]) => `, ${k} ${v}`)
      .join('')})`,
    `  result          ${r.ok ? 'OK: every key taken in and decided exactly once, no timeout' : 'FAILED'}`,
  ].join('\n');
}
