// `npm run drill -- zone-outage`: the launch-day claim mix flows into the zoned platform (three
// zones, one broker and one replica of every claim-path service each); then everything in one zone
// dies at once (kill -9 of its broker and of every replica there, its supervisor with them), the
// load goes on, the zone comes back after a pause, everything drains and the audit runs. Measured:
// claims acknowledged before/during/after, decided, lost, doubled, how long until every partition
// of the claim topic was decided again, how long until each service was healthy again, the pass
// sender's failover (slot order, gap) and the delay notices.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import os from 'node:os';
import { promisify } from 'node:util';
import type { Admin } from 'kafkajs';
import { Client } from 'pg';
import type { KafkaSecurityEnv } from '@platform/config';
import { Topics } from '@platform/contracts';
import { OutgoingRecord, SafePublisher } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { runAudit } from '@platform/tools-audit';
import { createCampaign, factsOf, freshCampaign, ClaimGenerator, DEFAULT_MIX, Expectation } from '@platform/tools-loadgen';
import { Zone, toolKafka } from '@platform/tools-infra';
import { publishUntilAcked } from './broker-loss';
import { postgresVersion } from './chaos';
import { awaitGrants, awaitOutboxesEmpty, GrantFaults, scalar, totalFaults } from './grants';
import { ZONED_SERVICES, ZonedPlatform, ZonedService } from './zoned-platform';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const secs = (ms: number) => Math.round(ms / 100) / 10;
/** A partition with undecided claims and no progress for this long counts as stalled. */
const STALL_MS = 2500;
/** Readiness of 13 processes and the claim topic's offsets, once a second (the machine is shared). */
const SAMPLE_MS = 1000;

export interface ZoneOutageOptions {
  platform: ZonedPlatform;
  brokers: string[];
  /** The load's Kafka settings (the app backend's principal). */
  security: Partial<KafkaSecurityEnv>;
  /** The sampler's (high watermarks; the admin principal). */
  adminSecurity: Partial<KafkaSecurityEnv>;
  zone: Zone;
  seed: number;
  ratePerSecond: number;
  beforeSeconds: number;
  pauseSeconds: number;
  afterSeconds: number;
  drainTimeoutSeconds: number;
  /** The campaign's delay-notice threshold (R8 says three days; short here so that the drill sees notices). */
  noticeAfterSeconds: number;
  /** An immediate Postgres stop and start inside the outage window (a Debian cluster only). */
  postgresRestart: boolean;
  log: (line: string) => void;
}

export interface ServiceRecovery {
  /** Kill until every replica outside the zone answered ready again (0: they never stopped being ready). */
  survivorsReadyAfterSeconds: number;
  /** Whether at least one replica was ready at every sample. */
  servedThroughout: boolean;
  /** Zone restore until the zone's own replica was ready again. */
  zoneReplicaReadyAfterRestoreSeconds: number | null;
  /** Restarts the supervisors made of this service's replicas outside the zone (crashes). */
  survivorRestarts: number;
}

export interface Stall {
  partition: number;
  fromSeconds: number;
  toSeconds: number | null;
}

export interface ZoneOutageReport {
  zone: Zone;
  campaignId: string;
  seed: number;
  ratePerSecond: number;
  /** The machine's 1, 5 and 15 min load averages at the kill (2 cores, shared). */
  loadAverage: number[];
  claims: {
    acknowledged: { before: number; during: number; after: number; total: number };
    decisionsExpected: number;
    decided: number;
    lost: number;
    doubled: number;
    /** Decided with another status or reason than the mix expects. */
    wrongOutcome: number;
    repeatsWithSecondDecision: number;
  };
  /** The longest time the app backend got no acknowledgement. */
  secondsWithoutAcks: number;
  recovery: {
    /** Kill until every partition of the claim topic was decided again (stalls that began during the outage). */
    secondsUntilDecidedAgain: number | null;
    /** The same for stalls that began after the zone came back (its replicas rejoining the groups). */
    secondsOfRejoinStall: number | null;
    stalls: Stall[];
  };
  services: Record<ZonedService, ServiceRecovery>;
  passes: {
    leaderBefore: string | null;
    leaderAfter: string | null;
    /** Longest time without a pass sent, around the outage, while passes waited. */
    longestSendGapSeconds: number | null;
    /** I5: slot order, no gap, none twice (the channel's delivery record included). */
    inSlotOrder: boolean;
    sent: number;
  };
  delayNotices: { emitted: number; deliveredLate: number; onTime: boolean };
  postgresRestart: { atSeconds: number; downSeconds: number; error?: string } | null;
  grants: GrantFaults;
  outboxRowsLeft: number;
  passesUnsent: number;
  audit: { ok: boolean; failed: { id: string; detail: string }[] };
  timeline: { killAtSeconds: number; restoreAtSeconds: number; brokerBackAtSeconds: number; loadEndSeconds: number; drainSeconds: number };
  ok: boolean;
}

