import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes } from 'kafkajs';
import { KAFKA_PRINCIPALS } from '@platform/contracts';
import { clusterCredentials, scramFormatArgs, secureNodeProperties, toAclEntry, writeClientProperties } from './kafka-security';

describe('the secured cluster settings', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'kafka-sec-'));
  const creds = clusterCredentials(dir);

  it('keeps one password per principal (and the broker), stable across calls, in a 600 file', () => {
    expect(Object.keys(creds).sort()).toEqual([...KAFKA_PRINCIPALS, 'broker'].sort());
    expect(clusterCredentials(dir)).toEqual(creds);
    expect(statSync(path.join(dir, 'scram-credentials.json')).mode & 0o777).toBe(0o600);
  });

  it('formats the storage with a SCRAM-SHA-512 credential for every principal', () => {
    const args = scramFormatArgs(creds);
    expect(args.filter((a) => a === '--add-scram')).toHaveLength(KAFKA_PRINCIPALS.length + 1);
    expect(args).toContain(`SCRAM-SHA-512=[name=app-backend,password=${creds['app-backend']}]`);
  });

  it('denies by default with the KRaft authorizer; only broker and admin are super users', () => {
    const p = secureNodeProperties({ port: 19092, controllerPort: 19093, host: '127.0.0.1', credentials: creds });
    expect(p['authorizer.class.name']).toBe('org.apache.kafka.metadata.authorizer.StandardAuthorizer');
    expect(p['allow.everyone.if.no.acl.found']).toBe('false');
    expect(p['super.users']).toBe('User:broker;User:admin');
    expect(p.listeners).toBe('SASL_PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(p['listener.security.protocol.map']).not.toMatch(/:PLAINTEXT/);
    // librdkafka tools log in with PLAIN as the same principals; services and Java tools use SCRAM
    expect(p['sasl.enabled.mechanisms']).toBe('SCRAM-SHA-512,PLAIN');
    expect(p['sasl.mechanism.inter.broker.protocol']).toBe('SCRAM-SHA-512');
    expect(p['listener.name.sasl_plaintext.plain.sasl.jaas.config']).toContain(`user_app-backend="${creds['app-backend']}"`);
  });

  it('writes kcat (librdkafka) and Java client properties per principal, mode 600', () => {
    const out = mkdtempSync(path.join(tmpdir(), 'kafka-props-'));
    writeClientProperties(creds, ['127.0.0.1:19092', '127.0.0.1:29092'], out);
    const kcat = readFileSync(path.join(out, 'app-backend.properties'), 'utf8');
    expect(kcat).toContain('bootstrap.servers=127.0.0.1:19092,127.0.0.1:29092\n');
    expect(kcat).toContain('security.protocol=SASL_PLAINTEXT\n');
    expect(kcat).toContain('\nsasl.mechanism=PLAIN\nsasl.username=app-backend\n');
    expect(kcat).toContain(`sasl.password=${creds['app-backend']}\n`);
    expect(kcat).not.toContain('sasl.jaas.config');
    expect(readFileSync(path.join(out, 'app-backend.jvm.properties'), 'utf8')).toContain('sasl.mechanism=SCRAM-SHA-512\n');
    expect(readFileSync(path.join(out, 'app-backend.jvm.properties'), 'utf8')).toContain(
      `username="app-backend" password="${creds['app-backend']}";`,
    );
    expect(statSync(path.join(out, 'ops.properties')).mode & 0o777).toBe(0o600);
  });

  it('maps a generated rule to a kafkajs ACL entry', () => {
    expect(toAclEntry({ principal: 'ops', operation: 'Read', resource: { type: 'group', name: 'audit-', patternType: 'prefix' } })).toEqual(
      {
        resourceType: AclResourceTypes.GROUP,
        resourceName: 'audit-',
        resourcePatternType: ResourcePatternTypes.PREFIXED,
        principal: 'User:ops',
        host: '*',
        operation: AclOperationTypes.READ,
        permissionType: AclPermissionTypes.ALLOW,
      },
    );
  });
});
