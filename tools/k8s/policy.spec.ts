import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { dlqName, plannedTopics, Topics } from '@platform/contracts';
import { K8S_DIR, staleManifests } from './generate';
import type { K8sObject } from './manifests';
import { OVERLAYS } from './platform';
import { policyViolations } from './policy';
import { buildOverlay, composeProblems, imageProblems, parseObjects, ruleProblems, schemaProblems, unknownFieldProblems } from './validate';

/* eslint-disable @typescript-eslint/no-explicit-any -- mutates untyped built objects */

// Builds the real overlays with kubectl (no cluster needed). A missing kubectl or promtool fails
// these tests with the install hint: nothing is skipped. Child processes (kubectl, node, promtool,
// docker-compose) can take seconds on a loaded 2-core machine: generous timeouts.
jest.setTimeout(120_000);
const built = new Map<string, K8sObject[]>();
const objectsOf = (overlay: string): K8sObject[] => {
  const objs = built.get(overlay) ?? parseObjects(buildOverlay(overlay));
  built.set(overlay, objs);
  return structuredClone(objs);
};
const find = (objs: K8sObject[], kind: string, name: string): any => {
  const o = objs.find((x) => x.kind === kind && x.metadata?.name === name);
  if (!o) throw new Error(`${kind}/${name} not in the build`);
  return o;
};

describe.each(OVERLAYS.map((o) => [o.name, o] as const))('overlay %s', (name, plan) => {
  it('builds with kubectl kustomize and passes the policy', () => {
    const objs = objectsOf(name);
    expect(objs.length).toBeGreaterThan(50);
    expect(policyViolations(objs, plan)).toEqual([]);
  });

  it('validates every object against the pinned Kubernetes, Strimzi, CloudNativePG, KEDA and Prometheus operator schemas', () => {
    expect(schemaProblems(objectsOf(name))).toEqual([]);
  }, 60_000);

  it('has no field the kubernetes-models types do not know (the schemas alone accept any extra field)', () => {
    expect(unknownFieldProblems(objectsOf(name))).toEqual([]);
  });

  it('has alert rules that pass promtool check rules', () => {
    expect(ruleProblems(objectsOf(name))).toEqual([]);
  });

  it('carries every contract topic and DLQ with RF 3, min ISR 2 and the overlay partition count', () => {
    const topics = objectsOf(name).filter((o) => o.kind === 'KafkaTopic') as any[];
    for (const t of plannedTopics({ keyed: plan.partitions })) {
      const k = topics.find((x) => x.spec.topicName === t.name);
      expect([t.name, k?.spec.replicas, Number(k?.spec.config['min.insync.replicas']), k?.spec.partitions]).toEqual([
        t.name,
        3,
        2,
        t.partitions,
      ]);
    }
  });
});

