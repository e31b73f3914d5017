// Builds the Kubernetes objects that follow from the contract and the deployment table. Every
// builder is typed with the kubernetes-models interfaces (type-only imports), so a misspelt field
// fails `tsc`; the validator then checks the built overlays against the same packages' schemas.
import {
  allPrincipalAcls,
  allTopicSpecs,
  KAFKA_PRINCIPALS,
  KAFKA_SUPER_USERS,
  plannedTopics,
  ServiceTopics,
  Topics,
  trustTopicConfig,
  type KafkaPrincipal,
  type PlatformService,
} from '@platform/contracts';
import type { IConfigMap } from 'kubernetes-models/v1/ConfigMap';
import type { INamespace } from 'kubernetes-models/v1/Namespace';
import type { IService } from 'kubernetes-models/v1/Service';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IEnvVar } from 'kubernetes-models/v1/EnvVar';
import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IKafka } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/Kafka';
import type { IKafkaNodePool } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaNodePool';
import type { IKafkaTopic } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaTopic';
import type { IKafkaUser } from '@kubernetes-models/strimzi-kafka-operator/kafka.strimzi.io/v1/KafkaUser';
import type { ICluster } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster';
import type { IDatabase } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Database';
import type { IScheduledBackup } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/ScheduledBackup';
import type { IScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import type { ITriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import type { IServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import type { IPrometheusRule } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/PrometheusRule';
import {
  CHANNEL_SIM,
  DLQ_RETENTION_MS,
  IMAGE,
  KAFKA_BOOTSTRAP,
  KAFKA_CLUSTER,
  KAFKA_MIN_ISR,
  KAFKA_REPLICAS,
  LABEL_PREFIX,
  NAMESPACE,
  PG_CLUSTER,
  SERVICES,
  type ServiceDeployment,
} from './platform';

export const ZONE_KEY = 'topology.kubernetes.io/zone';
export const KEYED_LABEL = `${LABEL_PREFIX}/partitioning`;
const APP = 'app.kubernetes.io/name';
const PART_OF = 'app.kubernetes.io/part-of';
const PLATFORM = 'heart-pack';
/** Secret with the CA of the Strimzi cluster (created by the operator). */
const CLUSTER_CA = `${KAFKA_CLUSTER}-cluster-ca-cert`;

/** Any built object, as kubectl prints it. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  spec?: unknown;
}

const labels = (name: string, extra: Record<string, string> = {}): Record<string, string> => ({
  [APP]: name,
  [PART_OF]: PLATFORM,
  ...extra,
});
const dbRoleSecret = (service: string): string => `db-${service}`;

export function namespace(): INamespace {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name: NAMESPACE, labels: { [PART_OF]: PLATFORM } } };
}

// ---- Kafka (Strimzi, KRaft) ----------------------------------------------------------------

export function kafkaCluster(): (IKafka | IKafkaNodePool)[] {
  const pool = (name: string, role: 'controller' | 'broker', replicas: number, size: string): IKafkaNodePool => ({
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaNodePool',
    metadata: { name, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    spec: {
      replicas,
      roles: [role],
      storage: { type: 'jbod', volumes: [{ id: 0, type: 'persistent-claim', size, deleteClaim: false, kraftMetadata: 'shared' }] },
      resources:
        role === 'broker'
          ? { requests: { cpu: '1', memory: '4Gi' }, limits: { memory: '4Gi' } }
          : { requests: { cpu: '250m', memory: '1Gi' }, limits: { memory: '1Gi' } },
      template: {
        pod: {
          // One per zone: losing a zone leaves 2 of 3 replicas of every partition (min ISR 2).
          topologySpreadConstraints: [
            {
              maxSkew: 1,
              topologyKey: ZONE_KEY,
              whenUnsatisfiable: 'DoNotSchedule',
              labelSelector: { matchLabels: { 'strimzi.io/pool-name': name } },
            },
          ],
        },
      },
    },
  });
  const kafka: IKafka = {
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'Kafka',
    metadata: { name: KAFKA_CLUSTER },
    spec: {
      kafka: {
        // Same Kafka as the native path (deploy/kafka/pom.xml) and docker-compose.
        version: '4.4.0',
        listeners: [{ name: 'scram', port: 9093, type: 'internal', tls: true, authentication: { type: 'scram-sha-512' } }],
        authorization: { type: 'simple', superUsers: [...KAFKA_SUPER_USERS] },
        // Brokers learn their zone from the node label: replicas of a partition land in different zones.
        rack: { topologyKey: ZONE_KEY },
        config: {
          'default.replication.factor': KAFKA_REPLICAS,
          'min.insync.replicas': KAFKA_MIN_ISR,
          'offsets.topic.replication.factor': KAFKA_REPLICAS,
          'transaction.state.log.replication.factor': KAFKA_REPLICAS,
          'transaction.state.log.min.isr': KAFKA_MIN_ISR,
          'unclean.leader.election.enable': false,
          'auto.create.topics.enable': false,
          'allow.everyone.if.no.acl.found': false,
        },
      },
      entityOperator: { topicOperator: {}, userOperator: {} },
    },
  };
  return [kafka, pool('controllers', 'controller', 3, '20Gi'), pool('brokers', 'broker', 3, '200Gi')];
}

/** Every contract topic and DLQ as a KafkaTopic with RF 3, min ISR 2; keyed topics carry a label the overlays patch. */
export function kafkaTopics(): IKafkaTopic[] {
  return plannedTopics().map((t) => {
    const spec = allTopicSpecs.find((s) => s.name === t.name);
    const isDlq = spec === undefined;
    const keyed = spec !== undefined && spec.partitions > 1;
    const config: Record<string, string | number> = { 'min.insync.replicas': KAFKA_MIN_ISR, 'cleanup.policy': 'delete' };
    if (isDlq) config['retention.ms'] = DLQ_RETENTION_MS;
    // Inbound topics: the broker stamps the time the claim skew check compares requestedAt with (issue 15).
    Object.assign(config, trustTopicConfig(t.name));
    return {
      apiVersion: 'kafka.strimzi.io/v1',
      kind: 'KafkaTopic',
      metadata: {
        name: t.name.replace(/[^a-z0-9.-]/g, '-'),
        labels: { 'strimzi.io/cluster': KAFKA_CLUSTER, ...(keyed ? { [KEYED_LABEL]: 'keyed' } : {}) },
      },
      spec: { topicName: t.name, partitions: t.partitions, replicas: KAFKA_REPLICAS, config },
    };
  });
}

type Acl = NonNullable<IKafkaUser['spec']['authorization']>['acls'][number];

/** ACLs of one principal, from the contracts lib (allPrincipalAcls: derived from ServiceTopics, the ownership table). */
export function principalAcls(principal: KafkaPrincipal): Acl[] {
  const p = allPrincipalAcls('').find((x) => x.principal === principal);
  if (!p) return [];
  return [
    ...p.topics.map((t) => ({
      resource: { type: 'topic' as const, name: t.topic, patternType: 'literal' as const },
      operations: [...new Set(t.operations)],
    })),
    ...p.groups.map((g) => ({
      resource: { type: 'group' as const, name: g.group, patternType: g.patternType },
      operations: [...new Set(g.operations)],
    })),
  ];
}

/** A SCRAM-SHA-512 KafkaUser per principal; the User Operator writes its password to a Secret of the same name. */
export function kafkaUsers(): IKafkaUser[] {
  return KAFKA_PRINCIPALS.map((p) => ({
    apiVersion: 'kafka.strimzi.io/v1',
    kind: 'KafkaUser',
    metadata: { name: p, labels: { 'strimzi.io/cluster': KAFKA_CLUSTER } },
    spec: {
      authentication: { type: 'scram-sha-512' },
      // Super users (admin) need no ACLs: the Kafka resource names them.
      ...(KAFKA_SUPER_USERS.includes(p) ? {} : { authorization: { type: 'simple' as const, acls: principalAcls(p) } }),
    },
  }));
}

// ---- Postgres (CloudNativePG) --------------------------------------------------------------

export function postgres(): (ICluster | IDatabase | IScheduledBackup)[] {
  const owned = SERVICES.filter((s): s is ServiceDeployment & { database: string } => s.database !== undefined);
  const roleName = (s: ServiceDeployment): string => s.name.replace(/-/g, '_');
  const cluster: ICluster = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Cluster',
    metadata: { name: PG_CLUSTER },
    spec: {
      instances: 3,
      imageName: 'ghcr.io/cloudnative-pg/postgresql:16',
      // A commit waits for one standby in another zone: a lost zone loses no acknowledged write.
      postgresql: {
        synchronous: { method: 'any', number: 1, dataDurability: 'required' },
        parameters: { max_connections: '400' },
      },
      storage: { size: '100Gi' },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: ZONE_KEY,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { 'cnpg.io/cluster': PG_CLUSTER } },
        },
      ],
      enableSuperuserAccess: false,
      // One login role per service, owning only its database (created below); passwords in db-<service> Secrets.
      managed: {
        roles: [
          ...owned.map((s) => ({
            name: roleName(s),
            login: true,
            ensure: 'present' as const,
            passwordSecret: { name: dbRoleSecret(s.name) },
          })),
          // The same read-only role as the native path (tools/infra/postgres-roles.ts AUDIT_READER).
          {
            name: 'audit_reader',
            login: true,
            ensure: 'present' as const,
            inRoles: ['pg_read_all_data'],
            passwordSecret: { name: 'db-audit-reader' },
          },
        ],
      },
      // Placeholder: point it at the real object store and credentials before production (deploy/k8s/README.md).
      backup: {
        retentionPolicy: '30d',
        barmanObjectStore: {
          destinationPath: 's3://REPLACE-ME-heart-pack-pg-backups/',
          s3Credentials: {
            accessKeyId: { name: 'pg-backup-s3', key: 'ACCESS_KEY_ID' },
            secretAccessKey: { name: 'pg-backup-s3', key: 'SECRET_ACCESS_KEY' },
          },
          wal: { compression: 'gzip' },
        },
      },
      monitoring: { enablePodMonitor: true },
    },
  };
  const dbs: IDatabase[] = owned.map((s) => ({
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'Database',
    metadata: { name: s.database.replace(/_/g, '-') },
    spec: { name: s.database, owner: roleName(s), cluster: { name: PG_CLUSTER }, ensure: 'present' },
  }));
  const backup: IScheduledBackup = {
    apiVersion: 'postgresql.cnpg.io/v1',
    kind: 'ScheduledBackup',
    metadata: { name: `${PG_CLUSTER}-daily` },
    spec: { schedule: '0 0 3 * * *', cluster: { name: PG_CLUSTER }, backupOwnerReference: 'self' },
  };
  return [cluster, ...dbs, backup];
}

