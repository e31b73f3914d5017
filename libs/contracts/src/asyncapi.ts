import { z } from 'zod';
import { DLQ_REASONS } from './reasons';
import { allTopicSpecs, dlqName, TopicSpec } from './topics';

/**
 * The headers of a dead letter (libs/messaging writes them; tools/cli/asyncapi.spec.ts checks the
 * names match). The original headers (traceparent, ...) are kept next to them.
 */
export const DLQ_HEADER_SCHEMA = {
  type: 'object',
  required: [
    'dlq-reason',
    'dlq-source-topic',
    'dlq-source-partition',
    'dlq-source-offset',
    'dlq-source-timestamp',
    'dlq-consumer-group',
    'dlq-failed-at',
  ],
  properties: {
    'dlq-reason': {
      type: 'string',
      pattern: `^(${Object.keys(DLQ_REASONS).join('|')})(: .*)?$`,
      description: `CODE: detail. Codes: ${Object.entries(DLQ_REASONS)
        .map(([c, d]) => `${c} (${d})`)
        .join('; ')}.`,
    },
    'dlq-source-topic': { type: 'string', description: 'the topic the message was consumed from (no test prefix)' },
    'dlq-source-partition': { type: 'string', description: 'its partition' },
    'dlq-source-offset': { type: 'string', description: 'its offset (replay: npm run dlq -- replay <dlq> --partition P --offset O)' },
    'dlq-source-timestamp': { type: 'string', description: 'its Kafka timestamp, ISO-8601 (or as Kafka gave it when that is not a date)' },
    'dlq-consumer-group': { type: 'string', description: 'the consumer group that parked it' },
    'dlq-failed-at': { type: 'string', format: 'date-time', description: 'when it was parked' },
    'dlq-original-headers': {
      type: 'string',
      description: 'base64 JSON [[key, base64 | null], ...] of the exact original headers, when they could not be copied as they were',
    },
    'dlq-replayed-by': { type: 'string', description: 'on a replayed copy: who replayed it' },
    traceparent: { type: 'string', description: 'the original message trace context, kept' },
  },
} as const;

function dlqChannel(spec: TopicSpec) {
  const id = `${spec.name.replace(/[^a-zA-Z0-9]/g, '_')}_dlq`;
  const message = {
    name: dlqName(spec.name),
    title: `Dead letters of ${spec.name}`,
    summary: `Messages of ${spec.name} that could not be decided: the original key and bytes (any, possibly not JSON), the original headers and why.`,
    headers: DLQ_HEADER_SCHEMA,
    payload: { description: `the original value of the ${spec.name} message, byte for byte (may be empty, malformed or oversized)` },
    bindings: { kafka: { key: { type: 'string', description: 'the original key, byte for byte' } } },
    examples: [
      {
        name: 'schema-violation',
        summary: 'a message missing a listed field',
        headers: {
          'dlq-reason': 'SCHEMA_VIOLATION: accountId: Invalid input: expected string, received undefined',
          'dlq-source-topic': spec.name,
          'dlq-source-partition': '3',
          'dlq-source-offset': '1041',
          'dlq-source-timestamp': '2022-10-19T01:00:00.000Z',
          'dlq-consumer-group': 'claims',
          'dlq-failed-at': '2022-10-19T01:00:00.150Z',
          traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
        },
        payload: { eventId: 'ev-1' },
      },
    ],
  };
  return { id, message };
}

/**
 * The public contract as an AsyncAPI 3.0 document, generated from the same zod schemas that
 * producers and consumers validate with, so the document cannot drift from the code.
 */
export function buildAsyncApi(version: string): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const spec of allTopicSpecs) {
    const id = spec.name.replace(/[^a-zA-Z0-9]/g, '_');
    messages[id] = {
      name: spec.name,
      title: spec.name,
      summary: spec.summary,
      contentType: 'application/json',
      headers: {
        type: 'object',
        properties: { traceparent: { type: 'string', description: 'W3C trace context' } },
      },
      payload: z.toJSONSchema(spec.schema, { io: 'input', unrepresentable: 'any' }),
      bindings: { kafka: { key: { type: 'string', description: 'account id or merchant id' } } },
    };
    channels[id] = {
      address: spec.name,
      description: `${spec.summary} Partitions: ${spec.partitions}.${spec.consumed ? ` Dead letters: ${dlqName(spec.name)}.` : ''}`,
      messages: { [id]: { $ref: `#/components/messages/${id}` } },
    };
    operations[`${spec.direction === 'inbound' ? 'receive' : 'send'}_${id}`] = {
      action: spec.direction === 'inbound' ? 'receive' : 'send',
      channel: { $ref: `#/channels/${id}` },
    };
    if (spec.consumed) {
      const dlq = dlqChannel(spec);
      messages[dlq.id] = dlq.message;
      channels[dlq.id] = {
        address: dlqName(spec.name),
        description: `Dead letters of ${spec.name} (written by its consumers; inspect and replay with npm run dlq).`,
        messages: { [dlq.id]: { $ref: `#/components/messages/${dlq.id}` } },
      };
      operations[`send_${dlq.id}`] = { action: 'send', channel: { $ref: `#/channels/${dlq.id}` } };
    }
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'Compensation campaign platform events',
      version,
      description:
        'Messages are JSON, keyed by account (or merchant) id, with a W3C traceparent header. ' +
        'Times are ISO-8601 with offset; money is integer won. Every consumed topic has a `<topic>.dlq` ' +
        'dead-letter topic carrying the original bytes, headers and a reason (header dlq-reason).',
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:9092',
        protocol: 'kafka',
        description: 'npm start: one broker, PLAINTEXT',
      },
      secured: {
        host: '127.0.0.1:19092',
        protocol: 'kafka',
        description:
          'npm run infra:up -- --brokers 3 (also 127.0.0.1:29092, 127.0.0.1:39092): SASL/SCRAM-SHA-512, one principal per service, ACLs from the ownership table (docs/security.md)',
        security: [{ $ref: '#/components/securitySchemes/scram' }],
      },
    },
    channels,
    operations,
    components: {
      messages,
      securitySchemes: {
        scram: { type: 'scramSha512', description: 'a principal per service (.local/credentials/<principal>.properties)' },
      },
    },
  };
}
