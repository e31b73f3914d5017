import { Topics } from '@platform/contracts';
import type { TopicHandler } from '../consumer';
import type { MessagingRuntime } from './runtime';
import { KafkaBatchServer } from './server';

/** The transport strategy with a runtime that records what it would consume instead of connecting to Kafka. */
function serverFor(service: string) {
  const started: TopicHandler[][] = [];
  const runtime = {
    options: { service },
    startConsumer: (handlers: TopicHandler[]) => {
      started.push(handlers);
      return Promise.resolve();
    },
  } as unknown as MessagingRuntime;
  const server = new KafkaBatchServer(runtime);
  const on = (pattern: string) => server.addHandler(pattern, () => Promise.resolve(), true);
  const listen = () =>
    new Promise<unknown>((resolve) => {
      void server.listen((err?: unknown) => resolve(err));
    });
  return { on, listen, started };
}

describe('KafkaBatchServer at boot', () => {
  it('starts one consumer for the topics the service consumes', async () => {
    const s = serverFor('emoticons');
    s.on(Topics.claimDecided.name);
    s.on(Topics.emoticonDownloaded.name);
    expect(await s.listen()).toBeUndefined();
    expect(s.started.map((hs) => hs.map((h) => h.spec.name))).toEqual([[Topics.claimDecided.name, Topics.emoticonDownloaded.name]]);
  });

  it('refuses two handlers on one topic (Nest would chain them and only the first would run)', async () => {
    const s = serverFor('claims');
    s.on(Topics.claimRequested.name);
    s.on(Topics.claimRequested.name);
    const err = await s.listen();
    expect(String(err)).toMatch(/two @OnBatch\('claimRequested'\) handlers/);
    expect(s.started).toEqual([]);
  });

  it('refuses a handler on a topic the contract does not mark consumed (it has no dead-letter topic)', async () => {
    const s = serverFor('coupons');
    s.on(Topics.reliefDecided.name);
    expect(String(await s.listen())).toMatch(/@OnBatch\('reliefDecided'\): merchant\.relief\.decided\.v1 is not marked consumed/);
    expect(s.started).toEqual([]);
  });

  it("refuses a handler on a consumed topic outside the service's ServiceTopics (the broker would deny it)", async () => {
    const s = serverFor('claims');
    s.on(Topics.claimRequested.name);
    s.on(Topics.couponRedemptionRequested.name);
    expect(String(await s.listen())).toMatch(/claims does not consume coupon\.redemption\.requested\.v1/);
    expect(s.started).toEqual([]);
  });

  it('refuses a pattern that is not a contract topic', async () => {
    const s = serverFor('claims');
    s.on('compensation.claim.requested.v0');
    expect(String(await s.listen())).toMatch(/compensation\.claim\.requested\.v0 is not a known topic/);
  });

  it('lets a service outside the platform table (test fixtures) consume any consumed topic', async () => {
    const s = serverFor('fixture');
    s.on(Topics.claimRequested.name);
    s.on(Topics.claimDecided.name);
    expect(await s.listen()).toBeUndefined();
    expect(s.started).toHaveLength(1);
  });
});
