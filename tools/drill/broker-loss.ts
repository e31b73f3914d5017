import { randomUUID } from 'node:crypto';
import type { KafkaSecurityEnv } from '@platform/config';
import { CampaignDefinition, Topics } from '@platform/contracts';
import { OutgoingRecord, SafePublisher } from '@platform/messaging';
import { campaignAround } from '@platform/rules';
import { waitFor } from '@platform/testing';
import { busiestLeader, killBroker, startBroker } from './cluster';
import { awaitGrants, awaitOutboxesEmpty, GrantFaults, scalar, totalFaults } from './grants';
import { DrillPlatform } from './platform';
import { toolKafka } from '@platform/tools-infra';
import { toolBearer } from '@platform/tools-ops';

export interface TrialOptions {
  platform: DrillPlatform;
  brokers: string[];
  /** The load's Kafka client settings (the app backend's principal on the secured cluster). */
  security?: Partial<KafkaSecurityEnv>;
  /** Broker to kill; default: the one leading most partitions of the claims topic. */
  broker?: number;
  ratePerSecond: number;
  beforeSeconds: number;
  pauseSeconds: number;
  afterSeconds: number;
  drainTimeoutSeconds: number;
  log: (line: string) => void;
}

export interface TrialReport {
  killedBroker: number;
  acknowledged: number;
  decided: number;
  missing: number;
  doubled: number;
  accepted: number;
  grants: GrantFaults;
  outboxRowsLeft: number;
  secondsWithoutAcks: number;
  secondsUntilHealthy: number;
  claimsPerSecond: { before: number; during: number; after: number };
  failedPublishes: number;
  ok: boolean;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Sends the same records until Kafka acknowledges them, as the app backend does (the same bytes:
 * a retry is not a new claim), a quarter second apart; `onFailure` may end the attempts (false).
 * Returns whether they were acknowledged.
 */
export async function publishUntilAcked(
  publisher: SafePublisher,
  records: OutgoingRecord[],
  onFailure: () => boolean = () => true,
): Promise<boolean> {
  for (;;) {
    try {
      await publisher.publish(records);
      return true;
    } catch {
      if (!onFailure()) return false;
      await sleep(250);
    }
  }
}

/** A campaign whose window is around now, with a cap no drill reaches. */
export async function createDrillCampaign(platform: DrillPlatform): Promise<CampaignDefinition> {
  const now = Date.now();
  const c: CampaignDefinition = campaignAround(now, {
    campaignId: `drill-${randomUUID().slice(0, 8)}`,
    name: 'broker-loss drill',
    pass: { cap: 10_000_000 },
    relief: null,
  });
  const r = await fetch(`${platform.url('claims')}/campaigns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(await toolBearer('ops')) },
    body: JSON.stringify(c),
  });
  if (r.status !== 201) throw new Error(`could not create the drill campaign: ${r.status} ${await r.text()}`);
  return c;
}

/**
 * One trial: valid claims flow at a steady rate; the busiest leader of the claims topic is killed
 * with SIGKILL, restarted after a pause; the load goes on; then everything drains and every
 * acknowledged claim is checked for exactly one decision and, when accepted, exactly its grants.
 */
export async function runBrokerLossTrial(o: TrialOptions): Promise<TrialReport> {
  const { platform } = o;
  const campaign = await createDrillCampaign(platform);
  const claimsDb = await platform.db('claims');
  const emoticonsDb = await platform.db('emoticons');
  const couponsDb = await platform.db('coupons');
  const passesDb = await platform.db('pass-dispatcher');
  const topic = platform.prefix + Topics.claimRequested.name;
  const publisher = new SafePublisher(
    toolKafka({ profile: 'service', brokers: o.brokers, clientId: `drill-${randomUUID().slice(0, 6)}`, security: o.security }),
    { sendTimeoutMs: 10_000 },
  );
  const acked = new Set<string>();
  let failedPublishes = 0;
  let lastAckAt = Date.now();
  let longestGapMs = 0;
  let seq = 0;
  let running = true;
  const runId = randomUUID().slice(0, 8);

  const decidedCount = () => scalar(claimsDb, `SELECT count(*) AS n FROM claim WHERE campaign_id = $1`, [campaign.campaignId]);

  // The load: every 100 ms a batch of valid claims for new accounts, spanning all partitions.
  const perTick = Math.max(1, Math.round(o.ratePerSecond / 10));
  const load = (async () => {
    let next = Date.now();
    while (running) {
      const batch = Array.from({ length: perTick }, () => {
        const i = seq++;
        return {
          eventId: `drill-${runId}-${i}`,
          campaignId: campaign.campaignId,
          accountId: `drill-${runId}-acct-${i}`,
          talkLinked: true,
          phoneNumber: '010-1234-5678',
          makersMember: i % 2 === 0,
          requestedAt: new Date().toISOString(),
        };
      });
      // Resend the same claims until acknowledged (the same eventIds: a retry is not a new claim).
      const records = batch.map((c) => ({ topic, key: c.accountId, value: Buffer.from(JSON.stringify(c)), headers: {} }));
      const ok = await publishUntilAcked(publisher, records, () => {
        failedPublishes++;
        return running;
      });
      if (ok) {
        const now = Date.now();
        longestGapMs = Math.max(longestGapMs, now - lastAckAt);
        lastAckAt = now;
        for (const c of batch) acked.add(c.eventId);
      }
      next += 100;
      await sleep(Math.max(0, next - Date.now()));
    }
  })();

  const rateOver = async (seconds: number): Promise<number> => {
    const a = await decidedCount();
    await sleep(seconds * 1000);
    return ((await decidedCount()) - a) / seconds;
  };

  o.log(`load running at ${o.ratePerSecond} claims/s on campaign ${campaign.campaignId}`);
  // Warm-up: consumers have joined and decisions flow before anything is measured or killed.
  await waitFor('decisions flowing', async () => (await decidedCount()) >= perTick * 10, 120_000, 500);
  const before = await rateOver(o.beforeSeconds);
  const victim = o.broker ?? (await busiestLeader(topic, o.brokers));
  o.log(`kill -9 broker ${victim}`);
  const killedAt = Date.now();
  let lastUnhealthyAt = killedAt;
  const healthWatch = (async () => {
    while (running || Date.now() - killedAt < 1000) {
      const r = await platform.readiness();
      if (Object.values(r).some((ok) => !ok)) lastUnhealthyAt = Date.now();
      await sleep(500);
    }
  })();
  await killBroker(victim);
  const during = await rateOver(o.pauseSeconds);
  o.log(`restart broker ${victim}`);
  await startBroker(victim);
  const after = await rateOver(o.afterSeconds);
  running = false;
  await load;
  await healthWatch;
  await publisher.close();
  o.log(`load stopped: ${acked.size} acknowledged; draining`);

  const ackedIds = [...acked];
  let decided = 0;
  await waitFor(
    'every acknowledged claim decided',
    async () => {
      decided = await scalar(claimsDb, `SELECT count(*) AS n FROM claim WHERE event_id = ANY($1)`, [ackedIds]);
      return decided === ackedIds.length;
    },
    o.drainTimeoutSeconds * 1000,
    1000,
  ).catch(() => undefined);
  const doubled = await scalar(
    claimsDb,
    `SELECT count(*) AS n FROM (SELECT event_id FROM claim WHERE event_id = ANY($1) GROUP BY event_id HAVING count(*) > 1) d`,
    [ackedIds],
  );
  const dbs = { claims: claimsDb, emoticons: emoticonsDb, coupons: couponsDb, passes: passesDb };
  // Grants are written by other services after the decision: wait for them to catch up too.
  const { accepted, grants } = await awaitGrants(dbs, campaign, o.drainTimeoutSeconds * 1000);
  const outboxRowsLeft = await awaitOutboxesEmpty(dbs, 60_000);
  for (const db of Object.values(dbs)) await db.end();

  const missing = ackedIds.length - decided;
  const ok = missing === 0 && doubled === 0 && outboxRowsLeft === 0 && totalFaults(grants) === 0;
  return {
    killedBroker: victim,
    acknowledged: ackedIds.length,
    decided,
    missing,
    doubled,
    accepted,
    grants,
    outboxRowsLeft,
    secondsWithoutAcks: Math.round(longestGapMs / 100) / 10,
    secondsUntilHealthy: Math.round((lastUnhealthyAt - killedAt) / 100) / 10,
    claimsPerSecond: { before: Math.round(before), during: Math.round(during), after: Math.round(after) },
    failedPublishes,
    ok,
  };
}
