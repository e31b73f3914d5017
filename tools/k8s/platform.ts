// What the Kubernetes manifests are generated from besides the contract: the deployables, their
// ports, databases and sizes, and what differs between the overlays. Topic ownership and ACLs come
// from @platform/contracts (TOPIC_OWNERSHIP), so a new topic or consumer changes the manifests.
import { type PlatformService } from '@platform/contracts';

export const NAMESPACE = 'heart-pack';
export const KAFKA_CLUSTER = 'heart-pack';
export const PG_CLUSTER = 'platform-pg';
export const IMAGE = 'heart-pack-platform';
export const LABEL_PREFIX = 'platform.heart-pack.io';
/** The SCRAM-over-TLS listener the services use (Strimzi's bootstrap service). */
export const KAFKA_BOOTSTRAP = `${KAFKA_CLUSTER}-kafka-bootstrap:9093`;
export const KAFKA_REPLICAS = 3;
export const KAFKA_MIN_ISR = 2;
/** Parked messages wait for a human: keep a month (same as tools/infra/topics.ts). */
export const DLQ_RETENTION_MS = 30 * 24 * 60 * 60 * 1000;

export interface ServiceDeployment {
  readonly name: PlatformService | 'talk-channel-sim' | 'ops-console';
  readonly port: number;
  /** Its own database and role (none for the channel stand-in). */
  readonly database?: string;
  readonly env?: Readonly<Record<string, string>>;
  /** The phone-number hash secret (claims only). */
  readonly phoneSecret?: boolean;
  /**
   * Reads the other services instead of owning data (the ops console): every service database as
   * the read-only `audit_reader` role (on the replicas), every topic and DLQ as this Kafka principal.
   */
  readonly reads?: { readonly kafkaPrincipal: 'ops' };
  readonly summary: string;
}

export const SERVICES: readonly ServiceDeployment[] = [
  { name: 'claims', port: 3001, database: 'campaign_claims', phoneSecret: true, summary: 'decides every claim exactly once (R1-R4)' },
  { name: 'emoticons', port: 3002, database: 'campaign_emoticons', summary: 'grants emoticon packs, 90-day clocks (R5)' },
  { name: 'coupons', port: 3003, database: 'campaign_coupons', summary: 'issues and redeems Makers coupons (R6)' },
  {
    name: 'pass-dispatcher',
    port: 3004,
    database: 'campaign_passes',
    // Every replica reserves slots (consumer group); one replica per campaign sends, elected by a
    // Postgres advisory lock, so more replicas add failover, not send rate.
    env: { DISPATCH_ENABLED: 'true' },
    summary: 'reserves and sends passes in slot order, one leader per campaign (R7-R9)',
  },
  { name: 'merchant-relief', port: 3005, database: 'campaign_relief', summary: 'relief tiers and committee reviews (R10)' },
  // The request fingerprints are HMACs under the phone-key secret (a body holds a phone number).
  {
    name: 'app-api',
    port: 3006,
    database: 'campaign_app_api',
    phoneSecret: true,
    summary: "the app backend's HTTP front door (claims intake)",
  },
  {
    name: 'ops-console',
    port: 3007,
    reads: { kafkaPrincipal: 'ops' },
    env: {
      CLAIMS_URL: 'http://claims:3001',
      EMOTICONS_URL: 'http://emoticons:3002',
      COUPONS_URL: 'http://coupons:3003',
      PASSES_URL: 'http://pass-dispatcher:3004',
      RELIEF_URL: 'http://merchant-relief:3005',
    },
    summary: 'web console for ops on call: campaign progress, pass queue, DLQs, health; confirmed and audited controls',
  },
];

/** Stand-in for the Talk Drawer channel API: only in the local overlay (production talks to the real one). */
export const CHANNEL_SIM: ServiceDeployment = { name: 'talk-channel-sim', port: 3010, summary: 'Talk Drawer channel stand-in' };

export interface OverlayPlan {
  readonly name: 'local' | 'prod';
  /** Partitions of every keyed topic: the upper bound of each consuming service's replicas. */
  readonly partitions: number;
  /** Replicas each service keeps at least (prod: one per zone). */
  readonly minReplicas: number;
  /** Kafka consumer lag per replica at which KEDA adds one. */
  readonly lagThreshold: number;
  /** Per service container. */
  readonly resources: { readonly cpu: string; readonly memory: string; readonly memoryLimit: string };
  readonly image: { readonly name: string; readonly tag: string };
  /** Broker volume size (controllers keep theirs) and broker pods. */
  readonly brokerStorage: string;
  readonly brokerResources: { readonly cpu: string; readonly memory: string };
  /** Each Postgres instance: volume and pod. */
  readonly postgresStorage: string;
  readonly postgresResources: { readonly cpu: string; readonly memory: string };
}

export const OVERLAYS: readonly OverlayPlan[] = [
  {
    name: 'local',
    partitions: 6,
    minReplicas: 2,
    lagThreshold: 5000,
    resources: { cpu: '250m', memory: '256Mi', memoryLimit: '512Mi' },
    image: { name: IMAGE, tag: 'local' },
    brokerStorage: '10Gi',
    brokerResources: { cpu: '500m', memory: '2Gi' },
    postgresStorage: '5Gi',
    postgresResources: { cpu: '500m', memory: '1Gi' },
  },
  {
    name: 'prod',
    // 48 = the most replicas one consuming service may need at launch (docs/capacity.md), with headroom.
    partitions: 48,
    minReplicas: 3,
    lagThreshold: 20000,
    resources: { cpu: '1', memory: '512Mi', memoryLimit: '1Gi' },
    // Placeholder registry: CI builds and pushes deploy/docker/Dockerfile under the release tag.
    image: { name: `registry.invalid/${IMAGE}`, tag: '0.1.0' },
    // docs/capacity.md: 3 brokers of 4 cores carry a 4-hour window; the primary takes all writes.
    brokerStorage: '500Gi',
    brokerResources: { cpu: '4', memory: '16Gi' },
    postgresStorage: '200Gi',
    postgresResources: { cpu: '8', memory: '32Gi' },
  },
];
