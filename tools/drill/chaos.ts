// `npm run drill -- chaos`: the launch-day mix (with hostile input) on the 3-broker cluster with
// every claim-path service running, while faults drawn from a seed hit it: kill -9 of a service
// (restarted after a few seconds, as a supervisor would), SIGSTOP of a service for 40 s, an
// immediate Postgres stop and start, kill -9 of a broker, an outage of the Talk Drawer channel.
// Then everything drains and the claims, their grants and the audit are checked.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { promisify } from 'node:util';
import type { KafkaSecurityEnv } from '@platform/config';
import { Topics } from '@platform/contracts';
import { HeaderList, OutgoingRecord, SafePublisher } from '@platform/messaging';
import { waitFor } from '@platform/testing';
import { runAudit } from '@platform/tools-audit';
import { toolKafka } from '@platform/tools-infra';
import { hostileCatalogue, HostileMessage, derive } from '@platform/tools-loadgen';
import { toolBearer } from '@platform/tools-ops';
import { createDrillCampaign, publishUntilAcked } from './broker-loss';
import { FaultKind, planFaults, PlannedFault } from './chaos-plan';
import { killBroker, startBroker } from './cluster';
import { awaitGrants, awaitOutboxesEmpty, GrantFaults, scalar, totalFaults } from './grants';
import { DrillPlatform } from './platform';

const run = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface ChaosOptions {
  platform: DrillPlatform;
  brokers: string[];
  brokerIds: number[];
  security?: Partial<KafkaSecurityEnv>;
  claims: number;
  ratePerSecond: number;
  faults: number;
  seed: number;
  /** Whether the machine's Postgres can be restarted (a Debian cluster, not embedded). */
  postgresRestart: boolean;
  drainTimeoutSeconds: number;
  log: (line: string) => void;
}

export interface FaultRecord extends PlannedFault {
  startedAt: string;
  endedAt: string;
  /** Seconds from the start of the fault until every service answered ready again (recovery time). */
  secondsUntilReady: number | null;
  error?: string;
}

export interface ChaosReport {
  seed: number;
  faults: FaultRecord[];
  claims: {
    sent: number;
    acknowledged: number;
    decided: number;
    lost: number;
    doubled: number;
    accepted: number;
    duplicatesRejected: number;
    repeatsWithSecondDecision: number;
  };
  hostile: { sent: number };
  grants: GrantFaults;
  outboxRowsLeft: number;
  audit: { ok: boolean; failed: { id: string; detail: string }[] };
  seconds: { load: number; drain: number };
  claimsPerSecond: number;
  ok: boolean;
}

/** The Debian cluster's version directory, for pg_ctlcluster. */
export function postgresVersion(): string | null {
  try {
    return fs.readdirSync('/etc/postgresql').sort().at(-1) ?? null;
  } catch {
    return null;
  }
}

async function injectFault(f: PlannedFault, o: ChaosOptions): Promise<void> {
  const { platform } = o;
  const svc = () => {
    const s = platform.services.find((x) => x.name === f.target);
    if (!s?.child.pid) throw new Error(`no running ${f.target}`);
    return s;
  };
  switch (f.kind) {
    case 'service-kill': {
      const s = svc();
      s.child.kill('SIGKILL');
      await sleep(f.durationSeconds * 1000);
      await platform.restart(s.name);
      return;
    }
    case 'service-freeze': {
      const pid = svc().child.pid as number;
      process.kill(pid, 'SIGSTOP');
      try {
        await sleep(f.durationSeconds * 1000);
      } finally {
        process.kill(pid, 'SIGCONT');
      }
      return;
    }
    case 'postgres-restart': {
      const v = postgresVersion();
      if (!v) throw new Error('no Debian PostgreSQL cluster to restart');
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'stop', '-m', 'immediate']).catch(() => undefined);
      await sleep(f.durationSeconds * 1000);
      await run('pg_ctlcluster', ['--skip-systemctl-redirect', v, 'main', 'start']);
      return;
    }
    case 'broker-kill': {
      const id = Number(f.target);
      await killBroker(id);
      await sleep(f.durationSeconds * 1000);
      await startBroker(id);
      return;
    }
    case 'channel-outage': {
      const post = async (on: boolean) => {
        const r = await fetch(`${platform.url('talk-channel-sim')}/admin/outage`, {
          signal: AbortSignal.timeout(10_000),
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(await toolBearer('ops')) },
          body: JSON.stringify({ on }),
        });
        if (!r.ok) throw new Error(`channel outage ${on ? 'on' : 'off'}: ${r.status}`);
      };
      await post(true);
      try {
        await sleep(f.durationSeconds * 1000);
      } finally {
        await post(false);
      }
      return;
    }
  }
}