/** A database client that reconnects after Postgres restarted (the sampler must outlive it). */
function reconnecting(connect: () => Promise<Client>): {
  query: (sql: string, p?: unknown[]) => Promise<{ rows: Record<string, unknown>[] }>;
  end: () => Promise<void>;
} {
  let c: Client | null = null;
  return {
    async query(sql, p = []) {
      try {
        c ??= await connect();
        return await c.query<Record<string, unknown>>(sql, p);
      } catch (e) {
        const dead = c;
        c = null;
        await dead?.end().catch(() => undefined);
        throw e;
      }
    },
    async end() {
      await c?.end().catch(() => undefined);
    },
  };
}

export async function runZoneOutage(o: ZoneOutageOptions): Promise<ZoneOutageReport> {
  const { platform } = o;
  const runId = randomUUID().slice(0, 8);
  // restarts so far (an earlier trial's zone was restarted on purpose): only new ones count
  const restartsBefore = new Map(platform.replicas.map((r) => [r.name, platform.supervisors.get(r.zone)?.state(r.name).restarts ?? 0]));
  const campaign = await createCampaign(
    platform.url('claims'),
    freshCampaign({
      campaignId: `zone-${runId}`,
      nowMs: Date.now(),
      passCap: 10_000_000,
      window: 'open',
      delayNoticeAfterSeconds: o.noticeAfterSeconds,
    }),
  );
  const topic = platform.prefix + Topics.claimRequested.name;
  const gen = new ClaimGenerator({
    seed: o.seed,
    runId,
    campaign: factsOf(campaign),
    mix: DEFAULT_MIX,
    // taps made just now, so the short notice threshold counts from the send
    recentTapMs: 1000,
  });
  const publisher = new SafePublisher(
    toolKafka({ profile: 'service', brokers: o.brokers, clientId: `zone-drill-${runId}`, security: o.security }),
    {
      sendTimeoutMs: 10_000,
    },
  );
  const expected = new Map<string, Expectation>();
  const repeats = new Set<string>();
  const acked = { before: 0, during: 0, after: 0 };
  let killAt = Number.POSITIVE_INFINITY;
  let restoreAt = Number.POSITIVE_INFINITY;
  let lastAckAt = Date.now();
  let longestGapMs = 0;
  let loading = true;
  const started = Date.now();

  o.log(`load: launch-day mix at ${o.ratePerSecond} msg/s on campaign ${campaign.campaignId} (seed ${o.seed})`);
  const load = (async () => {
    const t0 = Date.now();
    let generated = 0;
    while (loading) {
      // What the rate owes by now: a slow acknowledgement (a busy machine, a dead leader) makes the
      // next batch larger instead of lowering the offered rate; the catch-up after an outage is a burst.
      const due = Math.min(5000, Math.max(1, Math.floor(((Date.now() - t0) * o.ratePerSecond) / 1000) - generated));
      generated += due;
      const msgs = Array.from({ length: due }, () => gen.next(Date.now()));
      const batch: OutgoingRecord[] = msgs.map((m) => ({ topic, key: m.key, value: Buffer.from(m.value), headers: m.headers }));
      await publishUntilAcked(publisher, batch);
      const now = Date.now();
      longestGapMs = Math.max(longestGapMs, now - lastAckAt);
      lastAckAt = now;
      const phase = now < killAt ? 'before' : now < restoreAt ? 'during' : 'after';
      acked[phase] += batch.length;
      for (const m of msgs) {
        if (m.kind === 'repeat' && m.eventId) repeats.add(m.eventId);
        if (m.eventId && (m.expect.outcome === 'ACCEPTED' || m.expect.outcome === 'REJECTED')) expected.set(m.eventId, m.expect);
      }
      await sleep(100);
    }
  })();

  // Samplers: readiness of every replica, and per partition of the claim topic the decided offset
  // (consumer_offset, written in the decision's transaction) against the high watermark.
  const claimsDb = reconnecting(() => platform.db('claims'));
  const kafka = toolKafka({ profile: 'service', brokers: o.brokers, clientId: `zone-drill-sampler-${runId}`, security: o.adminSecurity });
  const admin: Admin = kafka.admin();
  await admin.connect();
  interface Sample {
    t: number;
    ready: Record<string, boolean> | null;
    offsets: Map<number, number> | null;
    hw: Map<number, number> | null;
  }
  const samples: Sample[] = [];
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      const t = Date.now();
      const [ready, offsets, hw] = await Promise.all([
        platform.readiness().catch(() => null),
        claimsDb
          // offsets are stored under the contract's topic name (the prefix is the consumer group's)
          .query(`SELECT partition, next_offset FROM consumer_offset WHERE topic = $1`, [Topics.claimRequested.name])
          .then((r) => new Map(r.rows.map((x) => [Number(x.partition), Number(x.next_offset)])))
          .catch(() => null),
        Promise.race([
          admin.fetchTopicOffsets(topic).then((ps) => new Map(ps.map((p) => [p.partition, Number(p.high)]))),
          sleep(3000).then(() => null),
        ]).catch(() => null),
      ]);
      samples.push({ t, ready, offsets, hw });
      await sleep(Math.max(0, t + SAMPLE_MS - Date.now()));
    }
  })();

  const passesDbEarly = await platform.db('pass-dispatcher');
  const leaderOf = async (db: Client): Promise<string | null> =>
    (await db.query<{ leader_id: string | null }>(`SELECT leader_id FROM pass_campaign WHERE campaign_id = $1`, [campaign.campaignId]))
      .rows[0]?.leader_id ?? null;

  // Warm-up: decisions and passes flow before the zone dies.
  await waitFor('decisions flowing', async () => samples.some((s) => [...(s.offsets?.values() ?? [])].some((v) => v > 0)), 180_000, 500);
  await sleep(o.beforeSeconds * 1000);
  const leaderBefore = await leaderOf(passesDbEarly).catch(() => null);
  await passesDbEarly.end().catch(() => undefined);

  o.log(`zone ${o.zone} goes dark: kill -9 of its broker and of ${platform.replicas.filter((r) => r.zone === o.zone).length} replicas`);
  const down = await platform.zoneDown(o.zone);
  killAt = down.killedAt;
  const loadAtKill = os.loadavg();
  let pgRecord: ZoneOutageReport['postgresRestart'] = null;
  const pgRestart = o.postgresRestart
    ? (async () => {
        await sleep(Math.min(3000, (o.pauseSeconds * 1000) / 4));
        const at = Date.now();
        const downSeconds = 2;
        o.log('Postgres: immediate stop, start after 2 s');
        try {
          const v = postgresVersion();
          if (!v) throw new Error('no Debian PostgreSQL cluster to restart');
          await run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'stop', '-m', 'immediate']).catch(() => undefined);
          await sleep(downSeconds * 1000);
          await run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start']);
          pgRecord = { atSeconds: secs(at - killAt), downSeconds };
        } catch (e) {
          pgRecord = { atSeconds: secs(at - killAt), downSeconds, error: e instanceof Error ? e.message : String(e) };
        }
      })()
    : Promise.resolve();
  await sleep(o.pauseSeconds * 1000);
  await pgRestart;
  o.log(`zone ${o.zone} comes back`);
  restoreAt = Date.now();
  const up = await platform.zoneUp(o.zone);
  o.log(`broker of ${o.zone} rejoined after ${secs(up.brokerBackAt - restoreAt)} s`);
  await sleep(o.afterSeconds * 1000);
  // The zone's replicas must be back before the load ends, so that their readiness is measured.
  await waitFor('the zone ready again', async () => Object.values(await platform.readiness()).every(Boolean), 180_000, 1000).catch(() =>
    o.log('the zone did not become ready within 180 s'),
  );
  loading = false;
  await load;
  const loadEnd = Date.now();
  await sleep(2000);
  sampling = false;
  await sampler;
  await admin.disconnect().catch(() => undefined);
  await claimsDb.end();
  await Promise.race([publisher.close().catch(() => undefined), sleep(10_000)]);
  o.log(`load stopped: ${acked.before + acked.during + acked.after} acknowledged (${expected.size} decisions expected); draining`);

  // Drain: every expected decision, the grants, empty outboxes, every reserved pass sent.
  const drainStarted = Date.now();
  const dbs = {
    claims: await platform.db('claims'),
    emoticons: await platform.db('emoticons'),
    coupons: await platform.db('coupons'),
    passes: await platform.db('pass-dispatcher'),
  };
  const ids = [...expected.keys()];
  let decided = 0;
  await waitFor(
    'every acknowledged claim decided',
    async () => {
      decided = await scalar(dbs.claims, `SELECT count(DISTINCT event_id) AS n FROM claim WHERE event_id = ANY($1)`, [ids]);
      return decided === ids.length;
    },
    o.drainTimeoutSeconds * 1000,
    2000,
  ).catch(() => undefined);
  const doubled = await scalar(
    dbs.claims,
    `SELECT count(*) AS n FROM (SELECT event_id FROM claim WHERE campaign_id = $1 GROUP BY event_id HAVING count(*) > 1) d`,
    [campaign.campaignId],
  );
  const outcomes = await dbs.claims.query<{ event_id: string; status: string; reason: string | null }>(
    `SELECT event_id, status, reason FROM claim WHERE event_id = ANY($1)`,
    [ids],
  );
  let wrongOutcome = 0;
  for (const r of outcomes.rows) {
    const e = expected.get(r.event_id);
    if (!e) continue;
    if (e.outcome === 'ACCEPTED' ? r.status !== 'ACCEPTED' : r.status !== 'REJECTED' || (e.outcome === 'REJECTED' && r.reason !== e.reason))
      wrongOutcome++;
  }
  const repeatsWithSecondDecision = await scalar(
    dbs.claims,
    `SELECT count(*) AS n FROM (SELECT event_id FROM claim WHERE event_id = ANY($1) GROUP BY event_id HAVING count(*) > 1) d`,
    [[...repeats]],
  );
  const { grants } = await awaitGrants(dbs, campaign, o.drainTimeoutSeconds * 1000);
  let passesUnsent = 0;
  await waitFor(
    'every reserved pass sent',
    async () => {
      passesUnsent = await scalar(dbs.passes, `SELECT count(*) AS n FROM pass WHERE campaign_id = $1 AND sent_at IS NULL`, [
        campaign.campaignId,
      ]);
      return passesUnsent === 0;
    },
    o.drainTimeoutSeconds * 1000,
    2000,
  ).catch(() => undefined);
  const outboxRowsLeft = await awaitOutboxesEmpty(dbs, 120_000);
  const leaderAfter = await leaderOf(dbs.passes);
  const longestSendGapSeconds = await longestSendGap(dbs.passes, campaign.campaignId, killAt - 5000, restoreAt + o.afterSeconds * 1000);
  const notices = (
    await dbs.passes.query<{ emitted: string; sent: string }>(
      `SELECT count(*) FILTER (WHERE notice_at IS NOT NULL) AS emitted, count(*) FILTER (WHERE sent_at IS NOT NULL) AS sent
         FROM pass WHERE campaign_id = $1`,
      [campaign.campaignId],
    )
  ).rows[0];
  for (const db of Object.values(dbs)) await db.end();
  const drainSeconds = secs(Date.now() - drainStarted);

  const audit = await runAudit({
    databaseUrl: platform.serverUrl,
    databases: {
      claims: platform.databases.claims,
      emoticons: platform.databases.emoticons,
      coupons: platform.databases.coupons,
      passes: platform.databases['pass-dispatcher'],
    },
    campaignId: campaign.campaignId,
    channelUrl: platform.channelUrl,
    outboxMaxAgeSeconds: 120,
  });
  const check = (id: string) => audit.checks.find((c) => c.id === id);

  const { secondsUntilDecidedAgain, secondsOfRejoinStall, stalls } = claimStalls(samples, killAt, restoreAt);
  const services = serviceRecovery(samples, platform, o.zone, killAt, restoreAt, restartsBefore);
  const lost = ids.length - decided;
  const report: ZoneOutageReport = {
    zone: o.zone,
    campaignId: campaign.campaignId,
    seed: o.seed,
    ratePerSecond: o.ratePerSecond,
    loadAverage: loadAtKill.map((x) => Math.round(x * 100) / 100),
    claims: {
      acknowledged: { ...acked, total: acked.before + acked.during + acked.after },
      decisionsExpected: ids.length,
      decided,
      lost,
      doubled,
      wrongOutcome,
      repeatsWithSecondDecision,
    },
    secondsWithoutAcks: secs(longestGapMs),
    recovery: { secondsUntilDecidedAgain, secondsOfRejoinStall, stalls },
    services,
    passes: {
      leaderBefore,
      leaderAfter,
      longestSendGapSeconds,
      inSlotOrder: check('I5')?.ok ?? false,
      sent: Number(notices?.sent ?? 0),
    },
    delayNotices: {
      emitted: Number(notices?.emitted ?? 0),
      deliveredLate: Number(check('I6')?.counts.deliveredLate ?? 0),
      onTime: check('I6')?.ok ?? false,
    },
    postgresRestart: pgRecord,
    grants,
    outboxRowsLeft,
    passesUnsent,
    audit: { ok: audit.ok, failed: audit.checks.filter((c) => !c.ok).map((c) => ({ id: c.id, detail: c.detail })) },
    timeline: {
      killAtSeconds: secs(killAt - started),
      restoreAtSeconds: secs(restoreAt - started),
      brokerBackAtSeconds: secs(up.brokerBackAt - started),
      loadEndSeconds: secs(loadEnd - started),
      drainSeconds,
    },
    ok: false,
  };
  report.ok =
    lost === 0 &&
    doubled === 0 &&
    wrongOutcome === 0 &&
    repeatsWithSecondDecision === 0 &&
    totalFaults(grants) === 0 &&
    outboxRowsLeft === 0 &&
    passesUnsent === 0 &&
    audit.ok &&
    secondsUntilDecidedAgain !== null &&
    (pgRecord === null || (pgRecord as { error?: string }).error === undefined);
  return report;
}

