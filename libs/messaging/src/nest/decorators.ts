import { applyDecorators, ArgumentsHost, Catch, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { PayloadOf, TopicKey, Topics } from '@platform/contracts';
import { InboundMessage, TxContext } from '../tx-context';

/**
 * Nest's default RPC filter replaces unknown errors with a generic one, which would hide whether a
 * failure is transient (retry) or not (dead-letter). This filter lets the original error through.
 */
@Catch()
export class PassThroughRpcFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/** One consumed message of topic K, its value typed by the contract. */
export type Inbound<K extends TopicKey> = InboundMessage<PayloadOf<K>>;
/** What an `@OnBatch(K)` handler receives: one chunk of topic K's messages. */
export type Batch<K extends TopicKey> = Inbound<K>[];
/** The handler shape `@OnBatch(K)` accepts (the ctx parameter may be left out). */
export type OnBatchHandler<K extends TopicKey> = (messages: Batch<K>, ctx: TxContext) => Promise<void>;

/** The method as a plain function type: TypeScript compares method parameters bivariantly, function types strictly. */
type AsFunction<M> = M extends (...args: infer A) => infer R ? (...args: A) => R : never;

/**
 * Empty when method M can handle every message of K; otherwise a required property whose name says
 * what is wrong, so the compiler error reads as the rule. A handler written for another topic's
 * payload, for a narrower one, for one message instead of a batch, or not returning a promise fails.
 */
type AcceptsBatch<K extends TopicKey, M> = [AsFunction<M>] extends [OnBatchHandler<K>]
  ? unknown
  : { [P in `@OnBatch('${K}') needs a method (messages: Batch<'${K}'>, ctx?: TxContext) => Promise<void>`]: never };

export type OnBatchDecorator<K extends TopicKey> = <M>(
  target: object,
  propertyKey: string | symbol,
  descriptor: TypedPropertyDescriptor<M> & AcceptsBatch<K, M>,
) => void;

/**
 * Declares a batch handler for a contract topic, on a Nest controller like any microservice handler:
 *
 *     @OnBatch('claimRequested')
 *     async decide(@Payload() messages: Batch<'claimRequested'>, @Ctx() ctx: TxContext): Promise<void>
 *
 * It only compiles on a method taking `Batch<K>` (`InboundMessage<PayloadOf<K>>[]`). At boot the
 * transport refuses a handler on a topic the service does not consume, and two handlers on one topic.
 */
export function OnBatch<K extends TopicKey>(topic: K): OnBatchDecorator<K> {
  const decorate = applyDecorators(EventPattern(Topics[topic].name) as MethodDecorator, UseFilters(new PassThroughRpcFilter()));
  return (target, propertyKey, descriptor) => {
    decorate(target, propertyKey, descriptor);
  };
}
