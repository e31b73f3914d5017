// `npm run infra:up|infra:down` and friends: argument parsing only, the work is in up.ts & co.
import fs from 'node:fs';
import path from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { writeComposeSecrets } from './compose-secrets';
import { bootstrapServers, ensureKafkaLibs, killBroker, partitionLeaders, startBroker, withAdmin } from './kafka';
import { applyAcls } from './kafka-security';
import { currentKafkaBrokers, type BrokersMode } from './state';
import { ensureTopics } from './topics';
import { infraDown, infraStatus, infraUp } from './up';
import { ensureZipkinJar } from './zipkin';

function brokersMode(v: string): BrokersMode {
  if (v === '1' || v === '3') return Number(v) as BrokersMode;
  throw new InvalidArgumentError('must be 1 or 3');
}
function nodeId(v: string): number {
  if (['1', '2', '3'].includes(v)) return Number(v);
  throw new InvalidArgumentError('must be 1, 2 or 3');
}
const brokersOption = () =>
  new Option('--brokers <n>', 'Kafka brokers: 1 (single, 9092) or 3 (cluster, 19092/29092/39092)')
    .argParser(brokersMode)
    .default(1 as BrokersMode);

const program = new Command('infra').description('Local Kafka, Postgres and Zipkin without Docker').showHelpAfterError();

program
  .command('up')
  .description('start what is not running (idempotent), create topics, write .local/infra.json')
  .addOption(brokersOption())
  .option('--no-zipkin', 'do not start Zipkin')
  .option('--no-topics', 'do not create topics')
  .action(async (o: { brokers: BrokersMode; zipkin: boolean; topics: boolean }) => {
    await infraUp({ brokers: o.brokers, zipkin: o.zipkin, topics: o.topics });
  });

program
  .command('down')
  .description('stop Kafka (and Zipkin/embedded Postgres once no Kafka runs); keeps data unless --purge')
  .addOption(brokersOption())
  .option('--all', 'stop the single broker and the cluster')
  .option('--purge', 'delete data too')
  .action(async (o: { brokers: BrokersMode; all?: boolean; purge?: boolean }) => {
    await infraDown({ brokers: o.brokers, all: o.all ?? false, purge: o.purge ?? false });
  });

program
  .command('status')
  .option('--json', 'machine-readable')
  .action(async (o: { json?: boolean }) => {
    const s = await infraStatus();
    if (o.json) {
      console.log(JSON.stringify(s, null, 2));
      return;
    }
    const nodes = (xs: typeof s.kafka.single) => xs.map((n) => `${n.id}@${n.address} ${n.running ? `pid ${n.pid}` : 'down'}`).join(', ');
    console.log(`kafka single : ${nodes(s.kafka.single)}`);
    console.log(`kafka cluster: ${nodes(s.kafka.cluster)}`);
    console.log(
      `postgres     : ${s.postgres.url ?? '(no state)'} ${s.postgres.reachable ? 'reachable' : 'unreachable'}${s.postgres.embeddedPid ? ` (embedded pid ${s.postgres.embeddedPid})` : ''}`,
    );
    console.log(`zipkin       : ${s.zipkin.url} ${s.zipkin.healthy ? 'healthy' : 'down'}`);
    console.log(`state        : ${s.state ? JSON.stringify(s.state) : '(none: run npm run infra:up)'}`);
  });