// ---- services ------------------------------------------------------------------------------

export function platformConfig(): IConfigMap {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'platform-config' },
    data: {
      KAFKA_BROKERS: KAFKA_BOOTSTRAP,
      // libs/config kafkaSecurityEnv: SCRAM over TLS, the cluster CA mounted from Strimzi's secret.
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_TLS_CA_FILE: '/var/run/kafka-ca/ca.crt',
      ZIPKIN_URL: 'http://zipkin.observability:9411/api/v2/spans',
      TALK_CHANNEL_URL: 'https://talk-channel.invalid',
      HOST: '0.0.0.0',
      NODE_ENV: 'production',
      TRACE_SAMPLE_RATIO: '0.1',
    },
  };
}

const secretEnv = (name: string, secret: string, key: string): IEnvVar => ({ name, valueFrom: { secretKeyRef: { name: secret, key } } });

function container(s: ServiceDeployment): IContainer {
  const env: IEnvVar[] = [
    { name: 'PORT', value: String(s.port) },
    { name: 'INSTANCE_ID', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ...Object.entries(s.env ?? {}).map(([name, value]) => ({ name, value })),
  ];
  if (s.database) {
    env.push(
      { name: 'DB_NAME', value: s.database },
      secretEnv('DB_USER', dbRoleSecret(s.name), 'username'),
      secretEnv('DB_PASSWORD', dbRoleSecret(s.name), 'password'),
      // Kubernetes expands $(VAR) from the variables above; the rw service always points at the primary.
      { name: 'DATABASE_URL', value: `postgres://$(DB_USER):$(DB_PASSWORD)@${PG_CLUSTER}-rw:5432/${s.database}` },
      { name: 'KAFKA_SASL_USERNAME', value: s.name },
      // Written by the Strimzi User Operator for the KafkaUser of the same name.
      secretEnv('KAFKA_SASL_PASSWORD', s.name, 'password'),
      secretEnv('AUTH_JWT_SECRET', 'platform-auth', 'jwt-secret'),
    );
  }
  if (s.reads) {
    env.push(
      secretEnv('DB_USER', 'db-audit-reader', 'username'),
      secretEnv('DB_PASSWORD', 'db-audit-reader', 'password'),
      // the read-only service: the replicas answer the console's counts, the primary is left alone
      { name: 'DATABASE_URL', value: `postgres://$(DB_USER):$(DB_PASSWORD)@${PG_CLUSTER}-ro:5432/postgres` },
      { name: 'KAFKA_SASL_USERNAME', value: s.reads.kafkaPrincipal },
      secretEnv('KAFKA_SASL_PASSWORD', s.reads.kafkaPrincipal, 'password'),
      secretEnv('AUTH_JWT_SECRET', 'platform-auth', 'jwt-secret'),
    );
  }
  if (s.phoneSecret) env.push(secretEnv('PHONE_HASH_SECRET', 'phone-hash', 'secret'));
  const probe = (path: string) => ({ httpGet: { path, port: 'http' as const } });
  return {
    name: s.name,
    image: IMAGE,
    imagePullPolicy: 'IfNotPresent',
    // tini is PID 1 (the image's entrypoint): SIGTERM reaches node, which drains consumers and the outbox.
    args: ['node', `dist/apps/${s.name}/src/main.js`],
    ports: [{ name: 'http', containerPort: s.port }],
    envFrom: [{ configMapRef: { name: 'platform-config' } }],
    env,
    // Readiness covers the database, stuck consumers and the outbox; liveness only the process.
    readinessProbe: { ...probe('/health/ready'), periodSeconds: 5, timeoutSeconds: 3, failureThreshold: 3 },
    livenessProbe: { ...probe('/health/live'), periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 6 },
    // Migrations run at boot under a lock: give the first start up to 5 minutes before liveness counts.
    startupProbe: { ...probe('/health/live'), periodSeconds: 5, failureThreshold: 60 },
    resources: { requests: { cpu: '500m', memory: '384Mi' }, limits: { memory: '768Mi' } },
    securityContext: {
      privileged: false,
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1000,
      runAsGroup: 1000,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    },
    volumeMounts: [
      { name: 'tmp', mountPath: '/tmp' },
      ...(s.database || s.reads ? [{ name: 'kafka-ca', mountPath: '/var/run/kafka-ca', readOnly: true }] : []),
    ],
  };
}

function deployment(s: ServiceDeployment, replicas: number): IDeployment {
  const selector = { [APP]: s.name };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: s.name, labels: labels(s.name), annotations: { [`${LABEL_PREFIX}/summary`]: s.summary } },
    spec: {
      replicas,
      selector: { matchLabels: selector },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels: labels(s.name) },
        spec: {
          automountServiceAccountToken: false,
          // The services drain consumers and flush the outbox on SIGTERM (enableShutdownHooks).
          terminationGracePeriodSeconds: 45,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 1000,
            runAsGroup: 1000,
            fsGroup: 1000,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          topologySpreadConstraints: [
            { maxSkew: 1, topologyKey: ZONE_KEY, whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: selector } },
            {
              maxSkew: 1,
              topologyKey: 'kubernetes.io/hostname',
              whenUnsatisfiable: 'ScheduleAnyway',
              labelSelector: { matchLabels: selector },
            },
          ],
          containers: [container(s)],
          volumes: [
            { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
            ...(s.database || s.reads
              ? [{ name: 'kafka-ca', secret: { secretName: CLUSTER_CA, items: [{ key: 'ca.crt', path: 'ca.crt' }] } }]
              : []),
          ],
        },
      },
    },
  };
}

