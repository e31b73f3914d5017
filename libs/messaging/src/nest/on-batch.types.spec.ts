import 'reflect-metadata';
import { PATTERN_METADATA } from '@nestjs/microservices/constants';
import { expectTypeOf } from 'expect-type';
import type { PayloadOf } from '@platform/contracts';
import type { InboundMessage, TxContext } from '../tx-context';
import { Batch, Inbound, OnBatch, OnBatchHandler } from './decorators';

// Compile-time checks: `npm run typecheck` fails when a line marked @ts-expect-error compiles,
// that is, when @OnBatch(K) accepts a handler that cannot take K's messages.

class TypedHandlers {
  @OnBatch('claimRequested')
  async decide(messages: Batch<'claimRequested'>, ctx: TxContext): Promise<void> {
    void messages;
    void ctx;
  }

  @OnBatch('claimDecided')
  async withoutCtx(messages: InboundMessage<PayloadOf<'claimDecided'>>[]): Promise<void> {
    void messages;
  }

  /** Wider than the topic is fine: it can take every message of it. */
  @OnBatch('couponRedemptionRequested')
  async anyPayload(messages: InboundMessage<unknown>[]): Promise<void> {
    void messages;
  }
}

class MismatchedHandlers {
  // @ts-expect-error a coupon redemption handler on the claims topic
  @OnBatch('claimRequested')
  async otherTopic(messages: Batch<'couponRedemptionRequested'>): Promise<void> {
    void messages;
  }

  // @ts-expect-error expects a field the topic does not carry (narrower than the payload)
  @OnBatch('emoticonDownloaded')
  async narrower(messages: InboundMessage<PayloadOf<'emoticonDownloaded'> & { campaignId: string }>[]): Promise<void> {
    void messages;
  }

  // @ts-expect-error one message instead of a batch
  @OnBatch('claimDecided')
  async single(message: Inbound<'claimDecided'>): Promise<void> {
    void message;
  }

  // @ts-expect-error the second parameter is the transaction context, not something else
  @OnBatch('claimDecided')
  async wrongCtx(messages: Batch<'claimDecided'>, ctx: string): Promise<void> {
    void messages;
    void ctx;
  }

  // @ts-expect-error a handler must return a promise (the transaction waits for it)
  @OnBatch('claimDecided')
  notAsync(messages: Batch<'claimDecided'>): void {
    void messages;
  }

  // @ts-expect-error untyped payload values are not a batch of the topic
  @OnBatch('passRegistrationRequested')
  async raw(messages: Buffer[]): Promise<void> {
    void messages;
  }
}

describe('@OnBatch typing', () => {
  it('names the contract types a handler takes', () => {
    expectTypeOf<Batch<'claimRequested'>>().toEqualTypeOf<InboundMessage<PayloadOf<'claimRequested'>>[]>();
    expectTypeOf<Inbound<'couponIssued'>['value']>().toEqualTypeOf<PayloadOf<'couponIssued'>>();
    expectTypeOf<Inbound<'claimRequested'>['value']>().not.toEqualTypeOf<PayloadOf<'claimDecided'>>();
    expectTypeOf<OnBatchHandler<'claimDecided'>>().parameter(0).toEqualTypeOf<Batch<'claimDecided'>>();
    expectTypeOf<OnBatchHandler<'claimDecided'>>().parameter(1).toEqualTypeOf<TxContext>();
    expectTypeOf(OnBatch<'claimRequested'>)
      .parameter(0)
      .toEqualTypeOf<'claimRequested'>();
  });

  it('registers the topic name as the handler pattern', () => {
    const pattern = (name: keyof TypedHandlers) => Reflect.getMetadata(PATTERN_METADATA, TypedHandlers.prototype[name]) as unknown;
    expect(pattern('decide')).toEqual(['compensation.claim.requested.v1']);
    expect(pattern('withoutCtx')).toEqual(['compensation.claim.decided.v1']);
    expect(Reflect.getMetadata(PATTERN_METADATA, MismatchedHandlers.prototype.otherTopic)).toEqual(['compensation.claim.requested.v1']);
  });
});
