import { Logger } from '@nestjs/common';
import { CustomTransportStrategy, Server } from '@nestjs/microservices';
import { isObservable, lastValueFrom } from 'rxjs';
import { PLATFORM_SERVICES, PlatformService, ServiceTopics, TopicKey, Topics, topicSpecByName } from '@platform/contracts';
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
    let handlers: TopicHandler[];
    try {
      handlers = this.bindHandlers();
    } catch (e) {
      // Through the callback: a rejected listen() would leave Nest's startup waiting forever.
      this.log.error(String(e));
      callback(e);
      return;
    }
    try {
      if (handlers.length > 0) await this.runtime.startConsumer(handlers);
      callback();
    } catch (e) {
      this.log.error(`could not start consumers: ${String(e)}`);
      callback(e);
    }
  }

  /**
   * The `@OnBatch` handlers as topic handlers, or a refusal to start. A handler on a topic the
   * contract does not mark consumed would dead-letter into a topic nobody created; one on a topic
   * outside the service's consumes list would be refused by the broker's ACLs; a second handler on
   * one topic would be silently ignored (Nest chains event handlers, the consumer calls one).
   */
  private bindHandlers(): TopicHandler[] {
    const service = this.runtime.options.service;
    const allowed = (PLATFORM_SERVICES as readonly string[]).includes(service)
      ? ServiceTopics[service as PlatformService].consumes
      : undefined;
    const problems: string[] = [];
    const handlers: TopicHandler[] = [];
    for (const [pattern, nestHandler] of this.messageHandlers) {
      const key = (Object.keys(Topics) as TopicKey[]).find((k) => Topics[k].name === pattern);
      const spec = topicSpecByName(pattern);
      if (!key || !spec) {
        problems.push(`@OnBatch pattern ${pattern} is not a known topic`);
        continue;
      }
      if (nestHandler.next) problems.push(`two @OnBatch('${key}') handlers: one topic, one handler per service`);
      if (!spec.consumed)
        problems.push(`@OnBatch('${key}'): ${spec.name} is not marked consumed in the contract (no dead-letter topic exists for it)`);
      else if (allowed && !allowed.includes(key))
        problems.push(`@OnBatch('${key}'): ${service} does not consume ${spec.name} (ServiceTopics in @platform/contracts)`);
      handlers.push({
        spec,
        handle: async (messages: InboundMessage<unknown>[], ctx: TxContext) => {
          const out: unknown = await nestHandler(messages, ctx);
          if (isObservable(out)) await lastValueFrom(out, { defaultValue: undefined });
        },
      });
    }
    if (problems.length > 0) throw new Error(`${service} refuses to start its consumers: ${problems.join('; ')}`);
    return handlers;
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
