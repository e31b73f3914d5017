// The 3-broker mode is secured the way production would be: SASL/SCRAM-SHA-512 for every client,
// the KRaft StandardAuthorizer with deny-by-default, one principal per service (plus app-backend,
// ops and admin), ACLs generated from the contract's ownership table. Credentials are created at
// format time (kafka-storage format --add-scram) and written for kcat and the Kafka CLI tools to
// .local/credentials/<principal>.properties. The single broker stays PLAINTEXT for everyday work.
// librdkafka before 2.6.1 (Debian 12's kcat) computes a SCRAM proof Kafka 4 rejects (a doubled
// nonce, confluentinc/librdkafka#4895), so the client listener also offers PLAIN with the same
// principals and passwords for those tools; the same ACLs apply whatever the mechanism.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  AclOperationTypes,
  AclPermissionTypes,
  AclResourceTypes,
  Admin,
  ResourcePatternTypes,
  type AclEntry,
  type SASLOptions,
} from 'kafkajs';
import { KAFKA_PRINCIPALS, KAFKA_SUPER_USERS, kafkaAcls, type KafkaAcl, type KafkaPrincipal } from '@platform/contracts';
import { toolKafka } from './kafka';
import { LOCAL_DIR } from './paths';

export const CREDENTIALS_DIR = path.join(LOCAL_DIR, 'credentials');
/** The brokers' and controllers' own identity (inter-broker SCRAM, controller PLAIN); a super user. */
export const BROKER_PRINCIPAL = 'broker';
export const SASL_MECHANISM = 'SCRAM-SHA-512';
/** What the librdkafka properties files use (see the header): PLAIN, over the loopback listener only. */
export const LIBRDKAFKA_SASL_MECHANISM = 'PLAIN';

export type ClusterCredentials = Record<KafkaPrincipal | typeof BROKER_PRINCIPAL, string>;

function newPassword(): string {
  // base64url: no ',', '=' or ']' that the --add-scram syntax or a properties file would trip on
  return crypto.randomBytes(24).toString('base64url');
}

/**
 * The cluster's SCRAM passwords, created once next to its data (`<dir>/scram-credentials.json`,
 * mode 600): they must match what the storage was formatted with, and a purge of the cluster
 * forgets both together.
 */
export function clusterCredentials(clusterDir: string): ClusterCredentials {
  const file = path.join(clusterDir, 'scram-credentials.json');
  let stored: Partial<ClusterCredentials> = {};
  try {
    stored = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<ClusterCredentials>;
  } catch {
    // first start
  }
  const creds = {} as ClusterCredentials;
  for (const p of [...KAFKA_PRINCIPALS, BROKER_PRINCIPAL] as const) creds[p] = stored[p] ?? newPassword();
  if (JSON.stringify(creds) !== JSON.stringify(stored)) {
    fs.mkdirSync(clusterDir, { recursive: true });
    fs.writeFileSync(file, `${JSON.stringify(creds, null, 2)}\n`, { mode: 0o600 });
  }
  return creds;
}

/** `kafka-storage format` arguments that store every principal's SCRAM credential in the bootstrap metadata. */
export function scramFormatArgs(creds: ClusterCredentials): string[] {
  return Object.entries(creds).flatMap(([name, password]) => ['--add-scram', `${SASL_MECHANISM}=[name=${name},password=${password}]`]);
}

/**
 * server.properties entries of a secured node. Clients and brokers share the SASL_PLAINTEXT
 * listener (SCRAM); the controller listener uses PLAIN with the broker principal only, because
 * controllers cannot authenticate with SCRAM credentials that live in the metadata they serve.
 */
