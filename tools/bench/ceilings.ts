// The ceilings of this machine, measured in the same run as the platform so results read as
// ratios: Kafka's own producer and consumer performance tools (acks=all, 150-byte records) and a
// plain node-pg batched insert into Postgres.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { databaseUrl, dropDatabase, ensureDatabase } from '@platform/persistence';
import { toolKafka } from '@platform/tools-infra';

const ROOT = path.resolve(__dirname, '../..');
const CLASSPATH = `${path.join(ROOT, 'deploy', 'kafka', 'libs')}/*`;

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString()));
    child.stderr.on('data', (b: Buffer) => (out += b.toString()));
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(out);
      else reject(new Error(`${cmd} ${args.slice(0, 3).join(' ')} exited ${code}: ${out.slice(-500)}`));
    });
  });
}

export interface ProducerPerf {
  records: number;
  recordSize: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  avgLatencyMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxLatencyMs: number;
  command: string;
}

export interface ConsumerPerf {
  records: number;
  recordsPerSecond: number;
  mbPerSecond: number;
  /** Excluding the group join (fetch phase only), as the tool reports it. */
  fetchRecordsPerSecond: number;
  command: string;
}

export async function withPerfTopic<T>(brokers: string[], fn: (topic: string) => Promise<T>): Promise<T> {
  const topic = `bench-perf-${Date.now().toString(36)}`;
  const admin = toolKafka({ clientId: 'bench', brokers, principal: 'admin' }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 6, replicationFactor: 1 }], waitForLeaders: false });
    // A busy broker can take a while to elect leaders for new partitions.
    const deadline = Date.now() + 60_000;
    for (;;) {
      const md = await admin.fetchTopicMetadata({ topics: [topic] }).catch(() => null);
      const parts = md?.topics[0]?.partitions ?? [];
      if (parts.length === 6 && parts.every((p) => p.leader >= 0)) break;
      if (Date.now() > deadline) throw new Error(`no leaders for ${topic} after 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
    return await fn(topic);
  } finally {
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
  }
}

/** org.apache.kafka.tools.ProducerPerformance, acks=all, as fast as possible; parses its final line. */
export async function kafkaProducerPerf(brokers: string[], topic: string, records: number, recordSize = 150): Promise<ProducerPerf> {
  const args = ['-cp', CLASSPATH, 'org.apache.kafka.tools.ProducerPerformance', '--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1', '--command-property', `bootstrap.servers=${brokers.join(',')}`, 'acks=all'];
  const out = await run('java', args, 15 * 60_000);
  const line = out.split('\n').reverse().find((l) => /records sent, .* 99\.9th/.test(l));
  const m = line && /([\d.]+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th/.exec(line);
  if (!m) throw new Error(`unexpected ProducerPerformance output: ${out.slice(-400)}`);
  return {
    records: Number(m[1]),
    recordSize,
    recordsPerSecond: Math.round(Number(m[2])),
    mbPerSecond: Number(m[3]),
    avgLatencyMs: Number(m[4]),
    maxLatencyMs: Number(m[5]),
    p50Ms: Number(m[6]),
    p95Ms: Number(m[7]),
    p99Ms: Number(m[8]),
    command: `java ${args.join(' ').replace(CLASSPATH, "'deploy/kafka/libs/*'")}`,
  };
}

/** org.apache.kafka.tools.ConsumerPerformance over the records the producer test wrote. */
export async function kafkaConsumerPerf(brokers: string[], topic: string, records: number): Promise<ConsumerPerf> {
  const args = ['-cp', CLASSPATH, 'org.apache.kafka.tools.ConsumerPerformance', '--bootstrap-server', brokers.join(','), '--topic', topic, '--num-records', String(records), '--group', `bench-perf-${Date.now().toString(36)}`];
  const out = await run('java', args, 15 * 60_000);
  const lines = out.split('\n').filter((l) => /^\d{4}-\d\d-\d\d/.test(l));
  const cols = lines[lines.length - 1]?.split(',').map((s) => s.trim());
  if (!cols || cols.length < 10) throw new Error(`unexpected ConsumerPerformance output: ${out.slice(-400)}`);
  return {
    records: Number(cols[4]),
    mbPerSecond: Number(cols[3]),
    recordsPerSecond: Math.round(Number(cols[5])),
    fetchRecordsPerSecond: Math.round(Number(cols[9])),
    command: `java ${args.join(' ').replace(CLASSPATH, "'deploy/kafka/libs/*'")}`,
  };
}

export interface PgInsertRate {
  rows: number;
  batch: number;
  seconds: number;
  rowsPerSecond: number;
  statement: string;
}

/**
 * node-pg, one connection, `INSERT ... SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])` in
 * batches of 1000 rows (random UUID keys, a claim-sized row) into a scratch table of a scratch
 * database that is dropped afterwards.
 */
export async function pgInsertRate(serverUrl: string, rows: number, batch = 1000): Promise<PgInsertRate> {
  const name = `bench_test_scratch_${Date.now().toString(36)}`;
  await ensureDatabase(serverUrl, name);
  const c = new Client({ connectionString: databaseUrl(serverUrl, name) });
  const statement = 'INSERT INTO scratch (id, account_id, payload) SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[])';
  try {
    await c.connect();
    await c.query('CREATE TABLE scratch (id uuid PRIMARY KEY, account_id text NOT NULL, payload text NOT NULL, created_at timestamptz NOT NULL DEFAULT now())');
    const { randomUUID } = await import('node:crypto');
    const payload = 'x'.repeat(100);
    const t0 = process.hrtime.bigint();
    for (let done = 0; done < rows; done += batch) {
      const n = Math.min(batch, rows - done);
      const ids: string[] = [];
      const accounts: string[] = [];
      const payloads: string[] = [];
      for (let i = 0; i < n; i++) {
        ids.push(randomUUID());
        accounts.push(`acct-${done + i}`);
        payloads.push(payload);
      }
      await c.query(statement, [ids, accounts, payloads]);
    }
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    return { rows, batch, seconds: Math.round(seconds * 100) / 100, rowsPerSecond: Math.round(rows / seconds), statement };
  } finally {
    await c.end().catch(() => undefined);
    await dropDatabase(serverUrl, name);
  }
}
