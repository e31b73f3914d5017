import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { Client } from 'pg';
import { CampaignDefinition, PayloadOf, Topics } from '@platform/contracts';
import { createTestDatabase, spawnTs, stopGracefully, TestDatabase, testKafka, TopicCollector, waitFor } from '@platform/testing';
import type { ReconciliationReport } from '../src/reconcile/claim-reconcile.sweep';
import { AppApiHarness } from './harness';

jest.setTimeout(240_000);

const HOUR = 3600_000;

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });

/**
 * End to end with the real claims and emoticons services (child processes, as they run): a
 * decision the emoticons service never read (deleted from Kafka while it was down, as retention
 * would) is found by the reconciler, re-driven through claims, and granted; nothing is granted
 * twice, neither for it nor for a claim granted the normal way and re-driven on purpose.
 */
describe('app-api reconciler with the real claims and emoticons services', () => {
  const h = new AppApiHarness({ database: 'app_api_rce', topics: 'app-api-rce' });
  const { brokers, databaseUrl } = h.infra;
  const run = Date.now().toString(36);
  const campaignId = `rce-${run}`;
  const dbs: TestDatabase[] = [];
  const children: ChildProcess[] = [];
  let collector: TopicCollector;
  let reader: Record<string, string>;
  let ops: Record<string, string>;
  let claimsUrl: string;
  let emoticonsUrl: string;
  const serviceDbs = new Map<string, TestDatabase>();

  const campaign: CampaignDefinition = {
    campaignId,
    name: 'reconcile e2e',
    opensAt: new Date(Date.now() - 24 * HOUR).toISOString(),
    closesAt: new Date(Date.now() + 24 * HOUR).toISOString(),
    rewards: {
      emoticons: [
        { emoticonId: 'choonsik-friends-2', name: 'Choonsik', validityDays: null },
        { emoticonId: 'tosimi-tomungi', name: 'Tosimi', validityDays: 90 },
        { emoticonId: 'broken-bear', name: 'Broken Bear', validityDays: 90 },
      ],
      coupons: null,
      pass: null,
    },
    relief: null,
  };
  const claim = (accountId: string): PayloadOf<'claimRequested'> => ({
    eventId: `${accountId}-ev`,
    campaignId,
    accountId,
    talkLinked: true,
    phoneNumber: '010-2222-3333',
    makersMember: false,
    requestedAt: new Date().toISOString(),
  });
  const publish = <K extends 'claimRequested' | 'claimRedriveRequested'>(topic: K, v: PayloadOf<K>) => h.publish(topic, v, v.accountId);
  const on = <K extends 'claimDecided' | 'entitlementGranted' | 'claimRedriveRequested'>(topic: K, accountId: string) =>
    collector
      .on(h.topic(topic))
      .map((m) => m.json<PayloadOf<K>>())
      .filter((v) => v.accountId === accountId);
  const report = async () =>
    (await (await fetch(`${h.url}/v1/reconciliation?campaignId=${campaignId}`, { headers: reader })).json()) as ReconciliationReport;
  const held = async (accountId: string) => {
    const r = await fetch(`${emoticonsUrl}/entitlements/${accountId}`, { headers: reader });
    return r.status === 200 ? ((await r.json()) as { packs: { emoticonId: string }[] }).packs : null;
  };
  const start = async (entry: string, label: string, extra: Record<string, string> = {}) => {
    const db = await createTestDatabase(`rce_${label}`);
    dbs.push(db);
    const port = await freePort();
    const child = spawnTs(entry, {
      DATABASE_URL: databaseUrl,
      DB_NAME: db.name,
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: h.prefix,
      LOG_LEVEL: 'warn',
      OTEL_SDK_DISABLED: 'true',
      HOST: '127.0.0.1',
      PORT: String(port),
      ...extra,
    });
    children.push(child);
    const base = `http://127.0.0.1:${port}`;
    serviceDbs.set(label, db);
    await waitFor(
      `${label} ready`,
      async () => {
        if (child.exitCode !== null) throw new Error(`${label} exited: ${child.output.join('').slice(-2000)}`);
        return (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200;
      },
      120_000,
    );
    return base;
  };

  beforeAll(async () => {
    await h.start({
      RECONCILE_INTERVAL_MS: '300',
      // room for the normal claim to be granted on a loaded machine before its bound (else it is re-driven, rightly)
      RECONCILE_AFTER_MS: '10000',
      RECONCILE_MAX_ATTEMPTS: '3',
      RECONCILE_BACKOFF_MS: '5000',
      RECONCILE_MAX_BACKOFF_MS: '10000',
    });
    reader = await h.as('reader');
    ops = await h.as('ops');
    collector = await new TopicCollector(
      [h.topic('claimDecided'), h.topic('entitlementGranted'), h.topic('claimRedriveRequested')],
      brokers,
    ).start();
    claimsUrl = await start('apps/claims/src/main.ts', 'claims');
    const r = await fetch(`${claimsUrl}/campaigns`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...ops },
      body: JSON.stringify(campaign),
    });
    expect(r.status).toBe(201);
  });

  afterAll(async () => {
    await Promise.all(children.map((c) => stopGracefully(c)));
    await collector?.stop();
    await h.stop();
    for (const db of dbs) await db.drop();
  });

  it('a decision the emoticons service never read is re-driven and granted once; a granted claim re-driven again gains nothing', async () => {
    // The emoticons service is down; the decision is made, app-api records it, then Kafka loses it.
    const lost = `${run}-lost`;
    await publish('claimRequested', claim(lost));
    const [decision] = await waitFor('the decision', () => (on('claimDecided', lost).length === 1 ? on('claimDecided', lost) : null));
    expect(decision).toMatchObject({ status: 'ACCEPTED' });
    await waitFor(
      'app-api knows the decision',
      async () => (await fetch(`${h.url}/v1/claims/${lost}-ev`, { headers: reader })).status === 200,
    );
    const admin = testKafka(brokers).admin();
    await admin.connect();
    try {
      const topic = h.topic('claimDecided');
      const offsets = await admin.fetchTopicOffsets(topic);
      await admin.deleteTopicRecords({ topic, partitions: offsets.map((o) => ({ partition: o.partition, offset: o.high })) });
    } finally {
      await admin.disconnect();
    }

    emoticonsUrl = await start('apps/emoticons/src/main.ts', 'emoticons');
    // a claim decided now is granted the normal way and never re-driven
    const normal = `${run}-normal`;
    await publish('claimRequested', claim(normal));
    await waitFor('the normal claim granted', () => on('entitlementGranted', normal).length === 3, 60_000);

    const done = await waitFor(
      'the lost claim re-driven and COMPLETED',
      async () => {
        const r = await report();
        return r.counts.COMPLETED === 1 ? r : null;
      },
      120_000,
    );
    expect(done.counts).toEqual({ RE_DRIVEN: 0, STUCK: 0, COMPLETED: 1 });
    expect(on('claimRedriveRequested', lost).map((r) => [r.attempt, r.missing])).toEqual([[1, ['EMOTICONS']]]);
    expect(on('claimRedriveRequested', normal)).toEqual([]);
    expect(
      on('entitlementGranted', lost)
        .map((g) => g.emoticonId)
        .sort(),
    ).toEqual(['broken-bear', 'choonsik-friends-2', 'tosimi-tomungi']);

    // Re-drive the normal one by hand: claims publishes its decision again, emoticons grants nothing new.
    const [normalDecision] = on('claimDecided', normal);
    if (!decision || !normalDecision) throw new Error('no decisions');
    await publish('claimRedriveRequested', {
      claimId: normalDecision.claimId,
      campaignId,
      accountId: normal,
      missing: ['EMOTICONS'],
      attempt: 1,
      requestedAt: new Date().toISOString(),
    });
    const again = await waitFor('the normal decision published again', () => {
      const ms = collector.on(h.topic('claimDecided')).filter((m) => m.json<PayloadOf<'claimDecided'>>().accountId === normal);
      return ms.length === 2 ? ms[1] : null;
    });
    expect(again.json()).toEqual(normalDecision);
    // the emoticons service has committed its offset past the republished decision: it has handled it
    const pg = new Client({ connectionString: serviceDbs.get('emoticons')?.url });
    await pg.connect();
    try {
      await waitFor('emoticons past the republished decision', async () => {
        const { rows } = await pg.query<{ next_offset: string }>(
          // offsets are kept by the topic's logical name (the prefix is the deployment's)
          `SELECT next_offset FROM consumer_offset WHERE topic IN ($1, $2) AND partition = $3`,
          [Topics.claimDecided.name, again.topic, again.partition],
        );
        return rows.some((r) => BigInt(r.next_offset) > BigInt(again.offset));
      });
    } finally {
      await pg.end();
    }
    expect(on('entitlementGranted', normal)).toHaveLength(3);
    expect(on('entitlementGranted', lost)).toHaveLength(3);
    expect(await held(lost)).toHaveLength(3);
    expect(await held(normal)).toHaveLength(3);
  });
});