function service(s: ServiceDeployment): IService {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: s.name, labels: labels(s.name) },
    spec: { selector: { [APP]: s.name }, ports: [{ name: 'http', port: s.port, targetPort: 'http' }] },
  };
}

function pdb(s: ServiceDeployment): IPodDisruptionBudget {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: s.name, labels: labels(s.name) },
    spec: { maxUnavailable: 1, selector: { matchLabels: { [APP]: s.name } } },
  };
}

/** Ingress from the platform's pods and Prometheus; egress to DNS, Kafka, Postgres, traces and (dispatcher) the channel. */
function networkPolicy(s: ServiceDeployment): INetworkPolicy {
  const pods = (matchLabels: Record<string, string>) => ({ podSelector: { matchLabels } });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: s.name, labels: labels(s.name) },
    spec: {
      podSelector: { matchLabels: { [APP]: s.name } },
      policyTypes: ['Ingress', 'Egress'],
      ingress: [
        {
          from: [pods({ [PART_OF]: PLATFORM }), { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' } } }],
          ports: [{ port: s.port, protocol: 'TCP' as const }],
        },
      ],
      egress: [
        {
          ports: [
            { port: 53, protocol: 'UDP' as const },
            { port: 53, protocol: 'TCP' as const },
          ],
        },
        ...(s.database || s.reads
          ? [
              { to: [pods({ 'strimzi.io/cluster': KAFKA_CLUSTER })], ports: [{ port: 9093, protocol: 'TCP' as const }] },
              { to: [pods({ 'cnpg.io/cluster': PG_CLUSTER })], ports: [{ port: 5432, protocol: 'TCP' as const }] },
              {
                to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'observability' } } }],
                ports: [
                  { port: 9411, protocol: 'TCP' as const },
                  { port: 4318, protocol: 'TCP' as const },
                ],
              },
            ]
          : []),
        // the console reads the other services' APIs (and the channel stand-in's counters)
        ...(s.reads
          ? [
              {
                to: [pods({ [PART_OF]: PLATFORM })],
                ports: [...SERVICES.filter((x) => x.name !== s.name), CHANNEL_SIM].map((x) => ({ port: x.port, protocol: 'TCP' as const })),
              },
            ]
          : []),
        ...(s.name === 'pass-dispatcher'
          ? [
              {
                ports: [
                  { port: 443, protocol: 'TCP' as const },
                  { port: CHANNEL_SIM.port, protocol: 'TCP' as const },
                ],
              },
            ]
          : []),
      ],
    },
  };
}