describe('policy catches what matters (mutations of the built prod overlay)', () => {
  const prod = OVERLAYS.find((o) => o.name === 'prod');
  if (!prod) throw new Error('no prod overlay in tools/k8s/platform.ts');

  it('fails when a readiness or liveness probe path changes', () => {
    const objs = objectsOf('prod');
    find(objs, 'Deployment', 'claims').spec.template.spec.containers[0].readinessProbe.httpGet.path = '/health';
    delete find(objs, 'Deployment', 'coupons').spec.template.spec.containers[0].livenessProbe;
    expect(policyViolations(objs, prod)).toEqual([
      'Deployment/claims container claims: readiness probe must GET /health/ready',
      'Deployment/coupons container coupons: liveness probe must GET /health/live',
    ]);
  });

  it('fails when a contract topic or its DLQ is missing, or a topic is under-replicated', () => {
    const objs = objectsOf('prod').filter((o) => !(o.kind === 'KafkaTopic' && (o.spec as any).topicName === Topics.claimDecided.name));
    (find(objs, 'KafkaTopic', dlqName(Topics.claimRequested.name)).spec as any).replicas = 2;
    const v = policyViolations(objs, prod);
    expect(v).toContain(`KafkaTopic ${Topics.claimDecided.name}: missing`);
    expect(v).toContain(`KafkaTopic ${dlqName(Topics.claimRequested.name)}: replicas must be 3`);
  });

  it('fails when the zone spread constraint is removed', () => {
    const objs = objectsOf('prod');
    const pod = find(objs, 'Deployment', 'pass-dispatcher').spec.template.spec;
    pod.topologySpreadConstraints = pod.topologySpreadConstraints.filter((t: any) => t.topologyKey !== 'topology.kubernetes.io/zone');
    expect(policyViolations(objs, prod)).toEqual([
      'Deployment/pass-dispatcher: no topologySpreadConstraint across topology.kubernetes.io/zone',
    ]);
  });

  it('fails without a PDB, with a privileged or root container, or with autoscaling past the partitions', () => {
    const objs = objectsOf('prod').filter((o) => !(o.kind === 'PodDisruptionBudget' && o.metadata?.name === 'emoticons'));
    const c = find(objs, 'Deployment', 'merchant-relief').spec.template.spec.containers[0];
    c.securityContext.privileged = true;
    c.securityContext.readOnlyRootFilesystem = false;
    find(objs, 'ScaledObject', 'claims').spec.maxReplicaCount = 96;
    const v = policyViolations(objs, prod);
    expect(v).toEqual(
      expect.arrayContaining([
        'Deployment/emoticons: needs exactly one PodDisruptionBudget, found 0',
        'Deployment/merchant-relief container merchant-relief: privileged',
        'Deployment/merchant-relief container merchant-relief: readOnlyRootFilesystem must be true',
        `ScaledObject claims: maxReplicaCount 96 exceeds 48 partitions of ${Topics.claimRequested.name}`,
      ]),
    );
  });

  it('schema validation rejects a malformed object', () => {
    const objs = objectsOf('prod');
    (find(objs, 'KafkaTopic', Topics.claimRequested.name).spec as any).partitions = 'forty-eight';
    find(objs, 'Deployment', 'claims').spec.template.spec.containers[0].ports[0].containerPort = 'http';
    const problems = schemaProblems(objs);
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(new RegExp(`^KafkaTopic/${Topics.claimRequested.name.replace(/\./g, '\\.')}: .*partitions must be integer`)),
        expect.stringMatching(/^Deployment\/claims: .*containerPort must be integer/),
      ]),
    );
  }, 60_000);

  it('the field check names a misspelt field that the schemas let through', () => {
    const objs = objectsOf('prod');
    const c = find(objs, 'Deployment', 'emoticons').spec.template.spec.containers[0];
    c.readinessprobe = c.readinessProbe;
    (find(objs, 'KafkaTopic', Topics.couponIssued.name).spec as any).replica = 3;
    expect(schemaProblems(objs)).toEqual([]);
    const problems = unknownFieldProblems(objs);
    expect(problems).toEqual([
      expect.stringMatching(/^Deployment\/emoticons: .*'readinessprobe'/),
      expect.stringMatching(new RegExp(`^KafkaTopic/${Topics.couponIssued.name.replace(/\./g, '\\.')}: .*'replica'`)),
    ]);
  });

  it('promtool rejects a broken alert expression', () => {
    const objs = objectsOf('prod');
    (find(objs, 'PrometheusRule', 'heart-pack-alerts').spec as any).groups[0].rules[0].expr = 'up{ == 0';
    expect(ruleProblems(objs)).toEqual([expect.stringMatching(/^PrometheusRule\/heart-pack-alerts: .*FAILED/s)]);
  });
});

describe('image, docker-compose and manifests', () => {
  it('docker compose config accepts docker-compose.yml', () => {
    expect(composeProblems()).toEqual([]);
  });

  it('agree: compiled entry points exist, one Kafka version, production-only runtime stage with tini', () => {
    expect(imageProblems(objectsOf('prod'))).toEqual([]);
  });

  it('notice a manifest that runs an entry point the image does not have', () => {
    const objs = objectsOf('prod');
    find(objs, 'Deployment', 'coupons').spec.template.spec.containers[0].args = ['node', 'dist/apps/coupons/src/missing.js'];
    expect(imageProblems(objs)).toEqual(['dist/apps/coupons/src/missing.js: no source apps/coupons/src/missing.ts']);
  });
});

describe('generated manifests', () => {
  it('are not stale against the contract and tools/k8s/platform.ts (npm run k8s:generate)', () => {
    // A new topic, consumer or ACL in libs/contracts changes the manifests: regenerate and commit them.
    const stale = staleManifests();
    if (stale.length > 0) throw new Error(`deploy/k8s is stale, run \`npm run k8s:generate\` and commit: ${stale.join(', ')}`);
  });

  it('the staleness check notices an edited or missing file', () => {
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'k8s-stale-'));
    try {
      fs.cpSync(K8S_DIR, copy, { recursive: true });
      fs.appendFileSync(path.join(copy, 'base/generated/kafka-topics.yaml'), '# hand edit\n');
      fs.rmSync(path.join(copy, 'overlays/prod/kustomization.yaml'));
      expect(staleManifests(copy).sort()).toEqual(['base/generated/kafka-topics.yaml', 'overlays/prod/kustomization.yaml']);
    } finally {
      fs.rmSync(copy, { recursive: true, force: true });
    }
  });

  it('fails with an install hint when kubectl is missing, instead of skipping', () => {
    const saved = process.env.PATH;
    process.env.PATH = '/nonexistent';
    try {
      expect(() => buildOverlay('prod')).toThrow(/kubectl not found on PATH: install it \(apt-get install -y kubectl\)/);
    } finally {
      process.env.PATH = saved;
    }
  });
});