export function secureNodeProperties(o: {
  port: number;
  controllerPort: number;
  host: string;
  credentials: ClusterCredentials;
}): Record<string, string> {
  const pw = o.credentials[BROKER_PRINCIPAL];
  // PLAIN for librdkafka tools: its users are listed in the JAAS line (the broker checks them itself)
  const plainUsers = Object.entries(o.credentials)
    .map(([name, password]) => `user_${name}="${password}"`)
    .join(' ');
  return {
    listeners: `SASL_PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'advertised.listeners': `SASL_PLAINTEXT://${o.host}:${o.port},CONTROLLER://${o.host}:${o.controllerPort}`,
    'listener.security.protocol.map': 'CONTROLLER:SASL_PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT',
    'inter.broker.listener.name': 'SASL_PLAINTEXT',
    'sasl.enabled.mechanisms': `${SASL_MECHANISM},${LIBRDKAFKA_SASL_MECHANISM}`,
    'sasl.mechanism.inter.broker.protocol': SASL_MECHANISM,
    'listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config': `org.apache.kafka.common.security.scram.ScramLoginModule required username="${BROKER_PRINCIPAL}" password="${pw}";`,
    'listener.name.sasl_plaintext.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${BROKER_PRINCIPAL}" password="${pw}" ${plainUsers};`,
    'sasl.mechanism.controller.protocol': 'PLAIN',
    'listener.name.controller.sasl.enabled.mechanisms': 'PLAIN',
    'listener.name.controller.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required username="${BROKER_PRINCIPAL}" password="${pw}" user_${BROKER_PRINCIPAL}="${pw}";`,
    'authorizer.class.name': 'org.apache.kafka.metadata.authorizer.StandardAuthorizer',
    'allow.everyone.if.no.acl.found': 'false',
    'super.users': [BROKER_PRINCIPAL, ...KAFKA_SUPER_USERS].map((u) => `User:${u}`).join(';'),
  };
}

/** kafkajs SASL options of a principal. */
export function saslFor(creds: ClusterCredentials, principal: KafkaPrincipal): SASLOptions {
  return { mechanism: 'scram-sha-512', username: principal, password: creds[principal] };
}

/** Environment for a process (service, tool) connecting as `principal` (read by kafkaSecurityEnv). */
export function principalEnv(creds: ClusterCredentials, principal: KafkaPrincipal): Record<string, string> {
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: 'scram-sha-512',
    KAFKA_SASL_USERNAME: principal,
    KAFKA_SASL_PASSWORD: creds[principal],
  };
}

export function propertiesFile(principal: KafkaPrincipal, dir = CREDENTIALS_DIR): string {
  return path.join(dir, `${principal}.properties`);
}

/**
 * Writes `<principal>.properties` for every principal in librdkafka's format (`kcat -F`), and
 * `<principal>.jvm.properties` with the JAAS line the Java clients need instead
 * (`kafka-console-producer.sh --producer.config`); librdkafka refuses that key. Mode 600.
 */
export function writeClientProperties(creds: ClusterCredentials, brokers: string[], dir = CREDENTIALS_DIR): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  return KAFKA_PRINCIPALS.map((p) => {
    const file = propertiesFile(p, dir);
    const common = [
      `# Kafka principal ${p} on the local 3-broker cluster (written by npm run infra:up -- --brokers 3)`,
      `bootstrap.servers=${brokers.join(',')}`,
      'security.protocol=SASL_PLAINTEXT',
    ];
    const librdkafka = [
      ...common,
      '# PLAIN: librdkafka < 2.6.1 (Debian 12 kcat) fails SCRAM against Kafka 4; with 2.6.1+ SCRAM-SHA-512 works too',
      `sasl.mechanism=${LIBRDKAFKA_SASL_MECHANISM}`,
      `sasl.username=${p}`,
      `sasl.password=${creds[p]}`,
    ];
    fs.writeFileSync(file, [...librdkafka, ''].join('\n'), { mode: 0o600 });
    const jaas = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${p}" password="${creds[p]}";`;
    fs.writeFileSync(
      path.join(dir, `${p}.jvm.properties`),
      [...common, `sasl.mechanism=${SASL_MECHANISM}`, `sasl.jaas.config=${jaas}`, ''].join('\n'),
      {
        mode: 0o600,
      },
    );
    return file;
  });
}

const OPERATIONS: Record<KafkaAcl['operation'], AclOperationTypes> = {
  Read: AclOperationTypes.READ,
  Write: AclOperationTypes.WRITE,
  Describe: AclOperationTypes.DESCRIBE,
  DescribeConfigs: AclOperationTypes.DESCRIBE_CONFIGS,
  Delete: AclOperationTypes.DELETE,
};

export function toAclEntry(a: KafkaAcl): AclEntry {
  return {
    resourceType: a.resource.type === 'topic' ? AclResourceTypes.TOPIC : AclResourceTypes.GROUP,
    resourceName: a.resource.name,
    resourcePatternType: a.resource.patternType === 'prefix' ? ResourcePatternTypes.PREFIXED : ResourcePatternTypes.LITERAL,
    principal: `User:${a.principal}`,
    host: '*',
    operation: OPERATIONS[a.operation],
    permissionType: AclPermissionTypes.ALLOW,
  };
}