/** The longest stretch without a pass sent in [from, to], counting only while passes waited to be sent. */
async function longestSendGap(db: Client, campaignId: string, fromMs: number, toMs: number): Promise<number | null> {
  const r = await db.query<{ gap: string | null }>(
    `SELECT max(gap) AS gap FROM (
       SELECT extract(epoch FROM sent_at - lag(sent_at) OVER (ORDER BY slot)) AS gap, reserved_at, lag(sent_at) OVER (ORDER BY slot) AS prev
         FROM pass WHERE campaign_id = $1 AND sent_at BETWEEN $2 AND $3) x
      WHERE prev IS NOT NULL AND reserved_at <= prev`,
    [campaignId, new Date(fromMs), new Date(toMs)],
  );
  const g = r.rows[0]?.gap;
  return g === null || g === undefined ? null : Math.round(Number(g) * 10) / 10;
}

/**
 * Stalls of the claim topic: a partition with undecided claims (high watermark above the decided
 * offset) and no progress for STALL_MS. Recovery is from the kill to the end of the last stall
 * that began during the outage; stalls that began after the restore are the zone's replicas
 * rejoining the consumer groups.
 */
export function claimStalls(
  samples: { t: number; offsets: Map<number, number> | null; hw: Map<number, number> | null }[],
  killAt: number,
  restoreAt: number,
): { secondsUntilDecidedAgain: number | null; secondsOfRejoinStall: number | null; stalls: Stall[] } {
  const lastAdvance = new Map<number, number>();
  const offset = new Map<number, number>();
  const waitingSince = new Map<number, number>();
  const raw: { partition: number; from: number; to: number | null }[] = [];
  for (const s of samples) {
    if (!s.offsets) continue; // the database did not answer: no knowledge, the waits go on
    const partitions = new Set([...s.offsets.keys(), ...(s.hw?.keys() ?? [])]);
    for (const p of partitions) {
      const off = s.offsets.get(p) ?? offset.get(p) ?? 0;
      const prev = offset.get(p);
      if (prev === undefined || off > prev) {
        const since = waitingSince.get(p);
        if (prev !== undefined && since !== undefined && s.t - since >= STALL_MS) raw.push({ partition: p, from: since, to: s.t });
        waitingSince.delete(p);
        offset.set(p, off);
        lastAdvance.set(p, s.t);
      }
      const hw = s.hw?.get(p);
      if (hw !== undefined && hw > off && !waitingSince.has(p)) waitingSince.set(p, Math.max(lastAdvance.get(p) ?? s.t, s.t - SAMPLE_MS));
      if (hw !== undefined && hw <= off) waitingSince.delete(p);
    }
  }
  for (const [p, since] of waitingSince) {
    const last = samples.at(-1)?.t ?? since;
    if (last - since >= STALL_MS) raw.push({ partition: p, from: since, to: null });
  }
  const duringOutage = raw.filter((x) => x.from >= killAt - SAMPLE_MS && x.from < restoreAt);
  const afterRestore = raw.filter((x) => x.from >= restoreAt);
  const end = (xs: typeof raw, origin: number): number | null =>
    xs.some((x) => x.to === null) ? null : xs.length === 0 ? 0 : secs(Math.max(...xs.map((x) => (x.to as number) - origin)));
  return {
    secondsUntilDecidedAgain: end(duringOutage, killAt),
    secondsOfRejoinStall: afterRestore.length === 0 ? 0 : end(afterRestore, restoreAt),
    stalls: raw
      .filter((x) => x.from >= killAt - SAMPLE_MS)
      .map((x) => ({ partition: x.partition, fromSeconds: secs(x.from - killAt), toSeconds: x.to === null ? null : secs(x.to - killAt) })),
  };
}

