import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { allTopicSpecs, dlqName, plannedTopics, Topics, type TopicKey } from './topics';
import {
  allPrincipalAcls,
  consumerGroupId,
  INTAKE_TOPICS,
  KAFKA_PRINCIPALS,
  kafkaAcls,
  PLATFORM_SERVICES,
  ServiceTopics,
  type KafkaAcl,
} from './ownership';

const keys = Object.keys(Topics) as TopicKey[];
const owners = Object.values(ServiceTopics);
const can = (acls: KafkaAcl[], principal: string, op: string, topicName: string) =>
  acls.some((a) => a.principal === principal && a.operation === op && a.resource.type === 'topic' && a.resource.name === topicName);

describe('topic ownership', () => {
  it('gives every outbound topic exactly one producing service, and an inbound topic one only when it is an intake topic', () => {
    for (const k of keys) {
      const producers = owners.filter((o) => o.produces.includes(k));
      expect([k, producers.length]).toEqual([k, Topics[k].direction === 'outbound' || INTAKE_TOPICS.includes(k) ? 1 : 0]);
    }
    expect(INTAKE_TOPICS.every((k) => Topics[k].direction === 'inbound')).toBe(true);
  });

  it('has a consumer for exactly the topics the contract marks consumed (those have DLQs)', () => {
    for (const k of keys) expect([k, owners.some((o) => o.consumes.includes(k))]).toEqual([k, Topics[k].consumed]);
  });

  // The table is only useful if it matches the code: each app's @OnBatch handlers and ctx.emit calls.
  it.each(PLATFORM_SERVICES)('covers what apps/%s consumes (@OnBatch) and emits', (service) => {
    const root = path.resolve(__dirname, '..', '..', '..', 'apps', service, 'src');
    const files: string[] = [];
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        const p = path.join(d, f);
        if (statSync(p).isDirectory()) {
          if (f !== 'testing') walk(p);
        } else if (f.endsWith('.ts') && !/\.(spec|int-spec|e2e-spec|fault-spec)\.ts$/.test(f)) files.push(p);
      }
    };
    walk(root);
    const code = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    const consumed = [...code.matchAll(/@OnBatch\('(\w+)'\)/g)].map((m) => m[1]);
    const emitted = [...code.matchAll(/\.emit\(\s*'(\w+)'/g)].map((m) => m[1]);
    // Code beyond the table would be refused by the broker; the table may run ahead of the code.
    expect(consumed.filter((k) => !(ServiceTopics[service].consumes as readonly string[]).includes(k))).toEqual([]);
    expect(emitted.filter((k) => !(ServiceTopics[service].produces as readonly string[]).includes(k))).toEqual([]);
    expect(consumed.length).toBeGreaterThan(0);
  });
});