const aclKey = (a: AclEntry) =>
  [a.principal, a.resourceType, a.resourceName, a.resourcePatternType, a.operation, a.permissionType, a.host].join('|');

/**
 * Makes the cluster's rules for one topic prefix exactly the generated ones: creates what is
 * missing (creating an existing binding is a no-op in Kafka) and deletes rules on the same
 * resources that the ownership table no longer grants. Needs an admin connected as a super user.
 */
export async function applyAcls(admin: Admin, topicPrefix = ''): Promise<number> {
  const acl = kafkaAcls(topicPrefix).map(toAclEntry);
  await admin.createAcls({ acl });
  const wanted = new Set(acl.map(aclKey));
  const resources = new Set(acl.map((a) => `${a.resourceType}|${a.resourceName}|${a.resourcePatternType}`));
  const existing = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY,
    resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY,
    permissionType: AclPermissionTypes.ANY,
  });
  const stale: AclEntry[] = [];
  for (const r of existing.resources) {
    if (!resources.has(`${r.resourceType}|${r.resourceName}|${r.resourcePatternType}`)) continue; // another prefix's, or hand-made
    for (const a of r.acls) {
      const e: AclEntry = {
        resourceType: r.resourceType,
        resourceName: r.resourceName,
        resourcePatternType: r.resourcePatternType,
        principal: a.principal,
        host: a.host,
        operation: a.operation,
        permissionType: a.permissionType,
      };
      if (!wanted.has(aclKey(e))) stale.push(e);
    }
  }
  if (stale.length > 0) await admin.deleteAcls({ filters: stale });
  return acl.length;
}

/**
 * Waits until every broker enforces the ACLs of a prefix: they reach the brokers through the
 * metadata log a few seconds after createAcls returns, and a service started in between would be
 * refused. Probes, on each broker, each principal's first topic (Describe is implied by its grant):
 * an unauthorised principal gets TOPIC_AUTHORIZATION_FAILED, an authorised one the topic (or
 * UNKNOWN_TOPIC when it does not exist yet).
 */
export async function waitUntilAclsEffective(
  brokers: string[],
  creds: ClusterCredentials,
  topicPrefix = '',
  timeoutMs = 60_000,
): Promise<void> {
  const probes = new Map<KafkaPrincipal, string>();
  for (const a of kafkaAcls(topicPrefix))
    if (a.resource.type === 'topic' && !probes.has(a.principal)) probes.set(a.principal, a.resource.name);
  const deadline = Date.now() + timeoutMs;
  for (const broker of brokers) {
    for (const [principal, topic] of probes) {
      const admin = toolKafka({
        clientId: 'acl-probe',
        brokers: [broker],
        sasl: saslFor(creds, principal),
        retries: 0,
        connectionTimeout: 1_000,
      }).admin();
      try {
        for (;;) {
          try {
            // connecting is inside the retry: a broker just started may refuse a login (its SCRAM
            // credentials not yet replicated) or answer late on a loaded machine, once
            await admin.connect();
            await admin.fetchTopicMetadata({ topics: [topic] });
            break;
          } catch (e) {
            // a topic not created yet answers UNKNOWN_TOPIC only to a principal allowed to see it
            if ((e as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') break;
            if (Date.now() > deadline)
              throw new Error(`ACLs for ${principal} on ${topic} not in force at ${broker} after ${timeoutMs} ms: ${String(e)}`);
            await new Promise((r) => setTimeout(r, 200));
          }
        }
      } finally {
        await admin.disconnect();
      }
    }
  }
}

/** Removes every rule on a (test or drill) prefix's own topics and groups; shared prefix-free rules are left alone. */
export async function removeAcls(admin: Admin, topicPrefix: string): Promise<void> {
  if (!topicPrefix) throw new Error('removeAcls needs a non-empty prefix');
  const own = kafkaAcls(topicPrefix).filter(
    (a) =>
      a.resource.patternType === 'literal' &&
      (a.resource.name.startsWith(topicPrefix) || a.resource.name.endsWith(`.${topicPrefix.replace(/\.$/, '')}`)),
  );
  const resources = new Map(own.map((a) => [`${a.resource.type}|${a.resource.name}`, toAclEntry(a)]));
  await admin.deleteAcls({
    filters: [...resources.values()].map((e) => ({
      resourceType: e.resourceType,
      resourceName: e.resourceName,
      resourcePatternType: ResourcePatternTypes.LITERAL,
      operation: AclOperationTypes.ANY,
      permissionType: AclPermissionTypes.ANY,
    })),
  });
}
