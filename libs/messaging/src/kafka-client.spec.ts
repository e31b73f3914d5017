import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { kafkaSecurityEnv, loadConfig } from '@platform/config';
import { kafkaSecurityOptions } from './kafka-client';

describe('Kafka client security from validated config', () => {
  it('is PLAINTEXT (no sasl, no ssl) by default', () => {
    expect(kafkaSecurityOptions(loadConfig(kafkaSecurityEnv, {}))).toEqual({});
  });

  it('builds SCRAM-SHA-512 credentials, the password read from a file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-sec-'));
    writeFileSync(path.join(dir, 'pw'), 's3cret\n');
    const env = loadConfig(kafkaSecurityEnv, {
      KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
      KAFKA_SASL_USERNAME: 'claims',
      KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'pw'),
    });
    expect(kafkaSecurityOptions(env)).toEqual({ sasl: { mechanism: 'scram-sha-512', username: 'claims', password: 's3cret' } });
  });

  it('refuses a SASL protocol without credentials instead of connecting anonymously', () => {
    const env = loadConfig(kafkaSecurityEnv, { KAFKA_SECURITY_PROTOCOL: 'SASL_SSL', KAFKA_SASL_USERNAME: 'claims' });
    expect(() => kafkaSecurityOptions(env)).toThrow(/KAFKA_SASL_PASSWORD/);
  });

  it('turns TLS on for SASL_SSL with the CA file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kafka-sec-'));
    writeFileSync(path.join(dir, 'ca.pem'), 'PEM');
    const env = loadConfig(kafkaSecurityEnv, {
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SASL_USERNAME: 'ops',
      KAFKA_SASL_PASSWORD: 'x',
      KAFKA_TLS_CA_FILE: path.join(dir, 'ca.pem'),
    });
    expect(kafkaSecurityOptions(env)).toEqual({
      ssl: { ca: ['PEM'] },
      sasl: { mechanism: 'scram-sha-512', username: 'ops', password: 'x' },
    });
  });

  it('rejects an unknown protocol at boot', () => {
    expect(() => loadConfig(kafkaSecurityEnv, { KAFKA_SECURITY_PROTOCOL: 'SASL_SCRAM' })).toThrow(/KAFKA_SECURITY_PROTOCOL/);
  });
});
