// Hostile input against the whole platform (issue 14): every service as a child process on a
// private topic prefix and databases; every consumed topic gets every class of bad input of
// tools/loadgen/hostile.ts (NUL and non-UTF-8 bytes in key, headers and value, null and empty
// values, values over the parse and near the broker limit, deep nesting, duplicate JSON keys,
// __proto__, numbers as strings, huge numbers, offsets and dates that do not exist, the same
// eventId on two partitions and with another body, ...), each followed by a valid message on the
// same partition. Then: every valid message decided exactly once, every bad one decided or parked
// with its reason by every consuming group, no consumer stuck or halted, nothing left in the
// last-resort tables, and the audit green.
import { Logger } from '@nestjs/common';
import { Client } from 'pg';
import { dlqName, PlatformService, ServiceTopics, TopicKey, Topics } from '@platform/contracts';
import { DLQ_HEADERS, partitionFor, SafePublisher, HeaderList, OutgoingRecord } from '@platform/messaging';
import { highWatermarks, waitCollected, waitOffsetsApplied, waitOutboxEmpty } from '@platform/messaging/testing';
import { databaseUrl as dbUrl } from '@platform/persistence';
import { TopicCollector, waitFor } from '@platform/testing';
import { toolKafka } from '@platform/tools-infra';
import { consumedTopics, DECISION_TOPIC, HOSTILE_ID_HEADER, hostileCatalogue, HostileMessage, validBody } from './hostile';
import { SpecGround } from './spec-ground';
import { Stack, startStack } from './stack';

const SERVICES = ['claims', 'emoticons', 'coupons', 'pass-dispatcher', 'merchant-relief', 'app-api', 'talk-channel-sim'] as const;

const consumersOf = (topic: TopicKey): PlatformService[] =>
  (Object.keys(ServiceTopics) as PlatformService[]).filter((s) => ServiceTopics[s].consumes.includes(topic));

