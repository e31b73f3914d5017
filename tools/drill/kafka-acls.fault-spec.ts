// Issue 15: on the secured 3-broker cluster (SASL/SCRAM-SHA-512, KRaft StandardAuthorizer,
// allow.everyone.if.no.acl.found=false, ACLs generated from the ownership table) nobody writes
// where they do not belong. Every assertion has a positive control, so a refusal is the ACL at
// work and not a broken connection. Runs on its own topic prefix with its own ACLs.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { ConfigResourceTypes, type KafkaMessage } from 'kafkajs';
import { consumerGroupId, dlqName, type KafkaPrincipal, type TopicKey, Topics } from '@platform/contracts';
import { SafePublisher } from '@platform/messaging';
import { uniqueSuffix, waitFor } from '@platform/testing';
import {
  clusterCredentialsDir,
  deleteTopicsWithPrefix,
  ensureTopics,
  kafkaStatus,
  stopKafka,
  withAdmin,
  toolKafka,
} from '@platform/tools-infra';
import { ensureCluster, grantDrillPrefix, revokeDrillPrefix, type DrillCluster } from './cluster';

// A cluster of its own (ports 24092.., .local/kafka/cluster-24092): the shared one at 19092 may be
// in use by a drill that kills brokers. Below 32768: ports in Linux's ephemeral range (32768-60999)
// can be taken by any outgoing connection, and a broker that cannot bind exits.
process.env.KAFKA_CLUSTER_PORT ??= '24092';
jest.setTimeout(600_000);