function serviceMonitor(s: ServiceDeployment): IServiceMonitor {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'ServiceMonitor',
    metadata: { name: s.name, labels: labels(s.name) },
    spec: { selector: { matchLabels: { [APP]: s.name } }, endpoints: [{ port: 'http', path: '/metrics', interval: '15s' }] },
  };
}

/** KEDA scales a consuming service on its group's lag; never past the partition count (idle consumers get nothing). */
function scaledObject(
  s: ServiceDeployment & { name: PlatformService },
  minReplicas: number,
  maxReplicas: number,
  lagThreshold: number,
): IScaledObject {
  const consumed = ServiceTopics[s.name].consumes.filter((k) => Topics[k].partitions > 1);
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'ScaledObject',
    metadata: { name: s.name, labels: labels(s.name) },
    spec: {
      scaleTargetRef: { name: s.name },
      minReplicaCount: minReplicas,
      maxReplicaCount: maxReplicas,
      pollingInterval: 15,
      cooldownPeriod: 300,
      triggers: consumed.map((k) => ({
        type: 'kafka',
        name: k.toLowerCase(),
        authenticationRef: { name: 'keda-kafka' },
        metadata: {
          bootstrapServers: KAFKA_BOOTSTRAP,
          consumerGroup: s.name,
          topic: Topics[k].name,
          lagThreshold: String(lagThreshold),
          allowIdleConsumers: 'false',
          offsetResetPolicy: 'earliest',
        },
      })),
    },
  };
}

