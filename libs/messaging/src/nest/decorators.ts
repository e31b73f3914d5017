import { applyDecorators, ArgumentsHost, Catch, RpcExceptionFilter, UseFilters } from '@nestjs/common';
import { EventPattern } from '@nestjs/microservices';
import { Observable, throwError } from 'rxjs';
import { TopicKey, Topics } from '@platform/contracts';

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

/**
 * Declares a batch handler for a contract topic (on a Nest controller, like any microservice handler):
 * `@OnBatch('claimRequested') handle(@Payload() messages: InboundMessage<ClaimRequested>[], @Ctx() ctx: TxContext)`.
 */
export function OnBatch(topic: TopicKey): MethodDecorator {
  return applyDecorators(EventPattern(Topics[topic].name) as MethodDecorator, UseFilters(new PassThroughRpcFilter()));
}
