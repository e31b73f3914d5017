// Apache Kafka 4.4 from Maven Central, no Docker: KRaft nodes (combined broker+controller, static
// quorum) as detached JVMs. Single mode: one node on 127.0.0.1:9092 for everyday work and tests.
// Cluster mode: three nodes (19092/29092/39092), RF 3 and min ISR 2, for fault drills that kill
// and restart brokers; secured like production (SASL/SCRAM, deny-by-default ACLs: kafka-security.ts).
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Admin, Kafka, logLevel, type KafkaConfig, type SASLOptions } from 'kafkajs';
import { kafkaSecurityEnv, type KafkaSecurityEnv } from '@platform/config';
import type { KafkaPrincipal } from '@platform/contracts';
import { createKafka, kafkaSecurityOptions } from '@platform/messaging';
import {
  applyAcls,
  clusterCredentials,
  CREDENTIALS_DIR,
  principalEnv,
  saslFor,
  scramFormatArgs,
  secureNodeProperties,
  waitUntilAclsEffective,
  writeClientProperties,
} from './kafka-security';
import { ensureMavenLibs } from './maven';
import { KAFKA_DEPLOY_DIR, KAFKA_LIBS_DIR, KAFKA_LOCAL_DIR, KAFKA_LOG4J2_FILE, ROOT, rel } from './paths';
import { GiveUp, isAlive, livePid, portOpen, removeFile, spawnDetached, stopPid, tail, waitFor, waitForExit } from './processes';
import type { BrokersMode } from './state';
import { brokerZone } from './zones';

export type { BrokersMode } from './state';

export const KAFKA_VERSION = '4.4.0';
const HOST = '127.0.0.1';
// The single broker carries every test suite's isolated topic set (thousands of partitions in one
// `npm test`): 512 MB ran out of heap on this machine. Cluster nodes only host drill topics.
const heapFor = (mode: BrokersMode): string[] => (mode === 1 ? ['-Xms1g', '-Xmx1g'] : ['-Xms512m', '-Xmx512m']);
// kafka-run-class.sh's JVM defaults.
const JVM_FLAGS = [
  '-server',
  '-XX:+UseG1GC',
  '-XX:MaxGCPauseMillis=20',
  '-XX:InitiatingHeapOccupancyPercent=35',
  '-XX:+ExplicitGCInvokesConcurrent',
  '-XX:MaxInlineLevel=15',
  '-XX:+ExitOnOutOfMemoryError',
  '-Djava.awt.headless=true',
];

export interface BrokerNode {
  mode: BrokersMode;
  id: number;
  port: number;
  controllerPort: number;
  /** `.local/kafka/single` or `.local/kafka/cluster/nodeN` */
  dir: string;
  dataDir: string;
  logsDir: string;
  configFile: string;
  pidFile: string;
  /** The JVM's stdout/stderr (warnings, crashes); the full log is logsDir/server.log. */
  outFile: string;
}

/** The single broker's port; KAFKA_PORT moves it (controller on port+1), e.g. for a second clone. */
export function singleBrokerPort(): number {
  return Number.parseInt(process.env.KAFKA_PORT ?? '9092', 10);
}

/**
 * KAFKA_CLUSTER_PORT moves the whole 3-broker cluster to its own ports (P, P+2, P+4; controllers
 * one above) and its own directory (.local/kafka/cluster-P, credentials inside it), so a test's
 * cluster never meets the one that drills and people use at 19092/29092/39092.
 */
function clusterPortBase(): number | null {
  const v = process.env.KAFKA_CLUSTER_PORT;
  return v ? Number.parseInt(v, 10) : null;
}

function modeDir(mode: BrokersMode): string {
  const base = clusterPortBase();
  return path.join(KAFKA_LOCAL_DIR, mode === 1 ? 'single' : base === null ? 'cluster' : `cluster-${base}`);
}

/** Where the cluster's client property files go: .local/credentials for the default cluster. */
export function clusterCredentialsDir(): string {
  return clusterPortBase() === null ? CREDENTIALS_DIR : path.join(modeDir(3), 'credentials');
}

