// Secrets of the docker compose secure mode (docker-compose.secure.yml), written by its one-shot
// `kafka-secrets` service into a volume every container mounts read-only: a password per Kafka
// principal (services read theirs through KAFKA_SASL_PASSWORD_FILE), the broker's JAAS file, and
// client files for the Kafka CLI tools and kcat. Kept across restarts: the SCRAM users created
// from them live in Kafka's metadata and must keep matching.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { KAFKA_PRINCIPALS } from '@platform/contracts';
import { BROKER_PRINCIPAL, LIBRDKAFKA_SASL_MECHANISM } from './kafka-security';

export const COMPOSE_SECRET_PRINCIPALS = [...KAFKA_PRINCIPALS, BROKER_PRINCIPAL] as const;

export const passwordFile = (dir: string, principal: string) => path.join(dir, `${principal}.password`);

function readOrCreatePassword(dir: string, principal: string): string {
  const file = passwordFile(dir, principal);
  if (fs.existsSync(file)) {
    const stored = fs.readFileSync(file, 'utf8').trim();
    if (stored) return stored;
  }
  // base64url: safe in a JAAS string, the --add-config SCRAM syntax and a properties file
  const pw = crypto.randomBytes(24).toString('base64url');
  fs.writeFileSync(file, `${pw}\n`, { mode: 0o640 });
  return pw;
}

/**
 * Writes (once) `<principal>.password` for every principal and the broker, then (always, from those)
 * `broker_jaas.conf`, `admin-plain.jvm.properties` (the CLI tools' bootstrap login: PLAIN, because
 * no SCRAM user exists before the first start) and `<principal>.properties` for kcat from the host.
 * Returns the principals written.
 */
export function writeComposeSecrets(dir: string, o: { internalBootstrap?: string; hostBootstrap?: string } = {}): string[] {
  fs.mkdirSync(dir, { recursive: true, mode: 0o750 });
  const pw = Object.fromEntries(COMPOSE_SECRET_PRINCIPALS.map((p) => [p, readOrCreatePassword(dir, p)])) as Record<string, string>;
  const users = COMPOSE_SECRET_PRINCIPALS.map((p) => `    user_${p}="${pw[p]}"`).join('\n');
  // One KafkaServer section for every listener: PLAIN checks the users listed here (inter-broker,
  // controller, kcat), SCRAM checks the credentials in Kafka's metadata (services).
  const jaas = [
    'KafkaServer {',
    '  org.apache.kafka.common.security.plain.PlainLoginModule required',
    `    username="${BROKER_PRINCIPAL}"`,
    `    password="${pw[BROKER_PRINCIPAL]}"`,
    `${users};`,
    '  org.apache.kafka.common.security.scram.ScramLoginModule required;',
    '};',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(dir, 'broker_jaas.conf'), jaas, { mode: 0o640 });
  const internal = o.internalBootstrap ?? 'kafka:29092';
  fs.writeFileSync(
    path.join(dir, 'admin-plain.jvm.properties'),
    [
      `bootstrap.servers=${internal}`,
      'security.protocol=SASL_PLAINTEXT',
      'sasl.mechanism=PLAIN',
      `sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="${pw.admin}";`,
      '',
    ].join('\n'),
    { mode: 0o640 },
  );
  for (const p of KAFKA_PRINCIPALS) {
    fs.writeFileSync(
      path.join(dir, `${p}.properties`),
      [
        `# Kafka principal ${p} of the docker compose secure mode, for kcat from the host (kcat -F)`,
        `bootstrap.servers=${o.hostBootstrap ?? 'localhost:9092'}`,
        'security.protocol=SASL_PLAINTEXT',
        `sasl.mechanism=${LIBRDKAFKA_SASL_MECHANISM}`,
        `sasl.username=${p}`,
        `sasl.password=${pw[p]}`,
        '',
      ].join('\n'),
      { mode: 0o640 },
    );
  }
  return [...COMPOSE_SECRET_PRINCIPALS];
}