describe('the secured 3-broker cluster refuses whoever does not own a topic', () => {
  let cluster: DrillCluster;
  const prefix = `acl-${uniqueSuffix()}.`;
  const topic = (k: TopicKey) => prefix + Topics[k].name;
  const kafkaAs = (p: KafkaPrincipal) =>
    toolKafka({ profile: 'service', brokers: cluster.brokers, clientId: `acl-test-${p}`, security: cluster.security(p) });

  /** Publishes one record as `p` through the platform's publisher; resolves, or rejects with Kafka's refusal. */
  async function publishAs(p: KafkaPrincipal, name: string, value: object): Promise<void> {
    const publisher = new SafePublisher(kafkaAs(p), { sendTimeoutMs: 10_000 });
    try {
      await publisher.publish([{ topic: name, key: 'acct-1', value: Buffer.from(JSON.stringify(value)), headers: {} }]);
    } finally {
      await publisher.close();
    }
  }
  const authorizationError = /authoriz/i;

  let clusterWasDown = false;

  beforeAll(async () => {
    clusterWasDown = kafkaStatus(3).every((n) => !n.running);
    cluster = await ensureCluster();
    await ensureTopics({ brokers: cluster.brokers, prefix, replicationFactor: 3 });
    await grantDrillPrefix(cluster.brokers, prefix);
  });

  afterAll(async () => {
    // a cluster this test started is stopped even when starting it (or granting) failed half-way
    if (clusterWasDown) {
      await stopKafka({ brokers: 3, purge: true });
      return;
    }
    if (!cluster) return;
    await revokeDrillPrefix(cluster.brokers, prefix).catch(() => undefined);
    await deleteTopicsWithPrefix({ brokers: cluster.brokers, prefix }).catch(() => undefined);
  });

  it('refuses a client without credentials, and one with a wrong password', async () => {
    const anonymous = toolKafka({ clientId: 'anonymous', brokers: cluster.brokers, retries: 0 });
    await expect(
      (async () => {
        const a = anonymous.admin();
        await a.connect();
        try {
          return await a.listTopics();
        } finally {
          await a.disconnect();
        }
      })(),
    ).rejects.toThrow();
    const wrong = toolKafka({
      clientId: 'wrong',
      brokers: cluster.brokers,
      retries: 0,
      connectionTimeout: 1_000,
      sasl: { mechanism: 'scram-sha-512', username: 'claims', password: 'not-the-password' },
    });
    await expect(wrong.admin().connect()).rejects.toThrow(/SASL|authentication/i);
    // positive control: the right password gets in
    const a = kafkaAs('claims').admin();
    await a.connect();
    await a.disconnect();
  });

  // The acceptance check as an operator runs it: kcat with the written properties files. Debian's
  // kcat (librdkafka 2.0.2) logs in with PLAIN (see tools/infra/kafka-security.ts); `.ci/run` installs it.
  const kcatInstalled = !spawnSync('kcat', ['-V']).error;
  if (!kcatInstalled && process.env.CI) throw new Error('kcat is missing: .ci/run installs it');
  (kcatInstalled ? it : it.skip)(
    'lets kcat with app-backend.properties produce claims but not decisions; kcat without credentials is refused',
    () => {
      const props = (p: KafkaPrincipal) => path.join(clusterCredentialsDir(), `${p}.properties`);
      const kcat = (args: string[], input?: string) => {
        const r = spawnSync('kcat', ['-X', 'message.timeout.ms=10000', ...args], { input, encoding: 'utf8', timeout: 30_000 });
        return { status: r.status, out: `${r.stdout}${r.stderr}` };
      };
      const value = JSON.stringify({ probe: randomUUID() });
      const claims = kcat(['-F', props('app-backend'), '-P', '-t', topic('claimRequested'), '-k', 'acct-kcat'], `${value}\n`);
      expect(claims).toEqual({ status: 0, out: expect.not.stringMatching(/fail|error/i) });
      // positive control: the record is there, read back by ops
      const back = kcat(['-F', props('ops'), '-C', '-t', topic('claimRequested'), '-o', 'beginning', '-e', '-q', '-f', '%k %s\n']);
      expect(back.out).toContain(`acct-kcat ${value}`);
      const decided = kcat(['-F', props('app-backend'), '-P', '-t', topic('claimDecided'), '-k', 'acct-kcat'], `${value}\n`);
      expect(decided.status).not.toBe(0);
      expect(decided.out).toMatch(/authoriz/i);
      const anonymous = kcat(['-b', cluster.brokers.join(','), '-L', '-m', '5']);
      expect(anonymous.status).not.toBe(0);
    },
  );

  it('lets a service write its own topics and the DLQs of what it consumes, and nothing else', async () => {
    await publishAs('coupons', topic('couponIssued'), { ok: true });
    await publishAs('coupons', dlqName(topic('couponRedemptionRequested')), { ok: true });
    await expect(publishAs('coupons', topic('claimDecided'), { forged: true })).rejects.toThrow(authorizationError);
    await expect(publishAs('coupons', topic('entitlementGranted'), { forged: true })).rejects.toThrow(authorizationError);
    await expect(publishAs('coupons', dlqName(topic('emoticonDownloaded')), { forged: true })).rejects.toThrow(authorizationError);
    // a service does not write inbound topics either (it cannot fake the app backend's requests)
    await expect(publishAs('claims', topic('claimRequested'), { forged: true })).rejects.toThrow(authorizationError);
  });

  it('lets the app backend write claims but not compensation.claim.decided.v1', async () => {
    await publishAs('app-backend', topic('claimRequested'), { ok: true });
    await expect(publishAs('app-backend', topic('claimDecided'), { forged: true })).rejects.toThrow(authorizationError);
    await expect(publishAs('app-backend', topic('campaignDefined'), { forged: true })).rejects.toThrow(authorizationError);
  });

  it('never delivers a forged decision to a consumer; a genuine one arrives', async () => {
    const seen: KafkaMessage[] = [];
    const consumer = kafkaAs('emoticons').consumer({ groupId: consumerGroupId('emoticons', prefix), maxWaitTimeInMs: 100 });
    await consumer.connect();
    await consumer.subscribe({ topic: topic('claimDecided'), fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => void seen.push(message) });
    try {
      const forgers: KafkaPrincipal[] = ['app-backend', 'coupons', 'emoticons', 'pass-dispatcher', 'merchant-relief', 'ops'];
      for (const p of forgers) {
        await expect(publishAs(p, topic('claimDecided'), { forgedBy: p, status: 'ACCEPTED', rewards: 1_000_000 })).rejects.toThrow(
          authorizationError,
        );
      }
      const genuine = `genuine-${randomUUID()}`;
      await publishAs('claims', topic('claimDecided'), { eventId: genuine, status: 'ACCEPTED' });
      await waitFor('the genuine decision', () => seen.some((m) => m.value?.toString().includes(genuine)), 60_000, 100);
      expect(seen.map((m) => JSON.parse(m.value?.toString() ?? '{}') as { forgedBy?: string }).filter((v) => v.forgedBy)).toEqual([]);
    } finally {
      await consumer.disconnect();
    }
  });

  /** Joins `group` as `p` and resolves with the Kafka error type that stopped it, or 'JOINED'. */
  async function joinGroupAs(p: KafkaPrincipal, group: string): Promise<string> {
    const consumer = kafkaAs(p).consumer({ groupId: group, retry: { retries: 0 }, maxWaitTimeInMs: 100 });
    const outcome = new Promise<string>((resolve) => {
      consumer.on(consumer.events.GROUP_JOIN, () => resolve('JOINED'));
      consumer.on(consumer.events.CRASH, (e) => resolve((e.payload.error as { type?: string }).type ?? String(e.payload.error)));
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: topic('claimDecided'), fromBeginning: false });
      await consumer.run({ eachMessage: async () => undefined });
      return await outcome;
    } finally {
      await consumer.disconnect();
    }
  }

  it('lets nobody but the service join its consumer group (and commit its offsets), while ops may read them', async () => {
    const group = consumerGroupId('pass-dispatcher', prefix);
    expect(await joinGroupAs('pass-dispatcher', group)).toBe('JOINED');
    // Without even Describe on the group the broker refuses FindCoordinator (GROUP_AUTHORIZATION_FAILED
    // in the response), which kafkajs reports as "coordinator not found"; ops (Describe) is refused at JoinGroup.
    expect(await joinGroupAs('coupons', group)).toMatch(/GROUP_AUTHORIZATION_FAILED|GroupCoordinatorNotFound/);
    expect(await joinGroupAs('app-backend', group)).toMatch(/GROUP_AUTHORIZATION_FAILED|GroupCoordinatorNotFound/);
    expect(await joinGroupAs('ops', group)).toBe('GROUP_AUTHORIZATION_FAILED');
    // ops may look at the group's committed offsets (lag)
    const ops = kafkaAs('ops').admin();
    await ops.connect();
    try {
      await expect(ops.fetchOffsets({ groupId: group, topics: [topic('claimDecided')] })).resolves.toHaveLength(1);
    } finally {
      await ops.disconnect();
    }
  });

  it('lets ops read DLQs and replay into inbound topics, never write a decision', async () => {
    await publishAs('claims', dlqName(topic('claimRequested')), { parked: true });
    const got: KafkaMessage[] = [];
    const reader = kafkaAs('ops').consumer({ groupId: `dlq-reader-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: dlqName(topic('claimRequested')), fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void got.push(message) });
    try {
      await waitFor('ops reads the DLQ', () => got.length > 0, 60_000, 100);
    } finally {
      await reader.disconnect();
    }
    await publishAs('ops', topic('claimRequested'), { replayed: true });
    await expect(publishAs('ops', topic('claimDecided'), { forged: true })).rejects.toThrow(authorizationError);
  });

  it('stamps inbound records with the broker time (LogAppendTime), whatever the producer claims', async () => {
    const configs = await withAdmin(cluster.brokers, (a) =>
      a.describeConfigs({
        includeSynonyms: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic('claimRequested'), configNames: ['message.timestamp.type'] }],
      }),
    );
    expect(configs.resources[0]?.configEntries[0]?.configValue).toBe('LogAppendTime');
    // A raw producer on purpose: it sets the record timestamp, as a forger would (SafePublisher never does).
    const forgedAt = Date.now() - 10 * 24 * 3600_000;
    const producer = kafkaAs('app-backend').producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const before = Date.now();
    await producer.send({
      topic: topic('claimRequested'),
      acks: -1,
      messages: [{ key: 'acct-ts', value: 'ts-probe', partition: 0, timestamp: String(forgedAt) }],
    });
    await producer.disconnect();
    const got: KafkaMessage[] = [];
    const reader = kafkaAs('ops').consumer({ groupId: `ops-ts-${uniqueSuffix()}`, maxWaitTimeInMs: 100 });
    await reader.connect();
    await reader.subscribe({ topic: topic('claimRequested'), fromBeginning: true });
    await reader.run({ eachMessage: async ({ message }) => void (message.value?.toString() === 'ts-probe' && got.push(message)) });
    try {
      await waitFor('the probe', () => got.length > 0, 60_000, 100);
    } finally {
      await reader.disconnect();
    }
    const stamped = Number(got[0]?.timestamp);
    expect(stamped).toBeGreaterThanOrEqual(before - 5_000);
    expect(stamped).not.toBe(forgedAt);
  });
});