describe('hostile input on every consumed topic', () => {
  // a database for every platform service (SERVICES but the channel simulator)
  const ground = new SpecGround('hostile', SERVICES);
  const { brokers, databaseUrl, databases } = ground;
  const runId = ground.suffix.slice(-8);
  let prefix = '';
  let stack: Stack | null = null;
  let collector: TopicCollector | null = null;
  let collectedTopics: string[] = [];
  let sent: HostileMessage[] = [];
  const controls: { topic: TopicKey; eventId: string }[] = [];

  beforeAll(async () => {
    Logger.overrideLogger(['error']);
    prefix = (await ground.create()).prefix;
    stack = await startStack(
      ground.stackOptions(SERVICES, {
        serviceEnv: {
          'talk-channel-sim': { SIM_RATE_LIMIT_PER_SECOND: '1000', SIM_RATE_LIMIT_BURST: '100' },
          'pass-dispatcher': { DISPATCH_RATE_PER_SECOND: '500' },
        },
      }),
    );
    const physical = (t: TopicKey) => prefix + Topics[t].name;
    collectedTopics = [
      ...new Set([
        ...consumedTopics().map((t) => prefix + dlqName(Topics[t].name)),
        ...Object.values(DECISION_TOPIC).map((t) => physical(t as TopicKey)),
      ]),
    ];
    collector = await new TopicCollector(collectedTopics, brokers).start();

    // The seeded default campaign: its window (2023-01-05..20 KST) is judged on requestedAt, so a
    // claim tapped inside it is honoured today (the backlog principle).
    const ctx = { runId, campaignId: 'kakao-2023-heart-pack', inWindow: '2023-01-10T12:00:00+09:00', now: new Date() };
    sent = hostileCatalogue(consumedTopics(), ctx);
    const kafka = toolKafka({ profile: 'service', brokers, clientId: 'hostile-feeder' });
    const publisher = new SafePublisher(kafka);
    const partitions = async (t: TopicKey) => publisher.partitionCount(physical(t));
    // The twin of "same event on two partitions" must really land on another partition.
    for (const [i, m] of sent.entries()) {
      if (!m.kind.endsWith('same-event-two-partitions') || typeof m.key !== 'string' || !m.key.endsWith('-b')) continue;
      const first = sent[i - 1];
      const n = await partitions(m.topic);
      const p0 = partitionFor(physical(m.topic), String(first?.key), n);
      let k = 0;
      while (partitionFor(physical(m.topic), `${m.key}${k}`, n) === p0) k++;
      sent[i] = { ...m, key: `${m.key}${k}` };
    }
    const records: OutgoingRecord[] = [];
    let n = 100_000;
    for (const m of sent) {
      records.push({ topic: physical(m.topic), key: m.key, value: m.value, headers: {}, headerList: m.headers as HeaderList });
      // A valid message right behind it, on the same partition (same key): it must not be held up.
      const body = validBody(m.topic, ctx, n++);
      if (body && m.key !== null) {
        records.push({ topic: physical(m.topic), key: m.key, value: Buffer.from(JSON.stringify(body)), headers: {} });
        controls.push({ topic: m.topic, eventId: String(body.eventId) });
      }
    }
    await publisher.publish(records);
    await publisher.close();
  }, 600_000);

  afterAll(async () => {
    await collector?.stop();
    await stack?.stop();
    await ground.drop();
  }, 120_000);

  const decisionsFor = (topic: TopicKey, eventId: string) => {
    const t = DECISION_TOPIC[topic];
    if (!t) return [];
    // (claimDecided is also a consumed topic: its hostile messages are not decisions)
    const eventIdOf = (d: { json<T>(): T }): string | null => {
      try {
        return d.json<{ eventId?: string }>().eventId ?? null;
      } catch {
        return null;
      }
    };
    return (collector?.on(prefix + Topics[t].name) ?? []).filter(
      (d) => d.headers[HOSTILE_ID_HEADER] === undefined && eventIdOf(d) === eventId,
    );
  };
  /**
   * Drain, in the order events flow: claims consumes what was sent; the others consume what claims
   * emitted. Each service has applied every offset of its topics and published its whole outbox,
   * then the collector has read every decision and dead letter there is.
   */
  const settled = async () => {
    const admin = toolKafka({ profile: 'service', brokers, clientId: 'hostile-settle' }).admin();
    await admin.connect();
    try {
      const order = (Object.keys(databases) as PlatformService[]).sort((a, b) => Number(b === 'claims') - Number(a === 'claims'));
      for (const s of order) {
        const pg = new Client({ connectionString: dbUrl(databaseUrl, ground.database(s)) });
        await pg.connect();
        try {
          const query = async (sql: string, params: unknown[]) => (await pg.query(sql, params)).rows;
          const targets = await highWatermarks(
            admin,
            ServiceTopics[s].consumes.map((t) => prefix + Topics[t].name),
          );
          await waitOffsetsApplied({ what: s, query, prefix, targets, timeoutMs: 120_000 });
          await waitOutboxEmpty(s, query, 120_000);
        } finally {
          await pg.end();
        }
      }
      await waitCollected(collector as TopicCollector, await highWatermarks(admin, collectedTopics), 120_000);
    } finally {
      await admin.disconnect();
    }
  };
  const parkedCopies = (m: HostileMessage, id: string) =>
    (collector?.on(prefix + dlqName(Topics[m.topic].name)) ?? []).filter((d) => d.headers[HOSTILE_ID_HEADER] === id);
  const idOf = (m: HostileMessage) => m.headers.find(([k]) => k === HOSTILE_ID_HEADER)?.[1].toString('utf8') ?? '';

  it('sends at least 25 classes of bad input to every consumed topic it can decode', () => {
    const classes = new Map<TopicKey, Set<string>>();
    for (const m of sent) {
      const set = classes.get(m.topic) ?? new Set<string>();
      set.add(m.kind);
      classes.set(m.topic, set);
    }
    expect([...classes.keys()].sort()).toEqual(consumedTopics().sort());
    for (const t of ['claimRequested', 'couponRedemptionRequested', 'passRegistrationRequested', 'emoticonDownloaded'] as TopicKey[]) {
      expect(classes.get(t)?.size).toBeGreaterThanOrEqual(25);
    }
    for (const t of consumedTopics()) expect(classes.get(t)?.size).toBeGreaterThanOrEqual(17);
  });

  it('parks every bad message once per consuming group, with its reason and the original bytes', async () => {
    const parked = sent.filter((m) => m.expect !== 'DECIDED');
    await waitFor(
      'every bad message parked by every consuming group',
      () =>
        parked.every(
          (m) => new Set(parkedCopies(m, idOf(m)).map((d) => d.headers[DLQ_HEADERS.consumerGroup])).size >= consumersOf(m.topic).length,
        ),
      240_000,
      500,
    ).catch((e: unknown) => {
      const missing = parked.filter(
        (m) => new Set(parkedCopies(m, idOf(m)).map((d) => d.headers[DLQ_HEADERS.consumerGroup])).size < consumersOf(m.topic).length,
      );
      const tails = SERVICES.map((s) => `--- ${s}\n${stack?.tail(s, 10) ?? ''}`).join('\n');
      throw new Error(`${String(e)}; not parked: ${missing.map((m) => m.kind).join(', ')}\n${tails}`);
    });
    for (const m of parked) {
      const copies = parkedCopies(m, idOf(m));
      const groups = new Set(copies.map((d) => d.headers[DLQ_HEADERS.consumerGroup]));
      expect([m.kind, groups.size]).toEqual([m.kind, consumersOf(m.topic).length]);
      expect([m.kind, copies.length]).toEqual([m.kind, groups.size]); // once per group, never twice
      for (const d of copies) {
        expect([m.kind, d.headers[DLQ_HEADERS.reason]]).toEqual([m.kind, expect.stringMatching(m.reason ?? /./)]);
        expect(d.headers[DLQ_HEADERS.reason]).not.toMatch(/FORGED/);
        expect(d.headers[DLQ_HEADERS.sourceTopic]).toBe(Topics[m.topic].name);
      }
    }
    // The original bytes survive: key, value and the hostile headers, byte for byte.
    const nulKey = sent.find((m) => m.kind === 'claimRequested:nul-key-malformed') as HostileMessage;
    const copy = parkedCopies(nulKey, idOf(nulKey))[0];
    expect(copy?.value).toBe((nulKey.value as Buffer).toString('utf8'));
    expect(copy?.key).toBe((nulKey.key as Buffer).toString('utf8'));
  }, 300_000);

  it('decides every valid message exactly once (one decision, or the identical stored one again), the hostile-but-valid ones and the ones behind each bad message', async () => {
    const expected = [
      ...sent
        .filter((m) => (m.expect === 'DECIDED' || m.expect === 'REUSED') && DECISION_TOPIC[m.topic])
        .map((m) => ({ topic: m.topic, eventId: m.eventId as string })),
      ...controls,
    ];
    const unique = [...new Map(expected.map((e) => [`${e.topic}:${e.eventId}`, e])).values()];
    await waitFor(
      'every valid message decided',
      () => unique.every((e) => decisionsFor(e.topic, e.eventId).length >= 1),
      240_000,
      500,
    ).catch((e: unknown) => {
      const missing = unique.filter((x) => decisionsFor(x.topic, x.eventId).length === 0);
      throw new Error(`${String(e)}; undecided: ${JSON.stringify(missing.slice(0, 20))} (${missing.length})`);
    });
    await settled(); // from here on a second decision is not late, it does not exist
    // Claims: one decision, never a second (R2). Redemptions and registrations may answer a
    // repeated request again, but only with the identical stored decision (contract 2026-12).
    const twice = unique.filter((e) => {
      const ds = decisionsFor(e.topic, e.eventId).map((d) => d.value);
      return e.topic === 'claimRequested' ? ds.length !== 1 : new Set(ds).size !== 1;
    });
    expect(twice).toEqual([]);
  }, 300_000);

  it('leaves no consumer stuck, halted or behind, and nothing in the last-resort tables', async () => {
    for (const s of Object.keys(databases) as PlatformService[]) {
      const pg = new Client({ connectionString: dbUrl(databaseUrl, ground.database(s)) });
      await pg.connect();
      try {
        const parked = await pg.query('SELECT topic, reason FROM parked_message');
        const quarantined = await pg.query('SELECT topic, reason FROM outbox_quarantine');
        expect([s, parked.rows]).toEqual([s, []]);
        expect([s, quarantined.rows]).toEqual([s, []]);
      } finally {
        await pg.end();
      }
    }
    await waitFor(
      'every service ready with zero lag',
      async () => {
        for (const svc of stack?.services ?? []) {
          if (svc.name === 'talk-channel-sim') continue;
          const r = await fetch(`${svc.url}/health/ready`);
          if (!r.ok) return false;
          const body = (await r.json()) as {
            details?: { 'kafka-consumers'?: { consumers?: { lag: Record<string, number>; stuck: unknown[]; halted: unknown[] }[] } };
          };
          for (const c of body.details?.['kafka-consumers']?.consumers ?? []) {
            if (c.stuck.length || c.halted.length || Object.values(c.lag).some((l) => l > 0)) return false;
          }
        }
        return true;
      },
      120_000,
      1000,
    );
  }, 180_000);

  it('leaves every invariant holding (audit I1-I7 with the topic scan)', async () => {
    await ground.audit({ channelUrl: stack?.get('talk-channel-sim')?.url ?? null });
  }, 300_000);
});