/** KEDA reads lag as the ops principal (read-only on every topic and group). */
export function kedaAuth(): ITriggerAuthentication {
  return {
    apiVersion: 'keda.sh/v1alpha1',
    kind: 'TriggerAuthentication',
    metadata: { name: 'keda-kafka' },
    spec: {
      secretTargetRef: [
        { parameter: 'sasl', name: 'keda-kafka-sasl', key: 'sasl' },
        { parameter: 'username', name: 'keda-kafka-sasl', key: 'username' },
        { parameter: 'password', name: 'ops', key: 'password' },
        { parameter: 'tls', name: 'keda-kafka-sasl', key: 'tls' },
        { parameter: 'ca', name: CLUSTER_CA, key: 'ca.crt' },
      ],
    },
  };
}

export interface ScalePlan {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  readonly lagThreshold: number;
}

export function serviceObjects(s: ServiceDeployment, scale: ScalePlan): K8sObject[] {
  const out: K8sObject[] = [deployment(s, scale.minReplicas), service(s), pdb(s), networkPolicy(s), serviceMonitor(s)] as K8sObject[];
  if (s.name in ServiceTopics)
    out.push(
      scaledObject(
        s as ServiceDeployment & { name: PlatformService },
        scale.minReplicas,
        scale.maxReplicas,
        scale.lagThreshold,
      ) as K8sObject,
    );
  return out;
}

export function channelSimObjects(): K8sObject[] {
  return serviceObjects(CHANNEL_SIM, { minReplicas: 1, maxReplicas: 1, lagThreshold: 0 }).map((o) => {
    // One replica keeps the simulator's idempotency memory in one place: spreading is moot, disruption allowed.
    if (o.kind === 'PodDisruptionBudget')
      return { ...o, spec: { maxUnavailable: 1, selector: { matchLabels: { [APP]: CHANNEL_SIM.name } } } };
    return o;
  });
}

export function prometheusRule(groups: unknown[]): IPrometheusRule {
  return {
    apiVersion: 'monitoring.coreos.com/v1',
    kind: 'PrometheusRule',
    metadata: { name: 'heart-pack-alerts', labels: { [PART_OF]: PLATFORM, role: 'alert-rules' } },
    spec: { groups: groups as IPrometheusRule['spec']['groups'] },
  };
}
