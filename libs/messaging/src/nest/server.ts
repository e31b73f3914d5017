import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { topicSpecByName } from '@platform/contracts';
import { TopicHandler } from '../consumer';
import { InboundMessage, TxContext } from '../tx-context';
import { MessagingRuntime } from './runtime';

/**
 * A `@nestjs/microservices` transport strategy that feeds `@OnBatch(...)` handlers with whole
 * batches inside a transaction, instead of the stock Kafka transport's one message at a time with
 * auto-commit (notes A.1 N1-N8). Handlers receive `(messages, ctx)`.
 */
export class KafkaBatchServer extends Server implements CustomTransportStrategy {
  private readonly log = new Logger('KafkaBatchServer');

  constructor(private readonly runtime: MessagingRuntime) {
    super();
  }

  async listen(callback: (...args: unknown[]) => void): Promise<void> {
    const handlers: TopicHandler[] = [];
    for (const [pattern, nestHandler] of this.messageHandlers) {
      const spec = topicSpecByName(pattern);
      // A handler for a topic the contract does not know is a bug: refuse to start.
      if (!spec) throw new Error(`@OnBatch pattern ${pattern} is not a known topic`);
      handlers.push({
        spec,
        handle: async (messages: InboundMessage<unknown>[], ctx: TxContext) => {
          const out: unknown = await nestHandler(messages, ctx);
          if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
        },
      });
    }
    try {
      if (handlers.length > 0) await this.runtime.startConsumer(handlers);
      callback();
    } catch (e) {
      this.log.error(`could not start consumers: ${String(e)}`);
      callback(e);
    }
  }

  async close(): Promise<void> {
    await this.runtime.stopConsumers();
  }

  on(): void {
    // kafkajs events are handled inside BatchConsumer.
  }

  unwrap<T>(): T {
    return this.runtime.kafka as T;
  }
}