/**
 * The load: unique eligible claims at a steady rate until `claims` are acknowledged, plus repeats
 * of acknowledged ones (same eventId and bytes: no new decision), second claims of accounts that
 * already claimed (DUPLICATE) and hostile messages (parked). Every batch is resent until Kafka
 * acknowledges it, as an app backend would.
 */
export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const { platform } = o;
  const campaign = await createDrillCampaign(platform);
  const topic = platform.prefix + Topics.claimRequested.name;
  const runId = randomUUID().slice(0, 8);
  const p = derive(o.seed, 'chaos-load');
  const publisher = new SafePublisher(
    toolKafka({ profile: 'service', brokers: o.brokers, clientId: `chaos-${runId}`, security: o.security }),
    {
      sendTimeoutMs: 10_000,
    },
  );
  const hostile: HostileMessage[] = hostileCatalogue(['claimRequested'], {
    runId,
    campaignId: campaign.campaignId,
    inWindow: new Date().toISOString(),
    now: new Date(),
  }).filter((m) => m.expect === 'PARKED');
  const unique = new Map<string, { accountId: string; member: boolean }>();
  const seconds: string[] = [];
  const repeats: string[] = [];
  let hostileSent = 0;
  let sent = 0;
  let seq = 0;
  const claimOf = (i: number, accountId: string, requestedAt: string) => ({
    eventId: `chaos-${runId}-${i}`,
    campaignId: campaign.campaignId,
    accountId,
    talkLinked: true,
    // 010-5xxx is partly unassigned in libphonenumber's metadata: stay clear of it (as the loadgen does)
    phoneNumber: `010-${[2, 3, 4, 6, 7, 8, 9][i % 7]}${String(100 + (i % 900))}-${String(1000 + (i % 9000))}`,
    makersMember: i % 2 === 0,
    requestedAt,
  });
  const bodies = new Map<string, Buffer>();

  const plan = planFaults({
    seed: o.seed,
    faults: o.faults,
    loadSeconds: Math.max(60, Math.round(o.claims / o.ratePerSecond)),
    services: platform.services.filter((s) => s.name !== 'talk-channel-sim').map((s) => s.name),
    brokers: o.brokerIds,
    kinds: o.postgresRestart ? undefined : (['service-kill', 'service-freeze', 'broker-kill', 'channel-outage'] as FaultKind[]),
  });
  o.log(
    `fault plan (seed ${o.seed}): ${plan.map((f) => `${f.atSeconds}s ${f.kind}${f.target ? ` ${f.target}` : ''} ${f.durationSeconds}s`).join('; ')}`,
  );

  const started = Date.now();
  const records: FaultRecord[] = [];
  const faultsDone = (async () => {
    for (const f of plan) {
      await sleep(Math.max(0, started + f.atSeconds * 1000 - Date.now()));
      const startedAt = new Date();
      o.log(`fault: ${f.kind}${f.target ? ` ${f.target}` : ''} for ${f.durationSeconds}s`);
      let error: string | undefined;
      const bound = (f.durationSeconds + 240) * 1000; // a fault that hangs must not stop the drill
      await Promise.race([
        injectFault(f, o),
        sleep(bound).then(() => Promise.reject(new Error(`did not finish within ${bound / 1000} s`))),
      ]).catch((e: unknown) => {
        error = e instanceof Error ? e.message : String(e);
        o.log(`fault ${f.kind} failed: ${error}`);
      });
      const endedAt = new Date();
      o.log(`fault over: ${f.kind}${error ? ` (${error})` : ''}; waiting for every service to be ready`);
      const ready = await waitFor('ready again', async () => Object.values(await platform.readiness()).every(Boolean), 180_000, 500)
        .then(() => Math.round((Date.now() - startedAt.getTime()) / 100) / 10)
        .catch(() => null);
      records.push({
        ...f,
        startedAt: startedAt.toISOString(),
        endedAt: endedAt.toISOString(),
        secondsUntilReady: ready,
        ...(error ? { error } : {}),
      });
    }
  })();

  const perTick = Math.max(1, Math.round(o.ratePerSecond / 10));
  let next = Date.now();
  while (unique.size < o.claims) {
    const now = new Date().toISOString();
    const batch: OutgoingRecord[] = [];
    const newOnes: [string, { accountId: string; member: boolean }][] = [];
    for (let k = 0; k < perTick && unique.size + newOnes.length < o.claims; k++) {
      const roll = p.next();
      if (roll < 0.03 && unique.size > 0) {
        // a repeat of an acknowledged claim: the very same bytes
        const id = `chaos-${runId}-${p.int(seq)}`;
        const body = bodies.get(id);
        if (body) {
          batch.push({ topic, key: JSON.parse(body.toString()).accountId as string, value: body, headers: {} });
          repeats.push(id);
          continue;
        }
      }
      if (roll < 0.05 && unique.size > 0) {
        const i = seq++;
        const prior = [...unique.values()][p.int(Math.min(unique.size, 5000))] as { accountId: string };
        const c = claimOf(i, prior.accountId, now);
        batch.push({ topic, key: c.accountId, value: Buffer.from(JSON.stringify(c)), headers: {} });
        seconds.push(c.eventId);
        continue;
      }
      if (roll < 0.07) {
        const h = hostile[p.int(hostile.length)] as HostileMessage;
        batch.push({ topic, key: h.key, value: h.value, headers: {}, headerList: h.headers as HeaderList });
        hostileSent++;
        continue;
      }
      const i = seq++;
      const c = claimOf(i, `chaos-${runId}-acct-${i}`, now);
      const value = Buffer.from(JSON.stringify(c));
      bodies.set(c.eventId, value);
      batch.push({ topic, key: c.accountId, value, headers: {} });
      newOnes.push([c.eventId, { accountId: c.accountId, member: c.makersMember }]);
    }
    await publishUntilAcked(publisher, batch);
    sent += batch.length;
    for (const [id, v] of newOnes) unique.set(id, v);
    if (bodies.size > 20_000) for (const k of [...bodies.keys()].slice(0, 10_000)) bodies.delete(k);
    next += 100;
    await sleep(Math.max(0, next - Date.now()));
  }
  const loadSeconds = (Date.now() - started) / 1000;
  o.log(
    `load done: ${unique.size} unique claims acknowledged (${sent} messages) in ${loadSeconds.toFixed(0)} s; waiting for the remaining faults`,
  );
  await faultsDone;
  // kafkajs' disconnect can hang after a broker died under it: never let that hold the drill.
  await Promise.race([publisher.close().catch(() => undefined), sleep(10_000)]);
  o.log('faults done; draining');
  const drainStarted = Date.now();
  // Connected only now: a Postgres restart among the faults ends every connection made before it.
  const claimsDb = await platform.db('claims');
  const emoticonsDb = await platform.db('emoticons');
  const couponsDb = await platform.db('coupons');
  const passesDb = await platform.db('pass-dispatcher');

  const ids = [...unique.keys()];
  let decided = 0;
  await waitFor(
    'every acknowledged claim decided',
    async () => {
      decided = await scalar(claimsDb, `SELECT count(*) AS n FROM claim WHERE event_id = ANY($1)`, [ids]);
      return decided === ids.length;
    },
    o.drainTimeoutSeconds * 1000,
    2000,
  ).catch(() => undefined);
  const doubled = await scalar(
    claimsDb,
    `SELECT count(*) AS n FROM (SELECT event_id FROM claim WHERE campaign_id = $1 GROUP BY event_id HAVING count(*) > 1) d`,
    [campaign.campaignId],
  );
  const duplicatesRejected = await scalar(claimsDb, `SELECT count(*) AS n FROM claim WHERE event_id = ANY($1) AND reason = 'DUPLICATE'`, [
    seconds,
  ]);
  const dbs = { claims: claimsDb, emoticons: emoticonsDb, coupons: couponsDb, passes: passesDb };
  const { accepted, grants } = await awaitGrants(dbs, campaign, o.drainTimeoutSeconds * 1000);
  const outboxRowsLeft = await awaitOutboxesEmpty(dbs, 120_000);
  const repeatsWithSecondDecision = await scalar(
    claimsDb,
    `SELECT count(*) AS n FROM (SELECT event_id FROM claim WHERE event_id = ANY($1) GROUP BY event_id HAVING count(*) > 1) d`,
    [repeats],
  );
  for (const db of [claimsDb, emoticonsDb, couponsDb, passesDb]) await db.end();
  const drainSeconds = (Date.now() - drainStarted) / 1000;

  const byName = (n: string) => platform.services.find((s) => s.name === n)?.database ?? 'drill_missing';
  const report = await runAudit({
    databaseUrl: platform.serverUrl,
    databases: { claims: byName('claims'), emoticons: byName('emoticons'), coupons: byName('coupons'), passes: byName('pass-dispatcher') },
    campaignId: campaign.campaignId,
    channelUrl: null,
    outboxMaxAgeSeconds: 120,
  });
  const lost = ids.length - decided;
  const ok =
    lost === 0 && doubled === 0 && repeatsWithSecondDecision === 0 && outboxRowsLeft === 0 && totalFaults(grants) === 0 && report.ok;
  return {
    seed: o.seed,
    faults: records,
    claims: { sent, acknowledged: ids.length, decided, lost, doubled, accepted, duplicatesRejected, repeatsWithSecondDecision },
    hostile: { sent: hostileSent },
    grants,
    outboxRowsLeft,
    audit: { ok: report.ok, failed: report.checks.filter((c) => !c.ok).map((c) => ({ id: c.id, detail: c.detail })) },
    seconds: { load: Math.round(loadSeconds), drain: Math.round(drainSeconds) },
    claimsPerSecond: Math.round(ids.length / (loadSeconds + drainSeconds)),
    ok,
  };
}
