import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { KAFKA_PRINCIPALS } from '@platform/contracts';
import { passwordFile, writeComposeSecrets } from './compose-secrets';

describe('docker compose secure-mode secrets', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-secrets-'));
  writeComposeSecrets(dir);
  const pw = (p: string) => readFileSync(passwordFile(dir, p), 'utf8').trim();

  it('gives every principal and the broker its own password, kept on the next run', () => {
    const first = [...KAFKA_PRINCIPALS, 'broker'].map(pw);
    expect(new Set(first).size).toBe(first.length);
    for (const p of first) expect(p).toMatch(/^[A-Za-z0-9_-]{32}$/);
    writeComposeSecrets(dir);
    expect([...KAFKA_PRINCIPALS, 'broker'].map(pw)).toEqual(first);
    expect(statSync(passwordFile(dir, 'claims')).mode & 0o077).toBe(0o040);
  });

  it('lists every principal as a PLAIN user in the broker JAAS file, next to SCRAM', () => {
    const jaas = readFileSync(path.join(dir, 'broker_jaas.conf'), 'utf8');
    for (const p of KAFKA_PRINCIPALS) expect(jaas).toContain(`user_${p}="${pw(p)}"`);
    expect(jaas).toContain(`username="broker"\n    password="${pw('broker')}"`);
    expect(jaas).toMatch(/ScramLoginModule required;\n};\n$/);
  });

  it('writes kcat files with PLAIN (Debian kcat cannot SCRAM against Kafka 4) and an admin file for the CLI tools', () => {
    const kcat = readFileSync(path.join(dir, 'app-backend.properties'), 'utf8');
    expect(kcat).toContain('bootstrap.servers=localhost:9092\nsecurity.protocol=SASL_PLAINTEXT\nsasl.mechanism=PLAIN\n');
    expect(kcat).toContain(`sasl.username=app-backend\nsasl.password=${pw('app-backend')}\n`);
    expect(readFileSync(path.join(dir, 'admin-plain.jvm.properties'), 'utf8')).toContain(`username="admin" password="${pw('admin')}";`);
  });
});
