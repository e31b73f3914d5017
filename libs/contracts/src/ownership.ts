import { SERVICE_PRIORITIES } from './priorities';
import { dlqName, plannedTopics, TopicKey, Topics } from './topics';

/**
 * Who writes and who reads each topic: the source of the Kafka ACLs below and of deployment
 * manifests. A service owns (is the only writer of) the topics it produces; it also writes the
 * dead-letter topic `<topic>.dlq` of every topic it consumes (dead letters are written by the
 * consumer). Inbound topics are written from outside the platform, and by the platform's own
 * front door for them (`INTAKE_TOPICS`: app-api takes claims over HTTP and publishes them).
 */
export const PLATFORM_SERVICES = ['claims', 'emoticons', 'coupons', 'pass-dispatcher', 'merchant-relief', 'app-api'] as const;
export type PlatformService = (typeof PLATFORM_SERVICES)[number];

export interface ServiceTopicSet {
  readonly produces: readonly TopicKey[];
  readonly consumes: readonly TopicKey[];
}

/**
 * Each grant's life as its account sees it: what its owner publishes about it but rejections and
 * the ops audit. The owner produces these and the app backend's timeline reads them all.
 */
const GRANT_LIFECYCLES = {
  entitlement: ['entitlementGranted', 'entitlementActivated', 'entitlementExpiringSoon', 'entitlementExpired'],
  coupon: ['couponIssued', 'couponRedemptionDecided', 'couponExpiringSoon', 'couponExpired'],
  pass: [
    'passReserved',
    'passSoldOut',
    'passDelayNotice',
    'passSent',
    'passRegistrationDecided',
    'passRegistrationExpiringSoon',
    'passExpired',
  ],
} as const satisfies Record<string, readonly TopicKey[]>;

export const ServiceTopics: Readonly<Record<PlatformService, ServiceTopicSet>> = {
  claims: {
    consumes: ['claimRequested', 'claimRedriveRequested'],
    produces: ['claimDecided', 'campaignDefined', 'claimsOpsAudited'],
  },
  emoticons: {
    consumes: ['campaignDefined', 'claimDecided', 'emoticonDownloaded'],
    produces: [...GRANT_LIFECYCLES.entitlement, 'downloadRejected'],
  },
  coupons: {
    consumes: ['campaignDefined', 'claimDecided', 'couponRedemptionRequested'],
    produces: GRANT_LIFECYCLES.coupon,
  },
  'pass-dispatcher': {
    consumes: ['claimDecided', 'passRegistrationRequested'],
    produces: [...GRANT_LIFECYCLES.pass, 'passesOpsAudited'],
  },
  'merchant-relief': {
    consumes: ['campaignDefined', 'merchantDamageReported', 'merchantReviewDecided', 'merchantEvidenceSubmitted'],
    produces: ['reliefDecided', 'reliefReviewApplied', 'reliefEvidenceDecided'],
  },
  // The app backend's HTTP front door: publishes the claims it takes in, reads the decisions back,
  // and every grant of an account for its timeline (a read model: one read, no calls to four services);
  // campaign definitions give the cost ledger its budget and unit values.
  'app-api': {
    consumes: ['campaignDefined', 'claimDecided', ...GRANT_LIFECYCLES.entitlement, ...GRANT_LIFECYCLES.coupon, ...GRANT_LIFECYCLES.pass],
    produces: ['claimRequested', 'claimRedriveRequested'],
  },
};

/** Inbound topics a platform service writes as the front door for them (and the only ones it may). */
export const INTAKE_TOPICS: readonly TopicKey[] = ['claimRequested'];

/** The service that owns (alone may write) an outbound topic; undefined for inbound topics. */
export function topicOwner(topic: TopicKey): PlatformService | undefined {
  if (Topics[topic].direction === 'inbound') return undefined;
  return PLATFORM_SERVICES.find((s) => ServiceTopics[s].produces.includes(topic));
}

/**
 * A service's consumer group. With a topic prefix (tests, drills, isolated environments) the prefix
 * is part of it: kafkajs' round-robin assigner hands every topic of a group to any member, so two
 * prefixes sharing a group would receive each other's partitions.
 */
export function consumerGroupId(service: string, topicPrefix = ''): string {
  return topicPrefix ? `${service}.${topicPrefix.replace(/\.$/, '')}` : service;
}

/** Kafka principals (SASL user names): one per service, the app backend, ops, and the admin (super user). */
export const KAFKA_PRINCIPALS = [...PLATFORM_SERVICES, 'app-backend', 'ops', 'admin'] as const;
export type KafkaPrincipal = (typeof KAFKA_PRINCIPALS)[number];
/** Principals the broker lets do anything (no ACL needed): topic/ACL administration. */
export const KAFKA_SUPER_USERS: readonly KafkaPrincipal[] = ['admin'];

/**
 * Consumer-group prefixes of the ops tools (audit, DLQ CLI, load generator, drills): each run uses
 * a fresh group under its prefix, so ops may read with those and nothing else.
 */
export const OPS_GROUP_PREFIXES = ['ops-', 'audit-', 'dlq-reader-', 'loadgen-', 'readback-'] as const;
/** The app backend's consumer groups start with this. */
export const APP_BACKEND_GROUP_PREFIX = 'app-backend';

export type AclOperation = 'Read' | 'Write' | 'Describe' | 'DescribeConfigs' | 'Delete';
export interface KafkaAcl {
  /** SASL user name (the broker principal is `User:<principal>`). */
  principal: KafkaPrincipal;
  resource: { type: 'topic' | 'group'; name: string; patternType: 'literal' | 'prefix' };
  operation: AclOperation;
}

