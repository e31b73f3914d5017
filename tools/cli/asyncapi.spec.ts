import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allTopicSpecs, buildAsyncApi, dlqName } from '@platform/contracts';
import { DLQ_HEADERS } from '@platform/messaging';

describe('docs/asyncapi.json', () => {
  it('matches the contract schemas (run `npm run asyncapi` after changing a schema)', () => {
    const root = path.resolve(__dirname, '../..');
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const committed = JSON.parse(readFileSync(path.join(root, 'docs/asyncapi.json'), 'utf8')) as unknown;
    expect(committed).toEqual(JSON.parse(JSON.stringify(buildAsyncApi(version))));
  });
});

describe('the AsyncAPI dead-letter channels', () => {
  const doc = buildAsyncApi('test') as {
    channels: Record<string, { address: string }>;
    components: { messages: Record<string, { headers?: { properties: Record<string, unknown> }; examples?: unknown[] }> };
    servers: Record<string, { host: string; protocol: string }>;
  };

  it('list a <topic>.dlq channel for every consumed topic, with the headers the messaging lib writes and an example', () => {
    const addresses = Object.values(doc.channels).map((c) => c.address);
    for (const t of allTopicSpecs.filter((s) => s.consumed)) expect(addresses).toContain(dlqName(t.name));
    const dlqMessages = Object.entries(doc.components.messages).filter(([id]) => id.endsWith('_dlq'));
    expect(dlqMessages.length).toBe(allTopicSpecs.filter((s) => s.consumed).length);
    for (const [, m] of dlqMessages) {
      expect(Object.keys(m.headers?.properties ?? {})).toEqual(expect.arrayContaining(Object.values(DLQ_HEADERS)));
      expect(m.examples?.length).toBeGreaterThan(0);
    }
  });

  it('name the brokers to connect to', () => {
    expect(doc.servers.local).toEqual(expect.objectContaining({ host: '127.0.0.1:9092', protocol: 'kafka' }));
  });
});
