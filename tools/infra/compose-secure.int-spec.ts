// The docker compose secure mode, run without Docker: a native broker started from the exact
// properties the apache/kafka image renders out of the merged compose environment, the kafka-users
// one-shot's own script, and the topics and acls one-shots as their compose environment says. Then
// what the mode promises: services log in with SCRAM and write only what they own, kcat logs in
// with PLAIN and is refused a decision, an anonymous client is refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SafePublisher } from '@platform/messaging';
import { uniqueSuffix, waitFor } from '@platform/testing';
import { kafkaImageProperties, mergedSecureCompose, secretsMount, serviceEnv } from './compose-config';
import { writeComposeSecrets } from './compose-secrets';
import { ensureKafkaLibs, toolKafka } from './kafka';
import { KAFKA_LIBS_DIR, LOCAL_DIR, ROOT } from './paths';
import { portOpen } from './processes';

jest.setTimeout(240_000);

// Below Linux's ephemeral range (32768-60999), clear of the other test clusters.
const PORT = 26092;
const CONTROLLER_PORT = PORT + 1;
const HOST_PORT = PORT + 2;

const config = mergedSecureCompose();
const kcatInstalled = !spawnSync('kcat', ['-V']).error;
const maybe = config ? describe : describe.skip;

maybe('docker compose secure mode on a native broker', () => {
  const services = config?.services ?? {};
  const dir = path.join(LOCAL_DIR, `compose-secure-${uniqueSuffix()}`);
  const secrets = path.join(dir, 'secrets');
  let broker: ChildProcess | undefined;
  let brokerLog = '';

  /** Container addresses and paths -> this machine's. */
  const localize = (v: string, secretsAt: string | undefined) => {
    let out = v
      .replace(/kafka:29092|:\/\/:29092/g, (m) => (m.startsWith(':') ? `://127.0.0.1:${PORT}` : `127.0.0.1:${PORT}`))
      .replace(/kafka:9093|:\/\/:9093/g, (m) => (m.startsWith(':') ? `://127.0.0.1:${CONTROLLER_PORT}` : `127.0.0.1:${CONTROLLER_PORT}`))
      .replace(/localhost:9092|:\/\/:9092/g, (m) => (m.startsWith(':') ? `://127.0.0.1:${HOST_PORT}` : `127.0.0.1:${HOST_PORT}`));
    if (secretsAt) out = out.split(secretsAt).join(secrets);
    return out;
  };
  const envOf = (name: string): Record<string, string> => {
    const s = services[name];
    return Object.fromEntries(Object.entries(serviceEnv(s)).map(([k, v]) => [k, localize(v, secretsMount(s))]));
  };
  const java = (args: string[], opts: { timeout?: number } = {}) =>
    spawnSync('java', ['-Xmx256m', '-cp', `${KAFKA_LIBS_DIR}/*`, ...args], { encoding: 'utf8', timeout: opts.timeout ?? 60_000 });
  const cli = (args: string[], env: Record<string, string>) =>
    spawnSync(process.execPath, [path.join(ROOT, 'tools/run.js'), 'tools/infra/cli.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, ...env },
      timeout: 120_000,
    });

  beforeAll(async () => {
    await ensureKafkaLibs();
    writeComposeSecrets(secrets, { internalBootstrap: `127.0.0.1:${PORT}`, hostBootstrap: `127.0.0.1:${HOST_PORT}` });
    const kafka = services.kafka;
    const env = serviceEnv(kafka);
    const props = Object.fromEntries(Object.entries(kafkaImageProperties(env)).map(([k, v]) => [k, localize(v, secretsMount(kafka))]));
    props['log.dirs'] = path.join(dir, 'data');
    const file = path.join(dir, 'server.properties');
    fs.writeFileSync(
      file,
      `${Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
    );
    const format = java(['kafka.tools.StorageTool', 'format', '-t', env.CLUSTER_ID ?? '', '-c', file]);
    if (format.status !== 0) throw new Error(`format: ${format.stdout}${format.stderr}`);
    const jaas = /-Djava\.security\.auth\.login\.config=(\S+)/.exec(localize(env.KAFKA_OPTS ?? '', secretsMount(kafka)))?.[1];
    if (!jaas) throw new Error('KAFKA_OPTS names no JAAS file');
    broker = spawn('java', ['-Xmx384m', `-Djava.security.auth.login.config=${jaas}`, '-cp', `${KAFKA_LIBS_DIR}/*`, 'kafka.Kafka', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    broker.stdout?.on('data', (d: Buffer) => (brokerLog = (brokerLog + d.toString()).slice(-20_000)));
    broker.stderr?.on('data', (d: Buffer) => (brokerLog = (brokerLog + d.toString()).slice(-20_000)));
    try {
      await waitFor('broker listening', () => portOpen(PORT, '127.0.0.1'), 60_000, 250);
    } catch (e) {
      throw new Error(`${String(e)}\n${brokerLog}`);
    }
    // the kafka-users one-shot, its own script: a SCRAM credential per principal, as admin over PLAIN
    const users = services['kafka-users'];
    const script = localize((users?.command ?? []).join('\n'), secretsMount(users))
      .replace(/\$\$/g, '$')
      .replace(
        /\/opt\/kafka\/bin\/kafka-configs\.sh/g,
        `java -Xmx128m -XX:TieredStopAtLevel=1 -cp '${KAFKA_LIBS_DIR}/*' org.apache.kafka.tools.ConfigCommand`,
      );
    const created = spawnSync('bash', ['-ec', script], { encoding: 'utf8', timeout: 180_000 });
    if (created.status !== 0) throw new Error(`kafka-users: ${created.stdout}${created.stderr}`);
    for (const [name, args] of [
      ['topics', ['topics']],
      ['acls', ['acls']],
    ] as const) {
      const r = cli([...args], envOf(name));
      if (r.status !== 0) throw new Error(`${name}: ${r.stdout}${r.stderr}`);
    }
  });

  afterAll(async () => {
    // the broker's files go once the process has exited (its exit event), not after a guessed pause
    if (broker && broker.exitCode === null && broker.signalCode === null) {
      const exited = new Promise((r) => broker?.once('exit', r));
      broker.kill('SIGKILL');
      await exited;
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Publishes as a compose service, with its merged environment (SCRAM, password file). */
  async function publishAs(service: string, topic: string): Promise<void> {
    const env = envOf(service);
    const kafka = toolKafka({ profile: 'service', brokers: [`127.0.0.1:${PORT}`], clientId: `compose-${service}`, security: env });
    const publisher = new SafePublisher(kafka, { sendTimeoutMs: 10_000 });
    try {
      await publisher.publish([{ topic, key: 'acct-1', value: Buffer.from('{}'), headers: {} }]);
    } finally {
      await publisher.close();
    }
  }

  it('lets each service write what it owns with its SCRAM login, and nothing else', async () => {
    expect(envOf('claims').KAFKA_SASL_MECHANISM).toBe('scram-sha-512');
    // SCRAM users and ACLs reach the broker's authorizer through the metadata log a moment after
    // the one-shots return (a service started then is refused once and restarted by compose)
    await waitFor(
      'claims can write its decisions',
      () =>
        publishAs('claims', 'compensation.claim.decided.v1').then(
          () => true,
          () => false,
        ),
      30_000,
      500,
    );
    await expect(publishAs('claims', 'compensation.claim.decided.v1')).resolves.toBeUndefined();
    await expect(publishAs('coupons', 'coupon.issued.v1')).resolves.toBeUndefined();
    await expect(publishAs('claims', 'coupon.issued.v1')).rejects.toThrow(/authoriz/i);
    await expect(publishAs('coupons', 'compensation.claim.decided.v1')).rejects.toThrow(/authoriz/i);
  });

  (kcatInstalled ? it : it.skip)('lets kcat as app-backend write claims, never decisions; refuses an anonymous client', () => {
    const props = path.join(secrets, 'app-backend.properties');
    const kcat = (args: string[], input?: string) =>
      spawnSync('kcat', ['-X', 'message.timeout.ms=10000', ...args], { input, encoding: 'utf8', timeout: 30_000 });
    expect(kcat(['-F', props, '-P', '-t', 'compensation.claim.requested.v1', '-k', 'acct-1'], '{"probe":1}\n').status).toBe(0);
    const decided = kcat(['-F', props, '-P', '-t', 'compensation.claim.decided.v1', '-k', 'acct-1'], '{"probe":1}\n');
    expect(decided.status).not.toBe(0);
    expect(`${decided.stdout}${decided.stderr}`).toMatch(/authoriz/i);
    expect(kcat(['-b', `127.0.0.1:${HOST_PORT}`, '-L', '-m', '5']).status).not.toBe(0);
  });
});