program
  .command('topics')
  .description('only create the contract topics against KAFKA_BROKERS (docker compose one-shot)')
  .option('--prefix <prefix>', 'topic name prefix (default: env KAFKA_TOPIC_PREFIX)')
  .option('--replication-factor <n>', 'default: env KAFKA_REPLICATION_FACTOR or 1', (v) => Number.parseInt(v, 10))
  .option('--partitions <n>', 'partitions of every keyed topic (default: env TOPIC_PARTITIONS, else the contract default)', (v) =>
    Number.parseInt(v, 10),
  )
  .option('--grow-partitions', 'raise the partition count of existing topics that have fewer (keys move: docs/capacity.md)')
  .action(async (o: { prefix?: string; replicationFactor?: number; partitions?: number; growPartitions?: boolean }) => {
    const brokers = currentKafkaBrokers();
    const rf = o.replicationFactor ?? Number.parseInt(process.env.KAFKA_REPLICATION_FACTOR ?? '1', 10);
    const keyed = o.partitions ?? (process.env.TOPIC_PARTITIONS ? Number.parseInt(process.env.TOPIC_PARTITIONS, 10) : undefined);
    if (keyed !== undefined && !(Number.isInteger(keyed) && keyed >= 1))
      throw new Error(`partitions must be a positive integer, got ${keyed}`);
    const r = await ensureTopics({
      brokers,
      replicationFactor: rf,
      ...(o.prefix !== undefined ? { prefix: o.prefix } : {}),
      ...(keyed !== undefined ? { partitions: { keyed } } : {}),
      growPartitions: o.growPartitions === true,
      timeoutMs: 120_000,
    });
    const grown = r.grown.map((g) => `${g.name} ${g.from}->${g.to}`).join(', ');
    console.log(
      `[infra] topics on ${brokers.join(',')}: ${r.created.length} created, ${r.existing.length} already present${grown ? `; grown: ${grown}` : ''}`,
    );
  });

program
  .command('compose-secrets <dir>')
  .description('docker compose secure mode one-shot: Kafka passwords, broker JAAS and client files (kept when present)')
  .option('--owner <uid:gid>', 'hand the files to this user (the containers that read them run as another user)')
  .action((dir: string, o: { owner?: string }) => {
    const written = writeComposeSecrets(dir);
    if (o.owner) {
      const [uid, gid] = o.owner.split(':').map((v) => Number.parseInt(v, 10));
      if (!Number.isInteger(uid) || !Number.isInteger(gid)) throw new InvalidArgumentError(`--owner must be uid:gid, got ${o.owner}`);
      for (const f of [dir, ...fs.readdirSync(dir).map((n) => path.join(dir, n))]) fs.chownSync(f, uid as number, gid as number);
    }
    console.log(`[infra] secrets of ${written.length} principals in ${dir}${o.owner ? ` (owner ${o.owner})` : ''}`);
  });

program
  .command('acls')
  .description('apply the topic ownership ACLs against KAFKA_BROKERS as the KAFKA_SASL_* principal (docker compose secure one-shot)')
  .action(async () => {
    const brokers = currentKafkaBrokers();
    const n = await withAdmin(brokers, (a) => applyAcls(a), { retries: 8 });
    console.log(`[infra] ${n} ACL bindings applied on ${brokers.join(',')}`);
  });

program
  .command('fetch')
  .description('download the Kafka and Zipkin jars from Maven Central (no-op when present)')
  .action(async () => {
    await ensureKafkaLibs();
    await ensureZipkinJar();
  });

program
  .command('kill-broker <node>')
  .description('fault drill: SIGKILL a cluster node (1..3)')
  .action(async (n: string) => {
    await killBroker(nodeId(n));
    console.log(`[infra] killed cluster node ${n}`);
  });

program
  .command('start-broker <node>')
  .description('fault drill: restart a cluster node and wait until it rejoins')
  .action(async (n: string) => {
    const pid = await startBroker(nodeId(n));
    console.log(`[infra] cluster node ${n} running (pid ${pid})`);
  });

program
  .command('leaders <topic>')
  .description('leader, replicas and ISR of each partition')
  .option('--brokers <list>', 'bootstrap servers (default: the 3-broker cluster)')
  .action(async (topic: string, o: { brokers?: string }) => {
    const rows = await partitionLeaders(topic, o.brokers ? o.brokers.split(',') : bootstrapServers(3));
    console.table(rows.map((r) => ({ ...r, replicas: r.replicas.join(','), isr: r.isr.join(',') })));
  });

program.parseAsync(process.argv).catch((e: unknown) => {
  console.error(`[infra] ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
