// What a built overlay must satisfy beyond its schemas: the rules that keep the platform up when a
// pod, a node or a zone goes. Pure: takes the objects `kubectl kustomize` printed, returns the
// violations (empty = compliant), so a test can mutate objects and see each rule fire.
import { allTopicSpecs, KAFKA_PRINCIPALS, plannedTopics, PLATFORM_SERVICES, ServiceTopics, Topics } from '@platform/contracts';
import { ZONE_KEY, type K8sObject } from './manifests';
import { KAFKA_MIN_ISR, KAFKA_REPLICAS, SERVICES, type OverlayPlan } from './platform';

/* eslint-disable @typescript-eslint/no-explicit-any -- walks untyped YAML */
type Obj = { apiVersion: string; kind: string; metadata?: any; spec?: any };

const PART_OF = 'app.kubernetes.io/part-of';

function matches(selector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

function deploymentRules(d: Obj, all: Obj[]): string[] {
  const id = `Deployment/${d.metadata?.name}`;
  const out: string[] = [];
  const pod = d.spec?.template?.spec ?? {};
  const podLabels: Record<string, string> = d.spec?.template?.metadata?.labels ?? {};
  const containers: any[] = pod.containers ?? [];
  if (containers.length === 0) out.push(`${id}: no containers`);
  for (const c of containers) {
    const cid = `${id} container ${c.name}`;
    if (c.readinessProbe?.httpGet?.path !== '/health/ready') out.push(`${cid}: readiness probe must GET /health/ready`);
    if (c.livenessProbe?.httpGet?.path !== '/health/live') out.push(`${cid}: liveness probe must GET /health/live`);
    if (!c.startupProbe?.httpGet?.path) out.push(`${cid}: startup probe missing`);
    if (!c.resources?.requests?.cpu || !c.resources?.requests?.memory) out.push(`${cid}: cpu and memory requests must be set`);
    if (!c.resources?.limits?.memory) out.push(`${cid}: memory limit must be set`);
    const sc = c.securityContext ?? {};
    if (sc.privileged === true) out.push(`${cid}: privileged`);
    if (sc.allowPrivilegeEscalation !== false) out.push(`${cid}: allowPrivilegeEscalation must be false`);
    if (sc.readOnlyRootFilesystem !== true) out.push(`${cid}: readOnlyRootFilesystem must be true`);
    if (sc.runAsNonRoot !== true && pod.securityContext?.runAsNonRoot !== true) out.push(`${cid}: runAsNonRoot must be true`);
    if (!(sc.capabilities?.drop ?? []).includes('ALL')) out.push(`${cid}: must drop ALL capabilities`);
    const image: string = c.image ?? '';
    if (!/:[^/]+$/.test(image) || image.endsWith(':latest')) out.push(`${cid}: image ${image} needs a pinned tag`);
  }
  if (pod.hostNetwork || pod.hostPID || pod.hostIPC) out.push(`${id}: host namespaces`);
  const spread: any[] = pod.topologySpreadConstraints ?? [];
  const zone = spread.find((t) => t.topologyKey === ZONE_KEY);
  if (!zone) out.push(`${id}: no topologySpreadConstraint across ${ZONE_KEY}`);
  else {
    if (zone.whenUnsatisfiable !== 'DoNotSchedule') out.push(`${id}: zone spread must be DoNotSchedule`);
    if (!matches(zone.labelSelector?.matchLabels, podLabels)) out.push(`${id}: zone spread does not select the deployment's pods`);
  }
  const pdbs = all.filter((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec?.selector?.matchLabels, podLabels));
  if (pdbs.length !== 1) out.push(`${id}: needs exactly one PodDisruptionBudget, found ${pdbs.length}`);
  if (!all.some((o) => o.kind === 'NetworkPolicy' && matches(o.spec?.podSelector?.matchLabels, podLabels)))
    out.push(`${id}: no NetworkPolicy`);
  if (!all.some((o) => o.kind === 'Service' && matches(o.spec?.selector, podLabels))) out.push(`${id}: no Service`);
  return out;
}

function kafkaRules(all: Obj[], overlay: OverlayPlan): string[] {
  const out: string[] = [];
  const kafka = all.filter((o) => o.kind === 'Kafka');
  if (kafka.length !== 1) return [`expected one Kafka, found ${kafka.length}`];
  const k = kafka[0]?.spec?.kafka ?? {};
  if (k.rack?.topologyKey !== ZONE_KEY) out.push(`Kafka: rack awareness must use ${ZONE_KEY}`);
  if (Number(k.config?.['min.insync.replicas']) !== KAFKA_MIN_ISR) out.push(`Kafka: min.insync.replicas must be ${KAFKA_MIN_ISR}`);
  if (Number(k.config?.['default.replication.factor']) !== KAFKA_REPLICAS)
    out.push(`Kafka: default.replication.factor must be ${KAFKA_REPLICAS}`);
  if (k.config?.['unclean.leader.election.enable'] !== false) out.push('Kafka: unclean leader election must be off');
  const pools = all.filter((o) => o.kind === 'KafkaNodePool');
  const count = (role: string) =>
    pools.filter((p) => (p.spec?.roles ?? []).includes(role)).reduce((n, p) => n + Number(p.spec?.replicas ?? 0), 0);
  if (count('controller') !== 3) out.push(`KafkaNodePool: KRaft needs 3 controllers, found ${count('controller')}`);
  if (count('broker') < 3) out.push(`KafkaNodePool: at least 3 brokers, found ${count('broker')}`);
  for (const p of pools) {
    if (!p.spec?.resources?.requests?.cpu || !p.spec?.resources?.limits?.memory)
      out.push(`KafkaNodePool ${p.metadata?.name}: cpu request and memory limit must be set`);
    if (!(p.spec?.template?.pod?.topologySpreadConstraints ?? []).some((t: any) => t.topologyKey === ZONE_KEY))
      out.push(`KafkaNodePool ${p.metadata?.name}: no spread across ${ZONE_KEY}`);
  }

  const topics = all.filter((o) => o.kind === 'KafkaTopic');
  for (const t of plannedTopics({ keyed: overlay.partitions })) {
    const found = topics.find((o) => (o.spec?.topicName ?? o.metadata?.name) === t.name);
    if (!found) {
      out.push(`KafkaTopic ${t.name}: missing`);
      continue;
    }
    if (found.spec?.replicas !== KAFKA_REPLICAS) out.push(`KafkaTopic ${t.name}: replicas must be ${KAFKA_REPLICAS}`);
    if (Number(found.spec?.config?.['min.insync.replicas']) !== KAFKA_MIN_ISR)
      out.push(`KafkaTopic ${t.name}: min.insync.replicas must be ${KAFKA_MIN_ISR}`);
    if (found.spec?.partitions !== t.partitions)
      out.push(`KafkaTopic ${t.name}: ${found.spec?.partitions} partitions, the ${overlay.name} plan wants ${t.partitions}`);
  }
  const users = new Set(all.filter((o) => o.kind === 'KafkaUser').map((o) => o.metadata?.name));
  for (const p of KAFKA_PRINCIPALS) if (!users.has(p)) out.push(`KafkaUser ${p}: missing`);
  return out;
}

function scalingRules(all: Obj[]): string[] {
  const out: string[] = [];
  const partitionsOf = (name: string) =>
    all.find((o) => o.kind === 'KafkaTopic' && o.spec?.topicName === name)?.spec?.partitions as number | undefined;
  for (const s of PLATFORM_SERVICES) {
    const so = all.find((o) => o.kind === 'ScaledObject' && o.spec?.scaleTargetRef?.name === s);
    if (!so) {
      out.push(`ScaledObject for ${s}: missing`);
      continue;
    }
    // A replica beyond the partition count of what it consumes would sit idle.
    for (const k of ServiceTopics[s].consumes.filter((x) => Topics[x].partitions > 1)) {
      const p = partitionsOf(Topics[k].name);
      if (p !== undefined && so.spec.maxReplicaCount > p)
        out.push(`ScaledObject ${s}: maxReplicaCount ${so.spec.maxReplicaCount} exceeds ${p} partitions of ${Topics[k].name}`);
      if (
        !(so.spec.triggers ?? []).some(
          (t: any) => t.type === 'kafka' && t.metadata?.topic === Topics[k].name && t.metadata?.consumerGroup === s,
        )
      )
        out.push(`ScaledObject ${s}: no kafka lag trigger for ${Topics[k].name}`);
    }
  }
  return out;
}

function postgresRules(all: Obj[]): string[] {
  const out: string[] = [];
  const clusters = all.filter((o) => o.kind === 'Cluster' && String(o.apiVersion).startsWith('postgresql.cnpg.io/'));
  if (clusters.length !== 1) return [`expected one CloudNativePG Cluster, found ${clusters.length}`];
  const c = clusters[0]?.spec ?? {};
  if (c.instances !== 3) out.push('Cluster: 3 instances across zones');
  if (!(c.postgresql?.synchronous?.number >= 1)) out.push('Cluster: synchronous replication must be on');
  if (!(c.topologySpreadConstraints ?? []).some((t: any) => t.topologyKey === ZONE_KEY)) out.push(`Cluster: no spread across ${ZONE_KEY}`);
  if (!c.resources?.requests?.cpu || !c.resources?.limits?.memory) out.push('Cluster: cpu request and memory limit must be set');
  const dbs = all.filter((o) => o.kind === 'Database');
  const roles: any[] = c.managed?.roles ?? [];
  for (const s of SERVICES.filter((x) => x.database)) {
    const db = dbs.find((d) => d.spec?.name === s.database);
    if (!db) out.push(`Database ${s.database}: missing`);
    else if (!roles.some((r) => r.name === db.spec.owner && r.login === true && r.superuser !== true))
      out.push(`Database ${s.database}: owner ${db.spec.owner} is not a managed login role`);
  }
  return out;
}

/** Every rule for one built overlay; empty when compliant. */
export function policyViolations(built: readonly K8sObject[], overlay: OverlayPlan): string[] {
  const objects = built as Obj[];
  const out: string[] = [];
  const deployments = objects.filter((o) => o.kind === 'Deployment' && o.metadata?.labels?.[PART_OF] === 'heart-pack');
  for (const s of SERVICES) if (!deployments.some((d) => d.metadata?.name === s.name)) out.push(`Deployment ${s.name}: missing`);
  for (const d of deployments) out.push(...deploymentRules(d, objects));
  for (const o of objects) {
    // Nothing privileged anywhere, operators' own pods aside (they are not in these manifests).
    for (const c of o.spec?.template?.spec?.containers ?? [])
      if (c.securityContext?.privileged === true) out.push(`${o.kind}/${o.metadata?.name}: privileged container ${c.name}`);
  }
  out.push(...kafkaRules(objects, overlay), ...scalingRules(objects), ...postgresRules(objects));
  if (!objects.some((o) => o.kind === 'PrometheusRule')) out.push('PrometheusRule: missing');
  if (!objects.some((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor')) out.push('ServiceMonitor/PodMonitor: missing');
  // DLQ topics exist exactly for the consumed topics.
  const consumed = allTopicSpecs.filter((t) => t.consumed).length;
  const dlqs = objects.filter((o) => o.kind === 'KafkaTopic' && String(o.spec?.topicName).endsWith('.dlq')).length;
  if (dlqs !== consumed) out.push(`KafkaTopic: ${dlqs} dead-letter topics for ${consumed} consumed topics`);
  return out;
}