/**
 * Every ALLOW rule of the cluster for one topic prefix (empty in production; a test or drill
 * passes its own so the rules name exactly its topics and groups). The broker denies everything
 * else (`allow.everyone.if.no.acl.found=false`). Read and Write imply Describe in Kafka.
 *   - service: Write what it produces and the DLQs of what it consumes; Read what it consumes,
 *     with its own group only (so nobody else can commit its offsets).
 *   - app-backend: Write the inbound topics, Read the platform's outbound topics (not the ops audit).
 *   - ops: Read every topic, Write the inbound topics (DLQ replay, load generation), Describe the
 *     services' groups (lag), own groups under OPS_GROUP_PREFIXES.
 */
export function kafkaAcls(topicPrefix = ''): KafkaAcl[] {
  const acls: KafkaAcl[] = [];
  const topic = (principal: KafkaPrincipal, name: string, operation: AclOperation) => {
    acls.push({ principal, resource: { type: 'topic', name: topicPrefix + name, patternType: 'literal' }, operation });
    // SafePublisher reads the topic's max.message.bytes before it writes
    if (operation === 'Write')
      acls.push({ principal, resource: { type: 'topic', name: topicPrefix + name, patternType: 'literal' }, operation: 'DescribeConfigs' });
  };
  const group = (principal: KafkaPrincipal, name: string, patternType: 'literal' | 'prefix', operation: AclOperation) =>
    acls.push({ principal, resource: { type: 'group', name, patternType }, operation });
  const specs = Object.values(Topics);

  for (const s of PLATFORM_SERVICES) {
    const o = ServiceTopics[s];
    for (const k of o.produces) topic(s, Topics[k].name, 'Write');
    for (const k of o.consumes) {
      topic(s, Topics[k].name, 'Read');
      topic(s, dlqName(Topics[k].name), 'Write');
    }
    if (o.consumes.length > 0) group(s, consumerGroupId(s, topicPrefix), 'literal', 'Read');
  }
  // the front door answers 429 from the claims service's lag: it reads that group's offsets
  group('app-api', consumerGroupId('claims', topicPrefix), 'literal', 'Describe');
  // sheddable services hold their work while claims are behind (service priorities): the same lag
  for (const s of PLATFORM_SERVICES.filter((x) => SERVICE_PRIORITIES[x] === 'sheddable')) {
    group(s, consumerGroupId('claims', topicPrefix), 'literal', 'Describe');
    topic(s, Topics.claimRequested.name, 'Describe');
  }

  // the app backend reads what the platform tells users (decisions, grants), not the ops audit trail
  for (const t of specs.filter((x) => !isOpsAuditTopic(x.name))) topic('app-backend', t.name, t.direction === 'inbound' ? 'Write' : 'Read');
  group('app-backend', APP_BACKEND_GROUP_PREFIX, 'prefix', 'Read');

  for (const t of plannedTopics()) topic('ops', t.name, 'Read');
  for (const t of specs.filter((x) => x.direction === 'inbound')) topic('ops', t.name, 'Write');
  for (const p of OPS_GROUP_PREFIXES) {
    group('ops', p, 'prefix', 'Read');
    group('ops', p, 'prefix', 'Delete');
  }
  for (const s of PLATFORM_SERVICES)
    if (ServiceTopics[s].consumes.length > 0) group('ops', consumerGroupId(s, topicPrefix), 'literal', 'Describe');
  return acls;
}

function isOpsAuditTopic(name: string): boolean {
  return /\.ops\.audited\.v[0-9]+$/.test(name);
}

export interface PrincipalAcls {
  principal: KafkaPrincipal;
  topics: { topic: string; operations: AclOperation[] }[];
  groups: { group: string; patternType: 'literal' | 'prefix'; operations: AclOperation[] }[];
}

/** kafkaAcls grouped per principal and resource (one entry per topic or group), e.g. for KafkaUser manifests. */
export function allPrincipalAcls(topicPrefix = ''): PrincipalAcls[] {
  const byPrincipal = new Map<KafkaPrincipal, PrincipalAcls>();
  for (const a of kafkaAcls(topicPrefix)) {
    let p = byPrincipal.get(a.principal);
    if (!p) byPrincipal.set(a.principal, (p = { principal: a.principal, topics: [], groups: [] }));
    if (a.resource.type === 'topic') {
      const t = p.topics.find((x) => x.topic === a.resource.name);
      if (t) t.operations.push(a.operation);
      else p.topics.push({ topic: a.resource.name, operations: [a.operation] });
    } else {
      const g = p.groups.find((x) => x.group === a.resource.name && x.patternType === a.resource.patternType);
      if (g) g.operations.push(a.operation);
      else p.groups.push({ group: a.resource.name, patternType: a.resource.patternType, operations: [a.operation] });
    }
  }
  return [...byPrincipal.values()];
}

/**
 * Broker-side settings of a topic that follow from who writes it. Inbound topics are written from
 * outside: the broker stamps each record (LogAppendTime), so the claims skew check (R1) compares
 * `requestedAt` with a time the producer cannot choose.
 */
export function trustTopicConfig(canonicalName: string): Record<string, string> {
  const spec = Object.values(Topics).find((t) => t.name === canonicalName);
  return spec?.direction === 'inbound' ? { 'message.timestamp.type': 'LogAppendTime' } : {};
}
