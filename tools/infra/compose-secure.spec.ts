// The docker compose secure mode (docker-compose.secure.yml) merged over docker-compose.yml, as
// `docker compose config` sees it: no PLAINTEXT listener, deny-by-default ACLs, and every
// container that talks to Kafka does so as a principal of the ownership table. A service added to
// docker-compose.yml without its principal here fails this test. No Docker engine needed.
import fs from 'node:fs';
import path from 'node:path';
import { KAFKA_PRINCIPALS } from '@platform/contracts';
import { ROOT } from './paths';
import { COMPOSE_SECRET_PRINCIPALS } from './compose-secrets';
import { kafkaImageProperties, mergedSecureCompose, secretsMount as secretsTarget, serviceEnv as env } from './compose-config';

const config = mergedSecureCompose();
const maybe = config ? describe : describe.skip;

maybe('docker compose secure mode', () => {
  const services = config?.services ?? {};

  it('runs Kafka with SASL on every listener and the deny-by-default StandardAuthorizer', () => {
    const kafka = env(services.kafka);
    expect(kafka.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP?.split(',').map((l) => l.split(':')[1])).toEqual([
      'SASL_PLAINTEXT',
      'SASL_PLAINTEXT',
      'SASL_PLAINTEXT',
    ]);
    expect(kafka.KAFKA_AUTHORIZER_CLASS_NAME).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(kafka.KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND).toBe('false');
    expect(kafka.KAFKA_SUPER_USERS).toBe('User:broker;User:admin');
    // the JAAS file kafka-secrets writes, on the volume the broker mounts
    expect(kafka.KAFKA_OPTS).toBe(`-Djava.security.auth.login.config=${secretsTarget(services.kafka)}/broker_jaas.conf`);
    expect(services.kafka?.depends_on?.['kafka-secrets']?.condition).toBe('service_completed_successfully');
    // as the image renders them
    expect(kafkaImageProperties(kafka)).toMatchObject({
      'listener.security.protocol.map': kafka.KAFKA_LISTENER_SECURITY_PROTOCOL_MAP,
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512,PLAIN',
      'sasl.mechanism.inter.broker.protocol': 'PLAIN',
      'allow.everyone.if.no.acl.found': 'false',
    });
  });

  it('connects every container that talks to Kafka as its own principal, with a password file it mounts', () => {
    // an app talks to Kafka when its code uses the messaging lib (the simulator does not)
    const usesMessaging = (dir: string): boolean =>
      fs.existsSync(dir) &&
      fs
        .readdirSync(dir, { withFileTypes: true, recursive: true })
        .some(
          (f) =>
            f.isFile() &&
            f.name.endsWith('.ts') &&
            fs.readFileSync(path.join(f.parentPath, f.name), 'utf8').includes("'@platform/messaging'"),
        );
    const kafkaClients = Object.entries(services).filter(
      ([name, s]) => env(s).KAFKA_BROKERS && (name === 'topics' || name === 'acls' || usesMessaging(path.join(ROOT, 'apps', name, 'src'))),
    );
    expect(kafkaClients.map(([n]) => n)).toEqual(
      expect.arrayContaining(['claims', 'emoticons', 'coupons', 'pass-dispatcher', 'merchant-relief', 'topics', 'acls']),
    );
    for (const [name, s] of kafkaClients) {
      const e = env(s);
      const oneShot = name === 'topics' || name === 'acls';
      // a service is its own principal; the one-shots are admin, the ops console acts as ops
      const principal = oneShot ? 'admin' : name === 'ops-console' ? 'ops' : name;
      expect({ name, principal: e.KAFKA_SASL_USERNAME }).toEqual({ name, principal });
      expect(KAFKA_PRINCIPALS as readonly string[]).toContain(principal);
      expect(e.KAFKA_SECURITY_PROTOCOL).toBe('SASL_PLAINTEXT');
      expect(e.KAFKA_SASL_MECHANISM).toBe(oneShot ? 'plain' : 'scram-sha-512');
      expect(e.KAFKA_SASL_PASSWORD_FILE).toBe(`${secretsTarget(s)}/${principal}.password`);
      expect(COMPOSE_SECRET_PRINCIPALS as readonly string[]).toContain(principal);
      if (!oneShot) {
        // SCRAM users and ACLs exist before a service connects
        expect(s.depends_on?.['kafka-users']?.condition).toBe('service_completed_successfully');
        expect(s.depends_on?.acls?.condition).toBe('service_completed_successfully');
      }
    }
  });

  it('runs the bootstrap one-shots in order: secrets, broker, SCRAM users, topics, ACLs', () => {
    expect(services['kafka-secrets']?.command).toEqual([
      'node',
      'dist/tools/infra/cli.js',
      'compose-secrets',
      '/secrets',
      '--owner',
      '1000:1000',
    ]);
    expect(services['kafka-users']?.depends_on?.kafka?.condition).toBe('service_healthy');
    expect(services.acls?.command).toEqual(['node', 'dist/tools/infra/cli.js', 'acls']);
    expect(services.acls?.depends_on?.topics?.condition).toBe('service_completed_successfully');
    expect(fs.existsSync(path.join(ROOT, 'tools/infra/cli.ts'))).toBe(true);
  });
});