export function brokerNode(mode: BrokersMode, id: number): BrokerNode {
  if (mode === 1 && id !== 1) throw new Error(`single-broker mode has only node 1 (got ${id})`);
  if (mode === 3 && ![1, 2, 3].includes(id)) throw new Error(`cluster nodes are 1..3 (got ${id})`);
  const base = clusterPortBase();
  const port = mode === 1 ? singleBrokerPort() : base === null ? id * 10_000 + 9092 : base + (id - 1) * 2;
  const dir = mode === 1 ? modeDir(1) : path.join(modeDir(3), `node${id}`);
  return {
    mode,
    id,
    port,
    controllerPort: port + 1,
    dir,
    dataDir: path.join(dir, 'data'),
    logsDir: path.join(dir, 'logs'),
    configFile: path.join(dir, 'server.properties'),
    pidFile: path.join(dir, 'broker.pid'),
    outFile: path.join(dir, 'broker.out'),
  };
}

export function brokerNodes(mode: BrokersMode): BrokerNode[] {
  return mode === 1 ? [brokerNode(1, 1)] : [1, 2, 3].map((n) => brokerNode(3, n));
}

/** Bootstrap addresses (`host:port`) of a mode. */
export function bootstrapServers(mode: BrokersMode): string[] {
  return brokerNodes(mode).map((n) => `${HOST}:${n.port}`);
}

/** How long the controller waits for a silent broker before it fences it (3-broker mode). */
export const BROKER_SESSION_TIMEOUT_MS = 5_000;
export const BROKER_HEARTBEAT_MS = 1_000;

