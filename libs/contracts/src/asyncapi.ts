import { z } from 'zod';
import { allTopicSpecs, dlqName } from './topics';

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
    channels,
    operations,
    components: { messages },
  };
}