describe('Kafka ACLs generated from the ownership table', () => {
  const acls = kafkaAcls();

  it('lets the app backend write the inbound topics only, never a decision', () => {
    const app = allPrincipalAcls().find((p) => p.principal === 'app-backend');
    const written = (app?.topics ?? []).filter((t) => t.operations.includes('Write')).map((t) => t.topic);
    expect(written.sort()).toEqual(
      allTopicSpecs
        .filter((t) => t.direction === 'inbound')
        .map((t) => t.name)
        .sort(),
    );
    expect(written).not.toContain(Topics.claimDecided.name);
    expect(can(acls, 'app-backend', 'Read', Topics.claimDecided.name)).toBe(true);
    expect(acls.filter((a) => a.principal === 'app-backend' && a.resource.name.includes('.ops.audited.'))).toEqual([]);
  });

  it('lets each topic be written by its owner, by the dead-lettering consumers (DLQs) and for inbound topics by app-backend and ops only', () => {
    for (const t of plannedTopics()) {
      const writers = [
        ...new Set(acls.filter((a) => a.operation === 'Write' && a.resource.name === t.name).map((a) => a.principal)),
      ].sort();
      const key = keys.find((k) => Topics[k].name === t.name || dlqName(Topics[k].name) === t.name) as TopicKey;
      const spec = Topics[key];
      const expected = t.name.endsWith('.dlq')
        ? PLATFORM_SERVICES.filter((s) => ServiceTopics[s].consumes.includes(key))
        : spec.direction === 'inbound'
          ? [
              'app-backend',
              'ops',
              ...PLATFORM_SERVICES.filter((s) => INTAKE_TOPICS.includes(key) && ServiceTopics[s].produces.includes(key)),
            ]
          : PLATFORM_SERVICES.filter((s) => ServiceTopics[s].produces.includes(key));
      expect([t.name, writers]).toEqual([t.name, [...expected].sort()]);
    }
  });

  it('gives nobody but claims the right to write compensation.claim.decided.v1 or campaign definitions', () => {
    for (const name of [Topics.claimDecided.name, Topics.campaignDefined.name]) {
      expect(acls.filter((a) => a.operation === 'Write' && a.resource.name === name).map((a) => a.principal)).toEqual(['claims']);
    }
  });

  it('lets a service read only what it consumes, in its own consumer group', () => {
    const reads = acls.filter((a) => a.principal === 'coupons' && a.operation === 'Read');
    expect(
      reads
        .filter((a) => a.resource.type === 'topic')
        .map((a) => a.resource.name)
        .sort(),
    ).toEqual(['campaignDefined', 'claimDecided', 'couponRedemptionRequested'].map((k) => Topics[k as TopicKey].name).sort());
    expect(reads.filter((a) => a.resource.type === 'group')).toEqual([
      { principal: 'coupons', operation: 'Read', resource: { type: 'group', name: 'coupons', patternType: 'literal' } },
    ]);
    // nobody else may join (and commit offsets in) a service's group
    for (const s of PLATFORM_SERVICES) {
      const inGroup = acls
        .filter((a) => a.resource.type === 'group' && a.resource.name === s && a.operation === 'Read')
        .map((a) => a.principal);
      expect(inGroup).toEqual([s]);
    }
  });

  it('lets ops read every topic and DLQ, write only inbound topics, and only describe service groups', () => {
    for (const t of plannedTopics()) expect([t.name, can(acls, 'ops', 'Read', t.name)]).toEqual([t.name, true]);
    const opsWrites = acls.filter((a) => a.principal === 'ops' && a.operation === 'Write').map((a) => a.resource.name);
    expect(opsWrites.sort()).toEqual(
      allTopicSpecs
        .filter((t) => t.direction === 'inbound')
        .map((t) => t.name)
        .sort(),
    );
    const opsOnServiceGroups = acls.filter(
      (a) => a.principal === 'ops' && a.resource.type === 'group' && a.resource.patternType === 'literal',
    );
    expect(new Set(opsOnServiceGroups.map((a) => a.operation))).toEqual(new Set(['Describe']));
  });

  it('names exactly the prefixed topics and groups of a test prefix (no wider pattern)', () => {
    const prefix = 'drill-ab12cd.';
    const prefixed = kafkaAcls(prefix);
    expect(prefixed).toHaveLength(acls.length);
    for (const a of prefixed.filter((x) => x.resource.type === 'topic')) {
      expect(a.resource.patternType).toBe('literal');
      expect(a.resource.name.startsWith(prefix)).toBe(true);
    }
    expect(can(prefixed, 'claims', 'Write', prefix + Topics.claimDecided.name)).toBe(true);
    expect(can(prefixed, 'claims', 'Write', Topics.claimDecided.name)).toBe(false);
    expect(prefixed.find((a) => a.principal === 'claims' && a.resource.type === 'group')?.resource.name).toBe(
      consumerGroupId('claims', prefix),
    );
    expect(consumerGroupId('claims', prefix)).toBe('claims.drill-ab12cd');
  });

  it('grants nothing to the admin (a super user) and only ALLOW rules to known principals', () => {
    expect(acls.some((a) => a.principal === 'admin')).toBe(false);
    for (const a of acls) expect(KAFKA_PRINCIPALS).toContain(a.principal);
  });
});