function serverProperties(node: BrokerNode): string {
  const nodes = brokerNodes(node.mode);
  const rf = node.mode === 1 ? 1 : 3;
  const minIsr = node.mode === 1 ? 1 : 2;
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': node.id,
    'controller.quorum.voters': nodes.map((n) => `${n.id}@${HOST}:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${node.port},CONTROLLER://${HOST}:${node.controllerPort}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': node.dataDir,
    'num.partitions': 6,
    'default.replication.factor': rf,
    'min.insync.replicas': minIsr,
    'offsets.topic.replication.factor': rf,
    'transaction.state.log.replication.factor': rf,
    'transaction.state.log.min.isr': minIsr,
    'share.coordinator.state.topic.replication.factor': rf,
    'share.coordinator.state.topic.min.isr': minIsr,
    'unclean.leader.election.enable': false,
    // kafkajs producers auto-create topics by default: make a typo fail instead.
    'auto.create.topics.enable': false,
    'group.initial.rebalance.delay.ms': 0,
    'delete.topic.enable': true,
  };
  if (node.mode === 3) {
    // one node per zone: replica placement and the zone drill (npm run drill -- zone-outage) use it
    props['broker.rack'] = brokerZone(node.id);
    // A dead zone's broker is fenced (its leaderships and ISR places moved) after this session
    // timeout; Kafka's 9 s default was most of the zone drill's recovery. Heartbeats every 1 s
    // leave a live broker four beats to spare on a loaded machine before it is fenced.
    props['broker.heartbeat.interval.ms'] = BROKER_HEARTBEAT_MS;
    props['broker.session.timeout.ms'] = BROKER_SESSION_TIMEOUT_MS;
    const credentials = clusterCredentials(modeDir(3));
    Object.assign(props, secureNodeProperties({ port: node.port, controllerPort: node.controllerPort, host: HOST, credentials }));
  }
  const header = `# Generated by tools/infra/kafka.ts for node ${node.id} (${node.mode === 1 ? 'single' : '3-broker cluster'}); edits are overwritten.\n`;
  return (
    header +
    Object.entries(props)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n') +
    '\n'
  );
}

/** Copies the Kafka runtime jars into deploy/kafka/libs/ unless already there for this pom. */
export async function ensureKafkaLibs(): Promise<void> {
  await ensureMavenLibs(path.join(KAFKA_DEPLOY_DIR, 'pom.xml'), KAFKA_LIBS_DIR);
}

function java(): string {
  return process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin', 'java') : 'java';
}

function classpath(): string {
  return `${KAFKA_LIBS_DIR}/*`;
}

function clusterId(mode: BrokersMode): string {
  const file = path.join(modeDir(mode), 'cluster-id');
  if (fs.existsSync(file)) {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (!stored.startsWith('-')) return stored;
  }
  // A Kafka Uuid is 16 random bytes in base64url (22 chars); all-zero is reserved. Like Kafka's
  // Uuid.randomUuid(), never start with '-': the storage tool would read it as an option.
  let id = crypto.randomBytes(16).toString('base64url');
  while (id.startsWith('-')) id = crypto.randomBytes(16).toString('base64url');
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${id}\n`);
  return id;
}

/** Writes server.properties and formats the storage once (meta.properties marks a formatted dir). */
async function prepareNode(node: BrokerNode): Promise<void> {
  fs.mkdirSync(node.logsDir, { recursive: true });
  fs.writeFileSync(node.configFile, serverProperties(node), { mode: 0o600 });
  fs.chmodSync(node.configFile, 0o600); // holds the cluster's passwords (PLAIN users)
  if (fs.existsSync(path.join(node.dataDir, 'meta.properties'))) return;
  const args = [
    '-Xmx256m',
    `-Dlog4j2.configurationFile=${KAFKA_LOG4J2_FILE}`,
    `-Dkafka.logs.dir=${node.logsDir}`,
    '-cp',
    classpath(),
    'kafka.tools.StorageTool',
    'format',
    '-t',
    clusterId(node.mode),
    '-c',
    node.configFile,
    // the cluster's SCRAM users exist from the first start (no unauthenticated window)
    ...(node.mode === 3 ? scramFormatArgs(clusterCredentials(modeDir(3))) : []),
  ];
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
    const child = spawn(java(), args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.once('error', reject);
    child.once('close', (c) => resolve({ code: c, output }));
  });
  if (code !== 0) throw new Error(`formatting ${rel(node.dataDir)} failed (exit ${code}):\n${output}`);
}

/** SCRAM passwords of the secured 3-broker cluster (created on first use). */
export function securedClusterCredentials(): ReturnType<typeof clusterCredentials> {
  return clusterCredentials(modeDir(3));
}

/**
 * Kafka client settings for a tool or service talking to `brokers` as `principal`: the principal's
 * SCRAM login when `brokers` are this checkout's secured cluster, else nothing (PLAINTEXT, or
 * whatever KAFKA_SECURITY_PROTOCOL & co. say). Lets loadgen, audit and the DLQ CLI point at
 * 19092.. without extra flags.
 */
export function localClusterSecurity(brokers: string[], principal: KafkaPrincipal): Record<string, string> {
  const cluster = bootstrapServers(3);
  if (brokers.length === 0 || !brokers.every((b) => cluster.includes(b))) return {};
  if (!fs.existsSync(path.join(modeDir(3), 'scram-credentials.json'))) return {};
  return principalEnv(securedClusterCredentials(), principal);
}

/** The pid of a running node of this checkout, or null. */
export function nodePid(node: BrokerNode): number | null {
  return livePid(node.pidFile, node.configFile);
}

/** The pid of cluster node n (1..3), or null when it is not running. */
export function brokerPid(n: number, mode: BrokersMode = 3): number | null {
  return nodePid(brokerNode(mode, n));
}

function launch(node: BrokerNode): number {
  const args = [
    ...heapFor(node.mode),
    '-XX:+ExitOnOutOfMemoryError',
    ...JVM_FLAGS,
    `-Dkafka.logs.dir=${node.logsDir}`,
    `-Dlog4j2.configurationFile=${KAFKA_LOG4J2_FILE}`,
    '-cp',
    classpath(),
    'kafka.Kafka',
    node.configFile,
  ];
  return spawnDetached({ command: java(), args, cwd: ROOT, logFile: node.outFile, pidFile: node.pidFile });
}

/** Tails of a node's JVM output and server.log, for error messages. */
export function brokerLogTail(node: BrokerNode, lines = 30): string {
  return [
    `--- ${rel(node.outFile)} (tail)`,
    tail(node.outFile, 10),
    `--- ${rel(path.join(node.logsDir, 'server.log'))} (tail)`,
    tail(path.join(node.logsDir, 'server.log'), lines),
  ].join('\n');
}

/**
 * SASL/TLS for a tool acting as `principal`: an identity given in the environment wins (the docker
 * compose secure mode's one-shots, an operator's own login); on this checkout's secured 3-broker
 * cluster, that principal's generated login; the single broker is PLAINTEXT.
 */
function toolSecurity(brokers: string[], principal: KafkaPrincipal): Pick<KafkaConfig, 'sasl' | 'ssl'> {
  const fromEnv = kafkaSecurityEnv.parse(process.env);
  if (fromEnv.KAFKA_SECURITY_PROTOCOL !== 'PLAINTEXT') return kafkaSecurityOptions(fromEnv);
  if (principal !== 'admin') return kafkaSecurityOptions(localClusterSecurity(brokers, principal));
  const cluster = bootstrapServers(3);
  return brokers.length > 0 && brokers.every((b) => cluster.includes(b)) ? { sasl: saslFor(clusterCredentials(modeDir(3)), 'admin') } : {};
}

interface ToolKafkaTarget {
  clientId: string;
  brokers: string[];
}

/** A tool's own client (the default): silent, and it gives up after `retries`. */
export interface QuietKafkaOptions extends ToolKafkaTarget {
  profile?: 'tool';
  /** Who the tool is on a secured cluster: `ops` (audit, DLQ, load generator), `admin` (infra), ... None: PLAINTEXT. */
  principal?: KafkaPrincipal;
  /** A given SASL login instead of a principal's: the ACL probe, a test's anonymous or wrong login. */
  sasl?: SASLOptions;
  /** kafkajs retries; probes that loop themselves pass 0. Default 10. */
  retries?: number;
  /** Default 3 s. */
  connectionTimeout?: number;
  requestTimeout?: number;
}

/**
 * A client that behaves like a service's: the services' own factory (createKafka: warnings through
 * Nest's logger, reconnects for as long as it takes), for tools that publish or read the way a
 * service does (load runs, drills, DLQ replay, specs standing in for a service).
 */
export interface ServiceLikeKafkaOptions extends ToolKafkaTarget {
  profile: 'service';
  /** SASL/TLS settings as a service gets them (kafkaSecurityEnv); absent: PLAINTEXT. */
  security?: Partial<KafkaSecurityEnv>;
}

export type ToolKafkaOptions = QuietKafkaOptions | ServiceLikeKafkaOptions;

/**
 * The one kafkajs client factory of the tools. Quiet by default, so a tool's stdout stays its own
 * (--json output is one object); `profile: 'service'` for a client configured like the services'.
 */
export function toolKafka(o: ToolKafkaOptions): Kafka {
  if (o.profile === 'service') return createKafka({ brokers: o.brokers, clientId: o.clientId, security: o.security });
  return new Kafka({
    clientId: o.clientId,
    brokers: o.brokers,
    ...(o.sasl ? { sasl: o.sasl } : o.principal ? toolSecurity(o.brokers, o.principal) : {}),
    logLevel: logLevel.NOTHING,
    connectionTimeout: o.connectionTimeout ?? 3_000,
    ...(o.requestTimeout === undefined ? {} : { requestTimeout: o.requestTimeout }),
    retry: { retries: o.retries ?? 10 },
  });
}

function client(brokers: string[], retries: number): Kafka {
  return toolKafka({ clientId: 'infra', brokers, principal: 'admin', retries, connectionTimeout: 2_000, requestTimeout: 15_000 });
}

/**
 * Runs `fn` with a connected kafkajs admin client, always disconnecting. Probes use no retries
 * (the caller loops); administrative calls pass a few.
 */
export async function withAdmin<T>(brokers: string[], fn: (admin: Admin) => Promise<T>, opts: { retries?: number } = {}): Promise<T> {
  // Seed only with brokers that accept connections: kafkajs picks a random seed, and a killed
  // node in the list would otherwise fail every other call during fault drills.
  const open = await Promise.all(brokers.map((b) => portOpen(Number(b.slice(b.lastIndexOf(':') + 1)), b.slice(0, b.lastIndexOf(':')))));
  const seeds = brokers.filter((_, i) => open[i]);
  if (seeds.length === 0) throw new Error(`no Kafka broker accepts connections at ${brokers.join(',')}`);
  const admin = client(seeds, opts.retries ?? 0).admin();
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** Broker ids currently registered (unfenced) in the cluster reachable at `brokers`. */
export async function registeredBrokers(brokers: string[]): Promise<number[]> {
  return withAdmin(brokers, async (a) => (await a.describeCluster()).brokers.map((b) => b.nodeId).sort());
}

export interface WaitKafkaOptions {
  brokers: string[];
  /** Node ids that must be registered before the cluster counts as ready. */
  expectNodeIds: number[];
  timeoutMs?: number;
  /** Nodes to watch: their death aborts the wait, and their logs are shown on failure. */
  nodes?: BrokerNode[];
}

/**
 * Waits until every expected broker is registered and a consumer group coordinator answers (the
 * offsets topic exists and is loaded), so consumers started right after do not hit "coordinator
 * not available".
 */
export async function waitForKafka(opts: WaitKafkaOptions): Promise<void> {
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const nodes = opts.nodes ?? [];
  const onTimeout = () => nodes.map((n) => `node ${n.id}:\n${brokerLogTail(n)}`).join('\n');
  const checkAlive = () => {
    for (const n of nodes) {
      if (!nodePid(n)) throw new GiveUp(`Kafka node ${n.id} (port ${n.port}) exited`);
    }
  };
  await waitFor(
    `Kafka brokers ${opts.expectNodeIds.join(',')} at ${opts.brokers.join(',')}`,
    async () => {
      checkAlive();
      const ids = await registeredBrokers(opts.brokers);
      return opts.expectNodeIds.every((id) => ids.includes(id));
    },
    { timeoutMs, intervalMs: 500, onTimeout },
  );
  await waitFor(
    'the consumer group coordinator',
    async () => {
      checkAlive();
      return withAdmin(opts.brokers, async (a) => {
        await a.describeCluster(); // loads the broker pool; findGroupCoordinator needs it
        await a.describeGroups(['__infra-readiness']);
        return true;
      });
    },
    { timeoutMs: Math.max(deadline - Date.now(), 15_000), intervalMs: 500, onTimeout },
  );
}

export interface KafkaUpResult {
  brokers: string[];
  /** Node ids started by this call (empty when everything was already running). */
  started: number[];
  /** True when the port answered but the process is not one of this checkout's (used as is). */
  external: boolean;
}

async function answersAsKafka(brokers: string[]): Promise<boolean> {
  try {
    await registeredBrokers(brokers);
    return true;
  } catch {
    return false;
  }
}

/** Starts (formats first if needed) every node of a mode that is not running, then waits for it. */
export async function startKafka(opts: { brokers: BrokersMode; timeoutMs?: number }): Promise<KafkaUpResult> {
  const mode = opts.brokers;
  const nodes = brokerNodes(mode);
  const brokers = bootstrapServers(mode);
  const down = nodes.filter((n) => !nodePid(n));
  if (down.length === nodes.length && mode === 1 && (await portOpen(singleBrokerPort())) && (await answersAsKafka(brokers))) {
    // Someone else's broker (another clone, docker compose): use it rather than fail to bind.
    return { brokers, started: [], external: true };
  }
  if (down.length > 0) await ensureKafkaLibs();
  for (const node of down) {
    for (const port of [node.port, node.controllerPort]) {
      if (await portOpen(port)) {
        throw new Error(`port ${port} is in use by another process; Kafka node ${node.id} cannot start (see: ss -ltnp | grep ${port})`);
      }
    }
  }
  if (
    mode === 3 &&
    !fs.existsSync(path.join(modeDir(3), 'scram-credentials.json')) &&
    down.some((n) => fs.existsSync(path.join(n.dataDir, 'meta.properties')))
  ) {
    throw new Error(
      'the 3-broker cluster was formatted before it was secured (no SCRAM users): npm run infra:down -- --brokers 3 --purge, then up again',
    );
  }
  await Promise.all(down.map(prepareNode)); // formatting is a JVM start each: run them side by side
  for (const node of down) launch(node);
  await waitForKafka({ brokers, expectNodeIds: nodes.map((n) => n.id), nodes, timeoutMs: opts.timeoutMs ?? 180_000 });
  if (mode === 3) {
    writeClientProperties(clusterCredentials(modeDir(3)), brokers, clusterCredentialsDir());
    await withAdmin(brokers, (a) => applyAcls(a), { retries: 5 });
    await waitUntilAclsEffective(brokers, clusterCredentials(modeDir(3)));
  }
  return { brokers, started: down.map((n) => n.id), external: false };
}

/** Stops every node of a mode (SIGTERM: controlled shutdown; SIGKILL after a grace period). */
export async function stopKafka(opts: { brokers: BrokersMode; purge?: boolean; graceMs?: number }): Promise<number[]> {
  const stopped: number[] = [];
  await Promise.all(
    brokerNodes(opts.brokers).map(async (node) => {
      const pid = nodePid(node);
      if (pid) {
        await stopPid(pid, { signal: 'SIGTERM', graceMs: opts.graceMs ?? 30_000 });
        stopped.push(node.id);
      }
      removeFile(node.pidFile);
    }),
  );
  if (opts.purge) fs.rmSync(modeDir(opts.brokers), { recursive: true, force: true });
  return stopped.sort();
}

export interface NodeStatus {
  id: number;
  address: string;
  pid: number | null;
  running: boolean;
}

export function kafkaStatus(mode: BrokersMode): NodeStatus[] {
  return brokerNodes(mode).map((n) => {
    const pid = nodePid(n);
    return { id: n.id, address: `${HOST}:${n.port}`, pid, running: pid !== null };
  });
}

/** Fault drills: SIGKILL a node (no controlled shutdown) and wait until the process is gone. */
export async function killBroker(n: number, mode: BrokersMode = 3): Promise<void> {
  const node = brokerNode(mode, n);
  const pid = nodePid(node);
  if (!pid) throw new Error(`Kafka node ${n} (${mode === 1 ? 'single' : 'cluster'}) is not running`);
  process.kill(pid, 'SIGKILL');
  if (!(await waitForExit(pid, 10_000))) throw new Error(`Kafka node ${n} (pid ${pid}) survived SIGKILL`);
  removeFile(node.pidFile);
}

/**
 * Fault drills: (re)start a node that was killed or stopped, and wait until it is registered in
 * the cluster again. A node that is already running is left alone.
 */
export async function startBroker(n: number, opts: { mode?: BrokersMode; timeoutMs?: number } = {}): Promise<number> {
  const mode = opts.mode ?? 3;
  const node = brokerNode(mode, n);
  const existing = nodePid(node);
  if (existing) return existing;
  await ensureKafkaLibs();
  await prepareNode(node);
  const pid = launch(node);
  await waitFor(
    `Kafka node ${n} to rejoin`,
    async () => {
      if (!isAlive(pid)) throw new GiveUp(`Kafka node ${n} exited`);
      // Ask the node itself: the others may still list the killed incarnation until it is fenced.
      return (await registeredBrokers([`${HOST}:${node.port}`])).includes(n);
    },
    { timeoutMs: opts.timeoutMs ?? 120_000, intervalMs: 500, onTimeout: () => brokerLogTail(node) },
  );
  return pid;
}

export interface PartitionLeader {
  partition: number;
  /** Leader broker id, -1 while leaderless. */
  leader: number;
  replicas: number[];
  isr: number[];
}

/** Leader (and replicas/ISR) of each partition of `topic`, sorted by partition. */
export async function partitionLeaders(topic: string, brokers: string[] = bootstrapServers(3)): Promise<PartitionLeader[]> {
  return withAdmin(
    brokers,
    async (a) => {
      const md = await a.fetchTopicMetadata({ topics: [topic] });
      const t = md.topics.find((x) => x.name === topic);
      if (!t) throw new Error(`topic ${topic} not found`);
      return t.partitions
        .map((p) => ({ partition: p.partitionId, leader: p.leader, replicas: [...p.replicas], isr: [...p.isr] }))
        .sort((x, y) => x.partition - y.partition);
    },
    { retries: 3 },
  );
}