function serviceRecovery(
  samples: { t: number; ready: Record<string, boolean> | null }[],
  platform: ZonedPlatform,
  zone: Zone,
  killAt: number,
  restoreAt: number,
  restartsBefore: Map<string, number>,
): Record<ZonedService, ServiceRecovery> {
  const out = {} as Record<ZonedService, ServiceRecovery>;
  for (const service of ZONED_SERVICES) {
    const mine = platform.replicas.filter((r) => r.service === service);
    const survivors = mine.filter((r) => r.zone !== zone);
    const inZone = mine.find((r) => r.zone === zone);
    let lastSurvivorDown: number | null = null;
    let servedThroughout = true;
    let zoneBack: number | null = null;
    for (const s of samples) {
      if (!s.ready || s.t < killAt) continue;
      if (s.t < restoreAt && survivors.some((r) => !s.ready?.[r.name])) lastSurvivorDown = s.t;
      if (!mine.some((r) => s.ready?.[r.name])) servedThroughout = false;
      if (s.t >= restoreAt && zoneBack === null && inZone && s.ready[inZone.name]) zoneBack = s.t;
    }
    const after = (t: number | null) => (t === null ? 0 : secs(t + SAMPLE_MS - killAt));
    const restarts = survivors.reduce(
      (n, r) => n + (platform.supervisors.get(r.zone)?.state(r.name).restarts ?? 0) - (restartsBefore.get(r.name) ?? 0),
      0,
    );
    out[service] = {
      survivorsReadyAfterSeconds: after(lastSurvivorDown),
      servedThroughout,
      zoneReplicaReadyAfterRestoreSeconds: zoneBack === null ? null : secs(zoneBack - restoreAt),
      survivorRestarts: restarts,
    };
  }
  return out;
}
